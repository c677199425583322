package main

import (
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/packetpath/packetpath/socketstats"
)

// summary is what mcast-recv prints at exit; its JSON form is the -json
// output.
type summary struct {
	Groups    []string `json:"groups"`
	Interface string   `json:"interface,omitempty"`
	NetNS     string   `json:"netns,omitempty"`
	Local     string   `json:"local"`

	DurationSeconds float64 `json:"duration_seconds"`
	// Received is datagrams read by the application; Bytes their full
	// lengths.
	Received uint64 `json:"received"`
	Bytes    uint64 `json:"bytes"`
	// Dropped is the socket's kernel drop counter (sk_drops via SO_RXQ_OVFL
	// and SO_MEMINFO) since the socket was opened. DropsReported is false
	// when the kernel never reported the counter.
	Dropped       uint64 `json:"dropped"`
	DropsReported bool   `json:"drops_reported"`
	// Truncated datagrams did not fit -bufsize; ControlTruncated lost a
	// control message (MSG_CTRUNC).
	Truncated        uint64  `json:"truncated"`
	ControlTruncated uint64  `json:"control_truncated"`
	Batches          uint64  `json:"batches"`
	MeanBatch        float64 `json:"mean_batch"`
	RatePPS          float64 `json:"rate_pps"`

	// Sequence results (-seq): SequenceChecked says whether they were
	// computed. Gaps counts forward jumps, Missing the numbers never seen.
	SequenceChecked bool   `json:"sequence_checked"`
	Gaps            uint64 `json:"gaps"`
	Missing         uint64 `json:"missing"`
	Reorders        uint64 `json:"reorders"`
	Duplicates      uint64 `json:"duplicates"`
	TooOld          uint64 `json:"too_old"`
	Short           uint64 `json:"short"`
	Senders         int    `json:"senders"`

	Buffer     bufferSummary `json:"buffer"`
	QueueDelay *delaySummary `json:"queue_delay,omitempty"`
	// PendingAtExit is SIOCINQ at exit: the next queued datagram's length.
	PendingAtExit uint64 `json:"pending_at_exit"`
}

type bufferSummary struct {
	// Requested is -rcvbuf; Obtained is SO_RCVBUF read back (the kernel
	// doubles the request and caps it at 2 x net.core.rmem_max unless
	// SO_RCVBUFFORCE was accepted).
	Requested int    `json:"requested"`
	Obtained  int    `json:"obtained"`
	Forced    bool   `json:"forced"`
	Capped    bool   `json:"capped"`
	RmemMax   uint64 `json:"rmem_max,omitempty"`
	// HighWater is the most kernel memory (truesize bytes) seen queued,
	// HighWaterFill the same over the buffer size.
	HighWater     uint64  `json:"high_water"`
	HighWaterFill float64 `json:"high_water_fill"`
}

type delaySummary struct {
	Count       uint64  `json:"count"`
	MeanSeconds float64 `json:"mean_seconds"`
	P50Seconds  float64 `json:"p50_seconds"`
	P99Seconds  float64 `json:"p99_seconds"`
	MaxSeconds  float64 `json:"max_seconds"`
}

func buildSummary(o *options, c *socketstats.Conn, r *receiver, d time.Duration) *summary {
	st := c.Stats()
	b := c.Buffer()
	s := &summary{
		Interface: o.iface, NetNS: o.netns, Local: c.LocalAddr().String(),
		DurationSeconds: d.Seconds(),
		Received:        st.Packets, Bytes: st.Bytes,
		Dropped: st.Drops, DropsReported: st.DropsKnown,
		Truncated: st.Truncated, ControlTruncated: st.CTruncated,
		Batches:       st.Batches,
		PendingAtExit: st.NextDatagram,
		Buffer: bufferSummary{Requested: b.Requested, Obtained: b.Obtained, Forced: b.Forced,
			Capped: b.Capped, HighWater: st.HighWater},
	}
	for _, g := range c.Groups() {
		s.Groups = append(s.Groups, g.String())
	}
	if b.RmemMaxKnown {
		s.Buffer.RmemMax = b.RmemMax
	}
	if st.Buffer.Size > 0 {
		s.Buffer.HighWaterFill = float64(st.HighWater) / float64(st.Buffer.Size)
	}
	if st.Batches > 0 {
		s.MeanBatch = float64(st.Packets) / float64(st.Batches)
	}
	if d > 0 {
		s.RatePPS = float64(st.Packets) / d.Seconds()
	}
	if r.seq != nil {
		t := r.seq.total()
		s.SequenceChecked = true
		s.Gaps, s.Missing, s.Reorders, s.Duplicates = t.Gaps, t.Missing, t.Reorders, t.Duplicates
		s.TooOld, s.Short, s.Senders = t.TooOld, t.Short, len(r.seq.streams)
	}
	if o.timestamps {
		h := &st.QueueDelay
		ds := &delaySummary{Count: h.Count,
			P50Seconds: float64(h.Quantile(0.5)) / 1e9, P99Seconds: float64(h.Quantile(0.99)) / 1e9,
			MaxSeconds: float64(h.Max) / 1e9}
		if h.Count > 0 {
			ds.MeanSeconds = float64(h.Sum) / float64(h.Count) / 1e9
		}
		s.QueueDelay = ds
	}
	return s
}

func (s *summary) writeJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(s)
}

func (s *summary) writeText(w io.Writer) error {
	p := func(format string, a ...any) { fmt.Fprintf(w, format, a...) }
	p("summary: %v on %s (bound %s), %.1fs\n", s.Groups, ifaceName(s.Interface), s.Local, s.DurationSeconds)
	p("  received  %d datagrams, %d bytes, %.0f pkt/s, %d batches (mean %.1f)\n", s.Received, s.Bytes, s.RatePPS, s.Batches, s.MeanBatch)
	if s.DropsReported {
		p("  dropped   %d by the kernel at this socket's receive buffer (sk_drops)\n", s.Dropped)
	} else {
		p("  dropped   0 (the kernel reported no drop counter)\n")
	}
	if total := s.Received + s.Dropped; total > 0 {
		p("  loss      %.3f%% of %d that reached the socket\n", 100*float64(s.Dropped)/float64(total), total)
	}
	if s.SequenceChecked {
		p("  sequence  %d gaps, %d missing, %d reorders, %d duplicates, %d too old, %d short, %d senders\n",
			s.Gaps, s.Missing, s.Reorders, s.Duplicates, s.TooOld, s.Short, s.Senders)
	}
	p("  truncated %d (control %d)\n", s.Truncated, s.ControlTruncated)
	p("  buffer    obtained %d bytes (asked %d), high water %d (%.0f%%)\n", s.Buffer.Obtained, s.Buffer.Requested, s.Buffer.HighWater, 100*s.Buffer.HighWaterFill)
	if q := s.QueueDelay; q != nil && q.Count > 0 {
		p("  delay     mean %s p50 %s p99 %s max %s over %d datagrams\n", secs(q.MeanSeconds), secs(q.P50Seconds), secs(q.P99Seconds), secs(q.MaxSeconds), q.Count)
	}
	if s.PendingAtExit > 0 {
		p("  pending   %d-byte datagram still queued at exit\n", s.PendingAtExit)
	}
	return nil
}

func secs(s float64) string {
	return time.Duration(s * 1e9).Round(time.Microsecond).String()
}
