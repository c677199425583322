//go:build unix

package bundle

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// extractor creates members below one directory through descriptors.
type extractor struct {
	root int
	// the directory of the last member, kept open: members come grouped
	// by directory.
	dir   string
	dirFD int
}

func newExtractor(root string) (*extractor, error) {
	fd, err := unix.Open(root, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: root, Err: err}
	}
	return &extractor{root: fd, dirFD: -1}, nil
}

func (x *extractor) close() {
	if x.dirFD >= 0 {
		unix.Close(x.dirFD)
	}
	unix.Close(x.root)
}

// member extracts h, writing a regular file's data through wrap(file).
func (x *extractor) member(ctx context.Context, h *tar.Header, r io.Reader, maxSize int64, wrap func(io.Writer) io.Writer) error {
	parts, err := memberPath(h.Name)
	if err != nil {
		return err
	}
	switch h.Typeflag {
	case tar.TypeDir:
		if parts == nil {
			return nil
		}
		_, err := x.parent(parts, true)
		return err
	case tar.TypeReg:
	case tar.TypeSymlink:
		if parts == nil || !symlinkInside(parts, h.Linkname) {
			return fmt.Errorf("symbolic link to %q points outside the bundle", h.Linkname)
		}
	case tar.TypeXGlobalHeader:
		return nil
	case tar.TypeLink:
		return fmt.Errorf("hard links are not extracted (to %q)", h.Linkname)
	case tar.TypeChar, tar.TypeBlock:
		return fmt.Errorf("device nodes are not extracted")
	case tar.TypeFifo:
		return fmt.Errorf("FIFOs are not extracted")
	case tar.TypeGNUSparse:
		return fmt.Errorf("sparse members are not extracted")
	default:
		return fmt.Errorf("entries of type %q are not extracted", h.Typeflag)
	}
	if parts == nil {
		return fmt.Errorf("unsafe name")
	}
	dir, err := x.parent(parts, false)
	if err != nil {
		return err
	}
	base := parts[len(parts)-1]
	if h.Typeflag == tar.TypeSymlink {
		if err := unix.Symlinkat(h.Linkname, dir, base); err != nil {
			return dupErr(err)
		}
		return nil
	}
	if h.Size > maxSize {
		return fmt.Errorf("%d bytes: larger than %d MiB, which no kernel file the bundle holds reaches", h.Size, maxSize>>20)
	}
	fd, err := unix.Openat(dir, base, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o644)
	if err != nil {
		return dupErr(err)
	}
	out := os.NewFile(uintptr(fd), base)
	err = copyCtx(ctx, wrap(out), r, h.Size)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		unix.Unlinkat(dir, base, 0)
	}
	return err
}

func dupErr(err error) error {
	if errors.Is(err, unix.EEXIST) {
		return fmt.Errorf("a member of that name came before: the first is kept")
	}
	return err
}

// parent returns a descriptor of the directory that holds parts' last
// component (or of that component itself, as a directory, when all is
// set), creating directories as needed and refusing any component that is
// not a real directory. The descriptor stays owned by the extractor.
func (x *extractor) parent(parts []string, all bool) (int, error) {
	dirParts := parts[:len(parts)-1]
	if all {
		dirParts = parts
	}
	dir := strings.Join(dirParts, "/")
	if len(dirParts) == 0 {
		return x.root, nil
	}
	if x.dirFD >= 0 && x.dir == dir {
		return x.dirFD, nil
	}
	fd := x.root
	for i, p := range dirParts {
		if err := unix.Mkdirat(fd, p, 0o755); err != nil && !errors.Is(err, unix.EEXIST) {
			closeUnlessRoot(x, fd)
			return -1, fmt.Errorf("creating %s: %w", strings.Join(dirParts[:i+1], "/"), err)
		}
		nfd, err := unix.Openat(fd, p, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		closeUnlessRoot(x, fd)
		if err != nil {
			if errors.Is(err, unix.ELOOP) || errors.Is(err, unix.ENOTDIR) {
				return -1, fmt.Errorf("%s is not a directory (a link or a file): nothing is written through it", strings.Join(dirParts[:i+1], "/"))
			}
			return -1, fmt.Errorf("opening %s: %w", strings.Join(dirParts[:i+1], "/"), err)
		}
		fd = nfd
	}
	x.keep(dir, fd)
	return fd, nil
}

func closeUnlessRoot(x *extractor, fd int) {
	if fd != x.root {
		unix.Close(fd)
	}
}

// keep makes fd the cached directory descriptor.
func (x *extractor) keep(dir string, fd int) {
	if x.dirFD == fd {
		x.dir = dir
		return
	}
	if x.dirFD >= 0 {
		unix.Close(x.dirFD)
	}
	x.dir, x.dirFD = dir, fd
}
