package main

import (
	"io"
	"testing"

	"github.com/tokcost/tokcost/pricing/internal/pricefile"
)

func price(in, out float64) pricefile.Price {
	return pricefile.Price{Input: in / 1e6, Output: out / 1e6}
}

// TestBuildDropsZeroPrices: a $0/$0 period is "no price", not "free".
func TestBuildDropsZeroPrices(t *testing.T) {
	current := map[string]pricefile.LiteLLMEntry{
		"paid":           {Provider: "x", Price: price(1, 2)},
		"zero":           {Provider: "x", Price: price(0, 0)},
		"free-by-source": {Provider: "x", Price: price(0, 0)},
		"zero-input":     {Provider: "x", Price: price(0, 2)}, // only output priced: a price
	}
	events := map[string][]event{
		// Was $0/$0 (placeholder) on 2025-01-01, priced from 2025-02-01; a
		// $0/$0 glitch on 2025-03-01 must leave the $1/$2 in force.
		"paid": {{"2025-01-01", price(0, 0)}, {"2025-02-01", price(1, 2)}, {"2025-03-01", price(0, 0)}, {"2025-04-01", price(1, 2)}},
	}
	ov := &pricefile.Overrides{Free: []pricefile.Free{{Key: "free-by-source", Why: "test"}}}
	art, err := build(current, events, ov, nil, "2025-05-01", io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := art.Models["zero"]; ok {
		t.Error(`"zero" ($0/$0 only) kept, want dropped`)
	}
	if m, ok := art.Models["free-by-source"]; !ok || len(m.History) != 1 {
		t.Errorf(`"free-by-source" = %+v, %v; want kept with its one period`, m, ok)
	}
	if _, ok := art.Models["zero-input"]; !ok {
		t.Error(`"zero-input" ($0 in, $2 out) dropped, want kept`)
	}
	// paid: the two 0/0 periods go; the two $1/$2 periods collapse into one
	// starting 2025-02-01 (which also covers earlier calls).
	h := art.Models["paid"].History
	if len(h) != 1 || h[0].From != "2025-02-01" || h[0].Rates != price(1, 2) {
		t.Errorf("paid history = %+v, want one $1/$2 period from 2025-02-01", h)
	}

	// A free: entry must name a key that has a $0/$0 period.
	ov = &pricefile.Overrides{Free: []pricefile.Free{{Key: "zero-input", Why: "test"}}}
	if _, err := build(current, events, ov, nil, "2025-05-01", io.Discard); err == nil {
		t.Error("free: on a key with no $0/$0 period: no error")
	}
	ov = &pricefile.Overrides{Free: []pricefile.Free{{Key: "nope", Why: "test"}}}
	if _, err := build(current, events, ov, nil, "2025-05-01", io.Discard); err == nil {
		t.Error("free: on a missing key: no error")
	}
}
