//go:build !linux

package udptable

import (
	"context"
	"errors"
	"fmt"
)

// Table dumps sockets through NETLINK_SOCK_DIAG, which only Linux has.
type Table struct{}

// Open fails with errors.ErrUnsupported outside Linux.
func Open(Config) (*Table, error) {
	return nil, fmt.Errorf("udptable: sock_diag is Linux-only: %w", errors.ErrUnsupported)
}

// Close does nothing.
func (*Table) Close() error { return nil }

// Dump fails with errors.ErrUnsupported outside Linux.
func (*Table) Dump(context.Context, []UDPSocket, Filter) ([]UDPSocket, error) {
	return nil, fmt.Errorf("udptable: sock_diag is Linux-only: %w", errors.ErrUnsupported)
}

// DumpUDPLite fails with errors.ErrUnsupported outside Linux.
func (*Table) DumpUDPLite(context.Context, []UDPSocket, Filter) ([]UDPSocket, error) {
	return nil, fmt.Errorf("udptable: sock_diag is Linux-only: %w", errors.ErrUnsupported)
}

// SocketsOfProcess fails with errors.ErrUnsupported outside Linux.
func (*Table) SocketsOfProcess(context.Context, []UDPSocket, int) ([]UDPSocket, error) {
	return nil, fmt.Errorf("udptable: sock_diag is Linux-only: %w", errors.ErrUnsupported)
}
