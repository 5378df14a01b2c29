package report

import (
	"strings"
	"testing"
)

// The registries list what README.md documents for each command's
// -f/--format, sorted; an unknown format is an error naming the valid ones.
func TestRegistries(t *testing.T) {
	for _, c := range []struct {
		name string
		got  []string
		want string // README.md's -f rows and the command sections
	}{
		{"analyze", AnalyzeWriters.Names(), "csv html json markdown table"},
		{"whatif", WhatifWriters.Names(), "json table"},
		{"check", CheckWriters.Names(), "json markdown table"},
		{"diff", DiffWriters.Names(), "json markdown table"},
		{"trend", TrendWriters.Names(), "html json markdown table"},
		{"prices", PricesWriters.Names(), "json table"},
	} {
		if got := strings.Join(c.got, " "); got != c.want {
			t.Errorf("%s formats %q, want %q", c.name, got, c.want)
		}
	}
	if _, err := CheckWriters.Lookup("csv", WriterOptions{}); err == nil || err.Error() != `unknown format "csv" (valid: json, markdown, table)` {
		t.Errorf("Lookup(csv) error %v", err)
	}
	if got := WhatifWriters.FlagHelp(); got != "output format: json, table" {
		t.Errorf("FlagHelp %q", got)
	}
	defer func() {
		if recover() == nil {
			t.Error("a format registered twice did not panic")
		}
	}()
	var g Registry[CheckResult]
	registerPlain(&g, "x", FormatWriter[CheckResult](checkTable{}))
	registerPlain(&g, "x", FormatWriter[CheckResult](checkTable{}))
}

// The CSV writer the registry makes carries WriterOptions.CSVRaw (analyze
// --csv-raw), which analyze used to special-case after the lookup.
func TestRegistryCSVOptions(t *testing.T) {
	for _, raw := range []bool{false, true} {
		w, err := AnalyzeWriters.Lookup("csv", WriterOptions{CSVRaw: raw})
		if err != nil {
			t.Fatal(err)
		}
		if cw, ok := w.(csvWriter); !ok || cw.raw != raw {
			t.Errorf("raw=%v: got %#v", raw, w)
		}
	}
}
