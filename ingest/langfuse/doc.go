// Package langfuse reads Langfuse exports into canonical records: the
// trace download {"trace":{…},"observations":[…]}, the public API's
// {"data":[observations]} pages, and JSON Lines of observations as written
// by the blob-storage export (snake_case columns).
//
// Only GENERATION observations become model calls and TOOL observations
// tool calls; other observation types are accounted as skipped notes.
// Langfuse normalises usage into disjoint buckets (input without cache,
// output without reasoning); the reader decides per observation which
// convention its usageDetails follow and converts to the canonical
// inclusive form.
//
// Accounting: a unit is an observation, or a line (document) holding none.
// Lines = records + invalid + duplicate + blank + skipped.
package langfuse
