package procparse

import (
	"fmt"

	"github.com/packetpath/packetpath/internal/readfile"
)

// UDPScanFile is an open UDP socket table that can be re-read and scanned
// again and again without allocating: the file is read into a reused buffer
// and a reused UDPScanner walks it. Opened inside a network namespace, it
// keeps reading that namespace. It is not safe for concurrent use.
type UDPScanFile struct {
	f      *readfile.File
	sc     UDPScanner
	closed bool
}

// OpenUDPScan opens one UDP socket table for repeated scans. The error wraps
// os.ErrNotExist when the table does not exist (e.g. udplite on a kernel
// built without UDP-Lite, or udp6 without IPv6).
func (fs FS) OpenUDPScan(file UDPFile) (*UDPScanFile, error) {
	if err := file.check(); err != nil {
		return nil, err
	}
	f, err := readfile.Open(fs.NetPath(string(file)))
	if err != nil {
		return nil, fmt.Errorf("procparse: %w", err)
	}
	return &UDPScanFile{f: f}, nil
}

// Scan re-reads the table and returns a scanner positioned before its first
// socket that passes filter. The scanner and the sockets it returns are
// valid until the next Scan or Close.
func (u *UDPScanFile) Scan(filter UDPFilter) (*UDPScanner, error) {
	if u.closed {
		return nil, fmt.Errorf("procparse: reading %s: %w", u.f.Path(), ErrClosed)
	}
	b, err := u.f.Read()
	if err != nil {
		return nil, fmt.Errorf("procparse: reading %s: %w", u.f.Path(), err)
	}
	u.sc.file = u.f.Path()
	u.sc.Reset(b, filter)
	if err := u.sc.Err(); err != nil {
		return nil, err
	}
	return &u.sc, nil
}

// Path is the file being read.
func (u *UDPScanFile) Path() string { return u.f.Path() }

// Close closes the file. Closing it again returns an error wrapping
// ErrClosed.
func (u *UDPScanFile) Close() error {
	if u.closed {
		return fmt.Errorf("procparse: closing %s: %w", u.f.Path(), ErrClosed)
	}
	u.closed = true
	return u.f.Close()
}
