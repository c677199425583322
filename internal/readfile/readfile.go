// Package readfile re-reads small kernel files (procfs seq files, sysfs
// attributes) into a reused buffer without allocating.
//
// A File keeps its descriptor open. Each Read seeks to offset 0 and reads
// sequentially until end of file: for a seq_file (every /proc/net file) the
// seek resets the iterator, so the kernel regenerates the content once, and
// for a kernfs attribute (sysfs) it re-runs the attribute's show(). A
// descriptor opened inside a network namespace keeps reading that namespace.
//
// Only regular files are read. procfs and sysfs files are regular files
// (procfs ones stat with size 0, sysfs attributes with size 4096, whatever
// they hold), so a FIFO, a device node or a socket in their place, as a
// tree copied from another machine may hold, is refused at open time: the
// file is opened with O_NONBLOCK, so that opening a FIFO does not wait for a
// writer, and checked with fstat before anything is read. No file is read
// beyond MaxSize bytes.
//
// The package reads through Linux system calls (readfile_linux.go); on
// other systems every open fails with an error wrapping
// errors.ErrUnsupported, so the library still builds there.
package readfile

import (
	"errors"
)

// minChunk is the initial buffer size and the growth step: procfs seq
// files are produced one page at a time. The buffer grows only when a read
// fills it, so a small file keeps a small buffer.
const minChunk = 4096

// MaxSize is the most a File reads: 256 MiB. No procfs or sysfs file the
// library reads comes near it (/proc/net/udp, the largest, prints 128 bytes
// per socket: 256 MiB would be two million UDP sockets in one namespace),
// so a larger file is not a kernel file and reading it is refused rather
// than let it exhaust memory.
const MaxSize = 256 << 20

// ErrNotRegular is wrapped by the error for a path that is not a regular
// file (a FIFO, a device, a socket, a directory).
var ErrNotRegular = errors.New("not a regular file")

// ErrTooLarge is wrapped by the error for a file larger than MaxSize.
var ErrTooLarge = errors.New("larger than any kernel file")

// File is an open kernel file that can be read again and again into one
// buffer. It is not safe for concurrent use.
type File struct {
	fd   int // -1 once closed
	path string
	buf  []byte
}

// Open opens path for repeated reads. The error wraps os.ErrNotExist or
// os.ErrPermission when that is the cause, ErrNotRegular when path is not
// a regular file and ErrTooLarge when it is larger than MaxSize.
func Open(path string) (*File, error) {
	fd, size, err := open(path)
	if err != nil {
		return nil, err
	}
	n := minChunk
	if size >= n {
		n = size + 1 // room to see the end of file without growing
	}
	return &File{fd: fd, path: path, buf: make([]byte, 0, n)}, nil
}

// Path is the path the file was opened with.
func (f *File) Path() string { return f.path }

// ReadFile reads path whole into a new slice, with the checks of Open. It
// is for files read once (a bundle's JSON), not for kernel files read
// again and again.
func ReadFile(path string) ([]byte, error) { return ReadInto(path, nil) }
