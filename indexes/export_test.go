package indexes

// SetMaxRetainedIDs sets how many changed document IDs a table retains
// (changes.go) and returns the previous bound; set it while no Manager
// runs.
func SetMaxRetainedIDs(n int) int {
	old := maxRetainedIDs
	maxRetainedIDs = n
	return old
}
