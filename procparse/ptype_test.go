package procparse

import (
	"errors"
	"testing"

	"github.com/packetpath/packetpath/internal/netnstest"
	"golang.org/x/sys/unix"
)

func TestPacketTypesFixture(t *testing.T) {
	want := []PacketHandler{
		{Type: 0x0800, Func: "ip_rcv"},
		{Type: 0x0004, Func: "llc_rcv"},
		{Type: 0x0806, Func: "arp_rcv"},
		{Type: 0x86dd, Func: "ipv6_rcv"},
	}
	for _, name := range []string{"linux-6.18-vm", "linux-6.18-netns-udp-drops"} {
		pt, err := bFixture(t, name).PacketTypes()
		if err != nil {
			t.Fatal(err)
		}
		if len(pt.Handlers) != len(want) {
			t.Fatalf("%s: %d handlers, want %d: %+v", name, len(pt.Handlers), len(want), pt.Handlers)
		}
		for i, h := range pt.Handlers {
			if h != want[i] {
				t.Errorf("%s: handler %d = %+v, want %+v", name, i, h, want[i])
			}
		}
		if pt.CountAll() != 0 {
			t.Errorf("%s: CountAll = %d, want 0", name, pt.CountAll())
		}
	}
}

func TestParsePacketTypesLayouts(t *testing.T) {
	// Lines as ptype_seq_show prints them for taps, device-bound handlers,
	// module symbols and long device names.
	in := "Type Device      Function\n" +
		"ALL  eth0     packet_rcv\n" +
		"ALL           tpacket_rcv [af_packet]\n" +
		"0800 verylongname15 ip_rcv\n" +
		"88cc          0xffffffffc0123456\n"
	var pt PacketTypes
	if err := ParsePacketTypes([]byte(in), &pt); err != nil {
		t.Fatal(err)
	}
	want := []PacketHandler{
		{All: true, Device: "eth0", Func: "packet_rcv"},
		{All: true, Func: "tpacket_rcv [af_packet]"},
		{Type: 0x0800, Device: "verylongname15", Func: "ip_rcv"},
		{Type: 0x88cc, Func: "0xffffffffc0123456"},
	}
	if len(pt.Handlers) != len(want) {
		t.Fatalf("%d handlers: %+v", len(pt.Handlers), pt.Handlers)
	}
	for i := range want {
		if pt.Handlers[i] != want[i] {
			t.Errorf("handler %d = %+v, want %+v", i, pt.Handlers[i], want[i])
		}
	}
	if pt.CountAll() != 2 {
		t.Errorf("CountAll = %d, want 2", pt.CountAll())
	}
	for _, bad := range []string{"", "Bogus\n", "Type Device Function\nzz00          ip_rcv\n",
		"Type Device Function\n0800\n", "Type Device Function\n080000 ip_rcv\n"} {
		if err := ParsePacketTypes([]byte(bad), &pt); !errors.Is(err, ErrMalformed) {
			t.Errorf("ParsePacketTypes(%q) = %v, want ErrMalformed", bad, err)
		}
	}
}

func TestPacketTypesAllocs(t *testing.T) {
	b := bRead(t, "linux-6.18-vm", "proc", "net", "ptype")
	var pt PacketTypes
	if err := ParsePacketTypes(b, &pt); err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(100, func() { _ = ParsePacketTypes(b, &pt) }); n != 0 {
		t.Errorf("ParsePacketTypes allocates %v times per re-parse, want 0", n)
	}
}

// TestPacketTypesNamespace opens an AF_PACKET tap bound to lo inside a fresh
// namespace and checks it shows as "ALL lo packet_rcv" there, through a
// Reader opened inside the namespace and read after leaving it.
func TestPacketTypesNamespace(t *testing.T) {
	ns := netnstest.New(t)
	var r *Reader[PacketTypes]
	err := ns.Do(func() error {
		fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, int(bHtons(unix.ETH_P_ALL)))
		if err != nil {
			return err
		}
		t.Cleanup(func() { unix.Close(fd) })
		if err := unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: bHtons(unix.ETH_P_ALL), Ifindex: 1}); err != nil {
			return err
		}
		fs, err := NewDefaultFS()
		if err != nil {
			return err
		}
		r, err = fs.PacketTypesReader()
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var pt PacketTypes
	if err := r.Read(&pt); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, h := range pt.Handlers {
		if h.All && h.Device == "lo" && (h.Func == "packet_rcv" || h.Func == "tpacket_rcv") {
			found = true
		}
	}
	if !found {
		t.Errorf("tap on lo not listed: %+v", pt.Handlers)
	}
	if n := testing.AllocsPerRun(20, func() { _ = r.Read(&pt) }); n != 0 {
		t.Errorf("PacketTypes Reader.Read allocates %v times, want 0", n)
	}
}

func bHtons(v uint16) uint16 { return v<<8 | v>>8 }

func FuzzPacketTypes(f *testing.F) {
	f.Add(bRead(f, "linux-6.18-vm", "proc", "net", "ptype"))
	f.Add([]byte("Type Device      Function\nALL  eth0     packet_rcv\nALL           tpacket_rcv [af_packet]\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		var pt PacketTypes
		if err := ParsePacketTypes(b, &pt); err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error does not wrap ErrMalformed: %v", err)
			}
			return
		}
		for _, h := range pt.Handlers {
			if h.Func == "" || (h.All && h.Type != 0) {
				t.Fatalf("bad handler %+v", h)
			}
		}
	})
}

func BenchmarkParsePacketTypes(b *testing.B) {
	in := bRead(b, "linux-6.18-vm", "proc", "net", "ptype")
	var pt PacketTypes
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		if err := ParsePacketTypes(in, &pt); err != nil {
			b.Fatal(err)
		}
	}
}
