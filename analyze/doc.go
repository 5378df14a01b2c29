// Package analyze turns canonical records into sessions and the numbers
// tokcost reports: per-session totals, cost distributions, model
// breakdowns, runaway loops and what-if simulations.
//
// It does no I/O. Under a memory limit, session summaries past their
// share are encoded here (sumspill.go: a summary's frame and the merge of
// partitions by id) and written to and read back from a temporary file
// that internal/store owns (store.TempFile, which also holds the
// records). A Collector is the ingest.Sink factory: decoders on
// several cores feed a store (internal/store, which owns the compact
// record encoding and the partitions by session id). Finish takes the
// store's partitions on every core and turns each session's events into
// a Session (FinishSession: drop duplicate event ids, order by seq, then
// timestamp, then input position, price every call against a
// pricing.Table at the call's date, summarise, detect runaway loops).
//
// Two results, two types: Finish keeps every event (a Dataset of Sessions,
// for simulations and DetectLoops); FinishSummaries keeps only each
// session's Summary (Summaries, loops found while the events existed), so
// that memory holds the compact records, never every event
// (docs/performance.md). A Session embeds its Summary; Stats and TopByCost
// take either.
package analyze
