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
	"runtime"

	"golang.org/x/sys/unix"
)

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

// DoFd is Do with an open namespace file descriptor.
func DoFd(fd int, fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("netns: opening current namespace: %w", err)
			return
		}
		defer unix.Close(orig)
		if err := unix.Setns(fd, unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("netns: entering namespace: %w", os.NewSyscallError("setns", err))
			return
		}
		ferr := fn()
		if err := unix.Setns(orig, unix.CLONE_NEWNET); err == nil {
			runtime.UnlockOSThread()
		}
		errc <- ferr
	}()
	return <-errc
}
