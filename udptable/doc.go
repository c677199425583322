// Package udptable dumps the host's (or a namespace's) UDP and UDP-Lite
// sockets through NETLINK_SOCK_DIAG, the interface of `ss -u -a -m -n`:
// per socket its addresses, queues in bytes (idiag_rqueue, idiag_wqueue),
// owner, inode and cookie, and the SK_MEMINFO counters, drops included
// (sk_drops, 32 bits in the kernel: DropTracker widens them).
//
// Open(Config) opens a Table; Table.Dump fills a caller-owned []UDPSocket
// from one reused buffer and allocates nothing in steady state. Filter
// builds the kernel-side inet_diag bytecode. The netlink exchange is
// internal/nl's (deadlines, abandoned dumps, errors as *netlink.OpError);
// DecodeUDPSockets decodes captured dump bytes (bundles) with the live
// message decoder. Closing gives errors wrapping nl.ErrClosed (net.ErrClosed).
//
// The instrumented socket that measures one application's receive path is
// package socketstats; this package is the host table only.
package udptable
