package main

// A differential test: every sample in the repository is analysed by
// tokcost and, separately, by the oracle in this file, which reads the
// files with encoding/json alone and prices from the embedded table's JSON
// (pricing/table_gen.json) with its own arithmetic. It calls no reader,
// normaliser or pricer of tokcost's, so a bug in one is not repeated in
// the other. Differences must be zero or listed in explained, with why.

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// figures are what both sides report for one input.
type figures struct {
	Sessions                             int
	Calls                                int64
	Input, Output, CacheRead, CacheWrite int64
	Cost                                 float64
}

// oracleRates are one model's rates as table_gen.json writes them.
type oracleRates struct {
	Input, Output, CacheRead, CacheWrite, CacheWrite1h, Reasoning float64
	HasCacheRead, HasCacheWrite                                   bool
	TierAbove                                                     int64
	InputAbove, OutputAbove, CacheReadAbove, CacheWriteAbove      float64
	CacheWrite1hAbove                                             float64
}

func (r *oracleRates) UnmarshalJSON(b []byte) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	f := func(k string) float64 {
		var v float64
		_ = json.Unmarshal(m[k], &v)
		return v
	}
	t := func(k string) bool {
		var v bool
		_ = json.Unmarshal(m[k], &v)
		return v
	}
	*r = oracleRates{f("input"), f("output"), f("cache_read"), f("cache_write"), f("cache_write_1h"), f("reasoning"),
		t("has_cache_read"), t("has_cache_write"), int64(f("tier_above")),
		f("input_above"), f("output_above"), f("cache_read_above"), f("cache_write_above"), f("cache_write_1h_above")}
	return nil
}

type oracleTable struct {
	Models map[string]struct {
		History []struct {
			From  string      `json:"from"`
			Rates oracleRates `json:"rates"`
		} `json:"history"`
	} `json:"models"`
}

// oracleKeys maps the sample models whose table key is not the id itself,
// each by hand: a Gemini id that does not say Vertex is the Gemini API's
// price (docs/pricing.md, rule google).
var oracleKeys = map[string]string{"gemini-2.0-flash": "gemini/gemini-2.0-flash"}

// oracleCall is one model call as the oracle reads it.
type oracleCall struct {
	model                                           string
	ts                                              time.Time
	in, out, cacheRead, cacheWrite, cw1h, reasoning int64
	producerCost                                    float64
	hasProducerCost                                 bool
}

// price is the call's cost at the rate in force on its day: the table's
// when it has the model, else the producer's own, else nothing.
func (tab *oracleTable) price(c oracleCall) (float64, bool) {
	key := strings.ToLower(c.model)
	if k, ok := oracleKeys[key]; ok {
		key = k
	}
	m, ok := tab.Models[key]
	if !ok || len(m.History) == 0 {
		return c.producerCost, c.hasProducerCost
	}
	h := m.History[len(m.History)-1] // no time: the current rate
	if !c.ts.IsZero() {
		h = m.History[0]
		for _, e := range m.History {
			if from, err := time.Parse("2006-01-02", e.From); e.From == "" || (err == nil && !from.After(c.ts)) {
				h = e
			}
		}
	}
	r := h.Rates
	in, out, read, write, write1h := r.Input, r.Output, r.CacheRead, r.CacheWrite, r.CacheWrite1h
	if r.TierAbove > 0 && c.in > r.TierAbove {
		for _, p := range []struct {
			dst *float64
			v   float64
		}{{&in, r.InputAbove}, {&out, r.OutputAbove},
			{&read, r.CacheReadAbove}, {&write, r.CacheWriteAbove}, {&write1h, r.CacheWrite1hAbove}} {
			if p.v > 0 {
				*p.dst = p.v
			}
		}
	}
	if !r.HasCacheRead {
		read = in
	}
	if !r.HasCacheWrite {
		write = in
	}
	if write1h == 0 {
		write1h = write
	}
	outCost := float64(c.out) * out
	if r.Reasoning > 0 {
		outCost = float64(c.out-c.reasoning)*out + float64(c.reasoning)*r.Reasoning
	}
	return float64(c.in-c.cacheRead-c.cacheWrite)*in + float64(c.cacheRead)*read +
		float64(c.cacheWrite-c.cw1h)*write + float64(c.cw1h)*write1h + outCost, true
}

// sum adds calls up, per session.
func (tab *oracleTable) sum(calls map[string][]oracleCall, toolSessions map[string]bool) figures {
	var f figures
	sessions := map[string]bool{}
	for s := range toolSessions {
		sessions[s] = true
	}
	for s, cs := range calls {
		sessions[s] = true
		for _, c := range cs {
			f.Calls++
			f.Input += c.in
			f.Output += c.out
			f.CacheRead += c.cacheRead
			f.CacheWrite += c.cacheWrite
			if v, ok := tab.price(c); ok {
				f.Cost += v
			}
		}
	}
	f.Sessions = len(sessions)
	return f
}

func oracleLines(t *testing.T, path string, fn func(m map[string]json.RawMessage)) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		var m map[string]json.RawMessage
		if json.Unmarshal(sc.Bytes(), &m) == nil {
			fn(m)
		}
	}
}

func str(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) != nil {
		var n json.Number
		if json.Unmarshal(raw, &n) == nil {
			return n.String()
		}
	}
	return s
}

func num(raw json.RawMessage) int64 {
	var f float64
	if json.Unmarshal(raw, &f) != nil {
		var s string
		_ = json.Unmarshal(raw, &s)
		json.Unmarshal([]byte(s), &f)
	}
	return int64(f)
}

// exactInt reads a nanosecond time written as a number or a string
// without a float64 detour.
func exactInt(raw json.RawMessage) int64 {
	var n json.Number
	if json.Unmarshal(raw, &n) != nil {
		var s string
		_ = json.Unmarshal(raw, &s)
		n = json.Number(s)
	}
	v, _ := n.Int64()
	return v
}

func when(s string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}

// oracleCanonical reads canonical JSONL: top-level token fields; a repeated
// id in a session is one event (the first).
func oracleCanonical(t *testing.T, tab *oracleTable, path string) figures {
	calls := map[string][]oracleCall{}
	tools := map[string]bool{}
	seen := map[string]bool{}
	oracleLines(t, path, func(m map[string]json.RawMessage) {
		s := str(m["session_id"])
		if s == "" {
			return
		}
		c := oracleCall{model: str(m["model"]), ts: when(str(m["ts"])), in: num(m["input_tokens"]), out: num(m["output_tokens"]),
			cacheRead: num(m["cache_read_tokens"]), cacheWrite: num(m["cache_write_tokens"]), cw1h: num(m["cache_write_1h_tokens"]),
			reasoning: num(m["reasoning_tokens"])}
		if min(c.in, c.out, c.cacheRead, c.cacheWrite, c.cw1h, c.reasoning) < 0 {
			return // a negative count makes the line invalid
		}
		if id := str(m["id"]); id != "" {
			if seen[s+"\x00"+id] {
				return
			}
			seen[s+"\x00"+id] = true
		}
		if raw, ok := m["cost_usd"]; ok {
			json.Unmarshal(raw, &c.producerCost)
			c.hasProducerCost = true
		}
		kind := str(m["kind"])
		switch st := str(m["status"]); {
		case kind != "" && kind != "llm" && kind != "tool", st != "" && st != "ok" && st != "error" && st != "timeout":
			return // an unknown kind or status makes the line invalid
		}
		if kind == "tool" || (kind == "" && str(m["tool"]) != "" && c.model == "" && c.in == 0 && c.out == 0) {
			tools[s] = true
			return
		}
		calls[s] = append(calls[s], c)
	})
	return tab.sum(calls, tools)
}

// oracleClaudeCode reads Claude Code transcripts: one call per message.id
// in a session, input = input + cache writes + cache reads, output the
// largest snapshot; tool results are tool steps.
func oracleClaudeCode(t *testing.T, tab *oracleTable, path string) figures {
	type msg struct {
		ID, Model string
		Usage     struct {
			Input         int64 `json:"input_tokens"`
			CacheWrite    int64 `json:"cache_creation_input_tokens"`
			CacheRead     int64 `json:"cache_read_input_tokens"`
			Output        int64 `json:"output_tokens"`
			CacheCreation struct {
				OneHour int64 `json:"ephemeral_1h_input_tokens"`
			} `json:"cache_creation"`
		}
		Content json.RawMessage
	}
	byID := map[string]*oracleCall{}
	var order []string
	tools := map[string]bool{}
	oracleLines(t, path, func(m map[string]json.RawMessage) {
		s := str(m["sessionId"])
		var mm msg
		if s == "" || json.Unmarshal(m["message"], &mm) != nil {
			return
		}
		switch str(m["type"]) {
		case "assistant":
			if mm.Model == "<synthetic>" {
				return
			}
			u := mm.Usage
			key := s + "\x00" + mm.ID
			if c := byID[key]; c != nil && mm.ID != "" {
				c.out = max(c.out, u.Output)
				return
			}
			byID[key] = &oracleCall{model: mm.Model, ts: when(str(m["timestamp"])), in: u.Input + u.CacheWrite + u.CacheRead,
				out: u.Output, cacheRead: u.CacheRead, cacheWrite: u.CacheWrite, cw1h: u.CacheCreation.OneHour}
			order = append(order, key)
		case "user":
			var blocks []struct{ Type string }
			if json.Unmarshal(mm.Content, &blocks) == nil {
				for _, b := range blocks {
					if b.Type == "tool_result" {
						tools[s] = true
					}
				}
			}
		}
	})
	calls := map[string][]oracleCall{}
	for _, k := range order {
		s, _, _ := strings.Cut(k, "\x00")
		calls[s] = append(calls[s], *byID[k])
	}
	return tab.sum(calls, tools)
}

// oracleCodex reads a rollout: one call per token_count with usage, its
// last_token_usage (the sample has it on every call).
func oracleCodex(t *testing.T, tab *oracleTable, path string) figures {
	var session, model string
	var cs []oracleCall
	tools := false
	oracleLines(t, path, func(m map[string]json.RawMessage) {
		var p struct {
			ID, Type, Model string
			Info            *struct {
				Last *struct {
					In        int64 `json:"input_tokens"`
					Cached    int64 `json:"cached_input_tokens"`
					Out       int64 `json:"output_tokens"`
					Reasoning int64 `json:"reasoning_output_tokens"`
				} `json:"last_token_usage"`
			}
		}
		json.Unmarshal(m["payload"], &p)
		switch str(m["type"]) + "/" + p.Type {
		case "session_meta/":
			if session == "" {
				session = p.ID
			}
		case "turn_context/":
			model = p.Model
		case "event_msg/token_count":
			if p.Info != nil && p.Info.Last != nil {
				l := p.Info.Last
				cs = append(cs, oracleCall{model: model, ts: when(str(m["timestamp"])), in: l.In, out: l.Out, cacheRead: l.Cached, reasoning: l.Reasoning})
			}
		case "response_item/function_call", "response_item/custom_tool_call", "response_item/web_search_call":
			tools = true
		}
	})
	return tab.sum(map[string][]oracleCall{session: cs}, map[string]bool{session: tools})
}

// oracleGemini reads a Gemini CLI session: output = output + thoughts,
// input = input + tool-use prompt.
func oracleGemini(t *testing.T, tab *oracleTable, path string) figures {
	var doc struct {
		SessionID string
		Messages  []struct {
			Type, Model, Timestamp string
			Tokens                 *struct{ Input, Output, Cached, Thoughts, Tool int64 }
			ToolCalls              []json.RawMessage
		}
	}
	data, _ := os.ReadFile(path)
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	var cs []oracleCall
	for _, m := range doc.Messages {
		if m.Type == "gemini" && m.Tokens != nil {
			k := m.Tokens
			cs = append(cs, oracleCall{model: m.Model, ts: when(m.Timestamp), in: k.Input + k.Tool, out: k.Output + k.Thoughts,
				cacheRead: min(k.Cached, k.Input), reasoning: k.Thoughts})
		}
	}
	return tab.sum(map[string][]oracleCall{doc.SessionID: cs}, nil)
}

// oracleLangfuse reads a trace download: GENERATIONs with usage are calls,
// their usageDetails buckets made inclusive when total is their sum.
func oracleLangfuse(t *testing.T, tab *oracleTable, path string) figures {
	var doc struct {
		Trace struct {
			ID, SessionID string
		}
		Observations []struct {
			Type, Model, StartTime string
			UsageDetails           map[string]int64
			CostDetails            map[string]float64
		}
	}
	data, _ := os.ReadFile(path)
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	session := doc.Trace.SessionID
	if session == "" {
		session = doc.Trace.ID
	}
	var cs []oracleCall
	tools := false
	for _, o := range doc.Observations {
		if o.Type == "TOOL" {
			tools = true
		}
		if o.Type != "GENERATION" || len(o.UsageDetails) == 0 {
			continue
		}
		var c oracleCall
		c.model, c.ts = o.Model, when(o.StartTime)
		for k, v := range o.UsageDetails {
			switch {
			case k == "total":
			case strings.HasPrefix(k, "input") || strings.HasPrefix(k, "prompt_details."):
				c.in += v
			case strings.HasPrefix(k, "output") || strings.HasPrefix(k, "completion_details."):
				c.out += v
			}
			if k == "input_cache_read" || k == "prompt_details.cache_read" {
				c.cacheRead += v
			}
			if k == "output_reasoning" || k == "completion_details.reasoning" {
				c.reasoning += v
			}
		}
		if v, ok := o.CostDetails["total"]; ok {
			c.producerCost, c.hasProducerCost = v, true
		}
		cs = append(cs, c)
	}
	return tab.sum(map[string][]oracleCall{session: cs}, map[string]bool{session: tools})
}

// oracleSpan is what the OTel oracle keeps of a span.
type oracleSpan struct {
	trace, id, parent string
	start             int64
	attrs             map[string]string
}

// oracleOTel reads a Tempo (OTLP JSON "batches"/"resourceSpans") or Jaeger
// ("data") export. A span with token counts is a call unless a span below
// it has counts too (the innermost one is the call; its ancestors repeat
// or sum it); session = gen_ai.conversation.id, else the trace.
func oracleOTel(t *testing.T, tab *oracleTable, path string) figures {
	data, _ := os.ReadFile(path)
	var doc struct {
		Batches, ResourceSpans []struct {
			ScopeSpans, InstrumentationLibrarySpans []struct {
				Spans []struct {
					TraceID, SpanID, ParentSpanID string
					StartTimeUnixNano             json.RawMessage // a number or a string
					Attributes                    []struct {
						Key   string
						Value map[string]json.RawMessage
					}
				}
			}
		}
		Data []struct {
			Spans []struct {
				TraceID, SpanID string
				StartTime       int64
				References      []struct{ RefType, SpanID string }
				Tags            []struct {
					Key   string
					Value json.RawMessage
				}
			}
		}
	}
	var spans []oracleSpan
	if err := json.Unmarshal(data, &doc); err != nil {
		spans = oracleDumpSpans(t, data) // SDK console dumps: a stream of span objects
	}
	for _, b := range append(doc.Batches, doc.ResourceSpans...) {
		for _, ss := range append(b.ScopeSpans, b.InstrumentationLibrarySpans...) {
			for _, sp := range ss.Spans {
				o := oracleSpan{trace: sp.TraceID, id: sp.SpanID, parent: sp.ParentSpanID, start: exactInt(sp.StartTimeUnixNano), attrs: map[string]string{}}
				for _, a := range sp.Attributes {
					for _, v := range a.Value {
						o.attrs[a.Key] = str(v)
					}
				}
				spans = append(spans, o)
			}
		}
	}
	for _, d := range doc.Data {
		for _, sp := range d.Spans {
			o := oracleSpan{trace: sp.TraceID, id: sp.SpanID, start: sp.StartTime * 1000, attrs: map[string]string{}}
			for _, r := range sp.References {
				if r.RefType == "CHILD_OF" {
					o.parent = r.SpanID
				}
			}
			for _, tg := range sp.Tags {
				o.attrs[tg.Key] = str(tg.Value)
			}
			spans = append(spans, o)
		}
	}
	// Current and deprecated names; the samples use no others.
	get := func(s oracleSpan, keys ...string) string {
		for _, k := range keys {
			if v := s.attrs[k]; v != "" {
				return v
			}
		}
		return ""
	}
	inKeys := []string{"gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens"}
	outKeys := []string{"gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens"}
	hasUsage := func(s oracleSpan) bool { return get(s, inKeys...) != "" || get(s, outKeys...) != "" }
	// Mark every ancestor of a span with usage: it is not the call.
	byID := map[string]int{}
	for i, s := range spans {
		byID[s.trace+"/"+s.id] = i
	}
	notCall := map[int]bool{}
	for _, s := range spans {
		if !hasUsage(s) {
			continue
		}
		for p, depth := s.parent, 0; p != "" && depth < 1000; depth++ {
			i, ok := byID[s.trace+"/"+p]
			if !ok {
				break
			}
			notCall[i] = true
			p = spans[i].parent
		}
	}
	calls := map[string][]oracleCall{}
	for i, s := range spans {
		if !hasUsage(s) || notCall[i] {
			continue
		}
		session := s.attrs["gen_ai.conversation.id"]
		if session == "" {
			session = s.trace
		}
		model := s.attrs["gen_ai.response.model"]
		if model == "" {
			model = s.attrs["gen_ai.request.model"]
		}
		n := func(keys ...string) int64 { return num(json.RawMessage(`"` + get(s, keys...) + `"`)) }
		calls[session] = append(calls[session], oracleCall{model: model, ts: time.Unix(0, s.start).UTC(),
			in: n(inKeys...), out: n(outKeys...), cacheRead: n("gen_ai.usage.cache_read.input_tokens", "gen_ai.usage.cache_read_input_tokens")})
	}
	return tab.sum(calls, nil)
}

// oracleLiteLLMUsage reads LiteLLM's usage object: prompt_tokens is the
// whole prompt and the Anthropic cache fields beside it are its parts.
func oracleLiteLLMUsage(raw json.RawMessage, c *oracleCall) bool {
	var u struct {
		Prompt     *int64 `json:"prompt_tokens"`
		Completion *int64 `json:"completion_tokens"`
		CacheWrite int64  `json:"cache_creation_input_tokens"`
		CacheRead  *int64 `json:"cache_read_input_tokens"`
		Details    *struct {
			Cached int64 `json:"cached_tokens"`
		} `json:"prompt_tokens_details"`
		Out *struct {
			Reasoning int64 `json:"reasoning_tokens"`
		} `json:"completion_tokens_details"`
	}
	if json.Unmarshal(raw, &u) != nil || (u.Prompt == nil && u.Completion == nil) {
		return false
	}
	if u.Prompt != nil {
		c.in = *u.Prompt
	}
	if u.Completion != nil {
		c.out = *u.Completion
	}
	c.cacheWrite = u.CacheWrite
	switch {
	case u.CacheRead != nil:
		c.cacheRead = *u.CacheRead
	case u.Details != nil:
		c.cacheRead = u.Details.Cached
	}
	if u.Out != nil {
		c.reasoning = u.Out.Reasoning
	}
	return true
}

// oracleOpenHands reads an OpenHands trajectory: one call per distinct
// tool_call_metadata.model_response.id; function-calling actions are tool
// steps; the session is the file. (The samples carry no token_usages.)
func oracleOpenHands(t *testing.T, tab *oracleTable, path string) figures {
	var events []struct {
		Timestamp        string
		ToolCallMetadata *struct {
			FunctionName  string          `json:"function_name"`
			ModelResponse json.RawMessage `json:"model_response"`
		} `json:"tool_call_metadata"`
		Action string
	}
	data, _ := os.ReadFile(path)
	if err := json.Unmarshal(data, &events); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	var cs []oracleCall
	tools := false
	for _, e := range events {
		m := e.ToolCallMetadata
		if m == nil {
			continue
		}
		if e.Action != "" && m.FunctionName != "" {
			tools = true
		}
		var mr struct {
			ID, Model string
			Usage     json.RawMessage
		}
		if json.Unmarshal(m.ModelResponse, &mr) != nil || mr.ID == "" || seen[mr.ID] {
			continue
		}
		seen[mr.ID] = true
		c := oracleCall{model: mr.Model, ts: when(e.Timestamp + "Z")}
		if oracleLiteLLMUsage(mr.Usage, &c) {
			cs = append(cs, c)
		}
	}
	return tab.sum(map[string][]oracleCall{path: cs}, map[string]bool{path: tools})
}

// oracleMiniSWE reads a mini-swe-agent trajectory: a message whose
// extra.response is an object is a call (distinct response ids), its
// extra.cost the producer's cost when above 0.
func oracleMiniSWE(t *testing.T, tab *oracleTable, path string) figures {
	var doc struct {
		InstanceID string `json:"instance_id"`
		Messages   []struct {
			Extra struct {
				Response  json.RawMessage
				Cost      float64
				Timestamp float64
				Actions   []json.RawMessage
			}
		}
	}
	data, _ := os.ReadFile(path)
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	var cs []oracleCall
	tools := false
	for _, m := range doc.Messages {
		tools = tools || len(m.Extra.Actions) > 0
		var r struct {
			ID, Model string
			Usage     json.RawMessage
		}
		if json.Unmarshal(m.Extra.Response, &r) != nil || r.Usage == nil || (r.ID != "" && seen[r.ID]) {
			continue
		}
		seen[r.ID] = true
		c := oracleCall{model: r.Model, ts: time.Unix(0, int64(m.Extra.Timestamp*1e6)*1000).UTC(),
			producerCost: m.Extra.Cost, hasProducerCost: m.Extra.Cost > 0}
		if oracleLiteLLMUsage(r.Usage, &c) {
			cs = append(cs, c)
		}
	}
	return tab.sum(map[string][]oracleCall{doc.InstanceID: cs}, map[string]bool{doc.InstanceID: tools})
}

// oracleSpendLogs reads LiteLLM proxy spend-log rows (JSON Lines): a row
// is a call (an MCP tool row a tool step); a repeated request_id in a
// session is one; tokens from metadata.usage_object, else the row's
// counts and metadata.additional_usage_values; spend is the producer cost.
func oracleSpendLogs(t *testing.T, tab *oracleTable, path string) figures {
	calls := map[string][]oracleCall{}
	tools := map[string]bool{}
	seen := map[string]bool{}
	oracleLines(t, path, func(m map[string]json.RawMessage) {
		id := str(m["request_id"])
		if id == "" {
			return
		}
		meta := m["metadata"]
		if s := str(meta); s != "" {
			meta = json.RawMessage(s)
		}
		var md map[string]json.RawMessage
		_ = json.Unmarshal(meta, &md)
		s := str(m["session_id"])
		if s == "" {
			s = id
		}
		if seen[s+"\x00"+id] {
			return
		}
		seen[s+"\x00"+id] = true
		if str(m["mcp_namespaced_tool_name"]) != "" {
			tools[s] = true
			return
		}
		c := oracleCall{model: str(m["model"]), ts: when(str(m["startTime"]))}
		if raw, ok := m["spend"]; ok {
			c.hasProducerCost = json.Unmarshal(raw, &c.producerCost) == nil
		}
		if !oracleLiteLLMUsage(md["usage_object"], &c) {
			c.in, c.out = num(m["prompt_tokens"]), num(m["completion_tokens"])
			var extra map[string]json.RawMessage
			_ = json.Unmarshal(md["additional_usage_values"], &extra)
			c.cacheRead, c.cacheWrite = num(extra["cache_read_input_tokens"]), num(extra["cache_creation_input_tokens"])
		}
		calls[s] = append(calls[s], c)
	})
	return tab.sum(calls, tools)
}

// oracleCSV reads canonical CSV: the canonical column names, numbers as
// text, one step per row.
func oracleCSV(t *testing.T, tab *oracleTable, path string) figures {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1 // a short row is invalid: skipped below, as tokcost does
	rows, err := r.ReadAll()
	if err != nil || len(rows) == 0 {
		t.Fatal(err)
	}
	var lines bytes.Buffer
	for _, row := range rows[1:] {
		if len(row) != len(rows[0]) {
			continue
		}
		m := map[string]any{}
		for i, col := range rows[0] {
			if i < len(row) && row[i] != "" {
				m[col] = row[i]
				if strings.HasSuffix(col, "_tokens") {
					m[col] = json.Number(row[i])
				}
			}
		}
		b, _ := json.Marshal(m)
		lines.Write(append(b, '\n'))
	}
	tmp := filepath.Join(t.TempDir(), "rows.jsonl")
	if err := os.WriteFile(tmp, lines.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return oracleCanonical(t, tab, tmp)
}

// oracleDumpSpans reads the spans of SDK console dumps: the Go SDK's
// stdouttrace (SpanStub JSON: SpanContext, Parent, Attributes as Key and
// typed Value) and Python's ConsoleSpanExporter (context, parent_id,
// attributes as an object), one JSON value after another.
func oracleDumpSpans(t *testing.T, data []byte) []oracleSpan {
	var spans []oracleSpan
	dec := json.NewDecoder(bytes.NewReader(data))
	for dec.More() {
		var v struct {
			SpanContext, Parent struct{ TraceID, SpanID string }
			StartTime           string
			Attributes          json.RawMessage
			Context             struct {
				TraceID string `json:"trace_id"`
				SpanID  string `json:"span_id"`
			}
			ParentID     string `json:"parent_id"`
			StartTimeStr string `json:"start_time"`
		}
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
		o := oracleSpan{attrs: map[string]string{}}
		if v.SpanContext.SpanID != "" {
			o.trace, o.id, o.parent, o.start = v.SpanContext.TraceID, v.SpanContext.SpanID, v.Parent.SpanID, when(v.StartTime).UnixNano()
			var kvs []struct {
				Key   string
				Value struct{ Value json.RawMessage }
			}
			_ = json.Unmarshal(v.Attributes, &kvs)
			for _, kv := range kvs {
				o.attrs[kv.Key] = str(kv.Value.Value)
			}
		} else {
			norm := func(id string) string { return strings.TrimPrefix(id, "0x") }
			o.trace, o.id, o.parent, o.start = norm(v.Context.TraceID), norm(v.Context.SpanID), norm(v.ParentID), when(v.StartTimeStr).UnixNano()
			var kv map[string]json.RawMessage
			_ = json.Unmarshal(v.Attributes, &kv)
			for k, x := range kv {
				o.attrs[k] = str(x)
			}
		}
		spans = append(spans, o)
	}
	return spans
}

// oracleSWEAgent reads a SWE-agent trajectory's info.model_stats: one
// session of api_calls calls, tokens_sent in, tokens_received out, and
// instance_cost as its cost (the totals have no cache split, so the
// producer's figure is the one reported).
func oracleSWEAgent(t *testing.T, _ *oracleTable, path string) figures {
	var doc struct {
		Info struct {
			ModelStats struct {
				TokensSent     int64   `json:"tokens_sent"`
				TokensReceived int64   `json:"tokens_received"`
				APICalls       int64   `json:"api_calls"`
				InstanceCost   float64 `json:"instance_cost"`
			} `json:"model_stats"`
		}
	}
	data, _ := os.ReadFile(path)
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	st := doc.Info.ModelStats
	return figures{Sessions: 1, Calls: st.APICalls, Input: st.TokensSent, Output: st.TokensReceived, Cost: st.InstanceCost}
}

// explained lists the inputs the oracle does not reproduce, with why; each
// is checked by hand in its reader's tests instead.
var explained = map[string]string{
	"ingest/otel/testdata/hand.jsonl":              "hand-written OTel lines: a truncated line, Anthropic-exclusive input made inclusive and an agent span repeating its call, checked field by field in ingest/otel TestHandFixture; the oracle reads one document per file",
	"ingest/otel/testdata/console_py.json":         "made-up Python console dump with an Anthropic span whose input excludes its cache (40 + 3,000 read + 500 written, made inclusive by the reader) and a span exported twice; the oracle models neither; checked by hand in ingest/otel TestConsolePython",
	"ingest/langfuse/testdata/blob.jsonl":          "hand-written blob export with a truncated line and mixed usage forms, checked field by field in ingest/langfuse TestBlobJSONL",
	"ingest/csvfmt/testdata/warehouse.csv":         "a CSV with a spreadsheet's column names, read only with --map (ingest/csvfmt TestMapped checks it by hand)",
	"ingest/parquet/testdata/duckdb-fleet.parquet": "testdata/fleet.jsonl (compared here) written as Parquet by DuckDB; ingest/parquet TestDuckDBWrittenParquet wants every record and the whole report identical to the JSONL's",
	"testdata/fleet.truth.jsonl":                   "truth labels for the generator's fleet (one line per session, not steps): not a trace",
	"ingest/opencode/testdata/mkdb.py":             "the python3 script that writes testdata/db/opencode.db, not a trace; the database is checked by hand in ingest/opencode TestDBFromWAL and script opencode_db.txtar",
	"testdata/service_tiers.jsonl":                 "service tiers and a nested Anthropic usage object, which the oracle prices at standard rates and does not read; checked by hand in analyze TestServiceTierPricing and script service_tiers.txtar",
}

func TestDifferentialSamples(t *testing.T) {
	raw, err := os.ReadFile("../../pricing/table_gen.json")
	if err != nil {
		t.Fatal(err)
	}
	var tab oracleTable
	if err := json.Unmarshal(raw, &tab); err != nil {
		t.Fatal(err)
	}
	oracles := map[string]func(*testing.T, *oracleTable, string) figures{
		"jsonl": oracleCanonical, "claude-code": oracleClaudeCode, "codex": oracleCodex,
		"gemini-cli": oracleGemini, "langfuse": oracleLangfuse, "tempo": oracleOTel, "jaeger": oracleOTel, "otlp": oracleOTel,
		"otel-console": oracleOTel, "stdouttrace": oracleOTel,
		"openhands": oracleOpenHands, "mini-swe-agent": oracleMiniSWE, "litellm-spend-logs": oracleSpendLogs, "csv": oracleCSV,
		"swe-agent": oracleSWEAgent,
	}
	var files []string
	for _, g := range []string{"../../testdata/*", "../../analyze/testdata/*", "../../ingest/*/testdata/*"} {
		m, _ := filepath.Glob(g)
		files = append(files, m...)
	}
	sort.Strings(files)
	compared := 0
	for _, f := range files {
		rel := strings.TrimPrefix(f, "../../")
		if st, err := os.Stat(f); err != nil || st.IsDir() || strings.HasSuffix(f, ".md") {
			continue
		}
		t.Run(rel, func(t *testing.T) {
			if why, ok := explained[rel]; ok {
				t.Logf("not compared: %s", why)
				return
			}
			var out, errOut bytes.Buffer
			code := Main(&IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}, []string{"analyze", "--format", "json", "--quiet", f})
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut.String())
			}
			var a struct {
				Input struct {
					Files []struct{ Format string }
				}
				Sessions struct {
					Count   int
					CostUSD struct{ Total float64 } `json:"cost_usd"`
				}
				Models []struct {
					Calls      int64
					Input      int64 `json:"input_tokens"`
					Output     int64 `json:"output_tokens"`
					CacheRead  int64 `json:"cache_read_tokens"`
					CacheWrite int64 `json:"cache_write_tokens"`
				}
			}
			if err := json.Unmarshal(out.Bytes(), &a); err != nil {
				t.Fatal(err)
			}
			format := a.Input.Files[0].Format
			oracle, ok := oracles[format]
			if !ok {
				t.Fatalf("no oracle for format %s and no explanation", format)
			}
			got := figures{Sessions: a.Sessions.Count, Cost: a.Sessions.CostUSD.Total}
			for _, m := range a.Models {
				got.Calls += m.Calls
				got.Input += m.Input
				got.Output += m.Output
				got.CacheRead += m.CacheRead
				got.CacheWrite += m.CacheWrite
			}
			want := oracle(t, &tab, f)
			costOK := math.Abs(got.Cost-want.Cost) <= 1e-9*math.Max(1, want.Cost)
			g, w := got, want
			g.Cost, w.Cost = 0, 0
			if g != w || !costOK {
				t.Errorf("tokcost %+v\noracle  %+v", got, want)
			} else {
				t.Logf("agree: %+v", got)
			}
			compared++
		})
	}
	if compared < 10 {
		t.Errorf("compared %d samples; the glob must have missed some", compared)
	}
}
