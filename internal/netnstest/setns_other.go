//go:build !linux

package netnstest

import (
	"errors"
	"fmt"
	"runtime"
)

// setNetNS fails: network namespaces are a Linux feature.
func setNetNS(int) error {
	return fmt.Errorf("setns on %s: %w", runtime.GOOS, errors.ErrUnsupported)
}
