package claudecode

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	"github.com/valyala/fastjson"

	"github.com/tokcost/tokcost/ingest"
	"github.com/tokcost/tokcost/ingest/internal/fjson"
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
	Type, SessionID, LeafUUID string
	Snapshot                  bool // present, whatever its value
}

// decodeProbe reads a probe as the reader reads a line: false when a key
// has a type the reader would reject.
func decodeProbe(o *fastjson.Object) (p probe, ok bool) {
	var f fjson.Fields
	o.Visit(func(k []byte, v *fastjson.Value) {
		switch string(k) {
		case "type":
			p.Type = f.String("type", v)
		case "sessionId":
			p.SessionID = f.String("sessionId", v)
		case "uuid":
			f.String("uuid", v)
		case "leafUuid":
			p.LeafUUID = f.String("leafUuid", v)
		case "snapshot":
			p.Snapshot = true
		}
	})
	return p, f.Err == ""
}

// probeParsers recycles Sniff's parsers: Sniff runs on every input that
// no format ahead of it claimed (canonical JSONL among them), and a new
// parser allocated its value cache each time, 3.5 KB a file (5,000 small
// files: 16 MB more to collect; docs/performance.md, session 7).
var probeParsers fastjson.ParserPool

// Sniff implements ingest.Format. The first line may be of any type (a
// snapshot, a summary, a queue operation, …), so it decides on the first
// line that decodes as a JSON object; the name is not needed because
// transcripts are always JSONL and content is unambiguous.
func (Format) Sniff(name string, head []byte) bool {
	parser := probeParsers.Get()
	defer probeParsers.Put(parser)
	for len(head) > 0 {
		var ln []byte
		ln, head, _ = bytes.Cut(head, []byte{'\n'})
		ln = bytes.TrimSpace(ln)
		if len(ln) == 0 || ln[0] != '{' {
			continue
		}
		v, _, ok := fjson.Parse(parser, ln)
		if !ok {
			continue // a torn last line of the head, or garbage: look further
		}
		o, err := v.Object()
		if err != nil {
			continue
		}
		p, ok := decodeProbe(o)
		if !ok {
			continue
		}
		switch {
		case p.Type == "file-history-snapshot":
			return p.Snapshot
		case p.Type == "summary" && p.LeafUUID != "":
			return true
		}
		return lineTypes[p.Type] && p.SessionID != ""
	}
	return false
}

// line is the subset of a transcript line the reader uses; its fields
// are read as encoding/json would fill a struct (fjson.Fields), keys
// matched exactly.
type line struct {
	Type        string
	SessionID   string
	Timestamp   string
	IsSidechain bool
	AgentID     string
	RequestID   string
	Cwd         string
	GitBranch   string
	Version     string
	// Message is decoded only for assistant and user lines, so that other
	// line types cannot be invalidated by a field they use differently.
	Message *fastjson.Value
}

func decodeLine(o *fastjson.Object, l *line, f *fjson.Fields) {
	o.Visit(func(k []byte, v *fastjson.Value) {
		switch string(k) {
		case "type":
			l.Type = f.String("type", v)
		case "sessionId":
			l.SessionID = f.String("sessionId", v)
		case "timestamp":
			l.Timestamp = f.String("timestamp", v)
		case "isSidechain":
			l.IsSidechain = f.Bool("isSidechain", v)
		case "agentId":
			l.AgentID = f.String("agentId", v)
		case "requestId":
			l.RequestID = f.String("requestId", v)
		case "cwd":
			l.Cwd = f.String("cwd", v)
		case "gitBranch":
			l.GitBranch = f.String("gitBranch", v)
		case "version":
			l.Version = f.String("version", v)
		case "message":
			l.Message = v
		}
	})
}

type message struct {
	ID      string
	Model   string
	Content *fastjson.Value // a string or an array of blocks
	Usage   *usage
}

func decodeMessage(o *fastjson.Object, m *message, f *fjson.Fields) {
	o.Visit(func(k []byte, v *fastjson.Value) {
		switch string(k) {
		case "id":
			m.ID = f.String("id", v)
		case "model":
			m.Model = f.String("model", v)
		case "content":
			m.Content = v
		case "usage":
			m.Usage = nil
			if uo := f.Object("usage", v); uo != nil {
				m.Usage = &usage{}
				decodeUsage(uo, m.Usage, f)
			}
		}
	})
}

type usage struct {
	InputTokens              int64
	CacheCreationInputTokens int64
	CacheReadInputTokens     int64
	OutputTokens             int64
	Ephemeral1h              int64    // cache_creation.ephemeral_1h_input_tokens
	ServiceTier              string   // standard, priority, batch
	InferenceGeo             string   // "us": US-only inference (uplift)
	Speed                    string   // "fast": fast mode (multiplier)
	WebSearchRequests        int64    // server_tool_use.web_search_requests
	Unknown                  []string // keys the reader does not know (unknownKey)
}

// knownUsage lists, per object inside usage ("" is usage itself), the keys
// the reader reads or knows to carry nothing billable.
var knownUsage = map[string]map[string]bool{
	"": {"input_tokens": true, "cache_creation_input_tokens": true, "cache_read_input_tokens": true,
		"output_tokens": true, "cache_creation": true, "service_tier": true, "inference_geo": true,
		"speed": true, "server_tool_use": true},
	"cache_creation":  {"ephemeral_5m_input_tokens": true, "ephemeral_1h_input_tokens": true},
	"server_tool_use": {"web_search_requests": true, "web_fetch_requests": true},
}

// unknownKey names a key of the usage object at path that looks like a
// token count or like a known key in other case ("Input_Tokens",
// "cache_creation_tokens"), or any key of server_tool_use it does not know
// (each counts billable server-side tool calls, as ingest.FillUsageBilling
// says), "" for any other key: since keys match exactly, such a key would
// otherwise be ignored without a word (docs/formats/claude-code.md, "Odd
// JSON").
func unknownKey(path string, k []byte) string {
	known := knownUsage[path]
	key := string(k)
	if known[key] {
		return ""
	}
	odd := path == "server_tool_use" || strings.Contains(strings.ToLower(key), "token")
	for kk := range known {
		odd = odd || strings.EqualFold(kk, key)
	}
	if !odd {
		return ""
	}
	if path != "" {
		key = path + "." + key
	}
	return key
}

func decodeUsage(o *fastjson.Object, u *usage, f *fjson.Fields) {
	o.Visit(func(k []byte, v *fastjson.Value) {
		if name := unknownKey("", k); name != "" {
			u.Unknown = append(u.Unknown, name)
		}
		switch string(k) {
		case "input_tokens":
			u.InputTokens = f.Int64("usage.input_tokens", v)
		case "cache_creation_input_tokens":
			u.CacheCreationInputTokens = f.Int64("usage.cache_creation_input_tokens", v)
		case "cache_read_input_tokens":
			u.CacheReadInputTokens = f.Int64("usage.cache_read_input_tokens", v)
		case "output_tokens":
			u.OutputTokens = f.Int64("usage.output_tokens", v)
		case "cache_creation":
			u.Ephemeral1h = 0
			if cc := f.Object("usage.cache_creation", v); cc != nil {
				cc.Visit(func(k []byte, v *fastjson.Value) {
					if name := unknownKey("cache_creation", k); name != "" {
						u.Unknown = append(u.Unknown, name)
					}
					if string(k) == "ephemeral_1h_input_tokens" {
						u.Ephemeral1h = f.Int64("usage.cache_creation.ephemeral_1h_input_tokens", v)
					}
				})
			}
		case "service_tier":
			u.ServiceTier = f.String("usage.service_tier", v)
		case "inference_geo":
			u.InferenceGeo = f.String("usage.inference_geo", v)
		case "speed":
			u.Speed = f.String("usage.speed", v)
		case "server_tool_use":
			u.WebSearchRequests = 0
			if st := f.Object("usage.server_tool_use", v); st != nil {
				st.Visit(func(k []byte, v *fastjson.Value) {
					if name := unknownKey("server_tool_use", k); name != "" {
						u.Unknown = append(u.Unknown, name)
					}
					if string(k) == "web_search_requests" {
						u.WebSearchRequests = f.Int64("usage.server_tool_use.web_search_requests", v)
					}
				})
			}
		}
	})
}

type block struct {
	Type      string
	ID        string
	Name      string
	ToolUseID string
	Content   *fastjson.Value // a string or an array of text blocks
	IsError   bool
	Input     *fastjson.Value // a tool_use's arguments
}

// decodeBlock reads one content block; false when a field has the wrong type.
func decodeBlock(o *fastjson.Object) (bl block, ok bool) {
	var f fjson.Fields
	o.Visit(func(k []byte, v *fastjson.Value) {
		switch string(k) {
		case "type":
			bl.Type = f.String("type", v)
		case "id":
			bl.ID = f.String("id", v)
		case "name":
			bl.Name = f.String("name", v)
		case "tool_use_id":
			bl.ToolUseID = f.String("tool_use_id", v)
		case "content":
			bl.Content = v
		case "is_error":
			bl.IsError = f.Bool("is_error", v)
		case "input":
			bl.Input = v
		}
	})
	return bl, f.Err == ""
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
	p        fastjson.Parser // one line's values live until the next line
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
	v, detail, ok := fjson.Parse(&d.p, b)
	if !ok {
		d.note(ingest.NoteInvalid, n, "malformed json", detail)
		return
	}
	var l line
	var f fjson.Fields
	decodeLine(v.GetObject(), &l, &f) // b starts with '{': an object
	if f.Err != "" {
		d.note(ingest.NoteInvalid, n, "wrong field type", f.Err)
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
	if l.Message == nil || l.Message.Type() == fastjson.TypeNull {
		d.note(ingest.NoteInvalid, n, "missing message", "")
		return nil
	}
	var m message
	var f fjson.Fields
	// Paths are relative to the message (as encoding/json named them):
	// a message that is not an object is ": string".
	if o := f.Object("", l.Message); o != nil {
		decodeMessage(o, &m, &f)
	}
	if f.Err != "" {
		d.note(ingest.NoteInvalid, n, "wrong field type", f.Err)
		return nil
	}
	return &m
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
					if bl.Input != nil {
						tu.argsHash, tu.argsLabel = toolhash.Args(bl.Input)
					}
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
	h1 := u.Ephemeral1h
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
	if u.WebSearchRequests > 0 {
		r.WebSearchRequests = u.WebSearchRequests
	}
	r.UnknownUsage = unknownList(u.Unknown)
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
	unknown := d.recs[g.rec].UnknownUsage
	if (g.keptSide && !l.IsSidechain) || (g.keptSide == l.IsSidechain && size > g.keptSize) {
		first := d.recs[g.rec]
		r.Line, r.TSNano = first.Line, first.TSNano
		d.recs[g.rec] = r
		g.keptSide, g.keptSize = l.IsSidechain, size
	}
	d.recs[g.rec].OutputTokens = g.maxOut
	// An unknown key in any copy of the response stays counted.
	if unknown != "" && r.UnknownUsage != "" {
		d.recs[g.rec].UnknownUsage = unknownList(append(strings.Split(unknown, ","), strings.Split(r.UnknownUsage, ",")...))
	} else if unknown != "" || r.UnknownUsage != "" {
		d.recs[g.rec].UnknownUsage = unknown + r.UnknownUsage
	}
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
		case bl.Content != nil:
			// No text (an image, say): the content's JSON (as written, for
			// compact JSON), so two different images do not compare equal.
			r.SetToolResultText(string(bl.Content.MarshalTo(nil)))
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
// user text) or anything else yields false. A block with a field of the
// wrong type (or an item that is not an object) is left out, so one odd
// block does not hide the others; a null item is an empty block.
func blockList(v *fastjson.Value) ([]block, bool) {
	if v == nil || v.Type() != fastjson.TypeArray {
		return nil, false
	}
	items := v.GetArray()
	blocks := make([]block, 0, len(items))
	for _, it := range items {
		switch it.Type() {
		case fastjson.TypeNull:
			blocks = append(blocks, block{})
		case fastjson.TypeObject:
			if bl, ok := decodeBlock(it.GetObject()); ok {
				blocks = append(blocks, bl)
			}
		}
	}
	return blocks, true
}

// resultText extracts the text of a tool_result content: a string, or the
// text blocks of an array joined by newlines. An array with an item that
// is not a {type, text} object of strings has no text.
func resultText(v *fastjson.Value) string {
	if v == nil {
		return ""
	}
	switch v.Type() {
	case fastjson.TypeString:
		return fjson.Text(v.GetStringBytes())
	case fastjson.TypeArray:
	default:
		return ""
	}
	var b strings.Builder
	for _, it := range v.GetArray() {
		if it.Type() == fastjson.TypeNull {
			continue
		}
		o, err := it.Object()
		if err != nil {
			return ""
		}
		var f fjson.Fields
		var typ, text string
		o.Visit(func(k []byte, v *fastjson.Value) {
			switch string(k) {
			case "type":
				typ = f.String("type", v)
			case "text":
				text = f.String("text", v)
			}
		})
		if f.Err != "" {
			return ""
		}
		if typ == "text" && text != "" {
			if b.Len() > 0 {
				b.WriteByte('\n')
			}
			b.WriteString(text)
		}
	}
	return b.String()
}

// unknownList is names sorted, each once, comma-separated as
// Record.UnknownUsage holds them.
func unknownList(names []string) string {
	if len(names) == 0 {
		return ""
	}
	slices.Sort(names)
	return strings.Join(slices.Compact(names), ",")
}
