// Command pricegen builds pricing/table_gen.json, the embedded price table,
// from LiteLLM's price file, its price-change history and overrides.yaml.
// It is run by `go generate ./pricing`; see docs/pricing.md.
//
// A model's history is built like this:
//   - a key in the changes CSV gets one segment per date it changed (several
//     rows on one day: the last wins); REMOVED rows are ignored, so retired
//     models keep their last price for old traces;
//   - the latest segment is the snapshot's entry itself, which has the fields
//     the CSV lacks (cache tiers, reasoning); if the CSV's last row disagrees
//     with it, a segment starting on -snapshot is added instead;
//   - a key only in the snapshot has one segment that covers all time.
//
// overrides.yaml then drops bad CSV rows, sets fields and adds aliases.
// Dated prices in pydantic's genai-prices (-genai-prices) then replace the
// mirror's date of the same change (genai.go).
// Last, periods with input and output both $0 are dropped (a key left with
// none is dropped), unless overrides.yaml lists the key under free: LiteLLM
// writes 0/0 where it has no price, and a lookup must then say "unpriced",
// not bill $0. A dropped 0/0 period leaves the previous rates in force.
package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/tokcost/tokcost/pricing/internal/pricefile"
)

func main() {
	if err := run(os.Args[1:], os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "pricegen:", err)
		os.Exit(1)
	}
}

func run(args []string, warn io.Writer) error {
	fs := flag.NewFlagSet("pricegen", flag.ContinueOnError)
	litellmPath := fs.String("litellm", "", "LiteLLM model_prices_and_context_window.json")
	changesPath := fs.String("changes", "", "litellm_price_changes.csv")
	overridesPath := fs.String("overrides", "overrides.yaml", "overrides file")
	snapshot := fs.String("snapshot", "", "date of the LiteLLM snapshot, YYYY-MM-DD")
	genaiDir := fs.String("genai-prices", "", "directory of genai-prices provider files (*.yml) whose start_date constraints date the history")
	outPath := fs.String("o", "table_gen.json", "output file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if _, err := time.Parse(time.DateOnly, *snapshot); err != nil {
		return fmt.Errorf("-snapshot: want YYYY-MM-DD: %w", err)
	}
	litellmData, err := os.ReadFile(*litellmPath)
	if err != nil {
		return err
	}
	changesData, err := os.ReadFile(*changesPath)
	if err != nil {
		return err
	}
	overridesData, err := os.ReadFile(*overridesPath)
	if err != nil {
		return err
	}
	current, err := pricefile.ParseLiteLLM(litellmData, true)
	if err != nil {
		return fmt.Errorf("%s: %w", *litellmPath, err)
	}
	ov, err := pricefile.ParseOverrides(overridesData)
	if err != nil {
		return fmt.Errorf("%s: %w", *overridesPath, err)
	}
	events, err := parseChanges(changesData, ov)
	if err != nil {
		return fmt.Errorf("%s: %w", *changesPath, err)
	}
	var gpPaths []string
	var gpFiles [][]byte
	if *genaiDir != "" {
		if gpPaths, err = filepath.Glob(filepath.Join(*genaiDir, "*.yml")); err != nil || len(gpPaths) == 0 {
			return fmt.Errorf("-genai-prices %s: no *.yml files", *genaiDir)
		}
		sort.Strings(gpPaths)
		for _, p := range gpPaths {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			gpFiles = append(gpFiles, b)
		}
	}
	gps, err := readGenAIPrices(gpPaths, gpFiles, warn)
	if err != nil {
		return err
	}
	art, err := build(current, events, ov, gps, *snapshot, warn)
	if err != nil {
		return err
	}
	art.Inputs = fmt.Sprintf("litellm_model_prices.json sha256:%x; litellm_price_changes.csv sha256:%x; overrides.yaml sha256:%x",
		sha256.Sum256(litellmData), sha256.Sum256(changesData), sha256.Sum256(overridesData))
	for i, p := range gpPaths {
		art.Inputs += fmt.Sprintf("; genai-prices/%s sha256:%x", filepath.Base(p), sha256.Sum256(gpFiles[i]))
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf) // map keys come out sorted: the file is deterministic
	enc.SetEscapeHTML(false)
	if err := enc.Encode(art); err != nil {
		return err
	}
	return os.WriteFile(*outPath, buf.Bytes(), 0o644)
}

// event is one ADDED or CHANGED row of the changes CSV.
type event struct {
	date  string
	price pricefile.Price
}

var csvHeader = []string{"first_seen_date", "mirror_commit", "litellm_key", "event", "input_per_mtok", "output_per_mtok",
	"cache_read_per_mtok", "cache_write_per_mtok", "cache_write_1h_per_mtok", "input_above_200k_per_mtok", "output_above_200k_per_mtok"}

// parseChanges returns each key's price events in file order, without the
// rows overrides.yaml drops and with its event_fixes applied. REMOVED rows
// are skipped.
func parseChanges(data []byte, ov *pricefile.Overrides) (map[string][]event, error) {
	rows, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 || strings.Join(rows[0], ",") != strings.Join(csvHeader, ",") {
		return nil, fmt.Errorf("unexpected header, want %s", strings.Join(csvHeader, ","))
	}
	dropped := map[string]bool{}
	for _, d := range ov.DropEvents {
		dropped[d.Key+"@"+d.Commit] = false
	}
	fixes := map[string]pricefile.EventFix{}
	fixed := map[string]bool{}
	for _, f := range ov.EventFixes {
		fixes[f.Key+"@"+f.Commit] = f
	}
	out := map[string][]event{}
	for i, row := range rows[1:] {
		line := i + 2
		date, commit, key, kind := row[0], row[1], row[2], row[3]
		if _, err := time.Parse(time.DateOnly, date); err != nil {
			return nil, fmt.Errorf("line %d: bad date %q", line, date)
		}
		if _, ok := dropped[key+"@"+commit]; ok {
			dropped[key+"@"+commit] = true
			continue
		}
		switch kind {
		case "REMOVED":
			continue
		case "ADDED", "CHANGED":
		default:
			return nil, fmt.Errorf("line %d: unknown event %q", line, kind)
		}
		p, err := rowPrice(row[4:])
		if err != nil {
			return nil, fmt.Errorf("line %d (%s): %w", line, key, err)
		}
		if f, ok := fixes[key+"@"+commit]; ok {
			pricefile.Fix{Set: f.Set}.Apply(&p)
			fixed[key+"@"+commit] = true
		}
		out[key] = append(out[key], event{date: date, price: p})
	}
	for k, used := range dropped {
		if !used {
			return nil, fmt.Errorf("drop_events entry %s matches no row", k)
		}
	}
	for k := range fixes {
		if !fixed[k] {
			return nil, fmt.Errorf("event_fixes entry %s matches no ADDED or CHANGED row", k)
		}
	}
	return out, nil
}

func rowPrice(c []string) (pricefile.Price, error) {
	var p pricefile.Price
	for i, name := range []string{"input", "output", "cache_read", "cache_write", "cache_write_1h", "input_above", "output_above"} {
		if c[i] == "" {
			if i < 2 {
				return p, fmt.Errorf("%s: missing", name)
			}
			continue
		}
		v, err := pricefile.ParseMTok(c[i])
		if err != nil {
			return p, fmt.Errorf("%s: %w", name, err)
		}
		_ = pricefile.SetField(&p, name, v) // names are valid fields
	}
	if c[5] != "" || c[6] != "" {
		p.TierAbove = 200_000
	}
	return p, nil
}

// sameCSVFields reports whether the snapshot price a agrees with the CSV
// price b on the fields the CSV records, tolerating float rounding (the CSV
// is in $/MTok, LiteLLM in $/token).
func sameCSVFields(a, b pricefile.Price) bool {
	eq := func(x, y float64) bool { return math.Abs(x-y) <= 1e-9*math.Max(math.Abs(x), math.Abs(y)) }
	aTier, bTier := a.TierAbove == 200_000, b.TierAbove == 200_000
	return eq(a.Input, b.Input) && eq(a.Output, b.Output) &&
		a.HasCacheRead == b.HasCacheRead && eq(a.CacheRead, b.CacheRead) &&
		a.HasCacheWrite == b.HasCacheWrite && eq(a.CacheWrite, b.CacheWrite) &&
		eq(a.CacheWrite1h, b.CacheWrite1h) && aTier == bTier &&
		(!aTier || eq(a.InputAbove, b.InputAbove) && eq(a.OutputAbove, b.OutputAbove))
}

func build(current map[string]pricefile.LiteLLMEntry, events map[string][]event, ov *pricefile.Overrides, gps []gpModel, snapshot string, warn io.Writer) (*pricefile.Artefact, error) {
	art := &pricefile.Artefact{
		Version: fmt.Sprintf("litellm-%s+overrides-%d", snapshot, ov.Revision),
		Aliases: map[string]string{},
		Models:  map[string]pricefile.Model{},
	}
	for key, e := range current {
		art.Models[key] = pricefile.Model{Provider: e.Provider, History: []pricefile.Segment{{Rates: e.Price}}}
	}
	keys := make([]string, 0, len(events))
	for k := range events {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, key := range keys {
		var hist []pricefile.Segment
		for _, ev := range events[key] {
			if n := len(hist); n > 0 && hist[n-1].From == ev.date { // same day: the later row wins
				hist[n-1].Rates = ev.price
				continue
			}
			hist = append(hist, pricefile.Segment{From: ev.date, Rates: ev.price})
		}
		cur, inSnapshot := current[key]
		if !inSnapshot {
			art.Models[key] = pricefile.Model{Provider: retiredProvider(key), History: hist}
			continue
		}
		if last := hist[len(hist)-1].Rates; sameCSVFields(cur.Price, last) {
			hist[len(hist)-1].Rates = cur.Price
		} else {
			fmt.Fprintf(warn, "pricegen: %s: snapshot %+v differs from last change %+v; adding a segment at %s\n", key, cur.Price, last, snapshot)
			hist = append(hist, pricefile.Segment{From: snapshot, Rates: cur.Price, DateSource: pricefile.DateSnapshot})
		}
		art.Models[key] = pricefile.Model{Provider: cur.Provider, History: hist}
	}
	for i, fix := range ov.Fixes {
		for _, key := range fix.Keys {
			m, ok := art.Models[key]
			if !ok {
				return nil, fmt.Errorf("overrides fixes[%d]: key %q not in the table", i, key)
			}
			for j := range m.History {
				fix.Apply(&m.History[j].Rates)
			}
		}
	}
	// After the fixes, so both sources are compared on corrected rates;
	// before $0/$0 periods go and equal neighbours collapse.
	applyGenAIDates(art.Models, gps, snapshot, warn)
	free := map[string]bool{}
	for i, f := range ov.Free {
		if _, ok := art.Models[f.Key]; !ok {
			return nil, fmt.Errorf("overrides free[%d]: key %q not in the table", i, f.Key)
		}
		free[f.Key] = true
	}
	zeroKeys := 0
	for key, m := range art.Models {
		if free[key] {
			if !slices.ContainsFunc(m.History, isZero) {
				return nil, fmt.Errorf("overrides free: %q has no $0/$0 period", key)
			}
		} else if m.History = slices.DeleteFunc(m.History, isZero); len(m.History) == 0 {
			delete(art.Models, key)
			zeroKeys++
			continue
		}
		m.History = collapse(m.History)
		art.Models[key] = m
	}
	fmt.Fprintf(warn, "pricegen: dropped %d keys priced only at $0/$0 (unpriced unless listed under free:)\n", zeroKeys)
	for i, a := range ov.Aliases {
		if _, ok := art.Models[a.Key]; !ok {
			return nil, fmt.Errorf("overrides aliases[%d]: target %q not in the table", i, a.Key)
		}
		if _, ok := art.Models[a.Alias]; ok {
			return nil, fmt.Errorf("overrides aliases[%d]: %q is already a table key", i, a.Alias)
		}
		art.Aliases[a.Alias] = a.Key
	}
	lower := map[string]string{}
	for key := range art.Models {
		l := strings.ToLower(key)
		if other, ok := lower[l]; ok {
			return nil, fmt.Errorf("keys %q and %q differ only in case", key, other)
		}
		lower[l] = key
	}
	return art, nil
}

// isZero reports a period with no price: input and output both $0.
func isZero(s pricefile.Segment) bool { return s.Rates.Input == 0 && s.Rates.Output == 0 }

// collapse drops segments whose rates equal the previous segment's (a
// re-added key, or a change a fix has overridden), keeping the earlier date.
func collapse(h []pricefile.Segment) []pricefile.Segment {
	out := h[:1]
	for _, s := range h[1:] {
		if s.Rates != out[len(out)-1].Rates {
			out = append(out, s)
		}
	}
	return out
}

// retiredProvider labels keys that exist only in the history (deleted from
// LiteLLM). The label is informational; prices never depend on it.
func retiredProvider(key string) string {
	switch {
	case strings.HasPrefix(key, "gemini/"):
		return "gemini"
	case strings.HasPrefix(key, "claude-"):
		return "anthropic"
	default:
		return "openai"
	}
}
