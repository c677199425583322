package bundle

import (
	"archive/tar"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/packetpath/packetpath/internal/readfile"
)

// Writer writes a bundle in Format: Frame adds frames, Close writes
// bundle.json (and the archive, for a path ending in .tar.gz or .tgz).
type Writer struct {
	target  string // as given
	dir     string // where the tree is written
	archive bool
	info    Info
	closed  bool
}

// Create starts a bundle at path, a directory (created if needed) or, for
// a name ending in .tar.gz or .tgz, a compressed archive written at Close.
// info's Format is set to Format and its Frames are those Frame adds.
func Create(path string, info Info) (*Writer, error) {
	w := &Writer{target: path, dir: path, info: info}
	w.info.Format = Format
	w.info.Frames = nil
	if strings.HasSuffix(path, ".tar.gz") || strings.HasSuffix(path, ".tgz") {
		tmp, err := os.MkdirTemp("", "packetpath-bundle-")
		if err != nil {
			return nil, fmt.Errorf("bundle: %w", err)
		}
		w.dir, w.archive = tmp, true
	}
	if err := os.MkdirAll(w.dir, 0o755); err != nil {
		w.abort()
		return nil, fmt.Errorf("bundle: %w", err)
	}
	return w, nil
}

// FrameWriter writes the files of one frame.
type FrameWriter struct {
	dir string
}

// Frame adds the next frame, captured at t, and returns its writer.
func (w *Writer) Frame(t time.Time) *FrameWriter {
	d := fmt.Sprintf("frame-%03d", len(w.info.Frames))
	w.info.Frames = append(w.info.Frames, Frame{Dir: d, Time: t.UTC()})
	return &FrameWriter{dir: filepath.Join(w.dir, d)}
}

// Dir is the frame's directory on disk.
func (f *FrameWriter) Dir() string { return f.dir }

// WriteFile writes data as the frame file rel (a slash-separated path
// inside the frame, such as LinkDump).
func (f *FrameWriter) WriteFile(rel string, data []byte) error {
	if !filepath.IsLocal(filepath.FromSlash(rel)) {
		return fmt.Errorf("bundle: %q is not inside the frame", rel)
	}
	dst := filepath.Join(f.dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return fmt.Errorf("bundle: %w", err)
	}
	if err := os.WriteFile(dst, data, 0o644); err != nil {
		return fmt.Errorf("bundle: %w", err)
	}
	return nil
}

// WriteEthtool records the outcome of ethtool op for dev: the reply buffer,
// or the errno the ioctl failed with. An error that holds no errno (the
// request was not made) records nothing.
func (f *FrameWriter) WriteEthtool(dev, op string, reply []byte, ioctlErr error) error {
	if ioctlErr == nil {
		return f.WriteFile(EthtoolReply(dev, op), reply)
	}
	var e syscall.Errno
	if !errors.As(ioctlErr, &e) || e == 0 {
		return nil
	}
	return f.WriteFile(EthtoolErrno(dev, op), []byte(strconv.FormatUint(uint64(e), 10)+"\n"))
}

// CopyFile copies the kernel file src as the frame file rel if it can be
// read (through readfile: a regular file, at most readfile.MaxSize bytes);
// a file the kernel refuses is left out, as it is missing on the live
// system, and reported false.
func (f *FrameWriter) CopyFile(src, rel string) bool {
	b, err := readfile.ReadFile(src)
	if err != nil {
		return false
	}
	return f.WriteFile(rel, b) == nil
}

// Symlink makes the frame file rel a symbolic link to target (relative,
// inside the frame, as sysfs's device and driver links).
func (f *FrameWriter) Symlink(target, rel string) error {
	dst := filepath.Join(f.dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return fmt.Errorf("bundle: %w", err)
	}
	return os.Symlink(target, dst)
}

// Close writes bundle.json and, for an archive, the .tar.gz (removing the
// temporary tree).
func (w *Writer) Close() error {
	if w.closed {
		return nil
	}
	w.closed = true
	defer w.abort()
	b, err := json.MarshalIndent(w.info, "", "  ")
	if err != nil {
		return fmt.Errorf("bundle: %w", err)
	}
	if err := os.WriteFile(filepath.Join(w.dir, "bundle.json"), b, 0o644); err != nil {
		return fmt.Errorf("bundle: %w", err)
	}
	if w.archive {
		return writeTarGz(w.target, w.dir)
	}
	return nil
}

// Abort gives up the bundle: an archive's temporary tree is removed (a
// directory bundle keeps what was written).
func (w *Writer) Abort() { w.closed = true; w.abort() }

func (w *Writer) abort() {
	if w.archive && w.dir != "" {
		os.RemoveAll(w.dir)
		w.dir = ""
	}
}

func writeTarGz(target, dir string) error {
	f, err := os.Create(target)
	if err != nil {
		return fmt.Errorf("bundle: %w", err)
	}
	zw := gzip.NewWriter(f)
	tw := tar.NewWriter(zw)
	werr := addDirToTar(tw, dir)
	err = errors.Join(werr, tw.Close(), zw.Close(), f.Close())
	if err != nil {
		return fmt.Errorf("bundle: writing %s: %w", target, err)
	}
	return nil
}

// addDirToTar adds the tree below dir, keeping symbolic links as links
// (tar.Writer.AddFS refuses them).
func addDirToTar(tw *tar.Writer, dir string) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil || rel == "." {
			return err
		}
		info, err := os.Lstat(p)
		if err != nil {
			return err
		}
		link := ""
		if info.Mode()&os.ModeSymlink != 0 {
			link, _ = os.Readlink(p)
		}
		h, err := tar.FileInfoHeader(info, link)
		if err != nil {
			return err
		}
		h.Name = filepath.ToSlash(rel)
		if info.IsDir() {
			h.Name += "/"
		}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if info.Mode().IsRegular() {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			_, err = tw.Write(b)
			return err
		}
		return nil
	})
}

// Archive packs the bundle directory dir (or any tree) into the .tar.gz
// file target, keeping symbolic links as links.
func Archive(target, dir string) error { return writeTarGz(target, dir) }
