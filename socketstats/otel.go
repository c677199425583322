package socketstats

import (
	"context"
	"errors"
	"fmt"
	"net"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// Instrumentation scope and instrument names registered by
// Conn.RegisterMetrics. All are observable: their callback loads the Conn's
// atomics at collection time, so nothing is recorded per packet.
//
//	name                                      kind            unit      value
//	packetpath.socket.packets                 counter         {packet}  Stats.Packets
//	packetpath.socket.bytes                   counter         By        Stats.Bytes
//	packetpath.socket.batches                 counter         {batch}   Stats.Batches
//	packetpath.socket.drops                   counter         {packet}  Stats.Drops (sk_drops)
//	packetpath.socket.truncated               counter         {packet}  Stats.Truncated (MSG_TRUNC)
//	packetpath.socket.control_truncated       counter         {packet}  Stats.CTruncated (MSG_CTRUNC)
//	packetpath.socket.pending                 gauge           By        Stats.NextDatagram (SIOCINQ)
//	packetpath.socket.buffer.used             gauge           By        Stats.Buffer.Used (SO_MEMINFO rmem_alloc)
//	packetpath.socket.buffer.size             gauge           By        Stats.Buffer.Size (sk_rcvbuf)
//	packetpath.socket.buffer.fill             gauge           1         Stats.Buffer.Fill()
//	packetpath.socket.buffer.high_water       gauge           By        Stats.HighWater
//	packetpath.socket.queue_delay.max         gauge           s         Stats.QueueDelay.Max
//	packetpath.socket.queue_delay.sum         counter         s         Stats.QueueDelay.Sum
//	packetpath.socket.queue_delay.count       counter         {packet}  Stats.QueueDelay.Count
//
// Every observation carries the attributes network.interface.name (when
// an interface was given), network.local.address, network.local.port and
// packetpath.multicast.groups (the memberships at registration, as G or
// (S,G)), plus the caller's. The buffer gauges are reported once SO_MEMINFO
// has been sampled; the queue-delay instruments only with timestamps.
const (
	MeterName = "github.com/packetpath/packetpath/socketstats"

	MetricPackets          = "packetpath.socket.packets"
	MetricBytes            = "packetpath.socket.bytes"
	MetricBatches          = "packetpath.socket.batches"
	MetricDrops            = "packetpath.socket.drops"
	MetricTruncated        = "packetpath.socket.truncated"
	MetricControlTruncated = "packetpath.socket.control_truncated"
	MetricPending          = "packetpath.socket.pending"
	MetricBufferUsed       = "packetpath.socket.buffer.used"
	MetricBufferSize       = "packetpath.socket.buffer.size"
	MetricBufferFill       = "packetpath.socket.buffer.fill"
	MetricBufferHighWater  = "packetpath.socket.buffer.high_water"
	MetricQueueDelayMax    = "packetpath.socket.queue_delay.max"
	MetricQueueDelaySum    = "packetpath.socket.queue_delay.sum"
	MetricQueueDelayCount  = "packetpath.socket.queue_delay.count"

	AttrInterface    = "network.interface.name"
	AttrLocalAddress = "network.local.address"
	AttrLocalPort    = "network.local.port"
	AttrGroups       = "packetpath.multicast.groups"
)

type metricRegistration = metric.Registration

// RegisterMetrics registers observable instruments over the Conn's
// counters on mp (otel.GetMeterProvider() when nil), with the attributes
// described at MeterName plus attrs. Close unregisters them. It may be
// called more than once (e.g. for two providers).
func (c *Conn) RegisterMetrics(mp metric.MeterProvider, attrs ...attribute.KeyValue) error {
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	m := mp.Meter(MeterName)
	var errs []error
	ic := func(name, unit, desc string) metric.Int64ObservableCounter {
		i, err := m.Int64ObservableCounter(name, metric.WithUnit(unit), metric.WithDescription(desc))
		errs = append(errs, err)
		return i
	}
	ig := func(name, unit, desc string) metric.Int64ObservableGauge {
		i, err := m.Int64ObservableGauge(name, metric.WithUnit(unit), metric.WithDescription(desc))
		errs = append(errs, err)
		return i
	}
	fg := func(name, unit, desc string) metric.Float64ObservableGauge {
		i, err := m.Float64ObservableGauge(name, metric.WithUnit(unit), metric.WithDescription(desc))
		errs = append(errs, err)
		return i
	}
	packets := ic(MetricPackets, "{packet}", "Datagrams read by the application.")
	bytes := ic(MetricBytes, "By", "Full lengths of the datagrams read.")
	batches := ic(MetricBatches, "{batch}", "recvmmsg calls that returned datagrams.")
	drops := ic(MetricDrops, "{packet}", "Datagrams the kernel dropped for this socket (sk_drops: receive buffer full, memory, filter, checksum).")
	trunc := ic(MetricTruncated, "{packet}", "Datagrams longer than the read buffer (MSG_TRUNC).")
	ctrunc := ic(MetricControlTruncated, "{packet}", "Datagrams whose control messages were cut (MSG_CTRUNC).")
	pending := ig(MetricPending, "By", "Length of the next queued datagram after the last read (SIOCINQ); non-zero means the application is behind.")
	used := ig(MetricBufferUsed, "By", "Kernel memory held by queued datagrams (SO_MEMINFO rmem_alloc, truesize).")
	size := ig(MetricBufferSize, "By", "Receive buffer limit (sk_rcvbuf).")
	fill := fg(MetricBufferFill, "1", "buffer.used / buffer.size.")
	hw := ig(MetricBufferHighWater, "By", "Largest buffer.used seen.")
	dmax := fg(MetricQueueDelayMax, "s", "Longest wait between the kernel receive timestamp and the read.")
	dsum, err := m.Float64ObservableCounter(MetricQueueDelaySum, metric.WithUnit("s"), metric.WithDescription("Total wait between kernel receive timestamps and reads."))
	errs = append(errs, err)
	dcount := ic(MetricQueueDelayCount, "{packet}", "Datagrams with a queueing-delay measurement.")
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("socketstats: creating instruments: %w", err)
	}

	set := attribute.NewSet(append(c.metricAttributes(), attrs...)...)
	opt := metric.WithAttributeSet(set)
	reg, err := m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		var s Stats
		c.ctr.snapshot(&s)
		o.ObserveInt64(packets, int64(s.Packets), opt)
		o.ObserveInt64(bytes, int64(s.Bytes), opt)
		o.ObserveInt64(batches, int64(s.Batches), opt)
		o.ObserveInt64(drops, int64(s.Drops), opt)
		o.ObserveInt64(trunc, int64(s.Truncated), opt)
		o.ObserveInt64(ctrunc, int64(s.CTruncated), opt)
		o.ObserveInt64(pending, int64(s.NextDatagram), opt)
		if s.BufferKnown {
			o.ObserveInt64(used, int64(s.Buffer.Used), opt)
			o.ObserveInt64(size, int64(s.Buffer.Size), opt)
			o.ObserveFloat64(fill, s.Buffer.Fill(), opt)
			o.ObserveInt64(hw, int64(s.HighWater), opt)
		}
		if c.tsMode != TimestampsOff {
			o.ObserveFloat64(dmax, float64(s.QueueDelay.Max)/1e9, opt)
			o.ObserveFloat64(dsum, float64(s.QueueDelay.Sum)/1e9, opt)
			o.ObserveInt64(dcount, int64(s.QueueDelay.Count), opt)
		}
		return nil
	}, packets, bytes, batches, drops, trunc, ctrunc, pending, used, size, fill, hw, dmax, dsum, dcount)
	if err != nil {
		return fmt.Errorf("socketstats: registering callback: %w", err)
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		_ = reg.Unregister()
		return fmt.Errorf("socketstats: register metrics: %w", net.ErrClosed)
	}
	c.regs = append(c.regs, reg)
	c.mu.Unlock()
	return nil
}

func (c *Conn) metricAttributes() []attribute.KeyValue {
	la := c.LocalAddr()
	kv := []attribute.KeyValue{
		attribute.String(AttrLocalAddress, la.Addr().String()),
		attribute.Int(AttrLocalPort, int(la.Port())),
	}
	if c.ifname != "" {
		kv = append(kv, attribute.String(AttrInterface, c.ifname))
	}
	groups := c.Groups()
	if len(groups) > 0 {
		s := make([]string, len(groups))
		for i, g := range groups {
			s[i] = g.String()
		}
		kv = append(kv, attribute.StringSlice(AttrGroups, s))
	}
	return kv
}
