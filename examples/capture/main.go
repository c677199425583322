// Command capture writes a capture bundle (package bundle): every /proc and
// sysfs file the packetpath library reads, plus the rtnetlink and sock_diag
// dumps and the ethtool replies as the kernel sent them, in two or more
// frames an interval apart. The bundle is a directory, or a .tar.gz when
// -o ends in .tar.gz, and netstack-top -root reads it on any machine, with
// the decoders that read the live kernel: for bug reports, and as fixtures
// for tests of alerting and dashboards. Every frame carries /proc/net/dev
// beside the rtnetlink dump, so plain tools still read each device's
// counters. SIGINT or SIGTERM stops the capture
// between frames.
//
// Usage:
//
//	capture -o bundle.tar.gz [-frames 2] [-interval 1s] [-netns NAME|PATH]
//	capture -version
//
// -o refuses a directory that already holds files, an existing file that
// is not a .tar.gz, and a name with another extension (.tgz, .zip, .tar):
// the bundle is a new or empty directory, or FILE.tar.gz.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/packetpath/packetpath/cmdutil"
	"github.com/packetpath/packetpath/netstack"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("capture", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("o", "", "output: a directory, or a file ending in .tar.gz")
	frames := fs.Int("frames", 2, "number of frames (two or more give a delta)")
	interval := fs.Duration("interval", time.Second, "time between frames")
	ns := fs.String("netns", "", "network namespace: a name made by ip netns, or a path (/var/run/netns/NAME, /proc/PID/ns/net)")
	version := fs.Bool("version", false, "print the version (module and VCS revision) and exit")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: capture -o DIR|FILE.tar.gz [flags]\n\nWrites a packetpath capture bundle that netstack-top -root can analyze elsewhere.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *version {
		fmt.Fprintln(stdout, cmdutil.Version("capture"))
		return 0
	}
	switch {
	case *out == "":
		fmt.Fprintln(stderr, "capture: -o is required")
		fs.Usage()
		return 2
	case *frames < 1:
		fmt.Fprintf(stderr, "capture: -frames must be at least 1, got %d\n", *frames)
		return 2
	case *interval <= 0:
		fmt.Fprintf(stderr, "capture: -interval must be positive, got %v\n", *interval)
		return 2
	case fs.NArg() > 0:
		fmt.Fprintf(stderr, "capture: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if err := checkOutput(*out); err != nil {
		fmt.Fprintf(stderr, "capture: -o %s: %v\n", *out, err)
		return 2
	}
	path, err := cmdutil.ResolveNetNS(*ns)
	if err != nil {
		fmt.Fprintf(stderr, "capture: -netns: %v\n", err)
		return 1
	}
	c, err := netstack.NewCollector(netstack.Config{NetNS: path})
	if err != nil {
		fmt.Fprintf(stderr, "capture: %v\n", cmdutil.ExplainNetNS(err))
		return 1
	}
	defer c.Close()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := c.WriteBundle(ctx, *out, netstack.CaptureOptions{Frames: *frames, Interval: *interval}); err != nil {
		fmt.Fprintf(stderr, "capture: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "wrote %s (%d frames, %v apart)\n", *out, *frames, *interval)
	return 0
}

// checkOutput refuses an -o that would mix a bundle with other files or
// that names a format capture does not write: an existing directory must
// be empty, an existing file must be a .tar.gz (it is replaced), and a new
// name is a directory (no extension) or ends in .tar.gz.
func checkOutput(out string) error {
	if strings.HasSuffix(out, ".tar.gz") {
		if st, err := os.Stat(out); err == nil && st.IsDir() {
			return errors.New("is a directory; a .tar.gz bundle must be a file")
		}
		return nil
	}
	st, err := os.Stat(out)
	switch {
	case err == nil && st.IsDir():
		entries, err := os.ReadDir(out)
		if err != nil {
			return err
		}
		if len(entries) > 0 {
			return fmt.Errorf("directory is not empty (%d entries, e.g. %s): give a new or empty directory, or FILE.tar.gz", len(entries), entries[0].Name())
		}
		return nil
	case err == nil:
		return errors.New("exists and is not a directory or a .tar.gz: give a new or empty directory, or FILE.tar.gz")
	case !errors.Is(err, os.ErrNotExist):
		return err
	}
	if ext := filepath.Ext(filepath.Base(out)); ext != "" {
		return fmt.Errorf("unknown extension %q: capture writes a directory (a name without an extension) or FILE.tar.gz", ext)
	}
	return nil
}
