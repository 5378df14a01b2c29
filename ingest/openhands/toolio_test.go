package openhands

import (
	"os"
	"testing"

	"github.com/tokcost/tokcost/ingest"
)

// The expected hashes below were computed from the real files by this
// independent Python implementation of ingest's hash (FNV-1a 64 over the
// canonical form: a type byte, lengths as base-128 varints, object keys
// sorted by their UTF-8 bytes) and label (toolhash.ArgsLabel), run as
// python3 with this file's functions and the loop at the end:
//
//	import json
//	M = 2**64 - 1
//	def fnv(h, b): return ((h ^ b) * 1099511628211) & M
//	def uv(h, n):
//	    while n >= 0x80:
//	        h = fnv(h, (n & 0x7f) | 0x80); n >>= 7
//	    return fnv(h, n)
//	def st(h, t):
//	    b = t.encode()
//	    h = uv(h, len(b))
//	    for c in b: h = fnv(h, c)
//	    return h
//	def val(h, v):
//	    if isinstance(v, str): return st(fnv(h, ord('s')), v)
//	    if v is True: return fnv(h, ord('t'))
//	    if v is False: return fnv(h, ord('f'))
//	    if v is None: return fnv(h, ord('z'))
//	    if isinstance(v, (int, float)):
//	        assert float(v).is_integer() and abs(v) < 1e6, v  # Go 'g' = plain integer text here
//	        return st(fnv(h, ord('n')), str(int(v)))
//	    if isinstance(v, list):
//	        h = uv(fnv(h, ord('a')), len(v))
//	        for x in v: h = val(h, x)
//	        return h
//	    h = uv(fnv(h, ord('o')), len(v))
//	    for k in sorted(v, key=lambda k: k.encode()):
//	        h = val(st(h, k), v[k])
//	    return h
//	def hjson(v): return val(14695981039346656037, v) or 1
//	KEYS = ["file_path", "path", "filename", "file", "url", "command", "cmd", "query", "pattern", "name"]
//	def label(v):
//	    if isinstance(v, str): s = v
//	    else:
//	        s = next((v[k] for k in KEYS if isinstance(v.get(k), str)), None)
//	        if s is None: s = next((x for x in v.values() if isinstance(x, str)), "")
//	    assert s.isascii() and all(ord(c) >= 0x20 for c in s), s  # else the cut below is not Label's
//	    return s if len(s) <= 48 else s[:45] + "\u2026"  # 45 bytes + 3-byte ellipsis
//	def text(s):  # arguments given as text: JSON if it parses
//	    try: v = json.loads(s)
//	    except ValueError: return hjson(s), s
//	    return hjson(v), label(v)
//
//	for f in ['wrong_initial_state.json', 'basic_gui_mode.json']:
//	    ev = json.load(open(f)); obs = {}
//	    for e in ev:
//	        if 'observation' in e and e.get('tool_call_metadata'): obs[e['tool_call_metadata']['tool_call_id']] = e
//	    for e in ev:
//	        m = e.get('tool_call_metadata')
//	        if 'action' in e and m and m.get('function_name'):
//	            tc = [t for c in m['model_response']['choices'] for t in (c['message'].get('tool_calls') or []) if t['id'] == m['tool_call_id']]
//	            ah, al = text(tc[0]['function']['arguments']) if tc else (0, '')
//	            o = obs.get(m['tool_call_id'])
//	            rh, rb = (hjson(o['content']), len(o['content'].encode())) if o and isinstance(o.get('content'), str) else (0, 0)
//	            print(f, e['id'], m['function_name'], '0x%016x' % ah, repr(al), '0x%016x' % rh, rb)
//
// The arguments are the model's tool call (model_response …
// tool_calls[].function.arguments, a JSON text), the result the
// observation's content.
func TestToolIO(t *testing.T) {
	type io struct {
		seq    int64
		tool   string
		args   uint64
		label  string
		result uint64
		bytes  int64
	}
	for _, tt := range []struct {
		file string
		want []io
	}{
		{"wrong_initial_state.json", []io{
			// Steps 3 and 7 view /workspace with the same arguments and
			// read different listings (the file was renamed in between).
			{3, "str_replace_editor", 0xb8f4e2843326ae94, "/workspace", 0xba57faa1dc67bf12, 127},
			{5, "execute_bash", 0xc76797d15d22b6c4, "mv /workspace/game_2048.py /workspace/2048.py", 0x08d90e07b578eac6, 0},
			{7, "str_replace_editor", 0xb8f4e2843326ae94, "/workspace", 0xa516519c901ef7a4, 122},
			// finish has no observation: no result.
			{9, "finish", 0x08b04607b55644da, "", 0, 0},
		}},
		{"basic_gui_mode.json", []io{
			{7, "execute_bash", 0xbd6280c23cddb42d, "mkdir -p /workspace/todo-app", 0x08d90e07b578eac6, 0},
			{9, "str_replace_editor", 0x7d925cbe47ac5e5d, "/workspace/todo-app/index.html", 0xdc59eb44ddb8e6e6, 4017},
			{11, "str_replace_editor", 0x8fcc2e1c7d5d2cd7, "/workspace/todo-app/app.js", 0xbd8a296165537ec6, 2197},
			{13, "execute_bash", 0x920cfc59abd44c09, "cd /workspace/todo-app && python3 -m http.ser…", 0x2c64e3d096125566, 60},
		}},
	} {
		data, err := os.ReadFile("testdata/" + tt.file)
		if err != nil {
			t.Fatal(err)
		}
		var got []io
		for _, r := range decode(t, tt.file, string(data)).Recs {
			if r.Kind == ingest.KindTool {
				got = append(got, io{r.Seq, r.Tool, r.ToolArgsHash, r.ToolArgsLabel, r.ToolResultHash, r.ToolResultBytes})
			}
		}
		if len(got) != len(tt.want) {
			t.Fatalf("%s: %d tool records, want %d: %+v", tt.file, len(got), len(tt.want), got)
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Errorf("%s: got  %+v\nwant %+v", tt.file, got[i], tt.want[i])
			}
		}
	}
}
