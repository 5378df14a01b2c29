package gen

// model is one model the generator can emit, with the generator's own
// prices in USD per million tokens. The table is deliberately independent of
// package pricing so that ground-truth costs can check the analyzer.
type model struct {
	name     string
	provider string
	in, out  float64 // $/MTok, uncached input and output (reasoning included)
	read     float64 // $/MTok, cache read
	write    float64 // $/MTok, cache write (0: provider has no write charge)
	msPerTok float64 // decode speed, for durations
	flagship bool
}

const (
	sonnet = iota
	haiku
	gpt4o
	gpt4oMini
	gpt5
	numModels
)

var models = [numModels]model{
	sonnet:    {"claude-sonnet-4-5", "anthropic", 3, 15, 0.30, 3.75, 14, true},
	haiku:     {"claude-haiku-4-5", "anthropic", 1, 5, 0.10, 1.25, 6, false},
	gpt4o:     {"gpt-4o", "openai", 2.50, 10, 1.25, 0, 11, true},
	gpt4oMini: {"gpt-4o-mini", "openai", 0.15, 0.60, 0.075, 0, 7, false},
	gpt5:      {"gpt-5", "openai", 1.25, 10, 0.125, 0, 9, true},
}

// executorOf is the cheaper model a planner delegates to.
var executorOf = [numModels]int8{
	sonnet:    haiku,
	haiku:     haiku,
	gpt4o:     gpt4oMini,
	gpt4oMini: gpt4oMini,
	gpt5:      gpt4oMini,
}

// cost prices one LLM call: (input − read − write)·in + read·read +
// write·write + output·out, all per million tokens.
func (m *model) cost(in, out, read, write int64) float64 {
	return (float64(in-read-write)*m.in + float64(read)*m.read +
		float64(write)*m.write + float64(out)*m.out) / 1e6
}
