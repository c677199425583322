package procparse

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/packetpath/packetpath/internal/readfile"
)

// DefaultRoot is where the host's procfs is mounted.
const DefaultRoot = "/proc"

// MaxFileSize is the most any reader of this package reads of one file:
// 256 MiB, which no procfs file reaches (/proc/net/udp prints 128 bytes per
// socket: two million sockets in one namespace). A larger file is refused
// with an error wrapping ErrTooLarge.
const MaxFileSize = readfile.MaxSize

// ErrNotRegular is wrapped by the error for a path that is not a regular
// file: procfs files are regular files (of size 0), so a FIFO, a device or
// a socket in a tree's place is refused when opened, without reading it.
var ErrNotRegular = readfile.ErrNotRegular

// ErrTooLarge is wrapped by the error for a file larger than MaxFileSize.
var ErrTooLarge = readfile.ErrTooLarge

// FS reads the kernel files below one procfs root: the live /proc, a host
// /proc bind-mounted into a container (e.g. /host/proc), or a fixture tree
// laid out like /proc (testdata, a capture bundle).
//
// On a live procfs the per-namespace files under net/ are read through
// root/thread-self/net, so a goroutine locked to an OS thread that has
// entered another network namespace (setns) reads that namespace. In a
// fixture tree they are read from root/net.
//
// An FS is a small value; copy it freely. It holds no open files.
type FS struct {
	root string
	net  string
}

// NewFS returns an FS rooted at root. The error wraps os.ErrNotExist when
// root does not exist and reports when it is not a directory.
func NewFS(root string) (FS, error) {
	st, err := os.Stat(root)
	if err != nil {
		return FS{}, fmt.Errorf("procparse: root %s: %w", root, err)
	}
	if !st.IsDir() {
		return FS{}, fmt.Errorf("procparse: root %s is not a directory", root)
	}
	fs := FS{root: root, net: filepath.Join(root, "net")}
	if st, err := os.Stat(filepath.Join(root, "thread-self", "net")); err == nil && st.IsDir() {
		fs.net = filepath.Join(root, "thread-self", "net")
	}
	return fs, nil
}

// NewDefaultFS returns an FS rooted at DefaultRoot.
func NewDefaultFS() (FS, error) { return NewFS(DefaultRoot) }

// Root is the directory the FS was created with.
func (fs FS) Root() string { return fs.root }

// Path joins elem below the root, e.g. Path("sys", "net", "core", "rmem_max").
func (fs FS) Path(elem ...string) string {
	return filepath.Join(append([]string{fs.root}, elem...)...)
}

// NetPath joins elem below the network-namespace-aware net directory, e.g.
// NetPath("snmp") is /proc/thread-self/net/snmp on a live host.
func (fs FS) NetPath(elem ...string) string {
	return filepath.Join(append([]string{fs.net}, elem...)...)
}

// Reader re-reads one kernel file into a reused buffer and parses it into a
// caller-owned value. Once the buffer and the value's slices have grown to
// the file's size, Read allocates nothing. A Reader opened inside a network
// namespace keeps reading that namespace. It is not safe for concurrent use.
type Reader[T any] struct {
	f      *readfile.File
	parse  func([]byte, *T) error
	closed bool
}

// Read re-reads the file and parses it into dst, reusing dst's slices.
func (r *Reader[T]) Read(dst *T) error {
	if r.closed {
		return fmt.Errorf("procparse: reading %s: %w", r.f.Path(), ErrClosed)
	}
	b, err := r.f.Read()
	if err != nil {
		return fmt.Errorf("procparse: reading %s: %w", r.f.Path(), err)
	}
	return withPath(r.parse(b, dst), r.f.Path())
}

// Path is the file the Reader reads.
func (r *Reader[T]) Path() string { return r.f.Path() }

// Close closes the file. Closing it again returns an error wrapping
// ErrClosed.
func (r *Reader[T]) Close() error {
	if r.closed {
		return fmt.Errorf("procparse: closing %s: %w", r.f.Path(), ErrClosed)
	}
	r.closed = true
	return r.f.Close()
}

func openReader[T any](path string, parse func([]byte, *T) error) (*Reader[T], error) {
	f, err := readfile.Open(path)
	if err != nil {
		return nil, fmt.Errorf("procparse: %w", err)
	}
	return &Reader[T]{f: f, parse: parse}, nil
}

// readOnce opens, reads, parses and closes path: the one-shot form. Like a
// Reader it reads only a regular file of at most MaxFileSize bytes, so a
// FIFO or a device in a copied tree fails at once instead of blocking or
// filling memory.
func readOnce[T any](path string, parse func([]byte, *T) error) (T, error) {
	var v T
	b, err := readfile.ReadFile(path)
	if err != nil {
		return v, fmt.Errorf("procparse: %w", err)
	}
	return v, withPath(parse(b, &v), path)
}

// withPath puts the full path into a ParseError produced by a pure parser
// (which only knows the file's base name).
func withPath(err error, path string) error {
	if err == nil {
		return nil
	}
	var pe *ParseError
	if errors.As(err, &pe) {
		pe.File = path
	}
	return err
}

// Counter is a kernel counter that a kernel may or may not print. Present is
// false when the running kernel does not report the field at all (an older
// kernel, a key added later), which is different from a reported zero.
type Counter struct {
	Value   uint64
	Present bool
}
