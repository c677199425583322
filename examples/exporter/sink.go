package main

import (
	"context"
	"errors"
	"net"
	"time"

	"go.opentelemetry.io/otel/metric"

	"github.com/packetpath/packetpath/socketstats"
)

// sink is the -join receiver: an instrumented socket that reads and
// discards, so its metrics show what an application on those groups would
// see.
type sink struct {
	conn *socketstats.Conn
	msgs []socketstats.Message
}

func openSink(o *options, mp metric.MeterProvider) (*sink, error) {
	cfg := socketstats.Config{
		NetNS:         o.netns,
		Interface:     o.iface,
		Port:          o.join[0].Port(),
		ReceiveBuffer: o.rcvbuf,
		Timestamps:    socketstats.TimestampsNS,
		ReusePort:     true,
	}
	for _, g := range o.join {
		cfg.Groups = append(cfg.Groups, socketstats.Group{Addr: g.Addr().Unmap()})
	}
	s := &sink{msgs: make([]socketstats.Message, socketstats.DefaultMaxBatch)}
	for i := range s.msgs {
		s.msgs[i].Buf = make([]byte, 2048)
	}
	var err error
	s.conn, err = socketstats.Open(cfg)
	if err != nil {
		return nil, err
	}
	if err := s.conn.RegisterMetrics(mp); err != nil {
		s.conn.Close()
		return nil, err
	}
	return s, nil
}

// run reads until ctx is done or the socket is closed.
func (s *sink) run(ctx context.Context) {
	for {
		if _, err := s.conn.ReadBatch(ctx, s.msgs); err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			// Anything else (a transient recvmmsg error) is retried after
			// a pause rather than in a busy loop.
			select {
			case <-ctx.Done():
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
}

func (s *sink) close() error { return s.conn.Close() }
