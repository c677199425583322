package procparse

import (
	"reflect"
	"testing"
)

func FuzzParseSoftnetStat(f *testing.F) {
	for _, p := range []string{
		"linux-6.18-vm/proc/net/softnet_stat",
		"linux-6.18-netns-udp-drops/proc/net/softnet_stat",
		"procfs-corpus/proc/net/softnet_stat",
		"procfs-corpus/proc/net/softnet_stat.broken",
	} {
		f.Add(fixtureBytes(f, p))
	}
	f.Add([]byte("00000001 00000002 00000003 00000000 00000000 00000000 00000000 00000000 00000000 00000004 00000005 00000006 00000007 00000008 00000009 0000000a 0000000b\n"))
	addStrictSeeds(f, "softnet")
	// A value parsed into a reused value must equal one parsed fresh.
	var reused SoftnetStat
	f.Fuzz(func(t *testing.T, b []byte) {
		var fresh SoftnetStat
		err := ParseSoftnetStat(b, &fresh)
		err2 := ParseSoftnetStat(b, &reused)
		if err2 == nil {
			// Again: the second parse of unchanged content takes the fast paths.
			err2 = ParseSoftnetStat(b, &reused)
		}
		if (err == nil) != (err2 == nil) {
			t.Fatalf("fresh error %v, reused error %v", err, err2)
		}
		if err != nil {
			return
		}
		if !softnetEqual(fresh, reused) {
			t.Fatalf("reused parse differs:\n%+v\n%+v", fresh, reused)
		}
		for _, c := range fresh.CPUs {
			if c.Width != fresh.CPUs[0].Width {
				t.Fatalf("rows of %d and %d columns accepted", fresh.CPUs[0].Width, c.Width)
			}
			if c.Width < SoftnetWidthMin || (c.Width > SoftnetWidthQueues) != (len(c.Extra) > 0) {
				t.Fatalf("row %+v", c)
			}
		}
	})
}

func softnetEqual(a, b SoftnetStat) bool {
	if len(a.CPUs) != len(b.CPUs) {
		return false
	}
	for i := range a.CPUs {
		x, y := a.CPUs[i], b.CPUs[i]
		if len(x.Extra) == 0 && len(y.Extra) == 0 {
			x.Extra, y.Extra = nil, nil
		}
		if !reflect.DeepEqual(x, y) {
			return false
		}
	}
	return true
}
