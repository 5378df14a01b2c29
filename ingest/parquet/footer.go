package parquet

import (
	"fmt"
	"sort"

	"github.com/apache/arrow-go/v18/parquet/file"
)

// checkFooter validates the footer's row groups before any is read: every
// column chunk lies inside the file (after the leading magic, before the
// footer) and no two chunks share bytes. A hostile footer that lists one
// row group 100,000 times otherwise had the same pages decoded 100,000
// times (2.2 GB resident); a chunk pointing past the end is an error now,
// not a read of garbage.
func checkFooter(pf *file.Reader, size int64) error {
	meta := pf.MetaData()
	// The footer (its length, the trailing magic and the metadata itself)
	// ends the file; chunks end before it.
	end := size - 8 - int64(meta.Size())
	type span struct {
		lo, hi int64
		g, c   int
	}
	var spans []span
	var rows int64
	for g := range pf.NumRowGroups() {
		rg := meta.RowGroup(g)
		if n := rg.NumRows(); n < 0 || rows+n < rows {
			return fmt.Errorf("parquet footer: row group %d has %d rows", g, n)
		}
		rows += rg.NumRows()
		for c := range rg.NumColumns() {
			cc, err := rg.ColumnChunk(c)
			if err != nil {
				return fmt.Errorf("parquet footer: row group %d column %d: %w", g, c, err)
			}
			lo := cc.DataPageOffset()
			if cc.HasDictionaryPage() && cc.DictionaryPageOffset() > 0 && cc.DictionaryPageOffset() < lo {
				lo = cc.DictionaryPageOffset()
			}
			n := cc.TotalCompressedSize()
			if lo < 4 || n <= 0 || n > end || lo > end-n {
				return fmt.Errorf("parquet footer: row group %d column %d: bytes %d+%d outside the file's data (4 to %d)", g, c, lo, n, end)
			}
			spans = append(spans, span{lo, lo + n, g, c})
		}
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].lo < spans[j].lo })
	for i := 1; i < len(spans); i++ {
		if a, b := spans[i-1], spans[i]; b.lo < a.hi {
			return fmt.Errorf("parquet footer: row group %d column %d overlaps row group %d column %d (a footer listing the same data twice)", b.g, b.c, a.g, a.c)
		}
	}
	return nil
}
