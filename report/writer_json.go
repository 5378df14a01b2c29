package report

import (
	"encoding/json"
	"io"
)

type jsonWriter struct{}

// Write emits the contract as indented JSON with a trailing newline
// (json.Encoder with SetIndent("", "  ")). Encoding the runaway sessions
// on every core and splicing them in by byte search was measured and
// dropped: it saved a few per cent of `analyze -f json` on the 200,000-
// session fleet (docs/performance.md, "JSON decoding: fast paths and
// why") for code that broke on any change to the report's layout.
func (jsonWriter) Write(w io.Writer, a *Analysis) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(a)
}
