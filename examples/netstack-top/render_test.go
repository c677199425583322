package main

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/packetpath/packetpath/netstack"
)

// TestRenderWidths renders the fixture's drops (a two-frame bundle: 5000
// NoPorts and 9735 RcvbufErrors, two sockets overflowing) as the live view
// at 80x24 and 200x50, with totals since start. At both sizes no line is
// wider than the terminal, the view fits its height, the LOSING PACKETS
// line, the losing stage's row and the first finding's summary are on
// screen, and no word of the summary is split. At 80x24 lines are left out
// with "and K more"; at 200x50 the first finding's cause and the socket
// table are shown too.
func TestRenderWidths(t *testing.T) {
	dir := makeBundle(t, 2, func(i int, frame string) {
		if i == 0 {
			beforeDrops(t, frame)
		}
	})
	c, err := netstack.NewCollectorContext(context.Background(), netstack.Config{Bundle: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var a, b netstack.Snapshot
	if err := c.Collect(context.Background(), &a); err != nil {
		t.Fatal(err)
	}
	if err := c.Collect(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	var d netstack.Delta
	netstack.ComputeDelta(&a, &b, &d)
	fs := netstack.Diagnose(&d)
	if len(fs) == 0 {
		t.Fatal("no findings in the fixture")
	}
	o := &options{top: 10, topDevices: 10}
	for _, size := range []struct{ w, h int }{{80, 24}, {200, 50}} {
		t.Run(fmt.Sprintf("%dx%d", size.w, size.h), func(t *testing.T) {
			v := view{o: o, snap: &b, delta: &d, findings: fs, fail: newFailures(&a, &b, "", ""), width: size.w, height: size.h,
				totals: newSinceStart(&d)}
			var out bytes.Buffer
			v.render(&out)
			text := out.String()
			lines := strings.Split(text, "\n")
			if len(lines) > size.h {
				t.Errorf("%d lines, terminal has %d:\n%s", len(lines), size.h, text)
			}
			for i, l := range lines {
				if n := utf8.RuneCountInString(l); n > size.w {
					t.Errorf("line %d is %d columns wide:\n%s", i+1, n, l)
				}
			}
			stage := fs[0].Stage.String()
			want := fmt.Sprintf("◀ LOSING PACKETS at %s: %d drops in this interval, %d since start", stage, fs[0].Drops, fs[0].Drops)
			if !strings.Contains(text, want) {
				t.Errorf("no %q:\n%s", want, text)
			}
			if !strings.Contains(text, "▶ "+stage+" ") {
				t.Errorf("the %s row is not marked:\n%s", stage, text)
			}
			// The summary, re-joined, is on screen whole: words are not split.
			flat := strings.Join(strings.Fields(text), " ")
			summary := fmt.Sprintf("1. [%s] %s", stage, fs[0].Summary)
			if !strings.Contains(flat, summary) {
				t.Errorf("first finding %q not on screen whole:\n%s", summary, text)
			}
			for _, word := range strings.Fields(fs[0].Summary) {
				if !strings.Contains(" "+strings.Join(strings.Fields(text), " ")+" ", " "+word+" ") {
					t.Errorf("word %q split or missing", word)
				}
			}
			switch size.w {
			case 80:
				if !strings.Contains(text, " more ") || !strings.Contains(text, "(taller terminal or -json)") {
					t.Errorf("nothing left out at 80x24:\n%s", text)
				}
			case 200:
				if strings.Contains(text, "(taller terminal or -json)") || !strings.Contains(flat, "cause: "+fs[0].Cause) ||
					!strings.Contains(text, "UDP SOCKETS BY DROPS") {
					t.Errorf("200x50 leaves out lines:\n%s", text)
				}
			}
			t.Logf("%dx%d: %d lines, first finding %s %d drops", size.w, size.h, len(lines), stage, fs[0].Drops)
		})
	}
}

// TestWrapWords: wrap breaks at spaces and splits only a word longer than
// the line.
func TestWrapWords(t *testing.T) {
	for _, tc := range []struct {
		s     string
		width int
		want  string
	}{
		{"raise the cap on SO_RCVBUF", 12, "  raise the\n  cap on\n  SO_RCVBUF"},
		{"a /very/long/path/name/here b", 10, "  a\n  /very/lo\n  ng/path/\n  name/her\n  e b"},
		{"◀ LOSING PACKETS", 9, "  ◀\n  LOSING\n  PACKETS"},
	} {
		if got := wrap("  ", tc.s, "  ", tc.width); got != tc.want {
			t.Errorf("wrap(%q, %d) = %q, want %q", tc.s, tc.width, got, tc.want)
		}
	}
	if got := clip("▶ rx-socket", 5); got != "▶ rx…" {
		t.Errorf("clip = %q", got)
	}
}

// TestLiveTextPipe: the live text view into a pipe (not a terminal) says
// "collecting first sample..." at once, then writes views with the totals
// column, separated by blank lines and with no control codes.
func TestLiveTextPipe(t *testing.T) {
	o, err := parseFlags([]string{"-interval", "200ms", "-sources", "snmp", "-color", "never"}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 700*time.Millisecond)
	defer cancel()
	var stdout, stderr bytes.Buffer
	if code := runContext(ctx, o, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	text := stdout.String()
	if strings.ContainsRune(text, 0x1b) {
		t.Errorf("control codes in a pipe:\n%q", text)
	}
	views := strings.Split(text, "\n\npacketpath netstack-top")
	if len(views) < 3 || !strings.Contains(views[0], "collecting first sample... (the first numbers come after -interval 200ms)") {
		t.Fatalf("%d views, first %q", len(views), views[0])
	}
	for i, v := range views[1:] {
		if !strings.Contains(v, "totals since start") || !regexp.MustCompile(`(?m)^RECEIVE PATH +drops +total$`).MatchString(v) {
			t.Errorf("view %d has no totals:\n%s", i+1, v)
		}
	}
}
