package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/packetpath/packetpath/netstack"
)

const fixtureTree = "testdata/netns-udp-drops"

// copyTree copies the fixture tree into dst.
func copyTree(t *testing.T, dst string) {
	t.Helper()
	err := filepath.WalkDir(fixtureTree, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(fixtureTree, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// editFile rewrites one file of a frame.
func editFile(t *testing.T, path string, edit func(string) string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(edit(string(b))), 0o644); err != nil {
		t.Fatal(err)
	}
}

// beforeDrops turns a frame into the state before the fixture's drops: the
// Udp counters the drops moved and every socket's drops column at 0.
func beforeDrops(t *testing.T, frame string) {
	t.Helper()
	editFile(t, filepath.Join(frame, "proc/net/snmp"), func(s string) string {
		const after = "Udp: 0 5000 9735 15000 9735 0 0 0 0\n"
		if !strings.Contains(s, after) {
			t.Fatalf("fixture snmp changed: no %q", after)
		}
		return strings.Replace(s, after, "Udp: 0 0 0 0 0 0 0 0 0\n", 1)
	})
	editFile(t, filepath.Join(frame, "proc/net/udp"), func(s string) string {
		// The drops column is the last field of each socket line.
		re := regexp.MustCompile(`(?m) (\d+) +$`)
		lines := strings.SplitAfter(s, "\n")
		for i := 1; i < len(lines); i++ {
			lines[i] = re.ReplaceAllString(lines[i], " 0")
		}
		return strings.Join(lines, "")
	})
}

// makeBundle writes a bundle of n frames one second apart, each a copy of
// the fixture tree that prepare may change.
func makeBundle(t *testing.T, n int, prepare func(i int, frame string)) string {
	t.Helper()
	dir := t.TempDir()
	info := netstack.BundleInfo{Format: netstack.BundleFormat, Created: time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC), Hostname: "fixture"}
	for i := range n {
		fdir := fmt.Sprintf("frame-%03d", i)
		copyTree(t, filepath.Join(dir, fdir))
		if prepare != nil {
			prepare(i, filepath.Join(dir, fdir))
		}
		info.Frames = append(info.Frames, netstack.BundleFrame{Dir: fdir, Time: info.Created.Add(time.Duration(i) * time.Second)})
	}
	b, err := json.Marshal(info)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "bundle.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

type runResult struct {
	code           int
	stdout, stderr string
}

func runTop(t *testing.T, args ...string) runResult {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(append([]string{"-color", "never"}, args...), &out, &errb)
	return runResult{code, out.String(), errb.String()}
}

// bundleDoc is the part of the -json document the bundle tests read.
type bundleDoc struct {
	Interval string `json:"interval"`
	Frames   int    `json:"frames"`
	Span     struct {
		From, To string
		Label    string
	} `json:"span"`
	Findings []struct {
		Stage    string   `json:"stage"`
		Drops    uint64   `json:"drops"`
		Summary  string   `json:"summary"`
		Interval jsonRef  `json:"interval"`
		Labels   []string `json:"intervals"`
	} `json:"findings"`
	Stages []stageSummary `json:"stages"`
	Pairs  []struct {
		Interval jsonRef `json:"interval"`
		Findings []struct {
			Stage    string  `json:"stage"`
			Drops    uint64  `json:"drops"`
			Interval jsonRef `json:"interval"`
		} `json:"findings"`
		Stages []stageSummary `json:"stages"`
	} `json:"pairs"`
	Sockets []sockRow `json:"sockets"`
	Errors  []string  `json:"errors"`
}

type jsonRef struct {
	FromFrame *int   `json:"from_frame"`
	ToFrame   *int   `json:"to_frame"`
	From      string `json:"from"`
	To        string `json:"to"`
	Duration  string `json:"duration"`
	Label     string `json:"label"`
}

func decode(t *testing.T, r runResult) bundleDoc {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	var d bundleDoc
	if err := json.Unmarshal([]byte(r.stdout), &d); err != nil {
		t.Fatalf("not one JSON document: %v\n%s", err, r.stdout)
	}
	return d
}

// TestBundleDropsInSecondInterval: a 3-frame bundle whose drops happen only
// between frames 1 and 2 gives the findings, labelled with that interval,
// in text and JSON; the first interval has none.
func TestBundleDropsInSecondInterval(t *testing.T) {
	dir := makeBundle(t, 3, func(i int, frame string) {
		if i < 2 {
			beforeDrops(t, frame)
		}
	})
	d := decode(t, runTop(t, "-root", dir, "-json"))
	if d.Frames != 3 || len(d.Pairs) != 2 || d.Span.Label != "frame-000 → frame-002" || d.Interval != "2s" {
		t.Fatalf("frames %d, pairs %d, span %+v, interval %s", d.Frames, len(d.Pairs), d.Span, d.Interval)
	}
	p0, p1 := d.Pairs[0], d.Pairs[1]
	if len(p0.Findings) != 0 || p0.Interval.From != "frame-000" || p0.Interval.To != "frame-001" || *p0.Interval.FromFrame != 0 || *p0.Interval.ToFrame != 1 {
		t.Errorf("pair 0: %+v", p0)
	}
	if p1.Interval.Label != "frame-001 → frame-002" || p1.Interval.Duration != "1s" || *p1.Interval.FromFrame != 1 || *p1.Interval.ToFrame != 2 {
		t.Errorf("pair 1 interval %+v", p1.Interval)
	}
	// The fixture's counts: Udp NoPorts +5000 (rx-udp), RcvbufErrors +9735
	// = 4991 + 4744 socket drops (rx-socket).
	want := map[string]uint64{"rx-udp": 5000, "rx-socket": 9735}
	got := map[string]uint64{}
	for _, f := range p1.Findings {
		got[f.Stage] = f.Drops
		if f.Interval.Label != "frame-001 → frame-002" {
			t.Errorf("pair 1 finding %s labelled %q", f.Stage, f.Interval.Label)
		}
	}
	for st, n := range want {
		if got[st] != n {
			t.Errorf("pair 1 %s drops %d, want %d (findings %+v)", st, got[st], n, p1.Findings)
		}
	}
	// The span's findings are the same, each naming the interval they come
	// from.
	spanGot := map[string]uint64{}
	for _, f := range d.Findings {
		spanGot[f.Stage] = f.Drops
		if want[f.Stage] != 0 && (len(f.Labels) != 1 || f.Labels[0] != "frame-001 → frame-002") {
			t.Errorf("span finding %s comes from %v, want [frame-001 → frame-002]", f.Stage, f.Labels)
		}
		if f.Interval.Label != "frame-000 → frame-002" {
			t.Errorf("span finding %s has interval %q", f.Stage, f.Interval.Label)
		}
	}
	for st, n := range want {
		if spanGot[st] != n {
			t.Errorf("span %s drops %d, want %d", st, spanGot[st], n)
		}
	}
	if d.Findings[0].Stage != "rx-udp" {
		t.Errorf("first finding %s, want rx-udp (earliest on the path)", d.Findings[0].Stage)
	}

	// The text view: the finding, the interval it comes from, and each
	// interval on its own line.
	r := runTop(t, "-root", dir)
	if r.code != 0 {
		t.Fatalf("text: exit %d: %s", r.code, r.stderr)
	}
	out := r.stdout
	for _, s := range []string{
		"interval 2s  (frame-000 → frame-002: 3 frames, 2 intervals)",
		"] 9735 datagrams",
		"     interval: frame-001 → frame-002 (9735 drops)",
		"     interval: frame-001 → frame-002 (5000 drops)",
		"BY INTERVAL",
	} {
		if !strings.Contains(out, s) {
			t.Errorf("text view lacks %q:\n%s", s, out)
		}
	}
	if !regexp.MustCompile(`(?m)^  frame-000 → frame-001 +1s  no findings$`).MatchString(out) {
		t.Errorf("text view does not say the first interval had no findings:\n%s", out)
	}
	if !regexp.MustCompile(`(?m)^  frame-001 → frame-002 +1s  findings: rx-udp 5000, rx-socket 9735$`).MatchString(out) {
		t.Errorf("text view does not list the second interval's findings:\n%s", out)
	}
	t.Logf("span findings: %+v", d.Findings)
}

// TestBundleOneFrame: one frame gives no delta; netstack-top says so on
// stderr and in the output, shows the frame's counters as read (the MIB
// values of the fixture: Udp.NoPorts 5000, Udp.RcvbufErrors 9735) with no
// findings, and exits 0, in text and JSON; a bare proc tree (one frame
// without bundle.json) too.
func TestBundleOneFrame(t *testing.T) {
	dir := makeBundle(t, 1, nil)
	for _, args := range [][]string{{"-root", dir}, {"-root", dir, "-json"}, {"-root", fixtureTree, "-json"}, {"-root", fixtureTree}} {
		r := runTop(t, args...)
		if r.code != 0 || !strings.Contains(r.stderr, "holds 1 frame: no delta can be computed") {
			t.Errorf("%v: exit %d, stderr %q", args, r.code, r.stderr)
			continue
		}
		if args[len(args)-1] != "-json" {
			for _, want := range []string{"\nNO DELTA: bundle holds 1 frame: no delta can be computed", "Udp.NoPorts=5000", "Udp.RcvbufErrors=9735",
				"  lo: ", "FINDINGS  none computed"} {
				if !strings.Contains(r.stdout, want) {
					t.Errorf("%v: text lacks %q:\n%s", args, want, r.stdout)
				}
			}
			if strings.Contains(r.stdout, "LOSING") || strings.Contains(r.stdout, "/s") {
				t.Errorf("%v: text claims rates or findings:\n%s", args, r.stdout)
			}
			continue
		}
		var keys map[string]json.RawMessage
		if err := json.Unmarshal([]byte(r.stdout), &keys); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		if _, ok := keys["findings"]; ok {
			t.Errorf("%v: findings present: %s", args, keys["findings"])
		}
		var d struct {
			NoDelta  string       `json:"no_delta"`
			Counters []counterOut `json:"counters"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &d); err != nil {
			t.Fatal(err)
		}
		mib := map[string]uint64{}
		for _, c := range d.Counters {
			if c.Source == "snmp" {
				mib[c.Name] = c.Value
			}
		}
		if !strings.HasPrefix(d.NoDelta, "bundle holds 1 frame: no delta can be computed") || mib["Udp.NoPorts"] != 5000 || mib["Udp.RcvbufErrors"] != 9735 {
			t.Errorf("%v: no_delta %q, Udp.NoPorts %d, Udp.RcvbufErrors %d", args, d.NoDelta, mib["Udp.NoPorts"], mib["Udp.RcvbufErrors"])
		}
	}
}

// TestBundleGarbledSNMP: a garbled snmp file in the last frame leaves the
// rows that show snmp counters FAILED with the error, not +0, in text and
// JSON, and FINDINGS says which stages were not checked.
func TestBundleGarbledSNMP(t *testing.T) {
	dir := makeBundle(t, 2, func(i int, frame string) {
		if i == 0 {
			beforeDrops(t, frame)
			return
		}
		editFile(t, filepath.Join(frame, "proc/net/snmp"), func(s string) string {
			return strings.Replace(s, "Udp: 0 5000 9735 15000 9735 0 0 0 0\n", "Udp: 0 5000 zz 15000\n", 1)
		})
	})
	d := decode(t, runTop(t, "-root", dir, "-json"))
	stage := map[string]stageSummary{}
	for _, s := range d.Stages {
		stage[s.Stage] = s
	}
	for _, st := range []string{"rx-ip", "rx-udp", "tx-socket"} {
		s := stage[st]
		if len(s.Failed) == 0 || !strings.HasPrefix(s.Detail, "FAILED: frame-001: snmp: ") || strings.Contains(s.Detail, "+0") {
			t.Errorf("%s: detail %q, failed %q", st, s.Detail, s.Failed)
		}
	}
	// rx-socket: the snmp half failed, the socket table's half is there.
	if s := stage["rx-socket"]; !strings.HasPrefix(s.Detail, "RcvbufErrors/MemErrors FAILED socket drops+9735") || len(s.Failed) != 1 {
		t.Errorf("rx-socket: %q %q", s.Detail, s.Failed)
	}
	if s := stage["rx-softirq"]; len(s.Failed) != 0 {
		t.Errorf("rx-softirq failed: %q", s.Failed)
	}
	if len(d.Errors) != 1 || !strings.HasPrefix(d.Errors[0], "frame-001: snmp: ") {
		t.Errorf("errors %q", d.Errors)
	}
	msg := strings.TrimPrefix(d.Errors[0], "frame-001: ")

	r := runTop(t, "-root", dir)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, st := range []string{"rx-ip", "rx-udp"} {
		re := regexp.MustCompile(`(?m)^  ` + st + ` +FAILED: frame-001: snmp: .* FAILED$`)
		if !re.MatchString(r.stdout) {
			t.Errorf("text row %s is not FAILED with the error:\n%s", st, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "RcvbufErrors+0") || strings.Contains(r.stdout, "NoPorts+0") {
		t.Errorf("a failed counter shows as +0:\n%s", r.stdout)
	}
	flat := strings.Join(strings.Fields(r.stdout), " ")
	if !strings.Contains(flat, "NOT CHECKED (source failed): rx-ip, rx-udp, rx-socket, tx-socket") {
		t.Errorf("FINDINGS does not name the unchecked stages:\n%s", r.stdout)
	}
	// The whole error is quoted, wrapped rather than cut.
	if !strings.Contains(flat, strings.Join(strings.Fields(msg), " ")) {
		t.Errorf("the error %q is not quoted in full:\n%s", msg, r.stdout)
	}
	t.Logf("snmp error: %s", msg)
}

// TestBundleSocketsShareAddress: two sockets bound to one local address
// are two rows, each with its inode and its own drops.
func TestBundleSocketsShareAddress(t *testing.T) {
	const second = "11201: 00000000:1388 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 1379299 2 0000000011112222 0       \n"
	dir := makeBundle(t, 2, func(i int, frame string) {
		if i == 0 {
			beforeDrops(t, frame)
		}
		editFile(t, filepath.Join(frame, "proc/net/udp"), func(s string) string { return s + second })
	})
	d := decode(t, runTop(t, "-root", dir, "-json"))
	byInode := map[uint64]sockRow{}
	for _, r := range d.Sockets {
		byInode[r.Inode] = r
	}
	a, b := byInode[1379239], byInode[1379299]
	if len(d.Sockets) != 4 || a.Local != "0.0.0.0:5000" || b.Local != "0.0.0.0:5000" || a.Drops != 4991 || a.DropsTotal != 4991 || b.Drops != 0 || a.RxQueue != 0x1d40 {
		t.Errorf("sockets %+v", d.Sockets)
	}
	if a.Rcvbuf != nil {
		t.Errorf("rcvbuf %d from /proc/net/udp, which has none", *a.Rcvbuf)
	}
	r := runTop(t, "-root", dir)
	for _, re := range []string{
		`(?m)^  0\.0\.0\.0:5000 +1379239 +4991 +4991 +7488 +-$`,
		`(?m)^  0\.0\.0\.0:5000 +1379299 +0 +0 +0 +-$`,
		`(?m)^  127\.0\.0\.1:6000 +1379240 +4744 +4744 +212992 +-$`,
	} {
		if !regexp.MustCompile(re).MatchString(r.stdout) {
			t.Errorf("no row %s:\n%s", re, r.stdout)
		}
	}
}

// TestDevicesUnknown: -devices with a name that matches no device is an
// error naming it, for a bundle and live; a known name works.
func TestDevicesUnknown(t *testing.T) {
	dir := makeBundle(t, 2, nil)
	r := runTop(t, "-root", dir, "-devices", "nosuchdev0")
	if r.code != 2 || r.stdout != "" || !strings.Contains(r.stderr, "-devices: no device named nosuchdev0 (devices: lo)") {
		t.Errorf("bundle: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	r = runTop(t, "-root", dir, "-devices", "lo,nosuchdev0,nosuchdev1")
	if r.code != 2 || !strings.Contains(r.stderr, "no devices named nosuchdev0, nosuchdev1") {
		t.Errorf("bundle, two unknown: exit %d, stderr %q", r.code, r.stderr)
	}
	r = runTop(t, "-root", dir, "-devices", "lo")
	if r.code != 0 || !regexp.MustCompile(`(?m)^  rx-nic +lo 0/s 0B missed\+0 dropped\+0 +0$`).MatchString(r.stdout) {
		t.Errorf("bundle, lo: exit %d, stderr %q\n%s", r.code, r.stderr, r.stdout)
	}
	r = runTop(t, "-once", "-interval", "50ms", "-devices", "nosuchdev0")
	if r.code != 2 || r.stdout != "" || !strings.Contains(r.stderr, "-devices: no device named nosuchdev0 (devices: ") {
		t.Errorf("live: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	r = runTop(t, "-once", "-interval", "50ms", "-sources", "snmp", "-devices", "lo")
	if r.code != 2 || !strings.Contains(r.stderr, "-devices needs a per-device source") {
		t.Errorf("no per-device source: exit %d, stderr %q", r.code, r.stderr)
	}
	for _, args := range [][]string{{"-devices", " , "}, {"-top-devices", "0"}, {"-top", "-1"}} {
		if r := runTop(t, args...); r.code != 2 {
			t.Errorf("%v: exit %d, stderr %q", args, r.code, r.stderr)
		}
	}
}

// TestNotCollected: a stage whose sources -sources leaves out says so, in
// place of zeros, with "-" for drops.
func TestNotCollected(t *testing.T) {
	dir := makeBundle(t, 2, func(i int, frame string) {
		if i == 0 {
			beforeDrops(t, frame)
		}
	})
	d := decode(t, runTop(t, "-root", dir, "-json", "-sources", "snmp"))
	for _, s := range d.Stages {
		want := s.Stage != "rx-ip" && s.Stage != "rx-udp" && s.Stage != "rx-socket" && s.Stage != "tx-socket"
		if s.NotCollected != want {
			t.Errorf("%s: not_collected %v, detail %q", s.Stage, s.NotCollected, s.Detail)
		}
		if s.Stage == "rx-socket" && s.Detail != "RcvbufErrors+9735 MemErrors+0 socket drops not collected" {
			t.Errorf("rx-socket: %q", s.Detail)
		}
	}
	r := runTop(t, "-root", dir, "-sources", "snmp")
	if !regexp.MustCompile(`(?m)^  tx-qdisc +not collected \(qdisc not in -sources\) +-$`).MatchString(r.stdout) {
		t.Errorf("tx-qdisc row:\n%s", r.stdout)
	}
}

// TestBundleFindingAcrossIntervals: backlog drops on CPU 0 between frames
// 0 and 1 and on CPU 1 between frames 1 and 2 give one span finding (CPUs
// 0 and 1, 12 drops) that names both intervals with their own counts.
func TestBundleFindingAcrossIntervals(t *testing.T) {
	dropped := [3][2]string{{"00000000", "00000000"}, {"00000005", "00000000"}, {"00000005", "00000007"}}
	dir := makeBundle(t, 3, func(i int, frame string) {
		editFile(t, filepath.Join(frame, "proc/net/softnet_stat"), func(s string) string {
			lines := strings.Split(s, "\n")
			for cpu := range 2 {
				f := strings.Fields(lines[cpu])
				f[1] = dropped[i][cpu]
				lines[cpu] = strings.Join(f, " ")
			}
			return strings.Join(lines, "\n")
		})
	})
	d := decode(t, runTop(t, "-root", dir, "-json"))
	var span *struct {
		Stage    string   `json:"stage"`
		Drops    uint64   `json:"drops"`
		Summary  string   `json:"summary"`
		Interval jsonRef  `json:"interval"`
		Labels   []string `json:"intervals"`
	}
	for i := range d.Findings {
		if d.Findings[i].Stage == "rx-softirq" {
			span = &d.Findings[i]
		}
	}
	if span == nil || span.Drops != 12 || len(span.Labels) != 2 || span.Labels[0] != "frame-000 → frame-001" || span.Labels[1] != "frame-001 → frame-002" {
		t.Fatalf("span softirq finding %+v (findings %+v)", span, d.Findings)
	}
	r := runTop(t, "-root", dir)
	if want := "     interval: frame-000 → frame-001 (5 drops), frame-001 → frame-002 (7 drops)"; !strings.Contains(r.stdout, want) {
		t.Errorf("no %q:\n%s", want, r.stdout)
	}
}
