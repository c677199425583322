package socketstats

import (
	"runtime"
	"sync/atomic"
	"time"
)

// Stats is a snapshot of a Conn's counters since it was opened (or wrapped).
// Counters are cumulative; subtract two snapshots for rates.
//
// Each field comes from one of two places. "Read path" fields are
// accumulated by ReadBatch and move only when the application reads
// through it. "Kernel" fields are the socket's own state as the kernel
// reports it; ReadBatch refreshes them after its batches, and Sample,
// SampleStats and every metrics collection (RegisterMetrics) read them
// from the kernel at the time of the call, so they move while the reader
// is stalled or reads the wrapped socket by other means.
type Stats struct {
	// Packets is the number of datagrams returned by ReadBatch (read path).
	Packets uint64
	// Bytes is the sum of their full lengths (as sent, including the part
	// of truncated datagrams that did not fit the caller's buffer; read
	// path).
	Bytes uint64
	// Batches is the number of ReadBatch calls that returned datagrams
	// (read path).
	Batches uint64
	// BatchSizes is the distribution of datagrams per batch (read path).
	BatchSizes Histogram

	// Drops is the number of datagrams the kernel dropped for this socket
	// (kernel: sk_drops, see the package doc, from SO_MEMINFO's
	// SK_MEMINFO_DROPS or the SO_RXQ_OVFL message of a received datagram,
	// which carry the same counter), widened from the kernel's 32 bits
	// across wraps and never decreasing. For a wrapped existing socket it
	// counts from the moment it was wrapped; for a socket made by Open it
	// equals the drops column of /proc/net/udp. DropsKnown is false until
	// the kernel has reported the counter once.
	Drops      uint64
	DropsKnown bool

	// Truncated counts datagrams longer than the buffer they were read into
	// (MSG_TRUNC); CTruncated counts datagrams whose control messages did
	// not fit (MSG_CTRUNC: a drop count or timestamp may be missing). Read
	// path.
	Truncated, CTruncated uint64

	// Unjoined counts datagrams read whose destination (IP_PKTINFO) was a
	// multicast group the socket had not joined: the traffic of other
	// sockets' groups that IP_MULTICAST_ALL delivers to a socket bound to
	// the unspecified address. UnjoinedKnown is true with
	// Config.PacketInfo, without which the destination is not known.
	Unjoined      uint64
	UnjoinedKnown bool

	// NextDatagram is the last SIOCINQ value (kernel, read after each batch
	// and by Sample and metrics collections, not by SampleStats): the
	// length in bytes of the datagram at the head of the queue (not the
	// queue depth), 0 when the queue was empty (or that datagram is
	// empty). Behind is true when a datagram was waiting.
	NextDatagram uint64
	Behind       bool

	// Buffer is the last SO_MEMINFO sample (kernel); BufferKnown is false
	// until one has been taken (see Config.MemInfoEvery, Sample,
	// SampleStats). Its three values come from one getsockopt call, and
	// samples taken concurrently (by the reader after a batch and by
	// samplers) are published in the order they were read, so a later
	// Stats never shows an older sample than an earlier one did.
	Buffer      BufferUsage
	BufferKnown bool
	// HighWater is the largest Buffer.Used seen, in bytes of kernel memory.
	// It is the largest of the samples taken (after batches, by Sample,
	// SampleStats and metrics collections), so the true peak, between two
	// samples, can be higher.
	HighWater uint64

	// QueueDelay is the distribution of the time datagrams waited between
	// the kernel's receive timestamp and the application's read, in
	// nanoseconds (read path). Empty unless Config.Timestamps is set.
	QueueDelay Histogram
}

// MaxQueueDelay is QueueDelay.Max as a duration.
func (s *Stats) MaxQueueDelay() time.Duration { return time.Duration(s.QueueDelay.Max) }

// BufferUsage is the receive-buffer part of SO_MEMINFO
// (include/uapi/linux/sock_diag.h, filled by net/core/sock.c
// sk_get_meminfo). Sizes are kernel allocation bytes (skb truesize), not
// payload bytes.
type BufferUsage struct {
	// Used is SK_MEMINFO_RMEM_ALLOC: memory held by queued datagrams.
	Used uint64
	// Size is SK_MEMINFO_RCVBUF: sk_rcvbuf, the limit (the doubled value).
	Size uint64
	// Drops is SK_MEMINFO_DROPS: the raw 32-bit drop counter.
	Drops uint32
}

// Fill is Used / Size, 0 when Size is 0. It can exceed 1: the kernel admits
// a datagram while the buffer is below the limit.
func (b BufferUsage) Fill() float64 {
	if b.Size == 0 {
		return 0
	}
	return float64(b.Used) / float64(b.Size)
}

// BatchInfo describes one ReadBatch call: what it returned and the socket's
// state right after it.
type BatchInfo struct {
	// Packets and Bytes returned (Bytes counts full datagram lengths).
	Packets, Bytes int
	// Truncated and CTruncated count MSG_TRUNC and MSG_CTRUNC in the batch.
	Truncated, CTruncated int
	// KernelDrops is the raw SO_RXQ_OVFL value of the last datagram of the
	// batch that carried one; HasKernelDrops is false when none did (the
	// counter was still zero when they were queued).
	KernelDrops    uint32
	HasKernelDrops bool
	// NewDrops is how many drops this batch revealed (the widened total's
	// increase); Drops is the widened total.
	NewDrops, Drops uint64
	// NextDatagram is SIOCINQ after the batch: the next queued datagram's
	// length, 0 when none is queued. Behind is true when one was queued.
	NextDatagram int
	Behind       bool
	// Buffer is SO_MEMINFO after the batch; HasBuffer is false on batches
	// where it was not sampled (Config.MemInfoEvery).
	Buffer    BufferUsage
	HasBuffer bool
	// MaxQueueDelay is the longest wait in the batch (timestamps only).
	MaxQueueDelay time.Duration
}

// kernelSample is what one read of the socket's kernel state found
// (Conn.sampleKernel).
type kernelSample struct {
	buf   BufferUsage // SO_MEMINFO, when memOK
	inq   uint64      // SIOCINQ, when inqOK
	memOK bool
	inqOK bool
}

// counters are the Conn's shared statistics: written by the reader and by
// the samplers (Sample, SampleStats, metrics collections), read by Stats
// from any goroutine.
type counters struct {
	packets, bytes, batches atomic.Uint64
	truncated, ctruncated   atomic.Uint64
	unjoined                atomic.Uint64
	packetInfo              bool // set before the Conn is shared
	batchSizes              atomicHistogram
	queueDelay              atomicHistogram

	// drops is the widened drop count. Its low 32 bits always equal
	// (kernel counter - dropsBase) mod 2^32, so a new kernel value advances
	// it by the serial-number distance (RFC 1982) when that is positive.
	drops      atomic.Uint64
	dropsKnown atomic.Bool
	dropsBase  uint32

	nextDatagram atomic.Uint64
	buf          bufferSample
	highWater    atomic.Uint64
}

// bufferSample holds the last SO_MEMINFO sample behind a sequence lock,
// so that a snapshot sees the three values of one getsockopt together.
// Writers must be serialised by the caller (Conn.smu: the samplers hold
// it, the reader publishes only when it gets it without waiting), in the
// order of their getsockopt calls, so that a newer sample is never
// overwritten by an older one. seq is odd while a write is in progress;
// seq/2 is the number of samples published, 0 while none has been.
type bufferSample struct {
	seq        atomic.Uint64
	used, size atomic.Uint64
	drops      atomic.Uint32
}

// store publishes a sample. Callers are serialised (see bufferSample).
func (b *bufferSample) store(u BufferUsage) {
	b.seq.Add(1)
	b.used.Store(u.Used)
	b.size.Store(u.Size)
	b.drops.Store(u.Drops)
	b.seq.Add(1)
}

// load returns the last sample published, the number of samples published
// up to it (0: none yet, and a zero BufferUsage). It retries while a
// write is in progress, yielding the processor after a few tries so that
// a preempted writer can finish.
func (b *bufferSample) load() (BufferUsage, uint64) {
	for try := 1; ; try++ {
		s1 := b.seq.Load()
		if s1&1 == 0 {
			u := BufferUsage{Used: b.used.Load(), Size: b.size.Load(), Drops: b.drops.Load()}
			if b.seq.Load() == s1 {
				return u, s1 / 2
			}
		}
		if try%8 == 0 {
			runtime.Gosched()
		}
	}
}

// observeDrops folds a raw 32-bit kernel drop counter into the widened
// total and returns the increase. Values older than one already seen (a
// datagram stamped before a later SO_MEMINFO read) do not move it back.
// Consecutive observations must be less than 2^31 drops apart, or the
// jump is taken for an older value: with a reader stalled long enough for
// that (minutes at millions of drops a second), something must sample in
// between, as every metrics collection, SampleStats (the netstack
// collector) and Sample do. Safe for concurrent use.
func (c *counters) observeDrops(raw uint32) uint64 {
	c.dropsKnown.Store(true)
	cur := raw - c.dropsBase
	for {
		tot := c.drops.Load()
		d := int32(cur - uint32(tot))
		if d <= 0 {
			return 0
		}
		if c.drops.CompareAndSwap(tot, tot+uint64(d)) {
			return uint64(d)
		}
	}
}

// observeBuffer publishes an SO_MEMINFO sample. Callers must be
// serialised, in the order in which they read the kernel (Conn.smu; see
// bufferSample). HighWater is raised before the sample is published, so a
// snapshot, which loads the sample first, never has HighWater below
// Buffer.Used.
func (c *counters) observeBuffer(b BufferUsage) {
	for {
		hw := c.highWater.Load()
		if b.Used <= hw || c.highWater.CompareAndSwap(hw, b.Used) {
			break
		}
	}
	c.buf.store(b)
}

func (c *counters) snapshot(s *Stats) {
	s.Packets = c.packets.Load()
	s.Bytes = c.bytes.Load()
	s.Batches = c.batches.Load()
	c.batchSizes.snapshot(&s.BatchSizes)
	s.Drops = c.drops.Load()
	s.DropsKnown = c.dropsKnown.Load()
	s.Truncated = c.truncated.Load()
	s.CTruncated = c.ctruncated.Load()
	s.Unjoined, s.UnjoinedKnown = c.unjoined.Load(), c.packetInfo
	s.NextDatagram = c.nextDatagram.Load()
	s.Behind = s.NextDatagram != 0
	var n uint64
	s.Buffer, n = c.buf.load()
	s.BufferKnown = n > 0
	s.HighWater = c.highWater.Load()
	c.queueDelay.snapshot(&s.QueueDelay)
}
