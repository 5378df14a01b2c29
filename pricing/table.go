package pricing

import (
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tokcost/tokcost/pricing/internal/pricefile"
)

//go:generate go run ./internal/pricegen -litellm source/litellm_model_prices.json -changes source/litellm_price_changes.csv -overrides overrides.yaml -snapshot 2026-07-18 -genai-prices source/genai-prices -o table_gen.json

//go:embed table_gen.json
var embeddedJSON []byte

// Info identifies a price table in every report, so results are reproducible.
type Info struct {
	Source  string `json:"source"`  // "embedded", or "embedded+path/to/prices.yaml"
	Version string `json:"version"` // e.g. "litellm-2026-07-18+overrides-3"
	SHA256  string `json:"sha256"`  // of the table's canonical serialisation
}

// Match is the outcome of a successful lookup.
type Match struct {
	Key   string // the table key the model resolved to
	Rates Rates
	From  string // first day (UTC, YYYY-MM-DD) of the rates used; "" = no known start
	Rule  string // the candidate rule that hit (RuleExact, RuleAlias, …)
	// File is the price file (--pricing) these rates come from; "" for the
	// embedded table. Reports split cost by it (table versus override).
	File string
}

// Table maps model ids to dated rates. It is immutable once built, so one
// table can serve concurrent lookups.
type Table struct {
	info    Info
	models  map[string]*model // by lowercased key
	aliases map[string]string // normalised id → lowercased key

	// resolved caches Lookup's id → key resolution (not the dated rates):
	// traces repeat a few ids millions of times. Bounded by maxResolved.
	resolved  sync.Map // provider + "\x00" + model → resolution
	nResolved atomic.Int64
}

// maxResolved bounds the resolution cache against unbounded distinct ids.
const maxResolved = 10_000

type resolution struct {
	m    *model // nil: unpriced
	rule string
}

type model struct {
	key      string // as spelled in the source
	provider string
	history  []segment // ascending by from
}

type segment struct {
	from  int64  // Unix ns of 00:00 UTC on day; math.MinInt64 if day is ""
	day   string // YYYY-MM-DD or ""
	rates Rates
	file  string // price file that set these rates; "" = embedded
	// dateSrc is where day comes from (see Period.DateSource).
	dateSrc string
}

var (
	embeddedOnce  sync.Once
	embeddedTable *Table
)

// Embedded returns the table compiled into the binary. It is parsed once,
// on first use, and shared.
func Embedded() *Table {
	embeddedOnce.Do(func() {
		t, err := parseArtefact(embeddedJSON)
		if err != nil {
			// The artefact is generated and tested; failing here is a build bug.
			panic("pricing: embedded table_gen.json: " + err.Error())
		}
		sum := sha256.Sum256(embeddedJSON)
		t.info = Info{Source: "embedded", Version: t.info.Version, SHA256: hex.EncodeToString(sum[:])}
		embeddedTable = t
	})
	return embeddedTable
}

func parseArtefact(data []byte) (*Table, error) {
	var a pricefile.Artefact
	if err := json.Unmarshal(data, &a); err != nil {
		return nil, err
	}
	t := newTable()
	t.info.Version = a.Version
	for key, m := range a.Models {
		if len(m.History) == 0 {
			return nil, fmt.Errorf("%q: no rates", key)
		}
		e := &model{key: key, provider: m.Provider}
		for i, s := range m.History {
			from, err := parseDay(s.From)
			if err != nil {
				return nil, fmt.Errorf("%q: %w", key, err)
			}
			if i > 0 && from <= e.history[i-1].from {
				return nil, fmt.Errorf("%q: history not in date order at %s", key, s.From)
			}
			e.history = append(e.history, segment{from: from, day: s.From, rates: Rates(s.Rates), dateSrc: dateSource(s)})
		}
		t.models[strings.ToLower(key)] = e
	}
	for alias, key := range a.Aliases {
		if err := t.setAlias(alias, key); err != nil {
			return nil, err
		}
	}
	return t, nil
}

func newTable() *Table {
	return &Table{models: map[string]*model{}, aliases: map[string]string{}}
}

func (t *Table) setAlias(alias, key string) error {
	lk := strings.ToLower(strings.TrimSpace(key))
	if _, ok := t.models[lk]; !ok {
		return fmt.Errorf("alias %q: target %q is not in the table", alias, key)
	}
	t.aliases[Normalize(alias)] = lk
	return nil
}

// parseDay returns the Unix ns of 00:00 UTC on day; "" is the far past.
func parseDay(day string) (int64, error) {
	if day == "" {
		return math.MinInt64, nil
	}
	d, err := time.Parse(time.DateOnly, day)
	if err != nil {
		return 0, fmt.Errorf("date %q: want YYYY-MM-DD", day)
	}
	return d.UnixNano(), nil
}

// Info describes the table.
func (t *Table) Info() Info { return t.info }

// Len is the number of model keys (aliases not counted).
func (t *Table) Len() int { return len(t.models) }

// Keys returns the table's model keys, sorted.
func (t *Table) Keys() []string {
	keys := make([]string, 0, len(t.models))
	for _, m := range t.models {
		keys = append(keys, m.key)
	}
	sort.Strings(keys)
	return keys
}

// Period is one dated price of a model, for listing a model's history.
type Period struct {
	From  string // YYYY-MM-DD; "" = no known start
	Rates Rates
	// DateSource says where From comes from: DateGenAIPrices (a dated price
	// in pydantic's genai-prices, from the vendor's announcement),
	// DateMirror (the day a public mirror of LiteLLM's file first saw the
	// change, which can lag the vendor's date), DateSnapshot (the LiteLLM
	// snapshot's date), DatePriceFile (a --pricing file's effective_from);
	// "" when From is "".
	DateSource string
}

// Date sources of a Period.
const (
	DateGenAIPrices = pricefile.DateGenAIPrices
	DateMirror      = "litellm-mirror"
	DateSnapshot    = pricefile.DateSnapshot
	DatePriceFile   = "price-file"
)

func dateSource(s pricefile.Segment) string {
	switch {
	case s.From == "":
		return ""
	case s.DateSource != "":
		return s.DateSource
	default:
		return DateMirror
	}
}

// History returns the dated rates of a table key (exact, case-insensitive),
// oldest first. The first period also applies before its date.
func (t *Table) History(key string) ([]Period, bool) {
	m, ok := t.models[strings.ToLower(strings.TrimSpace(key))]
	if !ok {
		return nil, false
	}
	out := make([]Period, len(m.history))
	for i, s := range m.history {
		out[i] = Period{From: s.day, Rates: s.rates, DateSource: s.dateSrc}
	}
	return out, true
}

// Lookup finds the rates in force at atNano (Unix ns; 0 = latest) for a
// model id as it appears in traces, after normalisation and aliases. Never
// by substring. provider may be "" and is used only to disambiguate.
// A time before a model's first known date gets its earliest known rates.
func (t *Table) Lookup(model, provider string, atNano int64) (Match, bool) {
	ck := provider + "\x00" + model
	r, cached := t.resolved.Load(ck)
	if !cached {
		var res resolution
		for _, c := range candidates(model, provider) {
			if m := t.resolve(c); m != nil {
				res = resolution{m, c.rule}
				break
			}
		}
		if t.nResolved.Add(1) <= maxResolved {
			t.resolved.Store(ck, res)
		}
		r = res
	}
	res := r.(resolution)
	if res.m == nil {
		return Match{}, false
	}
	s := res.m.at(atNano)
	return Match{Key: res.m.key, Rates: s.rates, From: s.day, Rule: res.rule, File: s.file}, true
}

// Candidate is one id Lookup tries, and what it hit.
type Candidate struct {
	ID   string `json:"id"`            // the exact id tried (an alias name for alias rules)
	Rule string `json:"rule"`          // RuleProvider, RuleGoogle, RuleExact, RuleNormal, RuleAlias, RuleNamespace, RuleUndated, or "<rule>+undated"
	Hit  bool   `json:"hit"`           //
	Key  string `json:"key,omitempty"` // the table key hit, if any
}

// Explanation is how Lookup resolved (or failed to resolve) one id.
type Explanation struct {
	Model, Provider string
	Normalized      string
	Candidates      []Candidate // in the order tried; Lookup stops at the first hit
	Match           Match       // valid if OK
	OK              bool
}

// Explain reports every candidate Lookup would try for model, in order,
// marking the ones present in the table; the first hit is Lookup's answer.
func (t *Table) Explain(model, provider string, atNano int64) Explanation {
	x := Explanation{Model: model, Provider: provider, Normalized: Normalize(model)}
	for _, c := range candidates(model, provider) {
		cand := Candidate{ID: c.id, Rule: c.rule}
		if m := t.resolve(c); m != nil {
			cand.Hit, cand.Key = true, m.key
			if !x.OK {
				s := m.at(atNano)
				x.Match, x.OK = Match{Key: m.key, Rates: s.rates, From: s.day, Rule: c.rule, File: s.file}, true
			}
		}
		x.Candidates = append(x.Candidates, cand)
	}
	return x
}

func (t *Table) resolve(c candidate) *model {
	if strings.HasPrefix(c.rule, RuleAlias) {
		if k, ok := t.aliases[c.id]; ok {
			return t.models[k]
		}
		return nil
	}
	return t.models[c.id]
}

// at picks the segment in force at atNano: 0 means the latest; a time
// before the first segment gets the earliest known rates.
func (m *model) at(atNano int64) segment {
	if atNano == 0 {
		return m.history[len(m.history)-1]
	}
	i := sort.Search(len(m.history), func(i int) bool { return m.history[i].from > atNano })
	if i == 0 {
		return m.history[0]
	}
	return m.history[i-1]
}

// Provider is a table key's provider label (LiteLLM's litellm_provider;
// informational, never used for pricing); "" for an unknown key.
func (t *Table) Provider(key string) string {
	if m, ok := t.models[strings.ToLower(strings.TrimSpace(key))]; ok {
		return m.provider
	}
	return ""
}
