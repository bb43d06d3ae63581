package indexes

// Changed rows since a snapshot (see "Verified searches" in doc.go).
//
// An index that is ahead of a statement's snapshot S differs from S
// exactly in the rows changed by commits S does not see. Their change-log
// entries leave the log once applied, so each table's state retains the
// document IDs its recent apply rounds (re)indexed or deleted, tagged
// with the commit count loaded after the round's snapshot
// (storage.Engine.SearchCommitsBegun). A round tagged b <= d, the
// position of S, changed nothing S does not see; so every document that
// differs from S's row was changed by a retained round tagged above d,
// unless such a round was dropped (horizon).

// maxRetainedIDs bounds the document IDs a table retains (about 100
// bytes plus the key each, so a few MB per table at most). Beyond it the
// oldest rounds are dropped, and statements whose snapshots are older
// than a dropped round take the slow path (see Search.changedRows).
var maxRetainedIDs = 1 << 16

// appliedRound is one apply round's changed document IDs.
type appliedRound struct {
	begun uint64 // commits begun, loaded after the round's snapshot
	ids   []string
}

// changeRecord retains the documents changed by a table's recent apply
// rounds; it is guarded by the table state's mu (written under the write
// lock, with the change to the index it describes).
type changeRecord struct {
	rounds []appliedRound // ascending begun (rounds run in order)
	// last maps each retained ID to the begun tag of its latest round.
	last map[string]uint64
	n    int // IDs in rounds
	// horizon: snapshots at positions below it are not covered (a round
	// they need was dropped, or the index was rebuilt from a snapshot
	// they may not see).
	horizon uint64
}

// add records a round's changed IDs.
func (c *changeRecord) add(begun uint64, ids []string) {
	if len(ids) == 0 {
		return
	}
	if c.last == nil {
		c.last = map[string]uint64{}
	}
	c.rounds = append(c.rounds, appliedRound{begun: begun, ids: ids})
	c.n += len(ids)
	for _, id := range ids {
		c.last[id] = begun
	}
	for c.n > maxRetainedIDs && len(c.rounds) > 0 {
		r := c.rounds[0]
		c.rounds[0] = appliedRound{}
		c.rounds = c.rounds[1:]
		c.n -= len(r.ids)
		c.horizon = max(c.horizon, r.begun)
		for _, id := range r.ids {
			if c.last[id] <= r.begun {
				delete(c.last, id)
			}
		}
	}
	if len(c.rounds) == 0 {
		c.rounds = nil // release the dropped rounds' backing array
	}
}

// reset forgets every round: the index was rebuilt from a snapshot
// taken before the commit count begun was loaded.
func (c *changeRecord) reset(begun uint64) {
	c.rounds, c.last, c.n = nil, nil, 0
	c.horizon = max(c.horizon, begun)
}

// since returns the IDs changed by rounds that a snapshot at position pos
// may not see; covered is false when such a round was dropped.
func (c *changeRecord) since(pos uint64) (ids []string, covered bool) {
	if pos < c.horizon {
		return nil, false
	}
	i := len(c.rounds)
	for i > 0 && c.rounds[i-1].begun > pos {
		i--
	}
	seen := map[string]bool{}
	for _, r := range c.rounds[i:] {
		for _, id := range r.ids {
			if !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
	}
	return ids, true
}

// changedSince reports whether document id may differ from its row in a
// snapshot at position pos; covered as for since.
func (c *changeRecord) changedSince(pos uint64, id string) (changed, covered bool) {
	if pos < c.horizon {
		return false, false
	}
	return c.last[id] > pos, true
}
