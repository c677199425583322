package bundle

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

	"github.com/packetpath/packetpath/internal/readfile"
)

// Limits of bundle extraction. A bundle written by WriteBundle holds a few
// hundred to a few thousand members per frame, each a kernel file, and
// takes a few MB; none of these is reached by a real capture.
const (
	// maxMember is the largest member extracted: the size past which
	// the readers refuse a file anyway (readfile.MaxSize, 256 MiB).
	maxMember = readfile.MaxSize
	// maxTotal bounds the member data read from an archive, written
	// or skipped (512 MiB): past it extraction stops. The largest legit
	// member is /proc/net/udp of a host with very many sockets (128
	// bytes a socket: 573,440 sockets print 73 MB), and a frame's
	// other files take a few MB, so two such frames fit with room.
	maxTotal = 512 << 20
	// maxRatio bounds the bytes extracted per compressed byte read
	// (200): kernel text files compress 5-20 times (the test captures'
	// /proc/net/udp 12 times), zeros over 1,000 times, so a small
	// archive cannot fill the temporary directory with a gzip bomb.
	maxRatio = 200
	// ratioSlack is extracted before maxRatio applies (1 MiB), so that
	// the first members, before gzip has read much, are not held to it.
	ratioSlack = 1 << 20
	// maxEntries bounds the number of members (262,144).
	maxEntries = 1 << 18
	// maxDepth bounds the components of a member's path.
	maxDepth = 32
)

// Problem is a member of a bundle archive that was left out, or the reason
// extraction stopped early (Member empty). A reader reports it with every
// frame it belongs to (see Bundle.Problems).
type Problem struct {
	Member string // as named in the archive
	Err    error
}

// extractTarGz unpacks a bundle archive into a new temporary directory,
// never following a link: every directory on a member's path is created
// and opened component by component with O_NOFOLLOW, relative to the one
// above it, and every file is created with O_EXCL|O_NOFOLLOW, so no member
// can write through a symbolic link or over another member. Only
// directories, regular files and symbolic links whose target stays inside
// the bundle (relative, with ".." only leading and not climbing above the
// bundle) are extracted; hard links, devices, FIFOs, unsafe names, paths
// deeper than maxDepth, duplicate names, sparse members and members larger
// than maxMember are left out and returned as problems, as is the end of
// an archive that exceeds maxTotal bytes or maxEntries members, that
// expands more than maxRatio times the compressed bytes read, or that is
// cut short. ctx is checked between members and while copying. file is
// opened without waiting (O_NONBLOCK, see readfile.OpenRegular) and must
// be a regular file: a FIFO, device or socket fails at once.
func extractTarGz(ctx context.Context, file string) (string, []Problem, error) {
	f, err := readfile.OpenRegular(file)
	if err != nil {
		return "", nil, err
	}
	defer f.Close()
	cr := &countReader{r: f}
	zr, err := gzip.NewReader(cr)
	if err != nil {
		return "", nil, fmt.Errorf("%s: not a gzip archive: %w", file, err)
	}
	tmp, err := os.MkdirTemp("", "packetpath-bundle-")
	if err != nil {
		return "", nil, err
	}
	lim := defaultExtractLimits()
	lim.compressed = &cr.n
	problems, err := extractTar(ctx, zr, file, tmp, lim)
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
	// ratio bounds the bytes written per byte of *compressed (the
	// archive bytes read so far) past slack; nil compressed: no bound.
	ratio, slack int64
	compressed   *int64
}

func defaultExtractLimits() extractLimits {
	return extractLimits{member: maxMember, total: maxTotal, entries: maxEntries, ratio: maxRatio, slack: ratioSlack}
}

// countReader counts the bytes read through it.
type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.n += int64(n)
	return n, err
}

// errRatio is the cause of a member cut by the compression-ratio bound.
var errRatio = errors.New("compression ratio bound")

// ratioWriter writes to w until more than lim.slack + lim.ratio times the
// compressed bytes read so far have been written in all (*written).
type ratioWriter struct {
	w       io.Writer
	written *int64
	lim     *extractLimits
}

func (r *ratioWriter) Write(b []byte) (int, error) {
	if r.lim.compressed != nil && *r.written+int64(len(b)) > r.lim.slack+r.lim.ratio**r.lim.compressed {
		return 0, errRatio
	}
	n, err := r.w.Write(b)
	*r.written += int64(n)
	return n, err
}

// sparse reports whether h is a sparse member (old GNU or PAX GNU.sparse
// records), whose holes archive/tar would expand to h.Size zero bytes.
func sparse(h *tar.Header) bool {
	if h.Typeflag == tar.TypeGNUSparse {
		return true
	}
	for k := range h.PAXRecords {
		if strings.HasPrefix(k, "GNU.sparse.") {
			return true
		}
	}
	return false
}

// extractTar unpacks the tar stream r (named file in messages) into the
// existing directory dir; see extractTarGz. An error means nothing usable
// was extracted (not a tar stream, or ctx done).
func extractTar(ctx context.Context, r io.Reader, file, dir string, lim extractLimits) ([]Problem, error) {
	x, err := newExtractor(dir)
	if err != nil {
		return nil, err
	}
	defer x.close()
	tr := tar.NewReader(r)
	var problems []Problem
	var total, written int64
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
			problems = append(problems, Problem{"", fmt.Errorf("archive %s is damaged after %d members, the rest is lost: %w", file, n, err)})
			return problems, nil
		}
		if n >= lim.entries {
			problems = append(problems, Problem{"", fmt.Errorf("archive %s has more than %d members; extraction stopped at %q", file, lim.entries, h.Name)})
			return problems, nil
		}
		if sparse(h) {
			problems = append(problems, Problem{h.Name, fmt.Errorf("archive member %q left out: sparse members are not extracted (no kernel file is sparse; its %d bytes would be mostly holes)", h.Name, h.Size)})
			continue
		}
		if h.Size > 0 {
			total += h.Size
		}
		if total > lim.total {
			problems = append(problems, Problem{"", fmt.Errorf("archive %s holds more than %d MiB of files; extraction stopped at %q", file, lim.total>>20, h.Name)})
			return problems, nil
		}
		w := func(out io.Writer) io.Writer { return &ratioWriter{w: out, written: &written, lim: &lim} }
		if err := x.member(ctx, h, tr, lim.member, w); err != nil {
			if ctx.Err() != nil {
				return nil, fmt.Errorf("%s: extracting %s: %w", file, h.Name, ctx.Err())
			}
			if errors.Is(err, errRatio) {
				problems = append(problems, Problem{"", fmt.Errorf("archive %s expands more than %d times its compressed size (%d MiB written from %d KiB read), which no capture does; extraction stopped at %q", file, lim.ratio, written>>20, *lim.compressed>>10, h.Name)})
				return problems, nil
			}
			problems = append(problems, Problem{h.Name, fmt.Errorf("archive member %q left out: %w", h.Name, err)})
		}
	}
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
	if len(parts) > maxDepth {
		return nil, fmt.Errorf("%d path components, more than %d", len(parts), maxDepth)
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
