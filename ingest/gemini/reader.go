package gemini

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/valyala/fastjson"

	"github.com/tokcost/tokcost/ingest"
	"github.com/tokcost/tokcost/ingest/internal/fjson"
	"github.com/tokcost/tokcost/ingest/internal/jsonscan"
)

func init() { ingest.Register(Format{}, 10) }

// Format is the Gemini CLI session reader.
type Format struct{}

// Name implements ingest.Format.
func (Format) Name() string { return "gemini-cli" }

// Describe implements ingest.Format.
func (Format) Describe() string {
	return "Gemini CLI session JSON (~/.gemini/tmp/<project>/chats/session-*.json): one model call per gemini message (thoughts added to output), toolCalls as tool steps; units are messages"
}

// Sniff implements ingest.Format. It walks the head's top-level keys: a
// session document has "sessionId" (or "projectHash") and then a
// "messages" array. Looking for the strings alone is not enough: a Claude
// Code transcript about Gemini CLI code contains them too.
func (Format) Sniff(name string, head []byte) bool {
	if !bytes.Contains(head, []byte(`"messages"`)) {
		return false // cheap first: most inputs are not Gemini sessions
	}
	dec := json.NewDecoder(bytes.NewReader(bytes.TrimLeft(head, "\ufeff")))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return false
	}
	session := false
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		switch tok {
		case "sessionId", "projectHash":
			session = true
		case "messages":
			t, err := dec.Token()
			return err == nil && t == json.Delim('[') && session
		}
		var skip json.RawMessage
		if dec.Decode(&skip) != nil {
			return false
		}
	}
	return false
}

// message is the subset of a message the reader uses; its fields are
// read as encoding/json would fill a struct (fjson.Fields), keys matched
// exactly.
type message struct {
	ID        string
	Timestamp string
	Type      string
	Model     string
	Tokens    *tokens
	ToolCalls []toolCall
}

// tokens is Gemini's usageMetadata as the CLI stores it:
// total = input + output + thoughts + tool; cached ⊂ input; thoughts ⊄ output.
type tokens struct {
	Input    int64
	Output   int64
	Cached   int64
	Thoughts int64
	Tool     int64
	Total    int64
	// Unknown names the keys decodeTokens does not read. Every key of the
	// tokens object is a token count, so any other key (a mis-cased
	// "Input" too) is one not read and is named in Record.UnknownUsage,
	// whether or not it contains "token" (docs/formats/gemini-cli.md,
	// "Odd JSON").
	Unknown []string
}

type toolCall struct {
	ID            string
	Name          string
	Status        string
	Timestamp     string
	Result        *fastjson.Value
	ResultDisplay *fastjson.Value
}

func decodeMessage(o *fastjson.Object, m *message, f *fjson.Fields) {
	o.Visit(func(k []byte, v *fastjson.Value) {
		switch string(k) {
		case "id":
			m.ID = f.String("id", v)
		case "timestamp":
			m.Timestamp = f.String("timestamp", v)
		case "type":
			m.Type = f.String("type", v)
		case "model":
			m.Model = f.String("model", v)
		case "tokens":
			m.Tokens = nil
			if to := f.Object("tokens", v); to != nil {
				m.Tokens = decodeTokens(to, f)
			}
		case "toolCalls":
			m.ToolCalls = nil
			arr, _ := f.Array("toolCalls", v)
			if arr == nil {
				return
			}
			m.ToolCalls = make([]toolCall, len(arr))
			for i, e := range arr {
				if eo := f.Object("toolCalls", e); eo != nil {
					decodeToolCall(eo, &m.ToolCalls[i], f)
				}
			}
		}
	})
}

func decodeTokens(o *fastjson.Object, f *fjson.Fields) *tokens {
	t := &tokens{}
	o.Visit(func(k []byte, v *fastjson.Value) {
		switch string(k) {
		case "input":
			t.Input = f.Int64("tokens.input", v)
		case "output":
			t.Output = f.Int64("tokens.output", v)
		case "cached":
			t.Cached = f.Int64("tokens.cached", v)
		case "thoughts":
			t.Thoughts = f.Int64("tokens.thoughts", v)
		case "tool":
			t.Tool = f.Int64("tokens.tool", v)
		case "total":
			t.Total = f.Int64("tokens.total", v)
		default:
			t.Unknown = append(t.Unknown, "tokens."+string(k))
		}
	})
	return t
}

func decodeToolCall(o *fastjson.Object, tc *toolCall, f *fjson.Fields) {
	o.Visit(func(k []byte, v *fastjson.Value) {
		switch string(k) {
		case "id":
			tc.ID = f.String("toolCalls.id", v)
		case "name":
			tc.Name = f.String("toolCalls.name", v)
		case "status":
			tc.Status = f.String("toolCalls.status", v)
		case "timestamp":
			tc.Timestamp = f.String("toolCalls.timestamp", v)
		case "result":
			tc.Result = v
		case "resultDisplay":
			tc.ResultDisplay = v
		}
	})
}

// maxErrorText bounds Record.Error: enough to classify and show a failure.
const maxErrorText = 2 << 10

// decoder holds one document's state. Messages are decoded one at a time;
// records are buffered until the end because sessionId may follow the
// messages in a hand-edited file.
type decoder struct {
	p       fastjson.Parser // one message's values live until the next
	file    string
	sink    ingest.Sink
	recs    []ingest.Record
	session string
	units   int64
}

// Decode implements ingest.Format. The units are messages: every message
// yields records or exactly one Note, and a document that breaks off adds
// one invalid unit, so units = units-with-records + duplicate + invalid +
// blank + skipped. Messages before a break are kept.
func (Format) Decode(src *ingest.Source, newSink ingest.SinkFactory) error {
	d := &decoder{file: src.Name, sink: newSink()}
	st := jsonscan.NewStream(src.R, jsonscan.Limit(src.MaxLineBytes, ingest.DefaultMaxLineBytes))
	var err error
	// Each document is a session: session files concatenated on stdin
	// are as many sessions, not the first one alone.
	for doc := 1; doc == 1 || st.More(); doc++ {
		err = d.document(st)
		if d.session == "" && doc > 1 {
			d.session = fmt.Sprintf("%s#%d", d.file, doc) // the file name names the first
		}
		switch {
		case err == nil:
		case jsonscan.Broken(err) || errors.Is(err, errNotSession):
			// The document breaks off or is not a session: one invalid unit.
			d.units++
			reason := jsonscan.Reason(err)
			if errors.Is(err, errNotSession) {
				reason = "not a session object"
			}
			d.note(ingest.NoteInvalid, d.units, reason, err.Error())
			err = nil
			d.flush()
			d.sink.Lines(d.units)
			return nil // the stream cannot be resynchronised
		default:
			err = fmt.Errorf("read %s: %w", src.Name, err)
		}
		d.flush()
		d.session = ""
		if err != nil {
			break
		}
	}
	d.sink.Lines(d.units)
	return err
}

var errNotSession = errors.New("expected a JSON object with a messages array")

// document walks the top-level object, decoding each message on its own so
// one bad message cannot hide the others.
func (d *decoder) document(st *jsonscan.Stream) error {
	tok, err := st.Token()
	if err == io.EOF {
		return nil // an empty file: nothing to account for
	}
	if err != nil {
		return err
	}
	if !tok.Delim('{') {
		return errNotSession
	}
	for st.More() {
		tok, err := st.Token()
		if err != nil {
			return err
		}
		switch tok.Str {
		case "sessionId":
			raw, err := st.Value()
			if err != nil {
				return err
			}
			// A wrong type falls back to the file name; null keeps the
			// id so far, as encoding/json did.
			if v, _, ok := fjson.ParseValid(&d.p, raw); ok && v.Type() == fastjson.TypeString {
				d.session = fjson.Text(v.GetStringBytes())
			}
		case "messages":
			if err := d.messages(st); err != nil {
				return err
			}
		default:
			if _, err := st.Value(); err != nil {
				return err
			}
		}
	}
	_, err = st.Token() // the closing brace: a truncated file fails here
	return err
}

func (d *decoder) messages(st *jsonscan.Stream) error {
	tok, err := st.Token()
	if err != nil {
		return err
	}
	if tok.Kind == 'n' {
		return nil // "messages": null
	}
	if !tok.Delim('[') {
		return errNotSession
	}
	for st.More() {
		raw, err := st.Value()
		if err != nil {
			return err
		}
		d.units++
		d.message(raw, d.units)
	}
	_, err = st.Token() // the closing bracket
	return err
}

func (d *decoder) note(kind ingest.NoteKind, n int64, reason, detail string) {
	d.sink.Note(ingest.Note{Kind: kind, File: d.file, Line: n, Reason: reason, Detail: detail})
}

func (d *decoder) message(raw []byte, n int64) {
	v, detail, ok := fjson.ParseValid(&d.p, raw)
	if !ok {
		d.note(ingest.NoteInvalid, n, "malformed json", detail)
		return
	}
	var m message
	var f fjson.Fields
	// A message that is not an object is a wrong type named by its type
	// alone (": number"), as encoding/json names it; null is empty.
	if o := f.Object("", v); o != nil {
		decodeMessage(o, &m, &f)
	}
	if f.Err != "" {
		d.note(ingest.NoteInvalid, n, "wrong field type", f.Err)
		return
	}
	if m.Type != "gemini" {
		reason := m.Type
		if reason == "" {
			reason = "untyped message"
		}
		d.note(ingest.NoteSkipped, n, reason, "") // user, info, error, warning
		return
	}
	if m.Tokens == nil && len(m.ToolCalls) == 0 {
		d.note(ingest.NoteSkipped, n, "gemini without tokens", "")
		return
	}
	ts := ingest.ParseTimeOrZero(m.Timestamp)
	if t := m.Tokens; t != nil {
		if t.Input < 0 || t.Output < 0 || t.Cached < 0 || t.Thoughts < 0 || t.Tool < 0 {
			d.note(ingest.NoteInvalid, n, "negative tokens", "")
			return
		}
		d.recs = append(d.recs, ingest.Record{
			ID:              m.ID,
			TSNano:          ts,
			Kind:            ingest.KindLLM,
			Model:           m.Model,
			Provider:        "gcp.gemini",
			InputTokens:     t.Input + t.Tool, // the tool-use prompt is input too
			CacheReadTokens: min(t.Cached, t.Input),
			OutputTokens:    t.Output + t.Thoughts, // Gemini counts thoughts apart
			ReasoningTokens: t.Thoughts,
			Role:            "main",
			File:            d.file,
			Line:            n,
		})
		r := &d.recs[len(d.recs)-1]
		r.TSAssumedUTC, r.TSUnreadable = ingest.TimeFlags(m.Timestamp)
		r.UnknownUsage = ingest.UnknownUsageList(t.Unknown...)
	}
	for i, tc := range m.ToolCalls {
		r := ingest.Record{
			ID:     tc.ID,
			TSNano: ingest.ParseTimeOrZero(tc.Timestamp),
			Kind:   ingest.KindTool,
			Tool:   tc.Name,
			Role:   "main",
			File:   d.file,
			Line:   n,
			Sub:    int32(i + 1), // 0 is the model call
			// The message is one unit: counted with its first record.
			SameUnit: m.Tokens != nil || i > 0,
		}
		r.TSAssumedUTC, r.TSUnreadable = ingest.TimeFlags(tc.Timestamp)
		if r.TSNano == 0 {
			r.TSNano = ts
			r.TSAssumedUTC, r.TSUnreadable = ingest.TimeFlags(m.Timestamp)
		}
		switch tc.Status {
		case "error":
			r.Status = ingest.StatusError
			r.Error = ingest.TruncateUTF8(errorText(tc), maxErrorText)
		case "cancelled":
			// The CLI cancels a call when the user declines or aborts it.
			r.Status = ingest.StatusError
			r.ErrorClass = ingest.ErrorUserRejected
			r.Error = ingest.TruncateUTF8(errorText(tc), maxErrorText)
		}
		d.recs = append(d.recs, r)
	}
}

// errorText finds a failed call's message: the functionResponse error or
// output, else the display text. As with encoding/json, a result of any
// other shape than [{functionResponse: {response: {…}}}] is not read.
func errorText(tc toolCall) string {
	for _, resp := range responses(tc.Result) {
		for _, k := range [...]string{"error", "output"} {
			if v := resp.Get(k); v != nil && v.Type() == fastjson.TypeString && len(v.GetStringBytes()) > 0 {
				return fjson.Text(v.GetStringBytes())
			}
		}
	}
	if v := tc.ResultDisplay; v != nil && v.Type() == fastjson.TypeString {
		return fjson.Text(v.GetStringBytes())
	}
	return ""
}

// responses returns the functionResponse.response objects of a result,
// none when any part has another shape (null parts and fields are empty).
func responses(result *fastjson.Value) []*fastjson.Object {
	if result == nil || result.Type() != fastjson.TypeArray {
		return nil
	}
	var out []*fastjson.Object
	for _, part := range result.GetArray() {
		var f fjson.Fields
		var resp *fastjson.Object
		if po := f.Object("", part); po != nil {
			po.Visit(func(k []byte, v *fastjson.Value) {
				if string(k) != "functionResponse" {
					return
				}
				resp = nil
				if fo := f.Object("", v); fo != nil {
					fo.Visit(func(k []byte, v *fastjson.Value) {
						if string(k) == "response" {
							resp = f.Object("", v)
						}
					})
				}
			})
		}
		if f.Err != "" {
			return nil
		}
		if resp != nil {
			out = append(out, resp)
		}
	}
	return out
}

// flush fills the session id and emits the records in document order.
func (d *decoder) flush() {
	session := d.session
	if session == "" {
		session = d.file
	}
	for i := range d.recs {
		d.recs[i].SessionID = session
		d.sink.Record(&d.recs[i])
	}
	d.recs = nil
}
