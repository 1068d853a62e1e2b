package command

import (
	"math"

	"rundb/engine/ds"
)

// The set family. A set is an intset while every member is an integer in
// canonical form and it holds at most set-max-intset-entries members, then
// a hashtable (engine/ds set.go). Writes go through db.EditContainerE (the
// edit calls ds's set operations) or, for the stores, db.Put of a set
// built whole; an emptied set is deleted. Replies and errors are Redis
// 7.0's; a hashtable's members come in its hash order, an intset's in
// ascending order, as Redis's do.

func init() {
	handle(map[string]func(c *Client){
		"sadd":        saddCommand,
		"srem":        sremCommand,
		"sismember":   sismemberCommand,
		"smismember":  smismemberCommand,
		"scard":       scardCommand,
		"smembers":    smembersCommand,
		"srandmember": srandmemberCommand,
		"spop":        spopCommand,
		"smove":       smoveCommand,
		"sinter":      sinterCommand,
		"sinterstore": sinterstoreCommand,
		"sintercard":  sintercardCommand,
		"sunion":      sunionCommand,
		"sunionstore": sunionstoreCommand,
		"sdiff":       sdiffCommand,
		"sdiffstore":  sdiffstoreCommand,
		"sscan":       sscanCommand,
	})
}

const (
	errSrandmemberRange = "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"
	errNumkeysTooMany   = "ERR Number of keys can't be greater than number of args"
	errLimitNegative    = "ERR LIMIT can't be negative"
)

// ---------------------------------------------------------------------------
// Shared helpers

// lookupSet looks key up as a set for a reading command (lookupTyped) and
// returns its container.
func lookupSet(c *Client, key []byte) (ds.Container, bool, bool) {
	e, found, ok := lookupTyped(c, key, ds.TypeSet, false)
	if !found || !ok {
		return ds.Container{}, found, ok
	}
	return e.ContainerOf(), true, true
}

// lookupSetWrite looks key up as a set for a writing command.
func lookupSetWrite(c *Client, key []byte) (ds.Entry, bool, bool) {
	return lookupTyped(c, key, ds.TypeSet, true)
}

func (c *Client) maxIntset() int {
	return int(min(c.srv.Config.SetMaxIntsetEntries, math.MaxInt32))
}

// memberList holds copies of members in one buffer.
type memberList struct {
	buf  []byte
	ends []int
}

func (l *memberList) add(m []byte) {
	l.buf = append(l.buf, m...)
	l.ends = append(l.ends, len(l.buf))
}

func (l *memberList) len() int { return len(l.ends) }

func (l *memberList) at(i int) []byte {
	start := 0
	if i > 0 {
		start = l.ends[i-1]
	}
	return l.buf[start:l.ends[i]:l.ends[i]]
}

func (c *Client) replyMembers(l *memberList) {
	c.ReplyArrayLen(l.len())
	for i := range l.ends {
		c.ReplyBulk(l.at(i))
	}
}

// replySet replies every member of s (none for the zero Container).
func (c *Client) replySet(s ds.Container) {
	a := c.srv.KS.Alloc
	c.ReplyArrayLen(s.Len(a))
	if s.Ref != 0 {
		ds.SetForEach(a, s, func(m []byte) bool { c.ReplyBulk(m); return true })
	}
}

// ---------------------------------------------------------------------------
// Single-set commands

func saddCommand(c *Client) {
	key := c.Args[1]
	e, found, ok := lookupSetWrite(c, key)
	if !ok {
		return
	}
	a, maxIntset := c.srv.KS.Alloc, c.maxIntset()
	added := 0
	c.DB.EditContainerE(key, e, found, ds.TypeSet, func(s ds.Container) (ds.Container, int, bool) {
		for _, m := range c.Args[2:] {
			var ok bool
			if s, ok = ds.SetAdd(a, s, m, maxIntset); ok {
				added++
			}
		}
		return s, added, false
	})
	c.ReplyInt(int64(added))
}

func sremCommand(c *Client) {
	key := c.Args[1]
	e, found, ok := lookupSetWrite(c, key)
	if !ok {
		return
	}
	if !found {
		c.ReplyInt(0)
		return
	}
	a := c.srv.KS.Alloc
	removed := 0
	c.DB.EditContainerE(key, e, found, ds.TypeSet, func(s ds.Container) (ds.Container, int, bool) {
		for _, m := range c.Args[2:] {
			var ok bool
			if s, ok = ds.SetRemove(a, s, m); ok {
				removed++
				if s.Ref == 0 || s.Len(a) == 0 {
					break
				}
			}
		}
		return s, removed, removed > 0 && (s.Ref == 0 || s.Len(a) == 0)
	})
	c.ReplyInt(int64(removed))
}

func sismemberCommand(c *Client) {
	s, found, ok := lookupSet(c, c.Args[1])
	switch {
	case !ok:
	case found && ds.SetContains(c.srv.KS.Alloc, s, c.Args[2]):
		c.ReplyInt(1)
	default:
		c.ReplyInt(0)
	}
}

func smismemberCommand(c *Client) {
	s, found, ok := lookupSet(c, c.Args[1])
	if !ok {
		return
	}
	c.ReplyArrayLen(len(c.Args) - 2)
	for _, m := range c.Args[2:] {
		if found && ds.SetContains(c.srv.KS.Alloc, s, m) {
			c.ReplyInt(1)
		} else {
			c.ReplyInt(0)
		}
	}
}

func scardCommand(c *Client) {
	s, _, ok := lookupSet(c, c.Args[1])
	if ok {
		c.ReplyInt(int64(s.Len(c.srv.KS.Alloc)))
	}
}

func smembersCommand(c *Client) {
	s, _, ok := lookupSet(c, c.Args[1])
	if ok {
		c.replySet(s)
	}
}

func srandmemberCommand(c *Client) {
	if len(c.Args) > 3 {
		c.ReplySyntaxErr()
		return
	}
	a := c.srv.KS.Alloc
	if len(c.Args) == 2 {
		s, found, ok := lookupSet(c, c.Args[1])
		switch {
		case !ok:
		case !found:
			c.ReplyNull()
		default:
			c.ReplyBulk(ds.SetRandom(a, s, c.srv.Rand(), nil))
		}
		return
	}
	count, ok := c.IntArg(2)
	if !ok {
		return
	}
	if count == math.MinInt64 {
		c.ReplyError(errSrandmemberRange)
		return
	}
	s, found, ok := lookupSet(c, c.Args[1])
	if !ok {
		return
	}
	if !found || count == 0 {
		c.ReplyArrayLen(0)
		return
	}
	size := int64(s.Len(a))
	var buf []byte
	switch {
	case count < 0:
		// Repetitions allowed: -count independent draws.
		c.ReplyArrayLen(int(-count))
		for i := int64(0); i < -count; i++ {
			buf = ds.SetRandom(a, s, c.srv.Rand(), buf[:0])
			c.ReplyBulk(buf)
		}
	case count >= size:
		c.replySet(s)
	case count*3 > size:
		// Most of the set: copy it, then drop random members down to count.
		var l memberList
		ds.SetForEach(a, s, func(m []byte) bool { l.add(m); return true })
		idx := make([]int, l.len())
		for i := range idx {
			idx[i] = i
		}
		for int64(len(idx)) > count {
			j := int(c.srv.Rand() % uint64(len(idx)))
			idx[j] = idx[len(idx)-1]
			idx = idx[:len(idx)-1]
		}
		c.ReplyArrayLen(len(idx))
		for _, i := range idx {
			c.ReplyBulk(l.at(i))
		}
	default:
		// A small part: draw until count distinct members.
		var l memberList
		seen := make(map[string]struct{}, count)
		for int64(l.len()) < count {
			buf = ds.SetRandom(a, s, c.srv.Rand(), buf[:0])
			if _, dup := seen[string(buf)]; !dup {
				seen[string(buf)] = struct{}{}
				l.add(buf)
			}
		}
		c.replyMembers(&l)
	}
}

// spopCommand pops one member (propagated as SREM key member) or, with a
// count, that many (propagated as SREM of the popped members, or DEL when
// the whole set goes), as Redis 7.0 replicates them.
func spopCommand(c *Client) {
	if len(c.Args) > 3 {
		c.ReplySyntaxErr()
		return
	}
	key := c.Args[1]
	a := c.srv.KS.Alloc
	count := int64(-1)
	if len(c.Args) == 3 {
		n, ok := ds.ParseInt(c.Args[2])
		if !ok || n < 0 {
			c.ReplyError(ErrMustBePositive)
			return
		}
		count = n
	}
	e, found, ok := lookupSetWrite(c, key)
	switch {
	case !ok:
		return
	case !found && count < 0:
		c.ReplyNull()
		return
	case !found || count == 0:
		c.ReplyArrayLen(0)
		return
	}
	size := int64(e.ContainerOf().Len(a))
	if count >= size {
		c.replySet(e.ContainerOf())
		c.DB.Delete(key)
		c.rewriteArgs([]byte("DEL"), key)
		return
	}
	var l memberList
	n := max(count, 1)
	c.DB.EditContainerE(key, e, true, ds.TypeSet, func(s ds.Container) (ds.Container, int, bool) {
		for i := int64(0); i < n; i++ {
			s, l.buf = ds.SetPop(a, s, c.srv.Rand(), l.buf)
			l.ends = append(l.ends, len(l.buf))
		}
		return s, int(n), s.Ref == 0 || s.Len(a) == 0
	})
	if count < 0 {
		c.ReplyBulk(l.at(0))
	} else {
		c.replyMembers(&l)
	}
	args := make([][]byte, 0, 2+l.len())
	args = append(args, []byte("SREM"), key)
	for i := range l.ends {
		args = append(args, l.at(i))
	}
	c.rewriteArgs(args...)
}

func smoveCommand(c *Client) {
	src, dst, m := c.Args[1], c.Args[2], c.Args[3]
	se, sfound := c.DB.LookupWrite(src)
	de, dfound := c.DB.LookupWrite(dst)
	if !sfound {
		c.ReplyInt(0)
		return
	}
	if se.Type() != ds.TypeSet || (dfound && de.Type() != ds.TypeSet) {
		c.ReplyWrongType()
		return
	}
	a := c.srv.KS.Alloc
	if string(src) == string(dst) {
		if ds.SetContains(a, se.ContainerOf(), m) {
			c.ReplyInt(1)
		} else {
			c.ReplyInt(0)
		}
		return
	}
	removed := false
	c.DB.EditContainerE(src, se, true, ds.TypeSet, func(s ds.Container) (ds.Container, int, bool) {
		s, removed = ds.SetRemove(a, s, m)
		if removed {
			return s, 1, s.Ref == 0 || s.Len(a) == 0
		}
		return s, 0, false
	})
	if !removed {
		c.ReplyInt(0)
		return
	}
	if dfound {
		de, dfound = c.DB.Lookup(dst)
	}
	maxIntset := c.maxIntset()
	c.DB.EditContainerE(dst, de, dfound, ds.TypeSet, func(s ds.Container) (ds.Container, int, bool) {
		s, added := ds.SetAdd(a, s, m, maxIntset)
		if added {
			return s, 1, false
		}
		return s, 0, false
	})
	c.ReplyInt(1)
}

// ---------------------------------------------------------------------------
// Multi-set commands

// lookupSets looks every key up (all are type-checked, as in Redis); a
// missing key is the zero Container. ok is false after WRONGTYPE.
func lookupSets(c *Client, keys [][]byte, write bool) ([]ds.Container, bool) {
	sets := make([]ds.Container, len(keys))
	for i, k := range keys {
		var e ds.Entry
		var found bool
		if write {
			e, found = c.DB.LookupWrite(k)
		} else {
			e, found = c.DB.LookupRead(k)
		}
		if !found {
			continue
		}
		if e.Type() != ds.TypeSet {
			c.ReplyWrongType()
			return nil, false
		}
		sets[i] = e.ContainerOf()
	}
	return sets, true
}

// interSets calls fn on each member of the intersection of sets (members
// of the smallest set, in its order, that every other set holds) until fn
// returns false. A missing set makes it empty.
func interSets(c *Client, sets []ds.Container, fn func(m []byte) bool) {
	a := c.srv.KS.Alloc
	small := 0
	for i, s := range sets {
		if s.Ref == 0 {
			return
		}
		if s.Len(a) < sets[small].Len(a) {
			small = i
		}
	}
	ds.SetForEach(a, sets[small], func(m []byte) bool {
		for i, s := range sets {
			if i != small && s.Ref != sets[small].Ref && !ds.SetContains(a, s, m) {
				return true
			}
		}
		return fn(m)
	})
}

const (
	opUnion = iota
	opDiff
)

// unionDiff builds the union or difference of sets as a new set (the zero
// Container when empty), as Redis builds its result: a set created empty
// that takes members by the usual rules (an intset while it can be).
func unionDiff(c *Client, sets []ds.Container, op int) ds.Container {
	a, maxIntset := c.srv.KS.Alloc, c.maxIntset()
	var res ds.Container
	switch op {
	case opUnion:
		for _, s := range sets {
			if s.Ref == 0 {
				continue
			}
			ds.SetForEach(a, s, func(m []byte) bool {
				res, _ = ds.SetAdd(a, res, m, maxIntset)
				return true
			})
		}
	case opDiff:
		if sets[0].Ref == 0 {
			return res
		}
		ds.SetForEach(a, sets[0], func(m []byte) bool {
			for _, s := range sets[1:] {
				if s.Ref != 0 && (s.Ref == sets[0].Ref || ds.SetContains(a, s, m)) {
					return true
				}
			}
			res, _ = ds.SetAdd(a, res, m, maxIntset)
			return true
		})
	}
	return res
}

// storeSet stores the freshly built set res as dst (deleting dst when res
// is empty) and replies its size.
func storeSet(c *Client, dst []byte, res ds.Container) {
	ks := c.srv.KS
	if res.Ref == 0 {
		c.DB.Delete(dst)
		c.ReplyInt(0)
		return
	}
	n := res.Len(ks.Alloc)
	c.DB.Put(ds.NewContainer(ks.Alloc, ds.TypeSet, res.Enc, dst, res.Ref, 0, false, ks.LRUClock))
	c.ReplyInt(int64(n))
}

func sinterCommand(c *Client) {
	sets, ok := lookupSets(c, c.Args[1:], false)
	if !ok {
		return
	}
	var l memberList
	interSets(c, sets, func(m []byte) bool { l.add(m); return true })
	c.replyMembers(&l)
}

func sinterstoreCommand(c *Client) {
	sets, ok := lookupSets(c, c.Args[2:], true)
	if !ok {
		return
	}
	a, maxIntset := c.srv.KS.Alloc, c.maxIntset()
	var res ds.Container
	interSets(c, sets, func(m []byte) bool {
		res, _ = ds.SetAdd(a, res, m, maxIntset)
		return true
	})
	storeSet(c, c.Args[1], res)
}

func sintercardCommand(c *Client) {
	numkeys, ok := ds.ParseInt(c.Args[1])
	if !ok || numkeys < 1 {
		c.ReplyError(ErrNumkeysZero)
		return
	}
	if numkeys > int64(len(c.Args)-2) {
		c.ReplyError(errNumkeysTooMany)
		return
	}
	limit := int64(0)
	for i := 2 + int(numkeys); i < len(c.Args); i += 2 {
		if !EqualFold(c.Args[i], "limit") || i+1 >= len(c.Args) {
			c.ReplySyntaxErr()
			return
		}
		n, ok := ds.ParseInt(c.Args[i+1])
		if !ok || n < 0 {
			c.ReplyError(errLimitNegative)
			return
		}
		limit = n
	}
	sets, ok := lookupSets(c, c.Args[2:2+numkeys], false)
	if !ok {
		return
	}
	n := int64(0)
	interSets(c, sets, func([]byte) bool {
		n++
		return limit == 0 || n < limit
	})
	c.ReplyInt(n)
}

func sunionDiff(c *Client, op int) {
	sets, ok := lookupSets(c, c.Args[1:], false)
	if !ok {
		return
	}
	res := unionDiff(c, sets, op)
	c.replySet(res)
	res.Free(c.srv.KS.Alloc)
}

func sunionDiffStore(c *Client, op int) {
	sets, ok := lookupSets(c, c.Args[2:], true)
	if !ok {
		return
	}
	storeSet(c, c.Args[1], unionDiff(c, sets, op))
}

func sunionCommand(c *Client)      { sunionDiff(c, opUnion) }
func sdiffCommand(c *Client)       { sunionDiff(c, opDiff) }
func sunionstoreCommand(c *Client) { sunionDiffStore(c, opUnion) }
func sdiffstoreCommand(c *Client)  { sunionDiffStore(c, opDiff) }

// sscanCommand: an intset comes whole in one call (cursor 0), as Redis
// returns its small encodings; a hashtable is walked with the set table's
// SCAN cursor, COUNT home groups' worth at a time.
func sscanCommand(c *Client) {
	cursor, ok := ParseScanCursor(c.Args[2])
	if !ok {
		c.ReplyError("ERR invalid cursor")
		return
	}
	s, found, ok := lookupSet(c, c.Args[1])
	if !ok {
		return
	}
	if !found {
		c.ReplyArrayLen(2)
		c.ReplyScanCursor(0)
		c.ReplyArrayLen(0)
		return
	}
	count, pat, _, ok := parseScanOpts(c, 3, false)
	if !ok {
		return
	}
	a := c.srv.KS.Alloc
	var l memberList
	visited := int64(0)
	collect := func(m []byte) {
		visited++
		if pat == nil || StringMatch(pat, m, false) {
			l.add(m)
		}
	}
	maxIter := count * 10
	if count > math.MaxInt64/10 {
		maxIter = math.MaxInt64
	}
	for {
		cursor = ds.SetScan(a, s, cursor, collect)
		if cursor == 0 || maxIter == 0 || visited >= count {
			break
		}
		maxIter--
	}
	c.ReplyArrayLen(2)
	c.ReplyScanCursor(cursor)
	c.replyMembers(&l)
}
