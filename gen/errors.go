package gen

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// Fixed tool-error texts that docs/formats/claude-code.md lists from real traces. They are
// not model retries, so they are hard negatives for loop detection.
const (
	siblingError  = "<tool_use_error>Sibling tool call errored</tool_use_error>"
	rejectedError = "The user doesn't want to proceed with this tool use. The tool use was rejected."
)

// errTemplate is an error message whose volatile parts (numbers, hex ids,
// quoted paths, timestamps) change on every attempt while the shape stays
// fixed. masked is that shape in the generator's own convention: <n> for
// numbers, <hex> for hex ids, <str> for quoted strings, <ts> for timestamps.
type errTemplate struct {
	masked string
	render func(r *rand.Rand, now int64) string
}

func hex6(r *rand.Rand) uint32 { return 0x100000 + r.Uint32N(0xf00000) }
func hex8(r *rand.Rand) uint32 { return 0x10000000 + r.Uint32N(0xe0000000) }

// num5 stays below six digits, so a number never looks like a hex id.
func num5(r *rand.Rand) int { return 10 + r.IntN(90000) }

func rfc3339(ms int64) string { return time.UnixMilli(ms).UTC().Format("2006-01-02T15:04:05.000Z") }

// Loop templates, keyed by tool. Several include quotes, backslashes, tabs
// and newlines so that JSON escaping is exercised on real-looking text.
var loopErrors = map[string][]errTemplate{
	"read_file": {
		{`ParseError: unexpected token '}' at line <n> col <n> in "<str>"`, func(r *rand.Rand, _ int64) string {
			return fmt.Sprintf(`ParseError: unexpected token '}' at line %d col %d in "/tmp/doc_%06x.json"`, num5(r), 1+r.IntN(120), hex6(r))
		}},
		{`FileNotFoundError: [WinError <n>] The system cannot find the path specified: "<str>"`, func(r *rand.Rand, _ int64) string {
			return fmt.Sprintf(`FileNotFoundError: [WinError 3] The system cannot find the path specified: "C:\agent\cache\%08x\index.json"`, hex8(r))
		}},
	},
	"run_sql": {
		{`ERROR: relation "<str>" does not exist at character <n> (SQLSTATE 42P01)`, func(r *rand.Rand, _ int64) string {
			return fmt.Sprintf(`ERROR: relation "staging_%08x" does not exist at character %d (SQLSTATE 42P01)`, hex8(r), num5(r))
		}},
	},
	"http_get": {
		{`HTTPError: 500 Internal Server Error for GET https://api.internal.example/v2/records/<n>?cursor=<hex> (request <hex> at <ts>)`, func(r *rand.Rand, now int64) string {
			return fmt.Sprintf(`HTTPError: 500 Internal Server Error for GET https://api.internal.example/v2/records/%d?cursor=%06x%06x (request %08x at %s)`, num5(r), hex6(r), hex6(r), hex8(r), rfc3339(now))
		}},
	},
	"run_tests": {
		{"FAILED tests/test_api.py::test_sync - AssertionError: assert 0x<hex> == 0x<hex>\n\tat line <n>", func(r *rand.Rand, _ int64) string {
			return fmt.Sprintf("FAILED tests/test_api.py::test_sync - AssertionError: assert 0x%08x == 0x%08x\n\tat line %d", hex8(r), hex8(r), num5(r))
		}},
	},
	"write_file": {
		{`PermissionError: [Errno 13] Permission denied: '<str>'`, func(r *rand.Rand, _ int64) string {
			return fmt.Sprintf(`PermissionError: [Errno 13] Permission denied: '/var/lib/agent/out/report_%d.csv'`, num5(r))
		}},
	},
	"search": {
		{`RateLimitError: 429 Too Many Requests; retry after <n>ms (trace_id=<hex>, at <ts>)`, func(r *rand.Rand, now int64) string {
			return fmt.Sprintf(`RateLimitError: 429 Too Many Requests; retry after %dms (trace_id=%08x%08x, at %s)`, 100+r.IntN(9000), hex8(r), hex8(r), rfc3339(now))
		}},
	},
	"search_kb": {
		{`IndexError: shard <n> unavailable for index "<str>" (epoch <n>)`, func(r *rand.Rand, _ int64) string {
			return fmt.Sprintf(`IndexError: shard %d unavailable for index "kb_%06x" (epoch %d)`, r.IntN(64), hex6(r), num5(r))
		}},
	},
	"lookup_order": {
		{`OrderServiceError: order <n> not found (correlation <hex>)`, func(r *rand.Rand, _ int64) string {
			return fmt.Sprintf(`OrderServiceError: order %d not found (correlation %06x%06x)`, num5(r), hex6(r), hex6(r))
		}},
	},
	"git_diff": {
		{`fatal: bad object <hex>`, func(r *rand.Rand, _ int64) string {
			return fmt.Sprintf(`fatal: bad object %08x%08x%08x%08x%08x`, hex8(r), hex8(r), hex8(r), hex8(r), hex8(r))
		}},
	},
	"grep": {
		{`grep: invalid regex at offset <n>: unmatched '(' in pattern "<str>"`, func(r *rand.Rand, _ int64) string {
			return fmt.Sprintf(`grep: invalid regex at offset %d: unmatched '(' in pattern "func (\w+\) %d"`, r.IntN(80), num5(r))
		}},
	},
}

// transientError is a one-off infrastructure failure that succeeds on retry.
func transientError(r *rand.Rand) string {
	switch r.IntN(3) {
	case 0:
		return fmt.Sprintf("HTTPError: 503 Service Unavailable (request id %06x%06x)", hex6(r), hex6(r))
	case 1:
		return "ConnectionResetError: [Errno 104] Connection reset by peer"
	}
	return fmt.Sprintf("TimeoutError: read timed out after %dms", 5000+r.IntN(25000))
}
