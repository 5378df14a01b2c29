// Package ingest turns trace files into canonical records.
//
// It owns input handling (files, directories, stdin, gzip and zstd by magic
// bytes, lines of any length) and the Format interface every input format
// implements. Formats register themselves by name; Detect picks one from
// an input's name and first bytes. Decoders push records and notes into
// Sinks, one per worker goroutine, so a format may decode on every core.
// Nothing here knows about prices or sessions.
//
// Inputs (inputs.go) are expanded once: directories walked with symbolic
// links followed, every file reached twice read once (device and inode),
// only trace file names read from directories, and tokcost's own reports
// skipped. A file in a directory that cannot be read is listed with its
// error and the run goes on; OutputClash tells the CLI which outputs
// would destroy an input (docs/safety.md).
//
// Every unit read is accounted for: it becomes a Record or a Note (invalid
// with a reason, duplicate, blank or skipped), and Sink.Lines counts the
// units, so lines = lines with records + duplicates + invalid + blank +
// skipped. A unit that yields several records marks the later ones
// Record.SameUnit, so it is counted once.
//
// A sink must copy what it keeps of a record, with one opt-in exception:
// a sink that declares BorrowsIDs (the analysis, which keeps a hash) may
// be handed a Record.ID that aliases the decoder's buffer. Run wraps every
// sink in a check that validates each record; the canonical JSONL decoder,
// which validates as it decodes, hands its records past that check.
package ingest
