package main

import (
	"github.com/packetpath/packetpath/netstack"
)

// perDevice are the sources whose errors can concern one device
// (SourceError.Object is the device): the other devices still have
// numbers.
const perDevice = netstack.SourceLinks | netstack.SourceDevices | netstack.SourceEthtool | netstack.SourceQdisc

// failure is one source error of one of the two snapshots a delta is taken
// between. Either snapshot's failure leaves the delta without the source's
// numbers (a counter missing from the previous snapshot reads as new, with
// no delta), so both count.
type failure struct {
	src    netstack.Source
	object string
	msg    string // the error, prefixed with the snapshot it comes from
}

type objKey struct {
	src    netstack.Source
	object string
}

// failures is the source errors of a delta's two snapshots. A nil
// *failures has none.
type failures struct {
	list  []failure
	byObj map[objKey]string
}

// newFailures gathers the errors of prev and cur. prevLabel and curLabel
// prefix each message with the snapshot it comes from ("frame-002: ");
// an error both snapshots report is quoted once, from cur.
func newFailures(prev, cur *netstack.Snapshot, prevLabel, curLabel string) *failures {
	f := &failures{}
	type seenKey struct {
		src         netstack.Source
		object, err string
	}
	var seen map[seenKey]bool
	add := func(s *netstack.Snapshot, label string, dedupe bool) {
		for _, e := range s.Errors {
			k := seenKey{e.Source, e.Object, e.Err.Error()}
			if dedupe && seen[k] {
				continue
			}
			if !dedupe {
				if seen == nil {
					seen = map[seenKey]bool{}
				}
				seen[k] = true
			}
			fl := failure{src: e.Source, object: e.Object, msg: label + e.Error()}
			f.list = append(f.list, fl)
			if e.Object != "" && e.Source&perDevice != 0 {
				if f.byObj == nil {
					f.byObj = map[objKey]string{}
				}
				for bit := netstack.Source(1); bit != 0 && bit <= perDevice; bit <<= 1 {
					if e.Source&bit&perDevice != 0 {
						k := objKey{bit, e.Object}
						if _, ok := f.byObj[k]; !ok {
							f.byObj[k] = fl.msg
						}
					}
				}
			}
		}
	}
	if cur != nil {
		add(cur, curLabel, false)
	}
	if prev != nil && prev != cur {
		add(prev, prevLabel, true)
	}
	return f
}

func (f *failures) all() []failure {
	if f == nil {
		return nil
	}
	return f.list
}

// whole returns the errors that leave src without any numbers: the
// source's own failures, and for sources that are not per device, every
// failure (a missing udp6 table leaves the socket drops incomplete).
func (f *failures) whole(src netstack.Source) []string {
	if f == nil {
		return nil
	}
	var out []string
	for _, e := range f.list {
		if e.src&src == 0 {
			continue
		}
		if e.object != "" && src&perDevice != 0 {
			continue
		}
		out = append(out, e.msg)
	}
	return out
}

// object returns the first error about one device of a per-device source.
func (f *failures) object(src netstack.Source, object string) (string, bool) {
	if f == nil || f.byObj == nil {
		return "", false
	}
	msg, ok := f.byObj[objKey{src, object}]
	return msg, ok
}

// objects counts the devices with an error of src and returns the first
// error.
func (f *failures) objects(src netstack.Source) (n int, first string) {
	if f == nil {
		return 0, ""
	}
	seen := map[string]bool{}
	for _, e := range f.list {
		if e.src&src == 0 || e.object == "" || seen[e.object] {
			continue
		}
		seen[e.object] = true
		if n == 0 {
			first = e.msg
		}
		n++
	}
	return n, first
}
