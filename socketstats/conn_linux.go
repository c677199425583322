package socketstats

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/packetpath/packetpath/internal/netns"
)

// Conn is an instrumented UDP receive socket. ReadBatch has one caller at a
// time; every other method is safe for concurrent use, and Close unblocks a
// blocked ReadBatch.
type Conn struct {
	uc     *net.UDPConn
	rc     syscall.RawConn
	family int
	ifname string
	ifidx  int
	port   uint16
	local  netip.Addr
	buffer BufferInfo
	tsMode TimestampMode

	mu        sync.Mutex // guards groups, deadline, regs, closed
	groups    []Group
	deadline  time.Time
	regs      []metricRegistration
	closed    bool
	reading   atomic.Bool
	ctr       counters
	memEvery  int
	ctrlSpace int
	pk        pktinfoState // Config.PacketInfo (pktinfo_linux.go)

	// Reader-only state, preallocated once.
	hdrs   []unix.Mmsghdr
	iovs   []unix.Iovec
	names  []unix.RawSockaddrInet6
	ctrl   []byte
	readFn func(fd uintptr) bool
	delays localHistogram
	last   BatchInfo

	// Scratch shared by ReadBatch and readFn.
	vlen       int
	n          int
	errno      syscall.Errno
	probe      bool
	wouldBlock bool
	batchNo    int
	memDue     bool
	memOK      bool
	inq        int32
	meminfo    [unix.SK_MEMINFO_VARS]uint32
	memLen     uint32
	now        int64

	// Sampler state: SO_MEMINFO (and SIOCINQ) read at call time by Sample,
	// SampleStats and the metrics callback, from any goroutine. smu
	// serialises the samplers and the publication of SO_MEMINFO samples
	// (counters.buf); the reader only tries it (TryLock), never waits.
	smu      sync.Mutex
	sampleFn func(fd uintptr)
	sWantInq bool
	sInq     int32
	sInqErr  syscall.Errno
	sMem     [unix.SK_MEMINFO_VARS]uint32
	sMemLen  uint32
	sMemErr  syscall.Errno
}

// Open creates a UDP socket bound to cfg.Port, in the network namespace
// cfg.NetNS, joins cfg.Groups and instruments it. See Config for the
// defaults.
func Open(cfg Config) (*Conn, error) {
	if cfg.NetNS == "" {
		return open(cfg)
	}
	var c *Conn
	err := netns.Do(netns.Path(cfg.NetNS), func() error {
		var err error
		c, err = open(cfg)
		return err
	})
	if err != nil {
		if c != nil {
			c.Close()
		}
		return nil, fmt.Errorf("socketstats: namespace %s: %w", cfg.NetNS, err)
	}
	return c, nil
}

// open is Open in the calling thread's network namespace.
func open(cfg Config) (*Conn, error) {
	family, err := configFamily(cfg)
	if err != nil {
		return nil, err
	}
	ifname, ifidx, err := resolveInterface(cfg)
	if err != nil {
		return nil, err
	}
	fd, err := unix.Socket(family, unix.SOCK_DGRAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, unix.IPPROTO_UDP)
	if err != nil {
		return nil, fmt.Errorf("socketstats: socket: %w", err)
	}
	bind := cfg.Bind
	if !bind.IsValid() {
		if len(cfg.Groups) == 1 {
			bind = cfg.Groups[0].Addr
		} else if family == unix.AF_INET6 {
			bind = netip.IPv6Unspecified()
		} else {
			bind = netip.IPv4Unspecified()
		}
	}
	if err := prepareSocket(fd, family, cfg, bind, ifidx); err != nil {
		unix.Close(fd)
		return nil, err
	}
	uc, err := udpConnFromFD(fd)
	if err != nil {
		return nil, err
	}
	c, err := newConn(uc, family, ifname, ifidx, cfg)
	if err != nil {
		uc.Close()
		return nil, err
	}
	c.local = bind
	return c, nil
}

// FromUDPConn instruments an existing socket. The Conn takes ownership:
// Conn.Close closes uc. cfg.Groups are joined; Port, Bind and ReusePort are
// ignored. The drop count starts from the socket's current value.
func FromUDPConn(uc *net.UDPConn, cfg Config) (*Conn, error) {
	ifname, ifidx, err := resolveInterface(cfg)
	if err != nil {
		return nil, err
	}
	rc, err := uc.SyscallConn()
	if err != nil {
		return nil, fmt.Errorf("socketstats: %w", err)
	}
	family := unix.AF_INET
	var serr error
	if err := rc.Control(func(fd uintptr) {
		family, serr = unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_DOMAIN)
	}); err != nil {
		return nil, fmt.Errorf("socketstats: %w", err)
	}
	if serr != nil {
		return nil, fmt.Errorf("socketstats: getsockopt SO_DOMAIN: %w", serr)
	}
	c, err := newConn(uc, family, ifname, ifidx, cfg)
	if err != nil {
		return nil, err
	}
	if la, ok := uc.LocalAddr().(*net.UDPAddr); ok {
		ap := la.AddrPort()
		c.local, c.port = ap.Addr().Unmap(), ap.Port()
	}
	return c, nil
}

// FromFD instruments the UDP socket fd. With owned, the Conn takes fd over
// and closes it on Close; otherwise it works on a duplicate and the caller
// keeps fd. Either way the socket is switched to non-blocking mode (a flag
// of the open file description, so it shows through fd as well).
func FromFD(fd int, owned bool, cfg Config) (*Conn, error) {
	if !owned {
		d, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 0)
		if err != nil {
			return nil, fmt.Errorf("socketstats: dup fd %d: %w", fd, err)
		}
		fd = d
	}
	typ, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TYPE)
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("socketstats: fd %d is not a socket: %w", fd, err)
	}
	if typ != unix.SOCK_DGRAM {
		unix.Close(fd)
		return nil, fmt.Errorf("socketstats: fd %d is not a datagram socket (type %d): %w", fd, typ, errors.ErrUnsupported)
	}
	uc, err := udpConnFromFD(fd)
	if err != nil {
		return nil, err
	}
	c, err := FromUDPConn(uc, cfg)
	if err != nil {
		uc.Close()
		return nil, err
	}
	return c, nil
}

// udpConnFromFD hands fd to the Go runtime poller and closes fd (the
// returned conn holds a duplicate).
func udpConnFromFD(fd int) (*net.UDPConn, error) {
	f := os.NewFile(uintptr(fd), "udp")
	pc, err := net.FilePacketConn(f)
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("socketstats: %w", err)
	}
	uc, ok := pc.(*net.UDPConn)
	if !ok {
		pc.Close()
		return nil, fmt.Errorf("socketstats: socket is a %T, not UDP: %w", pc, errors.ErrUnsupported)
	}
	return uc, nil
}

func configFamily(cfg Config) (int, error) {
	family := 0
	set := func(a netip.Addr, what string) error {
		f := unix.AF_INET
		if a.Is6() && !a.Is4In6() {
			f = unix.AF_INET6
		}
		if family != 0 && f != family {
			return fmt.Errorf("socketstats: %s %s mixes IPv4 and IPv6 in one socket", what, a)
		}
		family = f
		return nil
	}
	if cfg.Bind.IsValid() {
		if err := set(cfg.Bind, "bind address"); err != nil {
			return 0, err
		}
	}
	for _, g := range cfg.Groups {
		if !g.Addr.IsMulticast() {
			return 0, fmt.Errorf("socketstats: group %s is not a multicast address", g.Addr)
		}
		if err := set(g.Addr, "group"); err != nil {
			return 0, err
		}
		if g.Source.IsValid() {
			if err := set(g.Source, "source"); err != nil {
				return 0, err
			}
		}
	}
	if family == 0 {
		family = unix.AF_INET
	}
	return family, nil
}

func resolveInterface(cfg Config) (string, int, error) {
	switch {
	case cfg.Interface != "":
		ifi, err := net.InterfaceByName(cfg.Interface)
		if err != nil {
			return "", 0, fmt.Errorf("socketstats: interface %q: %w (%v)", cfg.Interface, os.ErrNotExist, err)
		}
		return ifi.Name, ifi.Index, nil
	case cfg.InterfaceIndex > 0:
		ifi, err := net.InterfaceByIndex(cfg.InterfaceIndex)
		if err != nil {
			return "", 0, fmt.Errorf("socketstats: interface index %d: %w (%v)", cfg.InterfaceIndex, os.ErrNotExist, err)
		}
		return ifi.Name, ifi.Index, nil
	}
	return "", 0, nil
}

// prepareSocket sets the options that must precede bind, and binds.
func prepareSocket(fd, family int, cfg Config, bind netip.Addr, ifidx int) error {
	if cfg.ReusePort {
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
			return fmt.Errorf("socketstats: setsockopt SO_REUSEADDR: %w", err)
		}
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEPORT, 1); err != nil {
			return fmt.Errorf("socketstats: setsockopt SO_REUSEPORT: %w", err)
		}
	}
	var sa unix.Sockaddr
	if family == unix.AF_INET6 {
		if err := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, 1); err != nil {
			return fmt.Errorf("socketstats: setsockopt IPV6_V6ONLY: %w", err)
		}
		s6 := &unix.SockaddrInet6{Port: int(cfg.Port), Addr: bind.As16()}
		if bind.IsLinkLocalMulticast() || bind.IsLinkLocalUnicast() || bind.IsInterfaceLocalMulticast() {
			s6.ZoneId = uint32(ifidx)
		}
		sa = s6
	} else {
		sa = &unix.SockaddrInet4{Port: int(cfg.Port), Addr: bind.Unmap().As4()}
	}
	if err := unix.Bind(fd, sa); err != nil {
		return fmt.Errorf("socketstats: bind %s: %w", netip.AddrPortFrom(bind, cfg.Port), err)
	}
	return nil
}

// newConn applies the instrumentation options to uc and joins cfg.Groups.
func newConn(uc *net.UDPConn, family int, ifname string, ifidx int, cfg Config) (*Conn, error) {
	maxBatch := cfg.MaxBatch
	if maxBatch == 0 {
		maxBatch = DefaultMaxBatch
	}
	if maxBatch < 1 || maxBatch > MaxBatchLimit {
		return nil, fmt.Errorf("socketstats: MaxBatch %d outside 1..%d", cfg.MaxBatch, MaxBatchLimit)
	}
	space := cfg.ControlSpace
	if space == 0 {
		space = DefaultControlSpace
	}
	if space < unix.CmsgSpace(4) {
		return nil, fmt.Errorf("socketstats: ControlSpace %d is smaller than one SO_RXQ_OVFL message (%d)", space, unix.CmsgSpace(4))
	}
	space = cmsgAligned(space)
	rc, err := uc.SyscallConn()
	if err != nil {
		return nil, fmt.Errorf("socketstats: %w", err)
	}
	c := &Conn{
		uc: uc, rc: rc, family: family, ifname: ifname, ifidx: ifidx, port: cfg.Port,
		tsMode: cfg.Timestamps, memEvery: cfg.MemInfoEvery, ctrlSpace: space,
		hdrs:  make([]unix.Mmsghdr, maxBatch),
		iovs:  make([]unix.Iovec, maxBatch),
		names: make([]unix.RawSockaddrInet6, maxBatch),
		ctrl:  make([]byte, maxBatch*space),
	}
	if c.memEvery == 0 {
		c.memEvery = 1
	}
	for i := range c.hdrs {
		h := &c.hdrs[i].Hdr
		h.Name = (*byte)(unsafe.Pointer(&c.names[i]))
		h.Iov = &c.iovs[i]
		h.SetIovlen(1)
		h.Control = &c.ctrl[i*space]
	}
	c.readFn = c.doRead
	c.sampleFn = c.sampleFD

	var serr error
	if err := rc.Control(func(fd uintptr) { serr = c.configure(int(fd), cfg) }); err != nil {
		return nil, fmt.Errorf("socketstats: %w", err)
	}
	if serr != nil {
		return nil, serr
	}
	for _, g := range cfg.Groups {
		if err := c.Join(g); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// configure sets the socket options of the instrumentation on fd.
func (c *Conn) configure(fd int, cfg Config) error {
	if cfg.ReceiveBuffer > 0 {
		bi, err := setReceiveBuffer(fd, cfg.ReceiveBuffer)
		if err != nil {
			return err
		}
		c.buffer = bi
	} else if v, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF); err == nil {
		c.buffer.Obtained = v
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RXQ_OVFL, 1); err != nil {
		return fmt.Errorf("socketstats: setsockopt SO_RXQ_OVFL: %w", unsupported(err))
	}
	switch cfg.Timestamps {
	case TimestampsOff:
	case TimestampsNS:
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TIMESTAMPNS, 1); err != nil {
			return fmt.Errorf("socketstats: setsockopt SO_TIMESTAMPNS: %w", unsupported(err))
		}
	case TimestampsSoftware:
		flags := unix.SOF_TIMESTAMPING_RX_SOFTWARE | unix.SOF_TIMESTAMPING_SOFTWARE
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TIMESTAMPING, flags); err != nil {
			return fmt.Errorf("socketstats: setsockopt SO_TIMESTAMPING: %w", unsupported(err))
		}
	default:
		return fmt.Errorf("socketstats: unknown TimestampMode %d", cfg.Timestamps)
	}
	if cfg.PacketInfo {
		if err := c.pk.enable(fd, c.family); err != nil {
			return err
		}
		c.ctr.packetInfo = true
	}
	if !cfg.MulticastAll {
		if c.family == unix.AF_INET6 {
			// IPV6_MULTICAST_ALL exists since Linux 4.20; older kernels
			// deliver per socket already for IPv6.
			if err := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_MULTICAST_ALL, 0); err != nil && !errors.Is(err, unix.ENOPROTOOPT) {
				return fmt.Errorf("socketstats: setsockopt IPV6_MULTICAST_ALL: %w", err)
			}
		} else if err := unix.SetsockoptInt(fd, unix.IPPROTO_IP, unix.IP_MULTICAST_ALL, 0); err != nil {
			return fmt.Errorf("socketstats: setsockopt IP_MULTICAST_ALL: %w", err)
		}
	}
	// Baseline of the drop counter, so a wrapped socket counts from now.
	var mi [unix.SK_MEMINFO_VARS]uint32
	if getMeminfo(uintptr(fd), &mi) == nil {
		c.ctr.dropsBase = mi[unix.SK_MEMINFO_DROPS]
	}
	return nil
}

// unsupported adds errors.ErrUnsupported to "no such option" errors.
func unsupported(err error) error {
	if errors.Is(err, unix.ENOPROTOOPT) || errors.Is(err, unix.EOPNOTSUPP) {
		return errors.Join(err, errors.ErrUnsupported)
	}
	return err
}

func getMeminfo(fd uintptr, mi *[unix.SK_MEMINFO_VARS]uint32) error {
	l := uint32(unsafe.Sizeof(*mi))
	_, _, e := unix.RawSyscall6(unix.SYS_GETSOCKOPT, fd, unix.SOL_SOCKET, unix.SO_MEMINFO,
		uintptr(unsafe.Pointer(mi)), uintptr(unsafe.Pointer(&l)), 0)
	if e != 0 {
		return e
	}
	if l < unix.SK_MEMINFO_DROPS*4+4 {
		return fmt.Errorf("SO_MEMINFO returned %d bytes: %w", l, errors.ErrUnsupported)
	}
	return nil
}

// Buffer reports the receive buffer obtained at Open.
func (c *Conn) Buffer() BufferInfo { return c.buffer }

// LocalAddr is the address and port the socket is bound to.
func (c *Conn) LocalAddr() netip.AddrPort {
	if la, ok := c.uc.LocalAddr().(*net.UDPAddr); ok {
		return la.AddrPort()
	}
	return netip.AddrPortFrom(c.local, c.port)
}

// UDPConn is the underlying socket, for sending or for options this
// package does not set. Reading from it bypasses the accounting.
func (c *Conn) UDPConn() *net.UDPConn { return c.uc }

// SetReadDeadline sets the deadline for ReadBatch, as net.Conn does; a zero
// value means none. ReadBatch fails with os.ErrDeadlineExceeded after it.
func (c *Conn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.deadline = t
	return c.uc.SetReadDeadline(t)
}

// Stats returns a snapshot of the counters. It only loads atomics and can
// be called from any goroutine while another reads. The kernel-side values
// (Drops, Buffer, HighWater, NextDatagram) are those of the last batch or
// the last sample (Sample, SampleStats, a metrics collection): while the
// application does not call ReadBatch, use SampleStats to see them move.
func (c *Conn) Stats() Stats {
	var s Stats
	c.ctr.snapshot(&s)
	return s
}

// ReadStats is Stats written into dst: a Stats holds two histograms (about
// 1.1 KiB), and a sampler that reads many sockets at a high rate saves
// their copies this way. It overwrites every field of dst.
func (c *Conn) ReadStats(dst *Stats) { c.ctr.snapshot(dst) }

// SampleStats reads the socket's kernel state now, with one
// getsockopt(SO_MEMINFO), folds it into the counters (Drops, Buffer,
// HighWater) and then fills dst as ReadStats does. The drops and buffer
// use in dst are therefore the kernel's at the time of the call, whether
// the application reads through ReadBatch, reads the wrapped socket itself
// or is stalled; the read-path counters (Packets, Bytes, Batches,
// Truncated, QueueDelay, NextDatagram) are as the last batch left them. It
// allocates nothing and is safe to call from any goroutine while another
// reads. On error (the socket was closed, or SO_MEMINFO is not supported)
// dst still holds the last known values.
func (c *Conn) SampleStats(dst *Stats) error {
	_, err := c.sampleKernel(false)
	c.ctr.snapshot(dst)
	return err
}

// LastBatch describes the last ReadBatch that returned datagrams. Only the
// reading goroutine may call it.
func (c *Conn) LastBatch() BatchInfo { return c.last }

// Sample reads SIOCINQ and SO_MEMINFO now, folds them into the counters
// (drops, next datagram, buffer fill, high-water) and returns the buffer
// usage. It is safe to call from any goroutine, e.g. a monitor that runs
// while the reader is stalled, and allocates nothing.
func (c *Conn) Sample() (BufferUsage, error) {
	k, err := c.sampleKernel(true)
	return k.buf, err
}

// sampleKernel reads SO_MEMINFO (and SIOCINQ with withInq) on the socket
// now and folds what it read into the counters. Each value that could be
// read is folded even when the other failed; the error says which failed.
func (c *Conn) sampleKernel(withInq bool) (kernelSample, error) {
	var k kernelSample
	c.smu.Lock()
	defer c.smu.Unlock()
	c.sWantInq = withInq
	if err := c.rc.Control(c.sampleFn); err != nil {
		return k, fmt.Errorf("socketstats: sampling the socket: %w", err)
	}
	var ierr, merr error
	if withInq {
		if c.sInqErr != 0 {
			ierr = fmt.Errorf("socketstats: ioctl SIOCINQ: %w", c.sInqErr)
		} else {
			k.inq, k.inqOK = uint64(max(c.sInq, 0)), true
			c.ctr.nextDatagram.Store(k.inq)
		}
	}
	switch {
	case c.sMemErr != 0:
		merr = fmt.Errorf("socketstats: getsockopt SO_MEMINFO: %w", unsupported(c.sMemErr))
	case c.sMemLen < unix.SK_MEMINFO_DROPS*4+4:
		merr = fmt.Errorf("socketstats: getsockopt SO_MEMINFO returned %d bytes, want at least %d: %w",
			c.sMemLen, unix.SK_MEMINFO_DROPS*4+4, errors.ErrUnsupported)
	default:
		k.buf = BufferUsage{Used: uint64(c.sMem[unix.SK_MEMINFO_RMEM_ALLOC]),
			Size: uint64(c.sMem[unix.SK_MEMINFO_RCVBUF]), Drops: c.sMem[unix.SK_MEMINFO_DROPS]}
		k.memOK = true
		c.ctr.observeBuffer(k.buf) // smu held: see bufferSample
		c.ctr.observeDrops(k.buf.Drops)
	}
	return k, errors.Join(ierr, merr)
}

// sampleFD runs inside RawConn.Control for sampleKernel, with c.smu held:
// the descriptor cannot be closed and reused while it runs.
func (c *Conn) sampleFD(fd uintptr) {
	c.sInq, c.sInqErr = 0, 0
	if c.sWantInq {
		_, _, c.sInqErr = unix.RawSyscall(unix.SYS_IOCTL, fd, unix.SIOCINQ, uintptr(unsafe.Pointer(&c.sInq)))
	}
	c.sMemLen = uint32(unsafe.Sizeof(c.sMem))
	_, _, c.sMemErr = unix.RawSyscall6(unix.SYS_GETSOCKOPT, fd, unix.SOL_SOCKET, unix.SO_MEMINFO,
		uintptr(unsafe.Pointer(&c.sMem)), uintptr(unsafe.Pointer(&c.sMemLen)), 0)
}

// Close unregisters the metrics, closes the socket and unblocks a blocked
// ReadBatch, which returns an error wrapping net.ErrClosed.
func (c *Conn) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return fmt.Errorf("socketstats: close: %w", net.ErrClosed)
	}
	c.closed = true
	regs := c.regs
	c.regs = nil
	c.mu.Unlock()
	var errs []error
	for _, r := range regs {
		if err := r.Unregister(); err != nil {
			errs = append(errs, err)
		}
	}
	if err := c.uc.Close(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
