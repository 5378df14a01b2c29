// Command tokcost-beam runs tokcost's analysis as an Apache Beam pipeline
// on Prism (local), Dataflow, Flink or Spark: see docs/scale.md.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/x/beamx"

	"github.com/tokcost/tokcost/analyze"
	"github.com/tokcost/tokcost/beam/pipeline"
)

var version = "dev"

type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(s string) error { *m = append(*m, s); return nil }

var (
	inputs, pricingFiles multi

	inputFormat    = flag.String("input_format", "", "force an input format (see 'tokcost formats'); default: detect per file")
	output         = flag.String("output", "", "write the report to this file (local path, gs:// or s3://); required")
	format         = flag.String("format", "json", "report format: json, markdown, html (any format 'tokcost analyze --format' takes)")
	sessionsOut    = flag.String("sessions_out", "", "also write one row per session as zstd Parquet, as 'tokcost analyze --sessions-out'")
	costSource     = flag.String("cost_source", "auto", "where a call's cost comes from: auto, computed, record")
	timeout        = flag.Duration("timeout", 10*time.Minute, "the agent runtime's session time limit (loops that ended before it are 'under the timeout')")
	loopMinRepeats = flag.Int("loop_min_repeats", analyze.DefaultMinRepeats, "repeats that make a runaway loop")
	top            = flag.Int("top", 10, "how many of the most expensive sessions to list")
	splitBytes     = flag.Int64("split_bytes", pipeline.DefaultSplitBytes, "read a local, uncompressed canonical JSONL file larger than this in byte ranges of this size, in parallel (0: never)")
)

func init() {
	flag.Var(&inputs, "input", "input files: a path or glob, local, gs:// or s3:// (repeatable)")
	flag.Var(&pricingFiles, "pricing", "price file layered over the embedded table, read when the pipeline is built (repeatable)")
	flag.Usage = func() {
		fmt.Fprint(flag.CommandLine.Output(), `tokcost-beam: tokcost's analysis (tokcost analyze) as an Apache Beam pipeline.

It matches the input files, reads each with tokcost's readers on the
runner's workers, groups the records by session id and writes the same
report tokcost analyze writes (docs/scale.md).

  # Prism, Beam's local runner (started in-process):
  tokcost-beam --input 'traces/*.jsonl' --output report.json

  # Dataflow (untested here; needs a GCP project and bucket):
  tokcost-beam --runner dataflow --project P --region us-central1 \
    --staging_location gs://B/staging --input 'gs://B/traces/*' --output gs://B/report.json

  # Flink or Spark (untested here): a job service from their Beam job server
  tokcost-beam --runner flink --endpoint localhost:8099 --environment_type LOOPBACK \
    --input '/data/traces/*' --output /data/report.json

Flags (the runner's own flags, e.g. --runner, --endpoint, --project, follow):
`)
		flag.PrintDefaults()
	}
}

func main() {
	flag.Parse()
	beam.Init()
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "tokcost-beam: %v\n", err)
		os.Exit(1)
	}
}

func run() error {
	opt := pipeline.Options{
		Inputs: inputs, InputFormat: *inputFormat, CostSource: *costSource,
		Timeout: *timeout, LoopMinRepeats: *loopMinRepeats, Top: *top,
		Format: *format, Output: *output, SessionsOut: *sessionsOut, ToolVersion: version,
		SplitBytes: *splitBytes,
	}
	for _, p := range pricingFiles {
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		opt.Pricing = append(opt.Pricing, pipeline.PriceFile{Name: filepath.Base(p), Data: b})
	}
	p, s := beam.NewPipelineWithRoot()
	if err := pipeline.Build(s, opt); err != nil {
		return err
	}
	return beamx.Run(context.Background(), p)
}
