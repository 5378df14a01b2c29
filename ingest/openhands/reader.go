package openhands

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/valyala/fastjson"

	"github.com/tokcost/tokcost/ingest"
	"github.com/tokcost/tokcost/ingest/internal/fjson"
	"github.com/tokcost/tokcost/ingest/internal/jsonscan"
	"github.com/tokcost/tokcost/ingest/internal/litellm"
	"github.com/tokcost/tokcost/ingest/internal/toolhash"
)

func init() { ingest.Register(Format{}, 10) }

// Format is the OpenHands trajectory reader.
type Format struct{}

// Name implements ingest.Format.
func (Format) Name() string { return "openhands" }

// Describe implements ingest.Format.
func (Format) Describe() string {
	return "OpenHands trajectory JSON (an array of events): one model call per distinct model_response id (or llm_metrics.token_usages entry), tool actions as tool steps; units are events"
}

// sources are the values OpenHands writes in an event's "source".
var sources = map[string]bool{"agent": true, "user": true, "environment": true}

// Sniff implements ingest.Format: an array whose first element is an
// object that starts with OpenHands' leading event keys (id, timestamp,
// source, in that order; id is dropped when unset) and whose source is
// agent, user or environment.
func (Format) Sniff(name string, head []byte) bool {
	t := bytes.TrimLeft(head, " \t\r\n\ufeff")
	if len(t) == 0 || t[0] != '[' || !bytes.Contains(t, []byte(`"source"`)) {
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(t))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
		return false
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return false
	}
	for i := 0; i < 3 && dec.More(); i++ {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		key, _ := tok.(string)
		switch {
		case key == "source":
			var s string
			return i > 0 && dec.Decode(&s) == nil && sources[s]
		case key == "id" && i == 0, key == "timestamp" && i <= 1:
			var skip json.RawMessage
			if dec.Decode(&skip) != nil {
				return false
			}
		default:
			return false
		}
	}
	return false
}

// event is the subset of an event the reader uses; its fields are read
// as encoding/json would fill a struct (fjson.Fields), keys matched
// exactly. Pointers: absent or null is nil.
type event struct {
	ID          *int64
	Timestamp   string
	Action      string
	Observation string
	Meta        *toolMeta
	Metrics     *metrics
	Extras      *fastjson.Value // any shape
	Content     *fastjson.Value // any shape
}

type toolMeta struct {
	FunctionName  string
	ToolCallID    string
	ModelResponse *modelResponse
}

// modelResponse is the LiteLLM ModelResponse of the call that issued the
// action.
type modelResponse struct {
	ID      string
	Model   string
	Usage   *fastjson.Value
	Choices []choice
}

type choice struct {
	ToolCalls []toolCall // message.tool_calls
}

// toolCall is one tool call of the response: its arguments are what the
// model asked for, as JSON text.
type toolCall struct {
	ID        string
	Arguments *string // function.arguments
}

// args returns the arguments text of the response's tool call id.
func (mr *modelResponse) args(id string) (string, bool) {
	for _, c := range mr.Choices {
		for _, tc := range c.ToolCalls {
			if tc.ID == id && tc.Arguments != nil {
				return *tc.Arguments, true
			}
		}
	}
	return "", false
}

// metrics is OpenHands' Metrics.get(): the running totals of the
// conversation at the time of the event, with one token_usages entry per
// call so far.
type metrics struct {
	TokenUsages []tokenUsage
}

// tokenUsage is OpenHands' TokenUsage: prompt_tokens is LiteLLM's
// (inclusive of the cache), cache_read_tokens its cached_tokens,
// cache_write_tokens its cache_creation_input_tokens.
type tokenUsage struct {
	Model            string
	PromptTokens     int64
	CompletionTokens int64
	CacheReadTokens  int64
	CacheWriteTokens int64
	ResponseID       string
	Unknown          []string // token keys not read (usageKeys)
}

// usageKeys are the token keys of a token_usages entry the reader reads,
// and per_turn_token, the call's prompt + completion, which it leaves.
// Another key containing "token" in any case ("Prompt_Tokens",
// "reasoning_tokens") is named in Record.UnknownUsage
// (docs/formats/openhands.md).
var usageKeys = map[string]bool{"prompt_tokens": true, "completion_tokens": true,
	"cache_read_tokens": true, "cache_write_tokens": true, "per_turn_token": true}

// visit calls fn with each key of the object v (nil: missing or null),
// naming a value of another type at path in f.
func visit(f *fjson.Fields, path string, v *fastjson.Value, fn func(k string, v *fastjson.Value)) bool {
	o := f.Object(path, v)
	if o == nil {
		return false
	}
	o.Visit(func(k []byte, v *fastjson.Value) { fn(string(k), v) })
	return true
}

func decodeEvent(o *fastjson.Object, e *event, f *fjson.Fields) {
	o.Visit(func(k []byte, v *fastjson.Value) {
		switch string(k) {
		case "id":
			e.ID = nil
			if v.Type() != fastjson.TypeNull {
				if n := f.Int64("id", v); f.Err == "" {
					e.ID = &n
				}
			}
		case "timestamp":
			e.Timestamp = f.String("timestamp", v)
		case "action":
			e.Action = f.String("action", v)
		case "observation":
			e.Observation = f.String("observation", v)
		case "tool_call_metadata":
			e.Meta = nil
			m := &toolMeta{}
			if visit(f, "tool_call_metadata", v, func(k string, v *fastjson.Value) {
				switch k {
				case "function_name":
					m.FunctionName = f.String("tool_call_metadata.function_name", v)
				case "tool_call_id":
					m.ToolCallID = f.String("tool_call_metadata.tool_call_id", v)
				case "model_response":
					m.ModelResponse = nil
					mr := &modelResponse{}
					if visit(f, "tool_call_metadata.model_response", v, func(k string, v *fastjson.Value) { decodeResponse(k, v, mr, f) }) {
						m.ModelResponse = mr
					}
				}
			}) {
				e.Meta = m
			}
		case "llm_metrics":
			e.Metrics = nil
			m := &metrics{}
			if visit(f, "llm_metrics", v, func(k string, v *fastjson.Value) {
				if k != "token_usages" {
					return
				}
				arr, _ := f.Array("llm_metrics.token_usages", v)
				m.TokenUsages = make([]tokenUsage, len(arr))
				for i, x := range arr {
					u := &m.TokenUsages[i]
					visit(f, "llm_metrics.token_usages", x, func(k string, v *fastjson.Value) {
						const p = "llm_metrics.token_usages."
						switch k {
						case "model":
							u.Model = f.String(p+"model", v)
						case "prompt_tokens":
							u.PromptTokens = f.Int64(p+"prompt_tokens", v)
						case "completion_tokens":
							u.CompletionTokens = f.Int64(p+"completion_tokens", v)
						case "cache_read_tokens":
							u.CacheReadTokens = f.Int64(p+"cache_read_tokens", v)
						case "cache_write_tokens":
							u.CacheWriteTokens = f.Int64(p+"cache_write_tokens", v)
						case "response_id":
							u.ResponseID = f.String(p+"response_id", v)
						default:
							if ingest.UnknownUsageKey(usageKeys, k) {
								u.Unknown = append(u.Unknown, k)
							}
						}
					})
				}
			}) {
				e.Metrics = m
			}
		case "extras":
			e.Extras = v
		case "content":
			e.Content = v
		}
	})
}

func decodeResponse(k string, v *fastjson.Value, mr *modelResponse, f *fjson.Fields) {
	const p = "tool_call_metadata.model_response."
	switch k {
	case "id":
		mr.ID = f.String(p+"id", v)
	case "model":
		mr.Model = f.String(p+"model", v)
	case "usage":
		mr.Usage = v
	case "choices":
		arr, _ := f.Array(p+"choices", v)
		mr.Choices = make([]choice, len(arr))
		for i, c := range arr {
			ch := &mr.Choices[i]
			visit(f, p+"choices", c, func(k string, v *fastjson.Value) {
				if k != "message" {
					return
				}
				visit(f, p+"choices.message", v, func(k string, v *fastjson.Value) {
					if k != "tool_calls" {
						return
					}
					tcs, _ := f.Array(p+"choices.message.tool_calls", v)
					ch.ToolCalls = make([]toolCall, len(tcs))
					for j, tc := range tcs {
						t := &ch.ToolCalls[j]
						visit(f, p+"choices.message.tool_calls", tc, func(k string, v *fastjson.Value) {
							switch k {
							case "id":
								t.ID = f.String(p+"choices.message.tool_calls.id", v)
							case "function":
								visit(f, p+"choices.message.tool_calls.function", v, func(k string, v *fastjson.Value) {
									if k == "arguments" {
										t.Arguments = nil
										if v.Type() != fastjson.TypeNull {
											if s := f.String(p+"choices.message.tool_calls.function.arguments", v); v.Type() == fastjson.TypeString {
												t.Arguments = &s
											}
										}
									}
								})
							}
						})
					}
				})
			})
		}
	}
}

// maxErrorText bounds Record.Error: enough to classify and show a failure.
const maxErrorText = 2 << 10

// pending is an action's tool record waiting for its observation.
type pending struct {
	rec  int // index in decoder.recs
	tsOK bool
}

type decoder struct {
	file  string
	sink  ingest.Sink
	recs  []ingest.Record
	units int64
	seen  map[string]bool    // response ids (and unnamed token_usages positions) already emitted
	tools map[string]pending // tool_call_id → its action's record
	p     fastjson.Parser
	ep    fastjson.Parser // one event's values live until the next
}

// Decode implements ingest.Format. The units are events: every event
// yields records or exactly one Note, and a document that breaks off adds
// one invalid unit. Events before a break are kept.
func (Format) Decode(src *ingest.Source, newSink ingest.SinkFactory) error {
	d := &decoder{file: src.Name, sink: newSink(), seen: map[string]bool{}, tools: map[string]pending{}}
	rd := &readErr{r: src.R}
	err := d.document(jsonscan.NewStream(rd, jsonscan.Limit(src.MaxLineBytes, ingest.DefaultMaxLineBytes)))
	switch {
	case err == nil:
	case rd.err == nil:
		// Not a read failure: the JSON itself is bad (syntax, truncation,
		// shape, a value past the bound). One invalid unit.
		d.units++
		reason := jsonscan.Reason(err)
		switch {
		case errors.Is(err, errNotArray):
			reason = "not an event array"
		case errors.Is(err, errTrailing):
			reason = "data after the event array"
		}
		d.note(ingest.NoteInvalid, d.units, reason, err.Error())
		err = nil
	default:
		err = fmt.Errorf("read %s: %w", src.Name, err)
	}
	d.flush()
	d.sink.Lines(d.units)
	return err
}

var (
	errNotArray = errors.New("expected a JSON array of events")
	errTrailing = errors.New("data after the event array")
)

func (d *decoder) document(st *jsonscan.Stream) error {
	tok, err := st.Token()
	if err == io.EOF {
		return nil // an empty file: nothing to account for
	}
	if err != nil {
		return err
	}
	if !tok.Delim('[') {
		return errNotArray
	}
	for st.More() {
		raw, err := st.Value()
		if err != nil {
			return err
		}
		d.units++
		d.event(raw, d.units)
	}
	if _, err := st.Token(); err != nil { // the closing bracket
		return err
	}
	if _, err := st.Token(); err != io.EOF {
		return errTrailing
	}
	return nil
}

func (d *decoder) note(kind ingest.NoteKind, n int64, reason, detail string) {
	d.sink.Note(ingest.Note{Kind: kind, File: d.file, Line: n, Reason: reason, Detail: detail})
}

// parseTime reads an event timestamp. OpenHands writes Python's
// datetime.isoformat() of a naive local time, without a zone; such a time
// is read as UTC (docs/formats/openhands.md). It orders steps and measures
// tool durations within a file, where the zone cancels out.
func parseTime(s string) (int64, bool) {
	if ns := ingest.ParseTimeOrZero(s); ns != 0 {
		return ns, true
	}
	t, err := time.Parse("2006-01-02T15:04:05.999999999", s)
	if err != nil || t.Year() < 1678 || t.Year() > 2261 {
		return 0, false
	}
	return t.UnixNano(), true
}

func (d *decoder) event(raw []byte, n int64) {
	var e event
	if raw[0] != '{' {
		d.note(ingest.NoteInvalid, n, "not an event object", "")
		return
	}
	v, detail, ok := fjson.ParseValid(&d.ep, raw)
	if !ok {
		d.note(ingest.NoteInvalid, n, "not an event object", detail) // nesting past 300 levels
		return
	}
	var f fjson.Fields
	decodeEvent(v.GetObject(), &e, &f)
	if f.Err != "" {
		d.note(ingest.NoteInvalid, n, "wrong field type", f.Err)
		return
	}
	if e.Action == "" && e.Observation == "" {
		d.note(ingest.NoteInvalid, n, "neither action nor observation", "")
		return
	}
	if e.Action != "" && e.Observation != "" {
		d.note(ingest.NoteInvalid, n, "both action and observation", "")
		return
	}
	ts, tsOK := parseTime(e.Timestamp)
	base := ingest.Record{TSNano: ts, Role: "main", File: d.file, Line: n}
	if e.ID != nil {
		base.Seq, base.HasSeq = *e.ID, true
	}
	var recs []ingest.Record
	repeated := false
	var newIDs []string
	if e.Meta != nil && e.Meta.ModelResponse != nil {
		mr := e.Meta.ModelResponse
		switch {
		case mr.ID == "":
			// Without an id the action and its observation cannot be
			// told to be one call: refuse rather than count it twice.
			d.note(ingest.NoteInvalid, n, "model_response without id", "")
			return
		case d.seen[mr.ID]:
			repeated = true
		default:
			r := base
			r.Kind, r.ID, r.Model = ingest.KindLLM, mr.ID, mr.Model
			var usage []byte // LiteLLM's reader takes the object's JSON
			if mr.Usage != nil {
				usage = mr.Usage.MarshalTo(nil)
			}
			if err := litellm.Parse(usage, &r); err != nil {
				d.note(ingest.NoteInvalid, n, "bad model_response.usage", err.Error())
				return
			}
			if ferr := validTokens(&r); ferr != "" {
				d.note(ingest.NoteInvalid, n, ferr, "model_response "+mr.ID)
				return
			}
			recs = append(recs, r)
			newIDs = append(newIDs, mr.ID)
		}
	}
	if e.Metrics != nil {
		for i, u := range e.Metrics.TokenUsages {
			key := u.ResponseID
			if key == "" || key == "unknown" {
				// The list only grows, so a position names a call.
				key = "token_usages#" + strconv.Itoa(i)
			}
			if d.seen[key] || contains(newIDs, key) {
				continue
			}
			r := base
			r.Kind, r.ID, r.Model = ingest.KindLLM, key, u.Model
			r.InputTokens, r.OutputTokens = u.PromptTokens, u.CompletionTokens
			r.CacheReadTokens, r.CacheWriteTokens = u.CacheReadTokens, u.CacheWriteTokens
			r.UnknownUsage = ingest.UnknownUsageList(u.Unknown...)
			if ferr := validTokens(&r); ferr != "" {
				d.note(ingest.NoteInvalid, n, ferr, "token_usages entry "+key)
				return
			}
			recs = append(recs, r)
			newIDs = append(newIDs, key)
		}
	}
	if e.Action != "" && e.Meta != nil && e.Meta.FunctionName != "" {
		r := base
		r.Kind, r.ID, r.Tool = ingest.KindTool, e.Meta.ToolCallID, e.Meta.FunctionName
		// The arguments the model gave the call, not the action's args,
		// which add a varying "thought" and runtime settings.
		if mr := e.Meta.ModelResponse; mr != nil && r.ID != "" {
			if a, ok := mr.args(r.ID); ok {
				r.ToolArgsHash, r.ToolArgsLabel, _ = toolhash.ValueText(&d.p, a)
			}
		}
		recs = append(recs, r)
		if r.ID != "" {
			d.tools[r.ID] = pending{rec: len(d.recs) + len(recs) - 1, tsOK: tsOK}
		}
	}
	joined := false
	if e.Observation != "" && e.Meta != nil && e.Meta.ToolCallID != "" {
		if p, ok := d.tools[e.Meta.ToolCallID]; ok {
			d.outcome(&d.recs[p.rec], &e, ts, tsOK && p.tsOK)
			delete(d.tools, e.Meta.ToolCallID)
			joined = true
		}
	}
	for _, id := range newIDs {
		d.seen[id] = true
	}
	if len(recs) == 0 {
		switch {
		case repeated:
			d.note(ingest.NoteDuplicate, n, "repeated model_response", e.Meta.ModelResponse.ID)
		case e.Action != "":
			d.note(ingest.NoteSkipped, n, "action/"+e.Action, "")
		case joined:
			d.note(ingest.NoteSkipped, n, "observation joined to its action", "")
		default:
			d.note(ingest.NoteSkipped, n, "observation/"+e.Observation, "")
		}
		return
	}
	for i := range recs {
		recs[i].Sub = int32(i)
		recs[i].SameUnit = i > 0
	}
	d.recs = append(d.recs, recs...)
}

// validTokens checks what ingest.Validate would, so a bad count is
// reported here with the event it came from.
func validTokens(r *ingest.Record) string {
	switch {
	case r.InputTokens < 0 || r.OutputTokens < 0 || r.CacheReadTokens < 0 || r.CacheWriteTokens < 0:
		return "negative tokens"
	case r.CacheReadTokens+r.CacheWriteTokens > r.InputTokens:
		return "cache tokens exceed prompt_tokens"
	case r.ReasoningTokens > r.OutputTokens:
		return "reasoning tokens exceed completion_tokens"
	}
	return ""
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// outcome completes an action's tool record with what its observation
// says: an error observation, or a command that exited non-zero, failed;
// the time between the two events is the step's duration.
func (d *decoder) outcome(r *ingest.Record, e *event, ts int64, tsOK bool) {
	if tsOK && ts >= r.TSNano {
		r.DurationMS = float64(ts-r.TSNano) / 1e6
	}
	// The observation's text is the result the agent reads next.
	var content string
	if e.Content != nil && e.Content.Type() == fastjson.TypeString {
		content = fjson.Text(e.Content.GetStringBytes())
		r.SetToolResultText(content)
	}
	failed := e.Observation == "error"
	if !failed && e.Observation == "run" {
		// -1 means no exit code was captured, not a failure. As with
		// encoding/json, extras of any other shape than
		// {metadata: {exit_code: integer}} give no exit code.
		var f fjson.Fields
		var code *int64
		visit(&f, "", e.Extras, func(k string, v *fastjson.Value) {
			if k == "metadata" {
				visit(&f, "", v, func(k string, v *fastjson.Value) {
					if k == "exit_code" {
						code = nil
						if v.Type() != fastjson.TypeNull {
							c := f.Int64("", v)
							code = &c
						}
					}
				})
			}
		})
		failed = f.Err == "" && code != nil && *code > 0
	}
	if failed {
		r.Status = ingest.StatusError
		text := content
		if text == "" {
			text = e.Observation
		}
		r.Error = ingest.TruncateUTF8(text, maxErrorText)
		r.ErrorClass = ingest.ClassifyToolError(r.Error)
	}
}

// flush names the session after the file (a trajectory holds one
// conversation and no id of its own) and emits the records in file order.
func (d *decoder) flush() {
	for i := range d.recs {
		d.recs[i].SessionID = d.file
		d.sink.Record(&d.recs[i])
	}
	d.recs = nil
}

// readErr remembers a failure of the underlying reader, so a JSON error
// (one invalid unit) is told apart from an input that cannot be read.
type readErr struct {
	r   io.Reader
	err error
}

func (e *readErr) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && err != io.EOF {
		e.err = err
	}
	return n, err
}
