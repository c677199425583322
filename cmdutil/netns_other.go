//go:build !linux

package cmdutil

import (
	"errors"
	"fmt"
)

func checkNetNS(path string) error {
	return fmt.Errorf("network namespace %s: %w: network namespaces are Linux only", path, errors.ErrUnsupported)
}
