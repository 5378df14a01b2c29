package litellmlogs

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/valyala/fastjson"

	"github.com/tokcost/tokcost/ingest"
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

// row is one LiteLLM_SpendLogs row (litellm/proxy/schema.prisma).
type row struct {
	RequestID        string          `json:"request_id"`
	CallType         string          `json:"call_type"`
	Spend            *float64        `json:"spend"`
	PromptTokens     *int64          `json:"prompt_tokens"`
	CompletionTokens *int64          `json:"completion_tokens"`
	StartTime        json.RawMessage `json:"startTime"`
	EndTime          json.RawMessage `json:"endTime"`
	Model            string          `json:"model"`
	ModelGroup       string          `json:"model_group"`
	Provider         string          `json:"custom_llm_provider"`
	User             string          `json:"user"`
	EndUser          string          `json:"end_user"`
	TeamID           string          `json:"team_id"`
	Metadata         json.RawMessage `json:"metadata"`
	SessionID        string          `json:"session_id"`
	Status           string          `json:"status"`
	MCPTool          string          `json:"mcp_namespaced_tool_name"`
	AgentID          string          `json:"agent_id"`
	CacheHit         json.RawMessage `json:"cache_hit"` // "True"/"False" in the table; a bool in some exports
}

// metadata is the part of the metadata column tokcost reads. The column is
// JSON, written as an object by the API and as a string by some exports.
type metadata struct {
	UsageObject     json.RawMessage `json:"usage_object"`
	AdditionalUsage json.RawMessage `json:"additional_usage_values"`
	Status          string          `json:"status"`
	KeyAlias        string          `json:"user_api_key_alias"`
	TraceID         string          `json:"trace_id"`
	SessionID       string          `json:"session_id"`
	SpendLogsMeta   map[string]any  `json:"spend_logs_metadata"`
	ErrorInfo       *struct {
		Error string `json:"error_message"`
	} `json:"error_information"`
	// MCPCall is LiteLLM's StandardLoggingMCPToolCall on an MCP tool row:
	// name, arguments and (when LiteLLM recorded it) result. Kept raw so
	// an unexpected shape costs the loop evidence, not the row.
	MCPCall json.RawMessage `json:"mcp_tool_call_metadata"`
}

// maxErrorText bounds Record.Error.
const maxErrorText = 2 << 10

type decoder struct {
	p     fastjson.Parser
	file  string
	sink  ingest.Sink
	units int64
	rec   ingest.Record
}

// Decode implements ingest.Format. Every row yields one record or one
// Note; in the array forms a document that breaks off adds one invalid
// unit, in JSON Lines every line is a unit.
func (Format) Decode(src *ingest.Source, newSink ingest.SinkFactory) error {
	d := &decoder{file: src.Name, sink: newSink()}
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
	var r row
	if err := json.Unmarshal(b, &r); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			d.note(ingest.NoteInvalid, n, "wrong field type", te.Field+": "+te.Value)
		} else {
			d.note(ingest.NoteInvalid, n, "malformed json", err.Error())
		}
		return
	}
	if r.RequestID == "" {
		d.note(ingest.NoteInvalid, n, "missing request_id", "")
		return
	}
	// Served from the proxy's response cache: no provider call, and
	// LiteLLM sets its cost to 0. Its tokens are not billed by anyone.
	if h := strings.Trim(string(bytes.TrimSpace(r.CacheHit)), `"`); strings.EqualFold(h, "true") {
		d.note(ingest.NoteSkipped, n, "proxy cache hit", "")
		return
	}
	var m metadata
	if raw := bytes.TrimSpace(r.Metadata); len(raw) > 0 && string(raw) != "null" {
		if raw[0] == '"' { // the column as a JSON string
			var s string
			if json.Unmarshal(raw, &s) == nil {
				raw = []byte(s)
			}
		}
		if s := bytes.TrimSpace(raw); len(s) > 0 && s[0] == '{' {
			if err := json.Unmarshal(s, &m); err != nil {
				d.note(ingest.NoteInvalid, n, "bad metadata", err.Error())
				return
			}
		}
	}
	rec := &d.rec
	rec.Reset()
	rec.ID, rec.File, rec.Line, rec.Role = r.RequestID, d.file, n, "main"
	rec.SessionID = firstNonEmpty(r.SessionID, m.SessionID, m.TraceID, metaString(m.SpendLogsMeta, "session_id"), r.RequestID)
	rec.TSNano = timeOf(r.StartTime)
	if end := timeOf(r.EndTime); end > 0 && rec.TSNano > 0 && end >= rec.TSNano {
		rec.DurationMS = float64(end-rec.TSNano) / 1e6
	}
	status := firstNonEmpty(r.Status, m.Status)
	if status == "failure" {
		rec.Status = ingest.StatusError
		if m.ErrorInfo != nil {
			rec.Error = ingest.TruncateUTF8(m.ErrorInfo.Error, maxErrorText)
		}
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
		if err := usage(&r, &m, rec); err != nil {
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
// (the rest of the same usage object).
func usage(r *row, m *metadata, rec *ingest.Record) error {
	obj := func(raw json.RawMessage, name string) (json.RawMessage, error) {
		raw = bytes.TrimSpace(raw)
		if len(raw) == 0 || string(raw) == "null" {
			return nil, nil
		}
		if raw[0] != '{' {
			return nil, fmt.Errorf("%s is not an object", name)
		}
		return raw, nil
	}
	u, err := obj(m.UsageObject, "usage_object")
	if err != nil {
		return err
	}
	if u != nil {
		return litellm.Parse(u, rec)
	}
	var lu litellm.Usage
	a, err := obj(m.AdditionalUsage, "additional_usage_values")
	if err != nil {
		return err
	}
	if a != nil {
		if err := json.Unmarshal(a, &lu); err != nil {
			return fmt.Errorf("additional_usage_values: %v", err)
		}
	}
	lu.PromptTokens, lu.CompletionTokens = r.PromptTokens, r.CompletionTokens
	if lu.PromptTokens == nil && r.Status == "failure" || lu.PromptTokens == nil && m.Status == "failure" {
		zero := int64(0)
		lu.PromptTokens = &zero // a failed call logs none
	}
	return lu.Fill(rec)
}

// timeOf reads startTime/endTime: an ISO 8601 string (with or without a
// zone; the proxy writes UTC) or Unix seconds.
func timeOf(raw json.RawMessage) int64 {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return 0
	}
	if raw[0] != '"' {
		var f float64
		if json.Unmarshal(raw, &f) != nil || f <= 0 || f > 9e9 {
			return 0
		}
		return int64(math.Round(f*1e6)) * 1e3
	}
	var s string
	_ = json.Unmarshal(raw, &s)
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

func metaString(m map[string]any, key string) string {
	if s, ok := m[key].(string); ok {
		return s
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
func (d *decoder) toolIO(rec *ingest.Record, raw json.RawMessage) {
	if len(raw) == 0 {
		return
	}
	v, err := d.p.ParseBytes(raw)
	if err != nil || v.Type() != fastjson.TypeObject {
		return
	}
	if a := v.Get("arguments"); a != nil && a.Type() != fastjson.TypeNull {
		rec.ToolArgsHash, rec.ToolArgsLabel = toolhash.Args(a)
	}
	if res := v.Get("result"); res != nil && res.Type() != fastjson.TypeNull {
		rec.ToolResultHash, rec.ToolResultBytes = toolhash.Result(res)
	}
}
