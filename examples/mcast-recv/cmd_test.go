package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestVersionAndBadNetNS: -version needs no -group and prints the module;
// a -netns that is missing or not a namespace is refused before the socket
// is opened, with what to do.
func TestVersionAndBadNetNS(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"-version"}, &stdout, &stderr); code != 0 || !strings.HasPrefix(stdout.String(), "mcast-recv ") {
		t.Errorf("-version: exit %d, stdout %q, stderr %q", code, stdout.String(), stderr.String())
	}
	notNS := filepath.Join(t.TempDir(), "passwd")
	if err := os.WriteFile(notNS, []byte("root:x:0:0::/root:/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ ns, want string }{
		{notNS, "not a network namespace"},
		{"pp-no-such-namespace", "ip netns list"},
	} {
		stderr.Reset()
		code := run([]string{"-netns", tc.ns, "-group", "239.7.7.9:5009", "-duration", "1ms"}, &stdout, &stderr)
		if code != 1 || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("-netns %s: exit %d, stderr %q, want %q", tc.ns, code, stderr.String(), tc.want)
		}
	}
}
