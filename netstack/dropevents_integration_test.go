package netstack

import (
	"errors"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/packetpath/packetpath/dropevents"
	"github.com/packetpath/packetpath/internal/netnstest"
)

// TestDiagnoseWithDropEvents joins kernel drop reasons to a snapshot: the
// socket finding carries SOCKET_RCVBUFF and the port-filtered
// udp_fail_queue_rcv_skb count, which equals the socket's drops.
func TestDiagnoseWithDropEvents(t *testing.T) {
	ns := netnstest.New(t)
	if _, err := dropevents.FindTraceFS(); errors.Is(err, errors.ErrUnsupported) {
		if merr := unix.Mount("nodev", "/sys/kernel/tracing", "tracefs", 0, ""); merr != nil {
			t.Skipf("skipped: no tracefs and cannot mount it: %v", merr)
		}
	}
	const port, n = 5311, 2000
	var tx int
	if err := ns.Do(func() error {
		udpSocket(t, [4]byte{127, 0, 0, 1}, port, 4096)
		tx = udpSocket(t, [4]byte{127, 0, 0, 1}, 0, 0)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	c, err := NewCollector(Config{NetNS: ns.Path, Sources: SourceAll,
		DropEvents: dropevents.Config{Port: port, Reasons: []string{"SOCKET_RCVBUFF", "NO_SOCKET", "QDISC_DROP"}}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	d := collectPair(t, c, func() { sendN(t, tx, [4]byte{127, 0, 0, 1}, port, n) })
	for _, e := range d.Cur.Errors {
		if e.Source == SourceDropEvents {
			t.Skipf("skipped: drop events unavailable: %v", e.Err)
		}
	}
	fs := Diagnose(d)
	if len(fs) == 0 || fs[0].Stage != StageSocket {
		t.Fatalf("want the socket stage first:\n%s", findingsText(fs))
	}
	sock := findUDP(d, "127.0.0.1:5311", "drops")
	tp := d.Find(SourceDropEvents, "", -1, "udp:udp_fail_queue_rcv_skb")
	reason := d.Find(SourceDropEvents, "", -1, "SOCKET_RCVBUFF")
	if sock == nil || tp == nil || reason == nil {
		t.Fatalf("missing counters: socket %v tracepoint %v reason %v", sock, tp, reason)
	}
	if tp.Delta != sock.Delta {
		t.Errorf("udp_fail_queue_rcv_skb on port %d: +%d, socket drops +%d", port, tp.Delta, sock.Delta)
	}
	if reason.Delta < sock.Delta {
		t.Errorf("SOCKET_RCVBUFF +%d below the socket's drops +%d", reason.Delta, sock.Delta)
	}
	if !hasEvidence(fs[0], SourceDropEvents, "SOCKET_RCVBUFF", reason.Delta) || !hasEvidence(fs[0], SourceDropEvents, "udp:udp_fail_queue_rcv_skb", tp.Delta) {
		t.Errorf("the socket finding lacks the drop reason:\n%s", findingsText(fs))
	}
	t.Logf("\n%s", findingsText(fs))
}
