package analyze

import (
	"bytes"
	"testing"

	"github.com/tokcost/tokcost/ingest"
	"github.com/tokcost/tokcost/pricing"
)

// BenchmarkSimulate measures the what-if replay of 20,000 generated
// sessions under every policy at once: the sweep of the default caps, a
// window and a route (the reading and pricing are outside the loop).
func BenchmarkSimulate(b *testing.B) {
	data := benchData()
	col := NewCollector()
	if _, err := ingest.Run([]string{"-"}, ingest.Options{Stdin: bytes.NewReader(data)},
		func(_ ingest.FileResult, i int) ingest.SinkFactory { return col.Factory(i) }); err != nil {
		b.Fatal(err)
	}
	d := col.Finish(Config{Prices: pricing.Embedded()})
	cfg := WhatifConfig{Caps: DefaultCaps, MaxCollateral: DefaultMaxCollateral, Window: 4,
		Routes: []Route{{Role: "executor", Model: "gpt-4o-mini"}, {Tool: "read*", Model: "gpt-4o-mini"}}, Loops: DefaultLoopConfig()}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Simulate(d, cfg); err != nil {
			b.Fatal(err)
		}
	}
}
