package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

// TestUnknownUsageFieldsCapped: an input naming a new unknown usage key on
// every line (900 lines, k_0000_tokens … k_0899_tokens, once each) is
// reported with the first 256 names and their counts, the next 256 names,
// and the mentions of the rest counted; the same whether it is one file or
// five read in parallel, in either line order, on one core or two. By
// hand: fields k_0000 … k_0255 at 1 each; other names k_0256 … k_0511,
// more_names (644 names past the first 256 > 256 listed); occurrences 900
// − 256 = 644. Before, all 900 names were kept and listed.
func TestUnknownUsageFieldsCapped(t *testing.T) {
	var lines []string
	for i := range 900 {
		lines = append(lines, fmt.Sprintf(`{"session_id":"s%d","model":"gpt-4o","usage":{"prompt_tokens":10,"completion_tokens":1,"k_%04d_tokens":1}}`, i%7, i))
	}
	type other struct {
		Occurrences int64    `json:"occurrences"`
		Names       []string `json:"names"`
		MoreNames   bool     `json:"more_names"`
	}
	wantFields := map[string]int64{}
	for i := range 256 {
		wantFields[fmt.Sprintf("k_%04d_tokens", i)] = 1
	}
	want := other{Occurrences: 644, MoreNames: true}
	for i := 256; i < 512; i++ {
		want.Names = append(want.Names, fmt.Sprintf("k_%04d_tokens", i))
	}
	for _, procs := range []int{1, 2} {
		for _, files := range []int{1, 5} {
			for _, reverse := range []bool{false, true} {
				name := fmt.Sprintf("procs=%d files=%d reverse=%v", procs, files, reverse)
				dir := t.TempDir()
				ls := append([]string(nil), lines...)
				if reverse {
					for i, j := 0, len(ls)-1; i < j; i, j = i+1, j-1 {
						ls[i], ls[j] = ls[j], ls[i]
					}
				}
				for f := range files {
					var part []string
					for i := f; i < len(ls); i += files {
						part = append(part, ls[i])
					}
					if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("in%d.jsonl", f)), []byte(strings.Join(part, "\n")+"\n"), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				old := runtime.GOMAXPROCS(procs)
				code, out, errOut := run(t, "analyze", "--format", "json", "-q", dir)
				runtime.GOMAXPROCS(old)
				if code != 0 {
					t.Fatalf("%s: exit %d: %s", name, code, errOut)
				}
				var rep struct {
					Input struct {
						Fields map[string]int64 `json:"unknown_usage_fields"`
						Other  *other           `json:"unknown_usage_fields_other"`
					} `json:"input"`
				}
				if err := json.Unmarshal([]byte(out), &rep); err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(rep.Input.Fields, wantFields) {
					t.Errorf("%s: %d fields, want k_0000 … k_0255 at 1 each", name, len(rep.Input.Fields))
				}
				if rep.Input.Other == nil || !reflect.DeepEqual(*rep.Input.Other, want) {
					t.Errorf("%s: other = %+v, want %+v", name, rep.Input.Other, want)
				}
			}
		}
	}
}
