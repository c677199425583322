//go:build linux

package netstack

import (
	"fmt"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// nsIdentity remembers which namespace a Collector opened by its nsfs inode
// and device, and checks at every collection that Config.NetNS still leads
// there. A namespace lives as long as a process, a bind mount or an open
// file or socket refers to it (the Collector's own sockets do): `ip netns
// del NAME` only removes the bind mount /var/run/netns/NAME, and a later
// `ip netns add NAME` mounts a new namespace on the same path.
type nsIdentity struct {
	path     string
	cpath    []byte // path, NUL-terminated, for statx(2) without allocating
	dev, ino uint64
	stx      unix.Statx_t
	// errGone and errOther are the errors reported for a deleted name and a
	// name that leads to another namespace, made once.
	errGone, errOther error
}

// openNSIdentity records the namespace the calling thread is in, which was
// entered through path. It runs inside netns.Do. It returns nil when the
// namespace cannot be identified (no statx(2) before Linux 4.11, no
// /proc/thread-self before 3.17): the collector then does not check.
func openNSIdentity(path string) *nsIdentity {
	id := &nsIdentity{path: path, cpath: append([]byte(path), 0)}
	var stx unix.Statx_t
	if err := unix.Statx(unix.AT_FDCWD, "/proc/thread-self/ns/net", 0, unix.STATX_INO, &stx); err != nil {
		return nil
	}
	id.dev = unix.Mkdev(stx.Dev_major, stx.Dev_minor)
	id.ino = stx.Ino
	id.errGone = fmt.Errorf("netstack: namespace %s no longer exists (deleted, or its process exited): the collector still reads the namespace it opened, which only its own sockets keep alive: %w", path, os.ErrNotExist)
	id.errOther = fmt.Errorf("netstack: namespace %s now names another namespace: the collector still reads the one it opened, which lost that name", path)
	return id
}

// check marks snap NetNSDetached, with the reason in its Errors, when the
// path no longer leads to the namespace. It allocates nothing while the
// path does.
func (id *nsIdentity) check(snap *Snapshot) {
	atFDCWD := unix.AT_FDCWD
	_, _, e := unix.Syscall6(unix.SYS_STATX, uintptr(atFDCWD), uintptr(unsafe.Pointer(&id.cpath[0])), 0,
		unix.STATX_INO, uintptr(unsafe.Pointer(&id.stx)), 0)
	var err error
	switch {
	case e == unix.ENOENT || e == unix.ENOTDIR:
		err = id.errGone
	case e != 0:
		err = fmt.Errorf("netstack: checking namespace %s: %w", id.path, os.NewSyscallError("statx", e))
	case unix.Mkdev(id.stx.Dev_major, id.stx.Dev_minor) != id.dev || id.stx.Ino != id.ino:
		// Another namespace is mounted there, or the bind mount is gone
		// and the path is a plain file again.
		err = id.errGone
		var fs unix.Statfs_t
		if unix.Statfs(id.path, &fs) == nil && fs.Type == unix.NSFS_MAGIC {
			err = id.errOther
		}
	default:
		return
	}
	if err == id.errGone || err == id.errOther {
		snap.NetNSDetached = true
	}
	snap.Errors = append(snap.Errors, SourceError{Object: id.path, Err: err})
}
