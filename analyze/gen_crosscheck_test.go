package analyze

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/tokcost/tokcost/gen"
	"github.com/tokcost/tokcost/ingest"
	"github.com/tokcost/tokcost/pricing"
)

// TestAgainstGeneratorTruth runs generated fleets through the real pipeline
// and compares every session with the generator's ground truth. The
// generator prices sessions with its own rate table and formula (gen/rates.go),
// an independent implementation of the same vendor prices, and counts
// unique events itself, so agreement checks decoding, dedupe, session
// grouping and pricing at once.
func TestAgainstGeneratorTruth(t *testing.T) {
	for _, seed := range []uint64{1, 2} {
		var traces, truth bytes.Buffer
		sum, err := gen.Generate(&traces, &truth, gen.Options{Sessions: 2000, Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		d := loadString(t, Config{Prices: pricing.Embedded()}, traces.String())

		// Accounting: every line written is a record or a duplicate.
		c := d.Counts
		if c.Lines != int64(sum.Records) || c.Duplicates != int64(sum.Duplicates) || c.Records != int64(sum.Records-sum.Duplicates) || c.Invalid != 0 {
			t.Errorf("seed %d: counts %+v, generator wrote %d lines with %d duplicates", seed, c, sum.Records, sum.Duplicates)
		}
		if len(d.Sessions) != sum.Sessions {
			t.Fatalf("seed %d: %d sessions, want %d", seed, len(d.Sessions), sum.Sessions)
		}
		dec := json.NewDecoder(&truth)
		checked := 0
		for dec.More() {
			var tr gen.Truth
			if err := dec.Decode(&tr); err != nil {
				t.Fatal(err)
			}
			s := session(d, tr.SessionID)
			if s == nil {
				t.Fatalf("seed %d: session %s missing", seed, tr.SessionID)
			}
			if s.LLMCalls != tr.LLMCalls || s.ToolCalls != tr.ToolCalls || s.ToolErrors != tr.ToolErrors ||
				s.Tokens.Input != tr.InputTokens || s.Tokens.Output != tr.OutputTokens ||
				s.Tokens.CacheRead != tr.CacheReadTokens || s.Tokens.CacheWrite != tr.CacheWriteTokens ||
				s.Tokens.Reasoning != tr.ReasoningTokens || s.Duplicates != tr.DuplicatesWritten || s.Workflow != tr.Workflow {
				t.Errorf("seed %d session %s: got calls %d/%d/%d tokens %+v dups %d wf %s; truth %+v",
					seed, s.ID, s.LLMCalls, s.ToolCalls, s.ToolErrors, s.Tokens, s.Duplicates, s.Workflow, tr)
			}
			if math.Abs(s.CostUSD-tr.CostUSD) > 1e-9 {
				t.Errorf("seed %d session %s: cost %.10f, truth %.10f", seed, s.ID, s.CostUSD, tr.CostUSD)
			}
			if math.Abs(s.DurationS()-tr.DurationS) > 1e-3 {
				t.Errorf("seed %d session %s: duration %.3f, truth %.3f", seed, s.ID, s.DurationS(), tr.DurationS)
			}
			if s.UnpricedCalls != 0 {
				t.Errorf("seed %d session %s: %d unpriced calls", seed, s.ID, s.UnpricedCalls)
			}
			checked++
		}
		if checked != sum.Sessions {
			t.Errorf("seed %d: checked %d sessions of %d", seed, checked, sum.Sessions)
		}
	}
}

// TestSameResultOnAnyCoreCount: float sums must not depend on how many
// cores split the work, or a report's last digits (and golden files)
// would differ between machines. Also for a directory of small files,
// which are read side by side and finish in any order.
func TestSameResultOnAnyCoreCount(t *testing.T) {
	var traces bytes.Buffer
	if _, err := gen.Generate(&traces, nil, gen.Options{Sessions: 3000, Seed: 5}); err != nil {
		t.Fatal(err)
	}
	t.Run("one input", func(t *testing.T) {
		sameOnAnyCoreCount(t, func() *Dataset { return loadString(t, Config{Prices: pricing.Embedded()}, traces.String()) })
	})
	t.Run("many small files", func(t *testing.T) {
		dir := t.TempDir()
		lines := strings.SplitAfter(traces.String(), "\n")
		for i := 0; i*500 < len(lines); i++ {
			part := strings.Join(lines[i*500:min((i+1)*500, len(lines))], "")
			if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("part-%03d.jsonl", i)), []byte(part), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		sameOnAnyCoreCount(t, func() *Dataset {
			col := NewCollector()
			if _, err := ingest.Run([]string{dir}, ingest.Options{}, func(_ ingest.FileResult, i int) ingest.SinkFactory { return col.Factory(i) }); err != nil {
				t.Fatal(err)
			}
			return col.Finish(Config{Prices: pricing.Embedded()})
		})
	})
}

func sameOnAnyCoreCount(t *testing.T, load func() *Dataset) {
	run := func(procs int) (*Dataset, Runaway) {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		d := load()
		return d, DetectLoops(d, DefaultLoopConfig())
	}
	d1, r1 := run(1)
	d3, r3 := run(3)
	if len(d1.Models) != len(d3.Models) {
		t.Fatalf("models: %d vs %d", len(d1.Models), len(d3.Models))
	}
	for i := range d1.Models {
		if d1.Models[i] != d3.Models[i] {
			t.Errorf("model %d: %+v\nvs %+v", i, d1.Models[i], d3.Models[i])
		}
	}
	if r1.WastedCostUSD != r3.WastedCostUSD || r1.TotalCostUSD != r3.TotalCostUSD || r1.Count != r3.Count {
		t.Errorf("runaway: %v/%v/%d vs %v/%v/%d", r1.WastedCostUSD, r1.TotalCostUSD, r1.Count, r3.WastedCostUSD, r3.TotalCostUSD, r3.Count)
	}
	if s1, s3 := Stats(d1.Sessions), Stats(d3.Sessions); s1 != s3 {
		t.Errorf("stats differ:\n%+v\n%+v", s1, s3)
	}
}
