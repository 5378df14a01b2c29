package ingest

import "strings"

// ClassifyToolError recognises tool errors that are not failures of the
// call itself (docs/formats/claude-code.md, error classes): the cascade one failure in a parallel
// batch causes ("Sibling tool call errored") and a person rejecting the
// call. Readers tag records with it; analysis falls back on it for formats
// that carry only the text.
func ClassifyToolError(text string) ErrorClass {
	switch {
	case strings.Contains(text, "Sibling tool call errored"):
		return ErrorSiblingCancel
	case strings.Contains(text, "doesn't want to proceed"), strings.Contains(text, "User rejected tool use"):
		return ErrorUserRejected
	}
	return ErrorPlain
}
