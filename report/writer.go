package report

import (
	"fmt"
	"io"
	"sort"
	"strings"
)

// Writer renders an Analysis in one format.
type Writer interface {
	Write(w io.Writer, a *Analysis) error
}

var writers = map[string]Writer{
	"table": tableWriter{},
	"json":  jsonWriter{},
	// Added for CI reports (issue 6).
	"markdown": markdownWriter{},
	"html":     htmlWriter{},
	"csv":      csvWriter{}, // per session, not the summary
}

// Formats lists the output formats.
func Formats() []string {
	names := make([]string, 0, len(writers))
	for n := range writers {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Lookup returns the writer for a format, or an error listing the valid ones.
func Lookup(format string) (Writer, error) {
	if w, ok := writers[format]; ok {
		return w, nil
	}
	return nil, fmt.Errorf("unknown format %q (valid: %s)", format, strings.Join(Formats(), ", "))
}
