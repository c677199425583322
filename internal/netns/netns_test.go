package netns_test

import (
	"bytes"
	"errors"
	"os"
	"testing"

	"github.com/packetpath/packetpath/internal/netns"
	"github.com/packetpath/packetpath/internal/netnstest"
)

func TestDo(t *testing.T) {
	ns := netnstest.New(t, netnstest.WithVeth("ppa", "ppb", "", ""))
	var inside []byte
	if err := netns.Do(ns.Path, func() error {
		var err error
		inside, err = os.ReadFile("/proc/thread-self/net/dev")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(inside, []byte("ppa:")) {
		t.Errorf("Do did not run inside %s:\n%s", ns.Name, inside)
	}
	host, err := os.ReadFile("/proc/thread-self/net/dev")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(host, []byte("ppa:")) {
		t.Errorf("caller moved into the namespace")
	}
}

func TestDoMissing(t *testing.T) {
	err := netns.Do("/var/run/netns/pp-does-not-exist", func() error { return nil })
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("err = %v, want os.ErrNotExist", err)
	}
}

func TestPath(t *testing.T) {
	for in, want := range map[string]string{
		"":                    "",
		"demo":                "/var/run/netns/demo",
		"/var/run/netns/demo": "/var/run/netns/demo",
		"/proc/1234/ns/net":   "/proc/1234/ns/net",
		"./ns":                "./ns",
		"pp-0123456789abcdef": "/var/run/netns/pp-0123456789abcdef",
	} {
		if got := netns.Path(in); got != want {
			t.Errorf("Path(%q) = %q, want %q", in, got, want)
		}
	}
}
