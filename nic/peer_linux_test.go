package nic

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/packetpath/packetpath/internal/netnstest"
)

// runner runs a peer tool (ethtool, ip) on the host or inside a namespace
// and returns its standard output, standard error and exit error.
type runner func(name string, args ...string) (stdout, stderr string, err error)

func hostRunner(name string, args ...string) (string, string, error) {
	return runCmd(exec.Command(name, args...))
}

func nsRunner(ns *netnstest.NS) runner {
	return func(name string, args ...string) (string, string, error) {
		return runCmd(ns.Cmd(name, args...))
	}
}

func runCmd(cmd *exec.Cmd) (string, string, error) {
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	return out.String(), errb.String(), err
}

// ipLinkStats runs `ip -s -s -j link show` and returns, per device, the
// stats64 keys as "rx.bytes", "tx.carrier_changes", ...
func ipLinkStats(t *testing.T, run runner) map[string]map[string]uint64 {
	t.Helper()
	out, stderr, err := run("ip", "-s", "-s", "-j", "link", "show")
	if err != nil {
		t.Fatalf("ip -s -s -j link: %v: %s", err, stderr)
	}
	var links []struct {
		Ifname  string                       `json:"ifname"`
		Stats64 map[string]map[string]uint64 `json:"stats64"`
	}
	if err := json.Unmarshal([]byte(out), &links); err != nil {
		t.Fatalf("ip -j output: %v", err)
	}
	res := make(map[string]map[string]uint64)
	for _, l := range links {
		m := make(map[string]uint64)
		for dir, kv := range l.Stats64 {
			for k, v := range kv {
				m[dir+"."+k] = v
			}
		}
		res[l.Ifname] = m
	}
	return res
}

// ipKey maps ip(8)'s JSON names to LinkStats fields.
func ipKeys(s *LinkStats, l *Link) map[string]uint64 {
	return map[string]uint64{
		"rx.bytes": s.RxBytes, "rx.packets": s.RxPackets, "rx.errors": s.RxErrors, "rx.dropped": s.RxDropped,
		"rx.over_errors": s.RxOverErrors, "rx.multicast": s.Multicast, "rx.length_errors": s.RxLengthErrors,
		"rx.crc_errors": s.RxCRCErrors, "rx.frame_errors": s.RxFrameErrors, "rx.fifo_errors": s.RxFIFOErrors,
		"rx.missed_errors": s.RxMissedErrors, "rx.compressed": s.RxCompressed, "rx.nohandler": s.RxNohandler,
		"rx.otherhost_dropped": s.RxOtherhostDropped,
		"tx.bytes":             s.TxBytes, "tx.packets": s.TxPackets, "tx.errors": s.TxErrors, "tx.dropped": s.TxDropped,
		"tx.carrier_errors": s.TxCarrierErrors, "tx.collisions": s.Collisions, "tx.aborted_errors": s.TxAbortedErrors,
		"tx.fifo_errors": s.TxFIFOErrors, "tx.window_errors": s.TxWindowErrors, "tx.heartbeat_errors": s.TxHeartbeatErrors,
		"tx.compressed": s.TxCompressed, "tx.carrier_changes": uint64(l.CarrierChanges),
	}
}

// between checks a <= p <= b for every key p has: the peer's reading lies
// between our two readings.
func between(t *testing.T, what string, a, p, b map[string]uint64) {
	t.Helper()
	for k, pv := range p {
		av, ok := a[k]
		if !ok {
			t.Errorf("%s: peer has %s = %d, we have no such counter", what, k, pv)
			continue
		}
		if bv := b[k]; av > pv || pv > bv {
			t.Errorf("%s %s: ours %d then %d, peer %d in between", what, k, av, bv, pv)
		}
	}
}

func linksByName(ls []Link) map[string]*Link {
	m := make(map[string]*Link)
	for i := range ls {
		m[ls[i].Name] = &ls[i]
	}
	return m
}

// compareLinks: ours, ip, ours.
func compareLinks(t *testing.T, c *Client, run runner) []string {
	t.Helper()
	ctx := context.Background()
	a, err := c.Links(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	peer := ipLinkStats(t, run)
	b, err := c.Links(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	out, _, err := run("ip", "-j", "link", "show")
	if err != nil {
		t.Fatal(err)
	}
	var static []struct {
		Ifindex   int32  `json:"ifindex"`
		Ifname    string `json:"ifname"`
		MTU       uint32 `json:"mtu"`
		Qdisc     string `json:"qdisc"`
		Operstate string `json:"operstate"`
		Txqlen    uint32 `json:"txqlen"`
	}
	if err := json.Unmarshal([]byte(out), &static); err != nil {
		t.Fatal(err)
	}
	am, bm := linksByName(a), linksByName(b)
	if len(static) != len(a) {
		t.Errorf("ip lists %d links, we %d", len(static), len(a))
	}
	var names []string
	for _, s := range static {
		names = append(names, s.Ifname)
		la, lb := am[s.Ifname], bm[s.Ifname]
		if la == nil || lb == nil {
			t.Errorf("link %s missing from our dump", s.Ifname)
			continue
		}
		// Operstate is set asynchronously by linkwatch: ip's value must be
		// one of ours.
		oper := la.OperState.String() == s.Operstate || lb.OperState.String() == s.Operstate
		if la.Index != s.Ifindex || la.MTU != s.MTU || la.Qdisc != s.Qdisc || !oper || la.TxQueueLen != s.Txqlen {
			t.Errorf("link %s: ours index %d mtu %d qdisc %q oper %s txqlen %d; ip %+v",
				s.Ifname, la.Index, la.MTU, la.Qdisc, la.OperState, la.TxQueueLen, s)
		}
		if !la.HasStats || !la.HasCarrierChanges {
			t.Errorf("link %s: no IFLA_STATS64 or carrier changes", s.Ifname)
		}
		p := peer[s.Ifname]
		if len(p) < 20 {
			t.Errorf("link %s: ip printed only %d counters", s.Ifname, len(p))
		}
		between(t, "link "+s.Ifname, ipKeys(&la.Stats, la), p, ipKeys(&lb.Stats, lb))
	}
	return names
}

// ethtoolStats parses `ethtool -S`: names in order with their values.
func ethtoolStats(out string) (names []string, vals []uint64, err error) {
	for _, line := range strings.Split(out, "\n") {
		if strings.TrimSpace(line) == "" || !strings.HasPrefix(line, " ") {
			continue // "NIC statistics:" header
		}
		i := strings.LastIndex(line, ": ")
		if i < 0 {
			return nil, nil, fmt.Errorf("line %q", line)
		}
		v, err := strconv.ParseUint(strings.TrimSpace(line[i+2:]), 10, 64)
		if err != nil {
			return nil, nil, fmt.Errorf("line %q: %v", line, err)
		}
		names = append(names, strings.TrimSpace(line[:i]))
		vals = append(vals, v)
	}
	return names, vals, nil
}

// ethtoolKV parses "key: value" lines of `ethtool -i`.
func ethtoolKV(out string) map[string]string {
	m := make(map[string]string)
	for _, line := range strings.Split(out, "\n") {
		k, v, ok := strings.Cut(line, ":")
		if ok {
			m[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return m
}

// ethtoolSections parses -g and -l: "Pre-set maximums:" and "Current
// hardware settings:" with "KEY:\tvalue" lines; n/a reads 0.
func ethtoolSections(out string) (maxes, cur map[string]uint32) {
	maxes, cur = map[string]uint32{}, map[string]uint32{}
	var sec map[string]uint32
	for _, line := range strings.Split(out, "\n") {
		switch {
		case strings.HasPrefix(line, "Pre-set maximums"):
			sec = maxes
			continue
		case strings.HasPrefix(line, "Current hardware settings"):
			sec = cur
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok || sec == nil {
			continue
		}
		v = strings.TrimSpace(v)
		if v == "n/a" {
			sec[strings.TrimSpace(k)] = 0
		} else if n, err := strconv.ParseUint(v, 10, 32); err == nil {
			sec[strings.TrimSpace(k)] = uint32(n)
		}
	}
	return maxes, cur
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// compareEthtool compares every ioctl operation on dev with ethtool(8).
func compareEthtool(t *testing.T, c *Client, run runner, dev string) {
	t.Helper()
	unsupported := func(stderr string, err error) bool {
		return err != nil && (strings.Contains(stderr, "Operation not supported") || strings.Contains(stderr, "no stats available"))
	}
	// -i
	out, stderr, perr := run("ethtool", "-i", dev)
	info, err := c.DriverInfo(dev)
	switch {
	case unsupported(stderr, perr):
		if !errorsIsUnsupported(err) {
			t.Errorf("%s DriverInfo: ethtool says unsupported, we say %v", dev, err)
		}
	case perr != nil:
		t.Fatalf("ethtool -i %s: %v: %s", dev, perr, stderr)
	case err != nil:
		t.Errorf("%s DriverInfo: %v", dev, err)
	default:
		m := ethtoolKV(out)
		for k, v := range map[string]string{
			"driver": info.Driver, "version": info.Version, "firmware-version": info.FirmwareVersion,
			"expansion-rom-version": info.ExpansionROM, "bus-info": info.BusInfo,
			"supports-statistics": yesNo(info.SupportsStatistics()), "supports-test": yesNo(info.SupportsTest()),
			"supports-eeprom-access": yesNo(info.SupportsEEPROMAccess()),
			"supports-register-dump": yesNo(info.SupportsRegisterDump()),
			"supports-priv-flags":    yesNo(info.SupportsPrivFlags()),
		} {
			if m[k] != v {
				t.Errorf("%s ethtool -i %s = %q, ours %q", dev, k, m[k], v)
			}
		}
	}
	// -S: ours, peer, ours.
	st, serr := c.OpenStats(dev)
	out, stderr, perr = run("ethtool", "-S", dev)
	switch {
	case perr != nil || strings.Contains(out, "no stats available"):
		if !errorsIsUnsupported(serr) {
			t.Errorf("%s Stats: ethtool -S says %q %q, we say %v", dev, out, stderr, serr)
		}
	case serr != nil:
		t.Errorf("%s OpenStats: %v", dev, serr)
	default:
		a, err := st.Read(nil)
		if err != nil {
			t.Fatal(err)
		}
		out, _, _ = run("ethtool", "-S", dev)
		b, err := st.Read(nil)
		if err != nil {
			t.Fatal(err)
		}
		names, vals, err := ethtoolStats(out)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(names, ",") != strings.Join(st.Names(), ",") {
			t.Errorf("%s names:\nethtool %q\nours    %q", dev, names, st.Names())
		}
		for i := range min(len(vals), len(a)) {
			if a[i] > vals[i] || vals[i] > b[i] {
				t.Errorf("%s %s: ours %d then %d, ethtool %d", dev, names[i], a[i], b[i], vals[i])
			}
		}
		t.Logf("%s: %d statistics equal in name and order", dev, len(names))
	}
	// -g and -l
	for _, op := range []string{"-g", "-l"} {
		out, stderr, perr := run("ethtool", op, dev)
		var ourMax, ourCur map[string]uint32
		var err error
		if op == "-g" {
			var r Rings
			r, err = c.Rings(dev)
			ourMax = map[string]uint32{"RX": r.RxMax, "RX Mini": r.RxMiniMax, "RX Jumbo": r.RxJumboMax, "TX": r.TxMax}
			ourCur = map[string]uint32{"RX": r.Rx, "RX Mini": r.RxMini, "RX Jumbo": r.RxJumbo, "TX": r.Tx}
		} else {
			var ch Channels
			ch, err = c.Channels(dev)
			ourMax = map[string]uint32{"RX": ch.MaxRx, "TX": ch.MaxTx, "Other": ch.MaxOther, "Combined": ch.MaxCombined}
			ourCur = map[string]uint32{"RX": ch.Rx, "TX": ch.Tx, "Other": ch.Other, "Combined": ch.Combined}
		}
		if unsupported(stderr, perr) {
			if !errorsIsUnsupported(err) {
				t.Errorf("%s ethtool %s unsupported, we say %v", dev, op, err)
			}
			continue
		}
		if perr != nil || err != nil {
			t.Errorf("%s ethtool %s: %v %s; ours %v", dev, op, perr, stderr, err)
			continue
		}
		pm, pc := ethtoolSections(out)
		for k, v := range ourMax {
			if pm[k] != v || pc[k] != ourCur[k] {
				t.Errorf("%s ethtool %s %s: max %d cur %d, ours %d %d", dev, op, k, pm[k], pc[k], v, ourCur[k])
			}
		}
	}
	// -c: ethtool prints n/a for parameters the driver does not support.
	out, stderr, perr = run("ethtool", "-c", dev)
	co, err := c.Coalesce(dev)
	if unsupported(stderr, perr) {
		if !errorsIsUnsupported(err) {
			t.Errorf("%s ethtool -c unsupported, we say %v", dev, err)
		}
		return
	}
	if perr != nil || err != nil {
		t.Errorf("%s ethtool -c: %v %s; ours %v", dev, perr, stderr, err)
		return
	}
	m := ethtoolKV(out)
	for k, v := range map[string]uint32{
		"rx-usecs": co.RxUsecs, "rx-frames": co.RxMaxFrames, "rx-usecs-irq": co.RxUsecsIRQ, "rx-frames-irq": co.RxMaxFramesIRQ,
		"tx-usecs": co.TxUsecs, "tx-frames": co.TxMaxFrames, "tx-usecs-irq": co.TxUsecsIRQ, "tx-frames-irq": co.TxMaxFramesIRQ,
		"stats-block-usecs": co.StatsBlockUsecs, "sample-interval": co.RateSampleInterval,
		"pkt-rate-low": co.PktRateLow, "pkt-rate-high": co.PktRateHigh,
		"rx-usecs-low": co.RxUsecsLow, "rx-frame-low": co.RxMaxFramesLow, "tx-usecs-low": co.TxUsecsLow, "tx-frame-low": co.TxMaxFramesLow,
		"rx-usecs-high": co.RxUsecsHigh, "rx-frame-high": co.RxMaxFramesHigh, "tx-usecs-high": co.TxUsecsHigh, "tx-frame-high": co.TxMaxFramesHigh,
	} {
		pv, ok := m[k]
		if !ok {
			t.Errorf("%s ethtool -c has no %s", dev, k)
			continue
		}
		if pv == "n/a" {
			continue
		}
		if pv != strconv.FormatUint(uint64(v), 10) {
			t.Errorf("%s ethtool -c %s = %s, ours %d", dev, k, pv, v)
		}
	}
}

// sendBroadcast sends n UDP datagrams to the broadcast address bcast out of
// dev (in the calling thread's namespace).
func sendBroadcast(dev, bcast string, n int) error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_BROADCAST, 1); err != nil {
		return err
	}
	if err := unix.BindToDevice(fd, dev); err != nil {
		return err
	}
	addr := &unix.SockaddrInet4{Port: 9}
	copy(addr.Addr[:], net.ParseIP(bcast).To4())
	for range n {
		if err := unix.Sendto(fd, []byte("packetpath nic test"), 0, addr); err != nil {
			return err
		}
	}
	return nil
}

func TestHostDevicesAgainstPeers(t *testing.T) {
	netnstest.RequireRoot(t)
	netnstest.RequireTool(t, "ethtool")
	c, err := Open(Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	names := compareLinks(t, c, hostRunner)
	for _, dev := range names {
		t.Run(dev, func(t *testing.T) { compareEthtool(t, c, hostRunner, dev) })
	}
}

func TestNamespaceVethAgainstPeers(t *testing.T) {
	netnstest.RequireTool(t, "ethtool")
	ns := netnstest.New(t, netnstest.WithVeth("ppva", "ppvb", "10.77.0.1/24", "10.77.0.2/24"))
	c, err := Open(Config{NetNS: ns.Path})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// Wait for linkwatch to mark both ends up before comparing.
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		links, err := c.Links(context.Background(), nil)
		if err != nil {
			t.Fatal(err)
		}
		up := 0
		for _, l := range links {
			if l.OperState == OperUp {
				up++
			}
		}
		if up == 2 {
			break
		}
	}
	// Broadcast datagrams out of ppva so both veth ends count traffic
	// (sent before both ends are up, veth would drop them: tx_dropped).
	if err := ns.Do(func() error { return sendBroadcast("ppva", "10.77.0.255", 5) }); err != nil {
		t.Fatal(err)
	}
	names := compareLinks(t, c, nsRunner(ns))
	links, err := c.Links(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range links {
		if l.Name == "ppva" && l.Stats.TxPackets < 5 || l.Name == "ppvb" && l.Stats.RxPackets < 5 {
			t.Errorf("%s did not count the 5 broadcasts: %+v", l.Name, l.Stats)
		}
	}
	if strings.Join(names, ",") != "lo,ppvb,ppva" && strings.Join(names, ",") != "lo,ppva,ppvb" {
		t.Errorf("namespace links = %v", names)
	}
	for _, dev := range names {
		t.Run(dev, func(t *testing.T) { compareEthtool(t, c, nsRunner(ns), dev) })
	}
	// veth has no ring parameters: Rings fails alone, Channels still works.
	if _, err := c.Rings("ppva"); !errorsIsUnsupported(err) {
		t.Errorf("veth Rings: %v, want ErrUnsupported", err)
	}
	if ch, err := c.Channels("ppva"); err != nil || ch.MaxRx == 0 {
		t.Errorf("veth Channels: %+v %v", ch, err)
	}
	// sysfs as seen from the namespace: mount a sysfs instance from a
	// thread inside it (sysfs shows the devices of the mounting thread's
	// namespace) and pass it as SysRoot.
	dir := t.TempDir()
	if err := ns.Do(func() error { return unix.Mount("sysfs", dir, "sysfs", unix.MS_RDONLY, "") }); err != nil {
		t.Fatalf("mounting the namespace's sysfs: %v", err)
	}
	t.Cleanup(func() { unix.Unmount(dir, unix.MNT_DETACH) })
	nsc, err := Open(Config{NetNS: ns.Path, SysRoot: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer nsc.Close()
	devs, err := nsc.SysFS().DeviceNames()
	if err != nil || strings.Join(devs, ",") != "lo,ppva,ppvb" {
		t.Errorf("namespace sysfs devices = %v, %v", devs, err)
	}
	before, err := nsc.Links(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	sst, err := nsc.SysFS().Stats("ppvb")
	if err != nil {
		t.Fatal(err)
	}
	after, err := nsc.Links(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range before {
		if before[i].Name == "ppvb" {
			a, b := sysfsKeys(&before[i].Stats), sysfsKeys(&after[i].Stats)
			between(t, "namespace sysfs ppvb", a, sysfsKeys(&sst), b)
		}
	}
	d, err := nsc.SysFS().Device("ppva")
	if err != nil || !d.Carrier.Present || !d.Carrier.Value || len(d.TxQueues) != 1 || len(d.RxQueues) != 1 {
		t.Errorf("namespace sysfs ppva = %+v, %v", d, err)
	}

	// The host's eth0 is not in the namespace.
	if _, err := c.DriverInfo("eth0"); !errorsIsNotExist(err) {
		t.Errorf("eth0 inside the namespace: %v, want os.ErrNotExist", err)
	}
}
