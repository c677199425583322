package dropevents

import "encoding/binary"

// Record types of the perf ring buffer (include/uapi/linux/perf_event.h).
const (
	recordLost   = 2 // PERF_RECORD_LOST: u64 id, u64 lost
	recordSample = 9 // PERF_RECORD_SAMPLE: with PERF_SAMPLE_RAW, u32 size + raw
)

// maxLocations bounds the drop-site table: the first maxLocations distinct
// kfree_skb locations get a slot; later ones count in LocationsDropped.
const maxLocations = 64

// aggregator counts sampled kfree_skb records by reason into a fixed array
// sized at Open from the kernel's reason list: memory is bounded and a
// record costs no allocation.
type aggregator struct {
	eventID    uint64
	reasonOff  int
	reasonSize int
	locOff     int // -1 when the format has no location field
	// counts[v] is the count of reason value v; known[v] says whether v is
	// in the kernel's list.
	counts  []uint64
	known   []bool
	other   uint64
	samples uint64
	lost    uint64
	// malformed counts records too short for the format's offsets or of
	// another event type: a sign of a format/record mismatch.
	malformed uint64
	locs      [maxLocations]locationCount
	nlocs     int
	locsFull  uint64
}

type locationCount struct {
	addr  uint64
	count uint64
}

// record handles one ring-buffer record (header included).
func (a *aggregator) record(rec []byte) {
	if len(rec) < 8 {
		a.malformed++
		return
	}
	typ := binary.NativeEndian.Uint32(rec)
	body := rec[8:]
	switch typ {
	case recordLost:
		if len(body) < 16 {
			a.malformed++
			return
		}
		a.lost += binary.NativeEndian.Uint64(body[8:])
	case recordSample:
		if len(body) < 4 {
			a.malformed++
			return
		}
		n := binary.NativeEndian.Uint32(body)
		if uint64(n) > uint64(len(body)-4) {
			a.malformed++
			return
		}
		a.sample(body[4 : 4+n])
	}
}

// sample counts one raw tracepoint record laid out as the format says.
func (a *aggregator) sample(raw []byte) {
	if len(raw) < 2 || uint64(binary.NativeEndian.Uint16(raw)) != a.eventID&0xffff ||
		a.reasonOff+a.reasonSize > len(raw) || (a.locOff >= 0 && a.locOff+8 > len(raw)) {
		a.malformed++
		return
	}
	a.samples++
	v := readUint(raw[a.reasonOff:], a.reasonSize)
	if v < uint64(len(a.counts)) && a.known[v] {
		a.counts[v]++
	} else {
		a.other++
	}
	if a.locOff >= 0 {
		a.location(binary.NativeEndian.Uint64(raw[a.locOff:]))
	}
}

func (a *aggregator) location(addr uint64) {
	for i := 0; i < a.nlocs; i++ {
		if a.locs[i].addr == addr {
			a.locs[i].count++
			return
		}
	}
	if a.nlocs < len(a.locs) {
		a.locs[a.nlocs] = locationCount{addr, 1}
		a.nlocs++
		return
	}
	a.locsFull++
}

func readUint(b []byte, size int) uint64 {
	switch size {
	case 1:
		return uint64(b[0])
	case 2:
		return uint64(binary.NativeEndian.Uint16(b))
	case 4:
		return uint64(binary.NativeEndian.Uint32(b))
	default:
		return binary.NativeEndian.Uint64(b)
	}
}

// walkRing hands every complete record between tail and head of a perf ring
// (data is the power-of-two data area) to a, copying records that wrap
// around the end into scratch (at least 64 KiB: a record's size is a u16).
// It returns the new tail. A record with an impossible size ends the walk
// at head, counted as malformed.
func walkRing(data []byte, tail, head uint64, scratch []byte, a *aggregator) uint64 {
	size := uint64(len(data))
	if size == 0 || head-tail > size {
		if size != 0 {
			a.malformed++
		}
		return head
	}
	for head-tail >= 8 {
		off := tail % size
		var n uint64
		if off+8 <= size {
			n = uint64(binary.NativeEndian.Uint16(data[off+6:]))
		} else { // the header itself wraps
			var hdr [8]byte
			for i := range hdr {
				hdr[i] = data[(off+uint64(i))%size]
			}
			n = uint64(binary.NativeEndian.Uint16(hdr[6:]))
		}
		if n < 8 || n > head-tail || n > uint64(len(scratch)) {
			a.malformed++
			return head
		}
		var rec []byte
		if off+n <= size {
			rec = data[off : off+n]
		} else {
			k := copy(scratch, data[off:])
			copy(scratch[k:n], data)
			rec = scratch[:n]
		}
		a.record(rec)
		tail += n
	}
	return tail
}
