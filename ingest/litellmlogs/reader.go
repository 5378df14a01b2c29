package litellmlogs

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/valyala/fastjson"

	"github.com/tokcost/tokcost/ingest"
	"github.com/tokcost/tokcost/ingest/internal/fjson"
	"github.com/tokcost/tokcost/ingest/internal/jsonscan"
	"github.com/tokcost/tokcost/ingest/internal/litellm"
	"github.com/tokcost/tokcost/ingest/internal/toolhash"
)

func init() { ingest.Register(Format{}, 10) }

// Format is the LiteLLM spend-log reader.
type Format struct{}

// Name implements ingest.Format.
func (Format) Name() string { return "litellm-spend-logs" }

// Describe implements ingest.Format.
func (Format) Describe() string {
	return "LiteLLM proxy spend logs (LiteLLM_SpendLogs rows as JSON array, {\"data\":[…]} or JSONL): one call per row, session from session_id or the metadata's trace id, spend as cost; units are rows"
}

// Sniff implements ingest.Format: the first row (of a JSON array, of a
// {"data": [...]} page, or the first line) has the columns request_id and
// call_type among its keys, which no other supported producer writes
// together.
func (Format) Sniff(name string, head []byte) bool {
	t := bytes.TrimLeft(head, " \t\r\n\ufeff")
	if !bytes.Contains(t, []byte(`"request_id"`)) || !bytes.Contains(t, []byte(`"call_type"`)) {
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(t))
	tok, err := dec.Token()
	if err != nil {
		return false
	}
	switch tok {
	case json.Delim('['):
		if tok, err = dec.Token(); err != nil || tok != json.Delim('{') {
			return false
		}
	case json.Delim('{'):
	default:
		return false
	}
	// Walk the keys of this object; a "data" key holding an array of rows
	// is the API's paged form.
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		key, _ := tok.(string)
		if key == "data" && len(seen) == 0 {
			if t1, err := dec.Token(); err == nil && t1 == json.Delim('[') {
				if t2, err := dec.Token(); err == nil && t2 == json.Delim('{') {
					continue // keys of the first row follow
				}
			}
			return false
		}
		seen[key] = true
		var skip json.RawMessage
		if dec.Decode(&skip) != nil {
			break // a value longer than the head
		}
	}
	// A canonical line may keep request_id and call_type as attributes;
	// its token fields, which no spend-log row has, tell it apart.
	return seen["request_id"] && seen["call_type"] && !seen["input_tokens"] && !seen["output_tokens"] && !seen["kind"]
}

// row is one LiteLLM_SpendLogs row (litellm/proxy/schema.prisma): the
// columns tokcost reads, by encoding/json's struct rules with keys matched
// exactly (fjson.Fields; docs/formats/litellm-spend-logs.md, "Odd JSON").
type row struct {
	RequestID        string
	CallType         string
	Spend            *float64
	PromptTokens     *int64
	CompletionTokens *int64
	StartTime        *fastjson.Value
	EndTime          *fastjson.Value
	Model            string
	ModelGroup       string
	Provider         string
	User             string
	EndUser          string
	TeamID           string
	Metadata         *fastjson.Value
	SessionID        string
	Status           string
	MCPTool          string
	AgentID          string
	CacheHit         *fastjson.Value // "True"/"False" in the table; a bool in some exports
	Unknown          []string        // token keys not read (rowTokenKeys)

	// What Spend, PromptTokens and CompletionTokens point to: the row is
	// the decoder's, so the pointers cost no allocation per row.
	prompt, completion int64
	spendF             float64
}

// rowTokenKeys are the row's token columns: prompt_tokens and
// completion_tokens are read, total_tokens is their sum. Any other key
// that names tokens is counted as not read (ingest.UnknownUsageKey).
var rowTokenKeys = map[string]bool{"prompt_tokens": true, "completion_tokens": true, "total_tokens": true}

func decodeRow(o *fastjson.Object, r *row, f *fjson.Fields) {
	str := func(dst *string, k string, v *fastjson.Value) { *dst = f.String(k, v) }
	o.Visit(func(k []byte, v *fastjson.Value) {
		if v.Type() == fastjson.TypeNull {
			v = nil // null is a missing value, of any column
		}
		switch key := string(k); key {
		case "request_id":
			str(&r.RequestID, key, v)
		case "call_type":
			str(&r.CallType, key, v)
		case "spend":
			r.Spend = nil
			if v != nil {
				r.spendF = f.Float64(key, v)
				r.Spend = &r.spendF
			}
		case "prompt_tokens":
			r.PromptTokens = count(f, key, v, &r.prompt)
		case "completion_tokens":
			r.CompletionTokens = count(f, key, v, &r.completion)
		case "startTime":
			r.StartTime = v
		case "endTime":
			r.EndTime = v
		case "model":
			str(&r.Model, key, v)
		case "model_group":
			str(&r.ModelGroup, key, v)
		case "custom_llm_provider":
			str(&r.Provider, key, v)
		case "user":
			str(&r.User, key, v)
		case "end_user":
			str(&r.EndUser, key, v)
		case "team_id":
			str(&r.TeamID, key, v)
		case "metadata":
			r.Metadata = v
		case "session_id":
			str(&r.SessionID, key, v)
		case "status":
			str(&r.Status, key, v)
		case "mcp_namespaced_tool_name":
			str(&r.MCPTool, key, v)
		case "agent_id":
			str(&r.AgentID, key, v)
		case "cache_hit":
			r.CacheHit = v
		default:
			if ingest.UnknownUsageKey(rowTokenKeys, key) {
				r.Unknown = append(r.Unknown, key)
			}
		}
	})
}

// count reads a token column into n: nil when missing or null.
func count(f *fjson.Fields, key string, v *fastjson.Value, n *int64) *int64 {
	if v == nil {
		return nil
	}
	*n = f.Int64(key, v)
	return n
}

// metadata is the part of the metadata column tokcost reads. The column is
// JSON, written as an object by the API and as a string by some exports.
type metadata struct {
	UsageObject     *fastjson.Value
	AdditionalUsage *fastjson.Value
	Status          string
	KeyAlias        string
	TraceID         string
	SessionID       string
	SpendSessionID  string // spend_logs_metadata.session_id, when a string
	Error           string // error_information.error_message
	// MCPCall is LiteLLM's StandardLoggingMCPToolCall on an MCP tool row:
	// name, arguments and (when LiteLLM recorded it) result. Any shape is
	// taken, so an unexpected one costs the loop evidence, not the row.
	MCPCall *fastjson.Value
}

func decodeMetadata(o *fastjson.Object, m *metadata, f *fjson.Fields) {
	const p = "metadata."
	o.Visit(func(k []byte, v *fastjson.Value) {
		switch key := string(k); key {
		case "usage_object":
			m.UsageObject = v
		case "additional_usage_values":
			m.AdditionalUsage = v
		case "status":
			m.Status = f.String(p+key, v)
		case "user_api_key_alias":
			m.KeyAlias = f.String(p+key, v)
		case "trace_id":
			m.TraceID = f.String(p+key, v)
		case "session_id":
			m.SessionID = f.String(p+key, v)
		case "spend_logs_metadata":
			m.SpendSessionID = ""
			if sm := f.Object(p+key, v); sm != nil {
				sm.Visit(func(k []byte, v *fastjson.Value) {
					if string(k) == "session_id" {
						m.SpendSessionID = "" // any other type is no session
						if v.Type() == fastjson.TypeString {
							m.SpendSessionID = fjson.Text(v.GetStringBytes())
						}
					}
				})
			}
		case "error_information":
			m.Error = ""
			if ei := f.Object(p+key, v); ei != nil {
				ei.Visit(func(k []byte, v *fastjson.Value) {
					if string(k) == "error_message" {
						m.Error = f.String(p+"error_information.error_message", v)
					}
				})
			}
		case "mcp_tool_call_metadata":
			m.MCPCall = v
		}
	})
}

// parsers are reused across inputs: a parser keeps its buffers, and an
// export is often many small files.
var parsers fastjson.ParserPool

// maxErrorText bounds Record.Error.
const maxErrorText = 2 << 10

type decoder struct {
	p     *fastjson.Parser // the row
	pm    *fastjson.Parser // the metadata column written as a JSON string
	file  string
	sink  ingest.Sink
	units int64
	rec   ingest.Record
	cur   row      // the row being read
	meta  metadata // its metadata
}

// Decode implements ingest.Format. Every row yields one record or one
// Note; in the array forms a document that breaks off adds one invalid
// unit, in JSON Lines every line is a unit.
func (Format) Decode(src *ingest.Source, newSink ingest.SinkFactory) error {
	d := &decoder{file: src.Name, sink: newSink(), p: parsers.Get(), pm: parsers.Get()}
	// Records keep copies of what they take from the parsers' values.
	defer func() { parsers.Put(d.p); parsers.Put(d.pm) }()
	t := bytes.TrimLeft(src.Head(), " \t\r\n\ufeff")
	if len(t) > 0 && (t[0] == '[' || isPaged(t)) {
		rd := &readErr{r: src.R}
		err := d.document(jsonscan.NewStream(rd, jsonscan.Limit(src.MaxLineBytes, ingest.DefaultMaxLineBytes)))
		switch {
		case err == nil:
		case rd.err == nil:
			d.units++
			d.note(ingest.NoteInvalid, d.units, jsonscan.Reason(err), err.Error())
			err = nil
		default:
			err = fmt.Errorf("read %s: %w", src.Name, err)
		}
		d.sink.Lines(d.units)
		return err
	}
	n, err := src.EachLine(func(b []byte, n int64) error {
		if ingest.IsBlank(b) {
			d.note(ingest.NoteBlank, n, "", "")
			return nil
		}
		d.row(bytes.TrimSpace(b), n)
		return nil
	}, func(n int64) { d.note(ingest.NoteInvalid, n, ingest.ReasonLineTooLong, "") })
	d.sink.Lines(n)
	if err != nil {
		return fmt.Errorf("read %s: %w", src.Name, err)
	}
	return nil
}

// isPaged reports whether the document is one object whose rows are under
// "data" (a /spend/logs/v2 page) rather than a JSON Lines file.
func isPaged(t []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(t))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return false
	}
	tok, err := dec.Token()
	return err == nil && tok == "data"
}

func (d *decoder) document(st *jsonscan.Stream) error {
	tok, err := st.Token()
	if err != nil {
		return err
	}
	if tok.Delim('{') {
		// {"data": [rows], "total": …}: the rows, then the rest skipped.
		for st.More() {
			k, err := st.Token()
			if err != nil {
				return err
			}
			if k.Str != "data" {
				if _, err := st.Value(); err != nil {
					return err
				}
				continue
			}
			if tok, err = st.Token(); err != nil {
				return err
			}
			if !tok.Delim('[') {
				return errors.New("data is not an array")
			}
			if err := d.rows(st); err != nil {
				return err
			}
		}
		_, err = st.Token()
		return trailing(st, err)
	}
	if err := d.rows(st); err != nil {
		return err
	}
	return trailing(st, nil)
}

// rows reads the elements of an array whose '[' st has just returned,
// each row on its own (one row, one unit), then the closing ']'.
func (d *decoder) rows(st *jsonscan.Stream) error {
	for st.More() {
		raw, err := st.Value()
		if err != nil {
			return err
		}
		d.units++
		d.row(raw, d.units)
	}
	_, err := st.Token()
	return err
}

func trailing(st *jsonscan.Stream, err error) error {
	if err != nil {
		return err
	}
	if _, err := st.Token(); err != io.EOF {
		return errors.New("data after the document")
	}
	return nil
}

func (d *decoder) note(kind ingest.NoteKind, n int64, reason, detail string) {
	d.sink.Note(ingest.Note{Kind: kind, File: d.file, Line: n, Reason: reason, Detail: detail})
}

func (d *decoder) row(b []byte, n int64) {
	if len(b) == 0 || b[0] != '{' {
		d.note(ingest.NoteInvalid, n, "not a row object", "")
		return
	}
	v, detail, ok := fjson.Parse(d.p, b)
	if !ok {
		d.note(ingest.NoteInvalid, n, "malformed json", detail)
		return
	}
	r := &d.cur
	*r = row{Unknown: r.Unknown[:0]}
	var f fjson.Fields
	if o := f.Object("", v); o != nil {
		decodeRow(o, r, &f)
	}
	if f.Err != "" {
		d.note(ingest.NoteInvalid, n, "wrong field type", f.Err)
		return
	}
	if r.RequestID == "" {
		d.note(ingest.NoteInvalid, n, "missing request_id", "")
		return
	}
	// Served from the proxy's response cache: no provider call, and
	// LiteLLM sets its cost to 0. Its tokens are not billed by anyone.
	if strings.EqualFold(fjson.RawText(r.CacheHit), "true") {
		d.note(ingest.NoteSkipped, n, "proxy cache hit", "")
		return
	}
	m := &d.meta
	*m = metadata{}
	mv := r.Metadata
	switch {
	case mv == nil:
	case mv.Type() == fastjson.TypeString:
		// The column as a JSON string: its text, when it is an object.
		mv = nil
		if s := bytes.TrimSpace(r.Metadata.GetStringBytes()); len(s) > 0 && s[0] == '{' {
			if mv, detail, ok = fjson.Parse(d.pm, s); !ok {
				d.note(ingest.NoteInvalid, n, "bad metadata", detail)
				return
			}
		}
	case mv.Type() != fastjson.TypeObject:
		mv = nil // a number, an array: no metadata
	}
	if mv != nil {
		o, _ := mv.Object()
		decodeMetadata(o, m, &f)
		if f.Err != "" {
			d.note(ingest.NoteInvalid, n, "bad metadata", f.Err)
			return
		}
	}
	rec := &d.rec
	rec.Reset()
	rec.ID, rec.File, rec.Line, rec.Role = r.RequestID, d.file, n, "main"
	rec.SessionID = firstNonEmpty(r.SessionID, m.SessionID, m.TraceID, m.SpendSessionID, r.RequestID)
	rec.TSNano = timeOf(r.StartTime)
	if end := timeOf(r.EndTime); end > 0 && rec.TSNano > 0 && end >= rec.TSNano {
		rec.DurationMS = float64(end-rec.TSNano) / 1e6
	}
	status := firstNonEmpty(r.Status, m.Status)
	if status == "failure" {
		rec.Status = ingest.StatusError
		rec.Error = ingest.TruncateUTF8(m.Error, maxErrorText)
		if rec.Error == "" {
			rec.Error = "failure"
		}
	}
	if r.MCPTool != "" {
		rec.Kind, rec.Tool = ingest.KindTool, r.MCPTool
		rec.ErrorClass = ingest.ClassifyToolError(rec.Error)
		d.toolIO(rec, m.MCPCall)
	} else {
		rec.Kind = ingest.KindLLM
		rec.Model, rec.Provider = r.Model, r.Provider
		if err := usage(r, m, rec); err != nil {
			d.note(ingest.NoteInvalid, n, "bad usage", err.Error())
			return
		}
		if rec.CacheReadTokens+rec.CacheWriteTokens > rec.InputTokens {
			d.note(ingest.NoteInvalid, n, "cache tokens exceed prompt_tokens", "")
			return
		}
		if rec.ReasoningTokens > rec.OutputTokens {
			d.note(ingest.NoteInvalid, n, "reasoning tokens exceed completion_tokens", "")
			return
		}
	}
	if r.Spend != nil {
		if *r.Spend < 0 || math.IsNaN(*r.Spend) || math.IsInf(*r.Spend, 0) {
			d.note(ingest.NoteInvalid, n, "bad spend", "")
			return
		}
		// The proxy logs 0 when LiteLLM could not price the model: on a
		// call with tokens that is unknown, not free.
		rec.CostUSD = *r.Spend
		rec.HasCost = *r.Spend > 0 || rec.Kind != ingest.KindLLM || rec.InputTokens+rec.OutputTokens == 0
	}
	for k, v := range map[string]string{"user": r.User, "end_user": r.EndUser, "team_id": r.TeamID,
		"key_alias": m.KeyAlias, "model_group": r.ModelGroup, "call_type": r.CallType, "agent_id": r.AgentID} {
		if v != "" {
			if rec.Attrs == nil {
				rec.Attrs = map[string]string{}
			}
			rec.Attrs[k] = v
		}
	}
	d.sink.Record(rec)
}

// usage fills the token counts: the metadata's usage_object (the whole
// LiteLLM usage) when present, else the row's prompt_tokens and
// completion_tokens with the cache parts from additional_usage_values
// (the rest of the same usage object). Token keys of the row and of
// additional_usage_values that are not read are named in
// rec.UnknownUsage, by the shared rules (ingest.UnknownUsageFields).
func usage(r *row, m *metadata, rec *ingest.Record) error {
	obj := func(v *fastjson.Value, name string) (*fastjson.Value, error) {
		if v == nil || v.Type() == fastjson.TypeNull {
			return nil, nil
		}
		if v.Type() != fastjson.TypeObject {
			return nil, fmt.Errorf("%s is not an object", name)
		}
		return v, nil
	}
	u, err := obj(m.UsageObject, "usage_object")
	if err != nil {
		return err
	}
	if u != nil {
		if err := litellm.ParseValue(u, rec); err != nil {
			return err
		}
		rec.UnknownUsage = ingest.UnknownUsageList(append(r.Unknown, rec.UnknownUsage)...)
		return nil
	}
	var lu litellm.Usage
	a, err := obj(m.AdditionalUsage, "additional_usage_values")
	if err != nil {
		return err
	}
	var unknown string
	if a != nil {
		if lu, err = litellm.Decode(a); err != nil {
			return fmt.Errorf("additional_usage_values: %v", err)
		}
		if mayBeUnknown(a) {
			unknown = ingest.UnknownUsageFields(fjson.LastKeys(a))
		}
	}
	lu.PromptTokens, lu.CompletionTokens = r.PromptTokens, r.CompletionTokens
	if lu.PromptTokens == nil && r.Status == "failure" || lu.PromptTokens == nil && m.Status == "failure" {
		zero := int64(0)
		lu.PromptTokens = &zero // a failed call logs none
	}
	if err := lu.Fill(rec); err != nil {
		return err
	}
	if a != nil && hasOtherKeys(a) {
		// The billing fields beside the counts (speed, inference_geo,
		// service_tier, server_tool_use and their mis-cased keys), as
		// usage_object's are read; it names what it does not know in
		// rec.UnknownUsage.
		if err := litellm.FillBilling(a, rec); err != nil {
			return fmt.Errorf("additional_usage_values: %v", err)
		}
	}
	if len(r.Unknown) > 0 || unknown != "" || rec.UnknownUsage != "" {
		rec.UnknownUsage = ingest.UnknownUsageList(append(r.Unknown, unknown, rec.UnknownUsage)...)
	}
	return nil
}

// hasOtherKeys reports whether usage object a has a key other than the
// counts litellm.Decode reads (readUsage), which a billing field is: the
// shared rules' walk allocates, and the common row has none.
func hasOtherKeys(a *fastjson.Value) bool {
	o, _ := a.Object()
	other := false
	o.Visit(func(k []byte, _ *fastjson.Value) { other = other || !readUsage[""][string(k)] })
	return other
}

// readUsage lists, per object of additional_usage_values, the token keys
// litellm.Decode reads; the shared rules know each of them, so an object
// whose token keys are all here has none unknown, and the shared rules'
// walk (which allocates) is skipped for the common row.
var readUsage = map[string]map[string]bool{
	"": {"prompt_tokens": true, "completion_tokens": true, "cache_creation_input_tokens": true,
		"cache_read_input_tokens": true, "prompt_tokens_details": true, "completion_tokens_details": true},
	"prompt_tokens_details":     {"cached_tokens": true, "cache_creation_tokens": true},
	"completion_tokens_details": {"reasoning_tokens": true},
}

// mayBeUnknown reports whether a usage object has a key naming tokens
// outside readUsage, at the top or in its details objects, or an object
// outside them.
func mayBeUnknown(a *fastjson.Value) bool {
	o, _ := a.Object()
	odd := false
	o.Visit(func(k []byte, v *fastjson.Value) {
		if !readUsage[""][string(k)] {
			// An object may be one the shared rules look into (cache_creation).
			odd = odd || v.Type() == fastjson.TypeObject || bytes.Contains(bytes.ToLower(k), []byte("token"))
			return
		}
		if in := readUsage[string(k)]; in != nil && v.Type() == fastjson.TypeObject {
			d, _ := v.Object()
			d.Visit(func(k []byte, _ *fastjson.Value) {
				odd = odd || !in[string(k)] && bytes.Contains(bytes.ToLower(k), []byte("token"))
			})
		}
	})
	return odd
}

// timeOf reads startTime/endTime: an ISO 8601 string (with or without a
// zone; the proxy writes UTC) or Unix seconds.
func timeOf(v *fastjson.Value) int64 {
	if v == nil {
		return 0
	}
	if v.Type() != fastjson.TypeString {
		f, err := strconv.ParseFloat(fjson.RawText(v), 64) // "" for a bool, an object
		if err != nil || f <= 0 || f > 9e9 {
			return 0
		}
		return int64(math.Round(f*1e6)) * 1e3
	}
	s := fjson.Text(v.GetStringBytes())
	if ns := ingest.ParseTimeOrZero(s); ns != 0 {
		return ns
	}
	// Postgres text output: "2025-01-27 22:45:13.764" (UTC, no zone).
	s = strings.Replace(s, " ", "T", 1)
	if ns := ingest.ParseTimeOrZero(s); ns != 0 {
		return ns
	}
	return ingest.ParseTimeOrZero(s + "Z")
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
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

// toolIO fills an MCP tool row's arguments and result from its
// mcp_tool_call_metadata object, when it has them.
func (d *decoder) toolIO(rec *ingest.Record, v *fastjson.Value) {
	if v == nil || v.Type() != fastjson.TypeObject {
		return
	}
	if a := v.Get("arguments"); a != nil && a.Type() != fastjson.TypeNull {
		rec.ToolArgsHash, rec.ToolArgsLabel = toolhash.Args(a)
	}
	if res := v.Get("result"); res != nil && res.Type() != fastjson.TypeNull {
		rec.ToolResultHash, rec.ToolResultBytes = toolhash.Result(res)
	}
}
