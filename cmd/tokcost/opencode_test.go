package main

import (
	"math"
	"testing"
)

// TestOpenCodeStorage analyses an OpenCode storage tree: the directory
// walk reaches part files too (skipped: their message reads them). Hand
// arithmetic from the files and pricing/table_gen.json:
//
//	ses_A, claude-sonnet-4-20250514 (input 3e-6, read 3e-7, write 3.75e-6, output 1.5e-5), two steps:
//	  2500·3e-6 + 11200·3.75e-6 + 120·1.5e-5            = 0.0075 + 0.042 + 0.0018 = 0.0513
//	  12·3e-6 + 14000·3e-7 + 800·3.75e-6 + 310·1.5e-5   = 0.000036 + 0.0042 + 0.003 + 0.00465 = 0.011886
//	ses_B, gemini-2.5-pro (1.25e-6, read 1.25e-7, output 1e-5): 3000·1.25e-6 + 1000·1.25e-7 + (200+500)·1e-5 = 0.010875
//	       gpt-5-mini (2.5e-7, read 2.5e-8, output 2e-6):        800·2.5e-7 + 1200·2.5e-8 + 900·2e-6       = 0.00203
//	total 0.076091; input 13700+14812+4000+2000 = 34512; output 120+310+700+900 = 2030
func TestOpenCodeStorage(t *testing.T) {
	r := analyzeJSON(t, "../../ingest/opencode/testdata/storage")
	if r.Sessions.Count != 2 || r.Sessions.In.Total != 34512 || r.Sessions.Out.Total != 2030 {
		t.Errorf("sessions %d in %d out %d", r.Sessions.Count, r.Sessions.In.Total, r.Sessions.Out.Total)
	}
	if math.Abs(r.Sessions.Cost.Total-0.076091) > 1e-12 {
		t.Errorf("cost %.10f, want 0.076091", r.Sessions.Cost.Total)
	}
	// 10 files: 3 assistant messages with records, the user message and 6 parts skipped.
	if r.Input.Lines != 10 || r.Input.Skipped != 7 || r.Input.Invalid != 0 {
		t.Errorf("input %+v", r.Input)
	}
}
