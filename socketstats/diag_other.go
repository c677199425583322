//go:build !linux

package socketstats

import (
	"context"
	"errors"
	"fmt"
)

// TableOptions configures OpenTable. See the Linux documentation.
type TableOptions struct {
	NetNS    string
	ProcRoot string
}

// Table dumps sockets through NETLINK_SOCK_DIAG, which only Linux has.
type Table struct{}

// OpenTable fails with errors.ErrUnsupported outside Linux.
func OpenTable(*TableOptions) (*Table, error) {
	return nil, fmt.Errorf("socketstats: sock_diag is Linux-only: %w", errors.ErrUnsupported)
}

// Close does nothing.
func (*Table) Close() error { return nil }

// Dump fails with errors.ErrUnsupported outside Linux.
func (*Table) Dump(context.Context, []UDPSocket, Filter) ([]UDPSocket, error) {
	return nil, fmt.Errorf("socketstats: sock_diag is Linux-only: %w", errors.ErrUnsupported)
}

// DumpUDPLite fails with errors.ErrUnsupported outside Linux.
func (*Table) DumpUDPLite(context.Context, []UDPSocket, Filter) ([]UDPSocket, error) {
	return nil, fmt.Errorf("socketstats: sock_diag is Linux-only: %w", errors.ErrUnsupported)
}

// SocketsOfProcess fails with errors.ErrUnsupported outside Linux.
func (*Table) SocketsOfProcess(context.Context, []UDPSocket, int) ([]UDPSocket, error) {
	return nil, fmt.Errorf("socketstats: sock_diag is Linux-only: %w", errors.ErrUnsupported)
}
