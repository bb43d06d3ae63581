package conformance_test

// Plan-string suites: they compare EXPLAIN output (table and index
// String()s, estimates, join choices) with the memory engine's, so a
// failure here is plan parity, not a wrong answer. cmd/count reports them
// apart (see planSuites there).

import (
	"testing"

	"github.com/dolthub/go-mysql-server/enginetest"
	"github.com/dolthub/go-mysql-server/enginetest/queries"
)

func TestQueryPlans(t *testing.T) {
	t.Run("nativeIndexes", func(t *testing.T) {
		enginetest.TestQueryPlans(t, newHarness(t, "nativeIndexes"), queries.PlanTests)
	})
}

func TestIntegrationQueryPlans(t *testing.T) {
	t.Run("nativeIndexes", func(t *testing.T) {
		enginetest.TestIntegrationPlans(t, newHarness(t, "nativeIndexes"))
	})
}

func TestImdbQueryPlans(t *testing.T) {
	t.Skip("tests are too slow") // as in GMS's memory wiring
}

func TestTpccQueryPlans(t *testing.T) {
	t.Run("nativeIndexes", func(t *testing.T) {
		enginetest.TestTpccPlans(t, newHarness(t, "nativeIndexes"))
	})
}

func TestTpchQueryPlans(t *testing.T) {
	t.Run("nativeIndexes", func(t *testing.T) {
		enginetest.TestTpchPlans(t, newHarness(t, "nativeIndexes").RetainSessionAfterSetup())
	})
}

func TestTpcdsQueryPlans(t *testing.T) {
	t.Skip("missing features") // as in GMS's memory wiring
}

func TestIndexQueryPlans(t *testing.T) {
	t.Run("nativeIndexes", func(t *testing.T) {
		enginetest.TestIndexQueryPlans(t, newHarness(t, "nativeIndexes"))
	})
}

func TestGeneratedColumnPlans(t *testing.T) {
	enginetest.TestGeneratedColumnPlans(t, newHarness(t, "default"))
}

func TestSysbenchPlans(t *testing.T) {
	enginetest.TestSysbenchPlans(t, newHarness(t, "default"))
}

func TestSpatialIndexPlans(t *testing.T) {
	enginetest.TestSpatialIndexPlans(t, newHarness(t, "default"))
}

func TestJoinPlanning(t *testing.T) {
	h := newHarness(t, "default")
	if h.IsUsingServer() {
		h.QueriesToSkip("block merge join")
	}
	enginetest.TestJoinPlanning(t, h)
}

func TestJoinStats(t *testing.T) {
	// Join stats are kept in the session: keep the setup session.
	h := newHarness(t, "default").RetainSessionAfterSetup()
	if h.IsUsingServer() {
		t.Skip("join stats don't work with bindvars")
	}
	enginetest.TestJoinStats(t, h)
}

func TestStatistics(t *testing.T) {
	enginetest.TestStatistics(t, newHarness(t, "default"))
}

func TestStatisticsPrepared(t *testing.T) {
	enginetest.TestStatisticsPrepared(t, newHarness(t, "default"))
}

func TestStatisticIndexFilters(t *testing.T) {
	enginetest.TestStatisticIndexFilters(t, newHarness(t, "default"))
}
