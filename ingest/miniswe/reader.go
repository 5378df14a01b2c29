package miniswe

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
	"github.com/tokcost/tokcost/ingest/internal/litellm"
	"github.com/tokcost/tokcost/ingest/internal/toolhash"
)

func init() { ingest.Register(Format{}, 10) }

// Format is the mini-swe-agent trajectory reader.
type Format struct{}

// Name implements ingest.Format.
func (Format) Name() string { return "mini-swe-agent" }

// Describe implements ingest.Format.
func (Format) Describe() string {
	return "mini-swe-agent trajectory JSON (*.traj.json): one model call per message with extra.response (LiteLLM usage, extra.cost as cost), bash actions as tool steps; units are messages"
}

// Sniff implements ingest.Format: an object whose first key is info or
// messages and that either names its trajectory_format as mini-swe-agent's
// within the head or is called *.traj.json (the format key is written last,
// after messages that can be megabytes long).
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
	if err != nil || (tok != "info" && tok != "messages") {
		return false
	}
	if bytes.Contains(t, []byte(`"trajectory_format": "mini-swe-agent`)) || bytes.Contains(t, []byte(`"trajectory_format":"mini-swe-agent`)) {
		return true
	}
	return strings.HasSuffix(strings.ToLower(name), ".traj.json")
}

// info is the part of the top-level info the reader keeps.
type info struct {
	ExitStatus  string // exit_status
	MiniVersion string // mini_version
	ModelName   string // config.model.model_name
}

// message is a message's fields, read as encoding/json filled its struct
// (gofields), keys matched exactly.
type message struct {
	Role       string
	ToolCallID string
	Extra      *fastjson.Value // any shape until read
}

type extra struct {
	Response   *fastjson.Value
	Cost       *float64
	Timestamp  *float64
	Actions    []action
	ReturnCode *int64
	Exception  string
	RawOutput  *string
}

type action struct {
	Command    string
	ToolCallID string
}

type response struct {
	ID    string
	Model string
	Usage *fastjson.Value
}

// maxErrorText bounds Record.Error: enough to classify and show a failure.
const maxErrorText = 2 << 10

type decoder struct {
	p        fastjson.Parser // one message's values live until the next
	file     string
	sink     ingest.Sink
	recs     []ingest.Record
	units    int64
	info     info
	instance string
	seen     map[string]bool // response ids already counted
	tools    map[string]int  // tool_call_id → index in recs
	lastTool []int           // tool records of the latest model message, for outputs without an id
}

// Decode implements ingest.Format. The units are messages: every message
// yields records or exactly one Note, and a document that breaks off adds
// one invalid unit. Messages before a break are kept.
func (Format) Decode(src *ingest.Source, newSink ingest.SinkFactory) error {
	d := &decoder{file: src.Name, sink: newSink(), seen: map[string]bool{}, tools: map[string]int{}}
	rd := &readErr{r: src.R}
	err := d.document(jsonscan.NewStream(rd, jsonscan.Limit(src.MaxLineBytes, ingest.DefaultMaxLineBytes)))
	switch {
	case err == nil:
	case rd.err == nil:
		// Not a read failure: the JSON itself is bad (syntax, truncation,
		// shape, a value past the bound). One invalid unit.
		d.units++
		reason := jsonscan.Reason(err)
		if errors.Is(err, errNotTraj) {
			reason = "not a trajectory object"
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

var errNotTraj = errors.New("expected a JSON object with a messages array")

func (d *decoder) document(st *jsonscan.Stream) error {
	tok, err := st.Token()
	if err == io.EOF {
		return nil
	}
	if err != nil {
		return err
	}
	if !tok.Delim('{') {
		return errNotTraj
	}
	for st.More() {
		tok, err := st.Token()
		if err != nil {
			return err
		}
		switch tok.Str {
		case "info", "instance_id":
			raw, err := st.Value()
			if err != nil {
				return err
			}
			v, detail, ok := fjson.ParseValid(&d.p, raw)
			if !ok {
				return errors.New(detail) // nesting past 300 levels
			}
			// Odd metadata costs the attributes, not the calls.
			if tok.Str == "info" {
				d.readInfo(v)
			} else if v.Type() == fastjson.TypeString {
				d.instance = fjson.Text(v.GetStringBytes())
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
	if _, err := st.Token(); err != nil {
		return err
	}
	if _, err := st.Token(); err != io.EOF {
		return errNotTraj
	}
	return nil
}

// readInfo reads info as encoding/json filled d.info: into what it holds
// (a repeated info adds to the first), each string field only when it
// is a string (null and other types leave it).
func (d *decoder) readInfo(v *fastjson.Value) {
	set := func(dst *string, v *fastjson.Value) {
		if v.Type() == fastjson.TypeString {
			*dst = fjson.Text(v.GetStringBytes())
		}
	}
	visit := func(v *fastjson.Value, fn func(k string, v *fastjson.Value)) {
		if v.Type() == fastjson.TypeObject {
			v.GetObject().Visit(func(k []byte, v *fastjson.Value) { fn(string(k), v) })
		}
	}
	visit(v, func(k string, v *fastjson.Value) {
		switch k {
		case "exit_status":
			set(&d.info.ExitStatus, v)
		case "mini_version":
			set(&d.info.MiniVersion, v)
		case "config":
			visit(v, func(k string, v *fastjson.Value) {
				if k == "model" {
					visit(v, func(k string, v *fastjson.Value) {
						if k == "model_name" {
							set(&d.info.ModelName, v)
						}
					})
				}
			})
		}
	})
}

func (d *decoder) messages(st *jsonscan.Stream) error {
	tok, err := st.Token()
	if err != nil {
		return err
	}
	if tok.Kind == 'n' {
		return nil
	}
	if !tok.Delim('[') {
		return errNotTraj
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
	if raw[0] != '{' {
		d.note(ingest.NoteInvalid, n, "not a message object", "")
		return
	}
	v, detail, ok := fjson.ParseValid(&d.p, raw)
	if !ok {
		d.note(ingest.NoteInvalid, n, "malformed json", detail)
		return
	}
	m, err := decodeMessage(v.GetObject())
	if err != nil {
		d.note(ingest.NoteInvalid, n, "wrong field type", err.Error())
		return
	}
	var x extra
	if m.Extra != nil && m.Extra.Type() != fastjson.TypeNull {
		if x, err = decodeExtra(m.Extra); err != nil {
			d.note(ingest.NoteInvalid, n, "bad extra", err.Error())
			return
		}
	}
	ts := int64(0)
	if x.Timestamp != nil && *x.Timestamp > 0 && *x.Timestamp < 9e9 {
		ts = int64(math.Round(*x.Timestamp*1e6)) * 1e3 // microseconds are what Python's time() resolves
	}
	var recs []ingest.Record
	repeated := false
	if r := x.Response; r != nil && r.Type() == fastjson.TypeObject {
		resp, err := decodeResponse(r.GetObject())
		if err != nil {
			d.note(ingest.NoteInvalid, n, "bad extra.response", err.Error())
			return
		}
		if resp.ID != "" && d.seen[resp.ID] {
			repeated = true
		} else {
			rec := ingest.Record{Kind: ingest.KindLLM, ID: resp.ID, Model: resp.Model, TSNano: ts, Role: "main", File: d.file, Line: n}
			var usage []byte // LiteLLM's reader takes the object's JSON
			if resp.Usage != nil {
				usage = resp.Usage.MarshalTo(nil)
			}
			if err := litellm.Parse(usage, &rec); err != nil {
				d.note(ingest.NoteInvalid, n, "bad extra.response.usage", err.Error())
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
			if x.Cost != nil {
				if *x.Cost < 0 || math.IsNaN(*x.Cost) || math.IsInf(*x.Cost, 0) {
					d.note(ingest.NoteInvalid, n, "bad extra.cost", "")
					return
				}
				// mini-swe-agent writes 0 when LiteLLM could not price the
				// model (cost_tracking: ignore_errors): unknown, not free.
				rec.CostUSD, rec.HasCost = *x.Cost, *x.Cost > 0
			}
			if resp.ID != "" {
				d.seen[resp.ID] = true
			}
			recs = append(recs, rec)
		}
	}
	if len(x.Actions) > 0 && !repeated {
		d.lastTool = d.lastTool[:0]
		for _, a := range x.Actions {
			rec := ingest.Record{Kind: ingest.KindTool, ID: a.ToolCallID, Tool: "bash", TSNano: ts, Role: "main", File: d.file, Line: n}
			// The command is the whole of a bash call's arguments, in
			// tool-calling and text mode alike.
			rec.ToolArgsHash, rec.ToolArgsLabel = toolhash.Text(a.Command), toolhash.Label(a.Command)
			idx := len(d.recs) + len(recs)
			if a.ToolCallID != "" {
				d.tools[a.ToolCallID] = idx
			}
			d.lastTool = append(d.lastTool, idx)
			recs = append(recs, rec)
		}
	}
	if len(recs) > 0 {
		for i := range recs {
			recs[i].Sub, recs[i].SameUnit = int32(i), i > 0
		}
		d.recs = append(d.recs, recs...)
		return
	}
	switch {
	case repeated:
		d.note(ingest.NoteDuplicate, n, "repeated response", "")
	case m.Role == "tool" || x.ReturnCode != nil:
		d.outcome(&m, &x)
		d.note(ingest.NoteSkipped, n, "tool output joined to its action", "")
	default:
		role := m.Role
		if role == "" {
			role = "unknown role"
		}
		d.note(ingest.NoteSkipped, n, role, "")
	}
}

// outcome marks the action an output answers as failed when the command
// exited non-zero or raised. The output names its action by tool_call_id;
// an older text-mode trajectory has no ids, and its single action per
// model message is the one answered.
func (d *decoder) outcome(m *message, x *extra) {
	idx, ok := d.tools[m.ToolCallID]
	if m.ToolCallID == "" && len(d.lastTool) == 1 {
		idx, ok = d.lastTool[0], true
	}
	if !ok {
		return
	}
	if m.ToolCallID != "" {
		delete(d.tools, m.ToolCallID)
	}
	r := &d.recs[idx]
	var raw string
	if x.RawOutput != nil {
		// The command's output, before the template wraps it for the model.
		raw = *x.RawOutput
		r.SetToolResultText(raw)
	}
	failed := x.ReturnCode != nil && *x.ReturnCode != 0 || x.Exception != ""
	if failed {
		r.Status = ingest.StatusError
		text := x.Exception
		if text == "" {
			text = raw
		}
		r.Error = ingest.TruncateUTF8(text, maxErrorText)
		r.ErrorClass = ingest.ClassifyToolError(r.Error)
	}
}

// flush fills the session-wide fields and emits the records in order.
// The session is the file: runs of one benchmark instance share its
// instance_id, and must not merge into one session.
func (d *decoder) flush() {
	session := d.file
	attrs := map[string]string{}
	if d.instance != "" {
		attrs["instance"] = d.instance
	}
	if d.info.ExitStatus != "" {
		attrs["exit_status"] = d.info.ExitStatus
	}
	if d.info.MiniVersion != "" {
		attrs["version"] = d.info.MiniVersion
	}
	if run := runName(d.file, d.instance); run != "" {
		attrs["run"] = run
	}
	for i := range d.recs {
		r := &d.recs[i]
		r.SessionID = session
		if r.Kind == ingest.KindLLM && r.Model == "" {
			r.Model = d.info.ModelName
		}
		r.Attrs = make(map[string]string, len(attrs))
		for k, v := range attrs {
			r.Attrs[k] = v
		}
		d.sink.Record(r)
	}
	d.recs = nil
}

// runName is the directory that holds a benchmark run: the file's
// directory, or the one above it when the file sits in a directory named
// after its instance (mini-swe-agent's batch layout
// <run>/<instance_id>/<instance_id>.traj.json).
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
