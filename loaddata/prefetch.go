package loaddata

import (
	"context"
	"io"
	"sync"

	"github.com/dolthub/go-mysql-server/sql"
)

// prefetchBatch is the number of records a prefetcher hands over at once.
const prefetchBatch = 512

// prefetcher parses records on its own goroutine, a few batches ahead of
// the consumer, so reading and splitting the file overlaps the INSERT's
// work on the rows. The consumer (Next and Close) runs on one goroutine.
type prefetcher struct {
	out  chan recordBatch
	done chan struct{}
	wg   sync.WaitGroup

	cur  [][]Field
	err  error // the producer's final error (io.EOF at the end)
	once sync.Once
	// aborted is why the producer stopped before the end (set before it
	// closes out): a closed channel then must not read as end of file.
	aborted error
}

type recordBatch struct {
	recs [][]Field
	err  error // set on the last batch
}

// startPrefetch skips ignore lines and then parses p's records. The
// producer also ends when ctx (the statement's) is done, in case the
// consumer is never closed.
func startPrefetch(ctx context.Context, p *Parser, ignore int64) *prefetcher {
	pf := &prefetcher{out: make(chan recordBatch, 4), done: make(chan struct{})}
	pf.wg.Add(1)
	go func() {
		defer pf.wg.Done()
		defer close(pf.out)
		send := func(b recordBatch) bool {
			select {
			case pf.out <- b:
				return true
			case <-pf.done:
				return false
			case <-ctx.Done():
				pf.aborted = ctx.Err()
				return false
			}
		}
		for ; ignore > 0; ignore-- {
			more, err := p.SkipLine()
			if err != nil {
				send(recordBatch{err: err})
				return
			}
			if !more {
				send(recordBatch{err: io.EOF})
				return
			}
		}
		for {
			recs := make([][]Field, 0, prefetchBatch)
			var err error
			for len(recs) < prefetchBatch {
				var fields []Field
				if fields, err = p.Record(); err != nil {
					break
				}
				recs = append(recs, fields)
			}
			if !send(recordBatch{recs: recs, err: err}) || err != nil {
				return
			}
		}
	}()
	return pf
}

// next returns the next record's fields, or the parse error (io.EOF at
// the end).
func (pf *prefetcher) next(ctx *sql.Context) ([]Field, error) {
	for len(pf.cur) == 0 {
		if pf.err != nil {
			return nil, pf.err
		}
		var b recordBatch
		var ok bool
		select {
		case b, ok = <-pf.out:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if !ok {
			pf.err = io.EOF
			if pf.aborted != nil {
				pf.err = pf.aborted
			}
			continue
		}
		pf.cur, pf.err = b.recs, b.err
	}
	f := pf.cur[0]
	pf.cur[0] = nil
	pf.cur = pf.cur[1:]
	return f, nil
}

// stop ends the producer and waits for it, so the reader can be closed.
func (pf *prefetcher) stop() {
	pf.once.Do(func() { close(pf.done) })
	pf.wg.Wait()
}
