package main

import (
	"math"
	"testing"
)

// TestSDKDumpCost prices the SDK exporter dumps end to end. The expected
// totals are hand arithmetic from the files and the price table
// (pricing/table_gen.json rates per token):
//
//	stdouttrace_pretty.json, gpt-4o-mini-2024-07-18 (input 1.5e-7, cache read 7.5e-8, output 6e-7):
//	  call 1: (2230-1024)·1.5e-7 + 1024·7.5e-8 + 14·6e-7  = 0.0001809 + 0.0000768 + 0.0000084 = 0.0002661
//	  call 2: (3000-2048)·1.5e-7 + 2048·7.5e-8 + 120·6e-7 = 0.0001428 + 0.0001536 + 0.0000720 = 0.0003684
//	  total 0.0006345
//	console_py.json:
//	  gpt-4o-2024-08-06 (2.5e-6, 1.25e-6, 1e-5): 688·2.5e-6 + 512·1.25e-6 + 85·1e-5 = 0.00172 + 0.00064 + 0.00085 = 0.00321
//	  claude-sonnet-4-20250514 (3e-6, read 3e-7, write 3.75e-6, 1.5e-5):
//	    40·3e-6 + 3000·3e-7 + 500·3.75e-6 + 210·1.5e-5 = 0.00012 + 0.0009 + 0.001875 + 0.00315 = 0.006045
//	  gpt-4o-mini-2024-07-18: 300·1.5e-7 + 20·6e-7 = 0.000045 + 0.000012 = 0.000057
//	  total 0.009312
func TestSDKDumpCost(t *testing.T) {
	for _, tc := range []struct {
		file         string
		sessions, in int64
		out          int64
		cost         float64
	}{
		{"../../ingest/otel/testdata/stdouttrace_pretty.json", 1, 5230, 134, 0.0006345},
		{"../../ingest/otel/testdata/console_py.json", 2, 5040, 315, 0.009312},
	} {
		r := analyzeJSON(t, tc.file)
		if r.Sessions.Count != tc.sessions || r.Sessions.In.Total != tc.in || r.Sessions.Out.Total != tc.out {
			t.Errorf("%s: sessions %d in %d out %d, want %d %d %d", tc.file, r.Sessions.Count, r.Sessions.In.Total, r.Sessions.Out.Total, tc.sessions, tc.in, tc.out)
		}
		if math.Abs(r.Sessions.Cost.Total-tc.cost) > 1e-12 {
			t.Errorf("%s: cost %.10f, want %.10f", tc.file, r.Sessions.Cost.Total, tc.cost)
		}
	}
}
