package pricing

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A price file entry of 0/0 follows the documented rule (docs/pricing.md:
// 0/0 is "no price"): the model is unpriced, never billed $0, in both
// price-file formats; an existing price is left in force.
func TestLoadFileZeroZeroIsUnpriced(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"p.json": `{"my-local-model": {"litellm_provider": "ollama", "mode": "chat", "input_cost_per_token": 0, "output_cost_per_token": 0},
 "o3": {"litellm_provider": "openai", "mode": "chat", "input_cost_per_token": 0, "output_cost_per_token": 0}}`,
		"p.yaml": "models:\n  - model: my-local-model\n    input: 0\n    output: 0\n  - model: o3\n    input: 0\n    output: 0\n",
	}
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		tb, err := LoadFile(p, Embedded())
		if err != nil {
			t.Fatal(err)
		}
		if m, ok := tb.Lookup("my-local-model", "", 0); ok {
			t.Errorf("%s: my-local-model priced %+v, want unpriced", name, m.Rates)
		}
		// o3's embedded latest rate ($2 per MTok input, table_gen.json) stays.
		if m, ok := tb.Lookup("o3", "", 0); !ok || !near(m.Rates.Input, mtok(2)) {
			t.Errorf("%s: o3 = %+v, %v; want the embedded $2/MTok", name, m.Rates, ok)
		}
	}
}

// Absurd rates make sums overflow to +Inf downstream; they are refused
// with the field named.
func TestLoadFileRejectsAbsurdRates(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"big.json": `{"m": {"litellm_provider": "x", "mode": "chat", "input_cost_per_token": 1e300, "output_cost_per_token": 1}}`,
		"big.yaml": "models:\n  - model: m\n    input: 2000000\n    output: 1\n",
		"neg.json": `{"m": {"litellm_provider": "x", "mode": "chat", "input_cost_per_token": 1e-6, "output_cost_per_token": 2, "cache_read_input_token_cost": 5}}`,
	} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := LoadFile(p, nil)
		if err == nil || !strings.Contains(err.Error(), "out of range") {
			t.Errorf("%s: err %v, want out of range", name, err)
		}
	}
}

// A price file is read whole: a device or a runaway file is refused at
// the size limit instead of filling memory.
func TestLoadFileSizeLimit(t *testing.T) {
	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Skip("no /dev/zero")
	}
	_, err := LoadFile("/dev/zero", nil)
	if err == nil || !strings.Contains(err.Error(), "larger than 64 MiB") {
		t.Fatalf("err %v", err)
	}
}
