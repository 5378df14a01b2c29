package report

import (
	"fmt"
	"math"
	"time"

	"github.com/tokcost/tokcost/analyze"
	"github.com/tokcost/tokcost/ingest"
)

// Merged is what MergeSessionTables rebuilt from session tables.
type Merged struct {
	Data         *analyze.Summaries
	Files        []ingest.FileResult // every table's inputs, in table order
	IgnoredFiles int64
	Pricing      PricingInfo
	Tool         ToolInfo
	// DuplicateIDs are the session ids found in more than one table. Such
	// a session was split between runs: its sums (tokens, calls, cost,
	// duplicates, first start, last end, largest call) are added up
	// exactly, but its loop evidence, dominant model, attributes and call
	// order come from the tables as they are (the first table's loop and
	// model, call costs in table order): the report is not exact.
	DuplicateIDs []string
	// Window spans the tables' windows (--since/--until of the runs that
	// wrote them): from the earliest since to the latest until, a side
	// open when one table's is; zero when no table was windowed.
	Window ingest.Window
}

// MergeSessionTables adds up session tables of runs over disjoint inputs
// into the Summaries one run over all of them would have made: the same
// sessions, model usage merged from the running sums in table order, input
// accounting added up. Tables made with different price tables, cost
// sources or loop settings are not comparable and are refused.
func MergeSessionTables(tables []*SessionTable) (*Merged, error) {
	if len(tables) == 0 {
		return nil, fmt.Errorf("no session tables")
	}
	first := tables[0].Meta
	// Only the table, cost source and stated OpenAI residency must agree;
	// each run's cost by source is its own, and Build computes the merged
	// one from the models.
	m := &Merged{Pricing: PricingInfo{Info: first.Pricing.Info, CostSource: first.Pricing.CostSource, OpenAIResidency: first.Pricing.OpenAIResidency}, Tool: first.Tool, Files: []ingest.FileResult{}}
	var counts analyze.InputCounts
	var states []analyze.ModelState
	var sessions []*analyze.Summary
	byID := map[string]*analyze.Summary{}
	dup := map[string]bool{}
	windowed := false
	for i, t := range tables {
		me := t.Meta
		if me.Pricing.Info != first.Pricing.Info || me.Pricing.CostSource != first.Pricing.CostSource {
			return nil, fmt.Errorf("%s: priced with %s (%s, cost source %s), %s with %s (%s, cost source %s): not comparable",
				t.Name, me.Pricing.Version, me.Pricing.SHA256, me.Pricing.CostSource, tables[0].Name, first.Pricing.Version, first.Pricing.SHA256, first.Pricing.CostSource)
		}
		if me.Pricing.OpenAIResidency != first.Pricing.OpenAIResidency {
			return nil, fmt.Errorf("%s: priced with --openai-residency %q, %s with %q: not comparable",
				t.Name, me.Pricing.OpenAIResidency, tables[0].Name, first.Pricing.OpenAIResidency)
		}
		if me.LoopTimeoutS != first.LoopTimeoutS || me.LoopMinRepeats != first.LoopMinRepeats {
			return nil, fmt.Errorf("%s: loops found with timeout %gs and %d repeats, %s with %gs and %d: not comparable",
				t.Name, me.LoopTimeoutS, me.LoopMinRepeats, tables[0].Name, first.LoopTimeoutS, first.LoopMinRepeats)
		}
		if i == 0 || windowed {
			windowed = spanWindow(&m.Window, me.Window, i == 0)
		}
		m.Files = append(m.Files, me.Files...)
		m.IgnoredFiles += me.IgnoredFiles
		counts.Add(me.Counts)
		states = append(states, me.Models...)
		for _, s := range t.Sessions {
			prev := byID[s.ID]
			if prev == nil {
				byID[s.ID] = s
				sessions = append(sessions, s)
				continue
			}
			if !dup[s.ID] {
				dup[s.ID] = true
				m.DuplicateIDs = append(m.DuplicateIDs, s.ID)
			}
			combine(prev, s)
		}
	}
	loops := analyze.DefaultLoopConfig()
	loops.MinRepeats = first.LoopMinRepeats
	loops.Timeout = secondsDuration(first.LoopTimeoutS)
	m.Data = analyze.NewSummaries(sessions, counts, analyze.MergeModels(states), analyze.Config{}, loops)
	return m, nil
}

// spanWindow widens w to take in a table's window t (nil: unbounded),
// first for the first table; false once w is unbounded on both sides.
func spanWindow(w *ingest.Window, t *Window, first bool) bool {
	var since, until time.Time
	if t != nil {
		since, _ = time.Parse(time.RFC3339Nano, t.Since) // "" is zero: open
		until, _ = time.Parse(time.RFC3339Nano, t.Until)
	}
	if first {
		w.Since, w.Until = since, until
	} else {
		if since.IsZero() || since.Before(w.Since) {
			w.Since = since
		}
		if until.IsZero() || (!w.Until.IsZero() && until.After(w.Until)) {
			w.Until = until
		}
	}
	return !w.Since.IsZero() || !w.Until.IsZero()
}

// combine adds s, the same session's part from another table, to dst:
// the sums exactly, the rest as MergeSessionTables says.
func combine(dst, s *analyze.Summary) {
	dst.LLMCalls += s.LLMCalls
	dst.ToolCalls += s.ToolCalls
	dst.ToolErrors += s.ToolErrors
	dst.Duplicates += s.Duplicates
	dst.UnpricedCalls += s.UnpricedCalls
	dst.UnpricedTokens += s.UnpricedTokens
	dst.TimedOut = dst.TimedOut || s.TimedOut
	dst.TotalsOnly = dst.TotalsOnly || s.TotalsOnly // part of it known only by totals
	dst.Tokens.Input += s.Tokens.Input
	dst.Tokens.Output += s.Tokens.Output
	dst.Tokens.CacheRead += s.Tokens.CacheRead
	dst.Tokens.CacheWrite += s.Tokens.CacheWrite
	dst.Tokens.Reasoning += s.Tokens.Reasoning
	dst.Tokens.AudioInput += s.Tokens.AudioInput
	dst.Tokens.ImageInput += s.Tokens.ImageInput
	dst.Tokens.AudioOutput += s.Tokens.AudioOutput
	dst.Tokens.ImageOutput += s.Tokens.ImageOutput
	dst.CostUSD += s.CostUSD
	if s.StartNano != 0 && (dst.StartNano == 0 || s.StartNano < dst.StartNano) {
		dst.StartNano = s.StartNano
	}
	dst.EndNano = max(dst.EndNano, s.EndNano)
	dst.MaxCallInput = max(dst.MaxCallInput, s.MaxCallInput)
	if dst.Loop == nil {
		dst.Loop = s.Loop
	}
	if dst.Workflow == "" {
		dst.Workflow = s.Workflow
	}
	c1, a1, o1, ok1 := dst.CallCosts()
	c2, a2, o2, ok2 := s.CallCosts()
	if ok1 && ok2 {
		n := int64(len(c1))
		calls := append(append([]float64{}, c1...), c2...)
		after := append([]int64{}, a1...)
		for _, a := range a2 {
			after = append(after, a+n)
		}
		dst.SetCallCosts(calls, after, append(append([]float64{}, o1...), o2...))
	} else {
		dst.DropCallCosts()
	}
}

func secondsDuration(s float64) time.Duration {
	return time.Duration(math.Round(s * float64(time.Second)))
}
