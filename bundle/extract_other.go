//go:build !unix

package bundle

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
)

// extractor creates members through directory descriptors (openat(2)
// without following links), which this system does not offer: a bundle
// archive cannot be extracted here. A bundle directory can still be read.
type extractor struct{}

func newExtractor(root string) (*extractor, error) {
	return nil, fmt.Errorf("extracting a bundle archive into %s on %s: %w (extract it with tar and pass the directory)", root, runtime.GOOS, errors.ErrUnsupported)
}

func (x *extractor) close() {}

func (x *extractor) member(context.Context, *tar.Header, io.Reader, int64, func(io.Writer) io.Writer) error {
	return errors.ErrUnsupported
}
