package socketstats

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// Instrumentation scope and instrument names registered by
// Conn.RegisterMetrics. All are observable: nothing is recorded per packet.
// Their values come from two places, marked in the "from" column:
//
//   - kernel: read from the socket in the collection callback itself, with
//     getsockopt(SO_MEMINFO) (include/uapi/linux/sock_diag.h, filled by
//     net/core/sock.c sk_get_meminfo) and ioctl(SIOCINQ) (net/ipv4/udp.c
//     udp_ioctl). These move while the application is stalled, and also
//     when it reads the wrapped socket itself (FromUDPConn with its own
//     ReadFromUDP loop) instead of through ReadBatch.
//   - read path: accumulated by ReadBatch; only the reader can know them,
//     and they move only as it reads.
//
// Table:
//
//	name                                 kind     unit      from       value
//	packetpath.socket.packets            counter  {packet}  read path  Stats.Packets
//	packetpath.socket.bytes              counter  By        read path  Stats.Bytes
//	packetpath.socket.batches            counter  {batch}   read path  Stats.Batches
//	packetpath.socket.drops              counter  {packet}  kernel     Stats.Drops: SK_MEMINFO_DROPS (sk_drops)
//	packetpath.socket.truncated          counter  {packet}  read path  Stats.Truncated (MSG_TRUNC)
//	packetpath.socket.control_truncated  counter  {packet}  read path  Stats.CTruncated (MSG_CTRUNC)
//	packetpath.socket.next_datagram.size gauge    By        kernel     SIOCINQ: length of the datagram at the head of the queue
//	packetpath.socket.buffer.used        gauge    By        kernel     SK_MEMINFO_RMEM_ALLOC (sk_rmem_alloc, truesize)
//	packetpath.socket.buffer.size        gauge    By        kernel     SK_MEMINFO_RCVBUF (sk_rcvbuf)
//	packetpath.socket.buffer.fill        gauge    1         kernel     buffer.used / buffer.size
//	packetpath.socket.buffer.high_water  gauge    By        both       Stats.HighWater: largest buffer.used of any sample
//	packetpath.socket.queue_delay.max    gauge    s         read path  Stats.QueueDelay.Max
//	packetpath.socket.queue_delay.sum    counter  s         read path  Stats.QueueDelay.Sum
//	packetpath.socket.queue_delay.count  counter  {packet}  read path  Stats.QueueDelay.Count
//
// drops is the kernel's 32-bit sk_drops (the value SO_RXQ_OVFL carries)
// widened to 64 bits across wraps and never decreasing, counted from the
// moment the socket was opened or wrapped (see Stats.Drops): it equals the
// drops column of /proc/net/udp for the socket's inode, less the count it
// had when wrapped, as of the collection. Each collection costs one
// getsockopt and one ioctl per Conn and allocates nothing beyond what the
// SDK does.
//
// Every observation carries the attributes network.interface.name (when
// an interface was given), network.local.address, network.local.port and
// packetpath.multicast.groups (the memberships at registration, each G
// or, source-specific, S/G, space-separated in one plain string without
// commas: no JSON array in a Prometheus label), packetpath.socket.inode
// (fstat of the socket), process.pid and process.executable.name
// (/proc/self/comm, when readable), plus the caller's. When the kernel read fails (the socket was
// closed during the collection) the kernel gauges are left out of that
// collection and drops keeps its last value; the queue-delay instruments
// are reported only with timestamps.
const (
	MeterName = "github.com/packetpath/packetpath/socketstats"

	MetricPackets          = "packetpath.socket.packets"
	MetricBytes            = "packetpath.socket.bytes"
	MetricBatches          = "packetpath.socket.batches"
	MetricDrops            = "packetpath.socket.drops"
	MetricTruncated        = "packetpath.socket.truncated"
	MetricControlTruncated = "packetpath.socket.control_truncated"
	// MetricNextDatagramSize is the payload length of the datagram at the
	// head of the receive queue (SIOCINQ, udp_ioctl first_packet_length),
	// not the queue depth: 0 when the queue is empty. The queued memory
	// is MetricBufferUsed.
	MetricNextDatagramSize = "packetpath.socket.next_datagram.size"
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
	// AttrSocketInode, AttrPID and AttrExecutable are the socket's inode
	// and this process, with the names netstack uses for the rows of the
	// UDP table, so both views of one socket carry the same labels.
	AttrSocketInode = "packetpath.socket.inode"
	AttrPID         = "process.pid"
	AttrExecutable  = "process.executable.name"
)

type metricRegistration = metric.Registration

// RegisterMetrics registers observable instruments over the Conn's
// counters on mp (otel.GetMeterProvider() when nil), with the attributes
// described at MeterName plus attrs. Each collection reads the socket's
// kernel state (SO_MEMINFO, SIOCINQ) in the callback, so drops and buffer
// use are current even while nothing calls ReadBatch. The callback is safe
// to run while another goroutine is in ReadBatch. Close unregisters the
// instruments. It may be called more than once (e.g. for two providers).
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
	drops := ic(MetricDrops, "{packet}", "Datagrams the kernel dropped for this socket, read at collection (SO_MEMINFO drops = sk_drops: receive buffer full, memory, filter, checksum).")
	trunc := ic(MetricTruncated, "{packet}", "Datagrams longer than the read buffer (MSG_TRUNC).")
	ctrunc := ic(MetricControlTruncated, "{packet}", "Datagrams whose control messages were cut (MSG_CTRUNC).")
	pending := ig(MetricNextDatagramSize, "By", "Length of the datagram at the head of the receive queue at collection (SIOCINQ); non-zero means datagrams are waiting.")
	used := ig(MetricBufferUsed, "By", "Kernel memory held by queued datagrams at collection (SO_MEMINFO rmem_alloc, truesize).")
	size := ig(MetricBufferSize, "By", "Receive buffer limit at collection (SO_MEMINFO rcvbuf, sk_rcvbuf).")
	fill := fg(MetricBufferFill, "1", "buffer.used / buffer.size at collection.")
	hw := ig(MetricBufferHighWater, "By", "Largest buffer.used seen by any sample (after batches and at collections).")
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
		// The kernel state first, so drops and the buffer are those of
		// this collection, not of the last batch the reader took.
		k, kerr := c.sampleKernel(true)
		var s Stats
		c.ctr.snapshot(&s)
		o.ObserveInt64(packets, int64(s.Packets), opt)
		o.ObserveInt64(bytes, int64(s.Bytes), opt)
		o.ObserveInt64(batches, int64(s.Batches), opt)
		o.ObserveInt64(drops, int64(s.Drops), opt)
		o.ObserveInt64(trunc, int64(s.Truncated), opt)
		o.ObserveInt64(ctrunc, int64(s.CTruncated), opt)
		if k.inqOK {
			o.ObserveInt64(pending, int64(k.inq), opt)
		}
		if k.memOK {
			o.ObserveInt64(used, int64(k.buf.Used), opt)
			o.ObserveInt64(size, int64(k.buf.Size), opt)
			o.ObserveFloat64(fill, k.buf.Fill(), opt)
		}
		if s.BufferKnown {
			o.ObserveInt64(hw, int64(s.HighWater), opt)
		}
		if c.tsMode != TimestampsOff {
			o.ObserveFloat64(dmax, float64(s.QueueDelay.Max)/1e9, opt)
			o.ObserveFloat64(dsum, float64(s.QueueDelay.Sum)/1e9, opt)
			o.ObserveInt64(dcount, int64(s.QueueDelay.Count), opt)
		}
		if kerr != nil && !errors.Is(kerr, net.ErrClosed) {
			// A socket closed under a collection is being unregistered:
			// not worth an error. Anything else is.
			return kerr
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
	if ino, comm, ok := c.socketIdentity(); ok {
		kv = append(kv, attribute.Int64(AttrSocketInode, int64(ino)), attribute.Int(AttrPID, os.Getpid()))
		if comm != "" {
			kv = append(kv, attribute.String(AttrExecutable, comm))
		}
	}
	groups := c.Groups()
	if len(groups) > 0 {
		s := make([]string, len(groups))
		for i, g := range groups {
			s[i] = g.Addr.String()
			if g.Source.IsValid() {
				s[i] = g.Source.String() + "/" + s[i]
			}
		}
		kv = append(kv, attribute.String(AttrGroups, strings.Join(s, " ")))
	}
	return kv
}
