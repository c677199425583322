package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestBadFlagsExit2(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "at least one -group"},
		{[]string{"-group", "10.0.0.1:5000"}, "not a multicast address"},
		{[]string{"-group", "239.1.1.1"}, "want ADDR:PORT"},
		{[]string{"-group", "239.1.1.1:0"}, "port 0"},
		{[]string{"-group", "239.1.1.1:5000", "-group", "239.1.1.2:5001"}, "same port"},
		{[]string{"-group", "239.1.1.1:5000", "-group", "[ff15::1]:5000"}, "IPv4 and IPv6"},
		{[]string{"-group", "239.1.1.1:5000", "-source", "239.0.0.1"}, "cannot be a source"},
		{[]string{"-group", "239.1.1.1:5000", "-source", "fe80::1"}, "not the family"},
		{[]string{"-group", "239.1.1.1:5000", "-batch", "0"}, "-batch 0"},
		{[]string{"-group", "239.1.1.1:5000", "-batch", "5000"}, "-batch 5000"},
		{[]string{"-group", "239.1.1.1:5000", "-rcvbuf", "lots"}, "optional K, M or G"},
		{[]string{"-group", "239.1.1.1:5000", "-rcvbuf", "3G"}, "below 2G"},
		{[]string{"-group", "239.1.1.1:5000", "-interval", "0s"}, "-interval"},
		{[]string{"-group", "239.1.1.1:5000", "-duration", "-1s"}, "-duration"},
		{[]string{"-group", "239.1.1.1:5000", "extra"}, "unexpected argument"},
		{[]string{"-nosuchflag"}, "flag provided but not defined"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(tc.args, &stdout, &stderr); code != 2 {
			t.Errorf("%q: exit %d, want 2", tc.args, code)
		}
		if !strings.Contains(stderr.String(), tc.want) || !strings.Contains(stderr.String(), "Usage: mcast-recv") {
			t.Errorf("%q: stderr lacks %q and the usage:\n%s", tc.args, tc.want, stderr.String())
		}
		if stdout.Len() != 0 {
			t.Errorf("%q: wrote to stdout: %s", tc.args, stdout.String())
		}
	}
}

func TestHelpExit0(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"-h"}, &stdout, &stderr); code != 0 {
		t.Errorf("-h: exit %d, want 0", code)
	}
	if !strings.Contains(stderr.String(), "-group ADDR:PORT") {
		t.Errorf("-h: no usage:\n%s", stderr.String())
	}
}

func TestMissingInterfaceExit1(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := run([]string{"-group", "239.1.1.1:5000", "-iface", "no-such-if0", "-duration", "1ms"}, &stdout, &stderr)
	if code != 1 || !strings.Contains(stderr.String(), "no-such-if0") {
		t.Errorf("exit %d, stderr %q: want 1 naming the interface", code, stderr.String())
	}
}

func TestParseFlagsConfig(t *testing.T) {
	var stderr bytes.Buffer
	o, err := parseFlags([]string{"-group", "239.1.1.1:5000,239.1.1.2:5000", "-source", "10.1.2.3",
		"-iface", "lo", "-rcvbuf", "8M", "-batch", "32", "-timestamps=false"}, &stderr)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	cfg := o.config()
	if cfg.Port != 5000 || cfg.ReceiveBuffer != 8<<20 || cfg.MaxBatch != 32 || cfg.Interface != "lo" || cfg.Timestamps != 0 {
		t.Errorf("config %+v", cfg)
	}
	if len(cfg.Groups) != 2 || cfg.Groups[1].String() != "(10.1.2.3,239.1.1.2)" {
		t.Errorf("groups %v", cfg.Groups)
	}
}

func TestByteSize(t *testing.T) {
	for in, want := range map[string]int{"0": 0, "4096": 4096, "64k": 64 << 10, "8M": 8 << 20, "1G": 1 << 30} {
		var b byteSize
		if err := b.Set(in); err != nil || int(b) != want {
			t.Errorf("%q: %d, %v; want %d", in, b, err, want)
		}
	}
	for _, in := range []string{"", "-1", "1.5M", "2G", "99999999999", "k"} {
		var b byteSize
		if err := b.Set(in); err == nil {
			t.Errorf("%q: accepted as %d", in, b)
		}
	}
}

func FuzzByteSize(f *testing.F) {
	for _, s := range []string{"0", "4096", "64k", "8M", "1G", "2G", "-1", "k", "99999999999M"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var b byteSize
		if err := b.Set(s); err == nil && (b < 0 || int64(b) > 1<<31-1) {
			t.Fatalf("%q accepted as %d", s, b)
		}
	})
}

func FuzzGroupFlag(f *testing.F) {
	for _, s := range []string{"239.1.1.1:5000", "239.1.1.1:5000,239.1.1.2:5000", "[ff15::1]:5000", "10.0.0.1:1", "", ","} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var g groupList
		if err := g.Set(s); err == nil {
			for _, ap := range g {
				if !ap.Addr().IsMulticast() || ap.Port() == 0 {
					t.Fatalf("%q accepted %s", s, ap)
				}
			}
		}
	})
}
