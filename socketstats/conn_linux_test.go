package socketstats

import (
	"net/netip"

	"github.com/packetpath/packetpath/procparse"
	"testing"
	"time"
)

var (
	testGroup4 = netip.MustParseAddr("239.1.2.3")
	loopback1  = netip.MustParseAddr("127.0.0.1")
	loopback2  = netip.MustParseAddr("127.0.0.2")
)

// TestOverloadExactAccounting overloads a small receive buffer while the
// reader is paused, then checks sent == received + dropped and that the
// drops agree with /proc/net/udp and the Udp RcvbufErrors delta, 20 times.
func TestOverloadExactAccounting(t *testing.T) {
	const runs, sent = 20, 3000
	inNS(t, func() {
		for run := range runs {
			port := uint16(5000 + run)
			before := snmpUDP(t, "RcvbufErrors")
			c, err := Open(Config{Interface: "lo", Port: port, Groups: []Group{{Addr: testGroup4}}, ReceiveBuffer: 16384})
			if err != nil {
				t.Fatal(err)
			}
			s := newSender(t, loopback1)
			payload := make([]byte, 64)
			dst := netip.AddrPortFrom(testGroup4, port)
			for range sent {
				s.send(t, dst, payload)
			}
			msgs := newMessages(16, 2048)
			got := drain(t, c, msgs, 50*time.Millisecond)
			if _, err := c.Sample(); err != nil {
				t.Fatal(err)
			}
			st := c.Stats()
			procDrops := udpDrops(t, procparse.FileUDP, dst)
			rcvbufErrs := snmpUDP(t, "RcvbufErrors") - before
			if uint64(got) != st.Packets || uint64(got)+st.Drops != sent || st.Drops != procDrops || st.Drops != rcvbufErrs || st.Drops == 0 {
				t.Errorf("run %d: sent %d, received %d (Stats.Packets %d), drops %d, /proc/net/udp drops %d, RcvbufErrors delta %d",
					run, sent, got, st.Packets, st.Drops, procDrops, rcvbufErrs)
			}
			if run == 0 {
				t.Logf("run 0: sent %d, received %d, dropped %d, buffer %+v high-water %d", sent, got, st.Drops, c.Buffer(), st.HighWater)
			}
			c.Close()
		}
	})
}
