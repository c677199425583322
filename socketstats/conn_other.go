//go:build !linux

package socketstats

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"time"
)

// Conn is an instrumented UDP receive socket. It needs Linux (recvmmsg,
// SO_RXQ_OVFL, SO_MEMINFO); elsewhere every constructor fails with an error
// wrapping errors.ErrUnsupported.
type Conn struct {
	mu     sync.Mutex
	ctr    counters
	tsMode TimestampMode
	ifname string
	regs   []metricRegistration
	closed bool
}

var errNotLinux = fmt.Errorf("socketstats: the instrumented socket needs Linux: %w", errors.ErrUnsupported)

// Open is not supported on this platform.
func Open(Config) (*Conn, error) { return nil, errNotLinux }

// FromUDPConn is not supported on this platform.
func FromUDPConn(*net.UDPConn, Config) (*Conn, error) { return nil, errNotLinux }

// FromFD is not supported on this platform.
func FromFD(int, bool, Config) (*Conn, error) { return nil, errNotLinux }

// ReadBatch is not supported on this platform.
func (c *Conn) ReadBatch(context.Context, []Message) (int, error) { return 0, errNotLinux }

// Join is not supported on this platform.
func (c *Conn) Join(Group) error { return errNotLinux }

// Leave is not supported on this platform.
func (c *Conn) Leave(Group) error { return errNotLinux }

// Groups returns nil on this platform.
func (c *Conn) Groups() []Group { return nil }

// Buffer returns the zero BufferInfo on this platform.
func (c *Conn) Buffer() BufferInfo { return BufferInfo{} }

// LocalAddr returns the zero AddrPort on this platform.
func (c *Conn) LocalAddr() netip.AddrPort { return netip.AddrPort{} }

// SetReadDeadline is not supported on this platform.
func (c *Conn) SetReadDeadline(time.Time) error { return errNotLinux }

// Stats returns zero counters on this platform.
func (c *Conn) Stats() Stats { return Stats{} }

// ReadStats writes zero counters on this platform.
func (c *Conn) ReadStats(dst *Stats) { *dst = Stats{} }

// SampleStats writes zero counters and fails on this platform.
func (c *Conn) SampleStats(dst *Stats) error { *dst = Stats{}; return errNotLinux }

// Sample is not supported on this platform.
func (c *Conn) Sample() (BufferUsage, error) { return BufferUsage{}, errNotLinux }

func (c *Conn) sampleKernel(bool) (kernelSample, error) { return kernelSample{}, errNotLinux }

// Close is not supported on this platform.
func (c *Conn) Close() error { return errNotLinux }
