// Package procparse reads the /proc files that tell where a packet waited or
// was dropped on its way through the Linux network stack, into typed values,
// without allocating when a file is read again.
//
// # The pattern
//
// An [FS] is rooted at a procfs mount: the live /proc ([NewDefaultFS]), a
// host's /proc bind-mounted into a container (NewFS("/host/proc")), or a
// fixture tree laid out like /proc (testdata, a capture from another
// machine). On a live procfs the per-namespace files under net/ are read
// through /proc/thread-self/net, so code running on an OS thread that entered
// another network namespace reads that namespace.
//
// Every file comes in three forms:
//
//   - a pure parser over bytes into a caller-owned value that reuses its
//     slices and strings, e.g. [ParseSoftnetStat](b, &dst): for tests,
//     fuzzing, and data that did not come from a file;
//   - a one-shot read, e.g. fs.SoftnetStat();
//   - a [Reader], e.g. fs.SoftnetStatReader(), that keeps the file open and
//     re-reads it into a reused buffer and a reused value: once both have
//     grown to the file's size, Read allocates nothing.
//
// The UDP socket tables have a fourth form for large tables: [UDPScanner]
// and [FS.OpenUDPScan] walk the sockets one at a time, filtered by local
// port or inode, without copying them into a slice.
//
// # Files
//
// The stages of the receive path, with the files that describe them:
//
//	file                          type           kernel source that prints it
//	net/softnet_stat              SoftnetStat    net/core/net-procfs.c softnet_seq_show
//	softirqs                      Softirqs       fs/proc/softirqs.c show_softirqs
//	interrupts                    Interrupts     kernel/irq/proc.c show_interrupts
//	irq/N/smp_affinity_list       IRQAffinity    kernel/irq/proc.c
//	net/dev                       NetDev         net/core/net-procfs.c dev_seq_printf_stats
//	net/ptype                     PacketTypes    net/core/net-procfs.c ptype_seq_show
//	net/snmp                      SNMP           net/ipv4/proc.c snmp_seq_show
//	net/netstat                   SNMP           net/ipv4/proc.c netstat_seq_show
//	net/snmp6, net/dev_snmp6/IF   SNMP6          net/ipv6/proc.c snmp6_seq_show
//	net/udp, udplite              UDPSockets     net/ipv4/udp.c udp4_format_sock
//	net/udp6, udplite6            UDPSockets     net/ipv6/datagram.c __ip6_dgram_sock_seq_show
//	net/sockstat, sockstat6       Sockstat       net/ipv4/proc.c, net/ipv6/proc.c sockstat*_seq_show
//	net/igmp, igmp6               IGMP, IGMP6    net/ipv4/igmp.c, net/ipv6/mcast.c
//	net/dev_mcast                 DevMcast       net/core/net-procfs.c dev_mc_seq_show
//	net/stat/*                    StatTable      per-CPU tables (arp_cache, ndisc_cache, nf_conntrack)
//	sys/net/...                   Sysctls        the net.core and net.ipv4 sysctls of the path
//
// # Errors
//
// Bad content never panics: the error is a [*ParseError] naming the file,
// the line, the column where one is at fault, and the reason, wrapping
// [ErrMalformed] (and the number parser's cause). A missing file wraps
// os.ErrNotExist, a denied one os.ErrPermission. One file failing does not
// affect the others.
//
// The parsers accept only what the kernel's seq_printf formats can print,
// so that a number handed on is a number the kernel reported: a
// softnet_stat column is eight lowercase hexadecimal digits and every row
// of the file has the same columns; UDP drops, tx_queue and rx_queue fit
// their 32 bits; snmp, netstat, snmp6 and sockstat values carry no '+'
// (snmp6 no sign at all); group names (but IcmpMsg's), keys, snmp6 names,
// device names, sockstat lines, softirq names and interrupt rows appear
// once; softirqs and interrupts counts fit 32 bits and their CPU headers
// increase. A file the kernel can print empty (a UDP table with no
// sockets, dev_snmp6 of nothing) parses to an empty value. The checks cost
// nothing measurable on a re-read: repeats are searched for only when
// names differ from the previous good parse into the same value.
//
// Counters the kernel may not print on every version are [Counter] values
// whose Present field tells "this kernel does not report it" from zero.
//
// # Kernel versions
//
// Formats drift, and the parsers go by what each file says rather than by
// kernel version:
//
//   - softnet_stat has had 9 columns (before 2.6.35), 10 (received_rps), 11
//     (flow_limit_count, 3.11), 13 (backlog length and CPU index, 5.10, and
//     backported to RHEL 8.5's 4.18) and 15 (input and process queue
//     lengths, 6.4); the parser keeps any further columns. The width is
//     recorded per row but must be the same on every row of a file (one
//     format prints them all; the procfs corpus fixture, which mixes
//     widths, is rejected). Column 9 (cpu_collision) is always 0 since
//     5.10. Counters are 32-bit and wrap.
//   - snmp and netstat grow keys in the middle of groups (Udp IgnoredMulti
//     and MemErrors, Ip OutTransmits, Icmp OutRateLimitGlobal/Host, 22 new
//     TcpExt keys on 6.18, the MPTcpExt group): keys are read from the
//     header line. Tcp MaxConn is printed signed (-1).
//   - the udp tables' sl column outgrew its 5 characters; IPv4 lines are
//     padded to 127 characters; drops (the 13th field) has been there since
//     2.6.2x. Addresses are printed as host-order 32-bit words.
//   - net/dev has no space after the colon once a counter is wider than its
//     column, and names may hold colons and non-ASCII bytes.
//
// The tests read fixtures in testdata: trees captured on Linux 6.18 and a
// corpus of files from older kernels (mixed softnet widths, deliberately
// broken files); testdata/README.md says where each comes from.
package procparse
