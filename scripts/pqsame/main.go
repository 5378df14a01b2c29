// Command pqsame tells whether Parquet files are the same, byte for byte,
// but for the one thing the writer (arrow-go v18) does not write the same
// way every run: the order of a column chunk's page encoding stats, which
// it takes from a Go map. That order differs run to run, with the same
// binary, when a column's dictionary falls back to PLAIN. Used to compare
// `tokcost convert` outputs of two binaries (scripts/outputs.sh):
//
//	go run ./scripts/pqsame A.parquet B.parquet [A2 B2 ...]
//
// It exits 0 when every pair is identical or differs only in that order
// (it says which), 1 otherwise.
package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/parquet/file"
)

func main() {
	args := os.Args[1:]
	if len(args) == 0 || len(args)%2 != 0 {
		fmt.Fprintln(os.Stderr, "usage: pqsame A B [A2 B2 ...]")
		os.Exit(2)
	}
	status := 0
	for i := 0; i < len(args); i += 2 {
		verdict, err := compare(args[i], args[i+1])
		if err != nil {
			fmt.Printf("DIFFERENT %s %s: %v\n", args[i], args[i+1], err)
			status = 1
			continue
		}
		fmt.Printf("%s %s %s\n", verdict, args[i], args[i+1])
	}
	os.Exit(status)
}

func compare(a, b string) (string, error) {
	da, err := os.ReadFile(a)
	if err != nil {
		return "", err
	}
	db, err := os.ReadFile(b)
	if err != nil {
		return "", err
	}
	if bytes.Equal(da, db) {
		return "identical", nil
	}
	if len(da) != len(db) {
		return "", fmt.Errorf("sizes %d and %d", len(da), len(db))
	}
	if len(da) < 12 || string(da[len(da)-4:]) != "PAR1" {
		return "", fmt.Errorf("not Parquet")
	}
	fa := int(binary.LittleEndian.Uint32(da[len(da)-8:]))
	fb := int(binary.LittleEndian.Uint32(db[len(db)-8:]))
	if fa != fb || fa > len(da)-12 {
		return "", fmt.Errorf("footer lengths %d and %d", fa, fb)
	}
	start := len(da) - 8 - fa
	if !bytes.Equal(da[:start], db[:start]) {
		return "", fmt.Errorf("data pages differ (before the footer at %d)", start)
	}
	ma, err := describe(a)
	if err != nil {
		return "", err
	}
	mb, err := describe(b)
	if err != nil {
		return "", err
	}
	if ma != mb {
		return "", fmt.Errorf("footers differ beyond the encoding stats' order")
	}
	// The footers hold the same fields; the differing bytes must also be
	// a permutation of each other.
	sa, sb := slices.Clone(da[start:]), slices.Clone(db[start:])
	slices.Sort(sa)
	slices.Sort(sb)
	if !bytes.Equal(sa, sb) {
		return "", fmt.Errorf("footer bytes differ")
	}
	return "same-but-encoding-stats-order", nil
}

// describe lists what the footer says, encoding stats sorted.
func describe(path string) (string, error) {
	r, err := file.OpenParquetFile(path, false)
	if err != nil {
		return "", err
	}
	defer func() { _ = r.Close() }() // read only
	md := r.MetaData()
	var sb strings.Builder
	fmt.Fprintf(&sb, "rows %d version %v created %q\n%s\n", md.NumRows, md.Version(), md.GetCreatedBy(), md.Schema.String())
	if kv := md.KeyValueMetadata(); kv != nil {
		fmt.Fprintf(&sb, "kv %v %v\n", kv.Keys(), kv.Values())
	}
	for g := range md.NumRowGroups() {
		rg := md.RowGroup(g)
		fmt.Fprintf(&sb, "rg %d rows %d bytes %d\n", g, rg.NumRows(), rg.TotalByteSize())
		for c := range rg.NumColumns() {
			cc, err := rg.ColumnChunk(c)
			if err != nil {
				return "", err
			}
			es := cc.EncodingStats()
			keys := make([]string, len(es))
			for i, e := range es {
				keys[i] = fmt.Sprint(e)
			}
			slices.Sort(keys)
			st, _ := cc.Statistics()
			stText := ""
			if st != nil {
				stText = fmt.Sprintf("%v %v %v", st.NullCount(), st.HasMinMax(), st.EncodeMin())
				stText += fmt.Sprintf(" %x", st.EncodeMax())
			}
			fmt.Fprintf(&sb, " %s %v %v %d %d %d %d %d %v %s\n", cc.PathInSchema(), cc.Encodings(), keys, cc.TotalCompressedSize(),
				cc.TotalUncompressedSize(), cc.NumValues(), cc.DataPageOffset(), cc.DictionaryPageOffset(), cc.Compression(), stText)
		}
	}
	return sb.String(), nil
}
