package netstack

import (
	"github.com/packetpath/packetpath/procparse"
)

// SourceData is the typed data of each source of a snapshot, as the
// source's package returns it.
type SourceData struct {
	Softnet  procparse.SoftnetStat `json:"softnet"`
	SNMP     procparse.SNMP        `json:"snmp"`
	Netstat  procparse.SNMP        `json:"netstat"`
	SNMP6    procparse.SNMP6       `json:"snmp6"`
	Softirqs procparse.Softirqs    `json:"softirqs"`
	Sysctls  procparse.Sysctls     `json:"sysctls"`
}

// reset empties the data without releasing its memory.
func (d *SourceData) reset() {}
