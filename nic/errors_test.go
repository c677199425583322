package nic

import (
	"errors"
	"os"
)

func errorsIsUnsupported(err error) bool { return errors.Is(err, errors.ErrUnsupported) }
func errorsIsNotExist(err error) bool    { return errors.Is(err, os.ErrNotExist) }

func itoa(n int) string { return utoa(uint64(n)) }
func utoa(n uint64) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return utoa(n/10) + string(rune('0'+n%10))
}
