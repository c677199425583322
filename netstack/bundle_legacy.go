package netstack

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/packetpath/packetpath/bundle"
	"github.com/packetpath/packetpath/dropevents"
	"github.com/packetpath/packetpath/nic"
	"github.com/packetpath/packetpath/qdisc"
	"github.com/packetpath/packetpath/udptable"
)

// Bounds of the decoded data of a format 1 frame (netlink.json, at most
// bundle.MaxLegacySize = 16 MiB). A count cap is the number of elements
// of the size a real capture writes (about 670 bytes a link, 750 a
// device, 320 a qdisc or class, 420 a UDP socket; see MaxLegacySize)
// that fit in 16 MiB, rounded up: a real file never reaches it, while
// a hostile one of empty elements ({} is 3 bytes, and decodes to a
// struct of 200 to 1,200 bytes) is cut there. Elements past a cap are
// skipped without being decoded, and the cut reported.
const (
	legacyMaxLinks   = 1 << 15 // 32,768 links (and as many devices)
	legacyMaxQdiscs  = 1 << 16 // 65,536 qdiscs (and as many classes)
	legacyMaxUDP     = 1 << 16 // 65,536 UDP sockets
	legacyMaxSockets = 1 << 12 // 4,096 of the collector's own sockets
	// legacyMaxStatNames bounds a device's ethtool -S names and values
	// (the drivers with the most print a few thousand).
	legacyMaxStatNames = 1 << 14
	// legacyMaxNested bounds the array elements inside one element (a
	// device's statistics, queues, IRQs and their per-CPU counts: a
	// 64-queue NIC on 128 CPUs has some 10,000), and
	// legacyNestedBudget those of a whole frame (a transmit queue
	// element decodes to 264 bytes: 262,144 of them take 69 MB). An
	// element over either is left out.
	legacyMaxNested    = 1 << 16
	legacyNestedBudget = 1 << 18
)

// legacyFrame is netlink.json decoded with the bounds above: only what the
// replay uses (the sources' MIBs come from the frame's proc tree).
type legacyFrame struct {
	Time    time.Time             `json:"time"`
	Links   cappedArray[nic.Link] `json:"links"`
	Sources legacySources         `json:"sources"`
	budget  int                   // nested elements left
}

type legacySources struct {
	Links   cappedArray[nic.Link]           `json:"links"`
	Devices cappedArray[DeviceData]         `json:"devices"`
	Qdiscs  cappedArray[qdisc.Qdisc]        `json:"qdiscs"`
	Classes cappedArray[qdisc.Class]        `json:"classes"`
	UDP     cappedArray[udptable.UDPSocket] `json:"udp"`
	Sockets cappedArray[OwnSocket]          `json:"sockets"`
	Drops   cappedArray[dropevents.Counts]  `json:"drops"` // one value, not an array
}

// cappedArray decodes a JSON array of at most max elements, each with at
// most legacyMaxNested array elements inside (and within the frame's
// budget); the rest are skipped and counted.
type cappedArray[T any] struct {
	name   string
	src    Source
	max    int
	budget *int
	v      []T
	cut    int // elements past max
	big    int // elements left out for their nested arrays
	one    bool
}

func (c *cappedArray[T]) UnmarshalJSON(b []byte) error {
	if c.one {
		// A single value (drops), bounded like an element.
		return c.elem(b)
	}
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if t, err := dec.Token(); err != nil {
		return err
	} else if t != json.Delim('[') {
		return fmt.Errorf("%s: %v, want an array", c.name, t)
	}
	for dec.More() {
		if len(c.v) >= c.max {
			c.cut++
			if err := dec.Decode(&skipValue{}); err != nil {
				return err
			}
			continue
		}
		if err := dec.Decode(&elemDecoder{c.elem}); err != nil {
			return err
		}
	}
	_, err := dec.Token()
	return err
}

// elem decodes one element after counting the array elements inside it.
func (c *cappedArray[T]) elem(b []byte) error {
	n := nestedElements(b)
	if n > legacyMaxNested || n > *c.budget {
		c.big++
		return nil
	}
	*c.budget -= n
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	c.v = append(c.v, v)
	return nil
}

// errs reports the cuts.
func (c *cappedArray[T]) errs(dst *[]SourceError) {
	if c.cut > 0 {
		*dst = append(*dst, SourceError{c.src, bundle.LegacyFile, fmt.Errorf("%s: %d %s, more than the %d a capture holds: the last %d left out", bundle.LegacyFile, len(c.v)+c.big+c.cut, c.name, c.max, c.cut)})
	}
	if c.big > 0 {
		*dst = append(*dst, SourceError{c.src, bundle.LegacyFile, fmt.Errorf("%s: %d %s left out: they hold more than %d array elements (or the frame more than %d)", bundle.LegacyFile, c.big, c.name, legacyMaxNested, legacyNestedBudget)})
	}
}

type elemDecoder struct{ f func([]byte) error }

func (e *elemDecoder) UnmarshalJSON(b []byte) error { return e.f(b) }

// skipValue consumes a JSON value without decoding it.
type skipValue struct{}

func (*skipValue) UnmarshalJSON([]byte) error { return nil }

// nestedElements counts the elements of the arrays in the JSON value b
// (which the caller has had checked as valid JSON or will), at any depth.
func nestedElements(b []byte) int {
	n := 0
	inStr, esc := false, false
	// arrays[d] reports whether nesting level d is an array, and
	// empty[d] whether it has had no element yet.
	var arrays, empty []bool
	for _, c := range b {
		if inStr {
			switch {
			case esc:
				esc = false
			case c == '\\':
				esc = true
			case c == '"':
				inStr = false
			}
			continue
		}
		switch c {
		case ' ', '\t', '\n', '\r':
			continue
		case '[', '{':
			if d := len(arrays); d > 0 && arrays[d-1] && empty[d-1] {
				empty[d-1] = false
				n++
			}
			arrays = append(arrays, c == '[')
			empty = append(empty, true)
			continue
		case ']', '}':
			if d := len(arrays); d > 0 {
				arrays, empty = arrays[:d-1], empty[:d-1]
			}
			continue
		case ',':
			if d := len(arrays); d > 0 && arrays[d-1] {
				n++
			}
			continue
		}
		if c == '"' {
			inStr = true
		}
		if d := len(arrays); d > 0 && arrays[d-1] && empty[d-1] {
			empty[d-1] = false
			n++
		}
	}
	return n
}

// decodeLegacy reads and decodes netlink.json of a format 1 frame within
// the bounds above. ok is false when the frame has none. The cuts are
// returned in cuts, for every collection of the frame to report.
func decodeLegacy(fr *bundle.FrameData) (fd *frameData, cuts []SourceError, ok bool, err error) {
	raw, err := fr.LegacyData()
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil, false, nil
	}
	if err != nil {
		return nil, nil, false, err
	}
	fd, cuts, err = decodeLegacyJSON(raw)
	if err != nil {
		return nil, nil, false, fmt.Errorf("bundle: frame %s: %s: %w", fr.Dir, bundle.LegacyFile, err)
	}
	return fd, cuts, true, nil
}

// decodeLegacyJSON decodes netlink.json within the bounds above.
func decodeLegacyJSON(raw []byte) (fd *frameData, cuts []SourceError, err error) {
	lf := &legacyFrame{budget: legacyNestedBudget}
	s := &lf.Sources
	set := func(name string, src Source, max int) (string, Source, int, *int) { return name, src, max, &lf.budget }
	lf.Links.name, lf.Links.src, lf.Links.max, lf.Links.budget = set("links", SourceLinks, legacyMaxLinks)
	s.Links.name, s.Links.src, s.Links.max, s.Links.budget = set("links", SourceLinks, legacyMaxLinks)
	s.Devices.name, s.Devices.src, s.Devices.max, s.Devices.budget = set("devices", SourceEthtool|SourceDevices, legacyMaxLinks)
	s.Qdiscs.name, s.Qdiscs.src, s.Qdiscs.max, s.Qdiscs.budget = set("qdiscs", SourceQdisc, legacyMaxQdiscs)
	s.Classes.name, s.Classes.src, s.Classes.max, s.Classes.budget = set("classes", SourceQdisc, legacyMaxQdiscs)
	s.UDP.name, s.UDP.src, s.UDP.max, s.UDP.budget = set("UDP sockets", SourceUDP, legacyMaxUDP)
	s.Sockets.name, s.Sockets.src, s.Sockets.max, s.Sockets.budget = set("own sockets", SourceSockets, legacyMaxSockets)
	s.Drops.name, s.Drops.src, s.Drops.max, s.Drops.budget = set("drop counts", SourceDropEvents, 1)
	s.Drops.one = true
	if err := json.Unmarshal(raw, lf); err != nil {
		return nil, nil, err
	}
	lf.Links.errs(&cuts)
	for _, e := range []interface{ errs(*[]SourceError) }{&s.Links, &s.Devices, &s.Qdiscs, &s.Classes, &s.UDP, &s.Sockets, &s.Drops} {
		e.errs(&cuts)
	}
	fd = &frameData{Time: lf.Time, Links: lf.Links.v}
	t := &fd.Typed
	t.Links, t.Devices, t.Qdiscs, t.Classes, t.UDP, t.Sockets = s.Links.v, s.Devices.v, s.Qdiscs.v, s.Classes.v, s.UDP.v, s.Sockets.v
	if len(s.Drops.v) > 0 {
		t.Drops = s.Drops.v[0]
	}
	for i := range t.Devices {
		d := &t.Devices[i]
		if n := max(len(d.StatNames), len(d.StatValues)); n > legacyMaxStatNames {
			cuts = append(cuts, SourceError{SourceEthtool, d.Name, fmt.Errorf("%s: device %s: %d ethtool statistics, more than the %d a driver has: the last %d left out", bundle.LegacyFile, d.Name, n, legacyMaxStatNames, n-legacyMaxStatNames)})
			d.StatNames = d.StatNames[:min(len(d.StatNames), legacyMaxStatNames)]
			d.StatValues = d.StatValues[:min(len(d.StatValues), legacyMaxStatNames)]
		}
	}
	return fd, cuts, nil
}
