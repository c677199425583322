package nic

import (
	"errors"
	"os"
)

func errorsIsUnsupported(err error) bool { return errors.Is(err, errors.ErrUnsupported) }
func errorsIsNotExist(err error) bool    { return errors.Is(err, os.ErrNotExist) }
