package procparse

import (
	"reflect"
	"testing"
)

func FuzzParseNetDev(f *testing.F) {
	for _, p := range []string{
		"linux-6.18-vm/proc/net/dev",
		"linux-6.18-netns-udp-drops/proc/net/dev",
		"procfs-corpus/proc/net/dev",
		"procfs-corpus/proc/26231/net/dev",
	} {
		f.Add(fixtureBytes(f, p))
	}
	f.Add([]byte("  eth0:68210035552 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15\nibr10:30: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n"))
	var reused NetDev
	addStrictSeeds(f, "dev")
	f.Fuzz(func(t *testing.T, b []byte) {
		var fresh NetDev
		err := ParseNetDev(b, &fresh)
		err2 := ParseNetDev(b, &reused)
		if err2 == nil {
			// Again: the second parse of unchanged content takes the fast paths.
			err2 = ParseNetDev(b, &reused)
		}
		if (err == nil) != (err2 == nil) {
			t.Fatalf("fresh error %v, reused error %v", err, err2)
		}
		if err != nil {
			return
		}
		if len(fresh.Devices) != len(reused.Devices) || (len(fresh.Devices) > 0 && !reflect.DeepEqual(fresh.Devices, reused.Devices)) {
			t.Fatalf("reused parse differs:\n%+v\n%+v", fresh, reused)
		}
		for _, d := range fresh.Devices {
			if d.Name == "" {
				t.Fatalf("empty name in %+v", d)
			}
		}
	})
}
