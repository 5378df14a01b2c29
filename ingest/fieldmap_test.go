package ingest_test

import (
	"strings"
	"testing"

	"github.com/tokcost/tokcost/ingest"
	_ "github.com/tokcost/tokcost/ingest/csvfmt"
	_ "github.com/tokcost/tokcost/ingest/mapped"
	_ "github.com/tokcost/tokcost/ingest/parquet"
)

// TestFieldMapFormat: --map's format is declared by the formats, not named
// by the caller. The mapped format declares itself the default and CSV
// reads a mapping (their FieldMap methods); every other format refuses one.
func TestFieldMapFormat(t *testing.T) {
	for _, c := range []struct{ named, want, err string }{
		{"", "mapped", ""},
		{"mapped", "mapped", ""},
		{"csv", "csv", ""},
		{"jsonl", "", "--map is read by the formats csv, mapped (the default); it cannot be combined with --input-format jsonl"},
		{"parquet", "", "cannot be combined with --input-format parquet"},
		{"nope", "", `unknown input format "nope"`},
	} {
		got, err := ingest.FieldMapFormat(c.named)
		if c.err == "" {
			if err != nil || got != c.want {
				t.Errorf("FieldMapFormat(%q) = %q, %v; want %q", c.named, got, err, c.want)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.err) {
			t.Errorf("FieldMapFormat(%q) error = %v; want it to contain %q", c.named, err, c.err)
		}
	}
}
