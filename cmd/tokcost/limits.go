package main

import (
	"math"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tokcost/tokcost/ingest"
)

// limitFlags are the memory guards every reading command shares
// (docs/safety.md, "Memory and time").
type limitFlags struct {
	MaxLineBytes  string
	MaxInputBytes string
}

func (l *limitFlags) register(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&l.MaxLineBytes, "max-line-bytes", "64MiB", "longest input line read; a longer one is skipped as an invalid line (\"line too long\")")
	f.StringVar(&l.MaxInputBytes, "max-input-bytes", "0", "stop with an error (exit 1) once the inputs, decompressed, exceed this many bytes in total; 0: no limit")
}

// ingestOptions validates the limits and builds ingest.Run's options.
func (o *inputOptions) ingestOptions(ios *IOStreams, fieldMap map[string]string) (ingest.Options, error) {
	line, err := parseByteSize("--max-line-bytes", o.Limits.MaxLineBytes)
	if err != nil {
		return ingest.Options{}, err
	}
	if line < 1 || line > math.MaxInt32 {
		return ingest.Options{}, usageErr("--max-line-bytes must be between 1 and 2GiB")
	}
	input, err := parseByteSize("--max-input-bytes", o.Limits.MaxInputBytes)
	if err != nil {
		return ingest.Options{}, err
	}
	win, err := o.window()
	if err != nil {
		return ingest.Options{}, err
	}
	return ingest.Options{Format: o.InputFormat, Stdin: ios.In, Map: fieldMap, MaxLineBytes: int(line), MaxInputBytes: input, Window: win}, nil
}

// parseByteSize reads a byte count: digits, optionally followed by KB,
// MB, GB (powers of 1000) or KiB, MiB, GiB (powers of 1024).
func parseByteSize(flag, s string) (int64, error) {
	t := strings.TrimSpace(s)
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"B", 1}} {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n < 0 || n > math.MaxInt64/mult {
		return 0, usageErr("invalid %s %q: want a byte count such as 1048576, 64MiB or 10GB", flag, s)
	}
	return n * mult, nil
}
