package sqlserver

import (
	"fmt"
	"slices"
	"testing"

	"github.com/dolthub/go-mysql-server/sql"

	"github.com/quarrydb/quarry/storage/rowcodec"
)

// TestRowBufferDedup checks DISTINCT's grouping of buffered rows, with
// hashes as they come and with every key colliding (so that sameKey
// alone decides): strings equal under utf8mb4_0900_ai_ci group, NULLs
// group, integers group by value, and the first row of each group stays.
func TestRowBufferDedup(t *testing.T) {
	str := func(s string) rowcodec.Slot { return rowcodec.Slot{B: []byte(s)} }
	null := rowcodec.Slot{Null: true}
	num := func(i int64) rowcodec.Slot { return rowcodec.Slot{I: i} }
	rows := [][]rowcodec.Slot{
		{str("Rush"), num(1)}, // 0
		{str("rush"), num(1)}, // 1: as 0
		{str("Rush"), num(2)}, // 2
		{null, num(1)},        // 3
		{null, num(1)},        // 4: as 3
		{str("café"), null},   // 5
		{str("CAFE"), null},   // 6: as 5 (accent- and case-insensitive)
		{str("cafe"), num(0)}, // 7
		{str("rushx"), num(1)},
		{str(""), num(1)},
		{null, null},
		{str(""), num(1)}, // 11: as 9
	}
	want := []int32{0, 2, 3, 5, 7, 8, 9, 10}
	for _, mask := range []uint64{^uint64(0), 0} {
		t.Run(fmt.Sprintf("mask %x", mask), func(t *testing.T) {
			defer func(m uint64) { keyHashMask = m }(keyHashMask)
			keyHashMask = mask
			rr := &rangeRead{cols: []int{0, 1}, out: []int{0, 1}, entries: 1,
				distinct: []distinctKey{{weights: weightsOf(sql.Collation_utf8mb4_0900_ai_ci)}, {}}}
			b := newRowBuffer(rr, &stmtState{})
			defer b.release()
			for _, r := range rows {
				if err := b.add(r); err != nil {
					t.Fatal(err)
				}
			}
			b.dedup()
			if !slices.Equal(b.order, want) {
				t.Fatalf("kept rows %v, want %v", b.order, want)
			}
		})
	}
}
