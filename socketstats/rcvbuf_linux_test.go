package socketstats

import (
	"testing"

	"golang.org/x/sys/unix"
)

// withoutNetAdmin runs fn with CAP_NET_ADMIN dropped from the calling
// thread's effective set (capabilities are per thread), then restores it.
// The caller must be locked to its thread (ns.Do does that).
func withoutNetAdmin(t *testing.T, fn func()) {
	t.Helper()
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		t.Skipf("skipped: capget: %v", err)
	}
	saved := data
	data[0].Effective &^= 1 << unix.CAP_NET_ADMIN
	if err := unix.Capset(&hdr, &data[0]); err != nil {
		t.Skipf("skipped: capset: %v", err)
	}
	defer func() {
		if err := unix.Capset(&hdr, &saved[0]); err != nil {
			t.Fatalf("restoring capabilities: %v", err)
		}
	}()
	fn()
}

func TestReceiveBufferCappedByRmemMax(t *testing.T) {
	inNS(t, func() {
		withoutNetAdmin(t, func() {
			c, err := Open(Config{Interface: "lo", Port: 6400, ReceiveBuffer: 1 << 30})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			b := c.Buffer()
			if b.Forced || !b.RmemMaxKnown || !b.Capped || uint64(b.Obtained) != 2*b.RmemMax {
				t.Errorf("without CAP_NET_ADMIN: %+v, want SO_RCVBUF capped at 2 x rmem_max", b)
			}
			small, err := Open(Config{Interface: "lo", Port: 6401, ReceiveBuffer: 100000})
			if err != nil {
				t.Fatal(err)
			}
			defer small.Close()
			if b := small.Buffer(); b.Forced || b.Capped || b.Obtained != 200000 {
				t.Errorf("100000 without CAP_NET_ADMIN: %+v, want 200000 uncapped", b)
			}
		})
	})
}
