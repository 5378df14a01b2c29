package jsonscan

import (
	"bytes"
	"testing"
)

// TestPlainMatchesByteLoop checks the eight-bytes-at-a-time scan
// against the plain definition for every position of every special byte.
func TestPlainMatchesByteLoop(t *testing.T) {
	plain := func(line []byte, i int) int {
		for j := i + 1; j < len(line); j++ {
			switch c := line[j]; {
			case c == '"':
				return j + 1
			case c == '\\' || c < 0x20 || c >= 0x80:
				return -1
			}
		}
		return -1
	}
	for n := 0; n < 20; n++ {
		for pos := 0; pos < n; pos++ {
			for _, c := range []byte{'"', '\\', 0, 0x1f, 0x20, 0x7f, 0x80, 0xff, 'a'} {
				line := append([]byte{'"'}, bytes.Repeat([]byte{'x'}, n)...)
				line[1+pos] = c
				for _, tail := range []string{"", `"`, `\"`, "\x80"} {
					l := append(append([]byte(nil), line...), tail...)
					if got, want := Plain(l, 0), plain(l, 0); got != want {
						t.Fatalf("Plain(%q) = %d, want %d", l, got, want)
					}
				}
			}
		}
	}
}
