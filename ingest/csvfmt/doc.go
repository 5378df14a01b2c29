// Package csvfmt reads CSV exports (spreadsheets, warehouse queries) into
// canonical records: a header row names the columns, each further row is
// one step. Columns are matched by their canonical names and aliases
// (docs/format.md), or assigned with --map canonical=Column. The units are
// CSV records (the header included). docs/formats/csv.md describes it.
//
// The format registers itself as "csv"; import the package for its side
// effect.
package csvfmt
