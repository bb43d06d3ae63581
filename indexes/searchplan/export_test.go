package searchplan

// SetIndexOnly turns the index-only primary key path (keysFromIndex) on
// or off for the statements planned next; it returns the previous setting.
func SetIndexOnly(on bool) bool { return indexOnly.Swap(on) }

// KeysAnswered is how many index-only primary key paths were answered
// from the index (not by their fallback).
func KeysAnswered() int64 { return keysAnswered.Load() }
