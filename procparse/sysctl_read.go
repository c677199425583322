package procparse

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/packetpath/packetpath/internal/readfile"
	"github.com/packetpath/packetpath/internal/scan"
)

// Sysctl returns the raw value of one sysctl, trimmed of surrounding
// whitespace, e.g. Sysctl("net.core.rmem_max") reads
// /proc/sys/net/core/rmem_max. Components are separated by dots or, as
// sysctl(8) allows for names that contain dots (a VLAN device such as
// eth0.100), by slashes: "net/ipv4/conf/eth0.100/rp_filter". /proc/sys/net
// belongs to the network namespace of the calling thread. The error wraps
// os.ErrNotExist when the sysctl does not exist here.
func (fs FS) Sysctl(name string) (string, error) {
	path, err := fs.sysctlPath(name)
	if err != nil {
		return "", err
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("procparse: sysctl %s: %w", name, err)
	}
	return string(scan.TrimSpace(b)), nil
}

// Sysctls reads every sysctl of [Sysctls] once. A sysctl whose file does not
// exist is left absent (Present false) without error; any other failure
// (permission, unparsable content) marks that sysctl absent and is
// returned, joined with the others, while the rest are still read.
func (fs FS) Sysctls() (Sysctls, error) {
	var (
		s    Sysctls
		errs []error
		buf  []byte
	)
	for i, name := range sysctlNames {
		path, _ := fs.sysctlPath(name)
		b, err := readfile.ReadInto(path, buf)
		buf = b
		switch {
		case errors.Is(err, os.ErrNotExist):
			markAbsent(i, &s)
		case err != nil:
			markAbsent(i, &s)
			errs = append(errs, fmt.Errorf("procparse: sysctl %s: %w", name, err))
		default:
			errs = appendErr(errs, withPath(parseSysctlAt(i, b, &s), path))
		}
	}
	return s, errors.Join(errs...)
}

// SysctlsReader keeps the files of the [Sysctls] sysctls open and re-reads
// them. Files missing when it was opened stay absent. A reader opened on a
// thread inside a network namespace keeps reading that namespace. Read
// allocates nothing once dst has been filled (DefaultQdisc keeps its
// string while the value does not change). It is not safe for concurrent
// use.
type SysctlsReader struct {
	files  [len(sysctlNames)]*readfile.File
	closed bool
}

// SysctlsReader opens the sysctl files for repeated reads. Missing files are
// not an error; any other open failure closes what was opened and is
// returned.
func (fs FS) SysctlsReader() (*SysctlsReader, error) {
	r := &SysctlsReader{}
	for i, name := range sysctlNames {
		path, _ := fs.sysctlPath(name)
		f, err := readfile.Open(path)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			r.Close()
			return nil, fmt.Errorf("procparse: sysctl %s: %w", name, err)
		}
		r.files[i] = f
	}
	return r, nil
}

// Read re-reads every open sysctl into dst. Sysctls that were missing at
// open are marked absent. A failing file marks its sysctl absent and its
// error is returned, joined with the others; the rest are still read.
func (r *SysctlsReader) Read(dst *Sysctls) error {
	if r.closed {
		return fmt.Errorf("procparse: reading sysctls: %w", ErrClosed)
	}
	var errs []error
	for i, f := range r.files {
		if f == nil {
			markAbsent(i, dst)
			continue
		}
		b, err := f.Read()
		if err != nil {
			markAbsent(i, dst)
			errs = append(errs, fmt.Errorf("procparse: reading %s: %w", f.Path(), err))
			continue
		}
		errs = appendErr(errs, withPath(parseSysctlAt(i, b, dst), f.Path()))
	}
	if errs == nil {
		return nil
	}
	return errors.Join(errs...)
}

// Has reports whether the reader holds the file of the sysctl name (dotted,
// as [SysctlNames] lists it): false for one that was missing at open or
// that Restrict dropped.
func (r *SysctlsReader) Has(name string) bool {
	i := sysctlIndex(name)
	return i >= 0 && r.files[i] != nil
}

// Restrict closes the files of the sysctls for which keep returns false;
// Read then marks them absent without reading them. It returns how many
// files stay open.
func (r *SysctlsReader) Restrict(keep func(name string) bool) int {
	n := 0
	for i, f := range r.files {
		if f == nil {
			continue
		}
		if !keep(sysctlNames[i]) {
			f.Close()
			r.files[i] = nil
			continue
		}
		n++
	}
	return n
}

// Close closes every file. Closing it again returns an error wrapping
// ErrClosed.
func (r *SysctlsReader) Close() error {
	if r.closed {
		return fmt.Errorf("procparse: closing sysctls: %w", ErrClosed)
	}
	r.closed = true
	var errs []error
	for i, f := range r.files {
		if f != nil {
			errs = appendErr(errs, f.Close())
			r.files[i] = nil
		}
	}
	return errors.Join(errs...)
}

func appendErr(errs []error, err error) []error {
	if err != nil {
		return append(errs, err)
	}
	return errs
}

// sysctlPath is the /proc/sys path of a sysctl name.
func (fs FS) sysctlPath(name string) (string, error) {
	sep := "."
	if strings.Contains(name, "/") {
		sep = "/"
	}
	elems := strings.Split(name, sep)
	for _, e := range elems {
		if e == "" || e == "." || e == ".." {
			return "", fmt.Errorf("procparse: invalid sysctl name %q", name)
		}
	}
	return fs.Path(append([]string{"sys"}, elems...)...), nil
}
