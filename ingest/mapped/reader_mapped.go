package mapped

import (
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/valyala/fastjson"

	"github.com/tokcost/tokcost/ingest"
	"github.com/tokcost/tokcost/ingest/internal/fjson"
	"github.com/tokcost/tokcost/ingest/internal/toolhash"
)

func init() { ingest.Register(format{}, 1000) }

type format struct{}

func (format) Name() string { return "mapped" }

// FieldMap: --map without --input-format reads JSONL of any shape with it.
func (format) FieldMap() ingest.FieldMapUse { return ingest.FieldMapDefault }

func (format) Describe() string {
	return "any JSONL with --map canonical=json.path (e.g. session_id=attributes.thread); unmapped fields read by their canonical names"
}

// Sniff never claims an input: the format is chosen by --map.
func (format) Sniff(string, []byte) bool { return false }

func (format) Decode(src *ingest.Source, newSink ingest.SinkFactory) error {
	if len(src.Map) == 0 {
		return errors.New("the mapped format needs at least one --map canonical=path")
	}
	m, err := compile(src.Map)
	if err != nil {
		return err
	}
	d := &decoder{m: m, file: src.Name, sink: newSink(), rec: ingest.Record{Attrs: map[string]string{}}}
	n, err := src.EachLine(func(line []byte, n int64) error {
		d.line(line, n)
		return nil
	}, func(n int64) { d.invalid(n, ingest.ReasonLineTooLong, "") })
	d.sink.Lines(n)
	return err
}

type decoder struct {
	m    *mapping
	file string
	sink ingest.Sink
	p    fastjson.Parser
	rec  ingest.Record
}

func (d *decoder) invalid(n int64, reason, detail string) {
	d.sink.Note(ingest.Note{Kind: ingest.NoteInvalid, File: d.file, Line: n, Reason: reason, Detail: detail})
}

func (d *decoder) line(line []byte, n int64) {
	if ingest.IsBlank(line) {
		d.sink.Note(ingest.Note{Kind: ingest.NoteBlank, File: d.file, Line: n})
		return
	}
	if !utf8.Valid(line) {
		d.invalid(n, "invalid utf-8", "")
		return
	}
	v, err := d.p.ParseBytes(line)
	if err != nil {
		d.invalid(n, "malformed json", ingest.Shorten(strings.TrimPrefix(err.Error(), "cannot parse JSON: ")))
		return
	}
	if v.Type() != fastjson.TypeObject {
		d.invalid(n, "not a json object", "")
		return
	}
	r := &d.rec
	r.Reset()
	r.File, r.Line = d.file, n
	if ferr := d.fill(r, v); ferr != nil {
		detail := ferr.Field
		for _, w := range strings.FieldsFunc(ferr.Reason, func(r rune) bool { return r == ' ' || r == '(' || r == ')' }) {
			if w == ferr.Field {
				detail = "" // the reason already names the field
			}
		}
		d.invalid(n, ferr.Reason, detail)
		return
	}
	d.sink.Record(r)
}

// state is what fill learns while setting fields.
type state struct {
	statusExplicit bool
	topTokens      bool
	usage          *fastjson.Value
	media          []mediaCount // audio and image counts: they win over the usage object's
}

type mediaCount struct {
	name string
	n    int64
}

// fill reads the top level by canonical names and aliases (skipping mapped
// fields), then every mapped path, which wins; then usage and the shared
// canonical checks.
func (d *decoder) fill(r *ingest.Record, root *fastjson.Value) *ingest.FieldError {
	var st state
	var ferr *ingest.FieldError
	root.GetObject().Visit(func(key []byte, v *fastjson.Value) {
		if ferr != nil {
			return
		}
		k := string(key)
		name, known := ingest.CanonicalField(k)
		if !known {
			if d.m.taken[k] {
				return // consumed by a mapping
			}
			if s, ok := fjson.ScalarText(v); ok {
				if _, dup := r.Attrs[k]; !dup {
					r.Attrs[k] = s
				}
			}
			return
		}
		if d.m.mapped[name] || v.Type() == fastjson.TypeNull {
			return
		}
		ferr = set(r, &st, name, name, v)
	})
	if ferr != nil {
		return ferr
	}
	for _, f := range d.m.fields {
		v := root.Get(f.path...)
		if v == nil || v.Type() == fastjson.TypeNull {
			continue // absent: the field is unset, as an absent key would be
		}
		if ferr := set(r, &st, f.name, f.text, v); ferr != nil {
			return ferr
		}
	}
	for _, f := range d.m.attrs {
		if v := root.Get(f.path...); v != nil {
			if s, ok := fjson.ScalarText(v); ok {
				r.Attrs[f.name] = s
			}
		}
	}
	if st.usage != nil && !st.topTokens {
		if ferr := fillUsage(r, st.usage); ferr != nil {
			return ferr
		}
		for _, m := range st.media {
			*ingest.TokenField(r, m.name) = m.n
		}
	}
	if st.usage != nil {
		if ferr := fillUsageBilling(r, st.usage); ferr != nil {
			return ferr
		}
	}
	return ingest.Finish(r, st.statusExplicit)
}

// set assigns one canonical field. label names it in messages: the
// canonical name, or the user's path for a mapped field.
func set(r *ingest.Record, st *state, name, label string, v *fastjson.Value) *ingest.FieldError {
	var ferr *ingest.FieldError
	switch name {
	case "id":
		r.ID, ferr = stringOrNumber(v, label)
	case "session_id":
		r.SessionID, ferr = stringOrNumber(v, label)
	case "seq":
		var f float64
		if f, ferr = number(v, label); ferr == nil {
			if f != float64(int64(f)) {
				return &ingest.FieldError{Reason: "fractional seq", Field: label}
			}
			r.Seq, r.HasSeq = int64(f), true
		}
	case "ts":
		// A bad time makes the record unordered, not invalid: its tokens
		// still count.
		switch v.Type() {
		case fastjson.TypeString:
			s := string(v.GetStringBytes())
			if _, err := strconv.ParseFloat(s, 64); err == nil {
				n, terr := epochMillis(s, label)
				ingest.SetTime(r, n, terr)
			} else {
				ingest.SetTimeText(r, s)
				r.TSUnreadable = r.TSUnreadable || s == ""
			}
		case fastjson.TypeNumber:
			n, terr := epochMillis(string(v.MarshalTo(nil)), label)
			ingest.SetTime(r, n, terr)
		default:
			r.TSUnreadable = true
		}
	case "duration_ms":
		r.DurationMS, ferr = number(v, label)
	case "kind":
		var s string
		if s, ferr = str(v, label); ferr == nil {
			r.Kind, ferr = ingest.ParseKind(s)
		}
	case "model":
		r.Model, ferr = str(v, label)
	case "provider":
		r.Provider, ferr = str(v, label)
	case "input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens", "cache_write_1h_tokens", "reasoning_tokens":
		var t int64
		if t, ferr = tokens(v, label); ferr == nil {
			*ingest.TokenField(r, name) = t
			st.topTokens = true
		}
	case "audio_input_tokens", "image_input_tokens", "audio_output_tokens", "image_output_tokens":
		var t int64
		if t, ferr = tokens(v, label); ferr == nil {
			*ingest.TokenField(r, name) = t
			st.media = append(st.media, mediaCount{name, t})
		}
	case "fast_mode", "us_only":
		switch v.Type() {
		case fastjson.TypeTrue:
			if name == "fast_mode" {
				r.Fast = true
			} else {
				r.USOnly = true
			}
		case fastjson.TypeFalse:
		default:
			ferr = &ingest.FieldError{Reason: "wrong type (want boolean)", Field: label}
		}
	case "usage":
		if v.Type() != fastjson.TypeObject {
			return &ingest.FieldError{Reason: "wrong type", Field: label}
		}
		st.usage = v
	case "tool":
		r.Tool, ferr = str(v, label)
	case "status":
		var s string
		if s, ferr = str(v, label); ferr == nil {
			r.Status, ferr = ingest.ParseStatus(s)
			st.statusExplicit = true
		}
	case "error_class":
		var s string
		if s, ferr = str(v, label); ferr == nil {
			r.ErrorClass, ferr = ingest.ParseErrorClass(s)
		}
	case "error":
		if s, ok := fjson.ScalarText(v); ok {
			r.Error = s
		} else {
			r.Error = ingest.Shorten(string(v.MarshalTo(nil)))
		}
	case "role":
		r.Role, ferr = str(v, label)
	case "workflow":
		r.Workflow, ferr = str(v, label)
	case "cost_usd":
		r.CostUSD, ferr = number(v, label)
		r.HasCost = ferr == nil
	case "tool_args":
		r.ToolArgsHash, r.ToolArgsLabel = toolhash.Args(v)
	case "tool_result":
		r.ToolResultHash, r.ToolResultBytes = toolhash.Result(v)
	case "service_tier":
		var s string
		if s, ferr = str(v, label); ferr == nil {
			r.ServiceTier = ingest.ParseServiceTier(s)
		}
	}
	return ferr
}

// str and stringOrNumber read a field as the canonical reader does, with
// its messages.
func str(v *fastjson.Value, label string) (string, *ingest.FieldError) {
	s, ok := fjson.String(v)
	if !ok {
		return "", &ingest.FieldError{Reason: "wrong type (want string)", Field: label}
	}
	return s, nil
}

func stringOrNumber(v *fastjson.Value, label string) (string, *ingest.FieldError) {
	s, ok := fjson.StringOrNumber(v)
	if !ok {
		return "", &ingest.FieldError{Reason: "wrong type (want string)", Field: label}
	}
	return s, nil
}

// epochMillis converts epoch milliseconds written as text to Unix
// nanoseconds, exactly for integers (a float64 detour is ~100 ns off).
func epochMillis(s, label string) (int64, *ingest.FieldError) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if n < 0 || n > 1e14 {
			return 0, &ingest.FieldError{Reason: "bad timestamp (want RFC 3339 or epoch ms)", Field: label}
		}
		return n * 1e6, nil
	}
	f, _ := strconv.ParseFloat(s, 64)
	return ingest.EpochMillis(f)
}

// fillUsage reads a provider usage object with the canonical JSONL rules
// (docs/usage.md).
func fillUsage(r *ingest.Record, u *fastjson.Value) *ingest.FieldError {
	return ingest.FillUsageObject(r, func(path ...string) (int64, bool, *ingest.FieldError) {
		v := u.Get(path...)
		if v == nil || v.Type() == fastjson.TypeNull {
			return 0, false, nil
		}
		t, err := tokens(v, "usage."+strings.Join(path, "."))
		return t, err == nil, err
	}, fjson.ObjectKeys(u))
}

// fillUsageBilling reads a provider usage object's billing fields (service
// tier, speed, inference geography, web searches) as the canonical JSONL
// reader does, beside top-level tokens too (ingest.FillUsageBilling).
func fillUsageBilling(r *ingest.Record, u *fastjson.Value) *ingest.FieldError {
	return ingest.FillUsageBilling(r, func(path ...string) (string, bool, bool) {
		v := u.Get(path...)
		if v == nil || v.Type() == fastjson.TypeNull {
			return "", false, false
		}
		if v.Type() != fastjson.TypeString {
			return "", true, false
		}
		return string(v.GetStringBytes()), true, true
	}, func(path ...string) (int64, bool, *ingest.FieldError) {
		v := u.Get(path...)
		if v == nil || v.Type() == fastjson.TypeNull {
			return 0, false, nil
		}
		t, err := tokens(v, "usage."+strings.Join(path, "."))
		return t, err == nil, err
	}, fjson.ObjectKeys(u))
}

// number reads a JSON number, or a decimal string: many exporters (proto3
// JSON among them) write 64-bit integers as strings.
func number(v *fastjson.Value, field string) (float64, *ingest.FieldError) {
	switch v.Type() {
	case fastjson.TypeNumber:
		f, err := v.Float64()
		if err != nil {
			return 0, &ingest.FieldError{Reason: "non-finite number", Field: field}
		}
		return f, nil
	case fastjson.TypeString:
		f, err := strconv.ParseFloat(strings.TrimSpace(string(v.GetStringBytes())), 64)
		if err != nil {
			return 0, &ingest.FieldError{Reason: "wrong type (want number)", Field: field}
		}
		return f, nil
	}
	return 0, &ingest.FieldError{Reason: "wrong type (want number)", Field: field}
}

func tokens(v *fastjson.Value, field string) (int64, *ingest.FieldError) {
	f, ferr := number(v, field)
	if ferr != nil {
		return 0, ferr
	}
	return ingest.TokenCount(field, f)
}
