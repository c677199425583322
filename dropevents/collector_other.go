//go:build !linux

package dropevents

import (
	"context"
	"errors"
	"fmt"
	"net"
)

// ErrClosed is returned by the methods of a closed Collector, Close
// included. It wraps net.ErrClosed, as the closed-handle errors of every
// packetpath package do.
var ErrClosed = fmt.Errorf("dropevents: collector closed: %w", net.ErrClosed)

// Collector is not available on this operating system.
type Collector struct{}

// Open returns an error wrapping errors.ErrUnsupported: perf tracepoints
// are Linux only.
func Open(Config) (*Collector, error) {
	return nil, fmt.Errorf("dropevents: perf tracepoints need Linux: %w", errors.ErrUnsupported)
}

// Snapshot returns errors.ErrUnsupported.
func (c *Collector) Snapshot(*Counts) error { return errors.ErrUnsupported }

// Wait returns errors.ErrUnsupported.
func (c *Collector) Wait(context.Context) error { return errors.ErrUnsupported }

// Close does nothing.
func (c *Collector) Close() error { return nil }

// DropSites returns errors.ErrUnsupported.
func (c *Collector) DropSites(dst []DropSite) ([]DropSite, uint64, error) {
	return dst[:0], 0, errors.ErrUnsupported
}
