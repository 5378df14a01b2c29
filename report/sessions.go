package report

import (
	"errors"
	"time"
)

// SessionRow is one session in the per-session exports (CSV, Parquet):
// the unit a warehouse aggregates across nightly runs.
type SessionRow struct {
	SessionID     string
	Workflow      string
	LLMCalls      int64
	ToolCalls     int64
	ToolErrors    int64
	InputTokens   int64 // includes cache reads and writes
	OutputTokens  int64 // includes reasoning
	CacheRead     int64
	CacheWrite    int64
	Reasoning     int64
	CostUSD       float64
	UnpricedCalls int64 // > 0: CostUSD is a lower bound
	DurationS     float64
	StartTS       string // RFC 3339 UTC; "" without timestamps
	// Loop flags, from the runaway-loop detector.
	Runaway       bool
	LoopSignal    string
	LoopTool      string
	LoopRepeats   int64
	LoopEnded     string
	WastedTokens  int64
	WastedCostUSD float64
}

// colKind is a column's value type, shared by the CSV and Parquet writers.
type colKind uint8

const (
	kString colKind = iota
	kInt
	kFloat
	kBool
)

type sessionColumn struct {
	name  string
	kind  colKind
	value func(*SessionRow) any // string, int64, float64 or bool per kind
}

// sessionColumns is the one definition of the per-session table: names,
// order and types are the same in CSV and Parquet.
var sessionColumns = []sessionColumn{
	{"session_id", kString, func(r *SessionRow) any { return r.SessionID }},
	{"workflow", kString, func(r *SessionRow) any { return r.Workflow }},
	{"llm_calls", kInt, func(r *SessionRow) any { return r.LLMCalls }},
	{"tool_calls", kInt, func(r *SessionRow) any { return r.ToolCalls }},
	{"tool_errors", kInt, func(r *SessionRow) any { return r.ToolErrors }},
	{"input_tokens", kInt, func(r *SessionRow) any { return r.InputTokens }},
	{"output_tokens", kInt, func(r *SessionRow) any { return r.OutputTokens }},
	{"cache_read_tokens", kInt, func(r *SessionRow) any { return r.CacheRead }},
	{"cache_write_tokens", kInt, func(r *SessionRow) any { return r.CacheWrite }},
	{"reasoning_tokens", kInt, func(r *SessionRow) any { return r.Reasoning }},
	{"cost_usd", kFloat, func(r *SessionRow) any { return r.CostUSD }},
	{"unpriced_calls", kInt, func(r *SessionRow) any { return r.UnpricedCalls }},
	{"duration_s", kFloat, func(r *SessionRow) any { return r.DurationS }},
	{"start_ts", kString, func(r *SessionRow) any { return r.StartTS }},
	{"runaway", kBool, func(r *SessionRow) any { return r.Runaway }},
	{"loop_signal", kString, func(r *SessionRow) any { return r.LoopSignal }},
	{"loop_tool", kString, func(r *SessionRow) any { return r.LoopTool }},
	{"loop_repeats", kInt, func(r *SessionRow) any { return r.LoopRepeats }},
	{"loop_ended", kString, func(r *SessionRow) any { return r.LoopEnded }},
	{"wasted_tokens", kInt, func(r *SessionRow) any { return r.WastedTokens }},
	{"wasted_cost_usd", kFloat, func(r *SessionRow) any { return r.WastedCostUSD }},
}

// ErrNoSessions: the Analysis was not built from a dataset (e.g. read
// back from JSON), so it has no per-session rows.
var ErrNoSessions = errors.New("per-session output needs the traces, not a JSON report")

// SessionRows returns one row per session, sorted by id.
func (a *Analysis) SessionRows() ([]SessionRow, error) {
	var rows []SessionRow
	err := a.eachSessionRow(func(r *SessionRow) error {
		rows = append(rows, *r)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if rows == nil {
		rows = []SessionRow{}
	}
	return rows, nil
}

// eachSessionRow shows fn each session's row, sorted by id, one at a
// time: the sessions may be read back from disk.
func (a *Analysis) eachSessionRow(fn func(*SessionRow) error) error {
	all, ok := a.allSessions()
	if !ok {
		return ErrNoSessions
	}
	loopOf := a.loopOf()
	var row SessionRow
	for s := range all {
		r := &row
		*r = SessionRow{
			SessionID: s.ID, Workflow: s.Workflow,
			LLMCalls: int64(s.LLMCalls), ToolCalls: int64(s.ToolCalls), ToolErrors: int64(s.ToolErrors),
			InputTokens: s.Tokens.Input, OutputTokens: s.Tokens.Output, CacheRead: s.Tokens.CacheRead,
			CacheWrite: s.Tokens.CacheWrite, Reasoning: s.Tokens.Reasoning,
			CostUSD: s.CostUSD, UnpricedCalls: int64(s.UnpricedCalls), DurationS: s.DurationS(),
		}
		if s.StartNano != 0 {
			r.StartTS = time.Unix(0, s.StartNano).UTC().Format(time.RFC3339Nano)
		}
		if l := loopOf(s); l != nil {
			r.Runaway, r.LoopSignal, r.LoopTool, r.LoopRepeats, r.LoopEnded = true, l.Signal, l.Tool, int64(l.Repeats), l.Ended
			r.WastedTokens, r.WastedCostUSD = l.WastedTokens, l.WastedCostUSD
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	return nil
}
