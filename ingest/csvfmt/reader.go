package csvfmt

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/valyala/fastjson"

	"github.com/tokcost/tokcost/ingest"
	"github.com/tokcost/tokcost/ingest/internal/toolhash"
)

func init() { ingest.Register(Format{}, 10) }

// Format is the CSV reader.
type Format struct{}

// Name implements ingest.Format.
func (Format) Name() string { return "csv" }

// FieldMap: --map names the canonical field of CSV columns.
func (Format) FieldMap() ingest.FieldMapUse { return ingest.FieldMapRead }

// Describe implements ingest.Format.
func (Format) Describe() string {
	return "CSV with a header row: canonical column names and aliases, or any columns with --input-format csv --map canonical=Column; one step per row"
}

// Sniff implements ingest.Format: a *.csv name whose first line is a
// header naming a session column and a token or kind column by canonical
// names or aliases, and that is not a LiteLLM spend-log export. Any other
// CSV needs --input-format csv (with --map).
func (Format) Sniff(name string, head []byte) bool {
	lower := strings.ToLower(name)
	if !strings.HasSuffix(lower, ".csv") && !strings.HasSuffix(lower, ".csv.gz") && !strings.HasSuffix(lower, ".csv.zst") {
		return false
	}
	line, _, _ := bytes.Cut(bytes.TrimLeft(head, "\ufeff"), []byte("\n"))
	cols, err := csv.NewReader(bytes.NewReader(line)).Read()
	if err != nil {
		return false
	}
	var session, step, requestID, callType bool
	for _, c := range cols {
		c = strings.TrimSpace(c)
		requestID = requestID || c == "request_id"
		callType = callType || c == "call_type"
		switch canon, _ := ingest.CanonicalField(c); canon {
		case "session_id":
			session = true
		case "kind", "input_tokens", "output_tokens", "tool":
			step = true
		}
	}
	// A LiteLLM spend-log export has session_id and prompt_tokens too, but
	// its cache counts sit in the metadata column: read as canonical CSV its
	// cached input would be priced as uncached. It must be asked for.
	return session && step && !(requestID && callType)
}

// column says what one CSV column becomes.
type column struct {
	canon string // canonical field, or "" for an attribute
	name  string // the header text, for messages and attribute keys
}

// Decode implements ingest.Format. Every CSV record (the header included)
// is one unit: a record, or one Note.
func (Format) Decode(src *ingest.Source, newSink ingest.SinkFactory) error {
	sink := newSink()
	cr := csv.NewReader(src.R)
	cr.FieldsPerRecord = -1 // a short or long row is reported, not fatal
	cr.ReuseRecord = true
	var units int64
	note := func(kind ingest.NoteKind, reason, detail string) {
		sink.Note(ingest.Note{Kind: kind, File: src.Name, Line: units, Reason: reason, Detail: detail})
	}
	var cols []column
	var r ingest.Record
	for {
		row, err := cr.Read()
		if err == io.EOF {
			break
		}
		units++
		var pe *csv.ParseError
		if errors.As(err, &pe) && cols == nil {
			sink.Lines(units - 1)
			return fmt.Errorf("%s: unreadable CSV header: %w", src.Name, err)
		}
		// An invalid record that spans several lines (an unclosed quote
		// swallows the rest of the file) is one invalid unit per line, so
		// the invalid share says how much of the input was lost.
		spanned := func(reason string, extra int) {
			for i := 0; i < extra; i++ {
				units++
				note(ingest.NoteInvalid, reason, "a line inside the invalid record above")
			}
		}
		if errors.As(err, &pe) {
			note(ingest.NoteInvalid, "malformed csv", pe.Error())
			if pe.StartLine > 0 {
				spanned("malformed csv", pe.Line-pe.StartLine)
			}
			continue
		}
		if err != nil {
			sink.Lines(units - 1)
			return fmt.Errorf("read %s: %w", src.Name, err)
		}
		if cols == nil {
			cols, err = header(row, src.Map)
			if err != nil {
				sink.Lines(units)
				return fmt.Errorf("%s: %w", src.Name, err)
			}
			note(ingest.NoteSkipped, "header", "")
			continue
		}
		if len(row) == 1 && strings.TrimSpace(row[0]) == "" {
			note(ingest.NoteBlank, "", "")
			continue
		}
		if len(row) != len(cols) {
			note(ingest.NoteInvalid, "wrong number of fields", fmt.Sprintf("%d fields, header has %d", len(row), len(cols)))
			spanned("wrong number of fields", newlines(row))
			continue
		}
		r.Reset()
		r.File, r.Line = src.Name, units
		if ferr := fill(&r, cols, row); ferr != nil {
			note(ingest.NoteInvalid, ferr.Reason, ferr.Field)
			spanned(ferr.Reason, newlines(row))
			continue
		}
		sink.Record(&r)
	}
	sink.Lines(units)
	return nil
}

// newlines counts the line breaks inside a record's quoted fields: the
// lines it spans beyond its first.
func newlines(row []string) int {
	n := 0
	for _, f := range row {
		n += strings.Count(f, "\n")
	}
	return n
}

// header resolves the columns: --map assignments first (canonical=Column,
// by exact header text), then canonical names and aliases; the rest are
// attributes. A mapped column that is not in the header is an error: the
// mapping would silently read nothing.
func header(row []string, m map[string]string) ([]column, error) {
	cols := make([]column, len(row))
	byName := map[string]int{}
	for i, h := range row {
		h = strings.TrimSpace(h)
		cols[i].name = h
		if _, dup := byName[h]; !dup {
			byName[h] = i
		}
	}
	mapped := map[int]bool{}
	for canon, name := range m {
		if canon == "usage" {
			return nil, errors.New("--map usage=… is not supported for CSV: map the token columns one by one")
		}
		i, ok := byName[name]
		if !ok {
			return nil, fmt.Errorf("--map %s=%s: no such column in the header", canon, name)
		}
		cols[i].canon, mapped[i] = canon, true
	}
	taken := map[string]bool{}
	for i := range cols {
		if mapped[i] {
			taken[cols[i].canon] = true
		}
	}
	for i := range cols {
		if mapped[i] {
			continue
		}
		if canon, ok := ingest.CanonicalField(cols[i].name); ok && canon != "usage" && !taken[canon] {
			cols[i].canon, taken[canon] = canon, true
		}
	}
	return cols, nil
}

// fill sets the record from one row: empty cells are absent values.
func fill(r *ingest.Record, cols []column, row []string) *ingest.FieldError {
	statusExplicit := false
	for i, c := range cols {
		v := strings.TrimSpace(row[i])
		if v == "" {
			continue
		}
		if c.canon == "" {
			if r.Attrs == nil {
				r.Attrs = map[string]string{}
			}
			r.Attrs[c.name] = v
			continue
		}
		var ferr *ingest.FieldError
		switch c.canon {
		case "id":
			r.ID = v
		case "session_id":
			r.SessionID = v
		case "seq":
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return &ingest.FieldError{Reason: "bad seq", Field: c.name}
			}
			r.Seq, r.HasSeq = n, true
		case "ts":
			// A time that cannot be read costs the row its order, never
			// its tokens: kept without a time and counted (ts_unreadable);
			// a zone-less time is read as UTC and counted (ts_assumed_utc).
			if _, err := strconv.ParseFloat(v, 64); err == nil {
				n, terr := epochMillis(v, c.name)
				ingest.SetTime(r, n, terr)
			} else {
				ingest.SetTimeText(r, v)
			}
		case "duration_ms":
			r.DurationMS, ferr = decimal(v, c.name)
		case "kind":
			r.Kind, ferr = ingest.ParseKind(v)
		case "model":
			r.Model = v
		case "provider":
			r.Provider = v
		case "input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens", "cache_write_1h_tokens", "reasoning_tokens":
			var f float64
			if f, ferr = decimal(v, c.name); ferr == nil {
				*ingest.TokenField(r, c.canon), ferr = ingest.TokenCount(c.name, f)
			}
		case "tool":
			r.Tool = v
		case "status":
			r.Status, ferr = ingest.ParseStatus(v)
			statusExplicit = true
		case "error":
			r.Error = v
		case "error_class":
			r.ErrorClass, ferr = ingest.ParseErrorClass(v)
		case "role":
			r.Role = v
		case "workflow":
			r.Workflow = v
		case "cost_usd":
			r.CostUSD, ferr = decimal(v, c.name)
			r.HasCost = ferr == nil
		case "tool_args":
			var p fastjson.Parser
			r.ToolArgsHash, r.ToolArgsLabel, _ = toolhash.ValueText(&p, v)
		case "tool_result":
			var p fastjson.Parser
			r.ToolResultHash, _, r.ToolResultBytes = toolhash.ValueText(&p, v)
		case "service_tier":
			r.ServiceTier = ingest.ParseServiceTier(v)
		}
		if ferr != nil {
			if ferr.Field == "" || ferr.Field == c.canon {
				ferr = &ingest.FieldError{Reason: ferr.Reason, Field: c.name}
			}
			return ferr
		}
	}
	return ingest.Finish(r, statusExplicit)
}

// decimal reads a number cell; spreadsheets write plain decimals.
func decimal(s, field string) (float64, *ingest.FieldError) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, &ingest.FieldError{Reason: "not a number", Field: field}
	}
	return f, nil
}

// epochMillis reads epoch milliseconds exactly for integers.
func epochMillis(s, field string) (int64, *ingest.FieldError) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if n < 0 || n > 1e14 {
			return 0, &ingest.FieldError{Reason: "bad timestamp (want RFC 3339 or epoch ms)", Field: field}
		}
		return n * 1e6, nil
	}
	f, _ := strconv.ParseFloat(s, 64)
	return ingest.EpochMillis(f)
}
