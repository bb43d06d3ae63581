package pebblekv

import (
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// walCategory is the write category Pebble creates its WAL files with.
const walCategory vfs.DiskWriteCategory = "pebble-wal"

// walSpareName is the spare WAL's file name in the store's directory.
// Pebble ignores files whose names it does not parse.
const walSpareName = "QUARRY-WAL-SPARE"

// walSpareFS hands Pebble new WAL files whose blocks are already written.
//
// fdatasync of a file that grows must also make its new size durable (a
// journal commit on ext4); fdatasync of blocks that overwrite written ones
// need not. On this project's machine that is ~100 µs of CPU and ~180 µs
// of latency per commit sync against ~58 µs and ~115 µs. Pebble recycles
// obsolete WALs for that reason, but has none to recycle for its first
// WALs after Open. So walSpareFS keeps one spare: size zero bytes, written
// and synced in the background, then renamed to walSpareName. Create of a
// WAL renames the spare into place (Pebble syncs the directory after), and
// a new spare is filled. The first is filled only once the store has
// committed a quarter of a WAL, so stores that never rotate their WAL
// (tests, small or idle databases) write none. Once a spare is ready while
// the live WAL was created empty (the first after Open, or one made while
// the spare was being filled), the store rotates the memtable so that
// commits move to the spare.
//
// Invariant: a file named walSpareName holds size synced zero bytes; it is
// renamed to that name only after the sync. A WAL's zeroed tail reads as
// the log's end, as a recycled WAL's stale tail or a preallocated one does.
type walSpareFS struct {
	vfs.FS
	dir  string
	size int64
	log  *slog.Logger

	written   atomic.Int64 // bytes committed, counted until armed
	plainLive atomic.Bool  // the live WAL was created empty
	rotate    func()       // switches to a new WAL; set once after Open

	mu      sync.Mutex
	ready   bool // the spare exists and holds size synced zero bytes
	filling bool
	closed  bool
	wg      sync.WaitGroup

	used atomic.Int64 // WALs created from a spare
}

func newWALSpareFS(fs vfs.FS, dir string, size int64, log *slog.Logger) *walSpareFS {
	w := &walSpareFS{FS: fs, dir: dir, size: size, log: log}
	_ = fs.Remove(w.path() + ".prep")
	if st, err := fs.Stat(w.path()); err == nil {
		if st.Size() == size {
			w.ready = true
		} else {
			_ = fs.Remove(w.path())
		}
	}
	return w
}

func (w *walSpareFS) path() string { return w.FS.PathJoin(w.dir, walSpareName) }

// Create implements vfs.FS: a WAL takes the spare when one is ready.
func (w *walSpareFS) Create(name string, category vfs.DiskWriteCategory) (vfs.File, error) {
	if category != walCategory {
		return w.FS.Create(name, category)
	}
	w.mu.Lock()
	ready := w.ready
	w.ready = false
	w.mu.Unlock()
	defer w.refill()
	if ready {
		f, err := w.FS.ReuseForWrite(w.path(), name, category)
		if err == nil {
			w.used.Add(1)
			w.plainLive.Store(false)
			return f, nil
		}
		w.log.Warn("pebblekv: spare WAL not usable, creating the WAL", "wal", name, "err", err)
	}
	w.plainLive.Store(true)
	return w.FS.Create(name, category)
}

// armed reports whether the store has written enough to want a spare: a
// quarter of a WAL.
func (w *walSpareFS) armed() bool { return w.written.Load() >= w.size/4 }

// wrote counts n bytes committed to the store.
func (w *walSpareFS) wrote(n int) {
	if w.armed() {
		return
	}
	if w.written.Add(int64(n)) >= w.size/4 {
		w.refill()
	}
}

// refill starts filling a new spare unless one is ready or being filled,
// or the store has not written enough to want one.
func (w *walSpareFS) refill() {
	if !w.armed() {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.ready || w.filling || w.closed {
		return
	}
	w.filling = true
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		err := w.fill()
		w.mu.Lock()
		w.filling = false
		w.ready = err == nil
		var rotate func()
		if w.ready && !w.closed && w.plainLive.Load() {
			rotate = w.rotate
		}
		w.mu.Unlock()
		if err != nil && !errors.Is(err, errSpareClosed) {
			w.log.Warn("pebblekv: filling the spare WAL", "err", err)
		}
		if rotate != nil {
			rotate() // close waits for it: the store is still open
		}
	}()
}

var errSpareClosed = errors.New("pebblekv: store closing")

// fill writes size zero bytes to a temporary file, syncs it, and renames it
// to the spare's name.
func (w *walSpareFS) fill() (err error) {
	tmp := w.path() + ".prep"
	f, err := w.FS.Create(tmp, "quarry-wal-spare")
	if err != nil {
		return fmt.Errorf("create %s: %w", tmp, err)
	}
	defer func() {
		if f != nil {
			_ = f.Close()
		}
		if err != nil {
			_ = w.FS.Remove(tmp)
		}
	}()
	buf := make([]byte, 256<<10)
	for off := int64(0); off < w.size; off += int64(len(buf)) {
		if w.isClosed() {
			return errSpareClosed
		}
		n := min(int64(len(buf)), w.size-off)
		if _, err := f.Write(buf[:n]); err != nil {
			return fmt.Errorf("write %s: %w", tmp, err)
		}
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", tmp, err)
	}
	err = f.Close()
	f = nil
	if err != nil {
		return fmt.Errorf("close %s: %w", tmp, err)
	}
	if err := w.FS.Rename(tmp, w.path()); err != nil {
		return fmt.Errorf("rename %s: %w", tmp, err)
	}
	return nil
}

func (w *walSpareFS) isClosed() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.closed
}

// setRotate sets the function that switches the store to a new WAL.
func (w *walSpareFS) setRotate(f func()) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.rotate = f
}

// close stops filling and waits for the filler, which may be rotating;
// the store must be closed after it. The spare stays on disk for the next
// Open.
func (w *walSpareFS) close() {
	w.mu.Lock()
	w.closed = true
	w.mu.Unlock()
	w.wg.Wait()
}
