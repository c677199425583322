package dropevents

// Config configures a Collector for Open. The zero value counts the four tracepoints
// and the kfree_skb total, host-wide, without per-reason detail.
type Config struct {
	// Port, when non-zero, makes the kernel count udp:udp_fail_queue_rcv_skb
	// only for datagrams to this local UDP port (filter "dport == Port" on
	// 6.10+ kernels, "lport == Port" before; both fields hold the port in
	// host byte order).
	Port uint16
	// Reasons names kfree_skb drop reasons ("SOCKET_RCVBUFF", "NO_SOCKET",
	// "QDISC_DROP") to count exactly in counting mode: one kernel-filtered
	// counter ("reason == N") per reason and CPU. The names are looked up
	// in the running kernel's format file; a name it lacks is an error
	// wrapping errors.ErrUnsupported. Ignored when AllReasons is set.
	Reasons []string
	// AllReasons samples every kfree_skb record through one perf ring
	// buffer per CPU and counts it by reason and drop site. The rings must
	// be drained by calling Snapshot often enough (see Wait); records the
	// kernel cannot write are counted in Counts.Lost.
	AllReasons bool
	// RingPages is the number of data pages of each CPU's ring buffer in
	// sampling mode, a power of two; 0 means 64 (256 KiB with 4 KiB pages:
	// about 4,680 kfree_skb records of 6.18, 56 bytes each). A larger
	// ring loses fewer records when drops come in bursts faster than
	// Snapshot drains them; BENCHMARKS.md has measured loss rates.
	RingPages int
	// TraceFS is the tracefs mount to read formats from; nil means
	// FindTraceFS.
	TraceFS *TraceFS
	// CPUs lists the CPUs to attach to; nil means every online CPU
	// (/sys/devices/system/cpu/online). CPUs that come online later are
	// not counted.
	CPUs []int
}
