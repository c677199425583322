package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/packetpath/packetpath/socketstats"
)

// monitor prints a telemetry line every o.interval (unless -quiet) and the
// OpenTelemetry metrics every o.otelEvery (with -otel) until ctx is done.
func monitor(ctx context.Context, r *receiver, o *options, start time.Time, out io.Writer, exp *otelExport, errOut io.Writer) {
	tick := time.NewTicker(o.interval)
	defer tick.Stop()
	var otelC <-chan time.Time
	if exp != nil {
		ot := time.NewTicker(o.otelEvery)
		defer ot.Stop()
		otelC = ot.C
	}
	var prev socketstats.Stats
	var prevSeq seqCounts
	prevT := start
	for {
		select {
		case <-ctx.Done():
			return
		case <-otelC:
			exp.print(ctx, errOut)
		case now := <-tick.C:
			// Sample reads SO_MEMINFO and SIOCINQ now, so a stalled reader
			// still shows its buffer filling and its drops.
			_, sampleErr := r.conn.Sample()
			cur := r.conn.Stats()
			seq := r.seqTotals()
			if !o.quiet {
				line := telemetryLine(&prev, &cur, &prevSeq, &seq, now.Sub(prevT), now.Sub(start), o)
				if sampleErr != nil {
					line += " | sample: " + sampleErr.Error()
				}
				fmt.Fprintln(out, line)
			}
			prev, prevSeq, prevT = cur, seq, now
		}
	}
}

// telemetryLine formats one interval.
func telemetryLine(prev, cur *socketstats.Stats, prevSeq, seq *seqCounts, dt, since time.Duration, o *options) string {
	var b strings.Builder
	secs := dt.Seconds()
	if secs <= 0 {
		secs = 1
	}
	pkts := cur.Packets - prev.Packets
	bytes := cur.Bytes - prev.Bytes
	fmt.Fprintf(&b, "[%6.1fs] rx %.0f pkt/s %.2f MB/s", since.Seconds(), float64(pkts)/secs, float64(bytes)/secs/1e6)
	if cur.DropsKnown {
		fmt.Fprintf(&b, " | drops +%d (%d)", cur.Drops-prev.Drops, cur.Drops)
	} else {
		b.WriteString(" | drops 0 (none reported)")
	}
	fmt.Fprintf(&b, " | pending %d B", cur.NextDatagram)
	if cur.Behind {
		b.WriteString(" behind")
	}
	if cur.BufferKnown {
		hw := 0.0
		if cur.Buffer.Size > 0 {
			hw = float64(cur.HighWater) / float64(cur.Buffer.Size)
		}
		fmt.Fprintf(&b, " | buf %.0f%% (%d/%d B) hw %.0f%%", 100*cur.Buffer.Fill(), cur.Buffer.Used, cur.Buffer.Size, 100*hw)
	}
	if o.timestamps {
		d := intervalHistogram(&prev.QueueDelay, &cur.QueueDelay)
		if d.Count > 0 {
			fmt.Fprintf(&b, " | delay p50 %s p99 %s max %s", dur(d.Quantile(0.5)), dur(d.Quantile(0.99)), dur(d.Max))
		} else {
			b.WriteString(" | delay -")
		}
	}
	if o.seq {
		fmt.Fprintf(&b, " | gaps +%d missing %d", seq.Gaps-prevSeq.Gaps, seq.Missing)
		if r := seq.Reorders - prevSeq.Reorders; r > 0 {
			fmt.Fprintf(&b, " reorders +%d", r)
		}
		if d := seq.Duplicates - prevSeq.Duplicates; d > 0 {
			fmt.Fprintf(&b, " dups +%d", d)
		}
	}
	if t := cur.Truncated - prev.Truncated; t > 0 {
		fmt.Fprintf(&b, " | truncated +%d", t)
	}
	return b.String()
}

// intervalHistogram is cur - prev. Its Max is the cumulative Max capped at
// the upper bound of the highest bucket that grew: an upper bound of the
// interval's maximum.
func intervalHistogram(prev, cur *socketstats.Histogram) socketstats.Histogram {
	var h socketstats.Histogram
	top := -1
	for i := range cur.Counts {
		h.Counts[i] = cur.Counts[i] - prev.Counts[i]
		if h.Counts[i] > 0 {
			top = i
		}
	}
	h.Count = cur.Count - prev.Count
	h.Sum = cur.Sum - prev.Sum
	if top >= 0 {
		h.Max = min(cur.Max, socketstats.BucketUpperBound(top))
	}
	return h
}

// dur formats nanoseconds for humans.
func dur(ns uint64) string {
	return time.Duration(ns).Round(time.Microsecond).String()
}
