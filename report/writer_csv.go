package report

import (
	"encoding/csv"
	"io"
	"strconv"
	"strings"
)

// csvWriter writes the per-session CSV. Unless raw, text cells are made
// safe for spreadsheets and terminals (csvSafe).
type csvWriter struct{ raw bool }

// CSVWriter is the CSV writer; raw writes text cells exactly as in the
// traces, for machine consumers (analyze --csv-raw).
func CSVWriter(raw bool) Writer { return csvWriter{raw: raw} }

// Write emits one row per session (sessionColumns), not the summary: CSV
// is for spreadsheets and ad-hoc joins. Floats are written in full
// (shortest round-trip form) so sums over the file match the report.
func (cw0 csvWriter) Write(w io.Writer, a *Analysis) error {
	if _, ok := a.allSessions(); !ok {
		return ErrNoSessions
	}
	cw := csv.NewWriter(w)
	rec := make([]string, len(sessionColumns))
	for i, c := range sessionColumns {
		rec[i] = c.name
	}
	if err := cw.Write(rec); err != nil {
		return err
	}
	// Row by row: the sessions may be read back from disk.
	err := a.eachSessionRow(func(row *SessionRow) error {
		for j, c := range sessionColumns {
			rec[j] = formatCell(c.kind, c.value(row))
			if c.kind == kString && !cw0.raw {
				rec[j] = csvSafe(rec[j])
			}
		}
		return cw.Write(rec)
	})
	if err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}

func formatCell(k colKind, v any) string {
	switch k {
	case kInt:
		return strconv.FormatInt(v.(int64), 10)
	case kFloat:
		return strconv.FormatFloat(v.(float64), 'f', -1, 64)
	case kBool:
		return strconv.FormatBool(v.(bool))
	}
	return v.(string)
}

// csvSafe follows OWASP's advice on CSV injection: a cell that starts with
// =, +, -, @, tab or carriage return is a formula to Excel, LibreOffice
// and Google Sheets (a session id "=cmd|' /c calc'!A1" runs a program), so
// it gets a leading single quote, which spreadsheets show as text. Control
// characters are escaped as in every text view (SafeText).
func csvSafe(s string) string {
	if s != "" && strings.IndexByte("=+-@\t\r", s[0]) >= 0 {
		s = "'" + s
	}
	return SafeText(s)
}
