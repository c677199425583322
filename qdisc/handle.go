package qdisc

import "strconv"

// Handle is a traffic-control handle or class id: a 16-bit major and a
// 16-bit minor number, written "major:minor" in hexadecimal by tc
// (include/uapi/linux/pkt_sched.h TC_H_MAJ/TC_H_MIN).
type Handle uint32

// Well-known handles (include/uapi/linux/pkt_sched.h).
const (
	// TC_H_UNSPEC: no handle.
	HandleUnspec Handle = 0
	// TC_H_ROOT: the parent of a device's root egress qdisc.
	HandleRoot Handle = 0xFFFFFFFF
	// TC_H_INGRESS (= TC_H_CLSACT): the parent of ingress and clsact.
	HandleIngress Handle = 0xFFFFFFF1
)

// TC_H_ROOT and TC_H_INGRESS under their kernel names, for readers who
// search for them.
const (
	TC_H_ROOT    = HandleRoot    //nolint:revive // kernel name
	TC_H_INGRESS = HandleIngress //nolint:revive // kernel name
)

// NewHandle builds major:minor.
func NewHandle(major, minor uint16) Handle { return Handle(uint32(major)<<16 | uint32(minor)) }

// Major returns the upper 16 bits (the qdisc number).
func (h Handle) Major() uint16 { return uint16(h >> 16) }

// Minor returns the lower 16 bits (the class number within the qdisc).
func (h Handle) Minor() uint16 { return uint16(h) }

// String formats h the way tc prints a class id (print_tc_classid in
// iproute2): "root", "ingress", "none" for 0, ":a" for major 0, "1:" for
// minor 0 and "1:a" otherwise, in hexadecimal. (tc prints a qdisc's own
// handle as major only: "0:" for an unnumbered default qdisc.)
func (h Handle) String() string {
	switch h {
	case HandleRoot:
		return "root"
	case HandleIngress:
		return "ingress"
	case HandleUnspec:
		return "none"
	}
	if h.Major() == 0 {
		return ":" + strconv.FormatUint(uint64(h.Minor()), 16)
	}
	s := strconv.FormatUint(uint64(h.Major()), 16) + ":"
	if h.Minor() != 0 {
		s += strconv.FormatUint(uint64(h.Minor()), 16)
	}
	return s
}
