package claudecode

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/valyala/fastjson"

	"github.com/tokcost/tokcost/ingest"
	"github.com/tokcost/tokcost/ingest/internal/toolhash"
)

func init() { ingest.Register(Format{}, 10) }

// Format is the Claude Code transcript reader.
type Format struct{}

// Name implements ingest.Format.
func (Format) Name() string { return "claude-code" }

// Describe implements ingest.Format.
func (Format) Describe() string {
	return "Claude Code transcript JSONL (~/.claude/projects/**.jsonl): API responses deduplicated on (message.id, requestId), tool_result blocks as tool steps"
}

// lineTypes are the transcript line types Claude Code is known to write;
// sniffing accepts a first object of one of them.
var lineTypes = map[string]bool{
	"user": true, "assistant": true, "system": true, "progress": true,
	"summary": true, "file-history-snapshot": true, "queue-operation": true,
	"attachment": true, "custom-title": true,
}

// probe holds the keys that tell a Claude Code line from other JSONL.
type probe struct {
	Type      string          `json:"type"`
	SessionID string          `json:"sessionId"`
	UUID      string          `json:"uuid"`
	LeafUUID  string          `json:"leafUuid"`
	Snapshot  json.RawMessage `json:"snapshot"`
}

// Sniff implements ingest.Format. The first line may be of any type (a
// snapshot, a summary, a queue operation, …), so it decides on the first
// line that decodes as a JSON object; the name is not needed because
// transcripts are always JSONL and content is unambiguous.
func (Format) Sniff(name string, head []byte) bool {
	for len(head) > 0 {
		var ln []byte
		ln, head, _ = bytes.Cut(head, []byte{'\n'})
		ln = bytes.TrimSpace(ln)
		if len(ln) == 0 || ln[0] != '{' {
			continue
		}
		var p probe
		if json.Unmarshal(ln, &p) != nil {
			continue // a torn last line of the head, or garbage: look further
		}
		switch {
		case p.Type == "file-history-snapshot":
			return len(p.Snapshot) > 0
		case p.Type == "summary" && p.LeafUUID != "":
			return true
		}
		return lineTypes[p.Type] && p.SessionID != ""
	}
	return false
}

// line is the subset of a transcript line the reader uses.
type line struct {
	Type        string `json:"type"`
	SessionID   string `json:"sessionId"`
	Timestamp   string `json:"timestamp"`
	IsSidechain bool   `json:"isSidechain"`
	AgentID     string `json:"agentId"`
	RequestID   string `json:"requestId"`
	Cwd         string `json:"cwd"`
	GitBranch   string `json:"gitBranch"`
	Version     string `json:"version"`
	// Message is decoded only for assistant and user lines, so that other
	// line types cannot be invalidated by a field they use differently.
	Message json.RawMessage `json:"message"`
}

type message struct {
	ID      string          `json:"id"`
	Model   string          `json:"model"`
	Content json.RawMessage `json:"content"` // a string or an array of blocks
	Usage   *usage          `json:"usage"`
}

type usage struct {
	InputTokens              int64 `json:"input_tokens"`
	CacheCreationInputTokens int64 `json:"cache_creation_input_tokens"`
	CacheReadInputTokens     int64 `json:"cache_read_input_tokens"`
	OutputTokens             int64 `json:"output_tokens"`
	CacheCreation            *struct {
		Ephemeral1h int64 `json:"ephemeral_1h_input_tokens"`
	} `json:"cache_creation"`
	ServiceTier   string `json:"service_tier"`  // standard, priority, batch
	InferenceGeo  string `json:"inference_geo"` // "us": US-only inference (uplift)
	Speed         string `json:"speed"`         // "fast": fast mode (multiplier)
	ServerToolUse *struct {
		WebSearchRequests int64 `json:"web_search_requests"`
	} `json:"server_tool_use"`
}

type block struct {
	Type      string          `json:"type"`
	ID        string          `json:"id"`
	Name      string          `json:"name"`
	ToolUseID string          `json:"tool_use_id"`
	Content   json.RawMessage `json:"content"` // a string or an array of text blocks
	IsError   bool            `json:"is_error"`
	Input     json.RawMessage `json:"input"` // a tool_use's arguments
}

// maxErrorText bounds Record.Error: enough to classify and show a failure.
const maxErrorText = 2 << 10

// dedupKey identifies one API response (docs/formats/claude-code.md).
type dedupKey struct{ msgID, reqID string }

// group is one deduplicated API response: its record and what is needed to
// decide which of its lines supplies the values.
type group struct {
	rec          int   // index in decoder.recs
	keptSide     bool  // the kept line is a sidechain line
	anySidechain bool  // some line of the group is a sidechain line
	keptSize     int64 // input+output+cache tokens of the kept line
	maxOut       int64 // output is a mid-stream snapshot: the largest is the best lower bound
}

type toolUse struct {
	name   string
	tsNano int64
	// The call's arguments as loop detection keeps them: a hash and a
	// short excerpt, never the text.
	argsHash  uint64
	argsLabel string
}

// decoder holds one file's state. Dedupe needs every line before a record
// is final, so records are buffered (one per API response or tool result,
// not per line) and emitted in file order at the end.
type decoder struct {
	file     string
	sink     ingest.Sink
	recs     []ingest.Record
	groups   []group
	byKey    map[dedupKey]int
	byMsg    map[string]int // message.id → first group, for the sidechain fallback
	toolUses map[string]toolUse
	args     fastjson.Parser // for tool_use inputs
}

// Decode implements ingest.Format. Every line ends up as records or as
// exactly one Note, so lines = lines-with-records + duplicate + invalid +
// blank + skipped.
func (Format) Decode(src *ingest.Source, newSink ingest.SinkFactory) error {
	d := &decoder{
		file:     src.Name,
		sink:     newSink(),
		byKey:    map[dedupKey]int{},
		byMsg:    map[string]int{},
		toolUses: map[string]toolUse{},
	}
	n, err := src.EachLine(func(b []byte, n int64) error {
		d.line(b, n)
		return nil
	}, func(n int64) { d.note(ingest.NoteInvalid, n, ingest.ReasonLineTooLong, "") })
	d.flush()
	d.sink.Lines(n)
	if err != nil {
		return fmt.Errorf("read %s: %w", src.Name, err)
	}
	return nil
}

func (d *decoder) note(kind ingest.NoteKind, n int64, reason, detail string) {
	d.sink.Note(ingest.Note{Kind: kind, File: d.file, Line: n, Reason: reason, Detail: detail})
}

func (d *decoder) line(b []byte, n int64) {
	if ingest.IsBlank(b) {
		d.note(ingest.NoteBlank, n, "", "")
		return
	}
	b = bytes.TrimSpace(b)
	if b[0] != '{' {
		d.note(ingest.NoteInvalid, n, "not a json object", "")
		return
	}
	var l line
	if err := json.Unmarshal(b, &l); err != nil {
		reason, detail := decodeErr(err)
		d.note(ingest.NoteInvalid, n, reason, detail)
		return
	}
	switch l.Type {
	case "":
		d.note(ingest.NoteInvalid, n, "missing type", "")
	case "assistant":
		d.assistant(&l, n)
	case "user":
		d.user(&l, n)
	default:
		d.note(ingest.NoteSkipped, n, l.Type, "")
	}
}

// decodeMessage decodes the message of an assistant or user line; it
// reports the line invalid and returns nil when it cannot.
func (d *decoder) decodeMessage(l *line, n int64) *message {
	raw := bytes.TrimSpace(l.Message)
	if len(raw) == 0 || string(raw) == "null" {
		d.note(ingest.NoteInvalid, n, "missing message", "")
		return nil
	}
	var m message
	if err := json.Unmarshal(raw, &m); err != nil {
		reason, detail := decodeErr(err)
		d.note(ingest.NoteInvalid, n, reason, detail)
		return nil
	}
	return &m
}

// decodeErr turns a json error into an invalid-line reason.
func decodeErr(err error) (reason, detail string) {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return "wrong field type", te.Field + ": " + te.Value
	}
	return "malformed json", err.Error()
}

func (d *decoder) assistant(l *line, n int64) {
	m := d.decodeMessage(l, n)
	if m == nil {
		return
	}
	ts := ingest.ParseTimeOrZero(l.Timestamp)
	// Tool names are remembered from every line, duplicates included: each
	// streamed line carries a different content block.
	if blocks, ok := blockList(m.Content); ok {
		for _, bl := range blocks {
			if bl.Type == "tool_use" && bl.ID != "" {
				if _, seen := d.toolUses[bl.ID]; !seen {
					tu := toolUse{name: bl.Name, tsNano: ts}
					tu.argsHash, tu.argsLabel, _ = toolhash.ArgsJSON(&d.args, bl.Input)
					d.toolUses[bl.ID] = tu
				}
			}
		}
	}
	if m.Model == "<synthetic>" {
		d.note(ingest.NoteSkipped, n, "synthetic", "")
		return
	}
	u := m.Usage
	if u == nil {
		d.note(ingest.NoteSkipped, n, "no usage", "")
		return
	}
	var h1 int64
	if u.CacheCreation != nil {
		h1 = u.CacheCreation.Ephemeral1h
	}
	if u.InputTokens < 0 || u.CacheCreationInputTokens < 0 || u.CacheReadInputTokens < 0 || u.OutputTokens < 0 || h1 < 0 {
		d.note(ingest.NoteInvalid, n, "negative tokens", "")
		return
	}
	if l.SessionID == "" {
		d.note(ingest.NoteInvalid, n, "missing sessionId", "")
		return
	}
	r := d.base(l, n, ts)
	r.Kind = ingest.KindLLM
	r.Model = m.Model
	r.Provider = "anthropic"
	// The record id is the API response's message.id alone: a /btw
	// sidechain replay in another file repeats it with a new requestId, and
	// analysis then counts the response once per session (docs/formats/claude-code.md).
	// Within this file the (message.id, requestId) rule below applies.
	r.ID = m.ID
	r.Replica = l.IsSidechain // a /btw replay loses to the parent's copy of the response
	r.InputTokens = u.InputTokens + u.CacheCreationInputTokens + u.CacheReadInputTokens
	r.OutputTokens = u.OutputTokens
	r.CacheReadTokens = u.CacheReadInputTokens
	r.CacheWriteTokens = u.CacheCreationInputTokens
	r.CacheWrite1hTokens = min(h1, u.CacheCreationInputTokens)
	r.ServiceTier = ingest.ParseServiceTier(u.ServiceTier)
	r.USOnly = strings.EqualFold(u.InferenceGeo, "us")
	r.Fast = strings.EqualFold(u.Speed, "fast")
	if u.ServerToolUse != nil && u.ServerToolUse.WebSearchRequests > 0 {
		r.WebSearchRequests = u.ServerToolUse.WebSearchRequests
	}
	size := r.InputTokens + r.OutputTokens

	if m.ID == "" { // without an id nothing can be matched: never deduplicated
		d.recs = append(d.recs, r)
		return
	}
	key := dedupKey{m.ID, l.RequestID}
	gi, ok := d.byKey[key]
	if !ok {
		if fi, found := d.byMsg[m.ID]; found && (l.IsSidechain || d.groups[fi].anySidechain) {
			gi, ok = fi, true
		}
	}
	if !ok {
		d.byKey[key] = len(d.groups)
		if _, found := d.byMsg[m.ID]; !found {
			d.byMsg[m.ID] = len(d.groups)
		}
		d.groups = append(d.groups, group{rec: len(d.recs), keptSide: l.IsSidechain,
			anySidechain: l.IsSidechain, keptSize: size, maxOut: r.OutputTokens})
		d.recs = append(d.recs, r)
		return
	}
	g := &d.groups[gi]
	d.byKey[key] = gi
	g.anySidechain = g.anySidechain || l.IsSidechain
	g.maxOut = max(g.maxOut, r.OutputTokens)
	// Keep the non-sidechain line, else the one with the larger usage. The
	// record keeps the first line's position and time: that is when the
	// response started and where it sits in the file.
	if (g.keptSide && !l.IsSidechain) || (g.keptSide == l.IsSidechain && size > g.keptSize) {
		first := d.recs[g.rec]
		r.Line, r.TSNano = first.Line, first.TSNano
		d.recs[g.rec] = r
		g.keptSide, g.keptSize = l.IsSidechain, size
	}
	d.recs[g.rec].OutputTokens = g.maxOut
	d.note(ingest.NoteDuplicate, n, "duplicate api response", r.ID)
}

func (d *decoder) user(l *line, n int64) {
	m := d.decodeMessage(l, n)
	if m == nil {
		return
	}
	blocks, _ := blockList(m.Content)
	var results []*block
	for i := range blocks {
		if blocks[i].Type == "tool_result" {
			results = append(results, &blocks[i])
		}
	}
	if len(results) == 0 {
		d.note(ingest.NoteSkipped, n, "user", "")
		return
	}
	if l.SessionID == "" {
		d.note(ingest.NoteInvalid, n, "missing sessionId", "")
		return
	}
	ts := ingest.ParseTimeOrZero(l.Timestamp)
	for i, bl := range results {
		r := d.base(l, n, ts)
		r.Kind = ingest.KindTool
		r.Sub = int32(i)
		r.SameUnit = i > 0
		r.ID = bl.ToolUseID // the tool name, start and arguments are joined in flush
		text := resultText(bl.Content)
		switch {
		case text != "":
			// The text, however the content was written (a string or text
			// blocks), so the same result hashes alike.
			r.SetToolResultText(text)
		case len(bl.Content) > 0:
			// No text (an image, say): the raw content, so two different
			// images do not compare equal.
			r.SetToolResultText(string(bl.Content))
		}
		if bl.IsError {
			r.Status = ingest.StatusError
			r.ErrorClass = ingest.ClassifyToolError(text)
			r.Error = ingest.TruncateUTF8(text, maxErrorText)
		}
		d.recs = append(d.recs, r)
	}
}

// base fills what every record of a line shares.
func (d *decoder) base(l *line, n int64, ts int64) ingest.Record {
	r := ingest.Record{
		SessionID: l.SessionID,
		TSNano:    ts,
		Role:      "main",
		File:      d.file,
		Line:      n,
		Attrs:     map[string]string{},
	}
	r.TSAssumedUTC, r.TSUnreadable = ingest.TimeFlags(l.Timestamp)
	if l.IsSidechain {
		r.Role = "subagent"
		if l.AgentID != "" {
			r.Attrs["agentId"] = l.AgentID
		}
	}
	for k, v := range map[string]string{"cwd": l.Cwd, "gitBranch": l.GitBranch, "version": l.Version} {
		if v != "" {
			r.Attrs[k] = v
		}
	}
	return r
}

// flush joins tool results to their tool_use blocks and emits every record
// in file order.
func (d *decoder) flush() {
	for i := range d.recs {
		r := &d.recs[i]
		if r.Kind != ingest.KindTool {
			continue
		}
		if tu, ok := d.toolUses[r.ID]; ok {
			r.Tool = tu.name
			r.ToolArgsHash, r.ToolArgsLabel = tu.argsHash, tu.argsLabel
			if tu.tsNano != 0 && r.TSNano >= tu.tsNano {
				// The transcript has no tool timings; the gap between the
				// call and its result is the closest available.
				r.DurationMS = float64(r.TSNano-tu.tsNano) / 1e6
				r.TSNano = tu.tsNano
			}
		}
	}
	for i := range d.recs {
		d.sink.Record(&d.recs[i])
	}
	d.recs = nil
}

// blockList decodes content when it is an array of blocks; a string (plain
// user text) or anything else yields false.
func blockList(raw json.RawMessage) ([]block, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '[' {
		return nil, false
	}
	var blocks []block
	if json.Unmarshal(raw, &blocks) != nil {
		// One odd block must not hide the others: decode them one by one.
		var items []json.RawMessage
		if json.Unmarshal(raw, &items) != nil {
			return nil, false
		}
		blocks = blocks[:0]
		for _, it := range items {
			var bl block
			if json.Unmarshal(it, &bl) == nil {
				blocks = append(blocks, bl)
			}
		}
	}
	return blocks, true
}

// resultText extracts the text of a tool_result content: a string, or the
// text blocks of an array joined by newlines.
func resultText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var parts []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	if json.Unmarshal(raw, &parts) != nil {
		return ""
	}
	var b strings.Builder
	for _, p := range parts {
		if p.Type == "text" && p.Text != "" {
			if b.Len() > 0 {
				b.WriteByte('\n')
			}
			b.WriteString(p.Text)
		}
	}
	return b.String()
}
