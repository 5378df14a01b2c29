package analyze

import (
	"fmt"
	"strings"
	"testing"

	"github.com/tokcost/tokcost/ingest"
)

// TestKeptEventsErrorTexts: error texts are each store partition's own
// (internal/store: Scratch.Strings), and Finish, which keeps the events,
// joins them into Dataset.Strings and moves the events' ids with them.
// Session s<i>'s one failing tool call carries the text "boom <i>", so
// each event's Err must read back as its own session's text: 200
// sessions hash to many of the 256 partitions, so with the ids left
// partition-relative most would read another session's text. Run on an
// in-memory collector and on one that spills with a budget of 1 byte of
// session state, so every record after the first of a sink retires a
// generation (the texts then come back from the spill file).
func TestKeptEventsErrorTexts(t *testing.T) {
	var b strings.Builder
	for i := range 200 {
		fmt.Fprintf(&b, `{"session_id":"s%d","ts":"2026-07-01T00:00:00Z","kind":"tool","tool":"bash","status":"error","error":"boom %d","tool_args":"ls %d"}`+"\n", i, i, i)
	}
	for name, col := range map[string]*Collector{
		"memory":      NewCollector(),
		"generations": NewSpillingCollector(SpillOptions{Limit: 1 << 20, SessionState: 1, Dir: t.TempDir()}),
	} {
		if _, err := ingest.Run([]string{"-"}, ingest.Options{Stdin: strings.NewReader(b.String())},
			func(_ ingest.FileResult, i int) ingest.SinkFactory { return col.Factory(i) }); err != nil {
			t.Fatal(err)
		}
		gens := col.Generations()
		d := col.Finish(Config{})
		if name == "generations" && gens < 100 {
			t.Errorf("%s: %d generations retired, want about one a session", name, gens)
		}
		if len(d.Sessions) != 200 {
			t.Fatalf("%s: %d sessions, want 200", name, len(d.Sessions))
		}
		for _, s := range d.Sessions {
			if len(s.Events) != 1 {
				t.Fatalf("%s: session %s has %d events, want 1", name, s.ID, len(s.Events))
			}
			want := "boom " + strings.TrimPrefix(s.ID, "s")
			if got := d.Str(s.Events[0].Err); got != want {
				t.Errorf("%s: session %s: error %q, want %q", name, s.ID, got, want)
			}
		}
	}
}
