package codex

import (
	"bytes"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/valyala/fastjson"

	"github.com/tokcost/tokcost/ingest"
	"github.com/tokcost/tokcost/ingest/internal/fjson"
	"github.com/tokcost/tokcost/ingest/internal/toolhash"
)

func init() { ingest.Register(Format{}, 10) }

// Format is the Codex CLI rollout reader.
type Format struct{}

// Name implements ingest.Format.
func (Format) Name() string { return "codex" }

// Describe implements ingest.Format.
func (Format) Describe() string {
	return "OpenAI Codex CLI rollout JSONL (~/.codex/sessions/**/rollout-*.jsonl): token_count events as model calls, function/custom/web-search calls as tool steps"
}

// firstLine matches the start of every rollout line: serde writes the
// RolloutLine fields in this order.
var firstLine = regexp.MustCompile(`^\{"timestamp":"[^"]*","type":"(session_meta|turn_context|response_item|event_msg|compacted)","payload":`)

// sessionInName finds the session UUID in a rollout file name.
var sessionInName = regexp.MustCompile(`rollout-.*([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.jsonl`)

// Sniff implements ingest.Format: a first line shaped like a rollout line,
// or a rollout-*.jsonl name with JSON content. The first line can be far
// longer than the head (session_meta carries the base instructions), so only
// its prefix is examined.
func (Format) Sniff(name string, head []byte) bool {
	t := bytes.TrimLeft(head, " \t\r\n\ufeff")
	if firstLine.Match(t[:min(len(t), 512)]) {
		return true
	}
	base := path.Base(strings.ReplaceAll(name, `\`, "/"))
	return strings.HasPrefix(base, "rollout-") && strings.Contains(base, ".jsonl") && len(t) > 0 && t[0] == '{'
}

// The types below are read as encoding/json would fill them as structs
// (fjson.Fields: null = missing, last duplicate wins, wrong types named),
// keys matched exactly. Paths in messages are relative to the payload.

type line struct {
	Timestamp string
	Type      string
	Payload   *fastjson.Value
}

func decodeLine(o *fastjson.Object, l *line, f *fjson.Fields) {
	o.Visit(func(k []byte, v *fastjson.Value) {
		switch string(k) {
		case "timestamp":
			l.Timestamp = f.String("timestamp", v)
		case "type":
			l.Type = f.String("type", v)
		case "payload":
			l.Payload = v
		}
	})
}

type sessionMeta struct {
	ID            string
	Cwd           string
	Originator    string
	CLIVersion    string
	ModelProvider string
	Subagent      bool // source is an object with a "subagent" key ("cli" otherwise)
	GitBranch     string
}

func decodeMeta(o *fastjson.Object, m *sessionMeta, f *fjson.Fields) {
	o.Visit(func(k []byte, v *fastjson.Value) {
		switch string(k) {
		case "id":
			m.ID = f.String("id", v)
		case "cwd":
			m.Cwd = f.String("cwd", v)
		case "originator":
			m.Originator = f.String("originator", v)
		case "cli_version":
			m.CLIVersion = f.String("cli_version", v)
		case "model_provider":
			m.ModelProvider = f.String("model_provider", v)
		case "source":
			m.Subagent = v.Type() == fastjson.TypeObject && v.GetObject().Get("subagent") != nil
		case "git":
			m.GitBranch = ""
			if g := f.Object("git", v); g != nil {
				g.Visit(func(k []byte, v *fastjson.Value) {
					if string(k) == "branch" {
						m.GitBranch = f.String("git.branch", v)
					}
				})
			}
		}
	})
}

type usage struct {
	InputTokens           int64 // includes cached
	CachedInputTokens     int64
	OutputTokens          int64 // includes reasoning
	ReasoningOutputTokens int64
	TotalTokens           int64
}

// knownUsage is the keys of a token usage object the reader reads.
var knownUsage = map[string]bool{"input_tokens": true, "cached_input_tokens": true,
	"output_tokens": true, "reasoning_output_tokens": true, "total_tokens": true}

// unknownKey is k when it looks like a token count but is not one the
// reader reads ("Input_Tokens", "cache_creation_tokens"), else "": keys
// match exactly, and such a key would otherwise be ignored without a word
// (docs/formats/codex.md, "Odd JSON").
func unknownKey(k []byte) string {
	if key := string(k); !knownUsage[key] && strings.Contains(strings.ToLower(key), "token") {
		return key
	}
	return ""
}

// decodeUsage reads a usage object at path; nil when missing or null.
// The names of keys it does not know are added to unknown.
func decodeUsage(path string, v *fastjson.Value, f *fjson.Fields, unknown *[]string) *usage {
	o := f.Object(path, v)
	if o == nil {
		return nil
	}
	u := &usage{}
	o.Visit(func(k []byte, v *fastjson.Value) {
		if name := unknownKey(k); name != "" {
			*unknown = append(*unknown, name)
		}
		switch string(k) {
		case "input_tokens":
			u.InputTokens = f.Int64(path+".input_tokens", v)
		case "cached_input_tokens":
			u.CachedInputTokens = f.Int64(path+".cached_input_tokens", v)
		case "output_tokens":
			u.OutputTokens = f.Int64(path+".output_tokens", v)
		case "reasoning_output_tokens":
			u.ReasoningOutputTokens = f.Int64(path+".reasoning_output_tokens", v)
		case "total_tokens":
			u.TotalTokens = f.Int64(path+".total_tokens", v)
		}
	})
	return u
}

func (u usage) minus(p usage) usage {
	return usage{u.InputTokens - p.InputTokens, u.CachedInputTokens - p.CachedInputTokens,
		u.OutputTokens - p.OutputTokens, u.ReasoningOutputTokens - p.ReasoningOutputTokens, u.TotalTokens - p.TotalTokens}
}

func (u usage) negative() bool {
	return u.InputTokens < 0 || u.CachedInputTokens < 0 || u.OutputTokens < 0 || u.ReasoningOutputTokens < 0 || u.TotalTokens < 0
}

// item is the union of the payload fields the reader uses; Type tells which
// apply. Every field is checked on every payload the reader uses.
type item struct {
	Type  string
	Model string // turn_context
	Info  *struct {
		Total   *usage   // total_token_usage
		Last    *usage   // last_token_usage
		Unknown []string // keys of either that the reader does not know
	} // token_count
	Name     string          // function_call, custom_tool_call
	Args     string          // arguments; function_call: the arguments' JSON text
	Input    string          // custom_tool_call: the tool's input text
	Result   string          // output; function_call_output, custom_tool_call_output
	CallID   string          // call_id; calls and their end events
	Status   string          // exec_command_end, web_search_call
	ExitCode *int64          // exec_command_end
	Duration *fastjson.Value // exec_command_end: {secs,nanos}
	Stderr   string
	Output   string // aggregated_output
	Success  *bool  // patch_apply_end
}

func decodeItem(o *fastjson.Object, it *item, f *fjson.Fields) {
	o.Visit(func(k []byte, v *fastjson.Value) {
		switch string(k) {
		case "type":
			it.Type = f.String("type", v)
		case "model":
			it.Model = f.String("model", v)
		case "info":
			it.Info = nil
			if io := f.Object("info", v); io != nil {
				it.Info = &struct {
					Total, Last *usage
					Unknown     []string
				}{}
				io.Visit(func(k []byte, v *fastjson.Value) {
					switch string(k) {
					case "total_token_usage":
						it.Info.Total = decodeUsage("info.total_token_usage", v, f, &it.Info.Unknown)
					case "last_token_usage":
						it.Info.Last = decodeUsage("info.last_token_usage", v, f, &it.Info.Unknown)
					}
				})
			}
		case "name":
			it.Name = f.String("name", v)
		case "arguments":
			it.Args = f.String("arguments", v)
		case "input":
			it.Input = f.String("input", v)
		case "output":
			it.Result = f.String("output", v)
		case "call_id":
			it.CallID = f.String("call_id", v)
		case "status":
			it.Status = f.String("status", v)
		case "exit_code":
			it.ExitCode = nil
			if v.Type() != fastjson.TypeNull {
				n := f.Int64("exit_code", v)
				it.ExitCode = &n
			}
		case "duration":
			it.Duration = v
		case "stderr":
			it.Stderr = f.String("stderr", v)
		case "aggregated_output":
			it.Output = f.String("aggregated_output", v)
		case "success":
			it.Success = nil
			if v.Type() != fastjson.TypeNull {
				b := f.Bool("success", v)
				it.Success = &b
			}
		}
	})
}

// toolResult is a call's output as loop detection needs it: a hash and a
// size, never the text (memory stays per call, not per byte).
type toolResult struct {
	hash  uint64
	bytes int64
}

// resultBody is the part of a function_call_output that says what the
// call did: Codex heads its exec output with a chunk id and a wall time
// that differ on every run ("Chunk ID: a21e41\nWall time: 1.0037
// seconds\n…\nOutput:\n"), so two runs of one command that printed the
// same thing would never look alike. The exit line and the output stay.
func resultBody(s string) string {
	head, body, ok := strings.Cut(s, "\nOutput:\n")
	if !ok || !strings.HasPrefix(head, "Chunk ID: ") {
		return s
	}
	exit := ""
	for _, l := range strings.Split(head, "\n") {
		if strings.HasPrefix(l, "Process exited with code ") {
			exit = l
		}
	}
	return exit + "\n" + body
}

// end is what an end event says about a call.
type end struct {
	failed     bool
	text       string
	durationMS float64
}

// maxErrorText bounds Record.Error: enough to classify and show a failure.
const maxErrorText = 2 << 10

// decoder holds one file's state. The session id, provider and role come
// from session_meta and end events follow their calls, so records are
// buffered (one per call, not per line) and completed at the end.
type decoder struct {
	file     string
	sink     ingest.Sink
	recs     []ingest.Record
	meta     *sessionMeta
	model    string // latest turn_context.model
	prev     usage  // last total_token_usage seen
	havePrev bool
	ends     map[string]end // call_id → outcome
	results  map[string]toolResult
	p        fastjson.Parser // the line; its values live until the next line
	args     fastjson.Parser // tool arguments, parsed while the line's values are in use
	content  bool            // a line other than session_meta since the last session_meta
	// searches counts the web_search_call items (not failed) since the last
	// call record: the Responses API hosted tool, billed per call, made by
	// the response whose token_count follows them.
	searches int64
	// searchLine is the line of the latest search counted in searches.
	searchLine int64
}

// Decode implements ingest.Format. Every line ends up as one record or one
// Note: lines = lines-with-records + duplicate + invalid + blank + skipped.
func (Format) Decode(src *ingest.Source, newSink ingest.SinkFactory) error {
	d := &decoder{file: src.Name, sink: newSink(), ends: map[string]end{}, results: map[string]toolResult{}}
	n, err := src.EachLine(func(b []byte, n int64) error {
		d.line(b, n)
		return nil
	}, func(n int64) { d.note(ingest.NoteInvalid, n, ingest.ReasonLineTooLong, "") })
	d.trailingSearches()
	d.flush()
	d.sink.Lines(n)
	if err != nil {
		return fmt.Errorf("read %s: %w", src.Name, err)
	}
	return nil
}

func (d *decoder) note(kind ingest.NoteKind, n int64, reason, detail string) {
	d.sink.Note(ingest.Note{Kind: kind, File: d.file, Line: n, Reason: reason, Detail: detail})
}

// payload reads the line's payload into what decode fills. A missing
// payload is malformed, as to encoding/json an empty text is; null is
// an empty payload; any other non-object a wrong type (": string").
func (d *decoder) payload(l *line, n int64, decode func(*fastjson.Object, *fjson.Fields)) bool {
	if l.Payload == nil {
		d.note(ingest.NoteInvalid, n, "malformed json", "unexpected end of JSON input")
		return false
	}
	var f fjson.Fields
	if o := f.Object("", l.Payload); o != nil {
		decode(o, &f)
	}
	if f.Err != "" {
		d.note(ingest.NoteInvalid, n, "wrong field type", f.Err)
		return false
	}
	return true
}

func (d *decoder) line(b []byte, n int64) {
	if ingest.IsBlank(b) {
		d.note(ingest.NoteBlank, n, "", "")
		return
	}
	b = bytes.TrimSpace(b)
	if b[0] != '{' {
		d.note(ingest.NoteInvalid, n, "not a json object", "")
		return
	}
	v, detail, ok := fjson.Parse(&d.p, b)
	if !ok {
		d.note(ingest.NoteInvalid, n, "malformed json", detail)
		return
	}
	var l line
	var f fjson.Fields
	decodeLine(v.GetObject(), &l, &f) // b starts with '{': an object
	if f.Err != "" {
		d.note(ingest.NoteInvalid, n, "wrong field type", f.Err)
		return
	}
	if l.Type == "" {
		d.note(ingest.NoteInvalid, n, "missing type", "")
		return
	}
	if l.Type == "session_meta" {
		var m sessionMeta
		if !d.payload(&l, n, func(o *fastjson.Object, f *fjson.Fields) { decodeMeta(o, &m, f) }) {
			return
		}
		switch {
		case d.meta == nil:
			d.meta = &m
		case d.content:
			// A session_meta after other lines starts another rollout
			// (rollouts concatenated on stdin): the session so far ends.
			d.trailingSearches()
			d.flush()
			d.meta, d.model, d.prev, d.havePrev = &m, "", usage{}, false
		}
		// Metas in a row keep the first: a fork writes its own, then its
		// parent's history, which opens with the parent's.
		d.content = false
		d.note(ingest.NoteSkipped, n, l.Type, "")
		return
	}
	d.content = true
	var ptype string
	if l.Payload != nil {
		ok := d.payload(&l, n, func(o *fastjson.Object, f *fjson.Fields) {
			o.Visit(func(k []byte, v *fastjson.Value) {
				if string(k) == "type" {
					ptype = f.String("type", v)
				}
			})
		})
		if !ok {
			return
		}
	}
	kind := l.Type
	if ptype != "" {
		kind = l.Type + "/" + ptype
	}
	if !handled[kind] {
		d.note(ingest.NoteSkipped, n, kind, "")
		return
	}
	// Only payloads the reader uses are decoded further, so an odd field in
	// some other event type cannot invalidate a line.
	var it item
	if !d.payload(&l, n, func(o *fastjson.Object, f *fjson.Fields) { decodeItem(o, &it, f) }) {
		return
	}
	ts := ingest.ParseTimeOrZero(l.Timestamp)
	switch kind {
	case "turn_context":
		if it.Model != "" {
			d.model = it.Model
		}
		d.note(ingest.NoteSkipped, n, kind, "")
	case "event_msg/token_count":
		d.tokenCount(&it, n, ts)
		if len(d.recs) > 0 && d.recs[len(d.recs)-1].Line == n {
			r := &d.recs[len(d.recs)-1]
			r.TSAssumedUTC, r.TSUnreadable = ingest.TimeFlags(l.Timestamp)
		}
	case "response_item/function_call", "response_item/custom_tool_call", "response_item/web_search_call":
		r := ingest.Record{Kind: ingest.KindTool, ID: it.CallID, TSNano: ts, Tool: it.Name, File: d.file, Line: n}
		if it.Type == "web_search_call" {
			r.Tool = "web_search" // a hosted tool: no name, no call_id
			if it.Status == "failed" {
				r.Status = ingest.StatusError
			} else {
				d.searches++
				d.searchLine = n
			}
		}
		r.TSAssumedUTC, r.TSUnreadable = ingest.TimeFlags(l.Timestamp)
		switch {
		case it.Args != "":
			r.ToolArgsHash, r.ToolArgsLabel, _ = toolhash.ValueText(&d.args, it.Args)
		case it.Input != "":
			r.ToolArgsHash, r.ToolArgsLabel, _ = toolhash.ValueText(&d.args, it.Input)
		}
		d.recs = append(d.recs, r)
	case "response_item/function_call_output", "response_item/custom_tool_call_output":
		body := resultBody(it.Result)
		d.results[it.CallID] = toolResult{toolhash.Text(body), int64(len(body))}
		d.note(ingest.NoteSkipped, n, kind, "") // joined to the call's record
	case "event_msg/exec_command_end":
		e := end{failed: (it.ExitCode != nil && *it.ExitCode != 0) || (it.Status != "" && it.Status != "completed"),
			durationMS: durationMS(it.Duration)}
		if e.failed {
			e.text = it.Stderr
			if strings.TrimSpace(e.text) == "" {
				e.text = it.Output
			}
		}
		d.ends[it.CallID] = e
		d.note(ingest.NoteSkipped, n, kind, "") // its outcome is joined to the call's record
	case "event_msg/patch_apply_end":
		e := end{failed: it.Success != nil && !*it.Success}
		if e.failed {
			e.text = it.Stderr
		}
		d.ends[it.CallID] = e
		d.note(ingest.NoteSkipped, n, kind, "")
	}
}

// handled lists the line kinds that carry data; all others are skipped
// with the kind as reason.
var handled = map[string]bool{
	"turn_context":                          true,
	"event_msg/token_count":                 true,
	"response_item/function_call":           true,
	"response_item/custom_tool_call":        true,
	"response_item/web_search_call":         true,
	"response_item/function_call_output":    true,
	"response_item/custom_tool_call_output": true,
	"event_msg/exec_command_end":            true,
	"event_msg/patch_apply_end":             true,
}

// tokenCount turns one token_count event into a model call. Usage is the
// per-call last_token_usage, or else the difference of the cumulative
// totals; totals are never summed (docs/formats/codex.md).
func (d *decoder) tokenCount(it *item, n, ts int64) {
	if it.Info == nil {
		d.note(ingest.NoteSkipped, n, "token_count without info", "") // a rate-limit-only update
		return
	}
	total, last := it.Info.Total, it.Info.Last
	if total != nil && d.havePrev && *total == d.prev {
		d.note(ingest.NoteDuplicate, n, "repeated token_count", "total_tokens "+strconv.FormatInt(total.TotalTokens, 10))
		return
	}
	var u usage
	switch {
	case last != nil:
		u = *last
	case total != nil && d.havePrev:
		u = total.minus(d.prev)
	case total != nil:
		u = *total
	default:
		d.note(ingest.NoteInvalid, n, "token_count without usage", "")
		return
	}
	if total != nil {
		d.prev, d.havePrev = *total, true
	}
	if u.negative() {
		d.note(ingest.NoteInvalid, n, "negative tokens", "")
		return
	}
	r := ingest.Record{
		Kind:            ingest.KindLLM,
		TSNano:          ts,
		Model:           d.model, // empty before any turn_context: left unpriced, not guessed
		InputTokens:     u.InputTokens,
		OutputTokens:    u.OutputTokens,
		CacheReadTokens: u.CachedInputTokens,
		ReasoningTokens: u.ReasoningOutputTokens,
		// The response's hosted web searches, priced per call where the
		// table has a fee, else reported as unpriced (docs/pricing.md).
		WebSearchRequests: d.searches,
		File:              d.file,
		Line:              n,
	}
	d.searches = 0
	if len(it.Info.Unknown) > 0 {
		slices.Sort(it.Info.Unknown)
		r.UnknownUsage = strings.Join(slices.Compact(it.Info.Unknown), ",")
	}
	if total != nil {
		// The running total identifies the call, also across a copy of the
		// same rollout (sessions/ and archived_sessions/).
		// Every cumulative field, not total_tokens alone: some rollouts omit
		// it, and two different calls would then share one id.
		r.ID = fmt.Sprintf("tokens@%d/%d/%d/%d/%d", total.InputTokens, total.CachedInputTokens,
			total.OutputTokens, total.ReasoningOutputTokens, total.TotalTokens)
	}
	d.recs = append(d.recs, r)
}

// trailingSearches accounts for web searches after a rollout's last
// token_count: no call record carries them, so they cannot be priced. They
// are noted (an invalid record of a line already counted), never dropped
// silently, and not charged to the next rollout's first call.
func (d *decoder) trailingSearches() {
	if d.searches > 0 {
		d.sink.Note(ingest.Note{Kind: ingest.NoteInvalid, File: d.file, Line: d.searchLine, SameUnit: true,
			Reason: "web search after the last token_count",
			Detail: strconv.FormatInt(d.searches, 10) + " searches without a following token_count: not priced"})
	}
	d.searches = 0
}

// flush completes the buffered records with session-wide fields and their
// end events, and emits them in file order.
func (d *decoder) flush() {
	session, provider, role := "", "", "main"
	attrs := map[string]string{}
	if m := d.meta; m != nil {
		session, provider = m.ID, m.ModelProvider
		for k, v := range map[string]string{"cwd": m.Cwd, "originator": m.Originator, "version": m.CLIVersion} {
			if v != "" {
				attrs[k] = v
			}
		}
		if m.GitBranch != "" {
			attrs["gitBranch"] = m.GitBranch
		}
		if m.Subagent {
			role = "subagent"
		}
	}
	if session == "" {
		// Without session_meta the file name still carries the session UUID.
		if s := sessionInName.FindStringSubmatch(d.file); s != nil {
			session = s[1]
		} else {
			session = d.file
		}
	}
	for i := range d.recs {
		r := &d.recs[i]
		r.SessionID, r.Role = session, role
		r.Attrs = make(map[string]string, len(attrs))
		for k, v := range attrs {
			r.Attrs[k] = v
		}
		if r.Kind == ingest.KindLLM {
			r.Provider = provider
			continue
		}
		if res, ok := d.results[r.ID]; ok && r.ID != "" {
			r.ToolResultHash, r.ToolResultBytes = res.hash, res.bytes
		}
		if e, ok := d.ends[r.ID]; ok && r.ID != "" {
			r.DurationMS = e.durationMS
			if e.failed {
				r.Status = ingest.StatusError
				r.Error = ingest.TruncateUTF8(e.text, maxErrorText)
			}
		}
	}
	for i := range d.recs {
		d.sink.Record(&d.recs[i])
	}
	d.recs = nil
}

// durationMS reads a serde Duration {secs, nanos}; anything else is unknown.
func durationMS(v *fastjson.Value) float64 {
	if v == nil || v.Type() == fastjson.TypeNull {
		return 0
	}
	o, err := v.Object()
	if err != nil {
		return 0
	}
	var f fjson.Fields
	var secs, nanos float64
	o.Visit(func(k []byte, v *fastjson.Value) {
		switch string(k) {
		case "secs":
			secs = f.Float64("secs", v)
		case "nanos":
			nanos = f.Float64("nanos", v)
		}
	})
	if f.Err != "" || secs < 0 || nanos < 0 {
		return 0
	}
	return secs*1e3 + nanos/1e6
}
