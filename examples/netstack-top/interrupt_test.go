package main

import (
	"bytes"
	"context"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// bigArchive writes a .tar.gz bundle of the fixture tree with a 200 MiB
// member of random bytes after it, which takes a while to extract (zeros
// would trip the extractor's compression-ratio bound at once). tar(1)
// and gzip build it.
func bigArchive(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("tar"); err != nil {
		t.Skip("tar(1) not installed")
	}
	src := filepath.Join(t.TempDir(), "tree")
	copyTree(t, src)
	f, err := os.Create(filepath.Join(src, "proc/zz-padding"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.CopyN(f, rand.NewChaCha8([32]byte{}), 200<<20); err != nil {
		t.Fatal(err)
	}
	f.Close()
	archive := filepath.Join(t.TempDir(), "big.tar.gz")
	cmd := exec.Command("tar", "-C", src, "--use-compress-program", "gzip -1", "-cf", archive, "proc", "sys")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("tar: %v\n%s", err, out)
	}
	return archive
}

// TestInterruptExtraction: SIGINT while a large .tar.gz bundle is being
// extracted stops netstack-top promptly, exit 1, with a message saying it
// was interrupted, nothing on stdout and nothing left in TMPDIR.
func TestInterruptExtraction(t *testing.T) {
	archive := bigArchive(t)
	bin := build(t, t.TempDir(), "github.com/packetpath/packetpath/examples/netstack-top")
	tmp := t.TempDir()
	cmd := exec.Command(bin, "-root", archive, "-once", "-json")
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// The extraction directory appears once the signal handler is
	// installed (it is set up before the bundle is opened).
	deadline := time.Now().Add(10 * time.Second)
	for {
		if ents, _ := os.ReadDir(tmp); len(ents) > 0 {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("no extraction directory in TMPDIR after 10s; stderr %q", stderr.String())
		}
		time.Sleep(time.Millisecond)
	}
	sent := time.Now()
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	took := time.Since(sent)
	code := cmd.ProcessState.ExitCode()
	if code != 1 || stdout.Len() != 0 || !strings.Contains(stderr.String(), "netstack-top: interrupted while opening bundle "+archive) ||
		!strings.Contains(stderr.String(), "context canceled") {
		t.Errorf("exit %d (%v), stdout %d bytes, stderr %q", code, err, stdout.Len(), stderr.String())
	}
	if took > 2*time.Second {
		t.Errorf("exited %v after SIGINT", took)
	}
	if ents, _ := os.ReadDir(tmp); len(ents) != 0 {
		t.Errorf("%d entries left in TMPDIR", len(ents))
	}
	t.Logf("exited %v after SIGINT: %s", took.Round(time.Millisecond), strings.TrimSpace(stderr.String()))
}

// TestCancelExtraction: runContext with a context that ends during the
// extraction returns 1 with the interrupted message (the path SIGINT
// takes, without a process).
func TestCancelExtraction(t *testing.T) {
	archive := bigArchive(t)
	t.Setenv("TMPDIR", t.TempDir())
	o, err := parseFlags([]string{"-root", archive, "-json", "-color", "never"}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	var stdout, stderr bytes.Buffer
	start := time.Now()
	code := runContext(ctx, o, &stdout, &stderr)
	took := time.Since(start)
	if code != 1 || stdout.Len() != 0 || !strings.Contains(stderr.String(), "interrupted while opening bundle") ||
		!strings.Contains(stderr.String(), "context deadline exceeded") || took > 2*time.Second {
		t.Errorf("exit %d after %v, stdout %d bytes, stderr %q", code, took, stdout.Len(), stderr.String())
	}
	t.Logf("returned %v after start: %s", took.Round(time.Millisecond), strings.TrimSpace(stderr.String()))
}
