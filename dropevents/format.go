package dropevents

import (
	"bytes"
	"strconv"
	"strings"

	"github.com/packetpath/packetpath/internal/scan"
)

// Format is the parsed content of a tracefs event format file,
// events/<system>/<name>/format, which the kernel generates for each
// tracepoint from its TRACE_EVENT definition (kernel/trace/trace_events.c,
// f_show). It says how the raw record a perf sample carries is laid out.
type Format struct {
	// System is the event's subsystem ("skb", "udp", "sock"). The file does
	// not name it: TraceFS.Format fills it in; ParseFormat leaves it empty.
	System string
	// Name is the event name from the "name:" line ("kfree_skb").
	Name string
	// ID is the event's id from the "ID:" line: the perf_event_attr config
	// for PERF_TYPE_TRACEPOINT and the value of the record's common_type.
	ID uint64
	// Fields lists the record's fields in file order, the common_* header
	// fields first.
	Fields []Field
	// PrintFmt is the text after "print fmt: ", the TP_printk format and
	// arguments, with enum names already replaced by numbers where the
	// kernel has TRACE_DEFINE_ENUM entries for them.
	PrintFmt string
}

// Field is one "field:" line of a format file.
type Field struct {
	// Name is the field's name without an array suffix ("saddr").
	Name string
	// Type is the C type as the kernel prints it ("enum skb_drop_reason",
	// "__u8", "__data_loc char[]").
	Type string
	// ArrayLen is N for a field declared name[N], 0 otherwise.
	ArrayLen int
	// Offset and Size are in bytes from the start of the raw record.
	Offset, Size int
	// Signed is the "signed:" flag (false when an old kernel omits it).
	Signed bool
}

// Symbol is one { value, "NAME" } pair of a __print_symbolic list.
type Symbol struct {
	Value uint64
	Name  string
}

// maxRecord bounds offsets and sizes: a perf raw record's size is a u32 but
// the perf event header that carries it has a 16-bit size.
const maxRecord = 1 << 16

// Field returns the field with the given name.
func (f *Format) Field(name string) (Field, bool) {
	for _, fl := range f.Fields {
		if fl.Name == name {
			return fl, true
		}
	}
	return Field{}, false
}

// ParseFormat parses the content of a tracefs event format file. file names
// the source in errors. Errors wrap ErrMalformed.
func ParseFormat(file string, b []byte) (*Format, error) {
	f := &Format{}
	var haveName, haveID bool
	for n := 1; len(b) > 0; n++ {
		var line []byte
		line, b = scan.Line(b)
		t := scan.TrimSpace(line)
		switch {
		case len(t) == 0, bytes.Equal(t, []byte("format:")):
		case bytes.HasPrefix(t, []byte("name:")):
			f.Name = string(scan.TrimSpace(t[len("name:"):]))
			if f.Name == "" {
				return nil, malformed(file, n, nil, "empty name")
			}
			haveName = true
		case bytes.HasPrefix(t, []byte("ID:")):
			id, err := scan.Uint(scan.TrimSpace(t[len("ID:"):]))
			if err != nil {
				return nil, malformed(file, n, err, "bad ID %q", t)
			}
			f.ID, haveID = id, true
		case bytes.HasPrefix(t, []byte("field:")):
			fl, err := parseField(t[len("field:"):])
			if err != nil {
				return nil, malformed(file, n, err, "bad field line %q", t)
			}
			f.Fields = append(f.Fields, fl)
		case bytes.HasPrefix(t, []byte("print fmt:")):
			f.PrintFmt = string(scan.TrimSpace(t[len("print fmt:"):]))
		default:
			return nil, malformed(file, n, nil, "unexpected line %q", t)
		}
	}
	if !haveName {
		return nil, malformed(file, 0, nil, "no name line")
	}
	if !haveID {
		return nil, malformed(file, 0, nil, "no ID line")
	}
	return f, nil
}

// parseField parses "TYPE NAME;\toffset:N;\tsize:N;\tsigned:N;".
func parseField(b []byte) (Field, error) {
	var fl Field
	decl, rest, ok := bytes.Cut(b, []byte(";"))
	if !ok {
		return fl, ErrMalformed
	}
	decl = scan.TrimSpace(decl)
	sp := bytes.LastIndexAny(decl, " \t")
	if sp < 0 {
		return fl, ErrMalformed
	}
	name := decl[sp+1:]
	fl.Type = string(scan.TrimSpace(decl[:sp]))
	if i := bytes.IndexByte(name, '['); i >= 0 {
		if name[len(name)-1] != ']' {
			return fl, ErrMalformed
		}
		if dim := name[i+1 : len(name)-1]; len(dim) > 0 {
			n, err := scan.Uint(dim)
			if err != nil || n > maxRecord {
				return fl, ErrMalformed
			}
			fl.ArrayLen = int(n)
		}
		name = name[:i]
	}
	if len(name) == 0 || fl.Type == "" {
		return fl, ErrMalformed
	}
	fl.Name = string(name)
	var haveOff, haveSize bool
	for len(rest) > 0 {
		var item []byte
		item, rest, _ = bytes.Cut(rest, []byte(";"))
		item = scan.TrimSpace(item)
		if len(item) == 0 {
			continue
		}
		key, val, ok := bytes.Cut(item, []byte(":"))
		if !ok {
			return fl, ErrMalformed
		}
		v, err := scan.Uint(scan.TrimSpace(val))
		if err != nil || v > maxRecord {
			return fl, ErrMalformed
		}
		switch string(key) {
		case "offset":
			fl.Offset, haveOff = int(v), true
		case "size":
			fl.Size, haveSize = int(v), true
		case "signed":
			fl.Signed = v != 0
		}
	}
	if !haveOff || !haveSize || fl.Offset+fl.Size > maxRecord {
		return fl, ErrMalformed
	}
	return fl, nil
}

// Symbols returns the { value, "NAME" } list of the
// __print_symbolic(REC->field, ...) call in the print format: for
// skb:kfree_skb's reason field, the names of enum skb_drop_reason
// (include/net/dropreason-core.h) with the numbers of the running kernel.
// It returns (nil, nil) when the print format has no such call, and an
// error wrapping ErrMalformed when the list does not parse, for example
// when a value is an enum name the kernel did not resolve to a number.
func (f *Format) Symbols(field string) ([]Symbol, error) {
	file := f.System + "/" + f.Name + "/format"
	key := "__print_symbolic(REC->" + field
	s := f.PrintFmt
	for {
		i := strings.Index(s, key)
		if i < 0 {
			return nil, nil
		}
		s = strings.TrimLeft(s[i+len(key):], " \t")
		if strings.HasPrefix(s, ",") {
			break
		}
	}
	s = s[1:]
	var syms []Symbol
	for {
		s = strings.TrimLeft(s, " \t,")
		if strings.HasPrefix(s, ")") {
			return syms, nil
		}
		if !strings.HasPrefix(s, "{") {
			return nil, malformed(file, 0, nil, "symbol list of %s: want '{' at %.20q", field, s)
		}
		s = strings.TrimLeft(s[1:], " \t")
		comma := strings.IndexByte(s, ',')
		if comma < 0 {
			return nil, malformed(file, 0, nil, "symbol list of %s: no comma after value", field)
		}
		v, err := parseSymbolValue(strings.TrimSpace(s[:comma]))
		if err != nil {
			return nil, malformed(file, 0, err, "symbol list of %s: value %q", field, strings.TrimSpace(s[:comma]))
		}
		s = strings.TrimLeft(s[comma+1:], " \t")
		name, rest, err := quoted(s)
		if err != nil {
			return nil, malformed(file, 0, err, "symbol list of %s: name", field)
		}
		s = strings.TrimLeft(rest, " \t")
		if !strings.HasPrefix(s, "}") {
			return nil, malformed(file, 0, nil, "symbol list of %s: want '}' after %q", field, name)
		}
		s = s[1:]
		syms = append(syms, Symbol{Value: v, Name: name})
	}
}

// parseSymbolValue accepts decimal, 0x hex and negative numbers (stored as
// two's complement, as the kernel's unsigned long would hold them).
func parseSymbolValue(s string) (uint64, error) {
	if strings.HasPrefix(s, "-") {
		v, err := strconv.ParseInt(s, 0, 64)
		return uint64(v), err
	}
	return strconv.ParseUint(s, 0, 64)
}

// quoted reads a C string literal at the start of s and returns its content
// (backslash escapes kept as the character after the backslash).
func quoted(s string) (string, string, error) {
	if !strings.HasPrefix(s, `"`) {
		return "", s, ErrMalformed
	}
	esc := false
	for i := 1; i < len(s); i++ {
		switch {
		case esc:
			esc = false
		case s[i] == '\\':
			esc = true
		case s[i] == '"':
			name := s[1:i]
			if strings.IndexByte(name, '\\') >= 0 {
				var b strings.Builder
				for j := 0; j < len(name); j++ {
					if name[j] == '\\' && j+1 < len(name) {
						j++
					}
					b.WriteByte(name[j])
				}
				name = b.String()
			}
			return name, s[i+1:], nil
		}
	}
	return "", s, ErrMalformed
}
