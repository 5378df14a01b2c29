package pricing

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"strings"
	"testing"
	"time"
)

func TestLoadFileCustomYAML(t *testing.T) {
	base := Embedded()
	tb, err := LoadFile("testdata/custom.yaml", base)
	if err != nil {
		t.Fatal(err)
	}
	// A new model, reachable by its alias; prices from the file ($/MTok).
	m := mustLookup(t, tb, "my-alias", "", 0)
	r := m.Rates
	if m.Key != "my-model" || !near(r.Input, mtok(3)) || !near(r.Output, mtok(15)) || !near(r.CacheRead, mtok(0.3)) ||
		!near(r.CacheWrite, mtok(3.75)) || !near(r.CacheWrite1h, mtok(6)) || !r.HasCacheRead || !r.HasCacheWrite {
		t.Errorf("my-alias = %+v", m)
	}
	// o3: the file's $1/$4 from 2025-09-01; before it the embedded history
	// stays (CSV: $10/$40 from 2025-04-16, $2/$8 from 2025-06-11).
	for _, tt := range []struct {
		at      string
		in, out float64
	}{
		{"2025-05-01T00:00:00Z", 10, 40},
		{"2025-08-31T23:59:59Z", 2, 8},
		{"2025-09-01T00:00:00Z", 1, 4},
		{"", 1, 4},
	} {
		var ns int64
		if tt.at != "" {
			ns = at(tt.at)
		}
		r := mustLookup(t, tb, "o3", "", ns).Rates
		if !near(r.Input, mtok(tt.in)) || !near(r.Output, mtok(tt.out)) {
			t.Errorf("o3 at %q = %g/%g, want %g/%g per MTok", tt.at, r.Input*1e6, r.Output*1e6, tt.in, tt.out)
		}
	}
	// The base table is unchanged: o3 latest is still $2.
	if r := mustLookup(t, base, "o3", "", 0).Rates; !near(r.Input, mtok(2)) {
		t.Errorf("base o3 changed to %g", r.Input)
	}
	// Tier: 150k input > 100k: 150000·$2 + 1000·$4 per MTok = 0.3 + 0.004 = 0.304.
	tier := mustLookup(t, tb, "my-tiered", "", 0).Rates
	if got := tier.Cost(Usage{Input: 150_000, Output: 1000}); !near(got, 0.304) {
		t.Errorf("my-tiered cost = %g, want 0.304", got)
	}
	info := tb.Info()
	// sha256sum testdata/custom.yaml
	const fileSum = "0b5618e22cf89044b53bf4dddfe310c39be4fe0224d5daba852d7b358462d414"
	both := sha256.Sum256([]byte(base.Info().SHA256 + "\n" + fileSum))
	if info.Source != "embedded+testdata/custom.yaml" || info.Version != base.Info().Version+"+custom.yaml" ||
		info.SHA256 != hex.EncodeToString(both[:]) {
		t.Errorf("Info = %+v", info)
	}
}

func TestLoadFileCustomJSON(t *testing.T) {
	tb, err := LoadFile("testdata/custom.json", nil)
	if err != nil {
		t.Fatal(err)
	}
	if tb.Len() != 1 {
		t.Errorf("Len = %d, want 1 (json-model)", tb.Len())
	}
	// Two dated prices: 0.5/2.5 from 2026-01-01, 0.4/2 from 2026-06-01; earlier → earliest.
	for _, tt := range []struct {
		at string
		in float64
	}{{"2025-01-01T00:00:00Z", 0.5}, {"2026-05-31T00:00:00Z", 0.5}, {"2026-06-01T00:00:00Z", 0.4}} {
		m := mustLookup(t, tb, "json-alias", "", at(tt.at))
		if !near(m.Rates.Input, mtok(tt.in)) {
			t.Errorf("json-alias at %s = %g, want %g per MTok", tt.at, m.Rates.Input*1e6, tt.in)
		}
	}
	if m := mustLookup(t, tb, "json-model", "", 0); m.Rates.HasCacheRead || m.Rates.HasCacheWrite {
		t.Errorf("no cache prices given, got %+v", m.Rates)
	}
}

func TestLoadFileLiteLLM(t *testing.T) {
	base := Embedded()
	tb, err := LoadFile("testdata/litellm_small.json", base)
	if err != nil {
		t.Fatal(err)
	}
	r := mustLookup(t, tb, "acme/chat-1", "", 0).Rates
	if !near(r.Input, 2e-6) || !near(r.Output, 8e-6) || !near(r.CacheRead, 5e-7) || !r.HasCacheRead || r.HasCacheWrite {
		t.Errorf("acme/chat-1 = %+v", r)
	}
	if _, ok := tb.Lookup("acme/embed-1", "", 0); ok {
		t.Error("embedding model was loaded")
	}
	if _, ok := tb.Lookup("sample_spec", "", 0); ok {
		t.Error("sample_spec was loaded as a model")
	}
	// gpt-4o replaced: $2/$8 at every date (LiteLLM entries are undated).
	for _, ns := range []int64{0, at("2025-03-01T00:00:00Z")} {
		if r := mustLookup(t, tb, "gpt-4o", "", ns).Rates; !near(r.Input, 2e-6) {
			t.Errorf("gpt-4o at %d = %g, want 2e-6", ns, r.Input)
		}
	}
	if tb.Len() != base.Len()+1 {
		t.Errorf("Len = %d, want base %d + 1", tb.Len(), base.Len())
	}
}

func TestLoadFileErrors(t *testing.T) {
	tests := []struct{ file, want string }{
		{"testdata/bad_unknown_key.yaml", "outptu"},
		{"testdata/bad_unknown_key.json", "cache_reed"},
		{"testdata/bad_missing_output.yaml", "no-output"},
		{"testdata/bad_negative.yaml", "-1"},
		{"testdata/bad_date.yaml", "2026-13-01"},
		{"testdata/bad_alias.yaml", "not-a-model"},
		{"testdata/bad_litellm.json", "acme/broken"},
		{"testdata/does_not_exist.yaml", "does_not_exist.yaml"},
	}
	for _, tt := range tests {
		_, err := LoadFile(tt.file, Embedded())
		if err == nil {
			t.Errorf("LoadFile(%s) succeeded, want an error", tt.file)
			continue
		}
		if !strings.Contains(err.Error(), tt.file) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("LoadFile(%s) error %q should name the file and %q", tt.file, err, tt.want)
		}
	}
}

func FuzzLoadFile(f *testing.F) {
	for _, name := range []string{"custom.yaml", "custom.json", "litellm_small.json", "bad_litellm.json", "bad_date.yaml"} {
		data, err := os.ReadFile("testdata/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(name, data)
	}
	f.Fuzz(func(t *testing.T, name string, data []byte) {
		if strings.HasSuffix(name, "yaml") {
			name = "f.yaml"
		} else {
			name = "f.json"
		}
		tb, err := loadBytes(name, data, nil)
		if err != nil {
			return
		}
		for _, k := range tb.Keys() {
			hist, _ := tb.History(k)
			for _, p := range hist {
				r := p.Rates
				for _, v := range []float64{r.Input, r.Output, r.CacheRead, r.CacheWrite, r.CacheWrite1h, r.Reasoning,
					r.InputAbove, r.OutputAbove, r.CacheReadAbove, r.CacheWriteAbove} {
					if !(v >= 0) {
						t.Fatalf("%s: bad price %v in %+v", k, v, r)
					}
				}
			}
			if _, ok := tb.Lookup(k, "", 0); !ok {
				t.Fatalf("key %q does not look itself up", k)
			}
		}
	})
}

func TestLoadFileTier1h(t *testing.T) {
	yml := []byte("models:\n  - {model: m, input: 1, output: 5, cache_write: 1.25, cache_write_1h: 2, tier_above: 1000, input_above: 2, cache_write_1h_above: 4}\n")
	tb, err := loadBytes("p.yaml", yml, nil)
	if err != nil {
		t.Fatal(err)
	}
	r := mustLookup(t, tb, "m", "", 0).Rates
	// 2000 input tokens, all 1h writes, above the 1000 tier: 2000·$4/MTok = 0.008.
	if got := r.Cost(Usage{Input: 2000, CacheWrite: 2000, CacheWrite1h: 2000}); !near(got, 0.008) {
		t.Errorf("Cost = %g, want 0.008", got)
	}
	// cache_write_1h_above alone still needs tier_above.
	if _, err := loadBytes("p.yaml", []byte("models:\n  - {model: m, input: 1, output: 5, cache_write_1h_above: 4}\n"), nil); err == nil {
		t.Error("cache_write_1h_above without tier_above: no error")
	}
}

// TestMatchFile: a call is attributed to the price file only where the
// file's rates are the ones billed, so reports can split cost between the
// embedded table and overrides (pricing.cost_by_source).
func TestMatchFile(t *testing.T) {
	yml := []byte("models:\n  - {model: gpt-4o, input: 1, output: 2, effective_from: 2026-01-01}\n  - {model: acme-x, input: 1, output: 2}\n")
	tb, err := loadBytes("over.yaml", yml, Embedded())
	if err != nil {
		t.Fatal(err)
	}
	before := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC).UnixNano()
	after := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC).UnixNano()
	for _, c := range []struct {
		model string
		at    int64
		want  string
	}{
		{"gpt-4o", before, ""},         // base history before effective_from stays the table's
		{"gpt-4o", after, "over.yaml"}, // the file's period
		{"acme-x", 0, "over.yaml"},     // a key only the file has
		{"claude-opus-4-6", 0, ""},     // untouched key
	} {
		if got := mustLookup(t, tb, c.model, "", c.at).File; got != c.want {
			t.Errorf("%s at %d: File = %q, want %q", c.model, c.at, got, c.want)
		}
	}
	// A LiteLLM file's entries are the file's too.
	lt, err := loadBytes("new.json", []byte(`{"acme-y": {"mode": "chat", "input_cost_per_token": 1e-6, "output_cost_per_token": 2e-6}}`), Embedded())
	if err != nil {
		t.Fatal(err)
	}
	if f := mustLookup(t, lt, "acme-y", "", 0).File; f != "new.json" {
		t.Errorf("new.json: File = %q", f)
	}
}
