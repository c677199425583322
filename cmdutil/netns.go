package cmdutil

import (
	"errors"
	"fmt"
	"os"
	"strings"
)

// NetNSDir is where `ip netns add NAME` puts a namespace's file.
const NetNSDir = "/var/run/netns"

// ErrNotNetNS is wrapped by ResolveNetNS when the file exists but is not a
// network namespace (a regular file, or another kind of namespace).
var ErrNotNetNS = errors.New("not a network namespace")

// NetNSPath turns a -netns argument into a path: a name without a slash is
// a file under NetNSDir, anything else is used as given. "" stays "".
func NetNSPath(arg string) string {
	if arg == "" || strings.Contains(arg, "/") {
		return arg
	}
	return NetNSDir + "/" + arg
}

// ResolveNetNS is NetNSPath followed by a check that the path is a network
// namespace this process may open: it exists (else the error wraps
// os.ErrNotExist and suggests `ip netns list`), it opens (os.ErrPermission
// says to run as root), and it is a namespace file of type CLONE_NEWNET
// (else ErrNotNetNS). "" returns "" and no error. Entering the namespace
// needs CAP_SYS_ADMIN, which is only known when setns(2) is tried: see
// ExplainNetNS.
func ResolveNetNS(arg string) (string, error) {
	path := NetNSPath(arg)
	if path == "" {
		return "", nil
	}
	if err := checkNetNS(path); err != nil {
		return "", err
	}
	return path, nil
}

// ExplainNetNS adds what to do to an error from opening a collector or a
// socket in a namespace: a permission error (setns(2) returns EPERM
// without CAP_SYS_ADMIN) gets a hint to run as root. Other errors, and
// nil, are returned unchanged. errors.Is still sees the original.
func ExplainNetNS(err error) error {
	if err == nil || !errors.Is(err, os.ErrPermission) {
		return err
	}
	return fmt.Errorf("%w (entering another network namespace needs CAP_SYS_ADMIN: run as root, e.g. with sudo)", err)
}
