package bench

// The raw read floor of a netstack snapshot: the kernel's own cost of
// producing the same files and dumps, with no decoding at all. Each floor
// keeps its file descriptors and sockets open, as the Collector does, and
// reads into reused buffers.

import (
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"
)

// floorFile is a kept-open file re-read from offset 0.
type floorFile struct {
	f   *os.File
	buf []byte
}

func openFloorFile(path string) (*floorFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	return &floorFile{f: f, buf: make([]byte, 0, 64<<10)}, nil
}

func (r *floorFile) read() error {
	if _, err := r.f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	b := r.buf[:0]
	for {
		if cap(b)-len(b) < 4096 {
			nb := make([]byte, len(b), 2*cap(b)+4096)
			copy(nb, b)
			b = nb
		}
		n, err := r.f.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF || (err == nil && n == 0) {
			r.buf = b
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// nlFloor is a raw netlink socket that sends a dump request and receives
// until NLMSG_DONE without looking inside the messages.
type nlFloor struct {
	fd  int
	buf []byte
	req []byte
	seq uint32
}

func openNLFloor(proto int) (*nlFloor, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, proto)
	if err != nil {
		return nil, err
	}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		unix.Close(fd)
		return nil, err
	}
	// Connected to the kernel, so plain write(2) and read(2) serve, without
	// the sockaddr allocations of sendto/recvfrom.
	if err := unix.Connect(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		unix.Close(fd)
		return nil, err
	}
	return &nlFloor{fd: fd, buf: make([]byte, 64<<10)}, nil
}

func (n *nlFloor) close() { unix.Close(n.fd) }

// dump sends a request whose body follows the 16-byte header and drains
// the reply.
func (n *nlFloor) dump(typ uint16, body []byte) (msgs int, err error) {
	n.seq++
	if cap(n.req) < 16+len(body) {
		n.req = make([]byte, 16+len(body))
	}
	req := n.req[:16+len(body)]
	binary.NativeEndian.PutUint32(req[0:], uint32(len(req)))
	binary.NativeEndian.PutUint16(req[4:], typ)
	binary.NativeEndian.PutUint16(req[6:], unix.NLM_F_REQUEST|unix.NLM_F_DUMP)
	binary.NativeEndian.PutUint32(req[8:], n.seq)
	copy(req[16:], body)
	if _, err := unix.Write(n.fd, req); err != nil {
		return 0, err
	}
	for {
		k, err := unix.Read(n.fd, n.buf)
		if err != nil {
			return msgs, err
		}
		b := n.buf[:k]
		for len(b) >= 16 {
			l := int(binary.NativeEndian.Uint32(b))
			t := binary.NativeEndian.Uint16(b[4:])
			if l < 16 || l > len(b) {
				return msgs, fmt.Errorf("bad netlink length %d", l)
			}
			if t == unix.NLMSG_DONE {
				return msgs, nil
			}
			if t == unix.NLMSG_ERROR {
				return msgs, fmt.Errorf("netlink error in dump")
			}
			msgs++
			b = b[(l+3)&^3:]
		}
	}
}

// rtgenBody is the body of a link or qdisc dump request (ifinfomsg and
// tcmsg are both 16 or 20 bytes of zeros here: family AF_UNSPEC).
var (
	ifinfoBody = make([]byte, 16)
	tcmsgBody  = make([]byte, 20)
)

func tcmsgFor(ifindex int32) []byte {
	b := make([]byte, 20)
	binary.NativeEndian.PutUint32(b[4:], uint32(ifindex))
	return b
}

// diagBody is inet_diag_req_v2 for UDP of one family with SKMEMINFO.
func diagBody(family uint8) []byte {
	b := make([]byte, 56)
	b[0] = family
	b[1] = unix.IPPROTO_UDP
	b[2] = 1 << (7 - 1)                              // INET_DIAG_SKMEMINFO = 7
	binary.NativeEndian.PutUint32(b[4:], 0xffffffff) // all states
	return b
}

// ethtoolFloor issues the ethtool ioctls the collector issues per device
// (GSTATS, GRINGPARAM, GCHANNELS), with preallocated buffers.
type ethtoolFloor struct {
	fd    int
	devs  []string
	stats [][]byte
	small []byte
}

type ifreqData struct {
	name [unix.IFNAMSIZ]byte
	data unsafe.Pointer
	_    [16]byte
}

func (e *ethtoolFloor) ioctl(dev string, buf []byte) error {
	var ifr ifreqData
	copy(ifr.name[:], dev)
	ifr.data = unsafe.Pointer(&buf[0])
	_, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(e.fd), unix.SIOCETHTOOL, uintptr(unsafe.Pointer(&ifr)))
	if errno != 0 {
		return errno
	}
	return nil
}

func openEthtoolFloor(devs []string, nstats func(string) int) (*ethtoolFloor, error) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	e := &ethtoolFloor{fd: fd, small: make([]byte, 64)}
	for _, d := range devs {
		n := nstats(d)
		if n <= 0 {
			continue
		}
		b := make([]byte, 8+8*n)
		e.devs = append(e.devs, d)
		e.stats = append(e.stats, b)
	}
	return e, nil
}

func (e *ethtoolFloor) read() {
	for i, d := range e.devs {
		b := e.stats[i]
		binary.NativeEndian.PutUint32(b[0:], unix.ETHTOOL_GSTATS)
		binary.NativeEndian.PutUint32(b[4:], uint32((len(b)-8)/8))
		e.ioctl(d, b)
		clear(e.small)
		binary.NativeEndian.PutUint32(e.small, unix.ETHTOOL_GRINGPARAM)
		e.ioctl(d, e.small)
		clear(e.small)
		binary.NativeEndian.PutUint32(e.small, unix.ETHTOOL_GCHANNELS)
		e.ioctl(d, e.small)
	}
}

func (e *ethtoolFloor) close() { unix.Close(e.fd) }

// snapshotFloor is the floor of a full snapshot: every file and dump a
// Collector with all sources reads.
type snapshotFloor struct {
	files   []*floorFile
	tcmsgs  [][]byte
	route   *nlFloor
	diag    *nlFloor
	eth     *ethtoolFloor
	ifindex []int32
	fast    bool
	// own are duplicates of the descriptors of the sockets added with
	// AddSocket: the collector reads each one's kernel state with one
	// getsockopt(SO_MEMINFO) per collection, and so does the floor.
	own     []int
	meminfo [unix.SK_MEMINFO_VARS]uint32
}

// addOwn makes the floor read SO_MEMINFO on each of fds (which it
// duplicates: the caller keeps its own).
func (s *snapshotFloor) addOwn(fds []int) error {
	for _, fd := range fds {
		d, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 0)
		if err != nil {
			return err
		}
		s.own = append(s.own, d)
	}
	return nil
}

// readOwn is one getsockopt(SOL_SOCKET, SO_MEMINFO) per own socket.
func (s *snapshotFloor) readOwn() error {
	for _, fd := range s.own {
		l := uint32(unsafe.Sizeof(s.meminfo))
		if _, _, e := unix.RawSyscall6(unix.SYS_GETSOCKOPT, uintptr(fd), unix.SOL_SOCKET, unix.SO_MEMINFO,
			uintptr(unsafe.Pointer(&s.meminfo)), uintptr(unsafe.Pointer(&l)), 0); e != 0 {
			return e
		}
	}
	return nil
}

// openSnapshotFloor opens the floors in the calling thread's namespace.
// With fast set it covers only the fast sampling profile's sources
// (softnet_stat, snmp, snmp6, the link dump).
func openSnapshotFloor(fast bool, devs []string, ifindex []int32, nstats func(string) int, sysfsFiles []string) (*snapshotFloor, error) {
	s := &snapshotFloor{fast: fast, ifindex: ifindex}
	for _, idx := range ifindex {
		s.tcmsgs = append(s.tcmsgs, tcmsgFor(idx))
	}
	net := "/proc/thread-self/net/"
	paths := []string{net + "softnet_stat", net + "snmp", net + "snmp6"}
	if !fast {
		paths = append(paths, net+"netstat", "/proc/softirqs")
		for _, name := range sysctlFiles {
			paths = append(paths, sysctlPath(name))
		}
		paths = append(paths, sysfsFiles...)
	}
	for _, p := range paths {
		f, err := openFloorFile(p)
		if err != nil {
			continue // absent in this namespace, as for the collector
		}
		if f.read() != nil {
			f.f.Close() // refused by the device, as for the collector
			continue
		}
		s.files = append(s.files, f)
	}
	var err error
	if s.route, err = openNLFloor(unix.NETLINK_ROUTE); err != nil {
		return nil, err
	}
	if fast {
		return s, nil
	}
	if s.diag, err = openNLFloor(unix.NETLINK_SOCK_DIAG); err != nil {
		return nil, err
	}
	if s.eth, err = openEthtoolFloor(devs, nstats); err != nil {
		return nil, err
	}
	return s, nil
}

var sysctlFiles = []string{
	"net.core.netdev_budget", "net.core.netdev_budget_usecs", "net.core.dev_weight",
	"net.core.dev_weight_rx_bias", "net.core.dev_weight_tx_bias", "net.core.netdev_max_backlog",
	"net.core.rmem_default", "net.core.rmem_max", "net.core.wmem_default", "net.core.wmem_max",
	"net.core.optmem_max", "net.core.busy_poll", "net.core.busy_read", "net.core.default_qdisc",
	"net.core.flow_limit_table_len", "net.core.rps_sock_flow_entries", "net.ipv4.udp_mem",
	"net.ipv4.udp_rmem_min", "net.ipv4.udp_wmem_min", "net.ipv4.igmp_max_memberships",
}

// sysctlPath is the /proc/sys file of a dotted sysctl name.
func sysctlPath(name string) string { return "/proc/sys/" + strings.ReplaceAll(name, ".", "/") }

func (s *snapshotFloor) read() error {
	for _, f := range s.files {
		if err := f.read(); err != nil {
			return err
		}
	}
	if _, err := s.route.dump(unix.RTM_GETLINK, ifinfoBody); err != nil {
		return err
	}
	if err := s.readOwn(); err != nil {
		return err
	}
	if s.fast {
		return nil
	}
	if _, err := s.route.dump(unix.RTM_GETQDISC, tcmsgBody); err != nil {
		return err
	}
	for _, body := range s.tcmsgs {
		if _, err := s.route.dump(unix.RTM_GETTCLASS, body); err != nil {
			return err
		}
	}
	for _, fam := range []uint8{unix.AF_INET, unix.AF_INET6} {
		if _, err := s.diag.dump(20 /* SOCK_DIAG_BY_FAMILY */, diagBody(fam)); err != nil {
			return err
		}
	}
	s.eth.read()
	return nil
}

func (s *snapshotFloor) close() {
	for _, f := range s.files {
		f.f.Close()
	}
	if s.route != nil {
		s.route.close()
	}
	if s.diag != nil {
		s.diag.close()
	}
	if s.eth != nil {
		s.eth.close()
	}
	for _, fd := range s.own {
		unix.Close(fd)
	}
}

// dynamicSysfsFiles lists the sysfs attributes the collector re-reads per
// collection: carrier_changes and, per tx queue, tx_timeout and BQL state.
func dynamicSysfsFiles(root string, devs []string) []string {
	var out []string
	for _, d := range devs {
		dir := filepath.Join(root, "class", "net", d)
		out = append(out, filepath.Join(dir, "carrier_changes"))
		qs, _ := filepath.Glob(filepath.Join(dir, "queues", "tx-*"))
		for _, q := range qs {
			out = append(out, filepath.Join(q, "tx_timeout"))
			for _, f := range []string{"inflight", "limit", "stall_cnt", "stall_max"} {
				out = append(out, filepath.Join(q, "byte_queue_limits", f))
			}
		}
	}
	return out
}
