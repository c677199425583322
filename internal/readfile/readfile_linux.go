//go:build linux

package readfile

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// open opens path read-only without following it into a FIFO's wait, and
// returns the descriptor and the size fstat reports, after checking that
// it is a regular file of at most MaxSize bytes.
func open(path string) (int, int, error) { return openMax(path, MaxSize) }

// OpenRegular opens path for reading as open does (O_NONBLOCK, so that a
// FIFO does not wait for a writer, then fstat), without the MaxSize bound:
// it is for a file the caller streams (a bundle archive). The error wraps
// ErrNotRegular for anything but a regular file, os.ErrNotExist or
// os.ErrPermission when that is the cause.
func OpenRegular(path string) (*os.File, error) {
	fd, _, err := openMax(path, -1)
	if err != nil {
		return nil, err
	}
	return os.NewFile(uintptr(fd), path), nil
}

// openMax is open with the size bound max (none when negative).
func openMax(path string, max int64) (int, int, error) {
	var fd int
	var err error
	for {
		fd, err = unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NONBLOCK|unix.O_NOCTTY, 0)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		// open(2) of a socket fails with ENXIO before there is anything
		// to fstat: say what the path is.
		var st unix.Stat_t
		if err == unix.ENXIO && unix.Stat(path, &st) == nil && st.Mode&unix.S_IFMT != unix.S_IFREG {
			return -1, 0, &os.PathError{Op: "open", Path: path, Err: fmt.Errorf("%w (%s)", ErrNotRegular, fileType(st.Mode))}
		}
		return -1, 0, &os.PathError{Op: "open", Path: path, Err: err}
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return -1, 0, &os.PathError{Op: "fstat", Path: path, Err: err}
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		unix.Close(fd)
		return -1, 0, &os.PathError{Op: "open", Path: path, Err: fmt.Errorf("%w (%s)", ErrNotRegular, fileType(st.Mode))}
	}
	if max >= 0 && st.Size > max {
		unix.Close(fd)
		return -1, 0, &os.PathError{Op: "open", Path: path, Err: tooLarge(st.Size)}
	}
	// Reads of a regular file do not block anyway; clear the flag so that
	// no filesystem sees a non-blocking read it might refuse.
	if err := unix.SetNonblock(fd, false); err != nil {
		unix.Close(fd)
		return -1, 0, &os.PathError{Op: "fcntl", Path: path, Err: err}
	}
	return fd, int(st.Size), nil
}

func tooLarge(size int64) error {
	if size < 0 {
		return fmt.Errorf("%w: more than %d bytes, and no procfs or sysfs file reaches %d MiB", ErrTooLarge, MaxSize, MaxSize>>20)
	}
	return fmt.Errorf("%w: %d bytes, and no procfs or sysfs file reaches %d MiB", ErrTooLarge, size, MaxSize>>20)
}

func fileType(mode uint32) string {
	switch mode & unix.S_IFMT {
	case unix.S_IFIFO:
		return "a FIFO"
	case unix.S_IFCHR:
		return "a character device"
	case unix.S_IFBLK:
		return "a block device"
	case unix.S_IFSOCK:
		return "a socket"
	case unix.S_IFDIR:
		return "a directory"
	case unix.S_IFLNK:
		return "a symbolic link"
	}
	return fmt.Sprintf("file type %#o", mode&unix.S_IFMT)
}

// Read reads the whole file from offset 0. The returned slice aliases the
// File's buffer and is valid until the next Read or Close. Once the buffer
// has grown to the file's size, Read allocates nothing. A file that grows
// past MaxSize is an error wrapping ErrTooLarge.
func (f *File) Read() ([]byte, error) {
	if f.fd < 0 {
		return nil, &os.PathError{Op: "read", Path: f.path, Err: os.ErrClosed}
	}
	if _, err := unix.Seek(f.fd, 0, 0); err != nil {
		return nil, &os.PathError{Op: "seek", Path: f.path, Err: err}
	}
	b, err := readAll(f.fd, f.path, f.buf[:0])
	f.buf = b[:0]
	if err != nil {
		return nil, err
	}
	return b, nil
}

// Close releases the descriptor.
func (f *File) Close() error {
	if f.fd < 0 {
		return nil
	}
	err := unix.Close(f.fd)
	f.fd = -1
	if err != nil {
		return &os.PathError{Op: "close", Path: f.path, Err: err}
	}
	return nil
}

// ReadInto opens path, reads it whole into buf (reusing its capacity) and
// closes it. It is the one-shot form of File.Read, with the same checks.
func ReadInto(path string, buf []byte) ([]byte, error) {
	fd, size, err := open(path)
	if err != nil {
		return buf[:0], err
	}
	defer unix.Close(fd)
	// A caller without a buffer gets one of the size fstat reports (a file
	// in a copied tree has its real size), so a large file is not copied
	// while the buffer doubles. A caller's buffer is kept: sysfs attributes
	// stat as 4096 bytes whatever they hold.
	if cap(buf) == 0 && size > 0 {
		buf = make([]byte, 0, size+1)
	}
	return readAll(fd, path, buf[:0])
}

func readAll(fd int, path string, b []byte) ([]byte, error) {
	for {
		if len(b) == cap(b) {
			if len(b) > MaxSize {
				return b[:0], &os.PathError{Op: "read", Path: path, Err: tooLarge(-1)}
			}
			c := 2*cap(b) + minChunk
			if c > MaxSize+1 {
				c = MaxSize + 1
			}
			nb := make([]byte, len(b), c)
			copy(nb, b)
			b = nb
		}
		n, err := unix.Read(fd, b[len(b):cap(b)])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return b, &os.PathError{Op: "read", Path: path, Err: err}
		}
		if n <= 0 {
			return b, nil
		}
		b = b[:len(b)+n]
	}
}
