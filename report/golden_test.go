package report

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/tokcost/tokcost/analyze"
	"github.com/tokcost/tokcost/ingest"
	"github.com/tokcost/tokcost/pricing"
)

var update = flag.Bool("update", false, "rewrite report/testdata/*.golden from the current output")

// golden compares got with testdata/name, or rewrites it with -update.
// Goldens are reviewed renderings: look at the diff before committing.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./report/ -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test ./report/ -update rewrites it; review the diff):\n%s", name, firstDiff(string(want), string(got)))
	}
}

// firstDiff shows the first differing line, enough to see what moved.
func firstDiff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(wl) || i < len(gl); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return "line " + strconv.Itoa(i+1) + ":\n want: " + clip(w) + "\n  got: " + clip(g)
		}
	}
	return "(same lines, different bytes)"
}

func clip(s string) string {
	if len(s) > 300 {
		return s[:300] + "…"
	}
	return s
}

// load runs the real pipeline over repository fixtures.
func load(t *testing.T, files ...string) *analyze.Dataset {
	t.Helper()
	col := analyze.NewCollector()
	paths := make([]string, len(files))
	for i, f := range files {
		paths[i] = filepath.Join("..", "testdata", f)
	}
	if _, err := ingest.Run(paths, ingest.Options{}, func(_ ingest.FileResult, i int) ingest.SinkFactory { return col.Factory(i) }); err != nil {
		t.Fatal(err)
	}
	return col.Finish(analyze.Config{Prices: pricing.Embedded()})
}

// summaries is d as the reports take it: loops found with the default
// configuration, call costs kept for the cap sweep.
func summaries(d *analyze.Dataset) *analyze.Summaries {
	return d.Summaries(analyze.DefaultLoopConfig(), true)
}

// build runs the real pipeline over repository fixtures and pins the fields
// that change with the build or the price table, so goldens only move when
// a rendering or a computation does.
func build(t *testing.T, opt BuildOptions, files ...string) *Analysis {
	t.Helper()
	return buildFrom(t, load(t, files...), opt, files...)
}

func buildFrom(t *testing.T, d *analyze.Dataset, opt BuildOptions, files ...string) *Analysis {
	t.Helper()
	opt.Tool = ToolInfo{Name: "tokcost", Version: "test"}
	for _, f := range files {
		opt.Files = append(opt.Files, ingest.FileResult{Name: filepath.Join("..", "testdata", f), Format: "jsonl"})
	}
	if opt.CostSource == "" {
		opt.CostSource = "auto"
	}
	a := Build(summaries(d), opt)
	a.Pricing.Version, a.Pricing.SHA256 = "pinned", "0123456789abcdef"
	return a
}

// render writes a through the named format's registered writer.
func render(t *testing.T, format string, a *Analysis) []byte {
	t.Helper()
	w, err := AnalyzeWriters.Lookup(format, WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := w.Write(&b, a); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
