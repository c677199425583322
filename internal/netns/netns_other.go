//go:build !linux

package netns

import (
	"errors"
	"fmt"
	"runtime"
)

// DoFd is Do with an open namespace file descriptor. Network namespaces
// are a Linux feature: on this system it fails with an error wrapping
// errors.ErrUnsupported and does not run fn.
func DoFd(fd int, fn func() error) error {
	return fmt.Errorf("netns: network namespaces on %s: %w", runtime.GOOS, errors.ErrUnsupported)
}
