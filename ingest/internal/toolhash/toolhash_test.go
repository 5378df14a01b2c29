package toolhash

import (
	"strings"
	"testing"

	"github.com/valyala/fastjson"
)

// TestToolArgsCanonical: two arguments are the same when their canonical
// JSON texts are: key order, whitespace and number spelling do not
// matter; any other difference does.
func TestToolArgsCanonical(t *testing.T) {
	h := func(s string) uint64 {
		v, err := fastjson.Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		return JSON(v)
	}
	same := [][2]string{
		{`{"path":"src/app.py","limit":10}`, `{ "limit" : 10 ,"path":"src/app.py" }`},
		{`{"a":[1,2,{"x":true,"y":null}]}`, "{\"a\":[1.0, 2e0, {\"y\":null,\n\"x\":true}]}"},
		{`"src/app.py"`, `"src\/app.py"`}, // an escape is the same character
	}
	for _, p := range same {
		if h(p[0]) != h(p[1]) {
			t.Errorf("%s and %s hash differently", p[0], p[1])
		}
	}
	differ := [][2]string{
		{`{"path":"a"}`, `{"path":"b"}`},
		{`{"path":"a"}`, `{"file":"a"}`},
		{`[1,2]`, `[2,1]`}, // arrays keep their order
		{`"1"`, `1`},       // a string is not a number
		{`{"a":"b","c":""}`, `{"a":"","c":"b"}`},
		{`[["a"],"b"]`, `[["a","b"]]`}, // nesting is part of the value
	}
	for _, p := range differ {
		if h(p[0]) == h(p[1]) {
			t.Errorf("%s and %s hash alike", p[0], p[1])
		}
	}
	// A string value hashes as its text does, so a result given as text
	// and one given as a JSON string compare equal.
	if h(`"done"`) != Text("done") {
		t.Error(`JSON("done") != Text("done")`)
	}
}

// TestArgsLabel: the excerpt prefers a path-like key, is printable and at
// most MaxLabel bytes.
func TestArgsLabel(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`{"limit":5,"file_path":"src/app.py"}`, "src/app.py"},
		{`{"q":"first","z":"second"}`, "first"},
		{`"ls -la\n\tfoo"`, "ls -la  foo"},
		{`{"n":1}`, ""},
		{`[1]`, ""},
		// 50 ASCII bytes: the first 45, then "…" (3 bytes) = 48.
		{`"` + strings.Repeat("x", 50) + `"`, strings.Repeat("x", 45) + "…"},
		// Exactly 48 bytes fit uncut.
		{`"` + strings.Repeat("y", 48) + `"`, strings.Repeat("y", 48)},
		// "é" is 2 bytes: 22 of them (44 bytes) fit before "…", a 23rd would not.
		{`"` + strings.Repeat("é", 30) + `"`, strings.Repeat("é", 22) + "…"},
	} {
		v := fastjson.MustParse(c.in)
		if got := ArgsLabel(v); got != c.want || len(got) > MaxLabel {
			t.Errorf("ArgsLabel(%s) = %q, want %q", c.in, got, c.want)
		}
	}
}
