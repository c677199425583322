package qdisc

// Decoders for the TCA_OPTIONS of common kinds (include/uapi/linux/
// pkt_sched.h). The kernel nests attributes in TCA_OPTIONS without setting
// NLA_F_NESTED; fifo and prio kinds put a bare struct there instead.

// TBF attribute types (TCA_TBF_*).
const (
	tcaTBFParms   = 1
	tcaTBFRate64  = 4
	tcaTBFPrate64 = 5
	tcaTBFBurst   = 6
	tcaTBFPburst  = 7
)

// TBFOptions are tbf's parameters (net/sched/sch_tbf.c tbf_dump).
type TBFOptions struct {
	// Rate and PeakRate in bytes per second (TCA_TBF_RATE64/PRATE64 when
	// above 2^32-1, else struct tc_ratespec.rate).
	Rate     uint64
	PeakRate uint64
	// Limit: queue size in bytes.
	Limit uint32
	// BufferTicks and MTUTicks: the bucket sizes as transmission times in
	// psched ticks of 64 ns (PSCHED_NS2TICKS); tc derives "burst" from
	// BufferTicks and Rate.
	BufferTicks uint32
	MTUTicks    uint32
}

// BurstBytes is the bucket size in bytes, as tc prints it for "burst":
// Rate x buffer time.
func (o TBFOptions) BurstBytes() uint64 {
	return o.Rate * (uint64(o.BufferTicks) << 6) / 1e9
}

// DecodeTBF decodes tbf's TCA_OPTIONS.
func DecodeTBF(b []byte) (TBFOptions, error) {
	var o TBFOptions
	seen := false
	it := newAttrIter(b, 0, "tbf options")
	for it.next() {
		d := le(it.data)
		switch it.typ {
		case tcaTBFParms:
			if err := short("tc_tbf_qopt", it.data, 36); err != nil {
				return o, err
			}
			if o.Rate == 0 {
				o.Rate = uint64(d.u32(8))
			}
			if o.PeakRate == 0 {
				o.PeakRate = uint64(d.u32(20))
			}
			o.Limit, o.BufferTicks, o.MTUTicks = d.u32(24), d.u32(28), d.u32(32)
			seen = true
		case tcaTBFRate64:
			if len(d) >= 8 {
				o.Rate = d.u64(0)
			}
		case tcaTBFPrate64:
			if len(d) >= 8 {
				o.PeakRate = d.u64(0)
			}
		}
	}
	if it.err != nil {
		return o, it.err
	}
	if !seen {
		return o, malformed("tbf options", 0, "no TCA_TBF_PARMS")
	}
	return o, nil
}

// HTB attribute types (TCA_HTB_*).
const (
	tcaHTBParms      = 1
	tcaHTBInit       = 2
	tcaHTBDirectQlen = 5
	tcaHTBRate64     = 6
	tcaHTBCeil64     = 7
)

// HTBOptions are an htb qdisc's parameters (struct tc_htb_glob).
type HTBOptions struct {
	Version      uint32
	Rate2Quantum uint32 // r2q
	DefaultClass uint32 // minor of the default class ("default 0x10")
	DirectPkts   uint32 // packets sent unclassified (direct_packets_stat)
	DirectQlen   uint32 // direct queue limit, packets (0: not reported)
}

// DecodeHTBOptions decodes an htb qdisc's TCA_OPTIONS (TCA_HTB_INIT).
func DecodeHTBOptions(b []byte) (HTBOptions, error) {
	var o HTBOptions
	seen := false
	it := newAttrIter(b, 0, "htb options")
	for it.next() {
		d := le(it.data)
		switch it.typ {
		case tcaHTBInit:
			if err := short("tc_htb_glob", it.data, 20); err != nil {
				return o, err
			}
			o.Version, o.Rate2Quantum, o.DefaultClass, o.DirectPkts = d.u32(0), d.u32(4), d.u32(8), d.u32(16)
			seen = true
		case tcaHTBDirectQlen:
			o.DirectQlen = d.u32(0)
		}
	}
	if it.err != nil {
		return o, it.err
	}
	if !seen {
		return o, malformed("htb options", 0, "no TCA_HTB_INIT")
	}
	return o, nil
}

// HTBClassOptions are an htb class's parameters (struct tc_htb_opt).
type HTBClassOptions struct {
	Rate, Ceil     uint64 // bytes per second
	BufferTicks    uint32 // psched ticks (64 ns)
	CBufferTicks   uint32
	Quantum, Level uint32
	Prio           uint32
}

// DecodeHTBClassOptions decodes an htb class's TCA_OPTIONS (TCA_HTB_PARMS,
// TCA_HTB_RATE64, TCA_HTB_CEIL64).
func DecodeHTBClassOptions(b []byte) (HTBClassOptions, error) {
	var o HTBClassOptions
	var rate64, ceil64 uint64
	seen := false
	it := newAttrIter(b, 0, "htb class options")
	for it.next() {
		d := le(it.data)
		switch it.typ {
		case tcaHTBParms:
			if err := short("tc_htb_opt", it.data, 44); err != nil {
				return o, err
			}
			o.Rate, o.Ceil = uint64(d.u32(8)), uint64(d.u32(20))
			o.BufferTicks, o.CBufferTicks = d.u32(24), d.u32(28)
			o.Quantum, o.Level, o.Prio = d.u32(32), d.u32(36), d.u32(40)
			seen = true
		case tcaHTBRate64:
			rate64 = d.u64(0)
		case tcaHTBCeil64:
			ceil64 = d.u64(0)
		}
	}
	if it.err != nil {
		return o, it.err
	}
	if !seen {
		return o, malformed("htb class options", 0, "no TCA_HTB_PARMS")
	}
	if rate64 != 0 {
		o.Rate = rate64
	}
	if ceil64 != 0 {
		o.Ceil = ceil64
	}
	return o, nil
}

// DecodeFIFOLimit decodes pfifo/bfifo/pfifo_head_drop options (struct
// tc_fifo_qopt): the limit in packets (pfifo) or bytes (bfifo).
func DecodeFIFOLimit(b []byte) (uint32, error) {
	if err := short("tc_fifo_qopt", b, 4); err != nil {
		return 0, err
	}
	return le(b).u32(0), nil
}

// PrioOptions is struct tc_prio_qopt (pfifo_fast, prio).
type PrioOptions struct {
	Bands   int32
	PrioMap [16]uint8 // logical priority (skb->priority & TC_PRIO_MAX) -> band
}

// DecodePrio decodes pfifo_fast's or prio's options (20 bytes).
func DecodePrio(b []byte) (PrioOptions, error) {
	if err := short("tc_prio_qopt", b, 20); err != nil {
		return PrioOptions{}, err
	}
	o := PrioOptions{Bands: le(b).s32(0)}
	copy(o.PrioMap[:], b[4:20])
	return o, nil
}
