package cmdutil

import (
	"fmt"
	"runtime/debug"
	"strings"
)

// Library is the module path of packetpath itself.
const Library = "github.com/packetpath/packetpath"

// Version is the text a program prints for -version: the program's name,
// its module and version, the packetpath version it was built with (when
// the program is in another module), the VCS revision and time that
// `go build` stamped (vcs.revision, vcs.time, vcs.modified in
// debug.ReadBuildInfo), and the Go version. Fields the build did not
// record are left out; a binary without build information (some test
// binaries) says so.
func Version(program string) string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return program + " (no build information in this binary)"
	}
	return formatVersion(program, bi)
}

func formatVersion(program string, bi *debug.BuildInfo) string {
	var b strings.Builder
	b.WriteString(program)
	if bi.Main.Path != "" {
		fmt.Fprintf(&b, " %s %s", bi.Main.Path, versionOr(bi.Main.Version))
	}
	if bi.Main.Path != Library {
		for _, d := range bi.Deps {
			if d.Path != Library {
				continue
			}
			v := versionOr(d.Version)
			if d.Replace != nil {
				v += " => " + d.Replace.Path
				if d.Replace.Version != "" {
					v += " " + d.Replace.Version
				}
			}
			fmt.Fprintf(&b, ", packetpath %s", v)
		}
	}
	var rev, when string
	modified := false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			when = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if rev != "" {
		fmt.Fprintf(&b, ", revision %s", rev)
		if modified {
			b.WriteString(" (modified)")
		}
		if when != "" {
			fmt.Fprintf(&b, " of %s", when)
		}
	} else {
		b.WriteString(", no VCS revision recorded")
	}
	if bi.GoVersion != "" {
		fmt.Fprintf(&b, ", built with %s", bi.GoVersion)
	}
	return b.String()
}

func versionOr(v string) string {
	if v == "" {
		return "(devel)"
	}
	return v
}
