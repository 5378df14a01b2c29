// Package analyze turns canonical records into sessions and the numbers
// tokcost reports: per-session totals, cost distributions, model
// breakdowns, runaway loops and what-if simulations.
//
// It does no I/O. A Collector is the ingest.Sink factory: decoders on
// several cores feed it shards, Finish merges them, drops duplicate event
// ids, orders each session (seq, then timestamp, then input position) and
// prices every call against a pricing.Table at the call's date.
package analyze
