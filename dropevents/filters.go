package dropevents

import (
	"errors"
	"fmt"
	"strconv"
)

// portFilter builds the udp_fail_queue_rcv_skb filter for a local port:
// dport since the 6.10 rework of the event (include/trace/events/udp.h
// stores ntohs(uh->dest)), lport before (inet->inet_num). Both are host
// byte order.
func portFilter(f *Format, port uint16) (string, error) {
	for _, name := range []string{"dport", "lport"} {
		if _, ok := f.Field(name); ok {
			return name + " == " + strconv.FormatUint(uint64(port), 10), nil
		}
	}
	return "", fmt.Errorf("dropevents: %s:%s has no port field to filter on: %w", f.System, f.Name, errors.ErrUnsupported)
}

func lookupReason(syms []Symbol, name string) (uint32, bool) {
	for _, s := range syms {
		if s.Name == name && s.Value <= 0xffffffff {
			return uint32(s.Value), true
		}
	}
	return 0, false
}
