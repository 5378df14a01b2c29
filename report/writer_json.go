package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"sync"

	"github.com/tokcost/tokcost/analyze"
)

type jsonWriter struct{}

// parallelJSONAfter is how many runaway sessions make it worth encoding
// them on every core: a large fleet has tens of thousands, most of the
// report's bytes.
const parallelJSONAfter = 2000

// Write emits the contract as indented JSON with a trailing newline: the
// bytes of json.Encoder with SetIndent("", "  "), whichever way they are
// made.
func (jsonWriter) Write(w io.Writer, a *Analysis) error {
	rs := a.Runaway.Sessions
	if len(rs) < parallelJSONAfter {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(a)
	}
	// Encode the document without the runaway sessions, and the sessions
	// in slices on every core, then put the sessions in their place.
	b := *a
	b.Runaway.Sessions = []analyze.RunawaySession{}
	doc, err := json.MarshalIndent(&b, "", "  ")
	if err != nil {
		return err
	}
	const prefix = "    " // runaway.sessions is two levels deep
	at := bytes.Index(doc, []byte("\n  \"runaway\": {"))
	if at >= 0 {
		if i := bytes.Index(doc[at:], []byte("\n"+prefix+"\"sessions\": []")); i >= 0 {
			at += i + len("\n"+prefix+"\"sessions\": [")
		} else {
			at = -1
		}
	}
	if at < 0 {
		return fmt.Errorf("report: runaway sessions not found in the encoded report") // a struct change broke the splice
	}
	parts := make([][]byte, min(4*runtime.GOMAXPROCS(0), len(rs)))
	errs := make([]error, len(parts))
	var wg sync.WaitGroup
	for p := range parts {
		wg.Go(func() {
			lo, hi := p*len(rs)/len(parts), (p+1)*len(rs)/len(parts)
			out, err := json.MarshalIndent(rs[lo:hi], prefix, "  ")
			// "[" elements "\n" prefix "]": keep the elements.
			if err == nil {
				parts[p] = out[1 : len(out)-len(prefix)-2]
			}
			errs[p] = err
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	bufs := [][]byte{doc[:at]}
	for p, part := range parts {
		if p > 0 {
			bufs = append(bufs, []byte(","))
		}
		bufs = append(bufs, part)
	}
	bufs = append(bufs, []byte("\n"+prefix), doc[at:], []byte("\n"))
	for _, b := range bufs {
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	return nil
}
