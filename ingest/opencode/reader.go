package opencode

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/valyala/fastjson"

	"github.com/tokcost/tokcost/ingest"
	"github.com/tokcost/tokcost/ingest/internal/fjson"
	"github.com/tokcost/tokcost/ingest/internal/jsonutil"
	"github.com/tokcost/tokcost/ingest/internal/sqlite"
)

// AssumedField is the unknown-usage field under which a call is counted
// whose tokens are its message's own: only the last step's, so exact for
// a one-step message and an undercount for more, without a way to tell
// (the message's step-finish parts are missing). The report lists it;
// analyze warns, and --strict fails on it (exit 3).
const AssumedField = "opencode.tokens(last-step-only)"

func init() { ingest.Register(Format{}, 10) }

// Format is the OpenCode storage reader.
type Format struct{}

// Name implements ingest.Format.
func (Format) Name() string { return "opencode" }

// Describe implements ingest.Format.
func (Format) Describe() string {
	return "OpenCode storage: the SQLite database opencode.db (OpenCode 1.2 and later: message and part tables, WAL applied) or the JSON files before it (storage/message/<session>/<msg>.json, parts under storage/part/<msg>/): one call per step; input made inclusive of the cache"
}

// maxPart bounds one part file read while joining a message to its steps:
// tool outputs can be large, and a part that does not fit is reported.
const maxPart = 64 << 20

// Sniff implements ingest.Format: a SQLite database is OpenCode's when
// it is named as OpenCode names it (IsDBName). In the JSON storage
// OpenCode writes each record as one
// object whose first key is its id, prefixed by its kind: msg_ for a
// message (then sessionID and role), prt_ for a part (then sessionID,
// messageID and type). Only the leading keys are read, so a part holding
// a large tool output is recognised from a partial head.
func (Format) Sniff(name string, head []byte) bool {
	if bytes.HasPrefix(head, []byte(sqlite.Magic)) {
		return IsDBName(name)
	}
	if jsonutil.FirstKey(head) != "id" {
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(head))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return false
	}
	f := map[string]string{}
	for i := 0; i < 4 && dec.More(); i++ {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		key, _ := tok.(string)
		tok, err = dec.Token()
		if err != nil {
			return false
		}
		v, ok := tok.(string)
		if !ok {
			break // an object or number: past the leading string keys
		}
		f[key] = v
	}
	switch id := f["id"]; {
	case strings.HasPrefix(id, "msg_"):
		return strings.HasPrefix(f["sessionID"], "ses_") && (f["role"] == "assistant" || f["role"] == "user")
	case strings.HasPrefix(id, "prt_"):
		return strings.HasPrefix(f["messageID"], "msg_") && f["type"] != ""
	}
	return false
}

type tokens struct {
	Input, Output *int64
	Reasoning     int64
	Cache         struct{ Read, Write int64 }
	Unknown       []string // keys not read ("tokens.X", "tokens.cache.X")
}

// tokenKeys are the keys of a tokens object and of its cache object the
// reader reads, with total (the sum of the others, in later versions),
// which it leaves. Every key there is a token count, so any other key,
// whether or not it contains "token", is named in Record.UnknownUsage
// (docs/formats/opencode.md, "Odd JSON").
var tokenKeys = map[string]bool{"input": true, "output": true, "reasoning": true, "cache": true, "total": true}

type message struct {
	ID, SessionID, Role, ModelID, ProviderID, Agent, Mode string
	Time                                                  struct{ Created, Completed *float64 }
	Error                                                 *struct{ Name, Message string } // message: data.message
	Tokens                                                *tokens
}

type part struct {
	line     int64 // the database row's unit number, for a part without its message
	ID, Type string
	Tokens   *tokens
	Tool     string
	CallID   string
	State    struct {
		Status, Error string
		Time          struct{ Start, End *float64 }
	}
}

// The decoders below read fields by encoding/json's struct rules
// (fjson.Fields: null is missing, a wrong type is an error naming the
// field) with keys matched exactly; a repeated key counts once, the last
// one, as JSON.parse reads what OpenCode wrote (docs/formats/opencode.md,
// "Odd JSON").

func optInt(f *fjson.Fields, path string, v *fastjson.Value) *int64 {
	if v.Type() == fastjson.TypeNull {
		return nil
	}
	n := f.Int64(path, v)
	return &n
}

func optFloat(f *fjson.Fields, path string, v *fastjson.Value) *float64 {
	if v.Type() == fastjson.TypeNull {
		return nil
	}
	x := f.Float64(path, v)
	return &x
}

func decodeTokens(f *fjson.Fields, path string, v *fastjson.Value) *tokens {
	o := f.Object(path, v)
	if o == nil {
		return nil
	}
	t := &tokens{}
	o.Visit(func(k []byte, v *fastjson.Value) {
		switch string(k) {
		case "input":
			t.Input = optInt(f, path+".input", v)
		case "output":
			t.Output = optInt(f, path+".output", v)
		case "reasoning":
			t.Reasoning = f.Int64(path+".reasoning", v)
		case "cache":
			t.Cache.Read, t.Cache.Write = 0, 0
			t.Unknown = slices.DeleteFunc(t.Unknown, func(k string) bool { return strings.HasPrefix(k, "tokens.cache.") })
			if c := f.Object(path+".cache", v); c != nil {
				c.Visit(func(k []byte, v *fastjson.Value) {
					switch string(k) {
					case "read":
						t.Cache.Read = f.Int64(path+".cache.read", v)
					case "write":
						t.Cache.Write = f.Int64(path+".cache.write", v)
					default:
						t.Unknown = append(t.Unknown, "tokens.cache."+string(k))
					}
				})
			}
		default:
			if !tokenKeys[string(k)] {
				t.Unknown = append(t.Unknown, "tokens."+string(k))
			}
		}
	})
	return t
}

func decodeMessage(o *fastjson.Object) (m message, err string) {
	var f fjson.Fields
	o.Visit(func(k []byte, v *fastjson.Value) {
		switch string(k) {
		case "id":
			m.ID = f.String("id", v)
		case "sessionID":
			m.SessionID = f.String("sessionID", v)
		case "role":
			m.Role = f.String("role", v)
		case "modelID":
			m.ModelID = f.String("modelID", v)
		case "providerID":
			m.ProviderID = f.String("providerID", v)
		case "agent":
			m.Agent = f.String("agent", v)
		case "mode":
			m.Mode = f.String("mode", v)
		case "time":
			m.Time.Created, m.Time.Completed = nil, nil
			if t := f.Object("time", v); t != nil {
				t.Visit(func(k []byte, v *fastjson.Value) {
					switch string(k) {
					case "created":
						m.Time.Created = optFloat(&f, "time.created", v)
					case "completed":
						m.Time.Completed = optFloat(&f, "time.completed", v)
					}
				})
			}
		case "error":
			m.Error = nil
			if e := f.Object("error", v); e != nil {
				m.Error = &struct{ Name, Message string }{}
				e.Visit(func(k []byte, v *fastjson.Value) {
					switch string(k) {
					case "name":
						m.Error.Name = f.String("error.name", v)
					case "data":
						m.Error.Message = ""
						if d := f.Object("error.data", v); d != nil {
							d.Visit(func(k []byte, v *fastjson.Value) {
								if string(k) == "message" {
									m.Error.Message = f.String("error.data.message", v)
								}
							})
						}
					}
				})
			}
		case "tokens":
			m.Tokens = decodeTokens(&f, "tokens", v)
		}
	})
	return m, f.Err
}

func decodePart(o *fastjson.Object) (p part, ok bool) {
	var f fjson.Fields
	o.Visit(func(k []byte, v *fastjson.Value) {
		switch string(k) {
		case "id":
			p.ID = f.String("id", v)
		case "type":
			p.Type = f.String("type", v)
		case "tokens":
			p.Tokens = decodeTokens(&f, "tokens", v)
		case "tool":
			p.Tool = f.String("tool", v)
		case "callID":
			p.CallID = f.String("callID", v)
		case "state":
			p.State.Status, p.State.Error = "", ""
			p.State.Time.Start, p.State.Time.End = nil, nil
			st := f.Object("state", v)
			if st == nil {
				return
			}
			st.Visit(func(k []byte, v *fastjson.Value) {
				switch string(k) {
				case "status":
					p.State.Status = f.String("state.status", v)
				case "error":
					p.State.Error = f.String("state.error", v)
				case "time":
					p.State.Time.Start, p.State.Time.End = nil, nil
					if t := f.Object("state.time", v); t != nil {
						t.Visit(func(k []byte, v *fastjson.Value) {
							switch string(k) {
							case "start":
								p.State.Time.Start = optFloat(&f, "state.time.start", v)
							case "end":
								p.State.Time.End = optFloat(&f, "state.time.end", v)
							}
						})
					}
				}
			})
		}
	})
	return p, f.Err == ""
}

// parsers serve message and part files: a parser per file would re-grow
// its value tree each time.
var parsers fastjson.ParserPool

// maxErrorText bounds Record.Error.
const maxErrorText = 2 << 10

// Decode implements ingest.Format. The unit is the file: a message file
// yields its calls (one per step-finish part, or the message's own tokens
// when its parts are not on disk) and its tool steps; a part file is
// skipped, since its message reads it.
func (Format) Decode(src *ingest.Source, newSink ingest.SinkFactory) error {
	if bytes.HasPrefix(src.Head(), []byte(sqlite.Magic)) {
		return decodeDB(src, newSink())
	}
	sink := newSink()
	sink.Lines(1)
	note := func(kind ingest.NoteKind, reason, detail string) {
		sink.Note(ingest.Note{Kind: kind, File: src.Name, Line: 1, Reason: reason, Detail: detail})
	}
	data, err := io.ReadAll(io.LimitReader(src.R, maxPart+1))
	if err != nil {
		return fmt.Errorf("read %s: %w", src.Name, err)
	}
	if len(data) > maxPart {
		note(ingest.NoteInvalid, "file too large", "")
		return nil
	}
	parser := parsers.Get()
	defer parsers.Put(parser) // what is read from v is copied out
	v, detail, ok := fjson.Parse(parser, data)
	if !ok {
		note(ingest.NoteInvalid, "malformed json", detail)
		return nil
	}
	o, err := v.Object()
	if err != nil {
		note(ingest.NoteInvalid, "malformed json", "not a json object")
		return nil
	}
	var idf fjson.Fields
	id := idf.String("id", fjson.Last(v, "id"))
	if idf.Err != "" {
		note(ingest.NoteInvalid, "malformed json", idf.Err)
		return nil
	}
	if strings.HasPrefix(id, "prt_") {
		note(ingest.NoteSkipped, "part (read with its message)", "")
		return nil
	}
	m, ferr := decodeMessage(o)
	if ferr != "" {
		note(ingest.NoteInvalid, "not an OpenCode message", ferr)
		return nil
	}
	if m.Role == "assistant" && m.SessionID != "" && m.ID != "" {
		parts, bad, perr := readParts(src.Name, m.ID)
		if perr != nil {
			return perr
		}
		messageRecords(&m, parts, bad, sink, src.Name, 1)
		return nil
	}
	messageRecords(&m, nil, "", sink, src.Name, 1)
	return nil
}

// messageRecords makes the records of one message from its step-finish
// and tool parts, in id order (bad, when set, names a part that could not
// be read): the one code path for the JSON files and the database. It
// accounts for the message as unit line of file.
func messageRecords(m *message, parts []part, bad string, sink ingest.Sink, file string, line int64) {
	note := func(kind ingest.NoteKind, reason, detail string) {
		sink.Note(ingest.Note{Kind: kind, File: file, Line: line, Reason: reason, Detail: detail})
	}
	switch {
	case m.Role == "user":
		note(ingest.NoteSkipped, "user message", "")
		return
	case m.Role != "assistant":
		note(ingest.NoteInvalid, "not an OpenCode message", "role "+m.Role)
		return
	case m.SessionID == "" || m.ID == "":
		note(ingest.NoteInvalid, "missing id or sessionID", "")
		return
	}
	base := ingest.Record{
		SessionID: m.SessionID, Model: m.ModelID, Provider: m.ProviderID,
		Role: or(m.Agent, m.Mode, "main"), File: file, Line: line,
		TSNano: millis(m.Time.Created),
	}
	if bad != "" {
		// A step that cannot be read cannot be counted: the message is
		// invalid rather than undercounted.
		note(ingest.NoteInvalid, "unreadable part", bad)
		return
	}
	var recs []ingest.Record
	for _, p := range parts {
		switch {
		case p.Type == "step-finish" && p.Tokens != nil:
			r := base
			r.Kind, r.ID = ingest.KindLLM, m.ID+"/"+p.ID
			if reason := setTokens(&r, p.Tokens, m.ProviderID); reason != "" {
				note(ingest.NoteInvalid, reason, "step-finish "+p.ID)
				return
			}
			recs = append(recs, r)
		case p.Type == "tool" && p.Tool != "":
			r := base
			r.Kind, r.ID, r.Tool = ingest.KindTool, p.CallID, p.Tool
			r.Model, r.Provider = "", ""
			if s := millis(p.State.Time.Start); s != 0 {
				r.TSNano = s
				if e := millis(p.State.Time.End); e >= s {
					r.DurationMS = float64(e-s) / 1e6
				}
			}
			if p.State.Status == "error" {
				r.Status = ingest.StatusError
				r.Error = ingest.TruncateUTF8(or(p.State.Error, "error"), maxErrorText)
				r.ErrorClass = ingest.ClassifyToolError(r.Error)
			}
			recs = append(recs, r)
		}
	}
	if !hasLLM(recs) {
		// No step-finish part: the message's tokens, which are its last
		// step's only (docs/formats/opencode.md). Exact for a one-step
		// message, an undercount for more, and nothing tells which: the
		// call is marked as standing on an assumption (AssumedField),
		// unless it has no tokens at all (no step finished, so none was
		// lost).
		if m.Tokens == nil {
			note(ingest.NoteInvalid, "assistant message without tokens", "")
			return
		}
		r := base
		r.Kind, r.ID = ingest.KindLLM, m.ID
		if reason := setTokens(&r, m.Tokens, m.ProviderID); reason != "" {
			note(ingest.NoteInvalid, reason, "")
			return
		}
		if r.InputTokens != 0 || r.OutputTokens != 0 || r.ReasoningTokens != 0 {
			r.UnknownUsage = ingest.UnknownUsageList(AssumedField, r.UnknownUsage)
		}
		recs = append([]ingest.Record{r}, recs...)
	}
	if m.Error != nil {
		// The failure belongs to the message's last call.
		for i := len(recs) - 1; i >= 0; i-- {
			if recs[i].Kind == ingest.KindLLM {
				recs[i].Status = ingest.StatusError
				recs[i].Error = ingest.TruncateUTF8(or(m.Error.Message, m.Error.Name, "error"), maxErrorText)
				break
			}
		}
	}
	for i := range recs {
		recs[i].Sub, recs[i].SameUnit = int32(i), i > 0
		sink.Record(&recs[i])
	}
}

func hasLLM(recs []ingest.Record) bool {
	for i := range recs {
		if recs[i].Kind == ingest.KindLLM {
			return true
		}
	}
	return false
}

// setTokens converts OpenCode's getUsage tokens to canonical ones. OpenCode
// stores input without the cache (it subtracts cached and written tokens
// from the SDK's count, or keeps Anthropic's exclusive count), so the cache
// is added back. reasoning is the SDK's reasoningTokens: part of output for
// OpenAI-style providers (completion_tokens), outside it for Google
// (candidatesTokenCount vs thoughtsTokenCount).
func setTokens(r *ingest.Record, t *tokens, provider string) string {
	if t.Input == nil || t.Output == nil {
		return "tokens without input or output"
	}
	in, out := *t.Input, *t.Output
	if in < 0 || out < 0 || t.Reasoning < 0 || t.Cache.Read < 0 || t.Cache.Write < 0 {
		return "negative tokens"
	}
	r.InputTokens = in + t.Cache.Read + t.Cache.Write
	r.CacheReadTokens, r.CacheWriteTokens = t.Cache.Read, t.Cache.Write
	r.UnknownUsage = ingest.UnknownUsageList(t.Unknown...)
	r.ReasoningTokens = t.Reasoning
	r.OutputTokens = out
	if reasoningOutside(provider) || t.Reasoning > out {
		r.OutputTokens = out + t.Reasoning
	}
	return ""
}

// reasoningOutside names the providers whose SDK reports reasoning apart
// from the output count.
func reasoningOutside(provider string) bool {
	switch provider {
	case "google", "google-vertex":
		return true
	}
	return false
}

// readParts reads the parts OpenCode keeps beside a message file:
// <storage>/message/<session>/<msg>.json → <storage>/part/<msg>/*.json,
// in id order (ids ascend with time). No directory is no parts; bad names
// the first part file that cannot be read.
func readParts(name, msgID string) (parts []part, bad string, err error) {
	dir := filepath.Dir(filepath.Dir(filepath.Dir(name)))
	if filepath.Base(filepath.Dir(filepath.Dir(name))) != "message" || strings.ContainsAny(msgID, `/\`) {
		return nil, "", nil
	}
	pdir := filepath.Join(dir, "part", msgID)
	ents, err := os.ReadDir(pdir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, "", nil
	}
	if err != nil {
		return nil, "", fmt.Errorf("read parts of %s: %w", name, err)
	}
	names := make([]string, 0, len(ents))
	for _, e := range ents {
		if e.Type().IsRegular() && strings.HasSuffix(e.Name(), ".json") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	parser := parsers.Get()
	defer parsers.Put(parser)
	for _, n := range names {
		p, ok := readPart(filepath.Join(pdir, n), parser)
		if !ok {
			return nil, filepath.Join(pdir, n), nil
		}
		if p.Type == "step-finish" || p.Type == "tool" {
			parts = append(parts, p)
		}
	}
	return parts, "", nil
}

func readPart(path string, parser *fastjson.Parser) (part, bool) {
	f, err := os.Open(path)
	if err != nil {
		return part{}, false
	}
	defer func() { _ = f.Close() }() // read-only: nothing to lose
	data, err := io.ReadAll(io.LimitReader(f, maxPart+1))
	if err != nil || len(data) > maxPart {
		return part{}, false
	}
	v, _, ok := fjson.Parse(parser, data)
	if !ok {
		return part{}, false
	}
	o, err := v.Object()
	if err != nil {
		return part{}, false
	}
	return decodePart(o)
}

// millis converts OpenCode's Date.now() milliseconds to Unix nanoseconds.
func millis(ms *float64) int64 {
	if ms == nil || *ms <= 0 || *ms > 9e12 {
		return 0
	}
	// Whole milliseconds in integers: a float product near 1.8e18 is off
	// by up to 256 ns.
	whole := math.Floor(*ms)
	return int64(whole)*1e6 + int64((*ms-whole)*1e6)
}

func or(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
