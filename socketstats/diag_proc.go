package socketstats

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
)

// SocketInodes appends to dst the inode numbers of the sockets that process
// pid holds open, read from the "socket:[INODE]" symbolic links of
// procRoot/PID/fd (proc(5)). pid 0 means the calling process (/proc/self);
// an empty procRoot means /proc. The inodes match UDPSocket.Inode.
//
// Cost: one directory read and one readlink(2) per open descriptor, with a
// few small allocations each. Descriptors closed during the scan are
// skipped. The error wraps os.ErrNotExist when the process does not exist and
// os.ErrPermission when its fd directory is not readable (another user's
// process without CAP_SYS_PTRACE).
func SocketInodes(procRoot string, pid int, dst []uint64) ([]uint64, error) {
	dir := fdDir(procRoot, pid)
	d, err := os.Open(dir)
	if err != nil {
		return dst, fmt.Errorf("socketstats: listing sockets of a process: %w", err)
	}
	names, err := d.Readdirnames(-1)
	d.Close()
	if err != nil {
		return dst, fmt.Errorf("socketstats: listing sockets of a process: %w", err)
	}
	for _, name := range names {
		if ino, ok := socketLinkInode(filepath.Join(dir, name)); ok {
			dst = append(dst, ino)
		}
	}
	return dst, nil
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

// SocketOwners maps socket inodes to the processes holding them, by reading
// the fd directory of every process under procRoot (empty: /proc). With a
// nil inodes every socket the scan finds is mapped; otherwise only those
// listed. A socket shared by several processes (fork, SCM_RIGHTS) lists
// every PID, in ascending order.
//
// Cost: one readlink(2) per open descriptor of every process on the host,
// tens of milliseconds on a busy machine: call it when asked, not on every
// dump. Processes that exit during the scan, and those whose fd directory is
// not readable (another user's, without CAP_SYS_PTRACE), are skipped. The
// error is about procRoot itself.
func SocketOwners(procRoot string, inodes []uint64) (map[uint64][]int, error) {
	if procRoot == "" {
		procRoot = "/proc"
	}
	d, err := os.Open(procRoot)
	if err != nil {
		return nil, fmt.Errorf("socketstats: mapping sockets to processes: %w", err)
	}
	names, err := d.Readdirnames(-1)
	d.Close()
	if err != nil {
		return nil, fmt.Errorf("socketstats: mapping sockets to processes: %w", err)
	}
	var want []uint64
	if inodes != nil {
		want = slices.Clone(inodes)
		slices.Sort(want)
	}
	pids := make([]int, 0, len(names))
	for _, name := range names {
		if pid, err := strconv.Atoi(name); err == nil && pid > 0 {
			pids = append(pids, pid)
		}
	}
	slices.Sort(pids)
	owners := make(map[uint64][]int)
	var found []uint64
	for _, pid := range pids {
		found, err = SocketInodes(procRoot, pid, found[:0])
		if err != nil {
			continue // exited, not ours to read, or in an odd state: skip it
		}
		for _, ino := range found {
			if want != nil {
				if _, ok := slices.BinarySearch(want, ino); !ok {
					continue
				}
			}
			if l := owners[ino]; len(l) == 0 || l[len(l)-1] != pid {
				owners[ino] = append(l, pid)
			}
		}
	}
	return owners, nil
}

func fdDir(procRoot string, pid int) string {
	if procRoot == "" {
		procRoot = "/proc"
	}
	if pid == 0 {
		return filepath.Join(procRoot, "self", "fd")
	}
	return filepath.Join(procRoot, strconv.Itoa(pid), "fd")
}

// socketLinkInode reads one fd link and parses "socket:[INODE]".
func socketLinkInode(path string) (uint64, bool) {
	target, err := os.Readlink(path)
	if err != nil {
		return 0, false
	}
	return parseSocketLink(target)
}

// parseSocketLink parses the target of a /proc/PID/fd link to a socket,
// "socket:[INODE]" (fs/proc/fd.c, sockfs_dname in net/socket.c).
func parseSocketLink(target string) (uint64, bool) {
	const prefix, suffix = "socket:[", "]"
	if len(target) <= len(prefix)+len(suffix) || target[:len(prefix)] != prefix || target[len(target)-1] != ']' {
		return 0, false
	}
	ino, err := strconv.ParseUint(target[len(prefix):len(target)-1], 10, 64)
	if err != nil {
		return 0, false
	}
	return ino, true
}
