package main

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/packetpath/packetpath/netstack"
)

// metricsTablePath is the written table of every metric.
var metricsTablePath = filepath.Join("..", "..", "docs", "metrics.md")

// tableRow is one metric of docs/metrics.md.
type tableRow struct {
	family, typ, unit string
	labels            map[string]bool // label -> required (false: only some series)
	always            bool            // in every scrape of the test setup
}

// readMetricsTable parses the table rows of docs/metrics.md.
func readMetricsTable(t *testing.T) map[string]tableRow {
	t.Helper()
	b, err := os.ReadFile(metricsTablePath)
	if err != nil {
		t.Fatal(err)
	}
	tick := regexp.MustCompile("`([^`]*)`(\\??)")
	rows := map[string]tableRow{}
	for i, line := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "| "), " | ")
		if len(cells) != 7 {
			t.Errorf("%s:%d: %d columns, want 7: %q", metricsTablePath, i+1, len(cells), line)
			continue
		}
		r := tableRow{family: strings.Trim(cells[0], "`"), typ: cells[2], unit: strings.Trim(cells[3], "`"),
			labels: map[string]bool{}, always: cells[6] == "always"}
		for _, m := range tick.FindAllStringSubmatch(cells[4], -1) {
			r.labels[m[1]] = m[2] == ""
		}
		if _, dup := rows[r.family]; dup {
			t.Errorf("%s:%d: %s twice", metricsTablePath, i+1, r.family)
		}
		rows[r.family] = r
	}
	if len(rows) == 0 {
		t.Fatalf("%s: no table rows", metricsTablePath)
	}
	return rows
}

// scrapedFamily is one family of a Prometheus text scrape.
type scrapedFamily struct {
	typ    string
	series []map[string]string
}

var promLabel = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"`)

// parseScrape parses the Prometheus text format into families with the
// labels of each series.
func parseScrape(t *testing.T, text string) map[string]*scrapedFamily {
	t.Helper()
	fams := map[string]*scrapedFamily{}
	get := func(n string) *scrapedFamily {
		if fams[n] == nil {
			fams[n] = &scrapedFamily{}
		}
		return fams[n]
	}
	for _, line := range strings.Split(text, "\n") {
		if f, ok := strings.CutPrefix(line, "# TYPE "); ok {
			name, typ, _ := strings.Cut(f, " ")
			get(name).typ = typ
			continue
		}
		if line == "" || line[0] == '#' {
			continue
		}
		name, rest := line, ""
		if i := strings.IndexAny(line, "{ "); i >= 0 {
			name, rest = line[:i], line[i:]
		}
		lbls := map[string]string{}
		if strings.HasPrefix(rest, "{") {
			end := strings.LastIndexByte(rest, '}')
			if end < 0 {
				t.Errorf("unterminated label set: %q", line)
				continue
			}
			for _, m := range promLabel.FindAllStringSubmatch(rest[:end+1], -1) {
				lbls[m[1]] = m[2]
			}
		}
		f := get(name)
		f.series = append(f.series, lbls)
	}
	return fams
}

// unitSuffixOK reports whether a Prometheus family name carries the suffix
// of its OpenTelemetry unit, and no unit suffix otherwise.
func unitSuffixOK(family, unit string) bool {
	n := strings.TrimSuffix(family, "_total")
	switch unit {
	case "By":
		return strings.HasSuffix(n, "_bytes")
	case "s":
		return strings.HasSuffix(n, "_seconds")
	case "ms":
		return strings.HasSuffix(n, "_milliseconds")
	case "1":
		return strings.HasSuffix(n, "_ratio")
	}
	return !strings.HasSuffix(n, "_bytes") && !strings.HasSuffix(n, "_seconds") && !strings.HasSuffix(n, "_ratio") &&
		(unit == "" || (strings.HasPrefix(unit, "{") && strings.HasSuffix(unit, "}")))
}

// TestMetricTable compares docs/metrics.md with a real scrape of the
// exporter on a namespace under overload (all MIB groups, per-CPU, driver
// statistics, a -join socket): every family of the scrape is in the table
// with the same type and labels, every family the table says is always
// there is in the scrape, every series has the table's required labels,
// and no label value is empty or JSON.
func TestMetricTable(t *testing.T) {
	rows := readMetricsTable(t)
	for _, r := range rows {
		if !unitSuffixOK(r.family, r.unit) {
			t.Errorf("%s: name does not match unit %q", r.family, r.unit)
		}
		if (r.typ == "counter") != strings.HasSuffix(r.family, "_total") || (r.typ != "counter" && r.typ != "gauge") {
			t.Errorf("%s: type %s does not match the name", r.family, r.typ)
		}
	}
	text := overloadScrape(t, netstack.MIBGroupNames())
	fams := parseScrape(t, text)
	// The scrape is one under overload: the -join socket dropped, and both
	// views of it (its own series and its row of the UDP table) say so.
	own, n1 := sampleValue(t, text, "packetpath_socket_drops_total", `network_local_port="5066"`)
	row, n2 := sampleValue(t, text, "packetpath_udp_socket_drops_total", `network_local_port="5066"`)
	if n1 != 1 || n2 != 1 || own == 0 || own != row {
		t.Errorf("-join socket drops: own series %v (%d), UDP table %v (%d): want one each, equal and > 0", own, n1, row, n2)
	}
	series, values := 0, 0
	for name, f := range fams {
		r, ok := rows[name]
		if !ok {
			t.Errorf("scrape family %s (%s) is not in %s", name, f.typ, metricsTablePath)
			continue
		}
		if f.typ != r.typ {
			t.Errorf("%s: scrape type %s, table %s", name, f.typ, r.typ)
		}
		seen := map[string]bool{}
		for _, s := range f.series {
			series++
			for l, v := range s {
				values++
				seen[l] = true
				if _, ok := r.labels[l]; !ok {
					t.Errorf("%s: label %s=%q is not in the table", name, l, v)
				}
				if v == "" {
					t.Errorf("%s: label %s is empty", name, l)
				}
				if strings.HasPrefix(v, "[") || strings.HasPrefix(v, "{") || strings.Contains(v, `\"`) {
					t.Errorf("%s: label %s=%q looks like JSON", name, l, v)
				}
			}
			for l, required := range r.labels {
				if _, ok := s[l]; required && !ok {
					t.Errorf("%s: a series lacks the required label %s: %v", name, l, s)
				}
			}
		}
		for l := range r.labels {
			if !seen[l] && r.labels[l] {
				t.Errorf("%s: table label %s is on no series", name, l)
			}
		}
	}
	for name, r := range rows {
		if _, ok := fams[name]; !ok && r.always {
			t.Errorf("table family %s is not in the scrape", name)
		}
	}
	var names []string
	for n := range fams {
		names = append(names, n)
	}
	slices.Sort(names)
	t.Logf("%d table rows; scrape: %d families, %d series, %d label values checked; -join socket dropped %v (own series and UDP table agree)", len(rows), len(fams), series, values, own)
	if t.Failed() {
		t.Logf("families in the scrape: %s", strings.Join(names, " "))
	}
}
