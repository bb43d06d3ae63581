package pebblekv

import (
	"errors"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// walFilesFS hands each WAL file Pebble creates or recycles to wrap, and
// passes other files through.
type walFilesFS struct {
	vfs.FS
	wrap func(vfs.File) vfs.File
}

// Create implements vfs.FS.
func (w *walFilesFS) Create(name string, category vfs.DiskWriteCategory) (vfs.File, error) {
	f, err := w.FS.Create(name, category)
	if err != nil || category != walCategory {
		return f, err
	}
	return w.wrap(f), nil
}

// ReuseForWrite implements vfs.FS (Pebble recycles old WALs with it).
func (w *walFilesFS) ReuseForWrite(oldname, newname string, category vfs.DiskWriteCategory) (vfs.File, error) {
	f, err := w.FS.ReuseForWrite(oldname, newname, category)
	if err != nil || category != walCategory {
		return f, err
	}
	return w.wrap(f), nil
}

// newWALSyncFS hands Pebble WAL files whose syncs run on an io_uring
// (uringSyncer) instead of as blocking system calls.
//
// A goroutine in a system call keeps its P until the runtime's sysmon
// thread retakes it and wakes another thread to run the P's goroutines;
// when the call returns, its thread must find a P again or sleep. The WAL
// flusher's fdatasync (100-250 µs, thousands a second) is such a call
// every time, so every sync cost thread switches. On the ring, the
// flusher parks in the netpoller and its P goes on with other goroutines
// at once: in oltp_write_only, 10% more QPS and a lower p95. (sysmon's
// own polling period is internal/schedtune's concern.)
//
// Where io_uring is refused (old kernels, seccomp, io_uring_disabled) or a
// file has no descriptor (in-memory file systems), files pass through
// unchanged and syncs are system calls.
func newWALSyncFS(fs vfs.FS, ring *uringSyncer) vfs.FS {
	return &walFilesFS{FS: fs, wrap: func(f vfs.File) vfs.File {
		if f.Fd() == vfs.InvalidFd {
			return f
		}
		return &ringSyncedFile{File: f, ring: ring, fd: int(f.Fd())}
	}}
}

// errNoUring reports that the kernel or a sandbox refuses io_uring.
var errNoUring = errors.New("pebblekv: io_uring unavailable")

// ringSyncedFile is a WAL file whose syncs run on the ring.
type ringSyncedFile struct {
	vfs.File
	ring *uringSyncer
	fd   int
}

// Sync implements vfs.File.
func (f *ringSyncedFile) Sync() error { return f.ring.sync(f.fd, false) }

// SyncData implements vfs.File.
func (f *ringSyncedFile) SyncData() error { return f.ring.sync(f.fd, true) }
