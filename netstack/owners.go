package netstack

import (
	"strconv"
	"strings"

	"github.com/packetpath/packetpath/procparse"
)

// SocketOwner is the process holding a socket open.
type SocketOwner struct {
	// PID is the lowest process ID among the processes that hold the
	// socket (a socket inherited over fork or passed with SCM_RIGHTS has
	// several).
	PID int `json:"pid"`
	// Comm is the process's command name, /proc/PID/comm (the kernel's
	// task comm: the executable's base name, at most 15 bytes); "" when it
	// could not be read.
	Comm string `json:"comm,omitempty"`
}

// OwnerCache maps socket inodes to the processes holding them. Finding a
// socket's owner means reading the fd directory of every process
// (procparse.FS.SocketOwners: one readlink per open descriptor on the host,
// tens of milliseconds on a busy machine), so the cache asks only about
// inodes it has not seen before, all of them in one scan, and remembers the
// answer, including "no owner found" (a process in another PID namespace,
// one that exited, or one whose fd directory is not readable). Socket
// inodes are unique across network namespaces, so one cache serves
// collectors of any namespace. An OwnerCache is not safe for concurrent use.
type OwnerCache struct {
	procRoot string
	known    map[uint64]SocketOwner // PID 0: looked up, no owner found
	missing  []uint64
}

// NewOwnerCache returns a cache that reads procRoot ("" means /proc).
func NewOwnerCache(procRoot string) *OwnerCache {
	if procRoot == "" {
		procRoot = "/proc"
	}
	return &OwnerCache{procRoot: procRoot, known: map[uint64]SocketOwner{}}
}

// Resolve looks up the owners of the inodes the cache has not seen, in one
// scan of procRoot. The error is about procRoot itself (it wraps
// os.ErrNotExist or os.ErrPermission); the inodes are then not remembered
// and are asked about again at the next Resolve.
func (o *OwnerCache) Resolve(inodes []uint64) error {
	o.missing = o.missing[:0]
	for _, ino := range inodes {
		if _, ok := o.known[ino]; !ok && ino != 0 {
			o.missing = append(o.missing, ino)
		}
	}
	if len(o.missing) == 0 {
		return nil
	}
	fs, err := procparse.NewFS(o.procRoot)
	if err != nil {
		return err
	}
	owners, err := fs.SocketOwners(o.missing)
	if err != nil {
		return err
	}
	for _, ino := range o.missing {
		var so SocketOwner
		if pids := owners[ino]; len(pids) > 0 {
			so.PID = pids[0]
			so.Comm, _ = fs.Comm(so.PID) // "" when it cannot be read
		}
		o.known[ino] = so
	}
	return nil
}

// Owner returns the owner of a socket Resolve has looked up; false when it
// was not looked up or no process holding it was found.
func (o *OwnerCache) Owner(inode uint64) (SocketOwner, bool) {
	so, ok := o.known[inode]
	return so, ok && so.PID > 0
}

// Retain forgets every inode for which keep returns false, so the cache
// stays as large as the socket table it follows.
func (o *OwnerCache) Retain(keep func(inode uint64) bool) {
	for ino := range o.known {
		if !keep(ino) {
			delete(o.known, ino)
		}
	}
}

// Annotate names the owning process in the findings' per-socket evidence
// (Evidence.PID and Comm) and in their summaries, resolving the inodes the
// cache has not seen first. The error is Resolve's; findings are annotated
// with what is known either way.
func (o *OwnerCache) Annotate(fs []Finding) error {
	var inodes []uint64
	for i := range fs {
		for _, e := range fs[i].Evidence {
			if e.Inode != 0 {
				inodes = append(inodes, e.Inode)
			}
		}
	}
	if len(inodes) == 0 {
		return nil
	}
	err := o.Resolve(inodes)
	for i := range fs {
		f := &fs[i]
		for j := range f.Evidence {
			e := &f.Evidence[j]
			so, ok := o.Owner(e.Inode)
			if e.Inode == 0 || !ok {
				continue
			}
			e.PID, e.Comm = so.PID, so.Comm
			// socketRef wrote "(inode N)" into the summary and object.
			ref := "(inode " + strconv.FormatUint(e.Inode, 10) + ")"
			named := "(inode " + strconv.FormatUint(e.Inode, 10) + ", " + so.String() + ")"
			f.Summary = strings.ReplaceAll(f.Summary, ref, named)
			f.Object = strings.ReplaceAll(f.Object, ref, named)
		}
	}
	return err
}

// String formats the owner as "pid 1234 mcast-recv".
func (so SocketOwner) String() string {
	s := "pid " + strconv.Itoa(so.PID)
	if so.Comm != "" {
		s += " " + so.Comm
	}
	return s
}
