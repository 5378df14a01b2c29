package pricefile

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// An error quoting a bad value keeps whole characters (issue 12.9): the
// value is `"` then 30 × "é" (2 bytes each), so byte 40 is the second
// byte of the 20th é; the quote is cut to the quote and 19 é (39 bytes).
func TestTruncateKeepsUTF8(t *testing.T) {
	val := `"` + strings.Repeat("é", 30) + `"`
	_, err := ParseLiteLLM([]byte(`{"m":{"mode":"chat","input_cost_per_token":`+val+`}}`), false)
	if err == nil {
		t.Fatal("a string price was accepted")
	}
	msg := err.Error()
	if !utf8.ValidString(msg) {
		t.Errorf("error is not valid UTF-8: %q", msg)
	}
	if want := `"` + strings.Repeat("é", 19) + "…"; !strings.Contains(msg, want) {
		t.Errorf("error %q, want it to quote %q", msg, want)
	}
	if got := truncate([]byte("short")); got != "short" {
		t.Errorf("truncate(short) %q", got)
	}
}
