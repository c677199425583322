package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/packetpath/packetpath/procparse"
)

// ownerCache names the processes that hold the listed UDP sockets. Finding
// them reads the fd links of every process (procparse.FS.SocketOwners), so
// only the sockets on screen are looked up, each once: a socket keeps its
// inode for its lifetime, and its holders rarely change.
type ownerCache struct {
	proc  string
	names map[uint64]string
}

func newOwnerCache(proc string) *ownerCache {
	return &ownerCache{proc: proc, names: map[uint64]string{}}
}

// lookup returns the owners of inodes ("PID (comm)", several joined with
// ", "; "" when no process holds it, e.g. a kernel socket, or the scan
// could not see it). Entries for sockets no longer listed are dropped.
func (c *ownerCache) lookup(inodes []uint64) map[uint64]string {
	var missing []uint64
	for _, ino := range inodes {
		if _, ok := c.names[ino]; !ok {
			missing = append(missing, ino)
		}
	}
	if len(missing) > 0 {
		var owners map[uint64][]int
		fs, err := procparse.NewFS(c.proc)
		if err == nil {
			owners, err = fs.SocketOwners(missing)
		}
		for _, ino := range missing {
			c.names[ino] = ""
			if err == nil {
				c.names[ino] = c.describe(fs, owners[ino])
			}
		}
	}
	if len(c.names) > 4*len(inodes)+64 {
		keep := make(map[uint64]string, len(inodes))
		for _, ino := range inodes {
			keep[ino] = c.names[ino]
		}
		c.names = keep
	}
	return c.names
}

// describe names up to three PIDs with their command (/proc/PID/comm).
func (c *ownerCache) describe(fs procparse.FS, pids []int) string {
	var parts []string
	for i, pid := range pids {
		if i == 3 {
			parts = append(parts, fmt.Sprintf("+%d", len(pids)-3))
			break
		}
		s := strconv.Itoa(pid)
		if comm, err := fs.Comm(pid); err == nil {
			s += " (" + strings.TrimSpace(comm) + ")"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, ", ")
}
