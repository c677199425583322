package socketstats

import (
	"errors"
	"fmt"
	"net"
	"os"
	"runtime"
	"slices"
	"strconv"
	"syscall"

	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
	"golang.org/x/sys/unix"

	"github.com/packetpath/packetpath/procparse"
)

// MembershipError is returned by Join and Leave (and Open, for
// Config.Groups). It wraps the errno and, where one applies, a sentinel:
// os.ErrNotExist for a missing interface (ENODEV), os.ErrPermission.
type MembershipError struct {
	Op        string // "join" or "leave"
	Group     Group
	Interface string // name, or "" when the kernel chose by route
	Index     int
	Err       error
	// Limits, for an IPv4 join refused with ENOBUFS, are the per-socket
	// limits in force in the socket's network namespace, read from
	// /proc/sys there when the join failed: net.ipv4.igmp_max_memberships
	// (groups per socket, 20 by default; net/ipv4/igmp.c
	// ip_mc_join_group_ssm) and net.ipv4.igmp_max_msf (sources per group,
	// ip_mc_source). Present is false when they could not be read.
	MaxMemberships, MaxSources procparse.SysctlInt
}

func (e *MembershipError) Error() string {
	where := "the route's interface"
	if e.Interface != "" {
		where = fmt.Sprintf("interface %s (index %d)", e.Interface, e.Index)
	} else if e.Index > 0 {
		where = fmt.Sprintf("interface index %d", e.Index)
	}
	msg := fmt.Sprintf("socketstats: %s %s on %s: %v", e.Op, e.Group, where, e.Err)
	switch {
	case errors.Is(e.Err, unix.ENOBUFS):
		if e.Group.Addr.Is4() {
			msg += " (per-socket limit reached: net.ipv4.igmp_max_memberships" + sysctlValue(e.MaxMemberships) +
				" for groups, net.ipv4.igmp_max_msf" + sysctlValue(e.MaxSources) + " for sources, in the socket's namespace)"
		} else {
			msg += " (per-socket limit reached: net.ipv6.mld_max_msf for sources)"
		}
	case errors.Is(e.Err, unix.EADDRINUSE):
		msg += " (already a member)"
	case errors.Is(e.Err, unix.EADDRNOTAVAIL) && e.Op == "leave":
		msg += " (not a member)"
	case errors.Is(e.Err, unix.ENODEV):
		msg += " (no such interface)"
	}
	return msg
}

func sysctlValue(v procparse.SysctlInt) string {
	if !v.Present {
		return ""
	}
	return " = " + strconv.FormatInt(v.Value, 10)
}

// Unwrap returns the errno and, for ENODEV, os.ErrNotExist.
func (e *MembershipError) Unwrap() []error {
	if errors.Is(e.Err, unix.ENODEV) {
		return []error{e.Err, os.ErrNotExist}
	}
	return []error{e.Err}
}

// Join adds a membership on the Conn's interface: any-source when g.Source
// is invalid (MCAST_JOIN_GROUP), source-specific otherwise
// (MCAST_JOIN_SOURCE_GROUP, RFC 3678), at the IPv4 or IPv6 level to match
// the socket, through golang.org/x/net/ipv4 or ipv6 (joining is not a hot
// path: each call allocates).
func (c *Conn) Join(g Group) error { return c.membership("join", g) }

// Leave drops a membership added by Join (or Config.Groups).
func (c *Conn) Leave(g Group) error { return c.membership("leave", g) }

// Groups returns the memberships currently held.
func (c *Conn) Groups() []Group {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.groups)
}

func (c *Conn) membership(op string, g Group) error {
	fail := func(err error) error {
		return &MembershipError{Op: op, Group: g, Interface: c.ifname, Index: c.ifidx, Err: err}
	}
	if !g.Addr.IsMulticast() {
		return fail(fmt.Errorf("%s is not a multicast address: %w", g.Addr, unix.EINVAL))
	}
	is6 := c.family == unix.AF_INET6
	if (g.Addr.Is6() && !g.Addr.Is4In6()) != is6 || (g.Source.IsValid() && (g.Source.Is6() && !g.Source.Is4In6()) != is6) {
		return fail(fmt.Errorf("address family does not match the socket: %w", unix.EAFNOSUPPORT))
	}
	serr, err := c.setMembership(op == "join", is6, g)
	if err != nil {
		return fail(err)
	}
	if serr != 0 {
		e := &MembershipError{Op: op, Group: g, Interface: c.ifname, Index: c.ifidx, Err: serr}
		if serr == unix.ENOBUFS && !is6 {
			e.MaxMemberships, e.MaxSources = c.memberLimits()
		}
		return e
	}
	c.mu.Lock()
	if op == "join" {
		c.groups = append(c.groups, g)
	} else if i := slices.Index(c.groups, g); i >= 0 {
		c.groups = slices.Delete(c.groups, i, i+1)
	}
	c.mu.Unlock()
	return nil
}

// memberLimits reads net.ipv4.igmp_max_memberships and igmp_max_msf in
// the socket's network namespace: /proc/sys/net shows the namespace of the
// reading thread, so the read runs on a goroutine of its own, locked to
// its thread, which enters the socket's namespace (SIOCGSKNS) when it is
// not the thread's. That goroutine ends locked when it cannot switch back,
// so the runtime discards the thread. Values that cannot be read are left
// absent. Not a hot path: it runs only after a join failed.
func (c *Conn) memberLimits() (groups, sources procparse.SysctlInt) {
	nsfd := -1
	if err := c.rc.Control(func(fd uintptr) { nsfd, _ = unix.IoctlRetInt(int(fd), unix.SIOCGSKNS) }); err != nil || nsfd < 0 {
		return groups, sources
	}
	defer unix.Close(nsfd)
	done := make(chan struct{})
	go func() {
		defer close(done)
		runtime.LockOSThread()
		var sockNS, selfNS unix.Stat_t
		if unix.Fstat(nsfd, &sockNS) != nil || unix.Stat("/proc/thread-self/ns/net", &selfNS) != nil {
			runtime.UnlockOSThread()
			return
		}
		if sockNS.Ino != selfNS.Ino || sockNS.Dev != selfNS.Dev {
			orig, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
			if err != nil {
				runtime.UnlockOSThread()
				return
			}
			defer unix.Close(orig)
			if unix.Setns(nsfd, unix.CLONE_NEWNET) != nil {
				runtime.UnlockOSThread()
				return
			}
			defer func() {
				if unix.Setns(orig, unix.CLONE_NEWNET) == nil {
					runtime.UnlockOSThread()
				}
			}()
		} else {
			defer runtime.UnlockOSThread()
		}
		groups, sources = readMemberLimits()
	}()
	<-done
	return groups, sources
}

// readMemberLimits reads the two limits in the calling thread's namespace.
func readMemberLimits() (groups, sources procparse.SysctlInt) {
	fs, err := procparse.NewDefaultFS()
	if err != nil {
		return groups, sources
	}
	for _, v := range []struct {
		name string
		dst  *procparse.SysctlInt
	}{{"net.ipv4.igmp_max_memberships", &groups}, {"net.ipv4.igmp_max_msf", &sources}} {
		if s, err := fs.Sysctl(v.name); err == nil {
			if n, err := strconv.ParseInt(s, 10, 64); err == nil {
				*v.dst = procparse.SysctlInt{Value: n, Present: true}
			}
		}
	}
	return groups, sources
}

// setMembership joins or leaves g on the Conn's interface (index 0: the
// kernel chooses by route) through golang.org/x/net/ipv4 or ipv6 over
// the socket's descriptor, which use MCAST_JOIN_GROUP,
// MCAST_JOIN_SOURCE_GROUP and their MCAST_LEAVE_ counterparts with a
// struct group_req or group_source_req (RFC 3678) at IPPROTO_IP or
// IPPROTO_IPV6. It returns the kernel's errno when setsockopt failed, and
// err for any other failure (the socket is closed, or x/net refused the
// request).
func (c *Conn) setMembership(join, is6 bool, g Group) (syscall.Errno, error) {
	var ifi *net.Interface
	if c.ifidx > 0 {
		ifi = &net.Interface{Index: c.ifidx, Name: c.ifname}
	}
	grp := &net.UDPAddr{IP: g.Addr.Unmap().AsSlice()}
	var src *net.UDPAddr
	if g.Source.IsValid() {
		src = &net.UDPAddr{IP: g.Source.Unmap().AsSlice()}
	}
	// ipv4.PacketConn and ipv6.PacketConn have the same membership methods.
	var p interface {
		JoinGroup(*net.Interface, net.Addr) error
		JoinSourceSpecificGroup(*net.Interface, net.Addr, net.Addr) error
		LeaveGroup(*net.Interface, net.Addr) error
		LeaveSourceSpecificGroup(*net.Interface, net.Addr, net.Addr) error
	}
	if is6 {
		p = ipv6.NewPacketConn(c.uc)
	} else {
		p = ipv4.NewPacketConn(c.uc)
	}
	var err error
	switch {
	case join && src == nil:
		err = p.JoinGroup(ifi, grp)
	case join:
		err = p.JoinSourceSpecificGroup(ifi, grp, src)
	case src == nil:
		err = p.LeaveGroup(ifi, grp)
	default:
		err = p.LeaveSourceSpecificGroup(ifi, grp, src)
	}
	var se *os.SyscallError
	if errors.As(err, &se) {
		if errno, ok := se.Err.(syscall.Errno); ok {
			return errno, nil
		}
	}
	return 0, err
}
