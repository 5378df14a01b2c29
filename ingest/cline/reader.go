package cline

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"

	"github.com/valyala/fastjson"

	"github.com/tokcost/tokcost/ingest"
	"github.com/tokcost/tokcost/ingest/internal/fjson"
	"github.com/tokcost/tokcost/ingest/internal/jsonscan"
)

func init() { ingest.Register(Format{}, 10) }

// Format is the Cline / Roo Code / Kilo Code task reader.
type Format struct{}

// Name implements ingest.Format.
func (Format) Name() string { return "cline" }

// Describe implements ingest.Format.
func (Format) Describe() string {
	return "Cline, Roo Code and Kilo Code task folders (tasks/<id>/ui_messages.json): one call per api_req_started with usage; input made inclusive of the cache per provider, assumptions counted; units are messages"
}

// siblings are the other files of a task folder: claimed so a walk of the
// tasks directory reads them as skipped units, not unknown files.
var siblings = map[string]bool{
	"api_conversation_history.json": true, "task_metadata.json": true, "context_history.json": true,
	"history_item.json": true,
}

// Sniff implements ingest.Format. ui_messages.json is an array of
// messages whose first keys are "ts" (a number) and "type" ("say" or
// "ask"); the other files of a task folder are claimed by name when they
// sit in tasks/<id>/ beside a ui_messages.json.
func (Format) Sniff(name string, head []byte) bool {
	if base := filepath.Base(name); siblings[base] {
		dir := filepath.Dir(name)
		if filepath.Base(filepath.Dir(dir)) != "tasks" {
			return false
		}
		_, err := os.Stat(filepath.Join(dir, "ui_messages.json"))
		return err == nil
	}
	dec := json.NewDecoder(bytes.NewReader(bytes.TrimLeft(head, " \t\r\n\ufeff")))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
		return false
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return false
	}
	if tok, err := dec.Token(); err != nil || tok != "ts" {
		return false
	}
	if tok, err := dec.Token(); err != nil {
		return false
	} else if _, ok := tok.(float64); !ok {
		return false
	}
	if tok, err := dec.Token(); err != nil || tok != "type" {
		return false
	}
	tok, err := dec.Token()
	return err == nil && (tok == "say" || tok == "ask")
}

// message is the subset of a ui_messages.json message the reader uses;
// its fields are read as encoding/json would fill a struct (fjson.Fields),
// keys matched exactly. Pointers: absent (or null) is not zero.
type message struct {
	TS        *float64
	Type      string
	Say       string
	Ask       string
	Text      *string
	Partial   bool
	ModelInfo *modelInfo
}

type modelInfo struct {
	ModelID    string
	ProviderID string
	Mode       string
}

func decodeMessage(o *fastjson.Object, m *message, f *fjson.Fields) {
	o.Visit(func(k []byte, v *fastjson.Value) {
		switch string(k) {
		case "ts":
			m.TS = optFloat(f, "ts", v)
		case "type":
			m.Type = f.String("type", v)
		case "say":
			m.Say = f.String("say", v)
		case "ask":
			m.Ask = f.String("ask", v)
		case "text":
			m.Text = nil
			if v.Type() != fastjson.TypeNull {
				if s := f.String("text", v); v.Type() == fastjson.TypeString {
					m.Text = &s
				}
			}
		case "partial":
			m.Partial = f.Bool("partial", v)
		case "modelInfo":
			m.ModelInfo = nil
			if mo := f.Object("modelInfo", v); mo != nil {
				mi := &modelInfo{}
				mo.Visit(func(k []byte, v *fastjson.Value) {
					switch string(k) {
					case "modelId":
						mi.ModelID = f.String("modelInfo.modelId", v)
					case "providerId":
						mi.ProviderID = f.String("modelInfo.providerId", v)
					case "mode":
						mi.Mode = f.String("modelInfo.mode", v)
					}
				})
				m.ModelInfo = mi
			}
		}
	})
}

// optFloat reads a *float64 field: nil when missing or null.
func optFloat(f *fjson.Fields, path string, v *fastjson.Value) *float64 {
	if v == nil || v.Type() == fastjson.TypeNull {
		return nil
	}
	x := f.Float64(path, v)
	if v.Type() != fastjson.TypeNumber {
		return nil
	}
	return &x
}

// reqInfo is the JSON text of an api_req_started (Cline's ClineApiReqInfo,
// Roo Code's with apiProtocol). Counts are pointers: absent is not zero.
type reqInfo struct {
	TokensIn               *float64
	TokensOut              *float64
	CacheWrites            *float64
	CacheReads             *float64
	Cost                   *float64
	CancelReason           string
	StreamingFailedMessage string
	APIProtocol            string
	Unknown                []string // token keys not read (usageKeys)
}

// usageKeys are the token counts of a request info the reader reads. A key
// containing "token" in any case, or one of these in other case
// ("TokensIn", "cachereads"), is named in Record.UnknownUsage: keys match
// exactly, so its count is not read (docs/formats/cline.md).
var usageKeys = map[string]bool{"tokensIn": true, "tokensOut": true, "cacheWrites": true, "cacheReads": true}

// decodeInfo reads the request info from a message's text; false when it
// is not JSON or a field has another type (null is an empty info).
func decodeInfo(p *fastjson.Parser, text string, info *reqInfo) bool {
	v, _, ok := fjson.Parse(p, []byte(text))
	if !ok {
		return false
	}
	var f fjson.Fields
	o := f.Object("", v)
	if o == nil {
		return f.Err == ""
	}
	o.Visit(func(k []byte, v *fastjson.Value) {
		switch string(k) {
		case "tokensIn":
			info.TokensIn = optFloat(&f, "tokensIn", v)
		case "tokensOut":
			info.TokensOut = optFloat(&f, "tokensOut", v)
		case "cacheWrites":
			info.CacheWrites = optFloat(&f, "cacheWrites", v)
		case "cacheReads":
			info.CacheReads = optFloat(&f, "cacheReads", v)
		case "cost":
			info.Cost = optFloat(&f, "cost", v)
		case "cancelReason":
			info.CancelReason = f.String("cancelReason", v)
		case "streamingFailedMessage":
			info.StreamingFailedMessage = f.String("streamingFailedMessage", v)
		case "apiProtocol":
			info.APIProtocol = f.String("apiProtocol", v)
		default:
			if ingest.UnknownUsageKey(usageKeys, string(k)) {
				info.Unknown = append(info.Unknown, string(k))
			}
		}
	})
	return f.Err == ""
}

// modelUse is one task_metadata.json model_usage entry: the model in use
// from ts on.
type modelUse struct {
	TS       float64 // ts
	Model    string  // model_id
	Provider string  // model_provider_id
	Mode     string  // mode
}

// maxErrorText bounds Record.Error.
const maxErrorText = 2 << 10

// maxMetadata bounds task_metadata.json, read whole beside a task.
const maxMetadata = 64 << 20

// Decode implements ingest.Format. The units are the array's messages;
// a sibling file of the task folder is one skipped unit.
func (Format) Decode(src *ingest.Source, newSink ingest.SinkFactory) error {
	sink := newSink()
	if siblings[filepath.Base(src.Name)] {
		sink.Lines(1)
		sink.Note(ingest.Note{Kind: ingest.NoteSkipped, File: src.Name, Line: 1, Reason: "task file (ui_messages.json holds the usage)"})
		return nil
	}
	d := &decoder{file: src.Name, sink: sink, session: filepath.Base(filepath.Dir(src.Name))}
	if src.Name == "-" || d.session == "." || d.session == string(filepath.Separator) {
		d.session = src.Name
	}
	d.models = readModelUsage(filepath.Join(filepath.Dir(src.Name), "task_metadata.json"))
	st := jsonscan.NewStream(src.R, jsonscan.Limit(src.MaxLineBytes, ingest.DefaultMaxLineBytes))
	tok, err := st.Token()
	switch {
	case err == io.EOF:
		return nil // empty: nothing to account for
	case err == nil && !tok.Delim('['):
		d.units++
		d.note(ingest.NoteInvalid, "not a message array", "")
		sink.Lines(d.units)
		return nil
	case err == nil:
		for st.More() {
			var raw []byte
			if raw, err = st.Value(); err != nil {
				break
			}
			d.units++
			d.message(raw)
		}
		if err == nil {
			_, err = st.Token() // the closing bracket: a truncated task fails here
		}
	}
	switch {
	case err == nil:
	case jsonscan.Broken(err):
		// The array breaks off (a task being written): one invalid unit;
		// the messages before it are kept.
		d.units++
		d.note(ingest.NoteInvalid, jsonscan.Reason(err), err.Error())
	default:
		sink.Lines(d.units)
		return fmt.Errorf("read %s: %w", src.Name, err)
	}
	sink.Lines(d.units)
	return nil
}

type decoder struct {
	p             fastjson.Parser // one message's values live until the next
	ip            fastjson.Parser // its request info's, parsed from its text
	file, session string
	sink          ingest.Sink
	units         int64
	models        []modelUse
	// lastStarted is the unit of the last api_req_started that carried
	// usage: an old api_req_finished after it repeats it.
	lastStartedUsage bool
}

func (d *decoder) note(kind ingest.NoteKind, reason, detail string) {
	d.sink.Note(ingest.Note{Kind: kind, File: d.file, Line: d.units, Reason: reason, Detail: detail})
}

func (d *decoder) message(raw []byte) {
	v, detail, ok := fjson.ParseValid(&d.p, raw)
	if !ok {
		d.note(ingest.NoteInvalid, "malformed json", detail)
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
		d.note(ingest.NoteInvalid, "wrong field type", f.Err)
		return
	}
	kind := m.Say
	if m.Type == "ask" {
		kind = "ask " + m.Ask
	}
	switch {
	case m.Type != "say" && m.Type != "ask":
		d.note(ingest.NoteInvalid, "not a Cline message", "type "+strconv.Quote(m.Type))
		return
	case m.Type == "say" && (m.Say == "api_req_started" || m.Say == "api_req_finished" || m.Say == "deleted_api_reqs" || m.Say == "subagent_usage"):
	default:
		if kind == "" || kind == "ask " {
			kind = "untyped message"
		}
		d.note(ingest.NoteSkipped, kind, "")
		return
	}
	started := m.Say == "api_req_started"
	var info reqInfo
	if m.Text == nil || !decodeInfo(&d.ip, *m.Text, &info) {
		if started {
			d.lastStartedUsage = false
		}
		d.note(ingest.NoteInvalid, "unreadable request info", m.Say)
		return
	}
	// Token keys only in other case ("TokensIn") still make a call: its
	// record names them, rather than the row being skipped as if empty.
	if info.TokensIn == nil && info.TokensOut == nil && info.CacheReads == nil && info.CacheWrites == nil && info.Cost == nil && len(info.Unknown) == 0 {
		if started {
			d.lastStartedUsage = false
		}
		// Cline writes the request first and the usage when the stream
		// ends; a request without it is in progress or never answered.
		d.note(ingest.NoteSkipped, m.Say+" without usage", "")
		return
	}
	aggregate := m.Say == "deleted_api_reqs" || m.Say == "subagent_usage"
	if aggregate && zero(info.TokensIn, info.TokensOut, info.CacheReads, info.CacheWrites, info.Cost) && len(info.Unknown) == 0 {
		// Cline writes an aggregate of zeros when the deleted messages
		// held no usage: no call to count.
		d.note(ingest.NoteSkipped, m.Say+" of zero", "")
		return
	}
	if m.Say == "api_req_finished" && d.lastStartedUsage {
		// Old Cline versions wrote the usage on a separate finished
		// message; when the started one has it too, this repeats it.
		d.note(ingest.NoteDuplicate, "", "")
		return
	}
	d.lastStartedUsage = started
	var u usage
	for _, f := range []struct {
		p   *float64
		dst *int64
	}{{info.TokensIn, &u.in}, {info.TokensOut, &u.out}, {info.CacheWrites, &u.cacheWrites}, {info.CacheReads, &u.cacheReads}} {
		if f.p == nil {
			continue
		}
		v := *f.p
		if v < 0 || v != math.Trunc(v) || v > 1<<53 {
			d.note(ingest.NoteInvalid, "bad token count", strconv.FormatFloat(v, 'g', -1, 64))
			return
		}
		*f.dst = int64(v)
	}
	if info.Cost != nil && (*info.Cost < 0 || math.IsInf(*info.Cost, 0) || math.IsNaN(*info.Cost)) {
		d.note(ingest.NoteInvalid, "bad cost", "")
		return
	}
	r := ingest.Record{
		SessionID: d.session, Kind: ingest.KindLLM, Role: "main",
		File: d.file, Line: d.units,
	}
	var ts float64
	if m.TS != nil && *m.TS > 0 && *m.TS < 9e12 {
		ts = *m.TS
		r.TSNano = int64(ts) * 1e6
		r.ID = m.Say + ":" + strconv.FormatInt(int64(ts), 10)
	} else {
		r.TSUnreadable = true
		r.ID = m.Say + "#" + strconv.FormatInt(d.units, 10)
	}
	provider := ""
	if mi := m.ModelInfo; mi != nil {
		r.Model, provider = mi.ModelID, mi.ProviderID
		if mi.Mode != "" {
			r.Role = mi.Mode
		}
	} else if mu, ok := d.modelAt(ts); ok {
		r.Model, provider = mu.Model, mu.Provider
		if mu.Mode != "" {
			r.Role = mu.Mode
		}
	}
	r.Provider = provider
	shape, assumed := resolve(u, provider, info.APIProtocol)
	apply(&r, u, shape)
	if assumed {
		r.UnknownUsage = AssumedField
	}
	if len(info.Unknown) > 0 {
		r.UnknownUsage = ingest.UnknownUsageList(append(info.Unknown, r.UnknownUsage)...)
	}
	if info.Cost != nil && *info.Cost > 0 {
		// The producer's figure: the gateway's charge for Cline's own
		// provider, otherwise its estimate from its model table. Used only
		// where tokcost's table has no price (--cost-source auto).
		r.CostUSD, r.HasCost = *info.Cost, true
	}
	switch info.CancelReason {
	case "streaming_failed", "retries_exhausted":
		r.Status = ingest.StatusError
		r.Error = ingest.TruncateUTF8(or(info.StreamingFailedMessage, info.CancelReason), maxErrorText)
	case "user_cancelled":
		r.Attrs = map[string]string{"cancel_reason": "user_cancelled"}
	}
	if aggregate {
		// Sums of several requests: their tokens and cost, one record.
		if r.Attrs == nil {
			r.Attrs = map[string]string{}
		}
		r.Attrs["aggregate"] = m.Say
	}
	d.sink.Record(&r)
}

// modelAt is the model task_metadata.json says was in use at ts: the
// latest entry at or before it, else the first.
func (d *decoder) modelAt(ts float64) (modelUse, bool) {
	if len(d.models) == 0 {
		return modelUse{}, false
	}
	i := sort.Search(len(d.models), func(i int) bool { return d.models[i].TS > ts })
	if i == 0 {
		return d.models[0], true
	}
	return d.models[i-1], true
}

// readModelUsage reads task_metadata.json's model_usage beside a task's
// ui_messages.json (Cline records the model there; Roo Code does not).
// A missing or unreadable file is no model information.
func readModelUsage(path string) []modelUse {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer func() { _ = f.Close() }() // read-only: nothing to lose
	data, err := io.ReadAll(io.LimitReader(f, maxMetadata+1))
	if err != nil || len(data) > maxMetadata {
		return nil
	}
	var p fastjson.Parser
	v, _, ok := fjson.Parse(&p, data)
	if !ok {
		return nil
	}
	// Read as encoding/json filled {model_usage []modelUse}: any wrong
	// type makes the file unreadable.
	var fl fjson.Fields
	var usage []modelUse
	if o := fl.Object("", v); o != nil {
		o.Visit(func(k []byte, v *fastjson.Value) {
			if string(k) != "model_usage" {
				return
			}
			arr, _ := fl.Array("model_usage", v)
			usage = make([]modelUse, len(arr))
			for i, e := range arr {
				if eo := fl.Object("model_usage", e); eo != nil {
					eo.Visit(func(k []byte, v *fastjson.Value) {
						switch string(k) {
						case "ts":
							usage[i].TS = fl.Float64("model_usage.ts", v)
						case "model_id":
							usage[i].Model = fl.String("model_usage.model_id", v)
						case "model_provider_id":
							usage[i].Provider = fl.String("model_usage.model_provider_id", v)
						case "mode":
							usage[i].Mode = fl.String("model_usage.mode", v)
						}
					})
				}
			}
		})
	}
	if fl.Err != "" {
		return nil
	}
	out := usage[:0]
	for _, mu := range usage {
		if mu.Model != "" {
			out = append(out, mu)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].TS < out[j].TS })
	return out
}

func or(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// zero reports whether every count present is 0.
func zero(ps ...*float64) bool {
	for _, p := range ps {
		if p != nil && *p != 0 {
			return false
		}
	}
	return true
}
