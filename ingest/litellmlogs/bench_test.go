package litellmlogs

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/tokcost/tokcost/ingest/ingesttest"
)

// BenchmarkDecode reads the real rows of testdata/spendlogs.jsonl as one
// JSON array, the form the document walk reads (docs/performance.md).
func BenchmarkDecode(b *testing.B) {
	data, err := os.ReadFile("testdata/spendlogs.jsonl")
	if err != nil {
		b.Fatal(err)
	}
	rows := bytes.Split(bytes.TrimSpace(data), []byte("\n"))
	doc := append(append([]byte("["), bytes.Join(rows, []byte(",\n"))...), ']')
	dir := b.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "spendlogs.json"), doc, 0o600); err != nil {
		b.Fatal(err)
	}
	ingesttest.BenchmarkDecode(b, Format{}, filepath.Join(dir, "*.json"))
}
