// Package netns runs a function inside another network namespace without
// moving the rest of the program there.
//
// The function runs on a fresh goroutine locked to its OS thread; the thread
// enters the namespace with setns(2), runs the function and returns to the
// original namespace. Sockets, netlink connections and /proc/thread-self/net
// files opened by the function belong to the target namespace for their whole
// life, so the usual pattern is to open handles inside Do and use them
// outside. If the thread cannot return, it stays locked and the Go runtime
// discards it when the goroutine exits.
package netns

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// NamedDir is where ip-netns(8) keeps the namespaces it names.
const NamedDir = "/var/run/netns"

// Path returns the namespace file that nameOrPath designates: a value with
// a slash in it is a path (/var/run/netns/NAME, /proc/PID/ns/net) and is
// returned as it is; any other non-empty value is a name given to
// ip-netns(8), NamedDir/NAME. An empty value stays empty (the caller's
// namespace).
func Path(nameOrPath string) string {
	if nameOrPath == "" || strings.ContainsRune(nameOrPath, '/') {
		return nameOrPath
	}
	return filepath.Join(NamedDir, nameOrPath)
}

// Do runs fn inside the network namespace at path (/var/run/netns/NAME or
// /proc/PID/ns/net). An empty path runs fn directly, in the caller's
// namespace. Errors opening or entering the namespace wrap the cause
// (os.ErrNotExist for a missing namespace, os.ErrPermission without
// CAP_SYS_ADMIN).
func Do(path string, fn func() error) error {
	if path == "" {
		return fn()
	}
	target, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("netns: %w", err)
	}
	defer target.Close()
	return DoFd(int(target.Fd()), fn)
}
