//go:build quarry_faultinject

package pebblekv

import (
	"errors"
	"os"
)

// In quarry_faultinject builds (end-to-end tests only), guarded WAL syncs
// fail while the file named by QUARRY_FAULT_WAL_SYNC exists.
func init() {
	path := os.Getenv("QUARRY_FAULT_WAL_SYNC")
	if path == "" {
		return
	}
	injectWALSyncFault = func() error {
		if _, err := os.Stat(path); err == nil {
			return errors.New("injected WAL sync failure (quarry_faultinject)")
		}
		return nil
	}
}
