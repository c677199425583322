// Command mcast-recv is a market-data style multicast receiver built on
// packetpath's socketstats: it joins one or more groups, reads in batches
// with recvmmsg, and shows where datagrams wait and where they are lost.
//
// Usage:
//
//	mcast-recv -group 239.1.1.1:5000 [-group 239.1.1.2:5000] [-source 10.0.0.1]
//	           [-iface eth0] [-netns NAME|PATH] [-rcvbuf 8M] [-seq] [-duration 30s] [-json]
//	mcast-recv -version
//
// Every -interval (1s) it prints one telemetry line (to stdout, or to
// stderr with -json):
//
//	[   2.0s] rx 2855 pkt/s 0.57 MB/s | drops +915 (915) | pending 200 B behind | buf 29% (38400/131072 B) hw 51% | delay p50 4.194ms p99 16.407ms max 16.407ms | gaps +17 missing 915
//
// rx is the datagrams and payload the application read in the interval;
// drops is the socket's drop counter (sk_drops, from SO_RXQ_OVFL and
// SO_MEMINFO) increase and total: datagrams the kernel discarded because
// the receive buffer was full; pending is SIOCINQ, the length of the next
// queued datagram (non-zero: the reader is behind); buf is the kernel memory
// queued against the receive buffer and the buffer's size (SO_MEMINFO, in
// skb truesize bytes, not payload), hw its high-water mark; delay is how
// long datagrams waited in the buffer between the kernel's receive
// timestamp and the read (log2-bucket upper bounds); gaps counts jumps in
// the sequence numbers and missing the numbers not seen (-seq).
//
// At exit (-duration elapsed, SIGINT or SIGTERM) it prints a summary:
// received, dropped (kernel drops for this socket), sequence gaps, missing
// numbers, reorders, duplicates, truncated datagrams, bytes, duration, the
// receive buffer asked for and obtained, the buffer's high-water mark and
// the queueing delay. With -json the summary is one JSON document on stdout.
// When every drop happens at the socket, received + dropped equals what the
// senders sent, and with -seq the missing count equals dropped.
//
// -seq reads a big-endian uint64 sequence number at the start of each
// payload, one sequence per sender address. -pause and -read-delay make the
// reader slow on purpose, to see the buffer fill and overflow. -otel prints
// the socket's OpenTelemetry metrics (packetpath.socket.*) and the
// namespace's UDP MIB counters (packetpath.udp.*, packetpath.mib.udp) to stderr, through
// the SDK's ManualReader, every -otel-interval and at exit. -netns opens the
// socket inside another network namespace.
//
// Exit status: 0 on success, 1 when the socket cannot be opened or read,
// 2 for a bad command line.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/packetpath/packetpath/cmdutil"
	"github.com/packetpath/packetpath/socketstats"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is the whole program; it returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	o, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		return 2
	}
	if o.version {
		fmt.Fprintln(stdout, cmdutil.Version("mcast-recv"))
		return 0
	}
	if o.netns, err = cmdutil.ResolveNetNS(o.netns); err != nil {
		fmt.Fprintf(stderr, "mcast-recv: -netns: %v\n", err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	conn, err := socketstats.Open(o.config())
	if err != nil {
		fmt.Fprintf(stderr, "mcast-recv: %v\n", cmdutil.ExplainNetNS(err))
		return 1
	}
	defer conn.Close()
	start := time.Now()
	if o.duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, start.Add(o.duration))
		defer cancel()
	}
	fmt.Fprintf(stderr, "mcast-recv: ready: %s\n", describe(o, conn))

	telemetryOut := stdout
	if o.jsonOut {
		telemetryOut = stderr
	}
	r := newReceiver(conn, o)
	var exp *otelExport
	if o.otel {
		exp, err = newOTelExport(conn, o.netns)
		if err != nil {
			fmt.Fprintf(stderr, "mcast-recv: -otel: %v\n", err)
			return 1
		}
		defer exp.close()
	}
	bg, cancelBG := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		monitor(bg, r, o, start, telemetryOut, exp, stderr)
	}()

	readErr := r.run(ctx)
	cancelBG()
	<-done
	end := time.Now()

	// A last SO_MEMINFO read brings in drops that no datagram carried.
	_, sampleErr := conn.Sample()
	if exp != nil {
		exp.print(context.Background(), stderr)
	}
	s := buildSummary(o, conn, r, end.Sub(start))
	if o.jsonOut {
		err = s.writeJSON(stdout)
	} else {
		err = s.writeText(stdout)
	}
	if err != nil {
		fmt.Fprintf(stderr, "mcast-recv: %v\n", err)
		return 1
	}
	if sampleErr != nil {
		fmt.Fprintf(stderr, "mcast-recv: final sample: %v\n", sampleErr)
	}
	if readErr != nil {
		fmt.Fprintf(stderr, "mcast-recv: %v\n", readErr)
		return 1
	}
	return 0
}

// describe is the ready line: what was joined and the buffer obtained.
func describe(o *options, c *socketstats.Conn) string {
	b := c.Buffer()
	s := fmt.Sprintf("joined %v on %s, bound %s, receive buffer %d bytes", c.Groups(), ifaceName(o.iface), c.LocalAddr(), b.Obtained)
	if b.Requested > 0 {
		s += fmt.Sprintf(" (asked %d", b.Requested)
		if b.Forced {
			s += ", SO_RCVBUFFORCE"
		}
		if b.Capped {
			s += fmt.Sprintf(", capped by net.core.rmem_max=%d", b.RmemMax)
		}
		s += ")"
	}
	return s
}

func ifaceName(s string) string {
	if s == "" {
		return "the routed interface"
	}
	return s
}
