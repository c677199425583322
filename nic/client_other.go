//go:build !linux

package nic

import (
	"context"
	"errors"
	"fmt"
)

// Client is available on Linux only; elsewhere Open answers
// errors.ErrUnsupported. SysFS and the decoders work everywhere.
type Client struct{ sys SysFS }

var errNotLinux = fmt.Errorf("nic: rtnetlink and the ethtool ioctl need Linux: %w", errors.ErrUnsupported)

// Open answers errors.ErrUnsupported outside Linux.
func Open(opts Config) (*Client, error) { return nil, errNotLinux }

// SysFS returns the sysfs reader.
func (c *Client) SysFS() SysFS { return c.sys }

// Close does nothing.
func (c *Client) Close() error { return nil }

// Links answers errors.ErrUnsupported outside Linux.
func (c *Client) Links(ctx context.Context, dst []Link) ([]Link, error) { return dst[:0], errNotLinux }

// DriverInfo answers errors.ErrUnsupported outside Linux.
func (c *Client) DriverInfo(dev string) (DriverInfo, error) { return DriverInfo{}, errNotLinux }

// Rings answers errors.ErrUnsupported outside Linux.
func (c *Client) Rings(dev string) (Rings, error) { return Rings{}, errNotLinux }

// Channels answers errors.ErrUnsupported outside Linux.
func (c *Client) Channels(dev string) (Channels, error) { return Channels{}, errNotLinux }

// Coalesce answers errors.ErrUnsupported outside Linux.
func (c *Client) Coalesce(dev string) (Coalesce, error) { return Coalesce{}, errNotLinux }

// OpenStats answers errors.ErrUnsupported outside Linux.
func (c *Client) OpenStats(dev string) (*Stats, error) { return nil, errNotLinux }

// IRQs answers errors.ErrUnsupported outside Linux.
func (c *Client) IRQs(dev string) ([]QueueIRQ, error) { return nil, errNotLinux }

// Read answers errors.ErrUnsupported outside Linux.
func (s *Stats) Read(dst []uint64) ([]uint64, error) { return dst[:0], errNotLinux }
