//go:build !linux

package bundle

import (
	"context"
	"errors"
	"fmt"
	"runtime"
)

// LinkRequest is the RTM_GETLINK dump request; there is no netlink here.
func LinkRequest() []byte { return nil }

// QdiscRequest is the RTM_GETQDISC dump request; there is no netlink here.
func QdiscRequest() []byte { return nil }

// ClassRequest is the RTM_GETTCLASS dump request; there is no netlink here.
func ClassRequest(int) []byte { return nil }

// UDPRequest is the SOCK_DIAG_BY_FAMILY request; there is no netlink here.
func UDPRequest(uint8) []byte { return nil }

// Dump records a netlink dump, which needs Linux.
func Dump(context.Context, int, []byte, []byte) ([]byte, error) {
	return nil, fmt.Errorf("bundle: netlink dump on %s: %w", runtime.GOOS, errors.ErrUnsupported)
}
