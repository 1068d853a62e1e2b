package ds

import (
	"bytes"
	"fmt"

	"rundb/engine/mem"
)

// debugTable makes every Put and Delete check the whole table (O(n) per
// call); for chasing a bug only.
const debugTable = false

// debugCheck panics on a broken invariant when debugTable is set.
func (t *Table) debugCheck() {
	if debugTable {
		if err := t.checkInvariants(); err != nil {
			panic(err)
		}
	}
}

// checkInvariants walks the whole table and reports the first broken
// invariant: counters match the control bytes, each full slot's H2 matches
// its key's hash, each element is reachable from its home group (no group
// with an empty slot in between), some group has an empty slot, no key is
// stored twice, and an idle table holds no arrays. It is O(n), for tests.
func (t *Table) checkInvariants() error {
	seen := make(map[string]mem.Ref, t.Len())
	for ti, tb := range [2]*tab{&t.cur, &t.old} {
		name := [2]string{"cur", "old"}[ti]
		if tb.w == nil {
			if tb.used != 0 || tb.dead != 0 {
				return fmt.Errorf("%s: no array but used=%d dead=%d", name, tb.used, tb.dead)
			}
			continue
		}
		g := tb.groups()
		if g&(g-1) != 0 || uint64(g-1) != tb.mask {
			return fmt.Errorf("%s: %d groups, mask %#x", name, g, tb.mask)
		}
		used, dead, emptyGroups := 0, 0, 0
		for p := 0; p < g; p++ {
			w := tb.w[p*groupWords]
			if matchEmpty(w) != 0 {
				emptyGroups++
			}
			for i := 0; i < groupSlots; i++ {
				c := uint8(w >> (8 * i))
				switch {
				case c == ctrlEmpty:
				case c == ctrlDeleted:
					dead++
				case c < 0x80:
					used++
					r := tb.ref(uint64(p), int(i))
					key := t.keyOf(r)
					h := hashKey(key)
					if uint8(h&0x7F) != c {
						return fmt.Errorf("%s: group %d slot %d: H2 %#x, ctrl %#x", name, p, i, h&0x7F, c)
					}
					for q := (h >> 7) & tb.mask; q != uint64(p); q = (q + 1) & tb.mask {
						if matchEmpty(tb.w[q*groupWords]) != 0 {
							return fmt.Errorf("%s: key %q in group %d unreachable: group %d has an empty slot", name, key, p, q)
						}
					}
					if _, dup := seen[string(key)]; dup {
						return fmt.Errorf("key %q stored twice", key)
					}
					seen[string(key)] = r
				default:
					return fmt.Errorf("%s: group %d slot %d: bad control byte %#x", name, p, i, c)
				}
			}
		}
		if used != tb.used || (ti == 0 && dead != tb.dead) {
			return fmt.Errorf("%s: counted used=%d dead=%d, fields say %d %d", name, used, dead, tb.used, tb.dead)
		}
		if emptyGroups == 0 {
			return fmt.Errorf("%s: no group has an empty slot", name)
		}
		if ti == 0 && used+dead > tb.maxLoad() {
			return fmt.Errorf("%s: load %d over max %d", name, used+dead, tb.maxLoad())
		}
	}
	if !t.Resizing() && t.next != 0 {
		return fmt.Errorf("idle table with next=%d", t.next)
	}
	if t.Resizing() && t.next >= uint64(t.old.groups()) {
		return fmt.Errorf("resize cursor %d past %d groups", t.next, t.old.groups())
	}
	if t.Len() == 0 && t.MemBytes() != 0 && !t.noShrink {
		return fmt.Errorf("empty table holds %d bytes", t.MemBytes())
	}
	for k, r := range seen {
		var tb *tab
		h := hashKey([]byte(k))
		if _, _, ok := t.find(&t.old, []byte(k), h); ok {
			tb = &t.old
		} else if _, _, ok := t.find(&t.cur, []byte(k), h); ok {
			tb = &t.cur
		}
		if tb == nil {
			return fmt.Errorf("key %q (ref %d) stored but not found", k, r)
		}
		if g, i, _ := t.find(tb, []byte(k), h); tb.ref(g, i) != r || !bytes.Equal(t.keyOf(r), []byte(k)) {
			return fmt.Errorf("key %q found at a different ref", k)
		}
	}
	return nil
}
