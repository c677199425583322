package bench

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"runtime"
	"testing"

	"golang.org/x/sys/unix"
)

// diagNetns creates a network namespace with lo up for the socket table
// benchmarks, so that no other process's sockets are counted, and removes
// it when the benchmark ends. It skips when not root.
func diagNetns(b *testing.B) string {
	b.Helper()
	if os.Geteuid() != 0 {
		b.Skip("skipped: needs root to create a network namespace")
	}
	var rnd [4]byte
	_, _ = rand.Read(rnd[:])
	name := "ppdiag-" + hex.EncodeToString(rnd[:])
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		b.Skipf("skipped: ip netns add: %v: %s", err, out)
	}
	b.Cleanup(func() { _ = exec.Command("ip", "netns", "del", name).Run() })
	if out, err := exec.Command("ip", "netns", "exec", name, "ip", "link", "set", "lo", "up").CombinedOutput(); err != nil {
		b.Fatalf("lo up: %v: %s", err, out)
	}
	return "/var/run/netns/" + name
}

// diagEnter locks the calling goroutine to its thread and moves the thread
// into the namespace at path; the returned function moves it back.
func diagEnter(b *testing.B, path string) func() {
	b.Helper()
	runtime.LockOSThread()
	orig, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		runtime.UnlockOSThread()
		b.Fatal(err)
	}
	target, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		unix.Close(orig)
		runtime.UnlockOSThread()
		b.Fatal(err)
	}
	defer unix.Close(target)
	if err := unix.Setns(target, unix.CLONE_NEWNET); err != nil {
		unix.Close(orig)
		runtime.UnlockOSThread()
		b.Fatal(err)
	}
	return func() {
		defer unix.Close(orig)
		if err := unix.Setns(orig, unix.CLONE_NEWNET); err == nil {
			runtime.UnlockOSThread()
		}
	}
}
