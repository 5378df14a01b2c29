package store

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/tokcost/tokcost/ingest"
	"github.com/tokcost/tokcost/ingest/cline"
	"github.com/tokcost/tokcost/ingest/opencode"
)

// TestAssumedUsageKept: the names the CLI fails --strict on are the ones
// the cap never drops (ingest.AssumedUsage), and they come first.
func TestAssumedUsageKept(t *testing.T) {
	for _, name := range []string{cline.AssumedField, opencode.AssumedField} {
		if !ingest.AssumedUsage[name] {
			t.Errorf("%s is not in ingest.AssumedUsage", name)
		}
		var c InputCounts
		for i := range 3 * UnknownUsageCap {
			c.addUnknownUsage(fmt.Sprintf("A%04d", i)) // all before it bytewise
		}
		c.addUnknownUsage(name)
		if c.UnknownUsageFields[name] != 1 {
			t.Errorf("%s dropped past the cap: %v", name, c.UnknownUsageOther)
		}
	}
}

// unknownInput is a list of records' UnknownUsage values naming n distinct
// names x_0000 … (each i-th named i%3+1 times), plus Cline's assumption
// named twice, in a shuffled order, one to three names a record (each
// record's names distinct, as readers write them).
func unknownInput(n int, rng *rand.Rand) []string {
	var mentions []string
	for i := range n {
		for range i%3 + 1 {
			mentions = append(mentions, fmt.Sprintf("x_%04d", i))
		}
	}
	mentions = append(mentions, "cline.tokensIn(cache-included-unknown)", "cline.tokensIn(cache-included-unknown)")
	rng.Shuffle(len(mentions), func(i, j int) { mentions[i], mentions[j] = mentions[j], mentions[i] })
	var recs []string
	for len(mentions) > 0 {
		k := min(1+rng.IntN(3), len(mentions))
		rec := mentions[:k]
		mentions = mentions[k:]
		seen := map[string]bool{}
		var names []string
		for _, m := range rec {
			if seen[m] {
				mentions = append(mentions, m) // keep it for a later record
				continue
			}
			seen[m] = true
			names = append(names, m)
		}
		recs = append(recs, strings.Join(names, ","))
	}
	return recs
}

// bruteUnknown is the capped result computed a second way: count every
// name without a cap, sort them (the assumption first, then bytewise), and
// cut.
func bruteUnknown(recs []string) (map[string]int64, *UnknownUsageOther) {
	all := map[string]int64{}
	var total int64
	for _, r := range recs {
		for _, n := range strings.Split(r, ",") {
			all[n]++
			total++
		}
	}
	var names []string
	for k := range all {
		names = append(names, k)
	}
	sort.Slice(names, func(i, j int) bool {
		pi, pj := ingest.AssumedUsage[names[i]], ingest.AssumedUsage[names[j]]
		if pi != pj {
			return pi
		}
		return names[i] < names[j]
	})
	kept := map[string]int64{}
	var sum int64
	for _, k := range names[:min(len(names), UnknownUsageCap)] {
		kept[k] = all[k]
		sum += all[k]
	}
	if len(names) <= UnknownUsageCap {
		return kept, nil
	}
	rest := names[UnknownUsageCap:]
	o := &UnknownUsageOther{Occurrences: total - sum, Names: rest[:min(len(rest), UnknownUsageCap)], MoreNames: len(rest) > UnknownUsageCap}
	return kept, o
}

// TestUnknownUsageCap: unknown usage names are kept to the first
// UnknownUsageCap (with their counts) and the next UnknownUsageCap (to
// count the names dropped), whatever the number of names, the order of the
// records, or how they are split among shards and merged; the result is
// the one computed without a cap and cut (bruteUnknown). The set never
// holds more than the cap. Before, every name was kept: 1,000 names made
// a map of 1,001.
func TestUnknownUsageCap(t *testing.T) {
	for _, n := range []int{10, 255, 300, 511, 1000} {
		rng := rand.New(rand.NewPCG(uint64(n), 7))
		recs := unknownInput(n, rng)
		wantFields, wantOther := bruteUnknown(recs)
		// Hand check of the cut for n = 1000: 1,001 names, the
		// assumption (named twice) first, then x_0000 … x_0254 counted,
		// x_0255 … x_0510 named beyond the cap, more dropped.
		if n == 1000 && (wantFields["cline.tokensIn(cache-included-unknown)"] != 2 || wantFields["x_0254"] != 254%3+1 ||
			wantOther.Names[0] != "x_0255" || wantOther.Names[UnknownUsageCap-1] != "x_0510" || !wantOther.MoreNames) {
			t.Fatalf("brute force cut wrong: %v %+v", wantFields, wantOther)
		}
		for _, shards := range []int{1, 2, 7, 64} {
			parts := make([]InputCounts, shards)
			for _, r := range recs {
				p := &parts[rng.IntN(shards)]
				p.addUnknownUsage(r)
				if len(p.UnknownUsageFields) > UnknownUsageCap || p.UnknownUsageOther != nil && len(p.UnknownUsageOther.Names) > UnknownUsageCap {
					t.Fatalf("n=%d shards=%d: the set grew past the cap: %d names, %+v", n, shards, len(p.UnknownUsageFields), p.UnknownUsageOther)
				}
			}
			// Merge in a random order, as shards finish.
			rng.Shuffle(len(parts), func(i, j int) { parts[i], parts[j] = parts[j], parts[i] })
			var got InputCounts
			for _, p := range parts {
				got.add(p)
			}
			if !reflect.DeepEqual(got.UnknownUsageFields, wantFields) {
				t.Errorf("n=%d shards=%d: fields differ: got %d names, want %d", n, shards, len(got.UnknownUsageFields), len(wantFields))
			}
			if !reflect.DeepEqual(got.UnknownUsageOther, wantOther) {
				t.Errorf("n=%d shards=%d: other = %+v, want %+v", n, shards, got.UnknownUsageOther, wantOther)
			}
		}
	}
}

// BenchmarkUnknownUsageNewNames: a new name on every record, past the cap,
// in the order that costs most (each name before all kept ones: it
// displaces the last counted name) and in the order that costs least.
func BenchmarkUnknownUsageNewNames(b *testing.B) {
	for _, order := range []string{"descending", "ascending"} {
		b.Run(order, func(b *testing.B) {
			names := make([]string, 100_000)
			for i := range names {
				j := i
				if order == "descending" {
					j = len(names) - i
				}
				names[i] = fmt.Sprintf("x_%08d_tokens", j)
			}
			b.ReportAllocs()
			for b.Loop() {
				var c InputCounts
				for _, n := range names {
					c.addUnknownUsage(n)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(names)), "ns/record")
		})
	}
}
