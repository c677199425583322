package netstack

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// countArrayElems is nestedElements' reference: the elements of every
// array in v, at any depth, from encoding/json's decoding.
func countArrayElems(v any) int {
	n := 0
	switch x := v.(type) {
	case []any:
		n += len(x)
		for _, e := range x {
			n += countArrayElems(e)
		}
	case map[string]any:
		for _, e := range x {
			n += countArrayElems(e)
		}
	}
	return n
}

// FuzzLegacyDecode decodes netlink.json of a format 1 frame with the
// bounds: it never panics, keeps every count within its cap, and
// nestedElements agrees with encoding/json on valid JSON. Seeds: the two
// frames of testdata/bundle-v1.tar.gz (their netlink.json copied into testdata/legacy)
// and hostile shapes.
func FuzzLegacyDecode(f *testing.F) {
	for _, p := range []string{"frame-000.netlink.json", "frame-001.netlink.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", "legacy", p))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"links":[{},{},{}],"sources":{"devices":[{"stat_names":["a","b"],"stat_values":[1,2]}],"udp":null,"drops":{}}}`))
	f.Add([]byte(`{"sources":{"devices":[{"irqs":[{"counts":[1,2,3],"cpus":[0,1]}]}]}}`))
	f.Add([]byte(`["[\"x\\\"]",[],[[]],{"a":[1,{"b":[2,3]}]}]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if json.Valid(b) {
			var v any
			if err := json.Unmarshal(b, &v); err == nil {
				if got, want := nestedElements(b), countArrayElems(v); got != want {
					t.Fatalf("nestedElements %d, encoding/json %d: %q", got, want, b)
				}
			}
		}
		fd, _, err := decodeLegacyJSON(b)
		if err != nil {
			return
		}
		tp := &fd.Typed
		if len(fd.Links) > legacyMaxLinks || len(tp.Links) > legacyMaxLinks || len(tp.Devices) > legacyMaxLinks ||
			len(tp.Qdiscs) > legacyMaxQdiscs || len(tp.Classes) > legacyMaxQdiscs || len(tp.UDP) > legacyMaxUDP || len(tp.Sockets) > legacyMaxSockets {
			t.Fatalf("a count over its cap")
		}
		for i := range tp.Devices {
			if len(tp.Devices[i].StatNames) > legacyMaxStatNames || len(tp.Devices[i].StatValues) > legacyMaxStatNames {
				t.Fatalf("stat names over the cap")
			}
		}
	})
}

// FuzzCapDump cuts a dump (seeds: the VM's recorded link, qdisc and UDP
// dumps) at a fuzzed count: it never panics, returns the dump unchanged
// when within the count, and otherwise exactly max data messages, the
// dump's own bytes, then one NLMSG_DONE.
func FuzzCapDump(f *testing.F) {
	for _, p := range []string{"rtm_getlink.bin", "rtm_getqdisc.bin", "sock_diag_udp.bin"} {
		b, err := os.ReadFile(filepath.Join("testdata", "raw", p))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, uint8(0))
		f.Add(b, uint8(1))
		f.Add(b, uint8(3))
	}
	f.Fuzz(func(t *testing.T, b []byte, m uint8) {
		max := int(m)
		out, n, cut := capDump(b, max)
		if !cut {
			if !bytes.Equal(out, b) || (n > max) {
				t.Fatalf("not cut: %d messages, max %d, changed %v", n, max, !bytes.Equal(out, b))
			}
			return
		}
		if n <= max || len(out) < 20 {
			t.Fatalf("cut at %d messages of %d", max, n)
		}
		body, done := out[:len(out)-20], out[len(out)-20:]
		if !bytes.Equal(body, b[:len(body)]) || binary.NativeEndian.Uint16(done[4:]) != nlmsgDone {
			t.Fatalf("cut dump is not the dump's prefix and a DONE")
		}
		_, k, _ := capDump(body, 1<<30)
		if k != max {
			t.Fatalf("cut dump holds %d data messages, want %d", k, max)
		}
	})
}
