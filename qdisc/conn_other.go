//go:build !linux

package qdisc

import (
	"context"
	"errors"
	"fmt"
)

// Conn is a netlink connection; only Linux is supported.
type Conn struct{}

// Open returns errors.ErrUnsupported outside Linux.
func Open(Config) (*Conn, error) {
	return nil, fmt.Errorf("qdisc: rtnetlink: %w", errors.ErrUnsupported)
}

// Close does nothing.
func (c *Conn) Close() error { return nil }

// Qdiscs returns errors.ErrUnsupported.
func (c *Conn) Qdiscs(context.Context, []Qdisc) ([]Qdisc, error) { return nil, errors.ErrUnsupported }

// QdiscsOf returns errors.ErrUnsupported.
func (c *Conn) QdiscsOf(context.Context, int, []Qdisc) ([]Qdisc, error) {
	return nil, errors.ErrUnsupported
}

// Classes returns errors.ErrUnsupported.
func (c *Conn) Classes(context.Context, int, []Class) ([]Class, error) {
	return nil, errors.ErrUnsupported
}

// AllClasses returns errors.ErrUnsupported.
func (c *Conn) AllClasses(context.Context, []Class) ([]Class, error) {
	return nil, errors.ErrUnsupported
}

// LastDump returns the zero DumpInfo.
func (c *Conn) LastDump() DumpInfo { return DumpInfo{} }

// RefreshDevices returns errors.ErrUnsupported.
func (c *Conn) RefreshDevices(context.Context) error { return errors.ErrUnsupported }

// DeviceIndex reports no device.
func (c *Conn) DeviceIndex(context.Context, string) (int, bool) { return 0, false }
