//go:build !linux

package netnstest

import "testing"

// HostWide serializes machine-wide measurements; off Linux there are none.
func HostWide(t testing.TB, name string) {}
