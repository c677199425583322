package netstack

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/packetpath/packetpath/internal/netns"
	"github.com/packetpath/packetpath/internal/readfile"
	"github.com/packetpath/packetpath/nic"
	"github.com/packetpath/packetpath/procparse"
)

// A capture bundle is a directory (or a .tar.gz of one) holding what the
// library reads, so a snapshot can be taken elsewhere, later, or in a test:
//
//	bundle.json                  BundleInfo: format, host, kernel, frames
//	frame-000/proc/...           the /proc files the library reads
//	frame-000/sys/class/net/...  the per-device sysfs files
//	frame-000/netlink.json       the rtnetlink, ethtool and sock_diag data
//	frame-001/...                a later frame (deltas need two)
//
// A directory without bundle.json that holds proc/ (and optionally sys/) is
// read as a single frame: a fixture tree such as a copy of /proc works.
// Without netlink.json and sys/class/net, the link counters come from
// proc/net/dev (see appendProcNetDev); every frame WriteBundle writes holds
// that file too.
//
// A bundle may come from anywhere, so it is read defensively: an archive
// is extracted without following any link (see extractTarGz), and every
// file is read only if it is a regular file of at most 256 MiB
// (procparse.MaxFileSize), so a FIFO, a device or a huge file in a tree
// fails at once with an error instead of blocking or filling memory. What
// cannot be read, parsed or extracted is reported in Snapshot.Errors.

// BundleFormat identifies the bundle layout in bundle.json.
const BundleFormat = "packetpath-bundle/1"

// BundleInfo is bundle.json.
type BundleInfo struct {
	Format   string        `json:"format"`
	Created  time.Time     `json:"created"`
	Hostname string        `json:"hostname,omitempty"`
	Kernel   string        `json:"kernel,omitempty"`
	NetNS    string        `json:"netns,omitempty"`
	Frames   []BundleFrame `json:"frames"`
}

// BundleFrame is one capture of the stack.
type BundleFrame struct {
	Dir  string    `json:"dir"`
	Time time.Time `json:"time"`
}

// frameData is netlink.json: the data that comes from sockets, not files.
type frameData struct {
	Time   time.Time  `json:"time"`
	Links  []nic.Link `json:"links,omitempty"`
	Typed  SourceData `json:"sources"`
	Errors []string   `json:"errors,omitempty"`
}

type bundleData struct {
	dir    string
	tmp    string
	info   BundleInfo
	next   int
	frames []bundleFrameData
	// problems are the archive members left out at extraction.
	problems []bundleProblem
}

type bundleFrameData struct {
	fs   procparse.FS
	sys  string
	data *frameData
	time time.Time
}

// CaptureOptions control WriteBundle.
type CaptureOptions struct {
	// Frames is the number of frames to capture (default 2, so that the
	// bundle holds a delta).
	Frames int
	// Interval is the time between frames (default 1s).
	Interval time.Duration
}

// procFiles are the /proc files (relative to the net directory or the proc
// root) that a bundle captures.
var (
	bundleNetFiles = []string{
		"softnet_stat", "snmp", "snmp6", "netstat", "dev", "udp", "udp6", "udplite", "udplite6",
		"ptype", "sockstat", "sockstat6", "igmp", "igmp6", "dev_mcast",
		"stat/arp_cache", "stat/ndisc_cache", "stat/nf_conntrack", "stat/rt_cache",
	}
	bundleProcFiles = []string{"softirqs", "interrupts"}
)

// WriteBundle captures the collector's namespace into dir as a bundle of
// opts.Frames frames, opts.Interval apart: the /proc and sysfs files the
// library reads, and the rtnetlink, ethtool and sock_diag data as JSON. A
// dir ending in .tar.gz is written as a compressed archive instead.
func (c *Collector) WriteBundle(ctx context.Context, dir string, opts CaptureOptions) error {
	if c.bundle != nil {
		return fmt.Errorf("netstack: WriteBundle: the collector reads a bundle already")
	}
	if opts.Frames <= 0 {
		opts.Frames = 2
	}
	if opts.Interval <= 0 {
		opts.Interval = time.Second
	}
	target := dir
	archive := strings.HasSuffix(dir, ".tar.gz") || strings.HasSuffix(dir, ".tgz")
	if archive {
		tmp, err := os.MkdirTemp("", "packetpath-bundle-")
		if err != nil {
			return fmt.Errorf("netstack: %w", err)
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("netstack: %w", err)
	}
	info := BundleInfo{Format: BundleFormat, Created: c.now().UTC(), NetNS: c.cfg.NetNS}
	info.Hostname, _ = os.Hostname()
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		info.Kernel = strings.TrimSpace(string(b))
	}
	var snap Snapshot
	for i := range opts.Frames {
		if i > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(opts.Interval):
			}
		}
		fdir := fmt.Sprintf("frame-%03d", i)
		if err := c.Collect(ctx, &snap); err != nil {
			return err
		}
		if err := c.writeFrame(filepath.Join(dir, fdir), &snap); err != nil {
			return err
		}
		info.Frames = append(info.Frames, BundleFrame{Dir: fdir, Time: snap.Time.UTC()})
	}
	b, err := json.MarshalIndent(info, "", "  ")
	if err != nil {
		return fmt.Errorf("netstack: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "bundle.json"), b, 0o644); err != nil {
		return fmt.Errorf("netstack: %w", err)
	}
	if archive {
		return writeTarGz(target, dir)
	}
	return nil
}

func (c *Collector) writeFrame(dir string, snap *Snapshot) error {
	// /proc files: read inside the namespace (net/ is per namespace).
	err := netns.Do(c.cfg.NetNS, func() error {
		fs, err := procparse.NewFS(c.cfg.ProcRoot)
		if err != nil {
			return err
		}
		for _, f := range bundleNetFiles {
			copyFile(fs.NetPath(f), filepath.Join(dir, "proc", "net", f))
		}
		for _, f := range bundleProcFiles {
			copyFile(fs.Path(f), filepath.Join(dir, "proc", f))
		}
		for _, name := range procparse.SysctlNames() {
			rel := filepath.Join(append([]string{"sys"}, strings.Split(name, ".")...)...)
			copyFile(fs.Path(rel), filepath.Join(dir, "proc", rel))
		}
		irqs, _ := filepath.Glob(fs.Path("irq", "*"))
		for _, d := range irqs {
			for _, f := range []string{"smp_affinity_list", "effective_affinity_list", "smp_affinity", "effective_affinity"} {
				copyFile(filepath.Join(d, f), filepath.Join(dir, "proc", "irq", filepath.Base(d), f))
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("netstack: capturing /proc: %w", err)
	}
	// sysfs describes the namespace that mounted it: copy it only when the
	// collector reads it (see Config.SysRoot).
	if c.cfg.Sources&SourceDevices != 0 {
		for i := range snap.Sources.Links {
			c.copyDevice(dir, snap.Sources.Links[i].Name)
		}
	}
	fd := frameData{Time: snap.Time.UTC(), Links: snap.Sources.Links, Typed: snap.Sources}
	for _, e := range snap.Errors {
		fd.Errors = append(fd.Errors, e.Error())
	}
	b, err := json.Marshal(&fd)
	if err != nil {
		return fmt.Errorf("netstack: encoding netlink.json: %w", err)
	}
	return os.WriteFile(filepath.Join(dir, "netlink.json"), b, 0o644)
}

// copyDevice copies /sys/class/net/DEV: its attributes, statistics and
// queues, and the bus device's numa_node, driver link and msi_irqs.
func (c *Collector) copyDevice(dir, dev string) {
	src := c.sysPath("class", "net", dev)
	dst := filepath.Join(dir, "sys", "class", "net", dev)
	for _, f := range []string{"speed", "duplex", "carrier", "carrier_changes", "mtu", "operstate", "tx_queue_len", "ifindex", "address", "flags", "type"} {
		copyFile(filepath.Join(src, f), filepath.Join(dst, f))
	}
	for _, sub := range []string{"statistics", "queues"} {
		filepath.WalkDir(filepath.Join(src, sub), func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return nil
			}
			rel, _ := filepath.Rel(src, p)
			copyFile(p, filepath.Join(dst, rel))
			return nil
		})
	}
	bus, err := filepath.EvalSymlinks(filepath.Join(src, "device"))
	if err != nil {
		return
	}
	busDst := filepath.Join(dir, "sys", "devices", filepath.Base(bus))
	copyFile(filepath.Join(bus, "numa_node"), filepath.Join(busDst, "numa_node"))
	if drv, err := os.Readlink(filepath.Join(bus, "driver")); err == nil {
		os.MkdirAll(filepath.Join(dir, "sys", "bus", "drivers", filepath.Base(drv)), 0o755)
		os.Symlink(filepath.Join("..", "..", "bus", "drivers", filepath.Base(drv)), filepath.Join(busDst, "driver"))
	}
	for _, d := range []string{bus, filepath.Dir(bus)} {
		ents, err := os.ReadDir(filepath.Join(d, "msi_irqs"))
		if err != nil {
			continue
		}
		for _, e := range ents {
			copyFile(filepath.Join(d, "msi_irqs", e.Name()), filepath.Join(busDst, "msi_irqs", e.Name()))
		}
		break
	}
	os.Symlink(filepath.Join("..", "..", "..", "devices", filepath.Base(bus)), filepath.Join(dst, "device"))
}

// copyFile copies one kernel file if it can be read; files a device refuses
// are left out, as on the live system.
func copyFile(src, dst string) {
	b, err := readfile.ReadFile(src)
	if err != nil {
		return
	}
	if os.MkdirAll(filepath.Dir(dst), 0o755) != nil {
		return
	}
	os.WriteFile(dst, b, 0o644)
}

func writeTarGz(target, dir string) error {
	f, err := os.Create(target)
	if err != nil {
		return fmt.Errorf("netstack: %w", err)
	}
	zw := gzip.NewWriter(f)
	tw := tar.NewWriter(zw)
	werr := tw.AddFS(os.DirFS(dir))
	if werr != nil {
		// AddFS does not follow symlinks; fall back to a manual walk.
		werr = addDirToTar(tw, dir)
	}
	err = errors.Join(werr, tw.Close(), zw.Close(), f.Close())
	if err != nil {
		return fmt.Errorf("netstack: writing %s: %w", target, err)
	}
	return nil
}

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

// ErrNotBundle is wrapped by the error for a Config.Bundle that is neither
// a bundle nor a proc tree.
var ErrNotBundle = errors.New("not a packetpath bundle")

// NewCollectorContext is NewCollector with a context: opening a bundle
// (Config.Bundle), and above all extracting a .tar.gz one, stops when ctx
// is done, with an error wrapping ctx.Err(). For a live collector it is
// NewCollector once ctx is checked.
func NewCollectorContext(ctx context.Context, cfg Config) (*Collector, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("netstack: %w", err)
	}
	if cfg.Bundle == "" {
		return NewCollector(cfg)
	}
	// The defaults NewCollector applies to a bundle collector.
	if cfg.Sources == 0 {
		cfg.Sources = SourceAll &^ SourceDropEvents
	}
	if cfg.ProcRoot == "" {
		cfg.ProcRoot = procparse.DefaultRoot
	}
	if cfg.SysRoot == "" {
		cfg.SysRoot = "/sys"
	}
	c := &Collector{cfg: cfg, now: time.Now}
	if err := c.openBundleContext(ctx); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *Collector) openBundle() error { return c.openBundleContext(context.Background()) }

// openBundleContext opens c.cfg.Bundle: a directory (a bundle, or a proc
// tree read as one frame) or a .tar.gz of one, extracted first. Every file
// of it is read as the kernel's would be, through readfile: only regular
// files, at most readfile.MaxSize bytes each.
func (c *Collector) openBundleContext(ctx context.Context) error {
	dir := c.cfg.Bundle
	b := &bundleData{dir: dir}
	st, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("netstack: bundle %s: %w", dir, err)
	}
	if !st.IsDir() {
		tmp, problems, err := extractTarGz(ctx, dir)
		if err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("netstack: bundle %w", err)
			}
			return fmt.Errorf("netstack: bundle %w: %w", err, ErrNotBundle)
		}
		b.tmp, b.dir, b.problems = tmp, tmp, problems
	}
	raw, err := readfile.ReadFile(filepath.Join(b.dir, "bundle.json"))
	switch {
	case err == nil:
		if err := json.Unmarshal(raw, &b.info); err != nil {
			b.cleanup()
			return fmt.Errorf("netstack: bundle %s: bundle.json: %w: %w", dir, err, ErrNotBundle)
		}
		if b.info.Format != BundleFormat {
			b.cleanup()
			return fmt.Errorf("netstack: bundle %s: format %q, want %q: %w", dir, b.info.Format, BundleFormat, ErrNotBundle)
		}
	case errors.Is(err, os.ErrNotExist):
		if _, err := os.Stat(filepath.Join(b.dir, "proc")); err != nil {
			b.cleanup()
			return fmt.Errorf("netstack: %s has neither bundle.json nor proc/: %w", dir, ErrNotBundle)
		}
		b.info = BundleInfo{Format: BundleFormat, Frames: []BundleFrame{{Dir: "."}}}
	default:
		b.cleanup()
		return fmt.Errorf("netstack: bundle %s: %w", dir, err)
	}
	if len(b.info.Frames) == 0 {
		b.cleanup()
		return fmt.Errorf("netstack: bundle %s has no frames: %w", dir, ErrNotBundle)
	}
	for _, f := range b.info.Frames {
		if err := ctx.Err(); err != nil {
			b.cleanup()
			return fmt.Errorf("netstack: bundle %s: %w", dir, err)
		}
		if !filepath.IsLocal(f.Dir) && f.Dir != "." {
			b.cleanup()
			return fmt.Errorf("netstack: bundle %s: bundle.json: frame directory %q is not inside the bundle: %w", dir, f.Dir, ErrNotBundle)
		}
		fdir := filepath.Join(b.dir, f.Dir)
		fr := bundleFrameData{sys: filepath.Join(fdir, "sys"), time: f.Time}
		if fr.fs, err = procparse.NewFS(filepath.Join(fdir, "proc")); err != nil {
			b.cleanup()
			return fmt.Errorf("netstack: bundle %s frame %s: %w: %w", dir, f.Dir, err, ErrNotBundle)
		}
		raw, err := readfile.ReadFile(filepath.Join(fdir, "netlink.json"))
		switch {
		case err == nil:
			fr.data = new(frameData)
			if err := json.Unmarshal(raw, fr.data); err != nil {
				b.cleanup()
				return fmt.Errorf("netstack: bundle %s frame %s: netlink.json: %w: %w", dir, f.Dir, err, ErrNotBundle)
			}
			if fr.time.IsZero() {
				fr.time = fr.data.Time
			}
		case !errors.Is(err, os.ErrNotExist):
			b.cleanup()
			return fmt.Errorf("netstack: bundle %s frame %s: %w: %w", dir, f.Dir, err, ErrNotBundle)
		}
		b.frames = append(b.frames, fr)
	}
	c.bundle = b
	c.sources = []source{bundleCloser{b}}
	return nil
}

func (b *bundleData) cleanup() {
	if b.tmp != "" {
		os.RemoveAll(b.tmp)
		b.tmp = ""
	}
}

// bundleCloser removes an extracted archive when the Collector closes.
type bundleCloser struct{ b *bundleData }

func (bundleCloser) kind() Source                             { return 0 }
func (bundleCloser) collect(context.Context, *Snapshot) error { return nil }
func (s bundleCloser) close() error                           { s.b.cleanup(); return nil }

// Info returns the bundle's description when the collector reads one.
func (c *Collector) Info() (BundleInfo, bool) {
	if c.bundle == nil {
		return BundleInfo{}, false
	}
	return c.bundle.info, true
}

// collectBundle fills dst from the next frame of the bundle. Successive
// collections walk the frames in order and stay on the last one. Every
// failure is reported in dst.Errors: a file that is missing where the
// kernel always has it, that cannot be read or parsed, and every archive
// member left out at extraction. ctx is checked before each file; once it
// is done, collectBundle returns its error.
func (c *Collector) collectBundle(ctx context.Context, dst *Snapshot) error {
	b := c.bundle
	fi := b.next
	fr := &b.frames[fi]
	if b.next < len(b.frames)-1 {
		b.next++
	}
	if !fr.time.IsZero() {
		dst.Time = fr.time
	}
	b.reportProblems(dst, b.info.Frames[fi].Dir)
	want := func(s Source) bool { return c.cfg.Sources&s != 0 }
	d := &dst.Sources
	fs := fr.fs
	if want(SourceSoftnet) {
		if err := ctx.Err(); err != nil {
			return err
		}
		if v, err := fs.SoftnetStat(); err != nil {
			dst.addErr(SourceSoftnet, "", err)
		} else {
			d.Softnet = v
			appendSoftnet(dst, &d.Softnet)
		}
	}
	if want(SourceSNMP) {
		if err := ctx.Err(); err != nil {
			return err
		}
		var cache names
		if v, err := fs.SNMP(); err != nil {
			dst.addErr(SourceSNMP, "", err)
		} else {
			d.SNMP = v
			appendMIB(dst, &d.SNMP, &cache)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		// A kernel without IPv6 has no snmp6: its absence is not a failure.
		if v, err := fs.SNMP6(); err == nil {
			d.SNMP6 = v
			var cache names
			appendSNMP6(dst, &d.SNMP6, &cache)
		} else if !errors.Is(err, os.ErrNotExist) {
			dst.addErr(SourceSNMP, "snmp6", err)
		}
	}
	if want(SourceNetstat) {
		if err := ctx.Err(); err != nil {
			return err
		}
		if v, err := fs.Netstat(); err == nil {
			d.Netstat = v
			var cache names
			appendMIB(dst, &d.Netstat, &cache)
		} else {
			dst.addErr(SourceNetstat, "", err)
		}
	}
	if want(SourceSoftirqs) {
		if err := ctx.Err(); err != nil {
			return err
		}
		if v, err := fs.Softirqs(); err != nil {
			dst.addErr(SourceSoftirqs, "", err)
		} else {
			d.Softirqs = v
			appendSoftirqs(dst, &d.Softirqs)
		}
	}
	if want(SourceSysctls) {
		if err := ctx.Err(); err != nil {
			return err
		}
		v, err := fs.Sysctls()
		d.Sysctls = v
		if err != nil {
			dst.addErr(SourceSysctls, "", err)
		}
		appendSysctls(dst, &d.Sysctls)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if want(SourceLinks) {
		c.bundleProcNetDev(dst, fr)
	}
	if fr.data != nil {
		t := &fr.data.Typed
		d.Links = append(d.Links, fr.data.Links...)
		d.Devices = append(d.Devices, t.Devices...)
		d.Qdiscs = append(d.Qdiscs, t.Qdiscs...)
		d.Classes = append(d.Classes, t.Classes...)
		d.UDP = append(d.UDP, t.UDP...)
		d.Sockets = append(d.Sockets, t.Sockets...)
		d.Drops = t.Drops
	} else {
		c.bundleSysfsLinks(dst, fr)
		if err := ctx.Err(); err != nil {
			return err
		}
		c.bundleProcUDP(dst, fr)
	}
	if want(SourceLinks) {
		appendLinks(dst, d.Links, c.device)
		appendProcNetDev(dst, &d.NetDev, d.Links, c.device)
	}
	for i := range d.Devices {
		dd := &d.Devices[i]
		if !c.device(dd.Name) {
			continue
		}
		if want(SourceEthtool) {
			appendEthtool(dst, dd, uint64(uint32(dd.Index)), nil)
		}
		if want(SourceDevices) && dd.HasSysfs {
			appendSysfs(dst, dd, uint64(uint32(dd.Index)))
		}
	}
	if want(SourceQdisc) {
		appendQdiscs(dst, d.Qdiscs, d.Classes, c.device)
	}
	if want(SourceUDP) {
		appendUDP(dst, d.UDP, map[netip.AddrPort]string{})
	}
	if want(SourceSockets) {
		appendOwn(dst, d.Sockets)
	}
	if want(SourceDropEvents) {
		appendDrops(dst, &d.Drops)
	}
	return nil
}

// reportProblems adds the extraction problems of the frame in directory
// fdir (and those of no frame) to dst.Errors, under the source that reads
// the member.
func (b *bundleData) reportProblems(dst *Snapshot, fdir string) {
	prefix := strings.TrimSuffix(filepath.ToSlash(filepath.Clean(fdir)), "/") + "/"
	for _, p := range b.problems {
		rel, inFrame := strings.CutPrefix(p.member, prefix)
		if !inFrame {
			if prefix != "./" && b.memberFrame(p.member) {
				continue // another frame's member
			}
			rel = p.member
		}
		dst.addErr(memberSource(rel), "bundle", p.err)
	}
}

// memberFrame reports whether an archive member lies in one of the frames.
func (b *bundleData) memberFrame(member string) bool {
	for _, f := range b.info.Frames {
		d := filepath.ToSlash(filepath.Clean(f.Dir))
		if d != "." && strings.HasPrefix(member, d+"/") {
			return true
		}
	}
	return false
}

// memberSource is the source that reads a frame-relative member path.
func memberSource(rel string) Source {
	switch {
	case strings.HasPrefix(rel, "proc/net/softnet_stat"):
		return SourceSoftnet
	case strings.HasPrefix(rel, "proc/net/snmp"):
		return SourceSNMP
	case strings.HasPrefix(rel, "proc/net/netstat"):
		return SourceNetstat
	case strings.HasPrefix(rel, "proc/softirqs"):
		return SourceSoftirqs
	case strings.HasPrefix(rel, "proc/sys/"):
		return SourceSysctls
	case strings.HasPrefix(rel, "proc/net/udp"):
		return SourceUDP
	case rel == "proc/net/dev", strings.Contains(rel, "/statistics/"):
		return SourceLinks
	case strings.HasPrefix(rel, "sys/"), strings.HasPrefix(rel, "proc/irq/"), strings.HasPrefix(rel, "proc/interrupts"):
		return SourceDevices
	case rel == "netlink.json":
		return SourceLinks | SourceEthtool | SourceQdisc | SourceUDP
	}
	return SourceAll
}

// bundleSysfsLinks reads link counters and device state from a proc/sys
// tree without netlink.json (e.g. a fixture copied from a live machine).
func (c *Collector) bundleSysfsLinks(dst *Snapshot, fr *bundleFrameData) {
	sys := nic.NewSysFS(fr.sys)
	devs, err := sys.DeviceNames()
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			dst.addErr(SourceLinks, "", err)
		}
		return
	}
	for i, name := range devs {
		st, err := sys.Stats(name)
		if err != nil {
			// A tree whose sysfs lacks statistics/ (a partial copy) while
			// proc/net/dev has the device reads its counters from there.
			if _, ok := dst.Sources.NetDev.Device(name); !ok || !errors.Is(err, os.ErrNotExist) {
				dst.addErr(SourceLinks, name, err)
			}
			continue
		}
		idx := int32(i + 1)
		if b, err := readfile.ReadFile(filepath.Join(fr.sys, "class", "net", name, "ifindex")); err == nil {
			var n int32
			if _, err := fmt.Sscan(strings.TrimSpace(string(b)), &n); err == nil {
				idx = n
			}
		}
		dst.Sources.Links = append(dst.Sources.Links, nic.Link{Index: idx, Name: name, Stats: st, HasStats: true})
		dd := DeviceData{Name: name, Index: idx}
		if dev, err := sys.Device(name); err == nil {
			dd.Sysfs, dd.HasSysfs = dev, true
		}
		dst.Sources.Devices = append(dst.Sources.Devices, dd)
	}
}

// bundleProcUDP reads the UDP socket table from proc/net/udp{,6} of a tree
// without netlink.json.
func (c *Collector) bundleProcUDP(dst *Snapshot, fr *bundleFrameData) {
	if c.cfg.Sources&SourceUDP == 0 {
		return
	}
	for _, f := range []procparse.UDPFile{procparse.FileUDP, procparse.FileUDP6} {
		t, err := fr.fs.UDP(f)
		if err != nil {
			if !errors.Is(err, os.ErrNotExist) {
				dst.addErr(SourceUDP, string(f), err)
			}
			continue
		}
		for _, s := range t.Sockets {
			u := udpFromProc(&s)
			dst.Sources.UDP = append(dst.Sources.UDP, u)
		}
	}
}

// bundleProcNetDev reads proc/net/dev of a frame into dst.Sources.NetDev,
// whose lines give the link counters of the devices that have none from
// rtnetlink (netlink.json) or sysfs (sys/class/net): a tree copied from
// /proc only, an old kernel's, or a namespace's /proc beside the host's
// /sys (see appendProcNetDev). A frame without the file is not an error:
// trees from older captures may lack it.
func (c *Collector) bundleProcNetDev(dst *Snapshot, fr *bundleFrameData) {
	v, err := fr.fs.NetDev()
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			dst.addErr(SourceLinks, "proc/net/dev", err)
		}
		return
	}
	dst.Sources.NetDev = v
}
