package opencode

import (
	"fmt"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/valyala/fastjson"

	"github.com/tokcost/tokcost/ingest"
	"github.com/tokcost/tokcost/ingest/internal/fjson"
	"github.com/tokcost/tokcost/ingest/internal/sqlite"
)

// dataObject parses a row's data column (the JSON of a message or part
// file) with the JSON files' rules; detail says why it is not an object.
func dataObject(parser *fastjson.Parser, data []byte) (*fastjson.Object, string) {
	v, detail, ok := fjson.Parse(parser, data)
	if !ok {
		return nil, detail
	}
	o, err := v.Object()
	if err != nil {
		return nil, "not a json object"
	}
	return o, ""
}

// dbName matches the database names OpenCode gives: opencode.db for the
// latest and beta channels, opencode-<channel>.db for others (its
// storage/db.ts, Database.getChannelPath).
var dbName = regexp.MustCompile(`^opencode(-[A-Za-z0-9._-]+)?\.db$`)

// IsDBName reports whether name is OpenCode's database file by its name.
// A directory walk reads such files (registered with ingest.AddTraceName).
func IsDBName(name string) bool { return dbName.MatchString(filepath.Base(name)) }

func init() { ingest.AddTraceName(IsDBName) }

// maxRow bounds a row's payload, as maxPart bounds a file (a variable so a
// test can lower it).
var maxRow int64 = maxPart

// decodeDB reads opencode.db: the part table first (each message's
// step-finish and tool parts, kept small), then the message table, each
// message made into records by decodeMessage as a message file is. Every
// row is one unit: parts are skipped ("part (read with its message)"),
// messages yield records or a note. A step-finish part whose message is
// not in the database is an invalid row: a step that cannot be priced.
func decodeDB(src *ingest.Source, sink ingest.Sink) error {
	f := src.File()
	if f == nil {
		return fmt.Errorf("an SQLite database is read from a regular file, not compressed or piped: decompress %s first", src.Name)
	}
	db, err := sqlite.Open(f, src.Name, sqlite.Options{MaxRecord: maxRow})
	if err != nil {
		return err
	}
	defer func() { _ = db.Close() }() // read-only
	cols := func(table string, names ...string) ([]int, error) {
		t, ok := db.Table(table)
		if !ok {
			return nil, fmt.Errorf("%s: not an OpenCode database: no table %q (tables: %s)", src.Name, table, strings.Join(db.Tables(), ", "))
		}
		idx := make([]int, len(names))
		for i, n := range names {
			if idx[i] = t.Column(n); idx[i] < 0 {
				return nil, fmt.Errorf("%s: not an OpenCode database: table %s has no column %s", src.Name, table, n)
			}
		}
		return idx, nil
	}
	pc, err := cols("part", "id", "message_id", "data")
	if err != nil {
		return err
	}
	mc, err := cols("message", "id", "session_id", "data")
	if err != nil {
		return err
	}
	var line int64
	note := func(kind ingest.NoteKind, reason, detail string) {
		sink.Note(ingest.Note{Kind: kind, File: src.Name, Line: line, Reason: reason, Detail: detail})
	}
	parser := parsers.Get()
	defer parsers.Put(parser)    // what is read from a row is copied out
	parts := map[string][]part{} // message id → its step-finish and tool parts
	bad := map[string]string{}   // message id → a part that could not be read
	err = db.Scan("part", func(r *sqlite.Row) error {
		line++
		sink.Lines(1)
		if r.Err != nil {
			// The row is invalid, and so is its message when its id
			// could be read (a row too large keeps its leading
			// columns): a step may be in the row.
			detail := fmt.Sprintf("part row %d: %v", r.Rowid, r.Err)
			if msg := r.Value(pc[1]).String(); msg != "" {
				if _, seen := bad[msg]; !seen {
					bad[msg] = detail
				}
			}
			note(ingest.NoteInvalid, "unreadable part", detail)
			return nil
		}
		id, msg := r.Value(pc[0]).String(), r.Value(pc[1]).String()
		o, detail := dataObject(parser, r.Value(pc[2]).Bytes)
		var p part
		if o != nil {
			var ok bool
			if p, ok = decodePart(o); !ok {
				detail = "a field of the wrong type"
			}
		}
		if detail != "" {
			// The row is invalid, and so is its message (a step may be
			// in it), as for an unreadable part file.
			if _, seen := bad[msg]; !seen {
				bad[msg] = "part " + id + ": " + detail
			}
			note(ingest.NoteInvalid, "malformed json", "part "+id+": "+detail)
			return nil
		}
		if p.Type == "step-finish" || p.Type == "tool" {
			p.ID, p.line = id, line // the data column leaves the id out
			// Held until the message table is read: keep no more of a
			// tool's error than the record will (a row may be 64 MiB).
			p.State.Error = strings.Clone(ingest.TruncateUTF8(p.State.Error, maxErrorText))
			parts[msg] = append(parts[msg], p)
		}
		if p.Type != "step-finish" {
			note(ingest.NoteSkipped, "part (read with its message)", "")
		} // a step is noted once its message is known (below)
		return nil
	})
	if err != nil {
		return err
	}
	err = db.Scan("message", func(r *sqlite.Row) error {
		line++
		sink.Lines(1)
		if r.Err != nil {
			note(ingest.NoteInvalid, "unreadable message", fmt.Sprintf("message row %d: %v", r.Rowid, r.Err))
			return nil
		}
		id := r.Value(mc[0]).String()
		o, detail := dataObject(parser, r.Value(mc[2]).Bytes)
		if detail != "" {
			note(ingest.NoteInvalid, "malformed json", "message "+id+": "+detail)
			return nil
		}
		m, ferr := decodeMessage(o)
		if ferr != "" {
			note(ingest.NoteInvalid, "not an OpenCode message", "message "+id+": "+ferr)
			return nil
		}
		// The data column is the message file without its id and
		// sessionID, which are columns (OpenCode's session.sql.ts).
		m.ID, m.SessionID = id, r.Value(mc[1]).String()
		ps := parts[id]
		sort.SliceStable(ps, func(i, j int) bool { return ps[i].ID < ps[j].ID })
		messageRecords(&m, ps, bad[id], sink, src.Name, line)
		for _, p := range ps {
			if p.Type == "step-finish" {
				sink.Note(ingest.Note{Kind: ingest.NoteSkipped, File: src.Name, Line: p.line, Reason: "part (read with its message)"})
			}
		}
		delete(parts, id)
		return nil
	})
	if err != nil {
		return err
	}
	// Steps whose message row is missing: their tokens cannot be joined
	// to a model, so they are counted as dropped, never lost silently.
	orphans := make([]string, 0, len(parts))
	for id := range parts {
		orphans = append(orphans, id)
	}
	sort.Strings(orphans)
	for _, id := range orphans {
		for _, p := range parts[id] {
			if p.Type == "step-finish" {
				sink.Note(ingest.Note{Kind: ingest.NoteInvalid, File: src.Name, Line: p.line,
					Reason: "step-finish part without its message", Detail: "part " + p.ID + " of message " + id})
			}
		}
	}
	return db.Changed()
}
