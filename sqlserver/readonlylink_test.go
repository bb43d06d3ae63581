package sqlserver

import "testing"

// TestReadOnlyLink: SET GLOBAL super_read_only = ON also turns read_only
// on, and SET GLOBAL read_only = OFF also turns super_read_only off, as in
// MySQL 8.0; the other two changes leave the other variable alone.
func TestReadOnlyLink(t *testing.T) {
	ts := startServer(t, t.TempDir(), EngineOptions{}, Config{})
	root := mustConnect(t, "root", "", ts.addr)
	t.Cleanup(func() {
		_, _ = root.Exec("SET GLOBAL super_read_only = 0")
		_, _ = root.Exec("SET GLOBAL read_only = 0")
	})
	state := func() string {
		t.Helper()
		return queryString(t, root, "SELECT CONCAT(@@global.read_only, @@global.super_read_only)")
	}
	for _, c := range []struct{ set, want string }{
		{"SET GLOBAL super_read_only = ON", "11"},
		{"SET GLOBAL super_read_only = OFF", "10"},
		{"SET GLOBAL super_read_only = 1", "11"},
		{"SET GLOBAL read_only = OFF", "00"},
		{"SET GLOBAL read_only = 1", "10"},
		{"SET GLOBAL read_only = 0", "00"},
		{"SET @@global.super_read_only = 1", "11"},
		{"SET GLOBAL read_only = 1, GLOBAL super_read_only = 0", "10"},
		{"SET GLOBAL read_only = 0", "00"},
	} {
		mustExec(t, root, c.set)
		if got := state(); got != c.want {
			t.Errorf("after %s: read_only, super_read_only = %s, want %s", c.set, got, c.want)
		}
	}
}
