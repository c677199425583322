package procparse

import (
	"fmt"
	"os"
	"slices"
	"strconv"

	"github.com/packetpath/packetpath/internal/readfile"
)

// SocketInodes appends to dst the inode numbers of the sockets that process
// pid holds open, read from the "socket:[INODE]" symbolic links of
// ROOT/PID/fd (proc(5); the link text is made by sockfs_dname in
// net/socket.c). pid 0 means the calling process (ROOT/self). The inodes
// are those the kernel prints in the inode column of /proc/net/udp and
// reports in sock_diag's idiag_inode.
//
// Cost: one directory read and one readlink(2) per open descriptor, with a
// few small allocations each. Descriptors closed during the scan are
// skipped. The error names the fd directory and wraps os.ErrNotExist when
// the process does not exist and os.ErrPermission when its fd directory is
// not readable (another user's process without CAP_SYS_PTRACE).
func (fs FS) SocketInodes(pid int, dst []uint64) ([]uint64, error) {
	dir := fs.fdDir(pid)
	names, err := readDirNames(dir)
	if err != nil {
		return dst, fmt.Errorf("procparse: listing the sockets of a process: %w", err)
	}
	for _, name := range names {
		target, err := os.Readlink(dir + "/" + name)
		if err != nil {
			continue // closed since the directory was read
		}
		if ino, ok := parseSocketLink(target); ok {
			dst = append(dst, ino)
		}
	}
	return dst, nil
}

// SocketOwners maps socket inodes to the processes holding them, by reading
// the fd directory of every process below the root. With a nil inodes every
// socket the scan finds is mapped; otherwise only those listed. A socket
// shared by several processes (fork, SCM_RIGHTS) lists every PID, in
// ascending order.
//
// Cost: one readlink(2) per open descriptor of every process on the host,
// tens of milliseconds on a busy machine: call it when asked, not on every
// sample. Processes that exit during the scan, and those whose fd directory
// is not readable (another user's, without CAP_SYS_PTRACE), are skipped.
// The error is about the root itself and names it.
func (fs FS) SocketOwners(inodes []uint64) (map[uint64][]int, error) {
	names, err := readDirNames(fs.root)
	if err != nil {
		return nil, fmt.Errorf("procparse: mapping sockets to processes: %w", err)
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
		found, err = fs.SocketInodes(pid, found[:0])
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

// readDirNames lists dir; the error (from os.Open or Readdirnames) carries
// the path.
func readDirNames(dir string) ([]string, error) {
	d, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	names, err := d.Readdirnames(-1)
	d.Close()
	if err != nil {
		return nil, err
	}
	return names, nil
}

func (fs FS) fdDir(pid int) string {
	if pid == 0 {
		return fs.Path("self", "fd")
	}
	return fs.Path(strconv.Itoa(pid), "fd")
}

// parseSocketLink parses the target of a /proc/PID/fd link to a socket,
// "socket:[INODE]" (fs/proc/fd.c, sockfs_dname in net/socket.c).
func parseSocketLink(target string) (uint64, bool) {
	const prefix = "socket:["
	if len(target) <= len(prefix)+1 || target[:len(prefix)] != prefix || target[len(target)-1] != ']' {
		return 0, false
	}
	ino, err := strconv.ParseUint(target[len(prefix):len(target)-1], 10, 64)
	if err != nil {
		return 0, false
	}
	return ino, true
}

// Comm returns the command name of process pid (pid 0: the caller), read
// from ROOT/PID/comm: the kernel's task comm (include/linux/sched.h
// TASK_COMM_LEN), normally the executable's base name cut to 15 bytes, or
// the name a thread gave itself with prctl(PR_SET_NAME). The error names
// the file and wraps os.ErrNotExist when the process does not exist.
func (fs FS) Comm(pid int) (string, error) {
	path := fs.Path(strconv.Itoa(pid), "comm")
	if pid == 0 {
		path = fs.Path("self", "comm")
	}
	b, err := readfile.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("procparse: command name: %w", err)
	}
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
	}
	return string(b), nil
}
