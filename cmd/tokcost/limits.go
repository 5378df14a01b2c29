package main

import (
	"math"
	"os"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tokcost/tokcost/analyze"
	"github.com/tokcost/tokcost/ingest"
)

// limitFlags are the memory guards every reading command shares
// (docs/safety.md, "Memory and time").
type limitFlags struct {
	MaxLineBytes  string
	MaxInputBytes string
	MemoryLimit   string
	TempDir       string
}

func (l *limitFlags) register(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&l.MaxLineBytes, "max-line-bytes", "64MiB", "longest input line read; a longer one is skipped as an invalid line (\"line too long\")")
	f.StringVar(&l.MaxInputBytes, "max-input-bytes", "0", "stop with an error (exit 1) once the inputs, decompressed, exceed this many bytes in total; 0: no limit")
	f.StringVar(&l.MemoryLimit, "memory-limit", "", "memory to stay within: past three eighths of it, records spill to a temp file, and so do the reading state past an eighth and session summaries past a quarter (default: $GOMEMLIMIT, else half of the machine's memory; \"off\": never spill)")
	f.StringVar(&l.TempDir, "temp-dir", "", "directory for spill files (default: the OS's temp directory)")
}

// spillOptions turns --memory-limit and --temp-dir into the collector's
// spill options; ok is false when records are never to spill. The limit
// is not made the Go runtime's soft limit: when what cannot spill (the
// sessions' state) passes it, the collector would run without pause (3.3x
// the CPU time on the benchmark fleet at 64MiB, docs/performance.md).
func (l *limitFlags) spillOptions() (o analyze.SpillOptions, ok bool, err error) {
	limit := int64(0)
	switch v := strings.TrimSpace(l.MemoryLimit); {
	case v == "off":
		return o, false, nil
	case v != "":
		if limit, err = parseByteSize("--memory-limit", v); err != nil {
			return o, false, err
		}
		if limit < 1<<20 {
			return o, false, usageErr("--memory-limit must be at least 1MiB")
		}
	case os.Getenv("GOMEMLIMIT") != "" && os.Getenv("GOMEMLIMIT") != "off":
		// The runtime has already taken it as its limit.
		limit = debug.SetMemoryLimit(-1)
	default:
		limit = machineMemory() / 2
	}
	if limit <= 0 || limit == math.MaxInt64 {
		return o, false, nil
	}
	// The store gets half: three eighths for the records, an eighth for the
	// reading state (internal/store); the rest is for summaries, the
	// partitions being finished and the collector's headroom (docs/scale.md).
	return analyze.SpillOptions{Limit: limit / 2, Dir: l.TempDir, Create: createSpillTemp, Forget: forgetTemp}, true, nil
}

// machineMemory is the machine's physical memory in bytes, 0 when it
// cannot be told (only Linux's /proc/meminfo is read).
func machineMemory() int64 {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, "MemTotal:"); ok {
			f := strings.Fields(rest)
			if len(f) == 2 && f[1] == "kB" {
				if n, err := strconv.ParseInt(f[0], 10, 64); err == nil {
					return n << 10
				}
			}
		}
	}
	return 0
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

// memoryLimitText names the limit in force for messages.
func memoryLimitText(flag string) string {
	if flag != "" {
		return flag
	}
	if v := os.Getenv("GOMEMLIMIT"); v != "" {
		return "from GOMEMLIMIT=" + v
	}
	return "default: half the machine's memory"
}
