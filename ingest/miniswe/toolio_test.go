package miniswe

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/tokcost/tokcost/ingest"
	"github.com/tokcost/tokcost/ingest/ingesttest"
)

// TestToolIO: every bash action's command is its arguments (hashed as
// text), its output's raw_output the result. The expected values come from
// the real sample through the independent Python implementation of the
// hash in ingest/openhands/toolio_test.go (functions hjson, label), with:
//
//	ms = json.load(open('astropy__astropy-12907.traj.json'))['messages']
//	out = {m['tool_call_id']: m['extra'] for m in ms if m.get('role') == 'tool' and m.get('tool_call_id')}
//	rows = []
//	for m in ms:
//	    for a in (m.get('extra') or {}).get('actions') or []:
//	        c = a['command']; x = out.get(a['tool_call_id'])
//	        rh, rb = (hjson(x['raw_output']), len(x['raw_output'].encode())) if x is not None and isinstance(x.get('raw_output'), str) else (0, 0)
//	        rows.append((hjson(c), rh, rb, c))
//	print(len(rows), sum(1 for r in rows if r[1]), sum(r[2] for r in rows))        # 64 63 52332
//	print(hex(reduce(xor, [r[0] for r in rows])), hex(reduce(xor, [r[1] for r in rows])))
//	print(len(set(r[0] for r in rows)), len(set(r[1] for r in rows if r[1])))   # 58 54
//	print(rows[0], rows[-1], repr(rows[0][3][:45]), repr(rows[-1][3][:45]))
//
// Both labels are longer than 48 bytes: their first 45 bytes and "…".
func TestToolIO(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", sample))
	if err != nil {
		t.Fatal(err)
	}
	s := ingesttest.Decode(t, Format{}, sample, data)
	var tools, results int
	var bytes int64
	var xa, xr uint64
	args, res := map[uint64]bool{}, map[uint64]bool{}
	var recs []ingest.Record
	for _, r := range s.Recs {
		if r.Kind != ingest.KindTool {
			continue
		}
		recs = append(recs, r)
		tools++
		xa ^= r.ToolArgsHash
		xr ^= r.ToolResultHash
		args[r.ToolArgsHash] = true
		if r.ToolResultHash != 0 {
			results++
			bytes += r.ToolResultBytes
			res[r.ToolResultHash] = true
		}
	}
	if tools != 64 || results != 63 || bytes != 52332 || len(args) != 58 || len(res) != 54 {
		t.Errorf("tools %d, with result %d, result bytes %d, distinct args %d, distinct results %d; want 64, 63, 52332, 58, 54",
			tools, results, bytes, len(args), len(res))
	}
	if xa != 0x7d50cbbbdad29deb || xr != 0x182e2a8c401c02f6 {
		t.Errorf("xor of argument hashes %#x, of result hashes %#x", xa, xr)
	}
	if len(recs) != 64 {
		t.Fatalf("%d tool records", len(recs))
	}
	first, last := recs[0], recs[63]
	if first.ToolArgsHash != 0xa21ffee22045077b || first.ToolResultHash != 0x287b974243136f66 || first.ToolResultBytes != 32 ||
		first.ToolArgsLabel != `cd /testbed && find . -path "*/separable*" -t…` {
		t.Errorf("first: %+v", first)
	}
	// The last action (the submission) has no output.
	if last.ToolArgsHash != 0x34872b46f10c409b || last.ToolResultHash != 0 || last.ToolResultBytes != 0 ||
		last.ToolArgsLabel != "cd /testbed && echo COMPLETE_TASK_AND_SUBMIT_…" {
		t.Errorf("last: %+v", last)
	}
}
