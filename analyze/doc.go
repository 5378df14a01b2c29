// Package analyze turns canonical records into sessions and the numbers
// tokcost reports: per-session totals, cost distributions, model
// breakdowns, runaway loops and what-if simulations.
//
// It does no I/O. A Collector is the ingest.Sink factory: decoders on
// several cores feed it shards, each of which encodes records in a few
// dozen bytes into partitions by session id. Finish takes the partitions
// on every core, drops duplicate event ids, orders each session (seq, then
// timestamp, then input position), prices every call against a
// pricing.Table at the call's date, summarises, and with Config.Loops and
// Config.DropEvents detects runaway loops and keeps only the summaries, so
// that memory holds the compact records, never every event
// (docs/performance.md).
package analyze
