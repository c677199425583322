package procparse

// IPStats are the IP counters the drop diagnosis needs, from the Ip group of
// /proc/net/snmp (IPv4, counted in net/ipv4/ip_input.c and ip_output.c) or
// the Ip6 lines of /proc/net/snmp6 (net/ipv6/ip6_input.c, ip6_output.c).
// Each Counter has Present false when this kernel's file lacks the key. All
// are packet counts.
type IPStats struct {
	// InReceives: datagrams handed to IP by the device layer (ip_rcv),
	// errors included.
	InReceives Counter
	// InHdrErrors: dropped for a bad header (version, length, checksum,
	// options, TTL exceeded while forwarding).
	InHdrErrors Counter
	// InAddrErrors: dropped because the destination is not a valid address
	// for this host (route lookup failed, martian).
	InAddrErrors Counter
	// InUnknownProtos: delivered locally but no handler for the protocol.
	InUnknownProtos Counter
	// InDiscards: dropped without error in the packet, for lack of resources
	// (e.g. memory) or by policy.
	InDiscards Counter
	// InDelivers: handed to a transport protocol (UDP, TCP, ICMP...).
	InDelivers Counter
	// ForwDatagrams: forwarded to another host.
	ForwDatagrams Counter
	// OutRequests: datagrams local protocols handed to IP for sending.
	OutRequests Counter
	// OutDiscards: outgoing datagrams dropped without error in them (no
	// buffer space, qdisc or neighbour refusing).
	OutDiscards Counter
	// OutNoRoutes: dropped because no route to the destination was found.
	OutNoRoutes Counter
	// OutTransmits: datagrams handed to the neighbour / device layer,
	// forwarded ones included (ip_finish_output2). Newer kernels only (6.18
	// has it, the kernel of the procfs corpus does not).
	OutTransmits Counter
	// ReasmFails and FragFails: reassembly and fragmentation failures.
	ReasmFails Counter
	FragFails  Counter
}

func (st *IPStats) set(key string, c Counter) {
	switch key {
	case "InReceives":
		st.InReceives = c
	case "InHdrErrors":
		st.InHdrErrors = c
	case "InAddrErrors":
		st.InAddrErrors = c
	case "InUnknownProtos":
		st.InUnknownProtos = c
	case "InDiscards":
		st.InDiscards = c
	case "InDelivers":
		st.InDelivers = c
	case "ForwDatagrams", "OutForwDatagrams":
		st.ForwDatagrams = c
	case "OutRequests":
		st.OutRequests = c
	case "OutDiscards":
		st.OutDiscards = c
	case "OutNoRoutes":
		st.OutNoRoutes = c
	case "OutTransmits":
		st.OutTransmits = c
	case "ReasmFails":
		st.ReasmFails = c
	case "FragFails":
		st.FragFails = c
	}
}

// UDPStats are the UDP (or UDP-Lite) MIB counters: the Udp and UdpLite groups
// of /proc/net/snmp, or the Udp6 and UdpLite6 lines of /proc/net/snmp6. The
// kernel counts them in net/ipv4/udp.c and net/ipv6/udp.c; the two address
// families keep separate counters. Each Counter has Present false when this
// kernel's file lacks the key. All are datagram counts.
type UDPStats struct {
	// InDatagrams: datagrams read by applications (counted in udp_recvmsg
	// when a datagram is dequeued, not when it is queued: datagrams waiting
	// in a socket buffer are not in it yet).
	InDatagrams Counter
	// NoPorts: unicast datagrams for a port with no socket (an ICMP port
	// unreachable is sent back).
	NoPorts Counter
	// InErrors: datagrams dropped on receive for any reason: the sum of
	// RcvbufErrors, MemErrors, InCsumErrors and other failures.
	InErrors Counter
	// OutDatagrams: datagrams sent.
	OutDatagrams Counter
	// RcvbufErrors: dropped because the socket's receive buffer
	// (SO_RCVBUF, sk_rcvbuf) was full (-ENOBUFS from
	// __udp_enqueue_schedule_skb). Also counted in InErrors and in the
	// socket's drops column of /proc/net/udp.
	RcvbufErrors Counter
	// SndbufErrors: sends that failed for lack of send buffer or memory
	// (-ENOBUFS from udp_sendmsg / ip_append_data).
	SndbufErrors Counter
	// InCsumErrors: received with a bad UDP checksum (also in InErrors).
	InCsumErrors Counter
	// IgnoredMulti: broadcast or multicast datagrams that no socket wanted.
	IgnoredMulti Counter
	// MemErrors: dropped because UDP memory accounting failed (-ENOMEM:
	// net.ipv4.udp_mem exceeded). Newer kernels only (6.18 has it, the kernel
	// of the procfs corpus does not).
	MemErrors Counter
}

func (st *UDPStats) set(key string, c Counter) {
	switch key {
	case "InDatagrams":
		st.InDatagrams = c
	case "NoPorts":
		st.NoPorts = c
	case "InErrors":
		st.InErrors = c
	case "OutDatagrams":
		st.OutDatagrams = c
	case "RcvbufErrors":
		st.RcvbufErrors = c
	case "SndbufErrors":
		st.SndbufErrors = c
	case "InCsumErrors":
		st.InCsumErrors = c
	case "IgnoredMulti":
		st.IgnoredMulti = c
	case "MemErrors":
		st.MemErrors = c
	}
}

// IP returns the Ip group's counters of /proc/net/snmp.
func (s *SNMP) IP() IPStats {
	var st IPStats
	s.eachField("Ip", func(key string, f SNMPField) { st.set(key, f.Counter()) })
	return st
}

// UDP returns the Udp group's counters of /proc/net/snmp (IPv4).
func (s *SNMP) UDP() UDPStats {
	var st UDPStats
	s.eachField("Udp", func(key string, f SNMPField) { st.set(key, f.Counter()) })
	return st
}

// UDPLite returns the UdpLite group's counters of /proc/net/snmp (IPv4).
func (s *SNMP) UDPLite() UDPStats {
	var st UDPStats
	s.eachField("UdpLite", func(key string, f SNMPField) { st.set(key, f.Counter()) })
	return st
}

// eachField calls fn for every field of every group named group, in file
// order (a later duplicate key wins).
func (s *SNMP) eachField(group string, fn func(key string, f SNMPField)) {
	for i := range s.Groups {
		g := &s.Groups[i]
		if g.Name != group {
			continue
		}
		for _, f := range g.Fields {
			fn(f.Name, f)
		}
	}
}

// IP6 returns the Ip6 counters of /proc/net/snmp6 (Ip6OutForwDatagrams is
// reported as ForwDatagrams).
func (s *SNMP6) IP6() IPStats {
	var st IPStats
	s.each("Ip6", func(key string, f SNMPField) { st.set(key, f.Counter()) })
	return st
}

// UDP6 returns the Udp6 counters of /proc/net/snmp6 (IPv6).
func (s *SNMP6) UDP6() UDPStats {
	var st UDPStats
	s.each("Udp6", func(key string, f SNMPField) { st.set(key, f.Counter()) })
	return st
}

// UDPLite6 returns the UdpLite6 counters of /proc/net/snmp6 (IPv6).
func (s *SNMP6) UDPLite6() UDPStats {
	var st UDPStats
	s.each("UdpLite6", func(key string, f SNMPField) { st.set(key, f.Counter()) })
	return st
}
