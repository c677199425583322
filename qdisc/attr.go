package qdisc

import (
	"encoding/binary"
	"errors"
	"fmt"
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

// attrIter walks netlink attributes in b without allocating.
type attrIter struct {
	b    []byte
	off  int // offset of b[0] in the enclosing payload, for errors
	typ  uint16
	data []byte
	err  error
	what string
}

func newAttrIter(b []byte, off int, what string) attrIter {
	return attrIter{b: b, off: off, what: what}
}

// next advances to the next attribute; it returns false at the end or on a
// malformed attribute (then it.err is set).
func (it *attrIter) next() bool {
	if len(it.b) < nlaHdrLen {
		if len(it.b) != 0 && it.err == nil {
			// Trailing bytes shorter than a header: the kernel never
			// sends them, but padding-only tails are harmless.
			for _, c := range it.b {
				if c != 0 {
					it.err = malformed(it.what, it.off, "%d trailing bytes", len(it.b))
					break
				}
			}
		}
		return false
	}
	l := int(ne.Uint16(it.b))
	if l < nlaHdrLen || l > len(it.b) {
		it.err = malformed(it.what, it.off, "attribute length %d outside 4..%d", l, len(it.b))
		return false
	}
	it.typ = ne.Uint16(it.b[2:]) & nlaTypeMask
	it.data = it.b[nlaHdrLen:l:l]
	adv := (l + 3) &^ 3
	if adv > len(it.b) {
		adv = len(it.b)
	}
	it.b = it.b[adv:]
	it.off += adv
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

var errorsUnsupported = errors.ErrUnsupported
