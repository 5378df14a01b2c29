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
	"sort"
	"strings"

	"github.com/tokcost/tokcost/ingest"
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
	Input     *int64 `json:"input"`
	Output    *int64 `json:"output"`
	Reasoning int64  `json:"reasoning"`
	Cache     struct {
		Read  int64 `json:"read"`
		Write int64 `json:"write"`
	} `json:"cache"`
}

type message struct {
	ID         string `json:"id"`
	SessionID  string `json:"sessionID"`
	Role       string `json:"role"`
	ModelID    string `json:"modelID"`
	ProviderID string `json:"providerID"`
	Agent      string `json:"agent"`
	Mode       string `json:"mode"`
	Time       struct {
		Created   *float64 `json:"created"`
		Completed *float64 `json:"completed"`
	} `json:"time"`
	Error *struct {
		Name string `json:"name"`
		Data struct {
			Message string `json:"message"`
		} `json:"data"`
	} `json:"error"`
	Tokens *tokens `json:"tokens"`
}

type part struct {
	line   int64   // the database row's unit number, for a part without its message
	ID     string  `json:"id"`
	Type   string  `json:"type"`
	Tokens *tokens `json:"tokens"`
	Tool   string  `json:"tool"`
	CallID string  `json:"callID"`
	State  struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Time   struct {
			Start *float64 `json:"start"`
			End   *float64 `json:"end"`
		} `json:"time"`
	} `json:"state"`
}

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
	var probe struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		note(ingest.NoteInvalid, "malformed json", err.Error())
		return nil
	}
	if strings.HasPrefix(probe.ID, "prt_") {
		note(ingest.NoteSkipped, "part (read with its message)", "")
		return nil
	}
	var m message
	if err := json.Unmarshal(data, &m); err != nil {
		note(ingest.NoteInvalid, "not an OpenCode message", err.Error())
		return nil
	}
	if m.Role == "assistant" && m.SessionID != "" && m.ID != "" {
		parts, bad, perr := readParts(src.Name, m.ID)
		if perr != nil {
			return perr
		}
		decodeMessage(&m, parts, bad, sink, src.Name, 1)
		return nil
	}
	decodeMessage(&m, nil, "", sink, src.Name, 1)
	return nil
}

// decodeMessage makes the records of one message from its step-finish and
// tool parts, in id order (bad, when set, names a part that could not be
// read): the one code path for the JSON files and the database. It
// accounts for the message as unit line of file.
func decodeMessage(m *message, parts []part, bad string, sink ingest.Sink, file string, line int64) {
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
			r.UnknownUsage = AssumedField
		}
		recs = append([]ingest.Record{r}, recs...)
	}
	if m.Error != nil {
		// The failure belongs to the message's last call.
		for i := len(recs) - 1; i >= 0; i-- {
			if recs[i].Kind == ingest.KindLLM {
				recs[i].Status = ingest.StatusError
				recs[i].Error = ingest.TruncateUTF8(or(m.Error.Data.Message, m.Error.Name, "error"), maxErrorText)
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
	for _, n := range names {
		p, ok := readPart(filepath.Join(pdir, n))
		if !ok {
			return nil, filepath.Join(pdir, n), nil
		}
		if p.Type == "step-finish" || p.Type == "tool" {
			parts = append(parts, p)
		}
	}
	return parts, "", nil
}

func readPart(path string) (part, bool) {
	var p part
	f, err := os.Open(path)
	if err != nil {
		return p, false
	}
	defer func() { _ = f.Close() }() // read-only: nothing to lose
	data, err := io.ReadAll(io.LimitReader(f, maxPart+1))
	if err != nil || len(data) > maxPart || json.Unmarshal(data, &p) != nil {
		return p, false
	}
	return p, true
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
