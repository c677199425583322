package netstack

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/packetpath/packetpath/bundle"
	"github.com/packetpath/packetpath/dropevents"
	"github.com/packetpath/packetpath/internal/netns"
	"github.com/packetpath/packetpath/nic"
	"github.com/packetpath/packetpath/procparse"
	"github.com/packetpath/packetpath/qdisc"
)

// A capture bundle (package bundle owns the format) holds what the library
// reads from the kernel: the /proc and sysfs files, and the rtnetlink,
// sock_diag and ethtool replies as the kernel sent them. A Collector reads
// one (Config.Bundle) by decoding those bytes with the decoders of the live
// sources; older bundles (decoded data in netlink.json) and bare proc trees
// still open. Without rtnetlink data or sys/class/net, the link counters
// come from proc/net/dev (see appendProcNetDev); every frame WriteBundle
// writes holds that file too.

// BundleFormat identifies the bundle layout WriteBundle writes.
const BundleFormat = bundle.Format

// BundleInfo is bundle.json.
type BundleInfo = bundle.Info

// BundleFrame is one capture of the stack.
type BundleFrame = bundle.Frame

// ErrNotBundle is wrapped by the error for a Config.Bundle that is neither
// a bundle nor a proc tree.
var ErrNotBundle = bundle.ErrNotBundle

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

// sourcesFile holds, in a frame, the data that does not come from the
// kernel's files or sockets: the collector's own sockets (Collector.
// AddSocket) and the drop-event counts, as decoded.
const sourcesFile = "sources.json"

type frameExtra struct {
	Sockets []OwnSocket       `json:"sockets,omitempty"`
	Drops   dropevents.Counts `json:"drops"`
}

// WriteBundle captures the collector's namespace into dir as a bundle of
// opts.Frames frames, opts.Interval apart: the /proc and sysfs files the
// library reads, the RTM_GETLINK, RTM_GETQDISC, RTM_GETTCLASS and UDP
// sock_diag dumps as the kernel sent them, and the replies to the ethtool
// requests the collector makes. A dir ending in .tar.gz is written as a
// compressed archive instead.
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
	info := BundleInfo{Created: c.now().UTC(), NetNS: c.cfg.NetNS}
	info.Hostname, _ = os.Hostname()
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		info.Kernel = strings.TrimSpace(string(b))
	}
	w, err := bundle.Create(dir, info)
	if err != nil {
		return fmt.Errorf("netstack: %w", err)
	}
	var snap Snapshot
	for i := range opts.Frames {
		if i > 0 {
			select {
			case <-ctx.Done():
				w.Abort()
				return ctx.Err()
			case <-time.After(opts.Interval):
			}
		}
		if err := c.Collect(ctx, &snap); err != nil {
			w.Abort()
			return err
		}
		if err := c.writeFrame(ctx, w.Frame(snap.Time), &snap); err != nil {
			w.Abort()
			return err
		}
	}
	return w.Close()
}

func (c *Collector) writeFrame(ctx context.Context, fw *bundle.FrameWriter, snap *Snapshot) error {
	want := func(s Source) bool { return c.cfg.Sources&s != 0 }
	var links []nic.Link
	// /proc files and sockets: inside the namespace (net/ is per namespace).
	err := netns.Do(c.cfg.NetNS, func() error {
		fs, err := procparse.NewFS(c.cfg.ProcRoot)
		if err != nil {
			return err
		}
		for _, f := range bundleNetFiles {
			fw.CopyFile(fs.NetPath(f), "proc/net/"+f)
		}
		for _, f := range bundleProcFiles {
			fw.CopyFile(fs.Path(f), "proc/"+f)
		}
		for _, name := range procparse.SysctlNames() {
			rel := "sys/" + strings.ReplaceAll(name, ".", "/")
			fw.CopyFile(fs.Path(filepath.FromSlash(rel)), "proc/"+rel)
		}
		irqs, _ := filepath.Glob(fs.Path("irq", "*"))
		for _, d := range irqs {
			for _, f := range []string{"smp_affinity_list", "effective_affinity_list", "smp_affinity", "effective_affinity"} {
				fw.CopyFile(filepath.Join(d, f), "proc/irq/"+filepath.Base(d)+"/"+f)
			}
		}
		links, err = c.captureDumps(ctx, fw)
		return err
	})
	if err != nil {
		return fmt.Errorf("netstack: capturing the namespace: %w", err)
	}
	if want(SourceEthtool) {
		c.captureEthtool(fw, links)
	}
	// sysfs describes the namespace that mounted it: copy it only when the
	// collector reads it (see Config.SysRoot).
	if want(SourceDevices) {
		for i := range links {
			c.copyDevice(fw, links[i].Name)
		}
	}
	if want(SourceSockets | SourceDropEvents) {
		b, err := json.Marshal(&frameExtra{Sockets: snap.Sources.Sockets, Drops: snap.Sources.Drops})
		if err != nil {
			return fmt.Errorf("netstack: encoding %s: %w", sourcesFile, err)
		}
		if err := fw.WriteFile(sourcesFile, b); err != nil {
			return fmt.Errorf("netstack: %w", err)
		}
	}
	return nil
}

// captureDumps records the netlink dumps the live sources make, through
// bundle.Dump (internal/nl, the live sources' layer). It runs inside the
// namespace.
func (c *Collector) captureDumps(ctx context.Context, fw *bundle.FrameWriter) ([]nic.Link, error) {
	want := func(s Source) bool { return c.cfg.Sources&s != 0 }
	var links []nic.Link
	// record writes what the kernel answered, a refusal (NLMSG_ERROR)
	// included, for the replay to decode as the live source would; a dump
	// that could not be made at all (no socket) leaves the file out, which
	// the replay reports. Only a done ctx stops the capture.
	record := func(proto int, rel string, reqs ...[]byte) ([]byte, error) {
		var b []byte
		for _, r := range reqs {
			b, _ = bundle.Dump(ctx, proto, r, b)
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		if len(b) == 0 {
			return nil, nil
		}
		return b, fw.WriteFile(rel, b)
	}
	if want(SourceLinks | SourceEthtool | SourceDevices | SourceQdisc) {
		b, err := record(bundle.Route, bundle.LinkDump, bundle.LinkRequest())
		if err != nil {
			return nil, err
		}
		links, _ = nic.DecodeLinks(b, nil)
	}
	if want(SourceQdisc) {
		b, err := record(bundle.Route, bundle.QdiscDump, bundle.QdiscRequest())
		if err != nil {
			return nil, err
		}
		qs, _ := qdisc.DecodeQdiscs(b, nil)
		var cerr error
		classfulDevices(qs, func(idx int, _ string) {
			if cerr == nil {
				_, cerr = record(bundle.Route, bundle.ClassDump(idx), bundle.ClassRequest(idx))
			}
		})
		if cerr != nil {
			return nil, cerr
		}
	}
	if want(SourceUDP) {
		if _, err := record(bundle.SockDiag, bundle.UDPDump, bundle.UDPRequest(bundle.IPv4), bundle.UDPRequest(bundle.IPv6)); err != nil {
			return nil, err
		}
	}
	return links, nil
}

// copyDevice copies /sys/class/net/DEV: its attributes, statistics and
// queues, and the bus device's numa_node, driver link and msi_irqs.
func (c *Collector) copyDevice(fw *bundle.FrameWriter, dev string) {
	src := c.sysPath("class", "net", dev)
	dst := "sys/class/net/" + dev + "/"
	for _, f := range []string{"speed", "duplex", "carrier", "carrier_changes", "mtu", "operstate", "tx_queue_len", "ifindex", "address", "flags", "type"} {
		fw.CopyFile(filepath.Join(src, f), dst+f)
	}
	for _, sub := range []string{"statistics", "queues"} {
		filepath.WalkDir(filepath.Join(src, sub), func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return nil
			}
			rel, _ := filepath.Rel(src, p)
			fw.CopyFile(p, dst+filepath.ToSlash(rel))
			return nil
		})
	}
	bus, err := filepath.EvalSymlinks(filepath.Join(src, "device"))
	if err != nil {
		return
	}
	busDst := "sys/devices/" + filepath.Base(bus) + "/"
	fw.CopyFile(filepath.Join(bus, "numa_node"), busDst+"numa_node")
	if drv, err := os.Readlink(filepath.Join(bus, "driver")); err == nil {
		os.MkdirAll(filepath.Join(fw.Dir(), "sys", "bus", "drivers", filepath.Base(drv)), 0o755)
		fw.Symlink(filepath.Join("..", "..", "bus", "drivers", filepath.Base(drv)), busDst+"driver")
	}
	for _, d := range []string{bus, filepath.Dir(bus)} {
		ents, err := os.ReadDir(filepath.Join(d, "msi_irqs"))
		if err != nil {
			continue
		}
		for _, e := range ents {
			fw.CopyFile(filepath.Join(d, "msi_irqs", e.Name()), busDst+"msi_irqs/"+e.Name())
		}
		break
	}
	fw.Symlink(filepath.Join("..", "..", "..", "devices", filepath.Base(bus)), dst+"device")
}
