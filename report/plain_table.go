package report

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// WrapText wraps every line of s longer than width at spaces, as the table
// format's text lines are wrapped (continuation lines indented two more
// spaces; a word longer than the line is never cut). Width 0 (--wide)
// returns s unchanged. tokcost prices uses it for its rate lines.
func WrapText(s string, width int) string {
	if width <= 0 {
		return s
	}
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = wrapLine(l, width)
	}
	return strings.Join(lines, "\n")
}

// WritePlainTable writes a table without rules: columns separated by at
// least two spaces (text/tabwriter, the layout of tokcost prices), names
// left-aligned, every line prefixed by indent. When it is wider than width
// (0: never) it drops the columns in drop, in that order, as the boxed
// tables do, and names them on a last line; the first column is the key and
// is never dropped by callers. Cells are written as given.
func WritePlainTable(w io.Writer, width int, indent string, header []string, rows [][]string, drop ...int) error {
	out, dropped, err := fitColumns(header, width, drop, func(keep []bool) (string, error) {
		return renderPlain(indent, header, rows, keep)
	})
	if err != nil {
		return err
	}
	if len(dropped) > 0 {
		out += WrapText(indent+droppedLine(width, dropped), width) + "\n"
	}
	_, err = io.WriteString(w, out)
	return err
}

// renderPlain renders the columns marked in keep, byte for byte as
// text/tabwriter with padding 2 has always laid out tokcost prices.
func renderPlain(indent string, header []string, rows [][]string, keep []bool) (string, error) {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	line := func(cells []string) {
		var kept []string
		for i, c := range cells {
			if i >= len(keep) || keep[i] {
				kept = append(kept, c)
			}
		}
		fmt.Fprintf(tw, "%s%s\n", indent, strings.Join(kept, "\t"))
	}
	line(header)
	for _, r := range rows {
		line(r)
	}
	if err := tw.Flush(); err != nil {
		return "", err
	}
	return b.String(), nil
}
