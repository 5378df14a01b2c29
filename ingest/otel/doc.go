// Package otel reads OpenTelemetry trace exports into canonical records:
// OTLP/JSON files (format "otlp"), Grafana Tempo exports ("tempo"),
// Jaeger UI/API JSON ("jaeger"), and the SDK console dumps of the Go
// stdouttrace exporter ("stdouttrace") and Python's ConsoleSpanExporter
// ("otel-console").
//
// All are span formats. A span carries the GenAI attributes of the
// OTel semantic conventions or one of their aliases (OpenLLMetry,
// OpenInference, Vercel AI SDK, Sentry). Spans of one trace may arrive in any
// order and across lines, so the readers buffer a compact summary of every
// span, and resolve each trace's tree after the whole source is read:
// usage repeated by wrapper spans (invoke_agent, framework spans around a
// client span) is counted once, sessions and agent roles are inherited
// from ancestors, and each trace's records are emitted as soon as it is
// resolved, in trace id order.
//
// The buffered summaries hold no pointers (pack.go): their repeated text
// is interned once in a string table and referred to by index, their ids
// are kept in byte arenas, and traces and span ids are indexed by maps of
// integers. They are most of the live heap while a span format is read,
// and the garbage collector marks the live heap on every cycle; as
// pointer-free blocks they cost it next to nothing
// (BenchmarkBufferedSpansGC), whatever GOGC is.
//
// Accounting: a unit is a span, or a line (document) that holds no span.
// Every unit becomes exactly one Record or one Note, so
// Lines = records + invalid + duplicate + blank + skipped.
package otel
