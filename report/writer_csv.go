package report

import (
	"encoding/csv"
	"io"
	"strconv"
)

type csvWriter struct{}

// Write emits one row per session (sessionColumns), not the summary: CSV
// is for spreadsheets and ad-hoc joins. Floats are written in full
// (shortest round-trip form) so sums over the file match the report.
func (csvWriter) Write(w io.Writer, a *Analysis) error {
	rows, err := a.SessionRows()
	if err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	rec := make([]string, len(sessionColumns))
	for i, c := range sessionColumns {
		rec[i] = c.name
	}
	if err := cw.Write(rec); err != nil {
		return err
	}
	for i := range rows {
		for j, c := range sessionColumns {
			rec[j] = formatCell(c.kind, c.value(&rows[i]))
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
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
