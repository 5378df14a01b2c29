package pricing

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/tokcost/tokcost/pricing/internal/pricefile"
)

// LoadFile layers a LiteLLM JSON or tokcost YAML/JSON price file over base
// (nil: an empty table) and returns the new table; base is not modified.
//
// A .yaml/.yml file, or a .json file with a top-level "models" array, is in
// tokcost's format (docs/pricing.md): prices in $ per million tokens, each
// optionally with an effective_from date from which it replaces base's
// history. Any other JSON is read as LiteLLM's model_prices_and_context_window.json;
// its undated entries replace a model's whole history unless they equal
// base's latest rates.
func LoadFile(path string, base *Table) (*Table, error) {
	data, err := readPriceFile(path)
	if err != nil {
		return nil, fmt.Errorf("read price file: %w", err)
	}
	t, err := loadBytes(path, data, base)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

func loadBytes(path string, data []byte, base *Table) (*Table, error) {
	t := base.clone()
	var err error
	switch ext := strings.ToLower(filepath.Ext(path)); {
	case ext == ".yaml" || ext == ".yml":
		err = t.layerCustom(path, data, false)
	case isCustomJSON(data):
		err = t.layerCustom(path, data, true)
	default:
		err = t.layerLiteLLM(path, data)
	}
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(data)
	if base == nil {
		t.info = Info{Source: path, Version: filepath.Base(path), SHA256: hex.EncodeToString(sum[:])}
	} else {
		both := sha256.Sum256([]byte(base.info.SHA256 + "\n" + hex.EncodeToString(sum[:])))
		t.info = Info{
			Source:  base.info.Source + "+" + path,
			Version: base.info.Version + "+" + filepath.Base(path),
			SHA256:  hex.EncodeToString(both[:]),
		}
	}
	return t, nil
}

// clone copies the table's maps; models are replaced, never mutated.
func (t *Table) clone() *Table {
	c := newTable()
	if t == nil {
		return c
	}
	for k, m := range t.models {
		c.models[k] = m
	}
	for k, v := range t.aliases {
		c.aliases[k] = v
	}
	c.info = t.info
	return c
}

// isCustomJSON reports whether a JSON file is in tokcost's format: a
// top-level "models" array (LiteLLM's top-level values are all objects).
func isCustomJSON(data []byte) bool {
	var top map[string]json.RawMessage
	if json.Unmarshal(data, &top) != nil {
		return false
	}
	m, ok := top["models"]
	return ok && bytes.HasPrefix(bytes.TrimSpace(m), []byte("["))
}

func (t *Table) layerLiteLLM(path string, data []byte) error {
	entries, err := pricefile.ParseLiteLLM(data, false)
	if err != nil {
		return err
	}
	keys := make([]string, 0, len(entries))
	for key := range entries {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	seen := map[string]string{}
	for _, key := range keys {
		e := entries[key]
		key := strings.TrimSpace(key)
		lk := strings.ToLower(key)
		if lk == "" {
			return errors.New(`"": empty model key`)
		}
		if other, dup := seen[lk]; dup {
			return fmt.Errorf("%q: same model as %q (keys are case-insensitive)", key, other)
		}
		seen[lk] = key
		rates := Rates(e.Price)
		if err := rates.check(); err != nil {
			return fmt.Errorf("%q: %w", key, err)
		}
		if rates.Input == 0 && rates.Output == 0 {
			continue // 0/0 means "no price" (docs/pricing.md): unpriced, never $0
		}
		if old, ok := t.models[lk]; ok && old.history[len(old.history)-1].rates == rates {
			continue // unchanged: keep the dated history
		}
		t.models[lk] = &model{key: key, provider: e.Provider, history: []segment{{from: math.MinInt64, rates: rates, file: path}}}
	}
	return nil
}

// customFile is tokcost's own price-file format; see docs/pricing.md.
type customFile struct {
	Models  []customModel     `yaml:"models" json:"models"`
	Aliases map[string]string `yaml:"aliases" json:"aliases"`
}

type customModel struct {
	Model             string               `yaml:"model" json:"model"`
	Provider          string               `yaml:"provider" json:"provider"`
	EffectiveFrom     string               `yaml:"effective_from" json:"effective_from"`
	Input             *pricefile.MTokPrice `yaml:"input" json:"input"`
	Output            *pricefile.MTokPrice `yaml:"output" json:"output"`
	CacheRead         *pricefile.MTokPrice `yaml:"cache_read" json:"cache_read"`
	CacheWrite        *pricefile.MTokPrice `yaml:"cache_write" json:"cache_write"`
	CacheWrite1h      *pricefile.MTokPrice `yaml:"cache_write_1h" json:"cache_write_1h"`
	Reasoning         *pricefile.MTokPrice `yaml:"reasoning" json:"reasoning"`
	TierAbove         int64                `yaml:"tier_above" json:"tier_above"`
	InputAbove        *pricefile.MTokPrice `yaml:"input_above" json:"input_above"`
	OutputAbove       *pricefile.MTokPrice `yaml:"output_above" json:"output_above"`
	CacheReadAbove    *pricefile.MTokPrice `yaml:"cache_read_above" json:"cache_read_above"`
	CacheWriteAbove   *pricefile.MTokPrice `yaml:"cache_write_above" json:"cache_write_above"`
	CacheWrite1hAbove *pricefile.MTokPrice `yaml:"cache_write_1h_above" json:"cache_write_1h_above"`
	// Audio and image parts of input and output; absent: the text rate.
	AudioInput  *pricefile.MTokPrice `yaml:"audio_input" json:"audio_input"`
	ImageInput  *pricefile.MTokPrice `yaml:"image_input" json:"image_input"`
	AudioOutput *pricefile.MTokPrice `yaml:"audio_output" json:"audio_output"`
	ImageOutput *pricefile.MTokPrice `yaml:"image_output" json:"image_output"`
}

func decodeCustom(data []byte, isJSON bool) (*customFile, error) {
	var f customFile
	if isJSON {
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields() // typo protection: "inptu" is an error, not a missing price
		if err := dec.Decode(&f); err != nil {
			return nil, err
		}
		return &f, nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("empty price file")
		}
		return nil, err
	}
	return &f, nil
}

func (c customModel) rates() (Rates, error) {
	var r Rates
	if c.Input == nil {
		return r, errors.New("input: missing (prices are required, $ per million tokens)")
	}
	if c.Output == nil {
		return r, errors.New("output: missing (prices are required, $ per million tokens)")
	}
	get := func(p *pricefile.MTokPrice) float64 {
		if p == nil {
			return 0
		}
		return float64(*p)
	}
	r.Input, r.Output = get(c.Input), get(c.Output)
	r.CacheRead, r.HasCacheRead = get(c.CacheRead), c.CacheRead != nil
	r.CacheWrite, r.HasCacheWrite = get(c.CacheWrite), c.CacheWrite != nil
	r.CacheWrite1h, r.Reasoning = get(c.CacheWrite1h), get(c.Reasoning)
	r.InputAbove, r.OutputAbove = get(c.InputAbove), get(c.OutputAbove)
	r.CacheReadAbove, r.CacheWriteAbove = get(c.CacheReadAbove), get(c.CacheWriteAbove)
	r.CacheWrite1hAbove = get(c.CacheWrite1hAbove)
	r.AudioInput, r.ImageInput = get(c.AudioInput), get(c.ImageInput)
	r.AudioOutput, r.ImageOutput = get(c.AudioOutput), get(c.ImageOutput)
	anyAbove := c.InputAbove != nil || c.OutputAbove != nil || c.CacheReadAbove != nil || c.CacheWriteAbove != nil ||
		c.CacheWrite1hAbove != nil
	switch {
	case c.TierAbove < 0:
		return r, fmt.Errorf("tier_above: negative token count %d", c.TierAbove)
	case c.TierAbove > 0 && !anyAbove:
		return r, errors.New("tier_above: set but no *_above price given")
	case c.TierAbove == 0 && anyAbove:
		return r, errors.New("tier_above: required with *_above prices")
	}
	r.TierAbove = c.TierAbove
	return r, nil
}

func (t *Table) layerCustom(path string, data []byte, isJSON bool) error {
	f, err := decodeCustom(data, isJSON)
	if err != nil {
		return err
	}
	type dated struct {
		entry customModel
		seg   segment
	}
	byModel := map[string][]dated{}
	var order []string
	for i, c := range f.Models {
		key := strings.TrimSpace(c.Model)
		if key == "" {
			return fmt.Errorf("models[%d]: model: missing", i)
		}
		r, err := c.rates()
		if err == nil {
			err = r.check()
		}
		if err != nil {
			return fmt.Errorf("models[%d] (%s): %w", i, key, err)
		}
		if r.Input == 0 && r.Output == 0 {
			continue // 0/0 means "no price" (docs/pricing.md): unpriced, never $0
		}
		from, err := parseDay(c.EffectiveFrom)
		if err != nil {
			return fmt.Errorf("models[%d] (%s): effective_from: %w", i, key, err)
		}
		lk := strings.ToLower(key)
		for _, d := range byModel[lk] {
			if d.seg.from == from {
				return fmt.Errorf("models[%d] (%s): effective_from %q given twice", i, key, c.EffectiveFrom)
			}
		}
		if _, ok := byModel[lk]; !ok {
			order = append(order, lk)
		}
		c.Model = key
		byModel[lk] = append(byModel[lk], dated{c, segment{from: from, day: c.EffectiveFrom, rates: r, file: path, dateSrc: fileDateSource(c.EffectiveFrom)}})
	}
	for _, lk := range order {
		ds := byModel[lk]
		sort.Slice(ds, func(i, j int) bool { return ds[i].seg.from < ds[j].seg.from })
		m := &model{key: ds[0].entry.Model, provider: ds[0].entry.Provider}
		if old, ok := t.models[lk]; ok {
			if m.provider == "" {
				m.provider = old.provider
			}
			for _, s := range old.history {
				if s.from < ds[0].seg.from { // base history before the file's first date stays
					m.history = append(m.history, s)
				}
			}
		}
		for _, d := range ds {
			m.history = append(m.history, d.seg)
		}
		t.models[lk] = m
	}
	aliases := make([]string, 0, len(f.Aliases))
	for a := range f.Aliases {
		aliases = append(aliases, a)
	}
	sort.Strings(aliases)
	for _, a := range aliases {
		if err := t.setAlias(a, f.Aliases[a]); err != nil {
			return fmt.Errorf("aliases: %w", err)
		}
	}
	return nil
}

// MaxFileBytes bounds a price file: LiteLLM's whole table is a few
// megabytes, so anything past this is not a price file (or is a device
// such as /dev/zero) and is refused before it takes the machine's memory.
const MaxFileBytes = 64 << 20

func readPriceFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }() // read-only: nothing to lose
	data, err := io.ReadAll(io.LimitReader(f, MaxFileBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxFileBytes {
		return nil, fmt.Errorf("%s: larger than %d MiB, not a price file", path, MaxFileBytes>>20)
	}
	return data, nil
}

// MaxRate bounds a price: $1 per token ($1,000,000 per million), far above
// any model's. A larger rate is a typo or a hostile file; with token
// counts below 2³² it keeps every call's cost, and every sum, finite.
const MaxRate = 1.0

// check refuses a rate that is negative, non-finite or above MaxRate.
func (r Rates) check() error {
	for _, f := range []struct {
		name string
		v    float64
	}{{"input", r.Input}, {"output", r.Output}, {"cache_read", r.CacheRead}, {"cache_write", r.CacheWrite},
		{"cache_write_1h", r.CacheWrite1h}, {"reasoning", r.Reasoning}, {"input_above", r.InputAbove},
		{"output_above", r.OutputAbove}, {"cache_read_above", r.CacheReadAbove}, {"cache_write_above", r.CacheWriteAbove},
		{"cache_write_1h_above", r.CacheWrite1hAbove}, {"audio_input", r.AudioInput}, {"image_input", r.ImageInput},
		{"audio_output", r.AudioOutput}, {"image_output", r.ImageOutput}} {
		if !(f.v >= 0 && f.v <= MaxRate) { // NaN fails both
			return fmt.Errorf("%s: price %g per token out of range (0 to $1,000,000 per million tokens)", f.name, f.v)
		}
	}
	return nil
}

// fileDateSource is a price-file period's date source: its effective_from.
func fileDateSource(day string) string {
	if day == "" {
		return ""
	}
	return DatePriceFile
}
