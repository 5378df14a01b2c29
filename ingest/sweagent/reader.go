package sweagent

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strings"

	"github.com/valyala/fastjson"

	"github.com/tokcost/tokcost/ingest"
	"github.com/tokcost/tokcost/ingest/internal/fjson"
	"github.com/tokcost/tokcost/ingest/internal/jsonscan"
)

func init() { ingest.Register(Format{}, 10) }

// Format is the SWE-agent trajectory reader.
type Format struct{}

// Name implements ingest.Format.
func (Format) Name() string { return "swe-agent" }

// Describe implements ingest.Format.
func (Format) Describe() string {
	return "SWE-agent trajectory JSON (*.traj): info.model_stats totals (tokens_sent, tokens_received, api_calls, instance_cost) as one totals-only record per file; the unit is the document"
}

// Sniff implements ingest.Format: an object whose first key is
// environment (v0) or trajectory (1.x), called *.traj or naming
// model_stats within the head.
func (Format) Sniff(name string, head []byte) bool {
	t := bytes.TrimLeft(head, " \t\r\n\ufeff")
	if len(t) == 0 || t[0] != '{' {
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(t))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return false
	}
	tok, err := dec.Token()
	if err != nil || (tok != "environment" && tok != "trajectory") {
		return false
	}
	return strings.HasSuffix(strings.ToLower(name), ".traj") || bytes.Contains(t, []byte(`"model_stats"`))
}

// stats is info.model_stats. Numbers are read as float64 so that a
// fractional or huge count is caught, not truncated.
type stats struct {
	TokensSent     *float64
	TokensReceived *float64
	APICalls       *float64
	InstanceCost   *float64
	Unknown        []string // token keys not read (usageKeys)
}

// usageKeys are the token keys of model_stats the reader reads. Another key
// containing "token" in any case ("Tokens_Sent", "cache_read_tokens") is
// named in Record.UnknownUsage (docs/formats/swe-agent.md).
var usageKeys = map[string]bool{"tokens_sent": true, "tokens_received": true}

type info struct {
	ExitStatus string
	Version    string
	ModelStats *fastjson.Value // any shape; record decides
}

// replayConfig is the part of SWE-agent 1.x's replay_config (a JSON
// document kept as a string) that names the model and the instance.
type replayConfig struct {
	Model    string // agent.model.name
	Instance string // problem_statement.id
}

var errNotTraj = errors.New("expected a JSON object")

// Decode implements ingest.Format. The unit is the document: it yields
// one record or one note.
func (Format) Decode(src *ingest.Source, newSink ingest.SinkFactory) error {
	sink := newSink()
	rd := &readErr{r: src.R}
	var p fastjson.Parser // info's values live until the record is made
	inf, rc, empty, err := document(jsonscan.NewStream(rd, jsonscan.Limit(src.MaxLineBytes, ingest.DefaultMaxLineBytes)), &p)
	if rd.err != nil {
		return fmt.Errorf("read %s: %w", src.Name, rd.err)
	}
	if empty {
		sink.Lines(0)
		return nil
	}
	sink.Lines(1)
	note := func(kind ingest.NoteKind, reason, detail string) {
		sink.Note(ingest.Note{Kind: kind, File: src.Name, Line: 1, Reason: reason, Detail: detail})
	}
	if err != nil {
		reason := jsonscan.Reason(err)
		if errors.Is(err, errNotTraj) {
			reason = "not a trajectory object"
		}
		note(ingest.NoteInvalid, reason, err.Error())
		return nil
	}
	rec, reason := record(src.Name, inf, rc)
	switch {
	case reason == "no model calls":
		note(ingest.NoteSkipped, reason, "")
	case reason != "":
		note(ingest.NoteInvalid, reason, "")
	default:
		sink.Record(rec)
	}
	return nil
}

// document reads the top-level object, keeping info and replay_config and
// skipping the rest (trajectory and history hold the whole conversation;
// each value is held once, within --max-line-bytes).
func document(st *jsonscan.Stream, p *fastjson.Parser) (inf *info, rc replayConfig, empty bool, err error) {
	tok, err := st.Token()
	if err == io.EOF {
		return nil, rc, true, nil
	}
	if err != nil {
		return nil, rc, false, err
	}
	if !tok.Delim('{') {
		return nil, rc, false, errNotTraj
	}
	var rp fastjson.Parser // replay_config's values, read at once
	for st.More() {
		if tok, err = st.Token(); err != nil {
			return nil, rc, false, err
		}
		raw, err := st.Value()
		if err != nil {
			return nil, rc, false, err
		}
		switch tok.Str {
		case "info":
			v, detail, ok := fjson.ParseValid(p, raw)
			if !ok {
				return nil, rc, false, errors.New(detail) // nesting past 300 levels
			}
			i, err := decodeInfo(v)
			if err != nil {
				return nil, rc, false, fmt.Errorf("info: %w", err)
			}
			inf = &i
		case "replay_config":
			rc = decodeReplay(&rp, raw)
		}
	}
	if _, err := st.Token(); err != nil {
		return nil, rc, false, err
	}
	if _, err := st.Token(); err != io.EOF {
		return nil, rc, false, errNotTraj
	}
	return inf, rc, false, nil
}

// decodeInfo reads info as encoding/json filled the info struct, with
// its error texts: a string field of another type, or info not an object,
// makes the document malformed.
func decodeInfo(v *fastjson.Value) (info, error) {
	var i info
	if v.Type() == fastjson.TypeNull {
		return i, nil
	}
	o, err := v.Object()
	if err != nil {
		return i, fmt.Errorf("json: cannot unmarshal %s into Go value of type sweagent.info", fjson.Kind(v))
	}
	var first error
	str := func(field string, v *fastjson.Value) string {
		if s, ok := fjson.String(v); ok {
			return fjson.Text([]byte(s))
		}
		if v.Type() != fastjson.TypeNull && first == nil {
			first = fmt.Errorf("json: cannot unmarshal %s into Go struct field info.%s of type string", fjson.Kind(v), field)
		}
		return ""
	}
	o.Visit(func(k []byte, v *fastjson.Value) {
		switch string(k) {
		case "exit_status":
			i.ExitStatus = str("exit_status", v)
		case "swe_agent_version":
			i.Version = str("swe_agent_version", v)
		case "model_stats":
			i.ModelStats = v
		}
	})
	return i, first
}

// decodeReplay reads replay_config: a string holding JSON, or (in some
// versions) the object itself. As encoding/json filled it, a field of
// another type is left out and the others are read; an unreadable one
// costs the model name only.
func decodeReplay(p *fastjson.Parser, raw []byte) replayConfig {
	var rc replayConfig
	v, _, ok := fjson.ParseValid(p, raw)
	if !ok {
		return rc
	}
	if s, ok := fjson.String(v); ok {
		if v, _, ok = fjson.Parse(p, []byte(s)); !ok {
			return rc
		}
	}
	if x := at(v, "agent", "model", "name"); x != nil && x.Type() == fastjson.TypeString {
		rc.Model = fjson.Text(x.GetStringBytes())
	}
	if x := at(v, "problem_statement", "id"); x != nil && x.Type() == fastjson.TypeString {
		rc.Instance = fjson.Text(x.GetStringBytes())
	}
	return rc
}

// at walks objects by key, the last of repeated keys as encoding/json
// reads them (fastjson's Get finds the first); nil when a step is missing
// or not an object.
func at(v *fastjson.Value, path ...string) *fastjson.Value {
	for _, k := range path {
		if v == nil || v.Type() != fastjson.TypeObject {
			return nil
		}
		var last *fastjson.Value
		v.GetObject().Visit(func(key []byte, x *fastjson.Value) {
			if string(key) == k {
				last = x
			}
		})
		v = last
	}
	return v
}

// record turns info.model_stats into the session's totals-only record, or
// says why it cannot.
func record(file string, inf *info, rc replayConfig) (*ingest.Record, string) {
	if inf == nil {
		return nil, "no info"
	}
	if inf.ModelStats == nil || inf.ModelStats.Type() != fastjson.TypeObject {
		return nil, "no info.model_stats"
	}
	var st stats
	var f fjson.Fields
	inf.ModelStats.GetObject().Visit(func(k []byte, v *fastjson.Value) {
		switch string(k) {
		case "tokens_sent":
			st.TokensSent = optFloat(&f, v)
		case "tokens_received":
			st.TokensReceived = optFloat(&f, v)
		case "api_calls":
			st.APICalls = optFloat(&f, v)
		case "instance_cost":
			st.InstanceCost = optFloat(&f, v)
		default:
			if ingest.UnknownUsageKey(usageKeys, string(k)) {
				st.Unknown = append(st.Unknown, string(k))
			}
		}
	})
	if f.Err != "" {
		return nil, "bad info.model_stats"
	}
	if st.TokensSent == nil || st.TokensReceived == nil || st.APICalls == nil {
		return nil, "info.model_stats lacks tokens_sent, tokens_received or api_calls"
	}
	in, ferr := ingest.TokenCount("tokens_sent", *st.TokensSent)
	if ferr != nil {
		return nil, "bad tokens_sent: " + ferr.Reason
	}
	out, ferr := ingest.TokenCount("tokens_received", *st.TokensReceived)
	if ferr != nil {
		return nil, "bad tokens_received: " + ferr.Reason
	}
	calls := *st.APICalls
	if math.IsNaN(calls) || calls < 0 || calls != math.Trunc(calls) || calls > ingest.MaxTotalsCalls {
		return nil, fmt.Sprintf("bad api_calls (a whole number up to %d)", ingest.MaxTotalsCalls)
	}
	if calls == 0 {
		if in != 0 || out != 0 {
			return nil, "tokens without api_calls"
		}
		return nil, "no model calls"
	}
	r := &ingest.Record{
		SessionID: file, Kind: ingest.KindLLM, Model: rc.Model, Role: "main",
		InputTokens: in, OutputTokens: out, Calls: int64(calls), File: file, Line: 1,
		UnknownUsage: ingest.UnknownUsageList(st.Unknown...),
	}
	if c := st.InstanceCost; c != nil {
		if *c < 0 || math.IsNaN(*c) || math.IsInf(*c, 0) {
			return nil, "bad instance_cost"
		}
		// 0 is what SWE-agent writes when it could not price the model:
		// unknown, not free.
		r.CostUSD, r.HasCost = *c, *c > 0
	}
	attrs := map[string]string{}
	if inf.ExitStatus != "" {
		attrs["exit_status"] = inf.ExitStatus
	}
	if inf.Version != "" {
		attrs["version"] = inf.Version
	}
	instance := rc.Instance
	if instance == "" {
		// SWE-agent names the file after its instance: <instance>.traj.
		instance = strings.TrimSuffix(filepath.Base(file), ".traj")
	}
	if instance != "" && file != "-" {
		attrs["instance"] = instance
	}
	if run := runName(file, instance); run != "" {
		attrs["run"] = run
	}
	r.Attrs = attrs
	// The canonical bounds (tokens below 2^32, cost at most $1,000,000)
	// hold for the totals too: the analysis keeps tokens in 32 bits.
	if err := ingest.Validate(r); err != nil {
		return nil, err.Error()
	}
	return r, ""
}

// optFloat reads a *float64 field: nil when missing or null.
func optFloat(f *fjson.Fields, v *fastjson.Value) *float64 {
	if v.Type() == fastjson.TypeNull {
		return nil
	}
	x := f.Float64("", v)
	return &x
}

// runName is the directory that holds a benchmark run: the file's
// directory, or the one above it when the file sits in a directory named
// after its instance (SWE-agent 1.x writes <run>/<instance>/<instance>.traj;
// v0 wrote <run>/<instance>.traj).
func runName(file, instance string) string {
	if file == "-" || file == "" {
		return ""
	}
	dir := filepath.Dir(file)
	if instance != "" && filepath.Base(dir) == instance {
		dir = filepath.Dir(dir)
	}
	if dir == "." || dir == string(filepath.Separator) {
		return ""
	}
	return filepath.Base(dir)
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
