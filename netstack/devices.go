package netstack

import "github.com/packetpath/packetpath/procparse"

func (c *Collector) openDeviceSources(fs procparse.FS) []source { return nil }
