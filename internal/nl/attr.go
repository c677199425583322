package nl

import (
	"encoding/binary"
	"fmt"
)

// Attribute layout (include/uapi/linux/netlink.h): struct nlattr {u16
// nla_len; u16 nla_type}, the payload padded to 4 bytes.
const (
	AttrHeaderLen = 4
	attrTypeMask  = 0x3fff // ^(NLA_F_NESTED | NLA_F_NET_BYTEORDER)
)

// Attrs walks netlink attributes without allocating:
//
//	it := nl.NewAttrs(b)
//	for it.Next() { switch it.Type { ... it.Data ... } }
//	if err := it.Err(); err != nil { ... }
type Attrs struct {
	b []byte
	// Off is the offset of the current attribute's header in the data
	// given to NewAttrs (after a failed Next: of the bad bytes).
	Off int
	// Type is the attribute type without the NLA_F_NESTED and
	// NLA_F_NET_BYTEORDER bits.
	Type uint16
	// Data is the payload (nla_len minus the header), capacity clipped.
	Data []byte
	next int
	err  error
}

// NewAttrs starts a walk over b.
func NewAttrs(b []byte) Attrs { return Attrs{b: b} }

// Next advances to the next attribute; it returns false at the end or on a
// malformed attribute (then Err is set). Fewer than 4 trailing bytes are
// padding when zero and an error otherwise.
func (a *Attrs) Next() bool {
	b := a.b[a.next:]
	if len(b) < AttrHeaderLen {
		for _, c := range b {
			if c != 0 {
				a.Off = a.next
				a.err = fmt.Errorf("%d trailing bytes at byte %d: %w", len(b), a.next, ErrMalformed)
				break
			}
		}
		return false
	}
	l := int(binary.NativeEndian.Uint16(b))
	if l < AttrHeaderLen || l > len(b) {
		a.Off = a.next
		a.err = fmt.Errorf("attribute at byte %d: length %d outside %d..%d: %w", a.next, l, AttrHeaderLen, len(b), ErrMalformed)
		return false
	}
	a.Off = a.next
	a.Type = binary.NativeEndian.Uint16(b[2:]) & attrTypeMask
	a.Data = b[AttrHeaderLen:l:l]
	a.next += min((l+3)&^3, len(b))
	return true
}

// Err is the error that ended the walk, nil at a clean end.
func (a *Attrs) Err() error { return a.err }

// End is the offset just past the current attribute and its padding.
func (a *Attrs) End() int { return a.next }
