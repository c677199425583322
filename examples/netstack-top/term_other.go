//go:build !unix

package main

import "io"

// termSize reports no terminal: the width comes from -width or $COLUMNS.
func termSize(io.Writer) (cols, rows int, ok bool) { return 0, 0, false }
