//go:build linux

package cmdutil

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// nsGetNSType is the NS_GET_NSTYPE ioctl (linux/nsfs.h, _IO(0xb7, 0x3)):
// it returns the CLONE_NEW* type of a namespace file descriptor.
const nsGetNSType = 0xb703

func checkNetNS(path string) error {
	f, err := os.Open(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("network namespace %s: %w (names made by ip netns are listed by `ip netns list`; a process's namespace is /proc/PID/ns/net)", path, err)
	case errors.Is(err, os.ErrPermission):
		return fmt.Errorf("network namespace %s: %w (run as root, e.g. with sudo)", path, err)
	case err != nil:
		return fmt.Errorf("network namespace %s: %w", path, err)
	}
	defer f.Close()
	var st unix.Statfs_t
	if err := unix.Fstatfs(int(f.Fd()), &st); err != nil {
		return fmt.Errorf("network namespace %s: %w", path, os.NewSyscallError("fstatfs", err))
	}
	if st.Type != unix.NSFS_MAGIC {
		return fmt.Errorf("%s: %w: it is not a namespace file (give a name from `ip netns list`, /var/run/netns/NAME or /proc/PID/ns/net)", path, ErrNotNetNS)
	}
	t, err := unix.IoctlRetInt(int(f.Fd()), nsGetNSType)
	if err != nil {
		// Kernels before 4.11 lack NS_GET_NSTYPE: setns(2) will check.
		return nil
	}
	if t != unix.CLONE_NEWNET {
		return fmt.Errorf("%s: %w: it is another kind of namespace (for a process, use /proc/PID/ns/net)", path, ErrNotNetNS)
	}
	return nil
}
