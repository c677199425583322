package dropevents

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/packetpath/packetpath/internal/netns"
	"golang.org/x/sys/unix"
)

// nsCounters are the drop counters of one network namespace that bound
// what the host-wide tracepoints can count.
type nsCounters struct {
	rcvbuf  uint64 // Udp + UdpLite + Udp6 + UdpLite6 RcvbufErrors
	noPorts uint64 // the same NoPorts
	qdisc   uint64 // sum of every qdisc's drops (tc -s -j qdisc show)
}

// hostCounters maps a namespace's inode to its counters, for every network
// namespace that can be found: ours, the named ones under /var/run/netns and
// those of every process.
type hostCounters map[uint64]nsCounters

func namespacePaths() map[uint64]string {
	paths := map[uint64]string{}
	add := func(p string) {
		var st unix.Stat_t
		if unix.Stat(p, &st) == nil {
			if _, ok := paths[st.Ino]; !ok {
				paths[st.Ino] = p
			}
		}
	}
	add("/proc/self/ns/net")
	named, _ := filepath.Glob("/var/run/netns/*")
	for _, p := range named {
		add(p)
	}
	procs, _ := filepath.Glob("/proc/[0-9]*/ns/net")
	for _, p := range procs {
		add(p)
	}
	return paths
}

func readHostCounters(t testing.TB) hostCounters {
	t.Helper()
	hc := hostCounters{}
	for ino, path := range namespacePaths() {
		var c nsCounters
		err := netns.Do(path, func() error {
			if b, err := os.ReadFile("/proc/thread-self/net/snmp"); err == nil {
				for _, proto := range []string{"Udp", "UdpLite"} {
					c.rcvbuf += snmpValue(b, proto, "RcvbufErrors")
					c.noPorts += snmpValue(b, proto, "NoPorts")
				}
			}
			if b, err := os.ReadFile("/proc/thread-self/net/snmp6"); err == nil {
				for _, proto := range []string{"Udp6", "UdpLite6"} {
					c.rcvbuf += snmp6Value(b, proto+"RcvbufErrors")
					c.noPorts += snmp6Value(b, proto+"NoPorts")
				}
			}
			return nil
		})
		if err != nil {
			continue // the namespace went away meanwhile
		}
		out, err := exec.Command("nsenter", "--net="+path, "tc", "-s", "-j", "qdisc", "show").Output()
		if err != nil {
			continue
		}
		var qs []struct {
			Drops uint64 `json:"drops"`
		}
		if err := json.Unmarshal(out, &qs); err != nil {
			t.Fatalf("tc -s -j qdisc show in %s: %v", path, err)
		}
		for _, q := range qs {
			c.qdisc += q.Drops
		}
		hc[ino] = c
	}
	return hc
}

// delta sums after-before over the namespaces present after (a namespace
// that appeared meanwhile counts from zero). It also reports whether a
// namespace disappeared, whose last counts are then unknown.
func (after hostCounters) delta(before hostCounters) (d nsCounters, vanished bool) {
	for ino, a := range after {
		b := before[ino]
		d.rcvbuf += a.rcvbuf - b.rcvbuf
		d.noPorts += a.noPorts - b.noPorts
		d.qdisc += a.qdisc - b.qdisc
	}
	for ino := range before {
		if _, ok := after[ino]; !ok {
			vanished = true
		}
	}
	return d, vanished
}

// snmpValue returns the value of key in the "proto:" header/value line pair
// of /proc/net/snmp.
func snmpValue(b []byte, proto, key string) uint64 {
	lines := strings.Split(string(b), "\n")
	for i := 0; i+1 < len(lines); i++ {
		if !strings.HasPrefix(lines[i], proto+": ") || !strings.HasPrefix(lines[i+1], proto+": ") {
			continue
		}
		keys, vals := strings.Fields(lines[i]), strings.Fields(lines[i+1])
		for j := 1; j < len(keys) && j < len(vals); j++ {
			if keys[j] == key {
				v, _ := strconv.ParseUint(vals[j], 10, 64)
				return v
			}
		}
	}
	return 0
}

func snmp6Value(b []byte, key string) uint64 {
	for _, line := range bytes.Split(b, []byte("\n")) {
		f := strings.Fields(string(line))
		if len(f) == 2 && f[0] == key {
			v, _ := strconv.ParseUint(f[1], 10, 64)
			return v
		}
	}
	return 0
}

// socketDrops returns the drops column of the /proc/thread-self/net/udp line
// whose local port is port (read inside the socket's namespace).
func socketDrops(t testing.TB, port uint16) uint64 {
	t.Helper()
	b, err := os.ReadFile("/proc/thread-self/net/udp")
	if err != nil {
		t.Fatal(err)
	}
	want := ":" + strings.ToUpper(strconv.FormatUint(uint64(port)|0x10000, 16)[1:])
	for _, line := range strings.Split(string(b), "\n")[1:] {
		f := strings.Fields(line)
		if len(f) >= 13 && strings.HasSuffix(f[1], want) {
			v, err := strconv.ParseUint(f[12], 10, 64)
			if err != nil {
				t.Fatalf("drops column %q: %v", f[12], err)
			}
			return v
		}
	}
	t.Fatalf("no UDP socket on port %d in /proc/thread-self/net/udp", port)
	return 0
}

func readAll(path string) ([]byte, error) { return os.ReadFile(path) }
