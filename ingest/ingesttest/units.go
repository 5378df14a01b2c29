package ingesttest

import (
	"fmt"
	"strings"

	"github.com/tokcost/tokcost/ingest"
)

var noteKinds = map[ingest.NoteKind]string{ingest.NoteInvalid: "invalid", ingest.NoteSkipped: "skipped", ingest.NoteBlank: "blank", ingest.NoteDuplicate: "duplicate"}

// Units renders what a reader made of each unit 1…n, for tests that pin
// odd inputs: its records, each as rec renders it, joined by " | ", or
// its note as "kind reason: detail".
func Units(s *Sink, rec func(r *ingest.Record) string) []string {
	out := map[int64][]string{}
	var n int64
	for i := range s.Recs {
		r := &s.Recs[i]
		out[r.Line] = append(out[r.Line], rec(r))
		n = max(n, r.Line)
	}
	for _, x := range s.Notes {
		out[x.Line] = append(out[x.Line], fmt.Sprintf("%s %s: %s", noteKinds[x.Kind], x.Reason, x.Detail))
		n = max(n, x.Line)
	}
	var u []string
	for i := int64(1); i <= n; i++ {
		u = append(u, strings.Join(out[i], " | "))
	}
	return u
}
