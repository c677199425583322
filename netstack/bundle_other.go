//go:build !linux

package netstack

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/packetpath/packetpath/bundle"
	"github.com/packetpath/packetpath/nic"
	"github.com/packetpath/packetpath/procparse"
)

// captureEthtool records nothing: the ethtool ioctl is Linux's.
func (c *Collector) captureEthtool(*bundle.FrameWriter, []nic.Link) {}

// replayDevices decodes a raw frame's link dump and each wanted device's
// recorded ethtool replies and sysfs tree, and flattens them. Linux runs
// the live devices source over nic.OpenReplay instead; here, without the
// ethtool code, the replies go to nic's decoders directly.
func (s *replaySource) replayDevices(_ context.Context, dst *Snapshot, fr *bundle.FrameData, fs procparse.FS) {
	c := s.c
	want := func(src Source) bool { return c.cfg.Sources&src != 0 }
	d := &dst.Sources
	{
		b, err := readDump(dst, fr, bundle.LinkDump, SourceLinks|SourceEthtool|SourceDevices, "links", rawMaxLinks)
		if err == nil {
			d.Links, err = nic.DecodeLinks(b, d.Links[:0])
		}
		if err != nil {
			dst.addErr(SourceLinks|SourceEthtool|SourceDevices, "", fmt.Errorf("links: %w", err))
		} else if c.cfg.Devices != nil {
			c.reportMissing(dst, d.Links)
		}
	}
	if want(SourceEthtool | SourceDevices) {
		sys := nic.NewSysFS(fr.SysRoot())
		for i := range d.Links {
			l := &d.Links[i]
			if !c.device(l.Name) {
				continue
			}
			dd := DeviceData{Name: l.Name, Index: l.Index}
			if want(SourceEthtool) {
				replayEthtool(dst, fr, &dd)
			}
			if want(SourceDevices) {
				if dev, err := sys.Device(l.Name); err == nil {
					dd.Sysfs, dd.HasSysfs = dev, true
				} else if !errors.Is(err, os.ErrNotExist) {
					dst.addErr(SourceDevices, l.Name, err)
				}
				if irqs, err := nic.DeviceIRQs(sys, fs, l.Name); err == nil {
					dd.IRQs = irqs
				}
			}
			d.Devices = append(d.Devices, dd)
		}
	}
	if want(SourceLinks) {
		appendLinks(dst, d.Links, c.device)
	}
	for i := range d.Devices {
		dd := &d.Devices[i]
		if want(SourceEthtool) {
			appendEthtool(dst, dd, uint64(uint32(dd.Index)), nil)
		}
		if want(SourceDevices) && dd.HasSysfs {
			appendSysfs(dst, dd, uint64(uint32(dd.Index)))
		}
	}
}

// replayEthtool decodes a device's recorded ethtool replies: what a
// device does not support is no error, as live.
func replayEthtool(dst *Snapshot, fr *bundle.FrameData, dd *DeviceData) {
	dev := dd.Name
	report := func(err error) {
		if err != nil && !isUnsupported(err) {
			dst.addErr(SourceEthtool, dev, err)
		}
	}
	b, err := fr.EthtoolReply(dev, bundle.EthtoolDrvInfo)
	if err == nil {
		dd.Driver, err = nic.DecodeDriverInfo(b)
	}
	dd.HasDriver = err == nil
	report(err)
	if b, err := fr.EthtoolReply(dev, bundle.EthtoolStrings); err == nil {
		names, err := nic.DecodeStrings(b, nil)
		var vals []uint64
		if err == nil {
			b, err = fr.EthtoolReply(dev, bundle.EthtoolStats)
			if err == nil {
				vals, err = nic.DecodeStats(b, nil)
			}
		}
		if err == nil && len(vals) != len(names) {
			err = fmt.Errorf("nic: %q returned %d statistics, expected %d: %w", dev, len(vals), len(names), nic.ErrStatsChanged)
		}
		if err == nil {
			dd.StatNames, dd.StatValues = names, vals
		}
		report(err)
	} else if _, serr := fr.EthtoolReply(dev, bundle.EthtoolSSetInfo); serr != nil && !errors.Is(serr, os.ErrNotExist) {
		report(serr)
	}
	if b, err := fr.EthtoolReply(dev, bundle.EthtoolRings); err == nil {
		dd.Rings, err = nic.DecodeRings(b)
		dd.HasRings = err == nil
		report(err)
	} else if !errors.Is(err, os.ErrNotExist) {
		report(err)
	}
	if b, err := fr.EthtoolReply(dev, bundle.EthtoolChannels); err == nil {
		dd.Channels, err = nic.DecodeChannels(b)
		dd.HasChannels = err == nil
		report(err)
	} else if !errors.Is(err, os.ErrNotExist) {
		report(err)
	}
}
