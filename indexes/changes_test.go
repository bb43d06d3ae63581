package indexes

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestChangeRecordModel checks changeRecord against a model that keeps
// every round: for any position, since and changedSince either report
// not covered (below the horizon) or exactly the IDs of the rounds
// tagged above it; a position below the last reset is never covered,
// and the bound holds.
func TestChangeRecordModel(t *testing.T) {
	defer func(old int) { maxRetainedIDs = old }(maxRetainedIDs)
	for seed := uint64(0); seed < 200; seed++ {
		r := rand.New(rand.NewPCG(seed, 5))
		maxRetainedIDs = 1 + r.IntN(20)
		var c changeRecord
		var all []appliedRound // the model: every round, never dropped
		resetAt := uint64(0)   // the last reset's tag
		begun := uint64(0)
		for step := 0; step < 60; step++ {
			begun += uint64(r.IntN(3))
			if r.IntN(15) == 0 {
				c.reset(begun)
				resetAt = begun
				continue
			}
			var ids []string
			for range r.IntN(6) {
				ids = append(ids, fmt.Sprint(r.IntN(12)))
			}
			slices.Sort(ids)
			ids = slices.Compact(ids)
			c.add(begun, ids)
			all = append(all, appliedRound{begun: begun, ids: ids})
			if c.n > maxRetainedIDs {
				t.Fatalf("seed %d: %d IDs retained, bound %d", seed, c.n, maxRetainedIDs)
			}
			for pos := uint64(0); pos <= begun+1; pos++ {
				want := map[string]bool{}
				needDropped := pos < resetAt
				for _, rd := range all {
					if rd.begun > pos {
						for _, id := range rd.ids {
							want[id] = true
						}
					}
				}
				got, covered := c.since(pos)
				if !covered {
					// Not covered only below the horizon, which only
					// dropped rounds and resets raise.
					if pos >= c.horizon {
						t.Fatalf("seed %d: pos %d not covered with horizon %d", seed, pos, c.horizon)
					}
					continue
				}
				if needDropped {
					t.Fatalf("seed %d: pos %d covered below the reset at %d", seed, pos, resetAt)
				}
				gotSet := map[string]bool{}
				for _, id := range got {
					gotSet[id] = true
				}
				for id := range want {
					// (Rounds before a reset are tagged at most resetAt
					// <= pos: they are not wanted.)
					if !gotSet[id] {
						t.Fatalf("seed %d: pos %d: since lacks %s", seed, pos, id)
					}
				}
				for id := range gotSet {
					if !want[id] {
						t.Fatalf("seed %d: pos %d: since has %s, not changed above it", seed, pos, id)
					}
				}
				for i := range 12 {
					id := fmt.Sprint(i)
					ch, cov := c.changedSince(pos, id)
					if !cov || ch != gotSet[id] {
						t.Fatalf("seed %d: pos %d: changedSince(%s) = %v, %v; since says %v", seed, pos, id, ch, cov, gotSet[id])
					}
				}
			}
		}
	}
}
