package store

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strconv"
	"testing"

	"github.com/tokcost/tokcost/ingest"
	"github.com/tokcost/tokcost/internal/memtest"
)

// resolved is a partition's sessions with every string id replaced by its
// text and each session's events in input order: what two stores must
// agree on whatever their ids and piece order.
type resolvedEvent struct {
	E                                      Event
	K                                      Key
	Model, Provider, Tool, Role, Err, Args string
	Unknown                                string // K.UnknownUsage's text
}

type resolvedSession struct {
	ID, Workflow string
	Attrs        []Attr
	Repeats      int
	Events       []resolvedEvent
}

func resolve(ss []SessionEvents, strs []string) []resolvedSession {
	var out []resolvedSession
	for _, s := range ss {
		r := resolvedSession{ID: s.ID, Workflow: strs[s.Workflow], Attrs: slices.Clone(s.Attrs), Repeats: s.Repeats}
		slices.SortFunc(r.Attrs, func(x, y Attr) int { return cmp.Compare(x.Key, y.Key) }) // Record sets them in map order
		for i, e := range s.Events {
			re := resolvedEvent{E: e, K: s.Keys[i], Model: strs[e.Model], Provider: strs[e.Provider], Tool: strs[e.Tool],
				Role: strs[e.Role], Err: strs[e.Err], Args: strs[e.ArgsLabel], Unknown: strs[s.Keys[i].UnknownUsage]}
			re.E.Model, re.E.Provider, re.E.Tool, re.E.Role, re.E.Err, re.E.ArgsLabel = 0, 0, 0, 0, 0, 0
			re.K.UnknownUsage = 0
			r.Events = append(r.Events, re)
		}
		slices.SortFunc(r.Events, func(a, b resolvedEvent) int {
			if a.K.Order.Before(b.K.Order) {
				return -1
			}
			if b.K.Order.Before(a.K.Order) {
				return 1
			}
			return 0
		})
		out = append(out, r)
	}
	return out
}

// TestGenerationsSameAsMemory is the differential test of retiring
// generations: the same records, with repeats (in and across sessions),
// attributes and workflows set by several records (the first in input
// order must win), error texts, argument excerpts and the reader's notes
// (unknown usage names share the texts' table), read by two sinks
// of two inputs, go into an in-memory store and into spilling stores whose
// session state budget is 2 KiB (a dozen sessions: hundreds of
// generations), by Record and by RecordBatch. Every partition must decode
// to the same sessions, attributes, workflows, repeat counts and events
// (texts compared as texts), and the stores must seal to the same counts.
func TestGenerationsSameAsMemory(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	const n = 20000
	var batches [2]ingest.Batch
	names := []string{"", "m1", "m2", "a-much-longer-model-name"}
	for f := range batches {
		b := &batches[f]
		b.Grow(n, []string{"team", "env"})
		b.File = "f" + strconv.Itoa(f)
		line := int64(0)
		for k := range n {
			line += 1 + int64(rng.IntN(2))
			b.Line[k] = line
			b.SessionID[k] = "s" + strconv.Itoa(rng.IntN(600)) // sessions come back after many others
			if rng.IntN(6) > 0 {
				b.ID[k] = "e" + strconv.Itoa(rng.IntN(3000)) // many repeats
			}
			b.HasSeq[k] = rng.IntN(3) > 0
			b.Seq[k] = int64(k)
			if rng.IntN(6) > 0 {
				b.TSNano[k] = 1_700_000_000_000_000_000 + int64(k)*1_000_000 + int64(rng.IntN(999_999))
			}
			b.Kind[k] = ingest.Kind(1 + rng.IntN(2))
			b.Status[k] = ingest.Status(rng.IntN(3))
			b.Model[k], b.Tool[k], b.Workflow[k] = names[rng.IntN(4)], names[rng.IntN(3)], names[rng.IntN(4)]
			if rng.IntN(5) == 0 {
				b.Error[k] = "boom " + strconv.Itoa(rng.IntN(400))
			}
			for t := range b.Tokens {
				b.Tokens[t][k] = int64(rng.IntN(3))
			}
			for j := range b.Attrs {
				a := &b.Attrs[j]
				a.Has[k] = rng.IntN(4) == 0
				a.Val[k] = ""
				if a.Has[k] {
					a.Val[k] = "v" + strconv.Itoa(rng.IntN(3))
				}
			}
		}
		b.N = n
	}
	feed := func(m *Memory, batch bool) {
		for f := range batches {
			sk := m.Sink(f)
			if batch {
				sk.(ingest.BatchSink).RecordBatch(&batches[f])
			} else {
				var r ingest.Record
				for k := range n {
					batches[f].Record(k, &r)
					if k%7 == 0 {
						r.ToolArgsLabel = "args " + strconv.Itoa(k%50)
					}
					// The reader's notes, with the excerpts' and error
					// texts' table (the names also as an excerpt).
					r.TSAssumedUTC, r.ZeroOutputText = k%5 == 0, k%11 == 0
					if k%13 == 0 {
						r.TokensFromTotal = int64(k)
					}
					if k%9 == 0 {
						r.UnknownUsage = "x_tokens,args " + strconv.Itoa(k%40)
					}
					if k%17 == 0 {
						r.UnknownUsage = "args " + strconv.Itoa(k%50)
					}
					sk.Record(&r)
				}
			}
			sk.Lines(n)
		}
	}
	for _, batch := range []bool{false, true} {
		mem := NewMemory()
		feed(mem, batch)
		sp := NewSpilling(SpillOptions{Limit: 64 << 10, SessionState: 2 << 10, Dir: t.TempDir()})
		feed(sp, batch)
		// 600 sessions in each input, of at least 120 bytes each against 2 KiB: a
		// generation every dozen sessions at most, and sessions seen again.
		if g := sp.Generations(); g < 100 {
			t.Errorf("batch %v: %d generations, want hundreds", batch, g)
		}
		want, got := mem.Seal(), sp.Seal()
		if !reflect.DeepEqual(want.Counts, got.Counts) || !reflect.DeepEqual(want.Examples, got.Examples) {
			t.Fatalf("batch %v: sealed differently:\nmemory %+v\nspill  %+v", batch, want.Counts, got.Counts)
		}
		if want.Counts.Duplicates == 0 {
			t.Fatalf("batch %v: no repeats dropped on arrival", batch)
		}
		var sw, sg Scratch
		total, named := 0, 0
		for p := range partitions {
			pw := resolve(mustPartition(t, mem, p, &sw), sw.Strings)
			pg := resolve(mustPartition(t, sp, p, &sg), sg.Strings)
			if !reflect.DeepEqual(pw, pg) {
				t.Fatalf("batch %v: partition %d differs", batch, p)
			}
			total += len(pw)
			for _, s := range pg {
				for _, e := range s.Events {
					if e.Unknown != "" {
						named++
					}
				}
			}
		}
		if !batch && named == 0 {
			t.Errorf("no unknown usage names came back from the spilled store")
		}
		if total != 600 {
			t.Errorf("batch %v: %d sessions, want 600 (s0…s599, each in both inputs)", batch, total)
		}
		mem.Release()
		sp.Release()
	}
}

// TestSessionStateBounded: at a fixed limit, the heap a spilling store
// needs to read N sessions and hand back every partition must not grow
// with N. Each session here is three records with a 198-byte error text
// of its own and an attribute: about 16 (id) + 120 (counters, table
// entries) + 230 (text) + 70 (attribute) ≈ 440 bytes of reading state,
// which before generations stayed in memory until Release: 3N × 440
// bytes more at 4N sessions than at N (79 MB at N = 60,000). Bounded,
// the state is at most its 4 MiB budget plus one session, and the
// records their 4 MiB share of the limit, which both runs pass (N
// sessions are 180,000 records, ~5 MB encoded). What still grows: one
// partition's decoded events (3 × 4N / 256 events of 160 bytes with
// their keys: 0.45 MB at 4N) and the retired generations' segment lists
// (~20 KB a generation: N is 26 MB of state, 6 generations of 4 MiB; 4N
// 25; 0.4 MB more): about 0.9 MB. Measured as live heap
// (memtest.PeakLive), which leaves out the collector's garbage; even so,
// identical runs differ by up to 3 MiB in the rise's growth (0.2 to 3.1
// MiB in ten runs, as collections land at other moments). So the rise at 4N may exceed the rise at N by at most 60
// bytes per added session (10.8 MB: over three times the largest
// measured growth), a seventh of what unbounded state adds (440: 79 MB).
func TestSessionStateBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 900,000 records")
	}
	// The repeat set is bounded on its own (two generations of 4,096
	// ids, 128 KiB a sink): pinned at that size, whatever the default,
	// so that both runs have it full.
	defer func(g int) { repeatGeneration = g }(repeatGeneration)
	repeatGeneration = 1 << 12
	errText := string(make([]byte, 190))

	run := func(sessions int) int64 {
		dir := t.TempDir()
		return memtest.PeakLive(func() {
			m := NewSpilling(SpillOptions{Limit: 8 << 20, SessionState: 4 << 20, Dir: dir})
			sk := m.Sink(0)
			var r ingest.Record
			line := int64(0)
			for s := range sessions {
				id := fmt.Sprintf("session-%08d", s)
				for k := range 3 {
					line++
					r = ingest.Record{SessionID: id, ID: id + strconv.Itoa(k), Line: line, Kind: ingest.KindTool, Tool: "bash",
						Status: ingest.StatusError, Error: fmt.Sprintf("%08d", s) + errText, TSNano: 1_700_000_000_000_000_000 + line*1e6,
						Attrs: map[string]string{"team": "t" + strconv.Itoa(s%100)}}
					sk.Record(&r)
				}
			}
			m.Seal()
			var sc Scratch
			for p := range partitions {
				mustPartition(t, m, p, &sc)
			}
			m.Release()
		})
	}
	const n = 60_000
	small, large := run(n), run(4*n)
	t.Logf("heap rise: %d sessions %.1f MiB, %d sessions %.1f MiB", n, float64(small)/(1<<20), 4*n, float64(large)/(1<<20))
	if large-small > 3*n*60 {
		t.Errorf("heap rise grew by %d bytes from %d to %d sessions, more than 60 a session added", large-small, n, 4*n)
	}
}
