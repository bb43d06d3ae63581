package indexes

// SetMaxRetainedIDs sets how many changed document IDs a table retains
// (changes.go) and returns the previous bound; set it while no Manager
// runs.
func SetMaxRetainedIDs(n int) int {
	old := maxRetainedIDs
	maxRetainedIDs = n
	return old
}

// StopApplier stops the background applier (Close then finds m.stop
// closed and does not wait for it again): searches alone apply the log.
func (m *Manager) StopApplier() {
	close(m.stop)
	<-m.done
}

// PersistedKeys returns how many applied log entries are persisted in
// bleve and wait for deletion from the log.
func (m *Manager) PersistedKeys() int {
	m.pmu.Lock()
	defer m.pmu.Unlock()
	return len(m.persisted)
}

// SetMoreKeysHook makes fn run before each search of a locking lookup's
// MoreKeys (nil: none).
func SetMoreKeysHook(fn func()) {
	if fn == nil {
		moreKeysHook.Store(nil)
		return
	}
	moreKeysHook.Store(&fn)
}
