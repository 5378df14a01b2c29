// Package runsort sorts encoded ingest.Records into input order in
// bounded memory, for tokcost convert: a record codec (AppendRecord,
// DecodeRecord) and an external sort (Sorter) whose full run buffers are
// sorted and appended to one temp file, then merged per output bucket
// (docs/scale.md, "convert"). The caller supplies how the temp file is
// created and forgotten (the command's signal handler removes the files
// it still knows of), so the package has no process-wide state.
package runsort
