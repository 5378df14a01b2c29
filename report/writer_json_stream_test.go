package report

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"

	"github.com/tokcost/tokcost/analyze"
	"github.com/tokcost/tokcost/gen"
	"github.com/tokcost/tokcost/ingest"
	"github.com/tokcost/tokcost/pricing"
)

// encoderJSON is the reference the JSON writer is held to: the whole
// report through json.Encoder with SetIndent("", "  "), as the writer was
// before it streamed.
func encoderJSON(a *Analysis) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	err := enc.Encode(a)
	return b.Bytes(), err
}

// TestJSONWriterSameBytesAsEncoder holds the streamed JSON report to
// json.Encoder's bytes: a generated fleet with loop shapes (runaway
// sessions with evidence, tool arguments), the fixtures, the cap curve and
// its recommendation, groups, an empty report (runaway sessions nil: null),
// and text that encoding/json escapes (<, >, & and a line separator).
func TestJSONWriterSameBytesAsEncoder(t *testing.T) {
	if !chunkable() {
		t.Fatal("the report's structs cannot be written field by field: the chunked writer falls back to json.Encoder and this test compares it with itself")
	}
	var fleet bytes.Buffer
	if _, err := gen.Generate(&fleet, nil, gen.Options{Sessions: 1500, Seed: 5, LoopShapes: true}); err != nil {
		t.Fatal(err)
	}
	col := analyze.NewCollector()
	if _, err := ingest.Run([]string{"-", "../testdata/fleet.jsonl", "../testdata/retry15.jsonl"},
		ingest.Options{Stdin: bytes.NewReader(fleet.Bytes())},
		func(_ ingest.FileResult, i int) ingest.SinkFactory { return col.Factory(i) }); err != nil {
		t.Fatal(err)
	}
	loops := analyze.DefaultLoopConfig()
	d := col.FinishSummaries(analyze.Config{Prices: pricing.Embedded(), Loops: &loops, KeepCapCosts: true})
	full := Build(d, BuildOptions{TopN: 10, Caps: DefaultCaps(d)})
	if err := full.AddGroups(d, "workflow"); err != nil {
		t.Fatal(err)
	}
	if len(full.Runaway.Sessions) < 10 || full.CapRecommended == nil || len(full.Groups) < 2 {
		t.Fatalf("the report lacks runaway sessions, a recommended cap or groups: the comparison would not cover them")
	}
	escaped := *full
	escaped.Runaway.Sessions = append([]analyze.RunawaySession(nil), full.Runaway.Sessions[:3]...)
	escaped.Runaway.Sessions[1].Evidence = "a <b> & c\u2028d"
	escaped.GroupBy = "<team>"
	for name, a := range map[string]*Analysis{"fleet": full, "escaped": &escaped, "empty": {}} {
		want, err := encoderJSON(a)
		if err != nil {
			t.Fatal(err)
		}
		// Write (below its parallel threshold: one encoder) and the
		// field-by-field chunked form, 3 sessions a chunk.
		var got, chunked bytes.Buffer
		if err := (jsonWriter{}).Write(&got, a); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := writeJSONChunked(&chunked, a, 3); err != nil {
			t.Fatalf("%s chunked: %v", name, err)
		}
		if !bytes.Equal(got.Bytes(), want) {
			t.Errorf("%s: JSON differs from json.Encoder's:\n%s", name, firstDiff(string(want), got.String()))
		}
		if !bytes.Equal(chunked.Bytes(), want) {
			t.Errorf("%s: chunked JSON differs from json.Encoder's:\n%s", name, firstDiff(string(want), chunked.String()))
		}
	}
	// A value JSON cannot hold fails both, not silently.
	bad := escaped
	bad.Runaway.Sessions = append([]analyze.RunawaySession(nil), escaped.Runaway.Sessions...)
	bad.Runaway.Sessions[2].WastedCostUSD = math.NaN()
	if _, err := encoderJSON(&bad); err == nil {
		t.Fatal("json.Encoder took a NaN")
	}
	if err := (jsonWriter{}).Write(&bytes.Buffer{}, &bad); err == nil {
		t.Error("the writer took a NaN")
	}
	if err := writeJSONChunked(&bytes.Buffer{}, &bad, 1); err == nil {
		t.Error("the chunked writer took a NaN")
	}
}
