package socketstats

import (
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// socketIdentity returns the socket's inode (fstat of its descriptor: the
// inode /proc/net/udp and sock_diag report for it) and the process's
// command name (/proc/self/comm), for the metric attributes that tie the
// instrumented socket to its row of the stack's UDP table. ok is false
// when the inode cannot be read (the socket was closed); comm is "" when
// /proc is not mounted.
func (c *Conn) socketIdentity() (inode uint64, comm string, ok bool) {
	var st unix.Stat_t
	var serr error
	if err := c.rc.Control(func(fd uintptr) { serr = unix.Fstat(int(fd), &st) }); err != nil || serr != nil {
		return 0, "", false
	}
	if b, err := os.ReadFile("/proc/self/comm"); err == nil {
		comm = strings.TrimSpace(string(b))
	}
	return st.Ino, comm, true
}
