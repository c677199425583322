package dropevents

import "slices"

// DropSite is a kernel code address that dropped packets: the location
// field of skb:kfree_skb, the return address into the function that called
// kfree_skb_reason (net/core/skbuff.c). Kallsyms.Lookup names it.
type DropSite struct {
	Location uint64
	Count    uint64
}

// sitesInto copies the aggregator's location table into dst, most drops
// first, and returns it with the count of records whose location found the
// table full.
func (a *aggregator) sitesInto(dst []DropSite) ([]DropSite, uint64) {
	dst = dst[:0]
	for i := 0; i < a.nlocs; i++ {
		dst = append(dst, DropSite{Location: a.locs[i].addr, Count: a.locs[i].count})
	}
	slices.SortFunc(dst, func(x, y DropSite) int {
		switch {
		case x.Count > y.Count:
			return -1
		case x.Count < y.Count:
			return 1
		case x.Location < y.Location:
			return -1
		case x.Location > y.Location:
			return 1
		}
		return 0
	})
	return dst, a.locsFull
}
