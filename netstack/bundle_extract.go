package netstack

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/packetpath/packetpath/internal/readfile"
)

// Limits of bundle extraction. A bundle written by WriteBundle holds a few
// hundred to a few thousand members per frame, each a kernel file; none of
// these is reached by a real capture.
const (
	// bundleMaxMember is the largest member extracted: the size past which
	// the readers refuse a file anyway (readfile.MaxSize, 256 MiB).
	bundleMaxMember = readfile.MaxSize
	// bundleMaxTotal bounds the member data read from an archive, written
	// or skipped (1 GiB): past it extraction stops.
	bundleMaxTotal = 1 << 30
	// bundleMaxEntries bounds the number of members (262,144).
	bundleMaxEntries = 1 << 18
	// bundleMaxDepth bounds the components of a member's path.
	bundleMaxDepth = 32
)

// bundleProblem is a member of a bundle archive that was left out, or the
// reason extraction stopped early. Every snapshot of the frame it belongs
// to reports it.
type bundleProblem struct {
	member string // as named in the archive
	err    error
}

// extractTarGz unpacks a bundle archive into a new temporary directory,
// never following a link: every directory on a member's path is created
// and opened component by component with O_NOFOLLOW, relative to the one
// above it, and every file is created with O_EXCL|O_NOFOLLOW, so no member
// can write through a symbolic link or over another member. Only
// directories, regular files and symbolic links whose target stays inside
// the bundle (relative, with ".." only leading and not climbing above the
// bundle) are extracted; hard links, devices, FIFOs, unsafe names, paths
// deeper than bundleMaxDepth, duplicate names and members larger than
// bundleMaxMember are left out and returned as problems, as is the end of
// an archive that exceeds bundleMaxTotal bytes or bundleMaxEntries members
// or that is cut short. ctx is checked between members and while copying.
func extractTarGz(ctx context.Context, file string) (string, []bundleProblem, error) {
	f, err := os.Open(file)
	if err != nil {
		return "", nil, err
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil {
		return "", nil, err
	} else if !st.Mode().IsRegular() {
		return "", nil, fmt.Errorf("%s: %w (%v)", file, readfile.ErrNotRegular, st.Mode().Type())
	}
	zr, err := gzip.NewReader(f)
	if err != nil {
		return "", nil, fmt.Errorf("%s: not a gzip archive: %w", file, err)
	}
	tmp, err := os.MkdirTemp("", "packetpath-bundle-")
	if err != nil {
		return "", nil, err
	}
	problems, err := extractTar(ctx, zr, file, tmp, defaultExtractLimits())
	if err != nil {
		os.RemoveAll(tmp)
		return "", nil, err
	}
	return tmp, problems, nil
}

// extractLimits bound an extraction: the package's constants (see
// defaultExtractLimits), smaller in tests.
type extractLimits struct {
	member, total int64
	entries       int
}

func defaultExtractLimits() extractLimits {
	return extractLimits{member: bundleMaxMember, total: bundleMaxTotal, entries: bundleMaxEntries}
}

// extractTar unpacks the tar stream r (named file in messages) into the
// existing directory dir; see extractTarGz. An error means nothing usable
// was extracted (not a tar stream, or ctx done).
func extractTar(ctx context.Context, r io.Reader, file, dir string, lim extractLimits) ([]bundleProblem, error) {
	x, err := newExtractor(dir)
	if err != nil {
		return nil, err
	}
	defer x.close()
	tr := tar.NewReader(r)
	var problems []bundleProblem
	var total int64
	for n := 0; ; n++ {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("%s: extraction stopped after %d members: %w", file, n, err)
		}
		h, err := tr.Next()
		if err == io.EOF {
			return problems, nil
		}
		if err != nil {
			if n == 0 {
				return nil, fmt.Errorf("%s: %w", file, err)
			}
			problems = append(problems, bundleProblem{"", fmt.Errorf("archive %s is damaged after %d members, the rest is lost: %w", file, n, err)})
			return problems, nil
		}
		if n >= lim.entries {
			problems = append(problems, bundleProblem{"", fmt.Errorf("archive %s has more than %d members; extraction stopped at %q", file, lim.entries, h.Name)})
			return problems, nil
		}
		if h.Size > 0 {
			total += h.Size
		}
		if total > lim.total {
			problems = append(problems, bundleProblem{"", fmt.Errorf("archive %s holds more than %d MiB of files; extraction stopped at %q", file, lim.total>>20, h.Name)})
			return problems, nil
		}
		if err := x.member(ctx, h, tr, lim.member); err != nil {
			if ctx.Err() != nil {
				return nil, fmt.Errorf("%s: extracting %s: %w", file, h.Name, ctx.Err())
			}
			problems = append(problems, bundleProblem{h.Name, fmt.Errorf("archive member %q left out: %w", h.Name, err)})
		}
	}
}

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

// memberPath checks an archive name and splits it into components.
func memberPath(name string) ([]string, error) {
	if name == "" || strings.HasPrefix(name, "/") || strings.ContainsRune(name, 0) || strings.Contains(name, "\\") {
		return nil, fmt.Errorf("unsafe name")
	}
	clean := path.Clean(name)
	if clean == "." {
		return nil, nil
	}
	parts := strings.Split(clean, "/")
	for _, p := range parts {
		if p == ".." {
			return nil, fmt.Errorf("unsafe name: it climbs out of the bundle")
		}
		if len(p) > 255 {
			return nil, fmt.Errorf("a path component is longer than 255 bytes")
		}
	}
	if len(parts) > bundleMaxDepth {
		return nil, fmt.Errorf("%d path components, more than %d", len(parts), bundleMaxDepth)
	}
	return parts, nil
}

// symlinkInside reports whether a link at parts (its path components)
// with this target can only resolve inside the bundle: a relative target
// whose ".." components all come first and climb no higher than the
// link's own directory's depth. As every directory above a member is a
// real directory (see extractor.parent), the leading ".." walk up real
// directories, and the rest walks down, through links that obey the same
// rule.
func symlinkInside(parts []string, target string) bool {
	if target == "" || strings.HasPrefix(target, "/") || strings.ContainsRune(target, 0) {
		return false
	}
	up, down := 0, false
	for _, t := range strings.Split(target, "/") {
		switch t {
		case "", ".":
		case "..":
			if down {
				return false
			}
			up++
		default:
			down = true
		}
	}
	return up <= len(parts)-1
}

func (x *extractor) member(ctx context.Context, h *tar.Header, r io.Reader, maxSize int64) error {
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
	err = copyCtx(ctx, out, r, h.Size)
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

// copyCtx copies n bytes in 1 MiB steps, checking ctx between them.
func copyCtx(ctx context.Context, w io.Writer, r io.Reader, n int64) error {
	const step = 1 << 20
	for n > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		c := min(n, step)
		m, err := io.CopyN(w, r, c)
		n -= m
		if err != nil {
			return err
		}
	}
	return nil
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
