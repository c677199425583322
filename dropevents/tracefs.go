package dropevents

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/packetpath/packetpath/internal/scan"
)

// TraceFS is a tracefs mount: the directory holding events/<system>/<name>/
// format. Reading it needs root (tracefs is mode 0700).
type TraceFS struct {
	// Root is the mount point, e.g. /sys/kernel/tracing.
	Root string
}

// NewTraceFS returns a TraceFS rooted at dir without checking it; tests root
// it at a fixture tree.
func NewTraceFS(dir string) *TraceFS { return &TraceFS{Root: dir} }

// FindTraceFS locates tracefs: /sys/kernel/tracing (the mount point since
// 4.1), else /sys/kernel/debug/tracing (debugfs' automount), else any
// tracefs mount listed in /proc/self/mountinfo. It does not mount tracefs.
// Without one it returns an error wrapping errors.ErrUnsupported; when the
// directory exists but cannot be read, one wrapping os.ErrPermission.
func FindTraceFS() (*TraceFS, error) {
	var permErr error
	try := func(dir string) bool {
		_, err := os.Stat(filepath.Join(dir, "events"))
		if err == nil {
			return true
		}
		if errors.Is(err, os.ErrPermission) && permErr == nil {
			permErr = err
		}
		return false
	}
	for _, dir := range []string{"/sys/kernel/tracing", "/sys/kernel/debug/tracing"} {
		if try(dir) {
			return &TraceFS{Root: dir}, nil
		}
	}
	if b, err := os.ReadFile("/proc/self/mountinfo"); err == nil {
		if dir := tracefsMount(b); dir != "" && try(dir) {
			return &TraceFS{Root: dir}, nil
		}
	}
	if permErr != nil {
		return nil, fmt.Errorf("dropevents: tracefs: %w", permErr)
	}
	return nil, fmt.Errorf("dropevents: tracefs is not mounted (tried /sys/kernel/tracing, /sys/kernel/debug/tracing, /proc/self/mountinfo): %w", errors.ErrUnsupported)
}

// tracefsMount returns the first mount point of type tracefs in a
// /proc/self/mountinfo text (proc(5): field 5 is the mount point, the type
// follows the " - " separator), with octal escapes decoded.
func tracefsMount(b []byte) string {
	var fields [16][]byte
	for len(b) > 0 {
		var line []byte
		line, b = scan.Line(b)
		pre, post, ok := bytes.Cut(line, []byte(" - "))
		if !ok {
			continue
		}
		typ, _ := scan.Field(post)
		if !scan.Equal(typ, "tracefs") {
			continue
		}
		f := scan.Fields(pre, fields[:0])
		if len(f) < 5 {
			continue
		}
		return unescapeMount(f[4])
	}
	return ""
}

func unescapeMount(b []byte) string {
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		if b[i] == '\\' && i+3 < len(b) {
			d0, d1, d2 := b[i+1]-'0', b[i+2]-'0', b[i+3]-'0'
			if d0 < 4 && d1 < 8 && d2 < 8 {
				out = append(out, d0<<6|d1<<3|d2)
				i += 3
				continue
			}
		}
		out = append(out, b[i])
	}
	return string(out)
}

// Format reads and parses events/<system>/<name>/format. A missing event
// gives an error wrapping both errors.ErrUnsupported and os.ErrNotExist;
// an unreadable one wraps os.ErrPermission.
func (fs *TraceFS) Format(system, name string) (*Format, error) {
	path := filepath.Join(fs.Root, "events", system, name, "format")
	b, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("dropevents: tracepoint %s:%s not available on this kernel: %w (%w)", system, name, errors.ErrUnsupported, err)
		}
		return nil, fmt.Errorf("dropevents: %w", err)
	}
	f, err := ParseFormat(path, b)
	if err != nil {
		return nil, err
	}
	f.System = system
	return f, nil
}
