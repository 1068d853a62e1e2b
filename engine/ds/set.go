package ds

// Sets: the operations set commands call, over either encoding of a set
// container. A set is an intset (intset.go) while every member is an
// integer in canonical form (ParseInt) and it holds at most maxIntset
// members (set-max-intset-entries); the first member that breaks either
// rule converts it to a hashtable (settable.go), for good. A set whose
// first member is not an integer starts as a hashtable.

import "rundb/engine/mem"

// intsetLimit caps set-max-intset-entries: an intset's count is 32 bits
// and its block must stay addressable; Redis caps at 1<<30 too.
const intsetLimit = 1 << 30

// SetAdd adds m to set c (the zero Container creates a set) and returns the
// set as it now is and whether m was added.
func SetAdd(a mem.Allocator, c Container, m []byte, maxIntset int) (Container, bool) {
	v, isInt := ParseInt(m)
	if c.Ref == 0 {
		if isInt {
			c = Container{Enc: EncIntset}
		} else {
			c = Container{Enc: EncHashtable, Ref: stNew(a, 0)}
		}
	}
	if c.Enc == EncIntset {
		if !isInt {
			c = setConvert(a, c, 1)
		} else {
			r, added := intsetAdd(a, c.Ref, v)
			c.Ref = r
			if added && intsetCount(a, r) > min(maxIntset, intsetLimit) {
				c = setConvert(a, c, 0)
			}
			return c, added
		}
	}
	return c, stAdd(a, c.Ref, m)
}

// setConvert turns intset c into a hashtable with room for extra more
// members, freeing the intset.
func setConvert(a mem.Allocator, c Container, extra int) Container {
	b := intsetView(a, c.Ref)
	n := isCount(b)
	r := stNew(a, n+extra)
	v := stLoad(a, r)
	var buf [20]byte
	for i := 0; i < n; i++ {
		m := intsetAppendMember(buf[:0], b, i)
		v.t.cur.insertAbsent(hashKey(m), newMember(a, m))
	}
	v.save()
	a.Free(mem.PurposeContainer, c.Ref, len(b))
	return Container{Enc: EncHashtable, Ref: r}
}

// SetRemove removes m from set c and returns the set as it now is (an
// emptied intset is freed and comes back with Ref 0; an emptied hashtable
// has Len 0) and whether m was there.
func SetRemove(a mem.Allocator, c Container, m []byte) (Container, bool) {
	if c.Enc == EncIntset {
		v, ok := ParseInt(m)
		if !ok {
			return c, false
		}
		r, removed := intsetRemove(a, c.Ref, v)
		c.Ref = r
		return c, removed
	}
	return c, stRemove(a, c.Ref, m)
}

// SetContains reports whether m is a member of c.
func SetContains(a mem.Allocator, c Container, m []byte) bool {
	if c.Enc == EncIntset {
		v, ok := ParseInt(m)
		return ok && intsetContains(a, c.Ref, v)
	}
	return stContains(a, c.Ref, m)
}

// SetForEach calls fn on every member of c (an intset's in ascending
// order) until fn returns false. m is valid only during the call; fn must
// not change the set.
func SetForEach(a mem.Allocator, c Container, fn func(m []byte) bool) {
	if c.Enc == EncIntset {
		b := intsetView(a, c.Ref)
		var buf [20]byte
		for i, n := 0, isCount(b); i < n; i++ {
			if !fn(intsetAppendMember(buf[:0], b, i)) {
				return
			}
		}
		return
	}
	stForEach(a, c.Ref, fn)
}

// SetRandom appends a member of c chosen with rnd (64 random bits) to dst;
// it never walks the set.
func SetRandom(a mem.Allocator, c Container, rnd uint64, dst []byte) []byte {
	if c.Enc == EncIntset {
		b := intsetView(a, c.Ref)
		return intsetAppendMember(dst, b, int(rnd%uint64(isCount(b))))
	}
	return append(dst, memberBytes(a, stRandom(a, c.Ref, rnd))...)
}

// SetPop removes a member of c chosen with rnd, appends it to dst and
// returns the set as it now is (as SetRemove does) and dst.
func SetPop(a mem.Allocator, c Container, rnd uint64, dst []byte) (Container, []byte) {
	if c.Enc == EncIntset {
		b := intsetView(a, c.Ref)
		i := int(rnd % uint64(isCount(b)))
		dst = intsetAppendMember(dst, b, i)
		c.Ref = intsetRemoveAt(a, c.Ref, b, i)
		return c, dst
	}
	mr := stRandom(a, c.Ref, rnd)
	n := len(dst)
	dst = append(dst, memberBytes(a, mr)...)
	stRemove(a, c.Ref, dst[n:])
	return c, dst
}

// SetScan is one SSCAN step from cursor: it calls fn on members and
// returns the next cursor (0: done). An intset is returned whole at once,
// as Redis does for its small encodings; a hashtable step is Table.Scan's,
// whose cursor survives resizes.
func SetScan(a mem.Allocator, c Container, cursor uint64, fn func(m []byte)) uint64 {
	if c.Enc == EncIntset {
		SetForEach(a, c, func(m []byte) bool { fn(m); return true })
		return 0
	}
	return stScan(a, c.Ref, cursor, fn)
}
