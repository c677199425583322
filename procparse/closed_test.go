package procparse

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestClosedReaders checks the closed-handle convention: after Close, a
// reader's methods, Close included, return an error wrapping ErrClosed,
// net.ErrClosed and os.ErrClosed, and name the file.
func TestClosedReaders(t *testing.T) {
	fs, err := NewFS(filepath.Join("testdata", "linux-6.18-vm", "proc"))
	if err != nil {
		t.Fatal(err)
	}
	snmp, err := fs.SNMPReader()
	if err != nil {
		t.Fatal(err)
	}
	udp, err := fs.OpenUDPScan(FileUDP)
	if err != nil {
		t.Fatal(err)
	}
	sys, err := fs.SysctlsReader()
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]interface{ Close() error }{"SNMPReader": snmp, "UDPScanFile": udp, "SysctlsReader": sys} {
		if err := c.Close(); err != nil {
			t.Errorf("%s: first Close: %v", name, err)
		}
	}
	var s SNMP
	var sc Sysctls
	for name, err := range map[string]error{
		"SNMPReader.Read":     snmp.Read(&s),
		"SNMPReader.Close":    snmp.Close(),
		"UDPScanFile.Scan":    func() error { _, err := udp.Scan(UDPFilter{}); return err }(),
		"UDPScanFile.Close":   udp.Close(),
		"SysctlsReader.Read":  sys.Read(&sc),
		"SysctlsReader.Close": sys.Close(),
	} {
		if !errors.Is(err, ErrClosed) || !errors.Is(err, net.ErrClosed) || !errors.Is(err, os.ErrClosed) {
			t.Errorf("%s after Close = %v, want ErrClosed (net.ErrClosed, os.ErrClosed)", name, err)
		}
	}
	if err := snmp.Read(&s); err == nil || !strings.Contains(err.Error(), filepath.Join("net", "snmp")) {
		t.Errorf("closed SNMPReader error %v does not name the file", err)
	}
}
