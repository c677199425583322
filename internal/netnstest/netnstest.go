// Package netnstest creates throw-away network namespaces for integration
// tests and runs code inside them.
//
// Every namespace gets a unique name (pp-<random hex>), starts with lo up,
// and is removed by t.Cleanup whatever the test's outcome. Tests that need
// root, the ip(8) tool or namespace support are skipped with the reason when
// one is missing, so `go test ./...` stays green as an unprivileged user while
// CI (root) runs them.
//
// Code runs inside a namespace in two ways:
//
//   - [NS.Do] switches the calling goroutine's OS thread into the namespace
//     for the duration of a function. Sockets, netlink connections and
//     /proc/thread-self/net files opened inside belong to the namespace and
//     keep belonging to it after Do returns.
//   - [NS.Cmd] and [NS.Run] run a command (tc, ss, ethtool, ip, sysctl)
//     inside the namespace via `ip netns exec`, for comparing with peers.
package netnstest

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
)

// NS is a network namespace owned by one test.
type NS struct {
	// Name is the namespace's name under /var/run/netns.
	Name string
	// Path is the bind-mounted namespace file, /var/run/netns/Name.
	Path string
	t    testing.TB
}

// Option configures a namespace made by New.
type Option func(*config)

type veth struct{ name, peer, addr, peerAddr string }

type config struct {
	veths       []veth
	mcastLo     bool
	mcastRoutes []string
}

// WithVeth creates a veth pair with both ends inside the namespace, brings
// both up and, when non-empty, assigns the CIDR addresses (e.g. "10.9.0.1/24").
func WithVeth(name, peer, addr, peerAddr string) Option {
	return func(c *config) { c.veths = append(c.veths, veth{name, peer, addr, peerAddr}) }
}

// WithMulticastLoopback makes lo multicast-capable and routes 224.0.0.0/4
// (and ff00::/8) through it, so a sender with IP_MULTICAST_IF 127.0.0.1
// reaches receivers joined on lo.
func WithMulticastLoopback() Option {
	return func(c *config) { c.mcastLo = true }
}

// WithMulticastRoute routes 224.0.0.0/4 through dev (a veth made by WithVeth).
func WithMulticastRoute(dev string) Option {
	return func(c *config) { c.mcastRoutes = append(c.mcastRoutes, dev) }
}

// RequireRoot skips the test unless it runs as root with ip(8) available and
// network namespaces supported by the kernel.
func RequireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("skipped: needs root to create network namespaces")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("skipped: ip(8) from iproute2 is not installed")
	}
	if _, err := os.Stat("/proc/self/ns/net"); err != nil {
		t.Skipf("skipped: kernel without network namespaces: %v", err)
	}
}

// RequireTool skips the test when the named peer tool is not installed.
func RequireTool(t testing.TB, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		t.Skipf("skipped: %s is not installed (.ci/run installs it)", name)
	}
}

// New creates a uniquely named namespace with lo up and the given options
// applied, and registers its removal with t.Cleanup. It skips the test when
// the machine cannot create namespaces (see RequireRoot).
func New(t testing.TB, opts ...Option) *NS {
	t.Helper()
	RequireRoot(t)
	var c config
	for _, o := range opts {
		o(&c)
	}
	var rnd [6]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		t.Fatalf("netnstest: random name: %v", err)
	}
	ns := &NS{Name: "pp-" + hex.EncodeToString(rnd[:]), t: t}
	ns.Path = "/var/run/netns/" + ns.Name
	if out, err := exec.Command("ip", "netns", "add", ns.Name).CombinedOutput(); err != nil {
		t.Skipf("skipped: cannot create a network namespace: %v: %s", err, bytes.TrimSpace(out))
	}
	t.Cleanup(func() {
		if out, err := exec.Command("ip", "netns", "del", ns.Name).CombinedOutput(); err != nil {
			t.Errorf("netnstest: removing namespace %s: %v: %s", ns.Name, err, bytes.TrimSpace(out))
		}
	})
	ns.Run("ip", "link", "set", "lo", "up")
	for _, v := range c.veths {
		ns.Run("ip", "link", "add", v.name, "type", "veth", "peer", "name", v.peer)
		if v.addr != "" {
			ns.Run("ip", "addr", "add", v.addr, "dev", v.name)
		}
		if v.peerAddr != "" {
			ns.Run("ip", "addr", "add", v.peerAddr, "dev", v.peer)
		}
		ns.Run("ip", "link", "set", v.name, "up")
		ns.Run("ip", "link", "set", v.peer, "up")
	}
	if c.mcastLo {
		ns.Run("ip", "link", "set", "lo", "multicast", "on")
		ns.Run("ip", "route", "add", "224.0.0.0/4", "dev", "lo")
		// IPv6 may be disabled on some machines; the IPv4 route is what most tests need.
		_ = ns.Cmd("ip", "-6", "route", "add", "ff00::/8", "dev", "lo", "table", "local").Run()
	}
	for _, dev := range c.mcastRoutes {
		ns.Run("ip", "route", "add", "224.0.0.0/4", "dev", dev)
	}
	return ns
}

// Cmd returns a command that runs inside the namespace via `ip netns exec`.
func (ns *NS) Cmd(name string, args ...string) *exec.Cmd {
	return exec.Command("ip", append([]string{"netns", "exec", ns.Name, name}, args...)...)
}

// Run runs a command inside the namespace and returns its standard output.
// It fails the test, with the command's output, when the command fails.
func (ns *NS) Run(name string, args ...string) string {
	ns.t.Helper()
	cmd := ns.Cmd(name, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		ns.t.Fatalf("netnstest: in %s: %s %s: %v: %s", ns.Name, name, strings.Join(args, " "), err, bytes.TrimSpace(stderr.Bytes()))
	}
	return string(out)
}

// Do runs fn with the calling goroutine locked to an OS thread that is inside
// the namespace, then switches the thread back. fn may call t.Fatal: the
// switch back runs in a deferred call. If the thread cannot be switched back
// it stays locked, so the Go runtime discards it when the goroutine exits.
//
// Goroutines that fn starts run on other threads, in the host namespace.
func (ns *NS) Do(fn func() error) error {
	runtime.LockOSThread()
	orig, err := os.Open("/proc/thread-self/ns/net")
	if err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("netnstest: opening current namespace: %w", err)
	}
	defer orig.Close()
	target, err := os.Open(ns.Path)
	if err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("netnstest: opening %s: %w", ns.Path, err)
	}
	defer target.Close()
	if err := setNetNS(int(target.Fd())); err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("netnstest: entering %s: %w", ns.Name, err)
	}
	defer func() {
		if err := setNetNS(int(orig.Fd())); err != nil {
			// Leave the thread locked: the runtime kills it with the goroutine.
			return
		}
		runtime.UnlockOSThread()
	}()
	return fn()
}
