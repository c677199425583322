package netnstest

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

func TestNamespaceLifecycle(t *testing.T) {
	var name string
	t.Run("inner", func(t *testing.T) {
		ns := New(t, WithVeth("pp0", "pp1", "10.99.0.1/24", "10.99.0.2/24"), WithMulticastLoopback())
		name = ns.Name
		if !strings.HasPrefix(ns.Name, "pp-") {
			t.Fatalf("name %q lacks the pp- prefix", ns.Name)
		}
		var dev []byte
		if err := ns.Do(func() error {
			var err error
			dev, err = os.ReadFile("/proc/thread-self/net/dev")
			return err
		}); err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"lo:", "pp0:", "pp1:"} {
			if !bytes.Contains(dev, []byte(want)) {
				t.Errorf("/proc/thread-self/net/dev inside %s lacks %q:\n%s", ns.Name, want, dev)
			}
		}
		if bytes.Contains(dev, []byte("eth0:")) {
			t.Errorf("namespace sees the host's eth0:\n%s", dev)
		}
		routes := ns.Run("ip", "route", "show", "table", "all")
		if !strings.Contains(routes, "224.0.0.0/4 dev lo") {
			t.Errorf("multicast route missing:\n%s", routes)
		}
		// After Do the goroutine is back in the host namespace.
		host, err := os.ReadFile("/proc/thread-self/net/dev")
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(host, []byte("pp0:")) {
			t.Errorf("thread still inside the namespace after Do")
		}
	})
	if name == "" {
		t.Skip("namespace not created")
	}
	if _, err := os.Stat("/var/run/netns/" + name); !os.IsNotExist(err) {
		t.Errorf("namespace %s not removed: stat err = %v", name, err)
	}
}
