package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestVersionAndBadNetNS: -version prints the module; a -netns that is not
// a network namespace is refused with a message that says so (the missing
// name is in TestBadFlags; the name end to end in TestNamespaceAndBundle).
func TestVersionAndBadNetNS(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"-version"}, &stdout, &stderr); code != 0 || !strings.HasPrefix(stdout.String(), "netstack-top ") {
		t.Errorf("-version: exit %d, stdout %q, stderr %q", code, stdout.String(), stderr.String())
	}
	notNS := filepath.Join(t.TempDir(), "passwd")
	if err := os.WriteFile(notNS, []byte("root:x:0:0::/root:/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	stderr.Reset()
	if code := run([]string{"-netns", notNS, "-once"}, &stdout, &stderr); code != 1 || !strings.Contains(stderr.String(), "not a network namespace") {
		t.Errorf("-netns %s: exit %d, stderr %q", notNS, code, stderr.String())
	}
	stderr.Reset()
	if code := run([]string{"-netns", "pp-no-such-namespace", "-once"}, &stdout, &stderr); code != 1 || !strings.Contains(stderr.String(), "ip netns list") {
		t.Errorf("missing name: exit %d, stderr %q", code, stderr.String())
	}
}
