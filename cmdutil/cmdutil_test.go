package cmdutil

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"syscall"
	"testing"
)

func TestFormatVersion(t *testing.T) {
	bi := &debug.BuildInfo{
		GoVersion: "go1.26.0",
		Main:      debug.Module{Path: "github.com/packetpath/packetpath/examples/exporter", Version: "(devel)"},
		Deps:      []*debug.Module{{Path: Library, Version: "v0.0.0", Replace: &debug.Module{Path: "../.."}}},
		Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "75ee554abc"},
			{Key: "vcs.time", Value: "2026-12-02T15:00:00Z"},
			{Key: "vcs.modified", Value: "true"},
		},
	}
	got := formatVersion("exporter", bi)
	want := "exporter github.com/packetpath/packetpath/examples/exporter (devel), packetpath v0.0.0 => ../.., revision 75ee554abc (modified) of 2026-12-02T15:00:00Z, built with go1.26.0"
	if got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	got = formatVersion("netstack-top", &debug.BuildInfo{Main: debug.Module{Path: Library}})
	if want := "netstack-top github.com/packetpath/packetpath (devel), no VCS revision recorded"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if v := Version("x"); !strings.HasPrefix(v, "x") {
		t.Errorf("Version = %q", v)
	}
}

func TestNetNSPath(t *testing.T) {
	for in, want := range map[string]string{"": "", "a": "/var/run/netns/a", "./a": "./a", "/proc/1/ns/net": "/proc/1/ns/net"} {
		if got := NetNSPath(in); got != want {
			t.Errorf("NetNSPath(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestResolveNetNS(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("network namespaces are Linux only")
	}
	if p, err := ResolveNetNS(""); p != "" || err != nil {
		t.Errorf("ResolveNetNS(\"\") = %q, %v", p, err)
	}
	if p, err := ResolveNetNS("/proc/self/ns/net"); err != nil || p != "/proc/self/ns/net" {
		t.Errorf("own namespace: %q, %v", p, err)
	}
	_, err := ResolveNetNS("pp-no-such-namespace-" + fmt.Sprint(os.Getpid()))
	if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "ip netns list") {
		t.Errorf("missing name: %v", err)
	}
	regular := filepath.Join(t.TempDir(), "passwd")
	if err := os.WriteFile(regular, []byte("root:x:0:0::/root:/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = ResolveNetNS(regular)
	if !errors.Is(err, ErrNotNetNS) || !strings.Contains(err.Error(), "not a namespace file") {
		t.Errorf("regular file: %v", err)
	}
	_, err = ResolveNetNS("/proc/self/ns/uts")
	if !errors.Is(err, ErrNotNetNS) || !strings.Contains(err.Error(), "another kind of namespace") {
		t.Errorf("uts namespace: %v", err)
	}
}

func TestExplainNetNS(t *testing.T) {
	if ExplainNetNS(nil) != nil {
		t.Error("nil changed")
	}
	other := errors.New("x")
	if ExplainNetNS(other) != other {
		t.Error("other error changed")
	}
	err := ExplainNetNS(fmt.Errorf("netns: entering namespace: %w", os.NewSyscallError("setns", syscall.EPERM)))
	if !errors.Is(err, os.ErrPermission) || !strings.Contains(err.Error(), "CAP_SYS_ADMIN") {
		t.Errorf("EPERM: %v", err)
	}
}
