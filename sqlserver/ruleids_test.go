package sqlserver

import (
	"github.com/dolthub/go-mysql-server/sql/analyzer"
	"reflect"
	"runtime"
	"testing"

	"github.com/quarrydb/quarry/storage"
)

// TestRuleIDsUnique: every analyzer rule Quarry installs has its own id
// (GMS finds rules by id, e.g. to remove or skip them, so two rules
// sharing one would be treated as one).
func TestRuleIDsUnique(t *testing.T) {
	store, err := storage.Open(storage.Options{Dir: t.TempDir(), Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	eng, err := NewEngine(store, EngineOptions{Logger: testLogger(), DisablePlanCache: true})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int]string{}
	n := 0
	lists := [][]analyzer.Rule{analyzer.OnceBeforeDefault, analyzer.AlwaysBeforeDefault, analyzer.DefaultRules,
		analyzer.OnceAfterDefault, analyzer.DefaultValidationRules, analyzer.OnceAfterAll}
	for _, b := range eng.Analyzer.Batches {
		lists = append(lists, b.Rules)
	}
	for _, rules := range lists {
		for _, r := range rules {
			if r.Id < 1000 { // GMS's own rules
				continue
			}
			name := runtime.FuncForPC(reflect.ValueOf(r.Apply).Pointer()).Name()
			if prev, ok := seen[int(r.Id)]; ok && prev != name {
				t.Errorf("rule id %d is used by %s and %s", r.Id, prev, name)
			}
			seen[int(r.Id)] = name
			n++
		}
	}
	if n < 30 {
		t.Errorf("only %d Quarry rules found", n)
	}
}
