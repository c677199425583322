package netstack

import (
	"context"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/packetpath/packetpath/internal/netnstest"
)

// TestMIBGauges: Tcp CurrEstab and the other level-valued MIB entries are
// gauges, so the fall of CurrEstab when connections close is a level going
// down, not a reset with the level as its delta; the values equal
// /proc/net/snmp of the namespace.
func TestMIBGauges(t *testing.T) {
	ns := netnstest.New(t)
	var clients, accepted []int
	if err := ns.Do(func() error {
		l, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return err
		}
		t.Cleanup(func() { unix.Close(l) })
		if err := unix.Bind(l, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
			return err
		}
		if err := unix.Listen(l, 8); err != nil {
			return err
		}
		sa, err := unix.Getsockname(l)
		if err != nil {
			return err
		}
		for range 3 {
			c, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
			if err != nil {
				return err
			}
			if err := unix.Connect(c, sa); err != nil {
				return err
			}
			a, _, err := unix.Accept4(l, unix.SOCK_CLOEXEC)
			if err != nil {
				return err
			}
			clients, accepted = append(clients, c), append(accepted, a)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, fd := range append(clients, accepted...) {
			unix.Close(fd)
		}
	})
	c, err := NewCollector(Config{NetNS: ns.Path, Sources: SourceSNMP | SourceNetstat})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	var a, b Snapshot
	if err := c.Collect(ctx, &a); err != nil {
		t.Fatal(err)
	}
	snmpA := ns.Run("cat", "/proc/net/snmp")
	// Both ends of two connections leave ESTABLISHED: 6 -> 2.
	for i := range 2 {
		unix.Close(clients[i])
		unix.Close(accepted[i])
		clients[i], accepted[i] = -1, -1
	}
	var snmpB string
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		snmpB = ns.Run("cat", "/proc/net/snmp")
		if procMIB(t, snmpB, "Tcp", "CurrEstab") == 2 || time.Now().After(deadline) {
			break
		}
	}
	if err := c.Collect(ctx, &b); err != nil {
		t.Fatal(err)
	}
	var d Delta
	ComputeDelta(&a, &b, &d)
	est := d.Find(SourceSNMP, "", -1, MIBTcpCurrEstab)
	if est == nil {
		t.Fatal("no Tcp.CurrEstab")
	}
	prev := a.Counters[0]
	for _, k := range a.Counters {
		if k.Source == SourceSNMP && k.Name == MIBTcpCurrEstab {
			prev = k
		}
	}
	if wa, wb := procMIB(t, snmpA, "Tcp", "CurrEstab"), procMIB(t, snmpB, "Tcp", "CurrEstab"); prev.Value != wa || est.Value != wb || wa != 6 || wb != 2 {
		t.Errorf("Tcp.CurrEstab %d then %d; /proc/net/snmp says %d then %d, want 6 then 2", prev.Value, est.Value, wa, wb)
	}
	if !est.Gauge || est.Reset || est.Delta != 0 || est.Rate != 0 {
		t.Errorf("Tcp.CurrEstab from %d to %d: gauge %v, reset %v, delta %d, rate %g; want a gauge with no delta", prev.Value, est.Value, est.Gauge, est.Reset, est.Delta, est.Rate)
	}
	for _, n := range []string{MIBIpForwarding, MIBIpDefaultTTL, MIBTcpRtoAlgorithm, MIBTcpRtoMin, MIBTcpRtoMax, MIBTcpMaxConn} {
		if g := d.Find(SourceSNMP, "", -1, n); g == nil || !g.Gauge {
			t.Errorf("%s: %+v, want a gauge", n, g)
		}
	}
	if g := d.Find(SourceSNMP, "", -1, MIBTcpRtoMax); g != nil && g.Value != procMIB(t, snmpB, "Tcp", "RtoMax") {
		t.Errorf("Tcp.RtoMax = %d, /proc/net/snmp says %d", g.Value, procMIB(t, snmpB, "Tcp", "RtoMax"))
	}
	if g := d.Find(SourceNetstat, "", -1, MIBMPTcpCurrEstab); g != nil && !g.Gauge {
		t.Errorf("MPTcpExt.MPCurrEstab is not a gauge")
	}
	// The connections' opens are counters: three active opens, counted
	// before the first snapshot, none since.
	if o := d.Find(SourceSNMP, "", -1, "Tcp.ActiveOpens"); o == nil || o.Gauge || o.Value != 3 || o.Delta != 0 {
		t.Errorf("Tcp.ActiveOpens %+v, want a counter at 3 with no delta", o)
	}
	// No other MIB entry is a gauge.
	for _, k := range b.Counters {
		if (k.Source == SourceSNMP || k.Source == SourceNetstat) && k.Gauge != mibGauge(k.Name) {
			t.Errorf("%s: gauge %v", k.Name, k.Gauge)
		}
	}
	t.Logf("Tcp.CurrEstab %d -> %d (gauge, delta %d, reset %v), /proc/net/snmp %d -> %d", prev.Value, est.Value, est.Delta, est.Reset,
		procMIB(t, snmpA, "Tcp", "CurrEstab"), procMIB(t, snmpB, "Tcp", "CurrEstab"))
}
