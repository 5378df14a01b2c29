package analyze

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/tokcost/tokcost/ingest"
)

// flipCtx reports itself cancelled from its after+1-th Err call on, so a
// test cancels a run at a chosen check, without timing.
type flipCtx struct {
	context.Context
	after int64
	calls atomic.Int64
}

func (c *flipCtx) Err() error {
	if c.calls.Add(1) > c.after {
		return context.Canceled
	}
	return nil
}

// cancelInput is 5,000 sessions of two priced calls: 5,000 summaries at
// summaryBytes (512) each are 2.4 MiB, past half of the 1 MiB limit
// below, so FinishSummaries spills them (spillSummaries).
func cancelInput() string {
	var b strings.Builder
	for i := range 5000 {
		for seq := 1; seq <= 2; seq++ {
			fmt.Fprintf(&b, `{"session_id":"s%d","seq":%d,"kind":"llm","model":"gpt-4o","input_tokens":100,"output_tokens":10}`+"\n", i, seq)
		}
	}
	return b.String()
}

func collectCancel(t *testing.T, dir string, in string) *Collector {
	t.Helper()
	col := NewCollector()
	if dir != "" {
		col = NewSpillingCollector(SpillOptions{Limit: 1 << 20, Dir: dir})
	}
	if _, err := ingest.Run([]string{"-"}, ingest.Options{Stdin: strings.NewReader(in)},
		func(_ ingest.FileResult, i int) ingest.SinkFactory { return col.Factory(i) }); err != nil {
		t.Fatal(err)
	}
	return col
}

// TestFinishCancelled: a cancelled context makes FinishContext and
// FinishSummariesContext return context.Canceled and no result, whether
// it is cancelled before they start or at any of their checks (between
// partitions, every 64 sessions within one, every 1,024 summaries read
// back from the spill file), and the temp dir is left empty. The
// uncancelled count of checks (calls) is measured first: flipping at 0,
// 1, calls/4, calls/2 and calls-1 cancels before any work, at the first
// partitions, mid-way and at the last check. A run that is never
// cancelled returns its result (5,000 sessions, from cancelInput).
func TestFinishCancelled(t *testing.T) {
	in := cancelInput()
	for _, spill := range []bool{false, true} {
		for _, summaries := range []bool{false, true} {
			name := fmt.Sprintf("spill=%v/summaries=%v", spill, summaries)
			run := func(ctx context.Context, dir string) (int, error) {
				if !spill {
					dir = ""
				}
				col := collectCancel(t, dir, in)
				defer col.Release()
				if summaries {
					d, err := col.FinishSummariesContext(ctx, Config{})
					if err != nil {
						if d != nil {
							t.Errorf("%s: a result with error %v", name, err)
						}
						return 0, err
					}
					if spill && !d.Spilled() {
						t.Errorf("%s: summaries not spilled: the read-back pass is not tested", name)
					}
					defer d.Release()
					return d.Len(), nil
				}
				d, err := col.FinishContext(ctx, Config{})
				if err != nil {
					if d != nil {
						t.Errorf("%s: a result with error %v", name, err)
					}
					return 0, err
				}
				return len(d.Sessions), nil
			}
			count := &flipCtx{Context: context.Background(), after: 1 << 62}
			n, err := run(count, t.TempDir())
			if err != nil || n != 5000 {
				t.Fatalf("%s: uncancelled: %d sessions, %v; want 5000", name, n, err)
			}
			calls := count.calls.Load()
			if calls < 8 {
				t.Fatalf("%s: only %d context checks", name, calls)
			}
			for _, after := range []int64{0, 1, calls / 4, calls / 2, calls - 1} {
				dir := t.TempDir()
				ctx := &flipCtx{Context: context.Background(), after: after}
				if _, err := run(ctx, dir); !errors.Is(err, context.Canceled) {
					t.Errorf("%s: cancelled at check %d of %d: error %v, want context.Canceled", name, after+1, calls, err)
				}
				if left, _ := os.ReadDir(dir); len(left) > 0 {
					t.Errorf("%s: cancelled at check %d: temp files left: %v", name, after+1, left)
				}
			}
		}
	}
	// A context cancelled the usual way.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	col := collectCancel(t, t.TempDir(), in)
	defer col.Release()
	if d, err := col.FinishSummariesContext(ctx, Config{}); d != nil || !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v, %v; want nil, context.Canceled", d, err)
	}
}
