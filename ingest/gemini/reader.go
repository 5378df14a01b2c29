package gemini

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/tokcost/tokcost/ingest"
	"github.com/tokcost/tokcost/ingest/internal/jsonutil"
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

type message struct {
	ID        string     `json:"id"`
	Timestamp string     `json:"timestamp"`
	Type      string     `json:"type"`
	Model     string     `json:"model"`
	Tokens    *tokens    `json:"tokens"`
	ToolCalls []toolCall `json:"toolCalls"`
}

// tokens is Gemini's usageMetadata as the CLI stores it:
// total = input + output + thoughts + tool; cached ⊂ input; thoughts ⊄ output.
type tokens struct {
	Input    int64 `json:"input"`
	Output   int64 `json:"output"`
	Cached   int64 `json:"cached"`
	Thoughts int64 `json:"thoughts"`
	Tool     int64 `json:"tool"`
	Total    int64 `json:"total"`
}

type toolCall struct {
	ID            string          `json:"id"`
	Name          string          `json:"name"`
	Status        string          `json:"status"`
	Timestamp     string          `json:"timestamp"`
	Result        json.RawMessage `json:"result"`
	ResultDisplay json.RawMessage `json:"resultDisplay"`
}

// maxErrorText bounds Record.Error: enough to classify and show a failure.
const maxErrorText = 2 << 10

// decoder holds one document's state. Messages are decoded one at a time;
// records are buffered until the end because sessionId may follow the
// messages in a hand-edited file.
type decoder struct {
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
	dec := json.NewDecoder(src.R)
	var err error
	// Each document is a session: session files concatenated on stdin
	// are as many sessions, not the first one alone.
	for doc := 1; doc == 1 || dec.More(); doc++ {
		err = d.document(dec)
		if d.session == "" && doc > 1 {
			d.session = fmt.Sprintf("%s#%d", d.file, doc) // the file name names the first
		}
		var syn *json.SyntaxError
		switch {
		case err == nil:
		case err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) || errors.As(err, &syn) || errors.Is(err, errNotSession):
			// The document breaks off or is not a session: one invalid unit.
			d.units++
			reason := "malformed json"
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
func (d *decoder) document(dec *json.Decoder) error {
	tok, err := dec.Token()
	if err == io.EOF {
		return nil // an empty file: nothing to account for
	}
	if err != nil {
		return err
	}
	if tok != json.Delim('{') {
		return errNotSession
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		key, _ := tok.(string)
		switch key {
		case "sessionId":
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return err
			}
			_ = json.Unmarshal(raw, &d.session) // a wrong type falls back to the file name
		case "messages":
			if err := d.messages(dec); err != nil {
				return err
			}
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return err
			}
		}
	}
	_, err = dec.Token() // the closing brace: a truncated file fails here
	return err
}

func (d *decoder) messages(dec *json.Decoder) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if tok == nil {
		return nil // "messages": null
	}
	if tok != json.Delim('[') {
		return errNotSession
	}
	return jsonutil.EachElement(dec, func(raw json.RawMessage) {
		d.units++
		d.message(raw, d.units)
	})
}

func (d *decoder) note(kind ingest.NoteKind, n int64, reason, detail string) {
	d.sink.Note(ingest.Note{Kind: kind, File: d.file, Line: n, Reason: reason, Detail: detail})
}

func (d *decoder) message(raw json.RawMessage, n int64) {
	var m message
	if err := json.Unmarshal(raw, &m); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			d.note(ingest.NoteInvalid, n, "wrong field type", te.Field+": "+te.Value)
		} else {
			d.note(ingest.NoteInvalid, n, "malformed json", err.Error())
		}
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
// output, else the display text.
func errorText(tc toolCall) string {
	var parts []struct {
		FunctionResponse struct {
			Response struct {
				Error  json.RawMessage `json:"error"`
				Output json.RawMessage `json:"output"`
			} `json:"response"`
		} `json:"functionResponse"`
	}
	if json.Unmarshal(tc.Result, &parts) == nil {
		for _, p := range parts {
			for _, raw := range []json.RawMessage{p.FunctionResponse.Response.Error, p.FunctionResponse.Response.Output} {
				var s string
				if json.Unmarshal(raw, &s) == nil && s != "" {
					return s
				}
			}
		}
	}
	var s string
	if json.Unmarshal(tc.ResultDisplay, &s) == nil {
		return s
	}
	return ""
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
