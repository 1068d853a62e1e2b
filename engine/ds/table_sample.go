package ds

import "rundb/engine/mem"

// sampleTries bounds Sample's rejection loop before it falls back to
// Random (reached only by a table far below its usual load).
const sampleTries = 64

// Sample returns a stored Ref chosen uniformly among all of them, using rnd
// as the randomness; 0 when the table is empty. It draws a slot uniformly
// over both arrays (during a resize) and retries on an empty or deleted
// slot, so every key has the same chance whatever its group holds: the
// eviction sampler needs that, since Random's group-then-slot choice favors
// keys in sparse groups, and under eviction churn the keys left in sparse
// groups are the ones that survived (the recently used).
func (t *Table) Sample(rnd uint64) mem.Ref {
	if t.Len() == 0 {
		return 0
	}
	cur := uint64(t.cur.slots())
	total := cur
	if t.old.w != nil {
		total += uint64(t.old.slots())
	}
	x := rnd
	for try := 0; try < sampleTries; try++ {
		x = mix64(x + 0x9e3779b97f4a7c15)
		s := x % total
		tb := &t.cur
		if s >= cur {
			tb, s = &t.old, s-cur
		}
		g, i := s/groupSlots, int(s%groupSlots)
		if matchFull(tb.w[g*groupWords])&(0x80<<(8*i)) != 0 {
			return tb.ref(g, i)
		}
	}
	return t.Random(x)
}
