package ingest

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// TestShortenKeepsCharacters: shorten cuts at 200 bytes; a two-byte "é"
// starting at byte 199 straddles the cut, so the kept text is the 199 a's
// (199 bytes), then the ellipsis. Cutting at byte 200 kept half the "é",
// invalid UTF-8 in a message shown to the user.
func TestShortenKeepsCharacters(t *testing.T) {
	s := strings.Repeat("a", 199) + "é" + strings.Repeat("b", 50)
	got := Shorten(s)
	if want := strings.Repeat("a", 199) + "…"; got != want {
		t.Errorf("shorten = %q (valid %v), want %q", got, utf8.ValidString(got), want)
	}
	if short := "ümlaut"; Shorten(short) != short {
		t.Errorf("shorten(%q) = %q, want it unchanged", short, Shorten(short))
	}
}
