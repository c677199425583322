//go:build linux

package qdisc_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/packetpath/packetpath/internal/netnstest"
	"github.com/packetpath/packetpath/qdisc"
)

func testClassesMatchTC(t *testing.T, ns *netnstest.NS, c *qdisc.Conn) {
	ctx := context.Background()
	var all []qdisc.Class
	var err error
	all, err = c.AllClasses(ctx, all)
	if err != nil {
		t.Fatal(err)
	}
	total, sawHTB := 0, false
	for _, d := range scenario {
		for attempt := 0; ; attempt++ {
			before := ns.Run("tc", "-s", "class", "show", "dev", d.name)
			idx := ifindexIn(t, ns, d.name)
			got, err := c.Classes(ctx, idx, nil)
			if err != nil {
				t.Fatal(err)
			}
			after := ns.Run("tc", "-s", "class", "show", "dev", d.name)
			if before != after && attempt < 10 {
				time.Sleep(300 * time.Millisecond)
				continue
			}
			n, h := compareClasses(t, d.name, got, parseTCClasses(t, after))
			total += n
			sawHTB = sawHTB || h
			var fromAll []qdisc.Class
			for _, a := range all {
				if a.Ifindex == idx {
					fromAll = append(fromAll, a)
				}
			}
			if len(fromAll) != len(got) {
				t.Errorf("%s: AllClasses returned %d classes, Classes %d", d.name, len(fromAll), len(got))
			}
			break
		}
	}
	if total == 0 || !sawHTB {
		t.Errorf("compared %d classes (htb seen: %v)", total, sawHTB)
	}
}

func ifindexIn(t *testing.T, ns *netnstest.NS, dev string) int {
	t.Helper()
	s := strings.TrimSpace(ns.Run("cat", "/sys/class/net/"+dev+"/ifindex"))
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
