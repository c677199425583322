package udptable

import "github.com/packetpath/packetpath/procparse"

// SocketInodes and SocketOwners read procRoot ("" = /proc) through
// procparse, where socket ownership lives, for the tests that map the
// table's sockets to processes.
func SocketInodes(procRoot string, pid int, dst []uint64) ([]uint64, error) {
	fs, err := testFS(procRoot)
	if err != nil {
		return dst, err
	}
	return fs.SocketInodes(pid, dst)
}

func SocketOwners(procRoot string, inodes []uint64) (map[uint64][]int, error) {
	fs, err := testFS(procRoot)
	if err != nil {
		return nil, err
	}
	return fs.SocketOwners(inodes)
}

func testFS(root string) (procparse.FS, error) {
	if root == "" {
		root = procparse.DefaultRoot
	}
	return procparse.NewFS(root)
}
