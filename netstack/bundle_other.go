//go:build !linux

package netstack

import (
	"github.com/packetpath/packetpath/bundle"
	"github.com/packetpath/packetpath/nic"
)

// captureEthtool records nothing: the ethtool ioctl is Linux's.
func (c *Collector) captureEthtool(*bundle.FrameWriter, []nic.Link) {}
