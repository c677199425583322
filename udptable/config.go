package udptable

import (
	"slices"
)

// Config configures Open. The zero value dumps the calling thread's
// network namespace and maps processes through /proc.
type Config struct {
	// NetNS is the network namespace to dump, as a path:
	// /var/run/netns/NAME or /proc/PID/ns/net. Empty means the namespace of
	// the thread calling Open. The Table's netlink socket is created inside
	// it and keeps dumping it for its whole life.
	NetNS string
	// ProcRoot is where procfs is mounted, for SocketsOfProcess (default
	// /proc; e.g. /host/proc in a container).
	ProcRoot string
}

// KeepInodes keeps, in place and in order, the sockets whose Inode is in
// inodes and returns the shortened slice. inodes is sorted in place.
func KeepInodes(sockets []UDPSocket, inodes []uint64) []UDPSocket {
	slices.Sort(inodes)
	out := sockets[:0]
	for i := range sockets {
		if _, found := slices.BinarySearch(inodes, sockets[i].Inode); found {
			out = append(out, sockets[i])
		}
	}
	return out
}
