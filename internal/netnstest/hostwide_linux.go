package netnstest

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// HostWide serializes a test with every other test, in any package or
// process, that takes the same name: for measurements the kernel keeps
// machine-wide, such as drop-reason tracepoint counts, which cannot be
// filtered by namespace. `go test ./...` runs packages in parallel, so two
// packages that each make 150 NETFILTER_DROP drops would otherwise each see
// 300. The lock is an flock on a file under the temporary directory,
// released when the test ends.
func HostWide(t testing.TB, name string) {
	t.Helper()
	path := filepath.Join(os.TempDir(), "packetpath-test-"+name+".lock")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatalf("host-wide lock %s: %v", path, err)
	}
	for {
		err = unix.Flock(int(f.Fd()), unix.LOCK_EX)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		f.Close()
		t.Fatalf("host-wide lock %s: %v", path, err)
	}
	t.Cleanup(func() { f.Close() }) // closing releases the flock
}
