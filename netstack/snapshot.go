package netstack

import (
	"errors"
	"fmt"
	"time"

	"github.com/packetpath/packetpath/internal/reuse"
)

// Snapshot is the state of every stage of the stack at one moment, as one
// Collector read it. The typed fields hold each source's data as its package
// returns it; Counters holds all of their counters in flat form, which is
// what deltas, the diagnosis and the OpenTelemetry instruments use.
//
// A Snapshot is reused by Collector.Collect: its slices keep their capacity,
// so collecting into the same Snapshot allocates nothing per counter in
// steady state. Keep two and alternate them to take deltas.
type Snapshot struct {
	// Time is when collection started.
	Time time.Time
	// Duration is how long collection took.
	Duration time.Duration
	// NetNS is the namespace the snapshot describes ("" for the caller's).
	NetNS string
	// NetNSDetached is set when the path NetNS no longer leads to the
	// namespace the Collector opened: the name was deleted (ip netns del)
	// or now names another namespace. The Collector's own files and
	// sockets keep the namespace it opened alive, and the counters are
	// still that namespace's, but nothing reaches it by that name any
	// more: it is probably being torn down, and its counters say nothing
	// about what now runs under the name. Errors then holds the reason,
	// with Object = the path and Source 0.
	NetNSDetached bool
	// Bundle is the capture bundle it was read from ("" when live).
	Bundle string

	// Counters holds every counter of every source, in a stable order.
	Counters []Counter
	// Errors holds one entry per source that failed; the other sources
	// are still collected.
	Errors []SourceError

	// Sources is the typed data of each source (nil or empty when the
	// source is not collected or failed).
	Sources SourceData
}

// SourceError is the failure of one source in one collection.
type SourceError struct {
	// Source is the source (or sources) concerned; 0 for a failure of the
	// whole collection, such as a namespace that lost its name.
	Source Source
	// Object is the device or file concerned, when the failure is limited
	// to one (e.g. one device's ethtool statistics).
	Object string
	Err    error
}

func (e SourceError) Error() string {
	if e.Source == 0 {
		if e.Object != "" {
			return fmt.Sprintf("%s: %v", e.Object, e.Err)
		}
		return e.Err.Error()
	}
	if e.Object != "" {
		return fmt.Sprintf("%s %s: %v", e.Source, e.Object, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.Source, e.Err)
}

func (e SourceError) Unwrap() error { return e.Err }

// Err returns the snapshot's source errors joined, or nil.
func (s *Snapshot) Err() error {
	if len(s.Errors) == 0 {
		return nil
	}
	errs := make([]error, len(s.Errors))
	for i := range s.Errors {
		errs[i] = s.Errors[i]
	}
	return errors.Join(errs...)
}

func (s *Snapshot) addErr(src Source, object string, err error) {
	s.Errors = append(s.Errors, SourceError{Source: src, Object: object, Err: err})
}

// grow extends Counters by n elements and returns them, for the caller to
// fill with Counter.set.
func (s *Snapshot) grow(n int) []Counter {
	l := len(s.Counters)
	if cap(s.Counters)-l < n {
		s.Counters = append(s.Counters[:cap(s.Counters)], make([]Counter, l+n-cap(s.Counters))...)
	}
	s.Counters = s.Counters[:l+n]
	return s.Counters[l : l+n : l+n]
}

// next appends a counter and returns it, for the caller to fill with
// Counter.set.
func (s *Snapshot) next() *Counter {
	var c *Counter
	s.Counters, c = reuse.Next(s.Counters)
	return c
}
