package nic

// netlink numbers the decoder tests build messages with
// (include/uapi/linux/netlink.h).
const (
	nlmsgHdrLen = 16
	nlmsgError  = 2
	nlmsgDone   = 3
)
