package indexes

import (
	"errors"
	"fmt"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
)

// Check verifies, after catching up, that every search index holds
// exactly one document per table row, with the row's current content
// (hash), and nothing else. Like storage.CheckConsistency it reads whole
// tables: it is for tests, crash checks and the search command. Writes
// running concurrently make it report spurious differences.
func (m *Manager) Check() error {
	var problems []string
	for _, d := range m.e.SearchIndexes() {
		ix, err := m.Lookup(d)
		if err != nil {
			return err
		}
		docs, err := ix.AllDocIDs()
		if err != nil {
			return err
		}
		name := d.DB + "." + d.Table + "." + d.Name
		rows := 0
		err = m.e.ScanRowsLatest(d.TableID, func(pk []byte, row sql.Row) error {
			rows++
			id := DocID(pk)
			h, ok := docs[id]
			switch {
			case !ok:
				problems = append(problems, fmt.Sprintf("%s: row %x missing from the index", name, pk))
			case h != ix.Spec.Hash(row):
				problems = append(problems, fmt.Sprintf("%s: row %x indexed with stale content", name, pk))
			}
			delete(docs, id)
			return nil
		})
		if err != nil {
			return err
		}
		for id := range docs {
			problems = append(problems, fmt.Sprintf("%s: document %x has no row", name, id))
		}
		if len(problems) > 20 {
			break
		}
	}
	if len(problems) > 0 {
		return errors.New("indexes: search index differs from its table:\n" + strings.Join(problems, "\n"))
	}
	return nil
}
