package store

import (
	"strconv"
	"testing"

	"github.com/tokcost/tokcost/ingest"
)

// TestRepeatNamesSession: a session's workflow and attributes do not
// depend on whether a repeat of one of its events was dropped on arrival
// or stored for Finish to drop. Each session "near" and "far" has one
// event, id "a", with no workflow and attribute team=one, then a copy of
// it (same session, id and output) naming workflow W, team=two and
// extra=x: "near" right after its first (always in the repeat set), "far"
// after 3 × repeatGeneration records of other sessions (past both
// generations, so stored and left to Finish). By the rules (docs/format.md:
// the first workflow named in a session is the session's, the first value
// of each attribute wins), read over all of a session's records: both
// sessions have workflow W, team=one (the first copy's) and extra=x (only
// the repeat has it). Before, the near copy was dropped before its names
// were read, so "near" had no workflow and no extra while "far" had both:
// with the repeat set at 4,096 ids, whether a repeat 5,000 to 600,000
// records back named the session depended on the distance and on how the
// input was split between cores (analyze --group-by workflow). Checked
// for records (Record) and batch rows (RecordBatch).
func TestRepeatNamesSession(t *testing.T) {
	defer func(r, b int) { repeatGeneration, batchRepeatGeneration = r, b }(repeatGeneration, batchRepeatGeneration)
	repeatGeneration, batchRepeatGeneration = 64, 64
	const fillers = 3 * 64

	type row struct {
		session, id, workflow string
		attrs                 map[string]string
	}
	var rows []row
	first := func(s string) row { return row{s, "a", "", map[string]string{"team": "one"}} }
	repeat := func(s string) row { return row{s, "a", "W", map[string]string{"team": "two", "extra": "x"}} }
	rows = append(rows, first("near"), repeat("near"), first("far"))
	for i := range fillers {
		rows = append(rows, row{"fill" + strconv.Itoa(i%7), "f" + strconv.Itoa(i), "", nil})
	}
	rows = append(rows, repeat("far"))

	feedRecords := func(sink ingest.Sink) {
		for i, r := range rows {
			sink.Record(&ingest.Record{SessionID: r.session, ID: r.id, Kind: ingest.KindLLM, Line: int64(i + 1),
				InputTokens: 10, OutputTokens: 1, Workflow: r.workflow, Attrs: r.attrs})
		}
	}
	feedBatch := func(sink ingest.Sink) {
		var b ingest.Batch
		b.Grow(len(rows), []string{"team", "extra"})
		b.File = "f"
		for k, r := range rows {
			b.Line[k], b.SessionID[k], b.ID[k], b.Workflow[k] = int64(k+1), r.session, r.id, r.workflow
			b.Kind[k] = ingest.KindLLM
			b.Tokens[0][k], b.Tokens[1][k] = 10, 1
			for j := range b.Attrs {
				a := &b.Attrs[j]
				a.Val[k], a.Has[k] = r.attrs[a.Key]
			}
		}
		b.N = len(rows)
		sink.(ingest.BatchSink).RecordBatch(&b)
	}
	for name, feed := range map[string]func(ingest.Sink){"records": feedRecords, "batch": feedBatch} {
		m := NewMemory()
		feed(m.Sink(0))
		sealed := m.Seal()
		sc := &Scratch{}
		type got struct {
			workflow, team, extra string
			stored, repeats       int
		}
		res := map[string]got{}
		for p := range m.Partitions() {
			for _, s := range mustPartition(t, m, p, sc) {
				g := got{workflow: sealed.Strings[s.Workflow], stored: len(s.Events), repeats: s.Repeats}
				for _, a := range s.Attrs {
					switch a.Key {
					case "team":
						g.team = a.Val
					case "extra":
						g.extra = a.Val
					}
				}
				res[s.ID] = g
			}
		}
		// near: the copy dropped on arrival (1 stored, 1 repeat); far: the
		// copy stored (2 stored, 0 repeats). Both named W, team=one, extra=x.
		want := map[string]got{"near": {"W", "one", "x", 1, 1}, "far": {"W", "one", "x", 2, 0}}
		for s, w := range want {
			if res[s] != w {
				t.Errorf("%s: session %q is %+v, want %+v", name, s, res[s], w)
			}
		}
	}
}
