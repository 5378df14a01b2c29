package report

import (
	"encoding/json"
	"io"
)

type jsonWriter struct{}

// Write emits the contract as indented JSON with a trailing newline.
func (jsonWriter) Write(w io.Writer, a *Analysis) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(a)
}
