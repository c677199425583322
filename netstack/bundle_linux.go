package netstack

import (
	"context"
	"fmt"

	"github.com/packetpath/packetpath/bundle"
	"github.com/packetpath/packetpath/nic"
	"github.com/packetpath/packetpath/procparse"
)

// captureEthtool makes, for every wanted device, the ethtool requests of
// the live devices source, recording each reply (or errno).
func (c *Collector) captureEthtool(fw *bundle.FrameWriter, links []nic.Link) {
	cl, err := nic.Open(nic.Config{NetNS: c.cfg.NetNS, SysRoot: c.cfg.SysRoot, ProcRoot: c.cfg.ProcRoot})
	if err != nil {
		return
	}
	defer cl.Close()
	cl.RecordEthtool(func(dev, op string, reply []byte, err error) {
		fw.WriteEthtool(dev, op, reply, err)
	})
	for i := range links {
		dev := links[i].Name
		if !c.device(dev) {
			continue
		}
		cl.DriverInfo(dev)
		if st, err := cl.OpenStats(dev); err == nil {
			st.Read(nil)
			st.Close()
		}
		cl.Rings(dev)
		cl.Channels(dev)
	}
}

// replayDevices runs the live devices source (links, ethtool, sysfs) on a
// raw frame: its nic.Client answers from the recorded RTM_GETLINK dump and
// ethtool replies (nic.OpenReplay), and it reads the frame's sys/ and
// proc/ trees, so the same code decodes, reports errors and flattens as
// live.
func (s *replaySource) replayDevices(ctx context.Context, dst *Snapshot, fr *bundle.FrameData, fs procparse.FS) {
	c := s.c
	want := c.cfg.Sources & (SourceLinks | SourceEthtool | SourceDevices)
	dump, err := readDump(dst, fr, bundle.LinkDump, want, "links", rawMaxLinks)
	if err != nil {
		dst.addErr(want, "", fmt.Errorf("links: %w", err))
		return
	}
	cfg := c.cfg
	cfg.SysRoot, cfg.ProcRoot = fr.SysRoot(), fr.ProcRoot()
	fc := &Collector{cfg: cfg, perDevice: c.perDevice, missingDevs: c.missingDevs}
	cl := nic.OpenReplay(nic.Config{SysRoot: cfg.SysRoot, ProcRoot: cfg.ProcRoot}, dump, func(dev, op string, buf []byte) error {
		b, err := fr.EthtoolReply(dev, op)
		if err != nil {
			return err
		}
		if err := checkEthtoolReply(dev, op, b); err != nil {
			return err
		}
		copy(buf, b)
		return nil
	})
	ds := &devicesSource{c: fc, nic: cl, proc: fs, want: want, devs: map[string]*devState{}}
	if err := ds.collect(ctx, dst); err != nil {
		dst.Sources.clear(ds.kind())
		dst.addErr(ds.kind(), "", err)
	}
	ds.close()
}
