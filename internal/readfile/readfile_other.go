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

// OpenRegular opens path after checking with stat that it is a regular
// file (here without O_NONBLOCK: a path swapped for a FIFO between the
// two can still block the open). The error wraps ErrNotRegular for
// anything but a regular file.
func OpenRegular(path string) (*os.File, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, &os.PathError{Op: "open", Path: path, Err: fmt.Errorf("%w (%v)", ErrNotRegular, st.Mode().Type())}
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() {
		f.Close()
		return nil, &os.PathError{Op: "open", Path: path, Err: ErrNotRegular}
	}
	return f, nil
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
