package qdisc_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/packetpath/packetpath/qdisc"
)

// scenarioDir holds a real dump of the drop scenario (integration test),
// captured with QDISC_WRITE_TESTDATA=1 on Linux 6.18, with tc's view of it.
const scenarioDir = "testdata/scenario"

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(scenarioDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// fixtureLinks maps the scenario's ifindexes to device names.
func fixtureLinks(t testing.TB) map[int]string {
	m := map[int]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(readFixture(t, "links.txt"))), "\n") {
		f := strings.Fields(line)
		n, err := strconv.Atoi(f[0])
		if err != nil {
			t.Fatal(err)
		}
		m[n] = f[1]
	}
	return m
}

func TestFixtureQdiscsMatchTC(t *testing.T) {
	qs, err := qdisc.DecodeQdiscs(readFixture(t, "qdisc.nl"), nil)
	if err != nil {
		t.Fatal(err)
	}
	links := fixtureLinks(t)
	for i := range qs {
		qs[i].Device = links[qs[i].Ifindex]
	}
	var want []tcQdisc
	if err := json.Unmarshal(readFixture(t, "qdisc.json"), &want); err != nil {
		t.Fatal(err)
	}
	compareQdiscs(t, qs, want)
}

func TestFixtureClassesMatchTC(t *testing.T) {
	links := fixtureLinks(t)
	sawHTB := false
	for idx, dev := range links {
		p := filepath.Join(scenarioDir, "class-"+dev+".nl")
		if _, err := os.Stat(p); err != nil {
			continue
		}
		cs, err := qdisc.DecodeClasses(readFixture(t, "class-"+dev+".nl"), nil)
		if err != nil {
			t.Fatal(err)
		}
		for i := range cs {
			if cs[i].Ifindex != idx {
				t.Errorf("%s: class with ifindex %d", dev, cs[i].Ifindex)
			}
			cs[i].Device = dev
		}
		_, h := compareClasses(t, dev, cs, parseTCClasses(t, string(readFixture(t, "class-"+dev+".txt"))))
		sawHTB = sawHTB || h
	}
	if !sawHTB {
		t.Error("no htb class compared")
	}
}
