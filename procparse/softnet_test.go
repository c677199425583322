package procparse

import (
	"errors"
	"os"
	"strings"
	"testing"
)

func TestSoftnetStatVM(t *testing.T) {
	// 6.18: 15 columns, CPU index from the file.
	st, err := openFixture(t, "linux-6.18-vm/proc").SoftnetStat()
	if err != nil {
		t.Fatal(err)
	}
	if len(st.CPUs) != 2 {
		t.Fatalf("%d CPUs, want 2", len(st.CPUs))
	}
	c0, c1 := st.CPUs[0], st.CPUs[1]
	if c0.Width != 15 || c0.CPU != 0 || !c0.CPUFromFile || c0.Processed != 111346120 || c0.Dropped != 0 || c0.TimeSqueeze != 3 {
		t.Errorf("cpu0 = %+v", c0)
	}
	requireCounter(t, "cpu0 ReceivedRPS", c0.ReceivedRPS, 0)
	requireCounter(t, "cpu0 FlowLimitCount", c0.FlowLimitCount, 0)
	requireCounter(t, "cpu0 BacklogLen", c0.BacklogLen, 0)
	requireCounter(t, "cpu0 InputQueueLen", c0.InputQueueLen, 0)
	requireCounter(t, "cpu0 ProcessQueueLen", c0.ProcessQueueLen, 0)
	if c1.CPU != 1 || !c1.CPUFromFile || c1.Processed != 99975 || c1.Width != 15 || len(c1.Extra) != 0 {
		t.Errorf("cpu1 = %+v", c1)
	}
}

func TestSoftnetStatCorpusMixedWidths(t *testing.T) {
	// The procfs corpus mixes 13, 11, 9 and 10-column rows in one file,
	// which no kernel prints (softnet_seq_show prints every row with one
	// format): the file is rejected at the first row of another width.
	b := fixtureBytes(t, "procfs-corpus/proc/net/softnet_stat")
	var st SoftnetStat
	err := ParseSoftnetStat(b, &st)
	requireParseErrorAt(t, err, 3, 12)
	if !strings.Contains(err.Error(), "11 columns, but line 1 has 13") {
		t.Errorf("error %q does not explain the widths", err)
	}
	// Each row on its own is a file of one width, and gives the values it
	// always did.
	type want struct {
		width, cpu                             int
		fromFile                               bool
		processed, dropped, squeeze, collision uint64
	}
	wants := []want{
		{13, 0, true, 3510243, 25219, 0, 0},
		{13, 1, true, 9780506, 1094, 177, 0},
		{11, 2, false, 89203, 134774, 4026533737, 4},
		{9, 3, false, 23478194, 0, 68004, 134774},
		{10, 4, false, 36472, 1, 17, 32},
	}
	rows := strings.SplitAfter(strings.TrimSuffix(string(b), "\n"), "\n")
	if len(rows) != len(wants) {
		t.Fatalf("%d rows, want %d", len(rows), len(wants))
	}
	cpus := make([]SoftnetCPU, len(rows))
	for i, w := range wants {
		// Alone, a row without the CPU column is row 0: number it as in
		// the file.
		if err := ParseSoftnetStat([]byte(rows[i]), &st); err != nil {
			t.Fatalf("row %d alone: %v", i, err)
		}
		c := st.CPUs[0]
		if !c.CPUFromFile {
			c.CPU = uint32(i)
		}
		cpus[i] = c
		if c.Width != w.width || int(c.CPU) != w.cpu || c.CPUFromFile != w.fromFile ||
			c.Processed != w.processed || c.Dropped != w.dropped || c.TimeSqueeze != w.squeeze || c.CPUCollision != w.collision {
			t.Errorf("row %d = %+v, want %+v", i, c, w)
		}
	}
	requireCounter(t, "row0 ReceivedRPS", cpus[0].ReceivedRPS, 546300)
	requireCounter(t, "row0 FlowLimitCount", cpus[0].FlowLimitCount, 118)
	requireCounter(t, "row1 ReceivedRPS", cpus[1].ReceivedRPS, 9366426)
	requireCounter(t, "row1 FlowLimitCount", cpus[1].FlowLimitCount, 43)
	requireCounter(t, "row1 BacklogLen", cpus[1].BacklogLen, 220)
	requireAbsent(t, "row1 InputQueueLen", cpus[1].InputQueueLen)
	requireCounter(t, "row2 ReceivedRPS", cpus[2].ReceivedRPS, 3)
	requireCounter(t, "row2 FlowLimitCount", cpus[2].FlowLimitCount, 2)
	requireAbsent(t, "row2 BacklogLen", cpus[2].BacklogLen)
	requireAbsent(t, "row3 ReceivedRPS", cpus[3].ReceivedRPS)
	requireCounter(t, "row4 ReceivedRPS", cpus[4].ReceivedRPS, 16)
	requireAbsent(t, "row4 FlowLimitCount", cpus[4].FlowLimitCount)
}

func TestSoftnetStatBroken(t *testing.T) {
	// softnet_stat.broken has a 4-column row whose third column is in
	// capitals, which %08x never prints: a clear error, not a panic.
	b := fixtureBytes(t, "procfs-corpus/proc/net/softnet_stat.broken")
	var st SoftnetStat
	err := ParseSoftnetStat(b, &st)
	requireParseErrorAt(t, err, 1, 3)
	if !strings.Contains(err.Error(), `"F0000769" is not eight lowercase hexadecimal digits`) {
		t.Errorf("error %q does not explain the column", err)
	}
	// The same row in lowercase is too narrow.
	err = ParseSoftnetStat([]byte(strings.ToLower(string(b))), &st)
	requireParseErrorAt(t, err, 1, 5)
	if !strings.Contains(err.Error(), "4 columns, want at least 9") {
		t.Errorf("error %q does not explain the width", err)
	}
}

func TestSoftnetStatWiderAndBad(t *testing.T) {
	in := "00000001 00000002 00000003 00000000 00000000 00000000 00000000 00000000 00000000 00000004 00000005 00000006 00000007 00000008 00000009 0000000a 0000000b\n"
	var st SoftnetStat
	if err := ParseSoftnetStat([]byte(in), &st); err != nil {
		t.Fatal(err)
	}
	c := st.CPUs[0]
	if c.Width != 17 || c.CPU != 7 || len(c.Extra) != 2 || c.Extra[0] != 10 || c.Extra[1] != 11 {
		t.Errorf("17-column row = %+v", c)
	}
	requireCounter(t, "InputQueueLen", c.InputQueueLen, 8)
	requireCounter(t, "ProcessQueueLen", c.ProcessQueueLen, 9)

	bad := "00000001 00000002 0000zz03 00000000 00000000 00000000 00000000 00000000 00000000\n"
	requireParseError(t, ParseSoftnetStat([]byte("\n"+bad), &st), 2)
}

func TestSoftnetStatMissing(t *testing.T) {
	_, err := openFixture(t, "procfs-corpus/proc/26231").SoftnetStat()
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("error %v does not wrap os.ErrNotExist", err)
	}
}

func TestSoftnetStatReaderAllocs(t *testing.T) {
	for _, tree := range []string{"linux-6.18-vm/proc", "linux-6.18-netns-udp-drops/proc"} {
		r, err := openFixture(t, tree).SoftnetStatReader()
		if err != nil {
			t.Fatal(err)
		}
		var st SoftnetStat
		if err := r.Read(&st); err != nil {
			t.Fatal(err)
		}
		allocs := testing.AllocsPerRun(100, func() {
			if err := r.Read(&st); err != nil {
				t.Fatal(err)
			}
		})
		if allocs != 0 {
			t.Errorf("%s: Read allocates %.1f times, want 0", tree, allocs)
		}
		r.Close()
	}
}
