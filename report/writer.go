package report

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
)

// FormatWriter renders one command's result R in one format.
type FormatWriter[R any] interface {
	Write(w io.Writer, r R) error
}

// Writer renders an Analysis in one format.
type Writer = FormatWriter[*Analysis]

// WriterOptions are the flags that change how a writer writes; each
// writer reads the ones that concern it.
type WriterOptions struct {
	// CSVRaw writes CSV text cells exactly as in the traces (analyze
	// --csv-raw).
	CSVRaw bool
	// Width is the display width the table format fits (the terminal's,
	// COLUMNS, or 100: cmd/tokcost decides); 0 prints every column at
	// full width (--wide).
	Width int
}

// Registry is the output formats of one command, modelled on GitHub CLI's
// cmdutil.Exporter: a command asks it which formats exist and for the
// writer of one, and its -f/--format help, validation, --also and shell
// completion all come from it. Adding a format is one writer type and one
// Register line (docs/architecture.md).
type Registry[R any] struct {
	makers map[string]func(WriterOptions) FormatWriter[R]
}

// Register adds format name, made by mk; it panics on a duplicate, a
// programming error found by every test.
func (g *Registry[R]) Register(name string, mk func(WriterOptions) FormatWriter[R]) {
	if g.makers == nil {
		g.makers = map[string]func(WriterOptions) FormatWriter[R]{}
	}
	if _, dup := g.makers[name]; dup {
		panic("report: format " + name + " registered twice")
	}
	g.makers[name] = mk
}

// registerPlain registers a writer that takes no options.
func registerPlain[R any](g *Registry[R], name string, w FormatWriter[R]) {
	g.Register(name, func(WriterOptions) FormatWriter[R] { return w })
}

// Names lists the formats, sorted.
func (g *Registry[R]) Names() []string {
	names := make([]string, 0, len(g.makers))
	for n := range g.makers {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Has reports whether format is registered.
func (g *Registry[R]) Has(format string) bool {
	_, ok := g.makers[format]
	return ok
}

// Lookup returns the writer for a format, or an error listing the valid
// ones.
func (g *Registry[R]) Lookup(format string, opt WriterOptions) (FormatWriter[R], error) {
	if mk, ok := g.makers[format]; ok {
		return mk(opt), nil
	}
	return nil, g.unknown(format)
}

func (g *Registry[R]) unknown(format string) error {
	return fmt.Errorf("unknown format %q (valid: %s)", format, strings.Join(g.Names(), ", "))
}

// FlagHelp is the help of the -f/--format flag.
func (g *Registry[R]) FlagHelp() string {
	return "output format: " + strings.Join(g.Names(), ", ")
}

// write looks up format and writes r with it.
func (g *Registry[R]) write(w io.Writer, format string, r R) error {
	fw, err := g.Lookup(format, WriterOptions{})
	if err != nil {
		return err
	}
	return fw.Write(w, r)
}

// The registries, one per command that writes a report.
var (
	// AnalyzeWriters are the formats of `tokcost analyze` (and --also).
	AnalyzeWriters Registry[*Analysis]
	// WhatifWriters are the formats of `tokcost whatif`.
	WhatifWriters Registry[*WhatifReport]
	// CheckWriters are the formats of `tokcost check`.
	CheckWriters Registry[CheckResult]
	// DiffWriters are the formats of `tokcost diff`.
	DiffWriters Registry[DiffResult]
	// TrendWriters are the formats of `tokcost trend`.
	TrendWriters Registry[*Trend]
	// PricesWriters are the formats of `tokcost prices` (MODEL... and
	// --list).
	PricesWriters Registry[PricesResult]
)

func init() {
	AnalyzeWriters.Register("table", func(o WriterOptions) Writer { return tableWriter{width: o.Width} })
	registerPlain(&AnalyzeWriters, "json", Writer(jsonWriter{}))
	registerPlain(&AnalyzeWriters, "markdown", Writer(markdownWriter{})) // CI reports (issue 6)
	registerPlain(&AnalyzeWriters, "html", Writer(htmlWriter{}))
	AnalyzeWriters.Register("csv", func(o WriterOptions) Writer { return csvWriter{raw: o.CSVRaw} }) // per session, not the summary

	WhatifWriters.Register("table", func(o WriterOptions) FormatWriter[*WhatifReport] { return whatifTable{width: o.Width} })
	registerPlain(&WhatifWriters, "json", FormatWriter[*WhatifReport](jsonOf[*WhatifReport]{}))

	CheckWriters.Register("table", func(o WriterOptions) FormatWriter[CheckResult] { return checkTable{width: o.Width} })
	registerPlain(&CheckWriters, "markdown", FormatWriter[CheckResult](checkMarkdown{}))
	registerPlain(&CheckWriters, "json", FormatWriter[CheckResult](jsonOf[CheckResult]{}))

	DiffWriters.Register("table", func(o WriterOptions) FormatWriter[DiffResult] { return diffTable{width: o.Width} })
	registerPlain(&DiffWriters, "markdown", FormatWriter[DiffResult](diffMarkdown{}))
	registerPlain(&DiffWriters, "json", FormatWriter[DiffResult](jsonOf[DiffResult]{}))

	TrendWriters.Register("table", func(o WriterOptions) FormatWriter[*Trend] { return trendTable{width: o.Width} })
	registerPlain(&TrendWriters, "markdown", FormatWriter[*Trend](writerFunc[*Trend](writeTrendMarkdown)))
	registerPlain(&TrendWriters, "html", FormatWriter[*Trend](writerFunc[*Trend](writeTrendHTML)))
	registerPlain(&TrendWriters, "json", FormatWriter[*Trend](jsonOf[*Trend]{}))

	PricesWriters.Register("table", func(o WriterOptions) FormatWriter[PricesResult] { return pricesTable{width: o.Width} })
	registerPlain(&PricesWriters, "json", FormatWriter[PricesResult](jsonOf[PricesResult]{}))
}

// jsonOf writes any result as indented JSON with a trailing newline (the
// analyze report has its own writer, writer_json.go).
type jsonOf[R any] struct{}

func (jsonOf[R]) Write(w io.Writer, r R) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// writerFunc makes a function a writer.
type writerFunc[R any] func(io.Writer, R) error

func (f writerFunc[R]) Write(w io.Writer, r R) error { return f(w, r) }
