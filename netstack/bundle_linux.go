package netstack

import (
	"github.com/packetpath/packetpath/bundle"
	"github.com/packetpath/packetpath/nic"
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
