// Package bundle owns the packetpath capture bundle: a directory (or a
// .tar.gz of one) holding what the library reads from the kernel, so that
// a snapshot can be taken elsewhere, later, or in a test, by the same
// decoders that read the live kernel.
//
//	bundle.json                           Info: format, host, kernel, frames
//	frame-000/proc/...                    the /proc files the library reads
//	frame-000/sys/class/net/...           the per-device sysfs files
//	frame-000/netlink/rtm_getlink.bin     the RTM_GETLINK dump, as the kernel sent it
//	frame-000/netlink/rtm_getqdisc.bin    the RTM_GETQDISC dump
//	frame-000/netlink/rtm_gettclass/N.bin the RTM_GETTCLASS dump of ifindex N
//	frame-000/netlink/sock_diag_udp.bin   the SOCK_DIAG_BY_FAMILY UDP dumps (IPv4, then IPv6)
//	frame-000/ethtool/DEV/OP.bin          the SIOCETHTOOL reply buffer of OP for DEV
//	frame-000/ethtool/DEV/OP.errno        or the errno the ioctl failed with (decimal)
//	frame-001/...                         a later frame (deltas need two)
//
// A .bin file is the concatenation of the datagrams read from the netlink
// socket for one request, NLMSG_DONE included: exactly the bytes the live
// decoders see. An ethtool reply is the whole request buffer after the
// ioctl returned, as the kernel filled it.
//
// Older bundles still open: format FormatV1 has, instead of netlink/ and
// ethtool/, a netlink.json of decoded data (Frame.Legacy returns it), and a
// directory without bundle.json that holds proc/ (and optionally sys/) is
// read as a single frame, so a copy of /proc works.
//
// A bundle may come from anywhere, so it is read defensively: the path
// must be a directory or a regular file (opened without waiting, so a FIFO
// fails at once); an archive is extracted without following any link (see
// extractTarGz), within size and count limits (512 MiB in all, at most 200
// times the compressed bytes read, no sparse members); every file is read
// only if it is a regular file of at most 256 MiB (readfile.MaxSize), and
// netlink.json of at most 16 MiB (MaxLegacySize). What cannot be extracted
// is returned by Bundle.Problems, per frame, for the reader to report.
package bundle

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/packetpath/packetpath/internal/readfile"
)

// Bundle formats, as bundle.json's "format".
const (
	// Format is the format Writer writes: raw kernel bytes (netlink/ and
	// ethtool/) beside proc/ and sys/.
	Format = "packetpath-bundle/2"
	// FormatV1 is the format before raw kernel bytes: decoded netlink and
	// ethtool data in netlink.json. It still opens.
	FormatV1 = "packetpath-bundle/1"
)

// ErrNotBundle is wrapped by the error of OpenBundle for a path that is
// neither a bundle nor a proc tree.
var ErrNotBundle = errors.New("not a packetpath bundle")

// Info is bundle.json.
type Info struct {
	Format   string    `json:"format"`
	Created  time.Time `json:"created"`
	Hostname string    `json:"hostname,omitempty"`
	Kernel   string    `json:"kernel,omitempty"`
	NetNS    string    `json:"netns,omitempty"`
	Frames   []Frame   `json:"frames"`
}

// Frame is one capture of the stack, in bundle.json.
type Frame struct {
	Dir  string    `json:"dir"`
	Time time.Time `json:"time"`
}

// The raw files of a frame, relative to its directory.
const (
	LinkDump  = "netlink/rtm_getlink.bin"
	QdiscDump = "netlink/rtm_getqdisc.bin"
	UDPDump   = "netlink/sock_diag_udp.bin"
	// LegacyFile is the decoded data of a FormatV1 frame.
	LegacyFile = "netlink.json"
)

// Netlink protocols and address families of the recorded dumps, as Linux
// numbers them (NETLINK_ROUTE, NETLINK_SOCK_DIAG, AF_INET, AF_INET6).
const (
	Route    = 0
	SockDiag = 4
	IPv4     = 2
	IPv6     = 10
)

// ClassDump is the file of the RTM_GETTCLASS dump of device ifindex.
func ClassDump(ifindex int) string {
	return "netlink/rtm_gettclass/" + strconv.Itoa(ifindex) + ".bin"
}

// The ethtool operations a frame records, named as the kernel names the
// commands (include/uapi/linux/ethtool.h); they name the files.
const (
	EthtoolDrvInfo  = "ETHTOOL_GDRVINFO"
	EthtoolSSetInfo = "ETHTOOL_GSSET_INFO" // for ETH_SS_STATS
	EthtoolStrings  = "ETHTOOL_GSTRINGS"   // of ETH_SS_STATS
	EthtoolStats    = "ETHTOOL_GSTATS"
	EthtoolRings    = "ETHTOOL_GRINGPARAM"
	EthtoolChannels = "ETHTOOL_GCHANNELS"
)

// EthtoolReply is the file of the reply of op for dev; EthtoolErrno the
// file of the errno it failed with.
func EthtoolReply(dev, op string) string { return "ethtool/" + dev + "/" + op + ".bin" }

// EthtoolErrno is the file that records the errno op failed with for dev.
func EthtoolErrno(dev, op string) string { return "ethtool/" + dev + "/" + op + ".errno" }

// Bundle is an opened bundle. Close removes what OpenBundle extracted.
type Bundle struct {
	path     string // as given
	dir      string // the directory read
	tmp      string // extracted archive, removed by Close
	info     Info
	frames   []FrameData
	problems []Problem
}

// FrameData is one frame of an opened bundle.
type FrameData struct {
	// Dir is the frame's directory as bundle.json names it ("." for a
	// bare proc tree); Time its capture time (zero when unknown).
	Dir  string
	Time time.Time
	root string
}

// Root is the frame's directory on disk.
func (f *FrameData) Root() string { return f.root }

// ProcRoot is the frame's proc/ tree, laid out like /proc.
func (f *FrameData) ProcRoot() string { return filepath.Join(f.root, "proc") }

// SysRoot is the frame's sys/ tree, laid out like /sys.
func (f *FrameData) SysRoot() string { return filepath.Join(f.root, "sys") }

// ReadFile reads the frame file rel (one of the names above), as a kernel
// file is read: a regular file of at most readfile.MaxSize bytes. A file
// the frame lacks gives an error wrapping os.ErrNotExist.
func (f *FrameData) ReadFile(rel string) ([]byte, error) {
	if !filepath.IsLocal(rel) {
		return nil, fmt.Errorf("bundle: frame %s: %q is not inside the frame: %w", f.Dir, rel, os.ErrNotExist)
	}
	return readfile.ReadFile(filepath.Join(f.root, filepath.FromSlash(rel)))
}

// Has reports whether the frame holds the file rel.
func (f *FrameData) Has(rel string) bool {
	_, err := os.Lstat(filepath.Join(f.root, filepath.FromSlash(rel)))
	return err == nil
}

// Raw reports whether the frame holds raw kernel bytes (the RTM_GETLINK
// dump): a frame written in Format.
func (f *FrameData) Raw() bool { return f.Has(LinkDump) }

// MaxLegacySize is the largest netlink.json read (16 MiB). A FormatV1
// capture wrote about 26 KB for a namespace of one device and two
// sockets: some 670 bytes a link (twice: at the top and in "sources"),
// 750 a device, 320 a qdisc or class and 420 a UDP socket, plus 24 KB of
// MIBs. 16 MiB holds some 40,000 UDP sockets beside 1,000 devices with a
// qdisc each, more than the namespaces format 1 was used on; the readers
// bound the element counts it may decode to (see netstack).
const MaxLegacySize = 16 << 20

// LegacyData reads the decoded data of a FormatV1 frame (netlink.json)
// as bytes, refusing a file over MaxLegacySize with an error wrapping
// readfile.ErrTooLarge. A frame without the file gives an error wrapping
// os.ErrNotExist.
func (f *FrameData) LegacyData() ([]byte, error) {
	p := filepath.Join(f.root, LegacyFile)
	fl, err := readfile.OpenRegular(p)
	if err != nil {
		return nil, fmt.Errorf("bundle: frame %s: %w", f.Dir, err)
	}
	defer fl.Close()
	st, err := fl.Stat()
	if err != nil {
		return nil, fmt.Errorf("bundle: frame %s: %w", f.Dir, err)
	}
	if st.Size() > MaxLegacySize {
		return nil, fmt.Errorf("bundle: frame %s: %s: %w: %d bytes, more than the %d MiB a format 1 capture writes", f.Dir, LegacyFile, readfile.ErrTooLarge, st.Size(), MaxLegacySize>>20)
	}
	b, err := io.ReadAll(io.LimitReader(fl, MaxLegacySize+1))
	if err != nil {
		return nil, fmt.Errorf("bundle: frame %s: %s: %w", f.Dir, LegacyFile, err)
	}
	if len(b) > MaxLegacySize {
		return nil, fmt.Errorf("bundle: frame %s: %s: %w: more than %d MiB", f.Dir, LegacyFile, readfile.ErrTooLarge, MaxLegacySize>>20)
	}
	return b, nil
}

// Legacy reads the decoded data of a FormatV1 frame (netlink.json, see
// LegacyData) into v with json.Unmarshal. ok is false when the frame has
// no such file. A reader of untrusted bundles decodes LegacyData with
// bounded element counts instead (netstack does).
func (f *FrameData) Legacy(v any) (ok bool, err error) {
	raw, err := f.LegacyData()
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return false, fmt.Errorf("bundle: frame %s: %s: %w", f.Dir, LegacyFile, err)
	}
	return true, nil
}

// EthtoolReply returns the recorded reply of op for dev. A recorded failure
// returns its errno (a syscall.Errno, as the live ioctl does); a reply the
// frame lacks gives an error wrapping os.ErrNotExist.
func (f *FrameData) EthtoolReply(dev, op string) ([]byte, error) {
	if b, err := f.ReadFile(EthtoolReply(dev, op)); err == nil || !errors.Is(err, os.ErrNotExist) {
		return b, err
	}
	b, err := f.ReadFile(EthtoolErrno(dev, op))
	if err != nil {
		return nil, err
	}
	n, perr := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 16)
	if perr != nil || n == 0 {
		return nil, fmt.Errorf("bundle: frame %s: %s: %q is not an errno", f.Dir, EthtoolErrno(dev, op), b)
	}
	return nil, syscall.Errno(n)
}

// OpenBundle opens the bundle at path: a directory (a bundle, or a proc
// tree read as one frame) or a .tar.gz of one, which is extracted into a
// temporary directory that Close removes. Anything else (a FIFO, a device,
// a socket) fails at once with an error wrapping readfile.ErrNotRegular and
// ErrNotBundle; nothing is opened that could block. Extraction stops when ctx is
// done, with an error wrapping ctx.Err(). A path that is neither gives an
// error wrapping ErrNotBundle.
func OpenBundle(ctx context.Context, path string) (*Bundle, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("bundle %s: %w", path, err)
	}
	b := &Bundle{path: path, dir: path}
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("bundle %s: %w", path, err)
	}
	if !st.IsDir() && !st.Mode().IsRegular() {
		// Opening a FIFO would wait for a writer: refuse what is neither
		// before opening it (extractTarGz checks again, without waiting).
		return nil, fmt.Errorf("bundle %s: neither a directory nor an archive: %w (%s): %w", path, readfile.ErrNotRegular, kind(st.Mode()), ErrNotBundle)
	}
	if !st.IsDir() {
		tmp, problems, err := extractTarGz(ctx, path)
		if err != nil {
			if ctx.Err() != nil {
				return nil, fmt.Errorf("bundle %w", err)
			}
			return nil, fmt.Errorf("bundle %w: %w", err, ErrNotBundle)
		}
		b.tmp, b.dir, b.problems = tmp, tmp, problems
	}
	if err := b.open(ctx); err != nil {
		b.Close()
		return nil, err
	}
	return b, nil
}

func (b *Bundle) open(ctx context.Context) error {
	path := b.path
	raw, err := readfile.ReadFile(filepath.Join(b.dir, "bundle.json"))
	switch {
	case err == nil:
		if err := json.Unmarshal(raw, &b.info); err != nil {
			return fmt.Errorf("bundle %s: bundle.json: %w: %w", path, err, ErrNotBundle)
		}
		if b.info.Format != Format && b.info.Format != FormatV1 {
			return fmt.Errorf("bundle %s: format %q, want %q or %q: %w", path, b.info.Format, Format, FormatV1, ErrNotBundle)
		}
	case errors.Is(err, os.ErrNotExist):
		if _, err := os.Stat(filepath.Join(b.dir, "proc")); err != nil {
			return fmt.Errorf("%s has neither bundle.json nor proc/: %w", path, ErrNotBundle)
		}
		b.info = Info{Format: FormatV1, Frames: []Frame{{Dir: "."}}}
	default:
		return fmt.Errorf("bundle %s: %w", path, err)
	}
	if len(b.info.Frames) == 0 {
		return fmt.Errorf("bundle %s has no frames: %w", path, ErrNotBundle)
	}
	for _, f := range b.info.Frames {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("bundle %s: %w", path, err)
		}
		if !filepath.IsLocal(f.Dir) && f.Dir != "." {
			return fmt.Errorf("bundle %s: bundle.json: frame directory %q is not inside the bundle: %w", path, f.Dir, ErrNotBundle)
		}
		fr := FrameData{Dir: f.Dir, Time: f.Time, root: filepath.Join(b.dir, f.Dir)}
		if st, err := os.Stat(fr.ProcRoot()); err != nil || !st.IsDir() {
			if err == nil {
				err = fmt.Errorf("not a directory")
			}
			return fmt.Errorf("bundle %s frame %s: proc: %w: %w", path, f.Dir, err, ErrNotBundle)
		}
		b.frames = append(b.frames, fr)
	}
	return nil
}

// kind names a file type in messages.
func kind(m os.FileMode) string {
	switch {
	case m&os.ModeNamedPipe != 0:
		return "a FIFO"
	case m&os.ModeCharDevice != 0:
		return "a character device"
	case m&os.ModeDevice != 0:
		return "a block device"
	case m&os.ModeSocket != 0:
		return "a socket"
	}
	return "file mode " + m.Type().String()
}

// Info returns bundle.json (for a bare proc tree, one frame ".").
func (b *Bundle) Info() Info { return b.info }

// Path is the path OpenBundle was given.
func (b *Bundle) Path() string { return b.path }

// Frames returns the frames in capture order.
func (b *Bundle) Frames() []FrameData { return b.frames }

// Problems returns the extraction problems that concern frame i: those of
// its members and those of no frame (the archive's own), with Member
// relative to the frame's directory where it lies in it.
func (b *Bundle) Problems(i int) []Problem {
	if i < 0 || i >= len(b.frames) {
		return nil
	}
	var out []Problem
	prefix := strings.TrimSuffix(filepath.ToSlash(filepath.Clean(b.frames[i].Dir)), "/") + "/"
	for _, p := range b.problems {
		rel, inFrame := strings.CutPrefix(p.Member, prefix)
		if !inFrame {
			if prefix != "./" && b.memberFrame(p.Member) {
				continue // another frame's member
			}
			rel = p.Member
		}
		out = append(out, Problem{Member: rel, Err: p.Err})
	}
	return out
}

// memberFrame reports whether an archive member lies in one of the frames.
func (b *Bundle) memberFrame(member string) bool {
	for _, f := range b.info.Frames {
		d := filepath.ToSlash(filepath.Clean(f.Dir))
		if d != "." && strings.HasPrefix(member, d+"/") {
			return true
		}
	}
	return false
}

// Close removes the directory an archive was extracted into.
func (b *Bundle) Close() error {
	if b.tmp == "" {
		return nil
	}
	err := os.RemoveAll(b.tmp)
	b.tmp = ""
	return err
}
