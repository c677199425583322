package nic_test

import (
	"context"
	"fmt"
	"log"

	"github.com/packetpath/packetpath/nic"
)

// Dump every link's counters, then re-read one device's driver statistics.
// Set Config.NetNS to work inside another network namespace.
func ExampleClient() {
	c, err := nic.Open(nic.Config{})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	links, err := c.Links(context.Background(), nil)
	if err != nil {
		log.Fatal(err)
	}
	for _, l := range links {
		fmt.Println(l.Name, l.OperState, l.Stats.RxPackets, l.Stats.RxDropped)
	}
	s, err := c.OpenStats("eth0")
	if err != nil {
		log.Fatal(err) // errors.Is(err, errors.ErrUnsupported) for lo
	}
	vals, err := s.Read(nil)
	if err != nil {
		log.Fatal(err)
	}
	for i, name := range s.Names() {
		fmt.Println(name, vals[i])
	}
}
