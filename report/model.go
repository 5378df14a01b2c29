package report

import (
	"sort"

	"github.com/tokcost/tokcost/analyze"
	"github.com/tokcost/tokcost/ingest"
	"github.com/tokcost/tokcost/pricing"
)

// SchemaVersion is the JSON contract's version. Adding keys keeps it;
// renaming, removing or changing the meaning of a key bumps it.
const SchemaVersion = 1

// Analysis is the result of `tokcost analyze`: the JSON contract.
type Analysis struct {
	SchemaVersion int                  `json:"schema_version"`
	Tool          ToolInfo             `json:"tool"`
	Pricing       PricingInfo          `json:"pricing"`
	Input         Input                `json:"input"`
	Sessions      analyze.SessionStats `json:"sessions"`
	// OutputCostShare is the share of priced cost that pays for output
	// tokens (reasoning included): the output premium.
	OutputCostShare float64              `json:"output_cost_share"`
	CostByClass     analyze.Parts        `json:"cost_by_class"`
	Models          []analyze.ModelUsage `json:"models"`
	TopSessions     []TopSession         `json:"top_sessions"`
	// Runaway lists every session with a runaway retry loop (the table
	// view shows the top ones).
	Runaway analyze.Runaway `json:"runaway"`
}

// ToolInfo names the program that wrote the report.
type ToolInfo struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Commit  string `json:"commit,omitempty"`
}

// PricingInfo identifies the price table and how costs were chosen.
type PricingInfo struct {
	pricing.Info
	CostSource string `json:"cost_source"`
}

// Input accounts for everything read: lines = records + duplicates +
// invalid + blank + skipped.
type Input struct {
	Files []ingest.FileResult `json:"files"`
	analyze.InputCounts
	Unpriced []Unpriced `json:"unpriced"`
}

// Unpriced is a model the price table does not know. Its calls are
// excluded from cost totals, which are then lower bounds.
type Unpriced struct {
	Model  string `json:"model"`
	Calls  int64  `json:"calls"`
	Tokens int64  `json:"tokens"`
}

// TopSession is one of the most expensive sessions.
type TopSession struct {
	SessionID     string  `json:"session_id"`
	Workflow      string  `json:"workflow,omitempty"`
	CostUSD       float64 `json:"cost_usd"`
	LLMCalls      int     `json:"llm_calls"`
	ToolCalls     int     `json:"tool_calls"`
	ToolErrors    int     `json:"tool_errors"`
	TotalTokens   int64   `json:"total_tokens"`
	DurationS     float64 `json:"duration_s"`
	Amplification float64 `json:"context_amplification"`
	UnpricedCalls int     `json:"unpriced_calls,omitempty"`
}

// BuildOptions controls Build.
type BuildOptions struct {
	Tool       ToolInfo
	Files      []ingest.FileResult
	CostSource string
	TopN       int
	Loops      analyze.LoopConfig
}

// Build fills the result model from a dataset.
func Build(d *analyze.Dataset, opt BuildOptions) *Analysis {
	a := &Analysis{
		SchemaVersion: SchemaVersion,
		Tool:          opt.Tool,
		Input:         Input{Files: opt.Files, InputCounts: d.Counts, Unpriced: []Unpriced{}},
		Sessions:      analyze.Stats(d.Sessions),
		Models:        d.Models,
		TopSessions:   []TopSession{},
		Runaway:       analyze.DetectLoops(d, opt.Loops),
	}
	if a.Runaway.Sessions == nil {
		a.Runaway.Sessions = []analyze.RunawaySession{}
	}
	if a.Input.Files == nil {
		a.Input.Files = []ingest.FileResult{}
	}
	if a.Input.InvalidByReason == nil {
		a.Input.InvalidByReason = map[string]int64{}
	}
	if a.Models == nil {
		a.Models = []analyze.ModelUsage{}
	}
	if d.Config.Prices != nil {
		a.Pricing.Info = d.Config.Prices.Info()
	}
	a.Pricing.CostSource = opt.CostSource
	var priced float64
	for _, m := range d.Models {
		a.CostByClass.Input += m.CostByPart.Input
		a.CostByClass.CacheRead += m.CostByPart.CacheRead
		a.CostByClass.CacheWrite += m.CostByPart.CacheWrite
		a.CostByClass.Output += m.CostByPart.Output
		a.CostByClass.Recorded += m.CostByPart.Recorded
		if m.Unpriced > 0 {
			a.Input.Unpriced = append(a.Input.Unpriced, Unpriced{Model: m.Model, Calls: m.Unpriced, Tokens: m.Tokens.Total()})
		}
	}
	priced = a.CostByClass.Input + a.CostByClass.CacheRead + a.CostByClass.CacheWrite + a.CostByClass.Output
	if priced > 0 {
		a.OutputCostShare = a.CostByClass.Output / priced
	}
	sort.Slice(a.Input.Unpriced, func(i, j int) bool {
		if a.Input.Unpriced[i].Tokens != a.Input.Unpriced[j].Tokens {
			return a.Input.Unpriced[i].Tokens > a.Input.Unpriced[j].Tokens
		}
		return a.Input.Unpriced[i].Model < a.Input.Unpriced[j].Model
	})
	for _, s := range analyze.TopByCost(d.Sessions, opt.TopN) {
		a.TopSessions = append(a.TopSessions, TopSession{
			SessionID: s.ID, Workflow: s.Workflow, CostUSD: s.CostUSD, LLMCalls: s.LLMCalls,
			ToolCalls: s.ToolCalls, ToolErrors: s.ToolErrors, TotalTokens: s.Tokens.Total(),
			DurationS: s.DurationS(), Amplification: s.Amplification(), UnpricedCalls: s.UnpricedCalls,
		})
	}
	return a
}
