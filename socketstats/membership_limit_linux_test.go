package socketstats

import (
	"errors"
	"net/netip"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/packetpath/packetpath/internal/netnstest"
	"github.com/packetpath/packetpath/procparse"
)

// joinUntilRefused joins 239.101.0.i for i = 0.. until a join fails and
// returns how many succeeded and the error.
func joinUntilRefused(c *Conn, max int) (int, error) {
	for i := range max {
		if err := c.Join(Group{Addr: netip.AddrFrom4([4]byte{239, 101, 0, byte(i)})}); err != nil {
			return i, err
		}
	}
	return max, nil
}

// TestJoinLimitNamesSysctl: in a namespace with the default limit, 20
// joins succeed and the 21st fails with ENOBUFS; the error names
// net.ipv4.igmp_max_memberships with the namespace's value (sysctl -n
// there is the peer). Then the limit is lowered to 5 in a second
// namespace whose socket is joined from a thread of the host namespace:
// the error quotes the socket's namespace's 5, not the host's value.
func TestJoinLimitNamesSysctl(t *testing.T) {
	for _, limit := range []int{0, 5} {
		ns := netnstest.New(t, netnstest.WithMulticastLoopback())
		if limit > 0 {
			ns.Run("sysctl", "-q", "-w", "net.ipv4.igmp_max_memberships="+strconv.Itoa(limit))
		}
		want, err := strconv.Atoi(strings.TrimSpace(ns.Run("sysctl", "-n", "net.ipv4.igmp_max_memberships")))
		if err != nil {
			t.Fatal(err)
		}
		if limit == 0 && want != 20 {
			t.Fatalf("default igmp_max_memberships %d, want 20", want)
		}
		var c *Conn
		if err := ns.Do(func() error {
			var err error
			c, err = Open(Config{Interface: "lo", Port: 6090})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		// Joins run on this goroutine, in the host namespace.
		n, jerr := joinUntilRefused(c, 64)
		if n != want {
			t.Errorf("%d joins succeeded, want %d", n, want)
		}
		var me *MembershipError
		if !errors.Is(jerr, unix.ENOBUFS) || !errors.As(jerr, &me) {
			t.Fatalf("join %d: %v, want a MembershipError wrapping ENOBUFS", n+1, jerr)
		}
		if me.MaxMemberships != (procparse.SysctlInt{Value: int64(want), Present: true}) {
			t.Errorf("MaxMemberships %+v, want %d", me.MaxMemberships, want)
		}
		if s := "net.ipv4.igmp_max_memberships = " + strconv.Itoa(want); !strings.Contains(jerr.Error(), s) {
			t.Errorf("error %q lacks %q", jerr, s)
		}
		t.Logf("join %d: %v", n+1, jerr)
	}
}
