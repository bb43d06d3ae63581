package pebblekv

import (
	"sync"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// walGuard hands the first failed write or sync of a WAL file to
// onFailure before Pebble sees the error.
//
// Pebble publishes a batch while its WAL sync runs (as InnoDB commits in
// memory before its log flush). When the sync fails, the commit fails, and
// the error is sticky: every later commit fails too, yet its batch is
// published as well. Serving on would show writes that clients were told
// failed and that a restart loses. An onFailure that does not return
// (quarry serve logs and exits, as InnoDB and PostgreSQL stop on a failed
// log sync) acknowledges no commit of the failed sync and ends that state
// at the first failure: a restart recovers the WAL's durable prefix. If
// onFailure returns, the error goes on to Pebble.
type walGuard struct {
	onFailure func(error)
	once      sync.Once
}

// newWALGuardFS wraps fs's WAL files so that their failures go to
// onFailure first.
func newWALGuardFS(fs vfs.FS, onFailure func(error)) vfs.FS {
	g := &walGuard{onFailure: onFailure}
	return &walFilesFS{FS: fs, wrap: func(f vfs.File) vfs.File { return &guardedWAL{File: f, g: g} }}
}

// injectWALSyncFault, set only in quarry_faultinject builds (end-to-end
// tests), fails guarded WAL syncs when it returns an error.
var injectWALSyncFault func() error

// failed passes a WAL error to onFailure, the first time.
func (g *walGuard) failed(err error) error {
	if err != nil {
		g.once.Do(func() { g.onFailure(err) })
	}
	return err
}

// guardedWAL is a WAL file whose write and sync errors go to walGuard.
type guardedWAL struct {
	vfs.File
	g *walGuard
}

// Write implements vfs.File.
func (f *guardedWAL) Write(p []byte) (int, error) {
	n, err := f.File.Write(p)
	return n, f.g.failed(err)
}

// Sync implements vfs.File.
func (f *guardedWAL) Sync() error {
	if err := injectedFault(); err != nil {
		return f.g.failed(err)
	}
	return f.g.failed(f.File.Sync())
}

// SyncData implements vfs.File.
func (f *guardedWAL) SyncData() error {
	if err := injectedFault(); err != nil {
		return f.g.failed(err)
	}
	return f.g.failed(f.File.SyncData())
}

func injectedFault() error {
	if injectWALSyncFault == nil {
		return nil
	}
	return injectWALSyncFault()
}

// SyncTo implements vfs.File.
func (f *guardedWAL) SyncTo(length int64) (bool, error) {
	full, err := f.File.SyncTo(length)
	return full, f.g.failed(err)
}
