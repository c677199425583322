//go:build !linux

package dropevents

import (
	"context"
	"errors"
	"fmt"
)

// ErrClosed is returned by the methods of a closed Collector.
var ErrClosed = errors.New("dropevents: collector closed")

// Collector is not available on this operating system.
type Collector struct{}

// Open returns an error wrapping errors.ErrUnsupported: perf tracepoints
// are Linux only.
func Open(Options) (*Collector, error) {
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
