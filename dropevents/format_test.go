package dropevents

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func readFormat(t testing.TB, kernel, event string) *Format {
	t.Helper()
	path := filepath.Join("testdata", kernel, event+".format")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := ParseFormat(path, b)
	if err != nil {
		t.Fatalf("ParseFormat(%s): %v", path, err)
	}
	return f
}

func TestParseFormatKfreeSkb(t *testing.T) {
	tests := []struct {
		kernel                 string
		id                     uint64
		reasonOff, protocolOff int
		hasReason              bool
		nsyms                  int
		want                   map[string]uint64
	}{
		{kernel: "linux-5.4", id: 1340, protocolOff: 24},
		{kernel: "linux-5.17", id: 1478, protocolOff: 24, reasonOff: 28, hasReason: true, nsyms: 7,
			want: map[string]uint64{"NOT_SPECIFIED": 0, "NO_SOCKET": 1, "UDP_CSUM": 5, "MAX": 6}},
		{kernel: "linux-6.1", id: 1506, protocolOff: 24, reasonOff: 28, hasReason: true, nsyms: 68,
			want: map[string]uint64{"NOT_SPECIFIED": 2, "NO_SOCKET": 3, "SOCKET_RCVBUFF": 16, "QDISC_DROP": 46, "CPU_BACKLOG": 47, "MAX": 69}},
		{kernel: "linux-6.18", id: 2310, protocolOff: 32, reasonOff: 36, hasReason: true, nsyms: 127,
			want: map[string]uint64{"NOT_SPECIFIED": 2, "NO_SOCKET": 3, "SOCKET_RCVBUFF": 6, "QDISC_DROP": 64, "CPU_BACKLOG": 71, "FULL_RING": 80, "NEIGH_QUEUEFULL": 59, "RECURSION_LIMIT": 127, "MAX": 128}},
	}
	for _, tt := range tests {
		t.Run(tt.kernel, func(t *testing.T) {
			f := readFormat(t, tt.kernel, "kfree_skb")
			if f.Name != "kfree_skb" || f.ID != tt.id {
				t.Errorf("name, ID = %q, %d; want kfree_skb, %d", f.Name, f.ID, tt.id)
			}
			ct, ok := f.Field("common_type")
			if !ok || ct.Offset != 0 || ct.Size != 2 || ct.Signed {
				t.Errorf("common_type = %+v, %v", ct, ok)
			}
			pid, _ := f.Field("common_pid")
			if !pid.Signed || pid.Type != "int" {
				t.Errorf("common_pid = %+v; want signed int", pid)
			}
			p, ok := f.Field("protocol")
			if !ok || p.Offset != tt.protocolOff || p.Size != 2 || p.Type != "unsigned short" {
				t.Errorf("protocol = %+v, %v; want offset %d size 2", p, ok, tt.protocolOff)
			}
			loc, ok := f.Field("location")
			if !ok || loc.Offset != 16 || loc.Size != 8 || loc.Type != "void *" {
				t.Errorf("location = %+v, %v", loc, ok)
			}
			r, ok := f.Field("reason")
			if ok != tt.hasReason {
				t.Fatalf("reason present = %v; want %v", ok, tt.hasReason)
			}
			syms, err := f.Symbols("reason")
			if err != nil {
				t.Fatal(err)
			}
			if !tt.hasReason {
				if syms != nil {
					t.Errorf("Symbols on a kernel without reasons = %v", syms)
				}
				return
			}
			if r.Offset != tt.reasonOff || r.Size != 4 || r.Type != "enum skb_drop_reason" {
				t.Errorf("reason = %+v; want offset %d size 4", r, tt.reasonOff)
			}
			if len(syms) != tt.nsyms {
				t.Errorf("%d symbols; want %d", len(syms), tt.nsyms)
			}
			for name, v := range tt.want {
				got, ok := lookupReason(syms, name)
				if !ok || uint64(got) != v {
					t.Errorf("%s = %d, %v; want %d", name, got, ok, v)
				}
			}
		})
	}
}

func TestParseFormatUDP(t *testing.T) {
	f := readFormat(t, "linux-6.18", "udp_fail_queue_rcv_skb")
	want := map[string]Field{
		"rc":     {Name: "rc", Type: "int", Offset: 8, Size: 4, Signed: true},
		"sport":  {Name: "sport", Type: "__u16", Offset: 12, Size: 2},
		"dport":  {Name: "dport", Type: "__u16", Offset: 14, Size: 2},
		"family": {Name: "family", Type: "__u16", Offset: 16, Size: 2},
		"saddr":  {Name: "saddr", Type: "__u8", ArrayLen: 28, Offset: 18, Size: 28},
		"daddr":  {Name: "daddr", Type: "__u8", ArrayLen: 28, Offset: 46, Size: 28},
	}
	for name, w := range want {
		if got, ok := f.Field(name); !ok || got != w {
			t.Errorf("%s = %+v, %v; want %+v", name, got, ok, w)
		}
	}
	fam, err := f.Symbols("family")
	if err != nil || len(fam) != 2 || fam[0] != (Symbol{2, "AF_INET"}) || fam[1] != (Symbol{10, "AF_INET6"}) {
		t.Errorf("family symbols = %v, %v", fam, err)
	}
	if filter, err := portFilter(f, 5000); err != nil || filter != "dport == 5000" {
		t.Errorf("portFilter 6.18 = %q, %v", filter, err)
	}
	old := readFormat(t, "linux-5.4", "udp_fail_queue_rcv_skb")
	if filter, err := portFilter(old, 5000); err != nil || filter != "lport == 5000" {
		t.Errorf("portFilter 5.4 = %q, %v", filter, err)
	}
	rq := readFormat(t, "linux-6.18", "sock_rcvqueue_full")
	if _, err := portFilter(rq, 1); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("portFilter without a port field = %v; want ErrUnsupported", err)
	}
	ex := readFormat(t, "linux-6.18", "sock_exceed_buf_limit")
	if n, _ := ex.Field("name"); n.ArrayLen != 32 || n.Type != "char" {
		t.Errorf("sock_exceed_buf_limit name = %+v", n)
	}
	kind, err := ex.Symbols("kind")
	if err != nil || len(kind) != 2 || kind[1] != (Symbol{1, "SK_MEM_RECV"}) {
		t.Errorf("kind symbols = %v, %v", kind, err)
	}
}

func TestParseFormatErrors(t *testing.T) {
	bad := map[string]string{
		"empty":          "",
		"no ID":          "name: x\nformat:\n",
		"no name":        "ID: 3\n",
		"bad ID":         "name: x\nID: -3\n",
		"junk line":      "name: x\nID: 3\nwhat\n",
		"field no semi":  "name: x\nID: 3\n\tfield:int a\toffset:0\n",
		"field no type":  "name: x\nID: 3\n\tfield:a;\toffset:0;\tsize:4;\n",
		"field no size":  "name: x\nID: 3\n\tfield:int a;\toffset:0;\n",
		"field huge":     "name: x\nID: 3\n\tfield:int a;\toffset:65535;\tsize:4;\n",
		"field bad num":  "name: x\nID: 3\n\tfield:int a;\toffset:zero;\tsize:4;\n",
		"field bad dim":  "name: x\nID: 3\n\tfield:int a[x];\toffset:0;\tsize:4;\n",
		"field open dim": "name: x\nID: 3\n\tfield:int a[4;\toffset:0;\tsize:4;\n",
	}
	for name, in := range bad {
		if _, err := ParseFormat("f", []byte(in)); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: err = %v; want ErrMalformed", name, err)
		}
	}
	syms := map[string]string{
		"enum name":    `"%s", __print_symbolic(REC->reason, { SKB_DROP_REASON_X, "X" })`,
		"no brace":     `"%s", __print_symbolic(REC->reason, 2, "X")`,
		"unterminated": `"%s", __print_symbolic(REC->reason, { 2, "X`,
		"no close":     `"%s", __print_symbolic(REC->reason, { 2, "X" `,
		"no comma":     `"%s", __print_symbolic(REC->reason, { 2 "X" })`,
	}
	for name, pf := range syms {
		f := &Format{Name: "x", PrintFmt: pf}
		if _, err := f.Symbols("reason"); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: err = %v; want ErrMalformed", name, err)
		}
	}
	// A field whose name only starts like the wanted one is not matched.
	f := &Format{PrintFmt: `__print_symbolic(REC->reasonx, { 1, "A" }), __print_symbolic(REC->reason , { 0x10, "B\"C" }, { -1, "D" })`}
	got, err := f.Symbols("reason")
	if err != nil || len(got) != 2 || got[0] != (Symbol{16, `B"C`}) || got[1] != (Symbol{^uint64(0), "D"}) {
		t.Errorf("Symbols = %v, %v", got, err)
	}
}

func TestTraceFSFormat(t *testing.T) {
	dir := t.TempDir()
	evdir := filepath.Join(dir, "events", "skb", "kfree_skb")
	if err := os.MkdirAll(evdir, 0o755); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile("testdata/linux-6.18/kfree_skb.format")
	if err := os.WriteFile(filepath.Join(evdir, "format"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	fs := NewTraceFS(dir)
	f, err := fs.Format("skb", "kfree_skb")
	if err != nil || f.System != "skb" || f.ID != 2310 {
		t.Fatalf("Format = %+v, %v", f, err)
	}
	_, err = fs.Format("udp", "udp_fail_queue_rcv_skb")
	if !errors.Is(err, errors.ErrUnsupported) || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing event: %v; want ErrUnsupported and ErrNotExist", err)
	}
}

func TestTracefsMount(t *testing.T) {
	mi := "22 1 0:20 / /sys rw,nosuid - sysfs sysfs rw\n" +
		"40 22 0:12 / /mnt/my\\040trace rw,relatime shared:5 - tracefs nodev rw\n"
	if got := tracefsMount([]byte(mi)); got != "/mnt/my trace" {
		t.Errorf("tracefsMount = %q", got)
	}
	if got := tracefsMount([]byte("bad line\n")); got != "" {
		t.Errorf("tracefsMount(bad) = %q", got)
	}
}

func TestParseCPUList(t *testing.T) {
	for in, want := range map[string][]int{"0-1\n": {0, 1}, "0": {0}, "0,2-4,7": {0, 2, 3, 4, 7}, "": nil} {
		got, err := parseCPUList("online", []byte(in))
		if err != nil || len(got) != len(want) {
			t.Errorf("%q: %v, %v; want %v", in, got, err, want)
			continue
		}
		for i := range got {
			if got[i] != want[i] {
				t.Errorf("%q: %v; want %v", in, got, want)
			}
		}
	}
	for _, in := range []string{"a", "3-1", "0-99999", "1-", ",", "0-8191,0-8191"} {
		if _, err := parseCPUList("online", []byte(in)); !errors.Is(err, ErrMalformed) {
			t.Errorf("%q: err = %v; want ErrMalformed", in, err)
		}
	}
}
