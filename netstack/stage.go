package netstack

import "fmt"

// Stage is one stage of a packet's path through the stack. The receive
// stages come first, in the order a packet meets them, then the transmit
// stages in theirs; Diagnose orders its findings the same way.
type Stage uint8

const (
	// StageNIC is the receive side of the NIC and its driver ring:
	// rx_missed_errors, rx_fifo_errors, per-queue drops, ring size.
	StageNIC Stage = iota
	// StageSoftirq is NET_RX processing: the netdev budget (time_squeeze),
	// the per-CPU backlog (dropped) and the flow limit (softnet_stat).
	StageSoftirq
	// StageIP is IPv4/IPv6 input: InDiscards, header and address errors.
	StageIP
	// StageUDP is UDP demultiplexing: NoPorts, InErrors, RcvbufErrors,
	// MemErrors, InCsumErrors (/proc/net/snmp).
	StageUDP
	// StageSocket is a socket's receive buffer: per-socket drops and the
	// queue held against rcvbuf.
	StageSocket
	// StageApplication is the reader: datagrams waiting to be read and how
	// long they waited.
	StageApplication
	// StageTxSocket is the sending socket: SndbufErrors.
	StageTxSocket
	// StageQdisc is the egress queueing discipline: drops, requeues,
	// overlimits, backlog.
	StageQdisc
	// StageTxDriver is the driver's transmit ring and BQL: tx timeouts,
	// BQL stalls.
	StageTxDriver
	// StageTxNIC is the transmit side of the NIC: tx errors, carrier.
	StageTxNIC

	numStages
)

var stageNames = [numStages]string{
	StageNIC:         "rx-nic",
	StageSoftirq:     "rx-softirq",
	StageIP:          "rx-ip",
	StageUDP:         "rx-udp",
	StageSocket:      "rx-socket",
	StageApplication: "rx-application",
	StageTxSocket:    "tx-socket",
	StageQdisc:       "tx-qdisc",
	StageTxDriver:    "tx-driver",
	StageTxNIC:       "tx-nic",
}

// String returns the stage's stable name, e.g. "rx-softirq".
func (s Stage) String() string {
	if s < numStages {
		return stageNames[s]
	}
	return "unknown"
}

// Transmit reports whether the stage is on the transmit path.
func (s Stage) Transmit() bool { return s >= StageTxSocket && s < numStages }

// Stages returns every stage in path order: receive, then transmit.
func Stages() []Stage {
	s := make([]Stage, numStages)
	for i := range s {
		s[i] = Stage(i)
	}
	return s
}

// MarshalText encodes the stage by name, so JSON shows "rx-socket".
func (s Stage) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText decodes a stage name written by MarshalText.
func (s *Stage) UnmarshalText(b []byte) error {
	for i, n := range stageNames {
		if n == string(b) {
			*s = Stage(i)
			return nil
		}
	}
	return fmt.Errorf("netstack: unknown stage %q", b)
}
