package procparse_test

import (
	"fmt"
	"log"

	"github.com/packetpath/packetpath/procparse"
)

// Which CPU handled a NIC queue's interrupts, and where it may run.
func ExampleFS_Interrupts() {
	fs, err := procparse.NewFS("testdata/irq/vm")
	if err != nil {
		log.Fatal(err)
	}
	in, err := fs.Interrupts()
	if err != nil {
		log.Fatal(err)
	}
	r := in.Row(38)
	fmt.Println(r.Actions, r.Chip, "hwirq", r.HWIRQ, r.Handler)
	for i, c := range r.Counts {
		fmt.Printf("CPU%d: %d\n", in.CPUs[i], c)
	}
	aff, err := fs.IRQAffinity(38)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("may run on", aff.Affinity.String(), "runs on", aff.Effective.String())
	fmt.Println("LOC total", in.NamedRow("LOC").Total())
	// Output:
	// virtio2-input.0 PCI-MSIX-0000:00:03.0 hwirq 1 edge
	// CPU0: 0
	// CPU1: 4905
	// may run on 0-1 runs on 1
	// LOC total 3570816
}
