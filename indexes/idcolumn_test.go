package indexes

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"
	"time"
	"weak"

	"github.com/blevesearch/bleve/v2/index/scorch"
	zap "github.com/blevesearch/zapx/v16"
)

// colSegment is a persisted segment with what idColumnCache.column takes.
type colSegment struct {
	ss             *scorch.SegmentSnapshot
	zs             *zap.Segment
	mem            []byte
	index, numDocs uint64
}

// columnSegments returns the zap v16 segments of a churned index (IDs
// "id000001"...), failing unless there are at least two.
func columnSegments(t *testing.T, seed uint64) []colSegment {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, seed+1))
	n := 0
	_, b := churnedKeywordIndex(t, r, func() string { n++; return fmt.Sprintf("id%06d", n) }, func() string { return "x" })
	rd := indexReader(t, b)
	t.Cleanup(func() { rd.Close() })
	var out []colSegment
	for _, ss := range rd.(*scorch.IndexSnapshot).Segments() {
		if zs, ok := ss.Segment().(*zap.Segment); ok && zs.Version() == zap.Version {
			out = append(out, colSegment{ss, zs, zs.Data(), zs.StoredIndexOffset(), zs.NumDocs()})
		}
	}
	if len(out) < 2 {
		t.Fatalf("%d zap v16 segments, want 2 or more", len(out))
	}
	return out
}

func (s colSegment) column(c *idColumnCache, want int) *idColumn {
	return c.column(s.zs, s.mem, s.index, s.numDocs, want)
}

// checkColumn fails unless col holds the segment's IDs, as DocID reads
// them.
func checkColumn(t *testing.T, s colSegment, col *idColumn) {
	t.Helper()
	if len(col.ends) != int(s.numDocs) {
		t.Fatalf("column of %d documents, segment has %d", len(col.ends), s.numDocs)
	}
	for d := range uint32(s.numDocs) {
		want, err := s.ss.DocID(uint64(d))
		if err != nil {
			t.Fatal(err)
		}
		if got := col.id(d); string(got) != string(want) || cap(got) != len(got) {
			t.Fatalf("document %d: column ID %q (cap %d), DocID %q", d, got, cap(got), want)
		}
	}
}

// TestIDColumnCachePolicy: a segment gets a column once the documents
// read through its stored section reach a quarter of it, and keeps it;
// the least recently used column goes when the budget would be exceeded,
// and its demand starts again; a column over maxColumn (half the budget
// by default) is never built.
func TestIDColumnCachePolicy(t *testing.T) {
	defer func(m uint64) { idColumnMinDocs = m }(idColumnMinDocs)
	idColumnMinDocs = 1
	segs := columnSegments(t, 41)
	s0, s1 := segs[0], segs[1]
	var sizes []int64
	for _, s := range segs[:2] {
		col, ok := buildIDColumn(s.mem, s.index, s.numDocs)
		if !ok {
			t.Fatal("buildIDColumn failed on a zap v16 segment")
		}
		checkColumn(t, s, col)
		sizes = append(sizes, col.bytes())
	}
	if c := newIDColumnCache(1000); c.maxColumn != 500 {
		t.Fatalf("maxColumn %d of a budget of 1000, want 500", c.maxColumn)
	}

	// Room for one column: either fits, both do not.
	c := newIDColumnCache(max(sizes[0], sizes[1]) + min(sizes[0], sizes[1])/2)
	c.maxColumn = c.budget
	quarter := int(s0.numDocs / 4)
	if col := s0.column(c, quarter-1); col != nil {
		t.Fatal("a column below the demand threshold")
	}
	col0 := s0.column(c, 1)
	if col0 == nil {
		t.Fatal("no column at the demand threshold")
	}
	checkColumn(t, s0, col0)
	if again := s0.column(c, 1); again != col0 {
		t.Fatal("the column was not kept")
	}
	col1 := s1.column(c, int(s1.numDocs))
	if col1 == nil {
		t.Fatal("no column for a read of the whole segment")
	}
	checkColumn(t, s1, col1)
	if entries, cols, used := c.stats(); cols != 1 || entries != 2 || used != col1.bytes() {
		t.Fatalf("%d entries, %d columns, %d bytes; want 2 entries and s1's column of %d bytes", entries, cols, used, col1.bytes())
	}
	if s0.column(c, 1) != nil {
		t.Fatal("the evicted column was kept, or rebuilt without demand")
	}
	if s0.column(c, int(s0.numDocs)) == nil || s1.column(c, 1) != nil {
		t.Fatal("after new demand: s0's column not rebuilt, or s1's not evicted")
	}

	// A column over maxColumn: never built, however much read.
	small := newIDColumnCache(1 << 20)
	small.maxColumn = sizes[0] - 1
	for range 3 {
		if s0.column(small, int(s0.numDocs)) != nil {
			t.Fatalf("a column of %d bytes, maxColumn %d", sizes[0], small.maxColumn)
		}
	}
	if _, cols, used := small.stats(); cols != 0 || used != 0 {
		t.Fatalf("%d columns of %d bytes, want none", cols, used)
	}
}

// TestIDColumnCacheConcurrent: readers of the same segments, in a cache
// that holds only some of their columns, get correct columns or none
// while columns are built and evicted under them. Run under -race.
func TestIDColumnCacheConcurrent(t *testing.T) {
	defer func(m uint64) { idColumnMinDocs = m }(idColumnMinDocs)
	idColumnMinDocs = 1
	segs := columnSegments(t, 43)
	col, _ := buildIDColumn(segs[0].mem, segs[0].index, segs[0].numDocs)
	c := newIDColumnCache(3 * col.bytes())
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(w), 7))
			for range 300 {
				s := segs[r.IntN(len(segs))]
				d := uint32(r.IntN(int(s.numDocs)))
				if col := s.column(c, int(s.numDocs)/3); col != nil {
					want, err := s.ss.DocID(uint64(d))
					if err != nil {
						t.Error(err)
						return
					}
					if string(col.id(d)) != string(want) {
						t.Errorf("document %d: column ID %q, DocID %q", d, col.id(d), want)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	if _, _, used := c.stats(); used > c.budget {
		t.Fatalf("%d bytes of columns in a cache of %d", used, c.budget)
	}
}

// TestIDColumnDroppedWithSegment: once scorch has closed a segment and
// nothing refers to it, the collector drops its entry and its column.
func TestIDColumnDroppedWithSegment(t *testing.T) {
	defer func(m uint64) { idColumnMinDocs = m }(idColumnMinDocs)
	idColumnMinDocs = 1
	c := newIDColumnCache(64 << 20)
	var alive []weak.Pointer[zap.Segment]
	// The subtest's cleanups close the reader and the index.
	t.Run("index", func(t *testing.T) {
		for _, s := range columnSegments(t, 45) {
			if s.column(c, int(s.numDocs)) == nil {
				t.Fatal("no column for a read of the whole segment")
			}
			alive = append(alive, weak.Make(s.zs))
		}
	})
	if entries, cols, _ := c.stats(); entries == 0 || cols != entries {
		t.Fatalf("%d entries, %d columns before the index was closed", entries, cols)
	}
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		runtime.GC()
		if entries, _, used := c.stats(); entries == 0 && used == 0 {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	live := 0
	for _, w := range alive {
		if w.Value() != nil {
			live++
		}
	}
	entries, cols, used := c.stats()
	t.Fatalf("after the index was closed: %d entries, %d columns, %d bytes; %d of %d segments still reachable", entries, cols, used, live, len(alive))
}
