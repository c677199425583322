//go:build unix

package main

import (
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// termSize is the size of the terminal w writes to (TIOCGWINSZ), ok false
// when w is not a terminal.
func termSize(w io.Writer) (cols, rows int, ok bool) {
	f, isFile := w.(*os.File)
	if !isFile {
		return 0, 0, false
	}
	ws, err := unix.IoctlGetWinsize(int(f.Fd()), unix.TIOCGWINSZ)
	if err != nil {
		return 0, 0, false
	}
	return int(ws.Col), int(ws.Row), true
}
