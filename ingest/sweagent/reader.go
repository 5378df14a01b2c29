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

	"github.com/tokcost/tokcost/ingest"
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
	TokensSent     *float64 `json:"tokens_sent"`
	TokensReceived *float64 `json:"tokens_received"`
	APICalls       *float64 `json:"api_calls"`
	InstanceCost   *float64 `json:"instance_cost"`
}

type info struct {
	ExitStatus string          `json:"exit_status"`
	Version    string          `json:"swe_agent_version"`
	ModelStats json.RawMessage `json:"model_stats"`
}

// replayConfig is the part of SWE-agent 1.x's replay_config (a JSON
// document kept as a string) that names the model and the instance.
type replayConfig struct {
	Agent struct {
		Model struct {
			Name string `json:"name"`
		} `json:"model"`
	} `json:"agent"`
	Problem struct {
		ID string `json:"id"`
	} `json:"problem_statement"`
}

var errNotTraj = errors.New("expected a JSON object")

// Decode implements ingest.Format. The unit is the document: it yields
// one record or one note.
func (Format) Decode(src *ingest.Source, newSink ingest.SinkFactory) error {
	sink := newSink()
	rd := &readErr{r: src.R}
	inf, rc, empty, err := document(json.NewDecoder(rd))
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
		reason := "malformed json"
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
// skipping the rest (trajectory and history hold the whole conversation).
func document(dec *json.Decoder) (inf *info, rc replayConfig, empty bool, err error) {
	tok, err := dec.Token()
	if err == io.EOF {
		return nil, rc, true, nil
	}
	if err != nil {
		return nil, rc, false, err
	}
	if tok != json.Delim('{') {
		return nil, rc, false, errNotTraj
	}
	for dec.More() {
		if tok, err = dec.Token(); err != nil {
			return nil, rc, false, err
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, rc, false, err
		}
		switch tok {
		case "info":
			var i info
			if err := json.Unmarshal(raw, &i); err != nil {
				return nil, rc, false, fmt.Errorf("info: %w", err)
			}
			inf = &i
		case "replay_config":
			// A string holding JSON, or (in some versions) the object
			// itself; an unreadable one costs the model name only.
			var s string
			if json.Unmarshal(raw, &s) == nil {
				raw = []byte(s)
			}
			_ = json.Unmarshal(raw, &rc)
		}
	}
	if _, err := dec.Token(); err != nil {
		return nil, rc, false, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, rc, false, errNotTraj
	}
	return inf, rc, false, nil
}

// record turns info.model_stats into the session's totals-only record, or
// says why it cannot.
func record(file string, inf *info, rc replayConfig) (*ingest.Record, string) {
	if inf == nil {
		return nil, "no info"
	}
	raw := bytes.TrimSpace(inf.ModelStats)
	if len(raw) == 0 || raw[0] != '{' {
		return nil, "no info.model_stats"
	}
	var st stats
	if err := json.Unmarshal(raw, &st); err != nil {
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
		SessionID: file, Kind: ingest.KindLLM, Model: rc.Agent.Model.Name, Role: "main",
		InputTokens: in, OutputTokens: out, Calls: int64(calls), File: file, Line: 1,
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
	instance := rc.Problem.ID
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
