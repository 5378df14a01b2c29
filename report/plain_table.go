package report

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/olekukonko/tablewriter/pkg/twwidth"
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
	var kept []bool
	split := map[int]bool{}
	out, dropped, err := fitColumns(header, width, drop, func(keep []bool) (string, error) {
		kept = keep
		return renderPlain(indent, header, rows, keep, split)
	})
	if err != nil {
		return err
	}
	// Still too wide: a few long keys (a 76-character Bedrock id) set the
	// first column's width. Those rows, longest first, print their key
	// alone on a line and their figures on the next, so the key stays
	// whole and the other rows need not be padded to it.
	for width > 0 && maxWidth(out) > width {
		longest := 0
		for i, r := range rows {
			if !split[i] && len(r) > 0 {
				longest = max(longest, twwidth.Width(r[0]))
			}
		}
		if longest == 0 {
			break
		}
		for i, r := range rows {
			if len(r) > 0 && twwidth.Width(r[0]) == longest {
				split[i] = true
			}
		}
		if out, err = renderPlain(indent, header, rows, kept, split); err != nil {
			return err
		}
	}
	if len(dropped) > 0 {
		out += WrapText(indent+droppedLine(width, dropped), width) + "\n"
	}
	_, err = io.WriteString(w, out)
	return err
}

// renderPlain renders the columns marked in keep, byte for byte as
// text/tabwriter with padding 2 has always laid out tokcost prices.
// Rows marked in split print their first cell alone and the rest on the
// next line under an empty first cell, so that cell does not set the first
// column's width.
func renderPlain(indent string, header []string, rows [][]string, keep []bool, split map[int]bool) (string, error) {
	pick := func(cells []string) []string {
		var kept []string
		for i, c := range cells {
			if i >= len(keep) || keep[i] {
				kept = append(kept, c)
			}
		}
		return kept
	}
	if len(split) > 0 {
		// By hand, as tabwriter pads (two spaces after the widest cell of
		// each column but the last): tabwriter would end the column block
		// at a line without a tab, and align the rows below it apart.
		lines := [][]string{pick(header)}
		var alone []string // a split row's first cell, printed before lines[i]
		alone = append(alone, "")
		for i, r := range rows {
			kept := pick(r)
			a := ""
			if split[i] && len(kept) > 1 {
				a, kept[0] = kept[0], ""
			}
			lines = append(lines, kept)
			alone = append(alone, a)
		}
		var widths []int
		for _, l := range lines {
			for c := range len(l) - 1 {
				if c == len(widths) {
					widths = append(widths, 0)
				}
				widths[c] = max(widths[c], twwidth.Width(l[c]))
			}
		}
		var b strings.Builder
		for i, l := range lines {
			if alone[i] != "" {
				b.WriteString(indent + alone[i] + "\n")
			}
			b.WriteString(indent)
			for c, cell := range l {
				b.WriteString(cell)
				if c < len(l)-1 {
					b.WriteString(strings.Repeat(" ", widths[c]-twwidth.Width(cell)+2))
				}
			}
			b.WriteString("\n")
		}
		return b.String(), nil
	}
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	for _, cells := range append([][]string{header}, rows...) {
		if _, err := fmt.Fprintf(tw, "%s%s\n", indent, strings.Join(pick(cells), "\t")); err != nil {
			return "", err
		}
	}
	if err := tw.Flush(); err != nil {
		return "", err
	}
	return b.String(), nil
}
