package main

import (
	"errors"
	"io"
	"syscall"
)

// stickyWriter remembers the first write error, so that a loop that
// prints with fmt.Fprint can stop when the reader has gone (head closed
// the pipe: EPIPE, SIGPIPE being ignored).
type stickyWriter struct {
	w   io.Writer
	err error
}

func (s *stickyWriter) Write(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	n, err := s.w.Write(p)
	if err != nil {
		s.err = err
	}
	return n, err
}

// closedPipe reports whether err says the reader of stdout went away.
func closedPipe(err error) bool {
	return errors.Is(err, syscall.EPIPE)
}
