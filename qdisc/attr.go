package qdisc

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/packetpath/packetpath/internal/nl"
)

// ErrMalformed is wrapped by every error about a netlink message or
// attribute the decoder cannot make sense of.
var ErrMalformed = errors.New("malformed netlink data")

// DecodeError tells which message and attribute could not be decoded.
type DecodeError struct {
	// What names the message or structure ("RTM_NEWQDISC", "tc_htb_xstats").
	What string
	// Offset is the byte offset of the problem inside the payload.
	Offset int
	// Reason explains what was wrong.
	Reason string
}

func (e *DecodeError) Error() string {
	return fmt.Sprintf("qdisc: %s at byte %d: %s", e.What, e.Offset, e.Reason)
}

// Unwrap makes errors.Is(err, ErrMalformed) true.
func (e *DecodeError) Unwrap() error { return ErrMalformed }

func malformed(what string, off int, format string, args ...any) error {
	return &DecodeError{What: what, Offset: off, Reason: fmt.Sprintf(format, args...)}
}

var ne = binary.NativeEndian

// Netlink attribute layout (include/uapi/linux/netlink.h): struct nlattr
// {u16 nla_len; u16 nla_type}, payload padded to 4 bytes.
const (
	nlaHdrLen    = 4
	nlaTypeMask  = 0x3fff // ^(NLA_F_NESTED | NLA_F_NET_BYTEORDER)
	nlmsgHdrLen  = 16
	tcmsgLen     = 20
	ifinfomsgLen = 16
)

// attrIter is nl.Attrs with offsets relative to the enclosing payload and
// errors that are *DecodeError.
type attrIter struct {
	a    nl.Attrs
	base int
	off  int // offset just past the current attribute in the enclosing payload
	typ  uint16
	data []byte
	err  error
	what string
}

func newAttrIter(b []byte, off int, what string) attrIter {
	return attrIter{a: nl.NewAttrs(b), base: off, off: off, what: what}
}

// next advances to the next attribute; it returns false at the end or on a
// malformed attribute (then it.err is set).
func (it *attrIter) next() bool {
	if !it.a.Next() {
		if err := it.a.Err(); err != nil && it.err == nil {
			it.err = malformed(it.what, it.base+it.a.Off, "%v", err)
		}
		return false
	}
	it.typ, it.data = it.a.Type, it.a.Data
	it.off = it.base + it.a.End()
	return true
}

// trailing accepts what is left after the last attribute: nothing, or
// fewer than 4 zero bytes of padding.
func trailing(what string, b []byte, off int) error {
	for _, c := range b {
		if c != 0 {
			return malformed(what, off, "%d trailing bytes", len(b))
		}
	}
	return nil
}

func u32(b []byte, i int) uint32 { return ne.Uint32(b[i*4:]) }
