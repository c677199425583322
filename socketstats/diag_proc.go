package socketstats

import (
	"github.com/packetpath/packetpath/procparse"
)

// SocketInodes appends to dst the inodes of the sockets process pid holds
// open (pid 0: the caller), read below procRoot ("" means /proc).
//
// Deprecated: use [procparse.FS.SocketInodes]; this forwards to it while
// the socket table moves to its own package.
func SocketInodes(procRoot string, pid int, dst []uint64) ([]uint64, error) {
	fs, err := procFS(procRoot)
	if err != nil {
		return dst, err
	}
	return fs.SocketInodes(pid, dst)
}

// SocketOwners maps socket inodes to the processes holding them, read below
// procRoot ("" means /proc).
//
// Deprecated: use [procparse.FS.SocketOwners]; this forwards to it while
// the socket table moves to its own package.
func SocketOwners(procRoot string, inodes []uint64) (map[uint64][]int, error) {
	fs, err := procFS(procRoot)
	if err != nil {
		return nil, err
	}
	return fs.SocketOwners(inodes)
}

func procFS(root string) (procparse.FS, error) {
	if root == "" {
		root = procparse.DefaultRoot
	}
	return procparse.NewFS(root)
}
