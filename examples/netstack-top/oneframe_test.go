package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/packetpath/packetpath/netstack"
)

// procNetDevColumns names the 16 columns of a /proc/net/dev line in file
// order, as netstack flattens them.
var procNetDevColumns = [16]string{
	"rx_bytes", "rx_packets", "rx_errors", netstack.ProcNetDevRxDrop, "rx_fifo_errors", netstack.ProcNetDevRxFrame,
	"rx_compressed", "multicast",
	"tx_bytes", "tx_packets", "tx_errors", "tx_dropped", "tx_fifo_errors", "collisions", netstack.ProcNetDevTxCarrier,
	"tx_compressed",
}

type procDevLine struct {
	name string
	vals [16]uint64
}

// readProcNetDev parses a /proc/net/dev file on its own terms (the test's
// peer): the name is what precedes the line's last colon (numbers have
// none, names may), then 16 decimal numbers.
func readProcNetDev(t *testing.T, path string) []procDevLine {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []procDevLine
	for i, line := range strings.Split(string(b), "\n") {
		if i < 2 || strings.TrimSpace(line) == "" {
			continue
		}
		k := strings.LastIndexByte(line, ':')
		f := strings.Fields(line[k+1:])
		if k < 0 || len(f) != 16 {
			t.Fatalf("%s line %d: %q", path, i+1, line)
		}
		l := procDevLine{name: strings.TrimSpace(line[:k])}
		for j := range f {
			if l.vals[j], err = strconv.ParseUint(f[j], 10, 64); err != nil {
				t.Fatalf("%s line %d: %v", path, i+1, err)
			}
		}
		out = append(out, l)
	}
	return out
}

// TestOneFrameProcNetDev is issue 13's scenario: /proc/net copied from a
// host (no /sys/class/net, no netlink) and `netstack-top -root DIR -once
// [-json]`. Every device of /proc/net/dev is shown with its 16 counters
// equal to the file in JSON and text, the output says there is no delta
// (JSON: "no_delta", and no "findings", "stages" or "delta"), stderr too,
// and the exit status is 0.
func TestOneFrameProcNetDev(t *testing.T) {
	trees, err := filepath.Glob("testdata/procdev/*")
	if err != nil || len(trees) < 6 {
		t.Fatalf("trees %v: %v", trees, err)
	}
	total := 0
	for _, tree := range trees {
		t.Run(filepath.Base(tree), func(t *testing.T) {
			want := readProcNetDev(t, filepath.Join(tree, "proc/net/dev"))
			r := runTop(t, "-root", tree, "-once", "-json")
			if r.code != 0 || !strings.Contains(r.stderr, "bundle holds 1 frame: no delta can be computed") {
				t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
			}
			var keys map[string]json.RawMessage
			if err := json.Unmarshal([]byte(r.stdout), &keys); err != nil {
				t.Fatalf("%v\n%s", err, r.stdout)
			}
			for _, k := range []string{"findings", "stages", "delta", "interval"} {
				if _, ok := keys[k]; ok {
					t.Errorf("key %q present in a one-frame document: %s", k, keys[k])
				}
			}
			var d struct {
				NoDelta  string       `json:"no_delta"`
				Frames   int          `json:"frames"`
				Counters []counterOut `json:"counters"`
			}
			if err := json.Unmarshal([]byte(r.stdout), &d); err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(d.NoDelta, "bundle holds 1 frame: no delta can be computed") || d.Frames != 1 {
				t.Errorf("no_delta %q, frames %d", d.NoDelta, d.Frames)
			}
			got := map[string]map[string]uint64{}
			for _, c := range d.Counters {
				if c.Source == netstack.SourceLinks.String() && c.Label == netstack.ProcNetDevLabel {
					if got[c.Object] == nil {
						got[c.Object] = map[string]uint64{}
					}
					if _, dup := got[c.Object][c.Name]; dup {
						t.Errorf("%s %s twice", c.Object, c.Name)
					}
					got[c.Object][c.Name] = c.Value
				}
			}
			if len(got) != len(want) {
				t.Errorf("JSON has /proc/net/dev counters of %d devices, the file %d", len(got), len(want))
			}
			// Wide enough that no key=value token is broken (the longest, the
			// summed tx_carrier... column, is 83 columns with its indent).
			text := runTop(t, "-root", tree, "-once", "-width", "120")
			if text.code != 0 || !strings.Contains(text.stdout, "\nNO DELTA: bundle holds 1 frame: no delta can be computed") ||
				!strings.Contains(text.stderr, "no delta can be computed") || strings.Contains(text.stdout, "LOSING") {
				t.Errorf("text: exit %d, stderr %q\n%s", text.code, text.stderr, text.stdout)
			}
			for _, l := range want {
				g := got[l.name]
				if len(g) != 16 {
					t.Errorf("%s: %d counters in JSON, want 16: %v", l.name, len(g), g)
				}
				block := deviceBlock(text.stdout, l.name)
				if block == "" {
					t.Errorf("text: no block for %s\n%s", l.name, text.stdout)
				}
				tokens := strings.Fields(block)
				for j, name := range procNetDevColumns {
					if v, ok := g[name]; !ok || v != l.vals[j] {
						t.Errorf("%s %s: JSON %d (present %v), file %d", l.name, name, v, ok, l.vals[j])
					}
					tok := name + "=" + strconv.FormatUint(l.vals[j], 10)
					if !contains(tokens, tok) {
						t.Errorf("%s: text lacks %s: %q", l.name, tok, block)
					}
				}
				total++
			}
			t.Logf("%s: %d devices, 16 counters each equal to %s in JSON and text", tree, len(want), filepath.Join(tree, "proc/net/dev"))
		})
	}
	t.Logf("%d devices checked", total)
}

// deviceBlock returns the text view's lines for device name: its line
// and the continuation lines under it.
func deviceBlock(out, name string) string {
	lines := strings.Split(out, "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "  "+name+" ("+netstack.ProcNetDevLabel+"): ") {
			block := strings.TrimPrefix(l, "  "+name+" ("+netstack.ProcNetDevLabel+"): ")
			for _, c := range lines[i+1:] {
				if !strings.HasPrefix(c, "      ") {
					break
				}
				block += " " + c
			}
			return block
		}
	}
	return ""
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestProcNetDevDropColumn: a device read from /proc/net/dev shows its
// "drop" column (rx_dropped+rx_missed_errors) as drop(col)+N and its fifo
// column as fifo+N: eth0's rise by 500 and 20 between the two frames of
// testdata/procdev-rx, in text and JSON; rx-nic counts 520.
func TestProcNetDevDropColumn(t *testing.T) {
	r := runTop(t, "-root", "testdata/procdev-rx")
	if r.code != 0 || !strings.Contains(r.stdout, "eth0 10.0k/s 15.0MB fifo+20 drop(col)+500") {
		t.Errorf("exit %d, stderr %q\n%s", r.code, r.stderr, r.stdout)
	}
	d := decode(t, runTop(t, "-root", "testdata/procdev-rx", "-json"))
	for _, s := range d.Stages {
		if s.Stage == "rx-nic" && (s.Drops != 520 || !strings.Contains(s.Detail, "eth0 10.0k/s 15.0MB fifo+20 drop(col)+500")) {
			t.Errorf("rx-nic: drops %d, detail %q", s.Drops, s.Detail)
		}
	}
}
