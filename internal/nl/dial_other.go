//go:build !linux

package nl

import (
	"errors"
	"fmt"
)

var errNotLinux = fmt.Errorf("netlink needs Linux: %w", errors.ErrUnsupported)

// Dial answers errors.ErrUnsupported outside Linux.
func Dial(protocol int, groups uint32) (*Conn, error) { return nil, errNotLinux }

// Notify is a multicast subscription; Linux only.
type Notify struct{}

// DialNotify answers errors.ErrUnsupported outside Linux.
func DialNotify(protocol int, groups uint32) (*Notify, error) { return nil, errNotLinux }

// Changed reports true: without a subscription nothing is known.
func (n *Notify) Changed() bool { return true }

// Close does nothing.
func (n *Notify) Close() error { return nil }
