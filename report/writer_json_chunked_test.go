package report

import (
	"bytes"
	"errors"
	"testing"

	"github.com/tokcost/tokcost/analyze"
	"github.com/tokcost/tokcost/gen"
	"github.com/tokcost/tokcost/ingest"
	"github.com/tokcost/tokcost/pricing"
)

// TestJSONChunkable fails when Analysis or Runaway gains a field the
// chunked JSON writer cannot write as encoding/json does: Write would
// then quietly fall back to one encoder on large fleets.
func TestJSONChunkable(t *testing.T) {
	if !chunkable() {
		t.Fatal("Analysis or analyze.Runaway has a field jsonFields does not handle; extend it (writer_json.go)")
	}
}

// genAnalysis analyses a generated fleet of n sessions with a cap sweep
// (so the omitempty cap fields are present) and groups by workflow.
func genAnalysis(t *testing.T, n int) *Analysis {
	t.Helper()
	var fleet bytes.Buffer
	if _, err := gen.Generate(&fleet, nil, gen.Options{Sessions: n, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	col := analyze.NewCollector()
	if _, err := ingest.Run([]string{"-"}, ingest.Options{Stdin: bytes.NewReader(fleet.Bytes())},
		func(_ ingest.FileResult, i int) ingest.SinkFactory { return col.Factory(i) }); err != nil {
		t.Fatal(err)
	}
	s := summaries(col.Finish(analyze.Config{Prices: pricing.Embedded()}))
	a := Build(s, BuildOptions{TopN: 10, Caps: []int{3, 10}})
	if err := a.AddGroups(s, "workflow"); err != nil {
		t.Fatal(err)
	}
	return a
}

// TestJSONChunkedEqualsEncoder checks the chunked writer against the one
// encoder it replaces (the reference: json.Encoder, SetIndent("", "  ")),
// byte for byte, on reports with and without the optional fields, for
// chunk sizes that do and do not divide the session count, and with no
// runaway session (empty list) or a nil list.
func TestJSONChunkedEqualsEncoder(t *testing.T) {
	full := genAnalysis(t, 600)
	if len(full.Runaway.Sessions) < 20 || full.CapCurve == nil || len(full.Groups) == 0 || full.CostCI == nil {
		t.Fatalf("the fixture should have runaway sessions, a cap curve, groups and cost CIs: %d, %v, %d, %v",
			len(full.Runaway.Sessions), full.CapCurve != nil, len(full.Groups), full.CostCI != nil)
	}
	bare := *full
	bare.CapCurve, bare.CapRecommended, bare.CostCI, bare.GroupBy, bare.Groups = nil, nil, nil, "", nil
	none := *full
	none.Runaway.Sessions = []analyze.RunawaySession{}
	null := *full
	null.Runaway.Sessions = nil
	for name, a := range map[string]*Analysis{"full": full, "bare": &bare, "no runaway": &none, "nil runaway": &null} {
		var want bytes.Buffer
		if err := writeJSONPlain(&want, a); err != nil {
			t.Fatal(err)
		}
		for _, chunk := range []int{1, 3, 7, len(a.Runaway.Sessions) + 1} {
			var got bytes.Buffer
			if err := writeJSONChunked(&got, a, chunk); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Bytes(), want.Bytes()) {
				i := 0
				for i < min(got.Len(), want.Len()) && got.Bytes()[i] == want.Bytes()[i] {
					i++
				}
				t.Fatalf("%s, chunk %d: differs from json.Encoder at byte %d: %q, want %q", name, chunk, i,
					got.Bytes()[max(0, i-40):min(got.Len(), i+40)], want.Bytes()[max(0, i-40):min(want.Len(), i+40)])
			}
		}
	}
}

// TestJSONWriterLargeIsChunked checks that Write takes the chunked path
// past parallelJSONAfter runaway sessions and still equals the encoder.
func TestJSONWriterLargeIsChunked(t *testing.T) {
	a := genAnalysis(t, 300)
	// Repeat the runaway sessions past the threshold: the writer only
	// counts them.
	rs := a.Runaway.Sessions
	for len(a.Runaway.Sessions) <= parallelJSONAfter {
		a.Runaway.Sessions = append(a.Runaway.Sessions, rs...)
	}
	var want, got bytes.Buffer
	if err := writeJSONPlain(&want, a); err != nil {
		t.Fatal(err)
	}
	if err := (jsonWriter{}).Write(&got, a); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), want.Bytes()) {
		t.Fatal("Write past the threshold differs from json.Encoder")
	}
}

// failAfter fails every write after the first n bytes.
type failAfter struct{ n int }

var errFull = errors.New("disk full")

func (f *failAfter) Write(p []byte) (int, error) {
	if len(p) > f.n {
		k := f.n
		f.n = 0
		return k, errFull
	}
	f.n -= len(p)
	return len(p), nil
}

// TestJSONChunkedWriteError checks that a failing output is reported
// wherever it fails (in the fields before, inside or after the sessions)
// and that the encoding goroutines end.
func TestJSONChunkedWriteError(t *testing.T) {
	a := genAnalysis(t, 300)
	var all bytes.Buffer
	if err := writeJSONPlain(&all, a); err != nil {
		t.Fatal(err)
	}
	for _, at := range []int{0, 100, all.Len() / 2, all.Len() - 10} {
		if err := writeJSONChunked(&failAfter{at}, a, 2); !errors.Is(err, errFull) {
			t.Errorf("failing after %d bytes: err %v, want %v", at, err, errFull)
		}
	}
}
