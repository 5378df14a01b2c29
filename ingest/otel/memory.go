package otel

// The OTLP, Tempo and Jaeger readers keep every span of an input until it
// ends, to rebuild the trees: they declare it (ingest.BuffersInput) so the
// CLI can tune its collector while they read (docs/performance.md).

func (otlpFormat) BuffersInput() bool   { return true }
func (tempoFormat) BuffersInput() bool  { return true }
func (jaegerFormat) BuffersInput() bool { return true }
