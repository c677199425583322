package netstack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/packetpath/packetpath/bundle"
	"github.com/packetpath/packetpath/internal/readfile"
	"github.com/packetpath/packetpath/nic"
	"github.com/packetpath/packetpath/procparse"
	"github.com/packetpath/packetpath/qdisc"
	"github.com/packetpath/packetpath/udptable"
)

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
	cfg.applyDefaults()
	c := &Collector{cfg: cfg, now: time.Now}
	c.setupDevices()
	c.unread = SourceAll &^ cfg.Sources
	if cfg.Sources&(SourceLinks|SourceEthtool|SourceDevices) != 0 {
		c.unread &^= SourceLinks | SourceEthtool | SourceDevices
	}
	if err := c.openBundleContext(ctx); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *Collector) openBundle() error { return c.openBundleContext(context.Background()) }

// openBundleContext opens c.cfg.Bundle (bundle.OpenBundle) and makes its
// replay the collector's only source.
func (c *Collector) openBundleContext(ctx context.Context) error {
	b, err := bundle.OpenBundle(ctx, c.cfg.Bundle)
	if err != nil {
		return fmt.Errorf("netstack: %w", err)
	}
	rs := &replaySource{c: c, b: b, legacyFrame: -1}
	c.bundle = b
	c.sources = []source{rs}
	return nil
}

// Info returns the bundle's description when the collector reads one.
func (c *Collector) Info() (BundleInfo, bool) {
	if c.bundle == nil {
		return BundleInfo{}, false
	}
	return c.bundle.Info(), true
}

// replaySource reads the frames of a bundle, one per collection, in order,
// staying on the last. The /proc files are read by the live sources'
// readers opened on the frame's proc tree; the recorded netlink dumps and
// ethtool replies are decoded by the decoders the live sources use, and
// flattened by the same functions. A frame of an older bundle gives its
// decoded netlink.json instead; a bare tree its sysfs and proc/net/udp.
// Every failure is reported in the snapshot's Errors, as live: a file
// missing where the kernel always has it, that cannot be read or decoded,
// and every archive member left out at extraction.
type replaySource struct {
	c    *Collector
	b    *bundle.Bundle
	next int
	// legacy is the decoded netlink.json of FormatV1 frame legacyFrame
	// (decodeLegacy, with bounded counts), decoded when the frame is
	// first collected and kept while the collector stays on it; cuts are
	// the bounds it hit and legacyErr why it could not be decoded, both
	// reported with every collection of the frame.
	legacyFrame int
	legacy      *frameData
	cuts        []SourceError
	legacyErr   error
}

// frameLegacy returns the decoded netlink.json of frame fi (nil for a raw
// frame or a tree without one), decoding it unless it is the last decoded.
func (s *replaySource) frameLegacy(fi int, fr *bundle.FrameData) *frameData {
	if fi != s.legacyFrame {
		s.legacyFrame, s.legacy, s.cuts, s.legacyErr = fi, nil, nil, nil
		if !fr.Raw() {
			fd, cuts, ok, err := decodeLegacy(fr)
			if ok {
				s.legacy = fd
			}
			s.cuts, s.legacyErr = cuts, err
		}
	}
	return s.legacy
}

func (s *replaySource) kind() Source { return 0 }

func (s *replaySource) close() error { return s.b.Close() }

func (s *replaySource) collect(ctx context.Context, dst *Snapshot) error {
	c := s.c
	frames := s.b.Frames()
	fi := s.next
	fr := &frames[fi]
	if s.next < len(frames)-1 {
		s.next++
	}
	legacy := s.frameLegacy(fi, fr)
	dst.Time = time.Time{}
	switch {
	case !fr.Time.IsZero():
		dst.Time = fr.Time
	case legacy != nil:
		dst.Time = legacy.Time
	}
	for _, p := range s.b.Problems(fi) {
		dst.addErr(memberSource(p.Member), "bundle", p.Err)
	}
	if s.legacyErr != nil {
		dst.addErr(memberSource(bundle.LegacyFile), bundle.LegacyFile, s.legacyErr)
	}
	dst.Errors = append(dst.Errors, s.cuts...)
	want := func(src Source) bool { return c.cfg.Sources&src != 0 }
	fs, err := procparse.NewFS(fr.ProcRoot())
	if err != nil {
		return fmt.Errorf("bundle %s frame %s: %w", c.cfg.Bundle, fr.Dir, err)
	}
	for _, p := range openProcSources(fs, c.cfg.Sources) {
		if err := ctx.Err(); err != nil {
			p.close()
			return err
		}
		if err := p.collect(ctx, dst); err != nil {
			dst.Sources.clear(p.kind())
			dst.addErr(p.kind(), "", err)
		}
		p.close()
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	d := &dst.Sources
	if want(SourceLinks) {
		replayProcNetDev(dst, fs)
	}
	switch {
	case fr.Raw():
		s.replayRaw(ctx, dst, fr, fs)
	case legacy != nil:
		t := &legacy.Typed
		d.Links = append(d.Links, legacy.Links...)
		d.Devices = append(d.Devices, t.Devices...)
		d.Qdiscs = append(d.Qdiscs, t.Qdiscs...)
		d.Classes = append(d.Classes, t.Classes...)
		d.UDP = append(d.UDP, t.UDP...)
		d.Sockets = append(d.Sockets, t.Sockets...)
		d.Drops = t.Drops
	default:
		c.bundleSysfsLinks(dst, fr)
		if err := ctx.Err(); err != nil {
			return err
		}
		c.bundleProcUDP(dst, fs)
	}
	// A raw frame's devices source flattened its links and devices.
	raw := fr.Raw()
	if want(SourceLinks) {
		if !raw {
			appendLinks(dst, d.Links, c.device)
		}
		appendProcNetDev(dst, &d.NetDev, d.Links, c.device)
	}
	for i := range d.Devices {
		if raw {
			break
		}
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

// openProcSources opens the live /proc sources on fs (a frame's proc tree);
// one that cannot be opened reports its error at collection, as live.
func openProcSources(fs procparse.FS, want Source) []source {
	var out []source
	add := func(src Source, s source, err error) {
		if err != nil {
			out = append(out, failedSource{src, err})
			return
		}
		out = append(out, s)
	}
	if want&SourceSoftnet != 0 {
		r, err := fs.SoftnetStatReader()
		add(SourceSoftnet, &softnetSource{r: r}, err)
	}
	if want&SourceSNMP != 0 {
		// snmp6 is read even when snmp is not (a tree may break one
		// file), and is absent without IPv6.
		s := &mibSource{}
		var err error
		s.snmp, err = fs.SNMPReader()
		r6, err6 := fs.SNMP6Reader()
		if err6 != nil && !errors.Is(err6, os.ErrNotExist) {
			out = append(out, failedSource{SourceSNMP, err6})
		}
		if err != nil {
			out = append(out, failedSource{SourceSNMP, err})
			s.snmp = nil
		}
		if err6 == nil {
			s.snmp6 = r6
		}
		if s.snmp != nil || s.snmp6 != nil {
			out = append(out, s)
		}
	}
	if want&SourceNetstat != 0 {
		r, err := fs.NetstatReader()
		add(SourceNetstat, &mibSource{netstat: r}, err)
	}
	if want&SourceSoftirqs != 0 {
		r, err := fs.SoftirqsReader()
		add(SourceSoftirqs, &softirqSource{r: r}, err)
	}
	if want&SourceSysctls != 0 {
		s, err := openSysctlSource(fs)
		add(SourceSysctls, s, err)
	}
	return out
}

// replayRaw decodes a frame's recorded kernel bytes into dst.Sources: the
// link dump (with the frame's sysfs and ethtool replies per device), the
// qdisc and class dumps and the UDP sock_diag dumps. A dump that fails to
// decode is reported under its source and the data decoded before the
// failure kept, as live.
func (s *replaySource) replayRaw(ctx context.Context, dst *Snapshot, fr *bundle.FrameData, fs procparse.FS) {
	c := s.c
	want := func(src Source) bool { return c.cfg.Sources&src != 0 }
	d := &dst.Sources
	switch {
	case want(SourceLinks | SourceEthtool | SourceDevices):
		s.replayDevices(ctx, dst, fr, fs)
	case want(SourceQdisc):
		// The qdisc source names devices from the link dump.
		if b, err := readDump(dst, fr, bundle.LinkDump, SourceQdisc, "links", rawMaxLinks); err == nil {
			d.Links, _ = nic.DecodeLinks(b, d.Links[:0])
		}
	}
	if want(SourceQdisc) && ctx.Err() == nil {
		s.replayQdiscs(dst, fr)
	}
	if want(SourceUDP) && ctx.Err() == nil {
		b, err := readDump(dst, fr, bundle.UDPDump, SourceUDP, "UDP sockets", rawMaxUDP)
		if err == nil {
			d.UDP, err = udptable.DecodeUDPSockets(d.UDP[:0], b, udptable.ProtocolUDP)
		}
		if err != nil {
			dst.addErr(SourceUDP, "", err)
		}
		if ports := c.cfg.UDPPorts; len(ports) > 0 {
			d.UDP = slices.DeleteFunc(d.UDP, func(u udptable.UDPSocket) bool {
				return !slices.Contains(ports, u.Local.Port())
			})
		}
	}
	if want(SourceSockets|SourceDropEvents) && fr.Has(sourcesFile) {
		b, err := fr.ReadFile(sourcesFile)
		var x frameExtra
		if err == nil {
			err = json.Unmarshal(b, &x)
		}
		if err != nil {
			dst.addErr(SourceSockets|SourceDropEvents, sourcesFile, err)
		}
		d.Sockets = append(d.Sockets, x.Sockets...)
		d.Drops = x.Drops
	}
}

// replayQdiscs decodes the qdisc dump and the class dumps of the wanted
// devices with a classful qdisc, naming devices from the link dump.
func (s *replaySource) replayQdiscs(dst *Snapshot, fr *bundle.FrameData) {
	d := &dst.Sources
	b, err := readDump(dst, fr, bundle.QdiscDump, SourceQdisc, "qdiscs", rawMaxQdiscs)
	if err == nil {
		d.Qdiscs, err = qdisc.DecodeQdiscs(b, d.Qdiscs[:0])
	}
	if err != nil {
		dst.addErr(SourceQdisc, "", err)
	}
	qs := d.Qdiscs
	namesFromLinks(qs, d.Links)
	d.Classes = d.Classes[:0]
	classfulDevices(qs, func(idx int, dev string) {
		if !s.c.device(dev) {
			return
		}
		b, err := readDump(dst, fr, bundle.ClassDump(idx), SourceQdisc, "classes of "+dev, rawMaxQdiscs)
		if errors.Is(err, os.ErrNotExist) {
			return // the device vanished between the dumps
		}
		n := len(d.Classes)
		var got []qdisc.Class
		if err == nil {
			got, err = qdisc.DecodeClasses(b, d.Classes[n:n])
		}
		if err != nil {
			dst.addErr(SourceQdisc, dev, err)
		}
		d.Classes = append(d.Classes[:n], got...)
		for j := n; j < len(d.Classes); j++ {
			d.Classes[j].Device = dev
		}
	})
}

// classfulDevices calls fn with the ifindex and name of every device with
// a classful qdisc (qdisc.Classless), in dump order: the devices whose
// classes the qdisc source dumps. A device's qdiscs arrive together.
func classfulDevices(qs []qdisc.Qdisc, fn func(ifindex int, dev string)) {
	for i := 0; i < len(qs); {
		idx, dev := qs[i].Ifindex, qs[i].Device
		classful := false
		for ; i < len(qs) && qs[i].Ifindex == idx; i++ {
			classful = classful || !qdisc.Classless(qs[i].Kind)
		}
		if classful {
			fn(idx, dev)
		}
	}
}

// frameData is netlink.json of a FormatV1 frame: decoded data.
type frameData struct {
	Time   time.Time  `json:"time"`
	Links  []nic.Link `json:"links,omitempty"`
	Typed  SourceData `json:"sources"`
	Errors []string   `json:"errors,omitempty"`
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
	case rel == "netlink.json", strings.HasPrefix(rel, "netlink/"):
		return SourceLinks | SourceEthtool | SourceQdisc | SourceUDP
	case strings.HasPrefix(rel, "ethtool/"):
		return SourceEthtool
	}
	return SourceAll
}

// bundleSysfsLinks reads link counters and device state from a proc/sys
// tree without netlink.json (e.g. a fixture copied from a live machine).
func (c *Collector) bundleSysfsLinks(dst *Snapshot, fr *bundle.FrameData) {
	sys := nic.NewSysFS(fr.SysRoot())
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
		if b, err := readfile.ReadFile(filepath.Join(fr.SysRoot(), "class", "net", name, "ifindex")); err == nil {
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
func (c *Collector) bundleProcUDP(dst *Snapshot, fs procparse.FS) {
	if c.cfg.Sources&SourceUDP == 0 {
		return
	}
	for _, f := range []procparse.UDPFile{procparse.FileUDP, procparse.FileUDP6} {
		t, err := fs.UDP(f)
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

// replayProcNetDev reads proc/net/dev of a frame into dst.Sources.NetDev,
// whose lines give the link counters of the devices that have none from
// rtnetlink or sysfs (sys/class/net): a tree copied from /proc only, an
// old kernel's, or a namespace's /proc beside the host's /sys (see
// appendProcNetDev). A frame without the file is not an error: trees from
// older captures may lack it.
func replayProcNetDev(dst *Snapshot, fs procparse.FS) {
	v, err := fs.NetDev()
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			dst.addErr(SourceLinks, "proc/net/dev", err)
		}
		return
	}
	dst.Sources.NetDev = v
}
