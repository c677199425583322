//go:build !linux

package readfile

import (
	"errors"
	"fmt"
	"os"
	"runtime"
)

// notLinux is the cause of every failure on a system without procfs and
// sysfs: the files this package reads exist only on Linux.
func notLinux() error {
	return fmt.Errorf("reading kernel files on %s: %w (procfs and sysfs are Linux interfaces)", runtime.GOOS, errors.ErrUnsupported)
}

func open(path string) (int, int, error) {
	return -1, 0, &os.PathError{Op: "open", Path: path, Err: notLinux()}
}

// Read fails: a File is never opened on this system.
func (f *File) Read() ([]byte, error) {
	return nil, &os.PathError{Op: "read", Path: f.path, Err: notLinux()}
}

// Close does nothing: a File is never opened on this system.
func (f *File) Close() error {
	f.fd = -1
	return nil
}

// ReadInto fails with an error wrapping errors.ErrUnsupported.
func ReadInto(path string, buf []byte) ([]byte, error) {
	_, _, err := open(path)
	return buf[:0], err
}
