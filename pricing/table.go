package pricing

// STUB: the pricing helper replaces this file's bodies; signatures are the contract.

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
}

// Table maps model ids to dated rates.
type Table struct{}

// Embedded returns the table compiled into the binary.
func Embedded() *Table { return &Table{} }

// Info describes the table.
func (t *Table) Info() Info { return Info{Source: "embedded"} }

// Lookup finds the rates in force at atNano (Unix ns; 0 = latest) for a
// model id as it appears in traces, after normalisation and aliases. Never
// by substring. provider may be "" and is used only to disambiguate.
func (t *Table) Lookup(model, provider string, atNano int64) (Match, bool) { return Match{}, false }

// LoadFile layers a LiteLLM JSON or tokcost YAML/JSON price file over base.
func LoadFile(path string, base *Table) (*Table, error) { return base, nil }
