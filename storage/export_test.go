package storage

// SetBulkRunBytes sets the run size of bulk index builds for a test and
// returns a function restoring it.
func SetBulkRunBytes(n int) (restore func()) {
	old := bulkRunBytes
	bulkRunBytes = n
	return func() { bulkRunBytes = old }
}
