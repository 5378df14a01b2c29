package codex

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/valyala/fastjson"
	"path"
	"regexp"
	"strconv"
	"strings"

	"github.com/tokcost/tokcost/ingest"
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

type line struct {
	Timestamp string          `json:"timestamp"`
	Type      string          `json:"type"`
	Payload   json.RawMessage `json:"payload"`
}

type sessionMeta struct {
	ID            string          `json:"id"`
	Cwd           string          `json:"cwd"`
	Originator    string          `json:"originator"`
	CLIVersion    string          `json:"cli_version"`
	ModelProvider string          `json:"model_provider"`
	Source        json.RawMessage `json:"source"` // "cli", or an object such as {"subagent":…}
	Git           *struct {
		Branch string `json:"branch"`
	} `json:"git"`
}

type usage struct {
	InputTokens           int64 `json:"input_tokens"` // includes cached
	CachedInputTokens     int64 `json:"cached_input_tokens"`
	OutputTokens          int64 `json:"output_tokens"` // includes reasoning
	ReasoningOutputTokens int64 `json:"reasoning_output_tokens"`
	TotalTokens           int64 `json:"total_tokens"`
}

func (u usage) minus(p usage) usage {
	return usage{u.InputTokens - p.InputTokens, u.CachedInputTokens - p.CachedInputTokens,
		u.OutputTokens - p.OutputTokens, u.ReasoningOutputTokens - p.ReasoningOutputTokens, u.TotalTokens - p.TotalTokens}
}

func (u usage) negative() bool {
	return u.InputTokens < 0 || u.CachedInputTokens < 0 || u.OutputTokens < 0 || u.ReasoningOutputTokens < 0 || u.TotalTokens < 0
}

// item is the union of the payload fields the reader uses; Type tells which
// apply.
type item struct {
	Type  string `json:"type"`
	Model string `json:"model"` // turn_context
	Info  *struct {
		Total *usage `json:"total_token_usage"`
		Last  *usage `json:"last_token_usage"`
	} `json:"info"` // token_count
	Name     string          `json:"name"`      // function_call, custom_tool_call
	Args     string          `json:"arguments"` // function_call: the arguments' JSON text
	Input    string          `json:"input"`     // custom_tool_call: the tool's input text
	Result   string          `json:"output"`    // function_call_output, custom_tool_call_output
	CallID   string          `json:"call_id"`   // calls and their end events
	Status   string          `json:"status"`    // exec_command_end, web_search_call
	ExitCode *int64          `json:"exit_code"` // exec_command_end
	Duration json.RawMessage `json:"duration"`  // exec_command_end: {secs,nanos}
	Stderr   string          `json:"stderr"`
	Output   string          `json:"aggregated_output"`
	Success  *bool           `json:"success"` // patch_apply_end
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
	p        fastjson.Parser
	content  bool // a line other than session_meta since the last session_meta
	// searches counts the web_search_call items (not failed) since the last
	// call record: the Responses API hosted tool, billed per call, made by
	// the response whose token_count follows them.
	searches int64
}

// Decode implements ingest.Format. Every line ends up as one record or one
// Note: lines = lines-with-records + duplicate + invalid + blank + skipped.
func (Format) Decode(src *ingest.Source, newSink ingest.SinkFactory) error {
	d := &decoder{file: src.Name, sink: newSink(), ends: map[string]end{}, results: map[string]toolResult{}}
	n, err := src.EachLine(func(b []byte, n int64) error {
		d.line(b, n)
		return nil
	}, func(n int64) { d.note(ingest.NoteInvalid, n, ingest.ReasonLineTooLong, "") })
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

// decodeErr turns a json error into an invalid-line reason.
func decodeErr(err error) (reason, detail string) {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return "wrong field type", te.Field + ": " + te.Value
	}
	return "malformed json", err.Error()
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
	var l line
	if err := json.Unmarshal(b, &l); err != nil {
		reason, detail := decodeErr(err)
		d.note(ingest.NoteInvalid, n, reason, detail)
		return
	}
	if l.Type == "" {
		d.note(ingest.NoteInvalid, n, "missing type", "")
		return
	}
	if l.Type == "session_meta" {
		var m sessionMeta
		if err := json.Unmarshal(l.Payload, &m); err != nil {
			reason, detail := decodeErr(err)
			d.note(ingest.NoteInvalid, n, reason, detail)
			return
		}
		switch {
		case d.meta == nil:
			d.meta = &m
		case d.content:
			// A session_meta after other lines starts another rollout
			// (rollouts concatenated on stdin): the session so far ends.
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
	var pt struct {
		Type string `json:"type"`
	}
	if len(l.Payload) > 0 {
		if err := json.Unmarshal(l.Payload, &pt); err != nil {
			reason, detail := decodeErr(err)
			d.note(ingest.NoteInvalid, n, reason, detail)
			return
		}
	}
	kind := l.Type
	if pt.Type != "" {
		kind = l.Type + "/" + pt.Type
	}
	if !handled[kind] {
		d.note(ingest.NoteSkipped, n, kind, "")
		return
	}
	// Only payloads the reader uses are decoded further, so an odd field in
	// some other event type cannot invalidate a line.
	var it item
	if err := json.Unmarshal(l.Payload, &it); err != nil {
		reason, detail := decodeErr(err)
		d.note(ingest.NoteInvalid, n, reason, detail)
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
			}
		}
		r.TSAssumedUTC, r.TSUnreadable = ingest.TimeFlags(l.Timestamp)
		switch {
		case it.Args != "":
			r.ToolArgsHash, r.ToolArgsLabel, _ = toolhash.ValueText(&d.p, it.Args)
		case it.Input != "":
			r.ToolArgsHash, r.ToolArgsLabel, _ = toolhash.ValueText(&d.p, it.Input)
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
		if m.Git != nil && m.Git.Branch != "" {
			attrs["gitBranch"] = m.Git.Branch
		}
		var src map[string]json.RawMessage
		if json.Unmarshal(m.Source, &src) == nil && src["subagent"] != nil {
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
func durationMS(raw json.RawMessage) float64 {
	var dur struct {
		Secs  float64 `json:"secs"`
		Nanos float64 `json:"nanos"`
	}
	if json.Unmarshal(raw, &dur) != nil || dur.Secs < 0 || dur.Nanos < 0 {
		return 0
	}
	return dur.Secs*1e3 + dur.Nanos/1e6
}
