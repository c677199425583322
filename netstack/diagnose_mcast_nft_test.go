package netstack

import (
	"encoding/json"
	"errors"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/packetpath/packetpath/dropevents"
	"github.com/packetpath/packetpath/internal/netnstest"
)

// nftDropRule installs, inside ns, an nftables input rule that counts and
// drops UDP to port, and returns a function reading the rule's packet
// counter (the kernel's count, through nft -j).
func nftDropRule(t *testing.T, ns *netnstest.NS, port string) func() uint64 {
	t.Helper()
	netnstest.RequireTool(t, "nft")
	ns.Run("nft", "add", "table", "inet", "pp")
	ns.Run("nft", "add", "chain", "inet", "pp", "input", "{ type filter hook input priority 0 ; policy accept ; }")
	ns.Run("nft", "add", "rule", "inet", "pp", "input", "udp", "dport", port, "counter", "drop")
	return func() uint64 {
		var rs struct {
			Nftables []struct {
				Rule *struct {
					Expr []struct {
						Counter *struct {
							Packets uint64 `json:"packets"`
						} `json:"counter"`
					} `json:"expr"`
				} `json:"rule"`
			} `json:"nftables"`
		}
		if err := json.Unmarshal([]byte(ns.Run("nft", "-j", "list", "ruleset")), &rs); err != nil {
			t.Fatal(err)
		}
		for _, o := range rs.Nftables {
			if o.Rule == nil {
				continue
			}
			for _, e := range o.Rule.Expr {
				if e.Counter != nil {
					return e.Counter.Packets
				}
			}
		}
		t.Fatal("no counter in the nft ruleset")
		return 0
	}
}

// mountTraceFS mounts tracefs when it is not mounted, or skips.
func mountTraceFS(t *testing.T) {
	if _, err := dropevents.FindTraceFS(); errors.Is(err, errors.ErrUnsupported) {
		if merr := unix.Mount("nodev", "/sys/kernel/tracing", "tracefs", 0, ""); merr != nil {
			t.Skipf("skipped: no tracefs and cannot mount it: %v", merr)
		}
	}
}

// TestDiagnoseMcastNetfilter: an nftables rule in the namespace drops UDP
// to port 5641; 150 datagrams sent there are NETFILTER_DROP drops, the
// rule's counter says 150, and the netfilter finding is first with the
// reason's count as evidence.
func TestDiagnoseMcastNetfilter(t *testing.T) {
	ns := netnstest.New(t)
	mountTraceFS(t)
	// NETFILTER_DROP is counted machine-wide: no other test may drop
	// through netfilter while this one measures.
	netnstest.HostWide(t, "netfilter-drop")
	counter := nftDropRule(t, ns, "5641")
	const n, port = 150, 5641
	lo := [4]byte{127, 0, 0, 1}
	var tx int
	if err := ns.Do(func() error {
		udpSocket(t, lo, port, 0)
		tx = udpSocket(t, lo, 0, 0)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	c, err := NewCollector(Config{NetNS: ns.Path, Sources: mcastSources | SourceDropEvents,
		DropEvents: dropevents.Config{Reasons: []string{reasonNetfilterDrop}}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	before := counter()
	d := collectPair(t, c, func() { sendN(t, tx, lo, port, n) })
	for _, e := range d.Cur.Errors {
		if e.Source == SourceDropEvents {
			t.Skipf("skipped: drop events unavailable: %v", e.Err)
		}
	}
	rule := counter() - before
	if rule != n {
		t.Errorf("the nft rule counted %d, want %d", rule, n)
	}
	f := firstFinding(t, d, StageIP, SourceDropEvents, reasonNetfilterDrop, n)
	if f.Drops != n {
		t.Errorf("finding drops %d, want %d", f.Drops, n)
	}
	if len(f.Knobs) == 0 || f.Knobs[0].Command != "nft list ruleset" {
		t.Errorf("knobs %+v", f.Knobs)
	}
}
