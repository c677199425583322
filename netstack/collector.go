package netstack

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/packetpath/packetpath/bundle"
	"github.com/packetpath/packetpath/dropevents"
	"github.com/packetpath/packetpath/internal/netns"
	"github.com/packetpath/packetpath/nic"
	"github.com/packetpath/packetpath/procparse"
)

// Config says what a Collector reads and where.
type Config struct {
	// NetNS is the network namespace to describe, as a path
	// (/var/run/netns/NAME or /proc/PID/ns/net). Empty means the caller's.
	// The Collector opens its files and sockets inside the namespace; the
	// rest of the program stays where it is.
	NetNS string
	// ProcRoot is the procfs mount to read (default /proc). A host /proc
	// mounted into a container, e.g. /host/proc, works too.
	ProcRoot string
	// SysRoot is the sysfs mount to read (default /sys). sysfs shows the
	// devices of the namespace that mounted it: for another namespace's
	// per-device sysfs data (SourceDevices: queues, BQL, IRQs), mount sysfs
	// inside it and point SysRoot there. With NetNS set and SysRoot empty,
	// SourceDevices is skipped, because the host's /sys would describe the
	// host's devices of the same names (every namespace has an "lo").
	SysRoot string
	// Bundle, when set, reads a capture bundle (see WriteBundle) instead of
	// the live kernel: proc/ and sys/ trees plus recorded netlink and
	// ethtool data. NetNS, ProcRoot and SysRoot are then ignored.
	Bundle string
	// Sources selects what to collect; 0 means every source except
	// SourceDropEvents (which needs root and a DropEvents reader).
	Sources Source
	// Devices limits per-device sources (links, devices, ethtool, qdisc) to
	// these names; nil means every device. A name that no device of the
	// namespace has is reported in every snapshot's Errors (Object = the
	// name, the error wrapping os.ErrNotExist), once per collection.
	Devices []string
	// DropEvents configures the kernel drop-event counters read when
	// Sources includes SourceDropEvents (root or CAP_PERFMON needed).
	DropEvents dropevents.Config
	// UDPPorts limits the UDP socket table to sockets bound to these local
	// ports (filtered in the kernel); nil means every socket.
	UDPPorts []uint16
}

// Collector takes snapshots of the stack. It keeps its files and netlink
// sockets open between collections, so a collection re-reads them without
// re-opening. A Collector is not safe for concurrent use; Close releases it.
type Collector struct {
	cfg     Config
	sources []source
	bundle  *bundle.Bundle
	now     func() time.Time
	own     ownSockets
	// unread is the sources whose typed data Collect empties because the
	// collector never fills it.
	unread Source
	// perDevice is the selected per-device sources; missingDevs holds the
	// error reported for each name of cfg.Devices that no device has.
	perDevice   Source
	missingDevs []error
	// ns identifies the namespace the collector opened (cfg.NetNS), to
	// notice when that path stops naming it.
	ns *nsIdentity
}

// source is one data source of a Collector.
type source interface {
	// kind is the Source bit the source answers for.
	kind() Source
	collect(ctx context.Context, snap *Snapshot) error
	close() error
}

// NewCollector opens every selected source. A source that cannot be opened
// (a missing file, a kernel without a feature, no permission) does not fail
// the collector: it is reported in every snapshot's Errors, and the other
// sources are collected. NewCollector fails only for a bad configuration
// (a namespace or bundle that does not exist).
func NewCollector(cfg Config) (*Collector, error) {
	hostSys := cfg.SysRoot == "" && cfg.NetNS != "" && cfg.Bundle == ""
	cfg.applyDefaults()
	if hostSys {
		// The host's /sys would describe the host's devices.
		cfg.Sources &^= SourceDevices
	}
	c := &Collector{cfg: cfg, now: time.Now}
	c.setupDevices()
	c.unread = SourceAll &^ cfg.Sources
	if cfg.Sources&(SourceLinks|SourceEthtool|SourceDevices) != 0 {
		c.unread &^= SourceLinks | SourceEthtool | SourceDevices
	}
	if cfg.Bundle != "" {
		if err := c.openBundle(); err != nil {
			return nil, err
		}
		return c, nil
	}
	if cfg.NetNS != "" {
		if _, err := os.Stat(cfg.NetNS); err != nil {
			return nil, fmt.Errorf("netstack: namespace %s: %w", cfg.NetNS, err)
		}
	}
	var opened []source
	err := netns.Do(cfg.NetNS, func() error {
		if cfg.NetNS != "" {
			c.ns = openNSIdentity(cfg.NetNS)
		}
		fs, err := procparse.NewFS(cfg.ProcRoot)
		if err != nil {
			return err
		}
		opened = c.openLive(fs)
		return nil
	})
	if err != nil {
		for _, s := range opened {
			s.close()
		}
		return nil, fmt.Errorf("netstack: %w", err)
	}
	c.sources = opened
	if cfg.NetNS != "" {
		c.openMachineSysctls()
	}
	return c, nil
}

// openMachineSysctls gives the sysctl source of a collector that looks into
// another namespace a reader of the caller's sysctls, for the machine-wide
// ones that only the initial namespace shows (see sysctlSource.machine).
func (c *Collector) openMachineSysctls() {
	for _, s := range c.sources {
		ss, ok := s.(*sysctlSource)
		if !ok {
			continue
		}
		fs, err := procparse.NewFS(c.cfg.ProcRoot)
		if err != nil {
			return
		}
		r, err := fs.SysctlsReader()
		if err != nil {
			return
		}
		// Only what the namespace lacks: the machine-wide sysctls of this
		// kernel, none when NetNS is the caller's own namespace.
		if r.Restrict(func(name string) bool { return !ss.r.Has(name) }) == 0 {
			r.Close()
			return
		}
		ss.machine = r
	}
}

// applyDefaults fills the fields a zero Config leaves to NewCollector:
// every source but SourceDropEvents, /proc and /sys.
func (cfg *Config) applyDefaults() {
	if cfg.Sources == 0 {
		cfg.Sources = SourceAll &^ SourceDropEvents
	}
	if cfg.ProcRoot == "" {
		cfg.ProcRoot = procparse.DefaultRoot
	}
	if cfg.SysRoot == "" {
		cfg.SysRoot = "/sys"
	}
}

// failedSource stands in for a source that could not be opened: it reports
// the open error at every collection.
type failedSource struct {
	src Source
	err error
}

func (f failedSource) kind() Source                             { return f.src }
func (f failedSource) collect(context.Context, *Snapshot) error { return f.err }
func (f failedSource) close() error                             { return nil }

// openLive opens the live sources. It runs inside the target namespace.
func (c *Collector) openLive(fs procparse.FS) []source {
	var out []source
	want := func(s Source) bool { return c.cfg.Sources&s != 0 }
	add := func(src Source, s source, err error) {
		if err != nil {
			out = append(out, failedSource{src, err})
			return
		}
		out = append(out, s)
	}
	if want(SourceSoftnet) {
		r, err := fs.SoftnetStatReader()
		add(SourceSoftnet, &softnetSource{r: r}, err)
	}
	if want(SourceSNMP) {
		s := &mibSource{}
		var err error
		s.snmp, err = fs.SNMPReader()
		if err == nil {
			s.snmp6, _ = fs.SNMP6Reader() // absent without IPv6
		}
		add(SourceSNMP, s, err)
	}
	if want(SourceNetstat) {
		r, err := fs.NetstatReader()
		add(SourceNetstat, &mibSource{netstat: r}, err)
	}
	if want(SourceSoftirqs) {
		r, err := fs.SoftirqsReader()
		add(SourceSoftirqs, &softirqSource{r: r}, err)
	}
	if want(SourceSysctls) {
		s, err := openSysctlSource(fs)
		add(SourceSysctls, s, err)
	}
	out = append(out, c.openDeviceSources(fs)...)
	if want(SourceDropEvents) {
		out = append(out, openDropSource(c.cfg.DropEvents))
	}
	if want(SourceSockets) {
		out = append(out, ownSource{c})
	}
	return out
}

// Collect takes a snapshot into dst, reusing its memory. Source failures
// are recorded in dst.Errors and do not stop the other sources; the typed
// data of a source that failed, and of every source the collector does not
// read, is left empty (dst.Sources), whatever dst held before. Collect
// returns an error only when ctx is done.
func (c *Collector) Collect(ctx context.Context, dst *Snapshot) error {
	dst.Time = c.now()
	dst.NetNS = c.cfg.NetNS
	dst.NetNSDetached = false
	dst.Bundle = c.cfg.Bundle
	dst.Counters = dst.Counters[:0]
	dst.Errors = dst.Errors[:0]
	dst.Sources.reset()
	dst.Sources.clear(c.unread)
	if c.bundle != nil {
		err := c.sources[0].collect(ctx, dst) // the replay (replaySource)
		dst.Duration = 0
		return err
	}
	if c.ns != nil {
		c.ns.check(dst)
	}
	for _, s := range c.sources {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := s.collect(ctx, dst); err != nil {
			// Neither the previous collection's data nor a parser's
			// partial output stays behind.
			dst.Sources.clear(s.kind())
			dst.addErr(s.kind(), "", err)
		}
	}
	dst.Duration = c.now().Sub(dst.Time)
	return nil
}

// Snapshot takes a new snapshot (allocating it).
func (c *Collector) Snapshot(ctx context.Context) (*Snapshot, error) {
	s := new(Snapshot)
	if err := c.Collect(ctx, s); err != nil {
		return nil, err
	}
	return s, nil
}

// Close releases every source.
func (c *Collector) Close() error {
	var errs []error
	for _, s := range c.sources {
		if err := s.close(); err != nil {
			errs = append(errs, err)
		}
	}
	c.sources = nil
	return errors.Join(errs...)
}

// setupDevices prepares the errors for names of cfg.Devices that no device
// has, one per name, made once so that reporting them allocates nothing.
func (c *Collector) setupDevices() {
	c.perDevice = c.cfg.Sources & (SourceLinks | SourceEthtool | SourceDevices | SourceQdisc)
	c.missingDevs = make([]error, len(c.cfg.Devices))
	for i, name := range c.cfg.Devices {
		c.missingDevs[i] = fmt.Errorf("netstack: device %q of Config.Devices: no such device in the namespace: %w", name, os.ErrNotExist)
	}
}

// reportMissing adds an error to snap for every name of cfg.Devices that is
// not among the link dump's devices.
func (c *Collector) reportMissing(snap *Snapshot, links []nic.Link) {
	for i, name := range c.cfg.Devices {
		found := false
		for j := range links {
			if links[j].Name == name {
				found = true
				break
			}
		}
		if !found {
			snap.Errors = append(snap.Errors, SourceError{Source: c.perDevice, Object: name, Err: c.missingDevs[i]})
		}
	}
}

func (c *Collector) device(name string) bool {
	return c.cfg.Devices == nil || slices.Contains(c.cfg.Devices, name)
}

func (c *Collector) sysPath(elem ...string) string {
	return filepath.Join(append([]string{c.cfg.SysRoot}, elem...)...)
}
