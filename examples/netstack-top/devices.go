package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/packetpath/packetpath/netstack"
)

// deviceSources are the sources -devices limits.
const deviceSources = netstack.SourceLinks | netstack.SourceDevices | netstack.SourceEthtool | netstack.SourceQdisc

// deviceCheck tells whether the names given to -devices exist. A name that
// matches no device is an error, not an empty row: the device list is the
// snapshot's links (every link, before -devices filters the counters) and
// the qdiscs' devices.
type deviceCheck struct {
	want []string
	// links and qdiscs say whether the snapshots carry those lists (a
	// bundle always does; live, only when the source is selected).
	links, qdiscs bool
	found         map[string]bool
	all           []string
	known         bool
	why           []string
}

func newDeviceCheck(o *options) *deviceCheck {
	src := o.sources
	if src == 0 {
		src = netstack.SourceAll
	}
	return &deviceCheck{want: o.devices, found: map[string]bool{},
		links:  o.root != "" || src&(netstack.SourceLinks|netstack.SourceDevices|netstack.SourceEthtool) != 0,
		qdiscs: o.root != "" || src&netstack.SourceQdisc != 0}
}

// see adds the devices of one snapshot.
func (d *deviceCheck) see(s *netstack.Snapshot) {
	if len(d.want) == 0 {
		return
	}
	var linksErr, qdiscErr bool
	for _, e := range s.Errors {
		if e.Object != "" {
			continue
		}
		if e.Source&(netstack.SourceLinks|netstack.SourceDevices|netstack.SourceEthtool) != 0 {
			linksErr = true
			d.why = append(d.why, e.Error())
		}
		if e.Source&netstack.SourceQdisc != 0 {
			qdiscErr = true
			d.why = append(d.why, e.Error())
		}
	}
	add := func(name string) {
		if !d.found[name] {
			d.found[name] = true
			d.all = append(d.all, name)
		}
	}
	if d.links && !linksErr {
		d.known = true
		for i := range s.Sources.Links {
			add(s.Sources.Links[i].Name)
		}
	}
	if d.qdiscs && !qdiscErr {
		d.known = true
		for i := range s.Sources.Qdiscs {
			add(s.Sources.Qdiscs[i].Device)
		}
	}
}

func (d *deviceCheck) missing() []string {
	var out []string
	for _, n := range d.want {
		if !d.found[n] && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// err names the devices that do not exist, with the ones that do.
func (d *deviceCheck) err() error {
	if !d.known {
		return nil
	}
	miss := d.missing()
	if len(miss) == 0 {
		return nil
	}
	have := "there are no devices"
	if len(d.all) > 0 {
		have = "devices: " + strings.Join(compact(slices.Clone(d.all), 20), ", ")
	}
	what := "no device named"
	if len(miss) > 1 {
		what = "no devices named"
	}
	return fmt.Errorf("-devices: %s %s (%s)", what, strings.Join(miss, ", "), have)
}

// warnings says when the names could not be checked.
func (d *deviceCheck) warnings() []string {
	if len(d.want) == 0 || d.known {
		return nil
	}
	return []string{fmt.Sprintf("-devices: could not check %s against the device list: %s",
		strings.Join(d.want, ", "), strings.Join(compact(d.why, 3), "; "))}
}
