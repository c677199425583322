// Package readfile re-reads small kernel files (procfs seq files, sysfs
// attributes) into a reused buffer without allocating.
//
// A File keeps its descriptor open. Each Read seeks to offset 0 and reads
// sequentially until end of file: for a seq_file (every /proc/net file) the
// seek resets the iterator, so the kernel regenerates the content once, and
// for a kernfs attribute (sysfs) it re-runs the attribute's show(). A
// descriptor opened inside a network namespace keeps reading that namespace.
package readfile

import (
	"fmt"
	"io"
	"os"
)

// minChunk is the initial buffer size and the growth step: procfs seq
// files are produced one page at a time. The buffer grows only when a read
// fills it, so a small file keeps a small buffer.
const minChunk = 4096

// File is an open kernel file that can be read again and again into one
// buffer. It is not safe for concurrent use.
type File struct {
	f    *os.File
	path string
	buf  []byte
}

// Open opens path for repeated reads. The error wraps os.ErrNotExist or
// os.ErrPermission when that is the cause.
func Open(path string) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	return &File{f: f, path: path, buf: make([]byte, 0, minChunk)}, nil
}

// Path is the path the file was opened with.
func (f *File) Path() string { return f.path }

// Read reads the whole file from offset 0. The returned slice aliases the
// File's buffer and is valid until the next Read or Close. Once the buffer
// has grown to the file's size, Read allocates nothing.
func (f *File) Read() ([]byte, error) {
	if f.f == nil {
		return nil, fmt.Errorf("read %s: %w", f.path, os.ErrClosed)
	}
	if _, err := f.f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	b, err := readAll(f.f, f.buf[:0])
	f.buf = b[:0]
	if err != nil {
		return nil, err
	}
	return b, nil
}

// Close releases the descriptor.
func (f *File) Close() error {
	if f.f == nil {
		return nil
	}
	err := f.f.Close()
	f.f = nil
	return err
}

// ReadInto opens path, reads it whole into buf (reusing its capacity) and
// closes it. It is the one-shot form of File.Read.
func ReadInto(path string, buf []byte) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return buf[:0], err
	}
	defer f.Close()
	return readAll(f, buf[:0])
}

func readAll(f *os.File, b []byte) ([]byte, error) {
	for {
		if len(b) == cap(b) {
			nb := make([]byte, len(b), 2*cap(b)+minChunk)
			copy(nb, b)
			b = nb
		}
		n, err := f.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err != nil {
			if err == io.EOF {
				return b, nil
			}
			return b, err
		}
		if n == 0 {
			return b, nil
		}
	}
}
