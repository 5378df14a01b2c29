package parquet

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/file"
)

// repeatRowGroup rewrites a Parquet file's footer so that it lists its
// first row group n times, as the hostile file of issue 13 did.
func repeatRowGroup(t *testing.T, data []byte, n int) []byte {
	t.Helper()
	pf, err := file.NewParquetReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	meta := pf.MetaData()
	body := data[:len(data)-8-meta.Size()]
	sub, err := meta.Subset(make([]int, n)) // n times row group 0
	if err != nil {
		t.Fatal(err)
	}
	var footer bytes.Buffer
	if _, err := sub.WriteTo(&footer, nil); err != nil {
		t.Fatal(err)
	}
	out := append(append([]byte(nil), body...), footer.Bytes()...)
	out = binary.LittleEndian.AppendUint32(out, uint32(footer.Len()))
	return append(out, "PAR1"...)
}

func TestFooterRepeatedRowGroup(t *testing.T) {
	good := writeFixture(t, fields(fld("session_id", str), fld("input_tokens", i64)), `[{"session_id":"s","input_tokens":1},{"session_id":"s","input_tokens":2}]`, compress.Codecs.Zstd, 10)
	// The rewrite itself is sound: listing the row group once reads the
	// file's two rows.
	if recs, _, _ := readFixture(t, saveFixture(t, "once.parquet", repeatRowGroup(t, good, 1))); len(recs) != 2 {
		t.Fatalf("rewritten footer with one row group: %d records, want 2", len(recs))
	}
	// Listed 1,000 times: refused before reading (it read 2,000 rows).
	err := readErr(saveFixture(t, "repeat.parquet", repeatRowGroup(t, good, 1000)))
	if err == nil || !strings.Contains(err.Error(), "overlaps") {
		t.Fatalf("err %v, want an overlap error", err)
	}
}
