package command

import (
	"strconv"

	"rundb/engine/ds"
)

// The list family. A list is a ds.List (engine/ds/list.go: a bare
// listpack while it fits one node, else a quicklist): pushes, pops and
// edits go through db.EditContainerE, reads through LookupRead and the
// list's read functions. An emptied list is deleted. A new list takes
// list-max-listpack-size and list-compress-depth as they are when it is
// created, as in Redis.

func init() {
	handle(map[string]func(c *Client){
		"lpush":     lpushCommand,
		"rpush":     rpushCommand,
		"lpushx":    lpushxCommand,
		"rpushx":    rpushxCommand,
		"lpop":      lpopCommand,
		"rpop":      rpopCommand,
		"llen":      llenCommand,
		"lindex":    lindexCommand,
		"lrange":    lrangeCommand,
		"lset":      lsetCommand,
		"linsert":   linsertCommand,
		"lrem":      lremCommand,
		"ltrim":     ltrimCommand,
		"lpos":      lposCommand,
		"lmove":     lmoveCommand,
		"rpoplpush": rpoplpushCommand,
		"lmpop":     lmpopCommand,

		"blpop":      blpopCommand,
		"brpop":      brpopCommand,
		"blmove":     blmoveCommand,
		"brpoplpush": brpoplpushCommand,
		"blmpop":     blmpopCommand,
	})
}

const (
	errIndexRange    = "ERR index out of range"
	errRankZero      = "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list"
	errCountNegative = "ERR COUNT can't be negative"
	errMaxlenNeg     = "ERR MAXLEN can't be negative"
	errCountPositive = "ERR count should be greater than 0"
)

// ---------------------------------------------------------------------------
// Shared helpers

// lookupList and lookupListWrite look key up as a list (lookupTyped).
func lookupList(c *Client, key []byte) (ds.Entry, bool, bool) {
	return lookupTyped(c, key, ds.TypeList, false)
}

func lookupListWrite(c *Client, key []byte) (ds.Entry, bool, bool) {
	return lookupTyped(c, key, ds.TypeList, true)
}

// listOf views a list entry's list.
func listOf(c *Client, e ds.Entry) ds.List {
	return ds.OpenList(c.DB.Alloc(), e.ContainerOf())
}

// openList views container ct as a list, an empty one with the configured
// fill and depth when ct is none.
func openList(c *Client, ct ds.Container) ds.List {
	if ct.Ref == 0 {
		cfg := c.srv.Config
		return ds.NewList(c.DB.Alloc(), clampFill(cfg.ListMaxListpackSize), clampDepth(cfg.ListCompressDepth))
	}
	return ds.OpenList(c.DB.Alloc(), ct)
}

// clampFill bounds list-max-listpack-size to what a list keeps: -5 (64 KB)
// to 32767 entries, as Redis clamps it.
func clampFill(v int64) int { return int(min(max(v, -5), 1<<15-1)) }

// clampDepth bounds list-compress-depth as Redis does (65535).
func clampDepth(v int64) int { return int(min(max(v, 0), 1<<16-1)) }

// whereArg parses LEFT or RIGHT: head is true for LEFT.
func whereArg(c *Client, i int) (head, ok bool) {
	switch {
	case EqualFold(c.Args[i], "left"):
		return true, true
	case EqualFold(c.Args[i], "right"):
		return false, true
	}
	c.ReplySyntaxErr()
	return false, false
}

// replyElem replies one element as a bulk string.
func replyElem(c *Client, e ds.Elem) {
	if e.IsInt {
		c.ReplyBulkInt(e.N)
	} else {
		c.ReplyBulk(e.S)
	}
}

// ---------------------------------------------------------------------------
// Push and pop

func lpushCommand(c *Client)  { pushGeneric(c, true, false) }
func rpushCommand(c *Client)  { pushGeneric(c, false, false) }
func lpushxCommand(c *Client) { pushGeneric(c, true, true) }
func rpushxCommand(c *Client) { pushGeneric(c, false, true) }

func pushGeneric(c *Client, head, xx bool) {
	key := c.Args[1]
	e, found, ok := lookupListWrite(c, key)
	if !ok {
		return
	}
	if xx && !found {
		c.ReplyInt(0)
		return
	}
	vals := c.Args[2:]
	n := 0
	c.DB.EditContainerE(key, e, found, ds.TypeList, func(ct ds.Container) (ds.Container, int, bool) {
		q := openList(c, ct)
		q.Push(head, vals)
		n = q.Len()
		return q.Container(), len(vals), false
	})
	c.ReplyInt(int64(n))
}

func lpopCommand(c *Client) { popGeneric(c, true) }
func rpopCommand(c *Client) { popGeneric(c, false) }

func popGeneric(c *Client, head bool) {
	if len(c.Args) > 3 {
		c.ReplyArityErr(c.Cmd.Name)
		return
	}
	count, hasCount := int64(1), len(c.Args) == 3
	if hasCount {
		n, ok := ds.ParseInt(c.Args[2])
		if !ok || n < 0 {
			c.ReplyError(ErrMustBePositive)
			return
		}
		count = n
	}
	key := c.Args[1]
	e, found, ok := lookupListWrite(c, key)
	if !ok {
		return
	}
	if !found {
		if hasCount {
			c.ReplyNullArray()
		} else {
			c.ReplyNull()
		}
		return
	}
	if hasCount && count == 0 {
		c.ReplyArrayLen(0)
		return
	}
	popReply(c, key, e, head, count, hasCount)
}

// popReply pops up to count elements of key's list (live entry e) from one
// end and replies them: one bulk string, or an array when asArray.
func popReply(c *Client, key []byte, e ds.Entry, head bool, count int64, asArray bool) {
	c.DB.EditContainerE(key, e, true, ds.TypeList, func(ct ds.Container) (ds.Container, int, bool) {
		q := openList(c, ct)
		n := int(min(count, int64(q.Len())))
		if asArray {
			c.ReplyArrayLen(n)
		}
		for i := 0; i < n; i++ {
			q.PopWith(head, func(el ds.Elem) { replyElem(c, el) })
		}
		if q.Len() == 0 {
			// The list goes with its key: free it while it is open (the
			// zero Container tells EditContainerE it is gone).
			q.Free()
			return ds.Container{}, n, true
		}
		return q.Container(), n, false
	})
}

func llenCommand(c *Client) {
	e, found, ok := lookupList(c, c.Args[1])
	if !ok {
		return
	}
	if !found {
		c.ReplyInt(0)
		return
	}
	c.ReplyInt(int64(listOf(c, e).Len()))
}

func lindexCommand(c *Client) {
	e, found, ok := lookupList(c, c.Args[1])
	if !ok {
		return
	}
	if !found {
		c.ReplyNull()
		return
	}
	i, ok := c.IntArg(2)
	if !ok {
		return
	}
	q := listOf(c, e)
	if i < -int64(q.Len()) || i >= int64(q.Len()) {
		c.ReplyNull()
		return
	}
	el, _ := q.Index(int(i))
	replyElem(c, el)
}

// listRange resolves start and end (negative: from the end) against a list
// of n elements, as LRANGE and LTRIM do; empty is true when no element is
// in range.
func listRange(start, end int64, n int) (s, e int, empty bool) {
	ln := int64(n)
	if start < 0 {
		start += ln
	}
	if end < 0 {
		end += ln
	}
	if start < 0 {
		start = 0
	}
	if start > end || start >= ln {
		return 0, 0, true
	}
	if end >= ln {
		end = ln - 1
	}
	return int(start), int(end), false
}

func lrangeCommand(c *Client) {
	start, ok := c.IntArg(2)
	if !ok {
		return
	}
	end, ok := c.IntArg(3)
	if !ok {
		return
	}
	e, found, ok := lookupList(c, c.Args[1])
	if !ok {
		return
	}
	if !found {
		c.ReplyArrayLen(0)
		return
	}
	q := listOf(c, e)
	s, t, empty := listRange(start, end, q.Len())
	if empty {
		c.ReplyArrayLen(0)
		return
	}
	c.ReplyArrayLen(t - s + 1)
	q.Range(s, t, false, func(el ds.Elem) bool {
		replyElem(c, el)
		return true
	})
}

func lsetCommand(c *Client) {
	key := c.Args[1]
	e, found, ok := lookupListWrite(c, key)
	if !ok {
		return
	}
	if !found {
		c.ReplyError(ErrNoSuchKey)
		return
	}
	i, ok := c.IntArg(2)
	if !ok {
		return
	}
	n := int64(listOf(c, e).Len())
	if i < 0 {
		i += n
	}
	if i < 0 || i >= n {
		c.ReplyError(errIndexRange)
		return
	}
	val := c.Args[3]
	c.DB.EditContainerE(key, e, true, ds.TypeList, func(ct ds.Container) (ds.Container, int, bool) {
		q := openList(c, ct)
		q.Replace(int(i), val)
		return q.Container(), 1, false
	})
	c.ReplyOK()
}

func linsertCommand(c *Client) {
	var after bool
	switch {
	case EqualFold(c.Args[2], "after"):
		after = true
	case EqualFold(c.Args[2], "before"):
	default:
		c.ReplySyntaxErr()
		return
	}
	key, pivot, val := c.Args[1], c.Args[3], c.Args[4]
	e, found, ok := lookupListWrite(c, key)
	if !ok {
		return
	}
	if !found {
		c.ReplyInt(0)
		return
	}
	q := listOf(c, e)
	at, i := -1, 0
	q.Range(0, q.Len()-1, false, func(el ds.Elem) bool {
		if el.Equal(pivot) {
			at = i
			return false
		}
		i++
		return true
	})
	if at < 0 {
		c.ReplyInt(-1)
		return
	}
	if after {
		at++
	}
	n := 0
	c.DB.EditContainerE(key, e, true, ds.TypeList, func(ct ds.Container) (ds.Container, int, bool) {
		q := openList(c, ct)
		q.Insert(at, val)
		n = q.Len()
		return q.Container(), 1, false
	})
	c.ReplyInt(int64(n))
}

func lremCommand(c *Client) {
	count, ok := c.IntArg(2)
	if !ok {
		return
	}
	key, val := c.Args[1], c.Args[3]
	e, found, ok := lookupListWrite(c, key)
	if !ok {
		return
	}
	if !found {
		c.ReplyInt(0)
		return
	}
	count = max(count, -(1 << 62)) // -count must not overflow; no list is that long
	removed := 0
	c.DB.EditContainerE(key, e, true, ds.TypeList, func(ct ds.Container) (ds.Container, int, bool) {
		q := openList(c, ct)
		removed = q.Remove(val, int(count))
		return q.Container(), removed, q.Len() == 0
	})
	c.ReplyInt(int64(removed))
}

func ltrimCommand(c *Client) {
	start, ok := c.IntArg(2)
	if !ok {
		return
	}
	end, ok := c.IntArg(3)
	if !ok {
		return
	}
	key := c.Args[1]
	e, found, ok := lookupListWrite(c, key)
	if !ok {
		return
	}
	if !found {
		c.ReplyOK()
		return
	}
	c.DB.EditContainerE(key, e, true, ds.TypeList, func(ct ds.Container) (ds.Container, int, bool) {
		q := openList(c, ct)
		n := q.Len()
		s, t, empty := listRange(start, end, n)
		if empty {
			q.Delete(0, n)
			return q.Container(), n, true
		}
		q.Delete(t+1, n-t-1)
		q.Delete(0, s)
		return q.Container(), n - (t - s + 1), q.Len() == 0
	})
	c.ReplyOK()
}

func lposCommand(c *Client) {
	rank, count, maxlen := int64(1), int64(-1), int64(0)
	// RANK -9223372036854775808 has no positive counterpart: Redis then
	// takes every match from the tail as one of the ranks wanted (and
	// COUNT stops nothing), which rundb reproduces.
	minRank := false
	for j := 3; j < len(c.Args); j++ {
		more := j+1 < len(c.Args)
		switch {
		case EqualFold(c.Args[j], "rank") && more:
			j++
			n, ok := ds.ParseInt(c.Args[j])
			if !ok {
				c.ReplyNotInt()
				return
			}
			if n == 0 {
				c.ReplyError(errRankZero)
				return
			}
			rank, minRank = n, n == -1<<63
		case EqualFold(c.Args[j], "count") && more:
			j++
			n, ok := ds.ParseInt(c.Args[j])
			if !ok || n < 0 {
				c.ReplyError(errCountNegative)
				return
			}
			count = n
		case EqualFold(c.Args[j], "maxlen") && more:
			j++
			n, ok := ds.ParseInt(c.Args[j])
			if !ok || n < 0 {
				c.ReplyError(errMaxlenNeg)
				return
			}
			maxlen = n
		default:
			c.ReplySyntaxErr()
			return
		}
	}
	e, found, ok := lookupList(c, c.Args[1])
	if !ok {
		return
	}
	if !found {
		if count >= 0 {
			c.ReplyArrayLen(0)
		} else {
			c.ReplyNull()
		}
		return
	}
	q := listOf(c, e)
	n := q.Len()
	rev := rank < 0
	skip := rank - 1
	if rev {
		skip = -rank - 1
	}
	want := count
	if minRank {
		skip = 0
		if count > 0 {
			want = 0
		}
	}
	if want == 0 {
		want = int64(n) // COUNT 0: every match
	}
	if count < 0 {
		want = 1
	}
	var matches []int64
	scanned := int64(0)
	idx := 0
	if rev {
		idx = n - 1
	}
	q.Range(0, n-1, rev, func(el ds.Elem) bool {
		if maxlen != 0 && scanned >= maxlen {
			return false
		}
		scanned++
		if el.Equal(c.Args[2]) {
			if skip > 0 {
				skip--
			} else {
				matches = append(matches, int64(idx))
				if int64(len(matches)) >= want {
					return false
				}
			}
		}
		if rev {
			idx--
		} else {
			idx++
		}
		return true
	})
	if count < 0 {
		if len(matches) == 0 {
			c.ReplyNull()
		} else {
			c.ReplyInt(matches[0])
		}
		return
	}
	c.ReplyArrayLen(len(matches))
	for _, m := range matches {
		c.ReplyInt(m)
	}
}

// ---------------------------------------------------------------------------
// Moves between lists

func lmoveCommand(c *Client) {
	from, ok := whereArg(c, 3)
	if !ok {
		return
	}
	to, ok := whereArg(c, 4)
	if !ok {
		return
	}
	if !lmoveGeneric(c, from, to) {
		c.ReplyNull()
	}
}

func rpoplpushCommand(c *Client) {
	if !lmoveGeneric(c, false, true) {
		c.ReplyNull()
	}
}

// lmoveGeneric pops from one end of Args[1] and pushes onto one end of
// Args[2], replying the element. It returns false, replying nothing, when
// the source is missing (or, while a blocked client is served, not a
// list: the client keeps waiting).
func lmoveGeneric(c *Client, fromHead, toHead bool) bool {
	src, dst := c.Args[1], c.Args[2]
	se, found := c.DB.LookupWrite(src)
	if found && se.Type() != ds.TypeList {
		if c.serving {
			return false
		}
		c.ReplyWrongType()
		return true
	}
	if !found {
		return false
	}
	de, dfound, ok := lookupListWrite(c, dst)
	if !ok {
		return true
	}
	var val []byte
	if string(src) == string(dst) {
		c.DB.EditContainerE(src, se, true, ds.TypeList, func(ct ds.Container) (ds.Container, int, bool) {
			q := openList(c, ct)
			val, _ = q.Pop(fromHead, nil)
			if toHead {
				q.PushHead(val)
			} else {
				q.PushTail(val)
			}
			return q.Container(), 2, false
		})
		c.ReplyBulk(val)
		return true
	}
	c.DB.EditContainerE(src, se, true, ds.TypeList, func(ct ds.Container) (ds.Container, int, bool) {
		q := openList(c, ct)
		val, _ = q.Pop(fromHead, nil)
		return q.Container(), 1, q.Len() == 0
	})
	if dfound {
		// The source's edit may have moved or freed blocks; look again.
		de, dfound = c.DB.Lookup(dst)
	}
	c.DB.EditContainerE(dst, de, dfound, ds.TypeList, func(ct ds.Container) (ds.Container, int, bool) {
		q := openList(c, ct)
		if toHead {
			q.PushHead(val)
		} else {
			q.PushTail(val)
		}
		return q.Container(), 1, false
	})
	c.ReplyBulk(val)
	return true
}

func lmpopCommand(c *Client) {
	keys, head, count, ok := mpopArgs(c, 1)
	if !ok {
		return
	}
	if !mpopGeneric(c, keys, head, count) {
		c.ReplyNullArray()
	}
}

// mpopArgs parses LMPOP's arguments from numkeys at Args[i] on.
func mpopArgs(c *Client, i int) (keys [][]byte, head bool, count int64, ok bool) {
	numkeys, ok := ds.ParseInt(c.Args[i])
	if !ok || numkeys <= 0 {
		c.ReplyError(ErrNumkeysZero)
		return nil, false, 0, false
	}
	whereIdx := int64(i+1) + numkeys
	if numkeys > int64(len(c.Args)) || whereIdx >= int64(len(c.Args)) {
		c.ReplySyntaxErr()
		return nil, false, 0, false
	}
	head, ok = whereArg(c, int(whereIdx))
	if !ok {
		return nil, false, 0, false
	}
	count = -1
	for j := int(whereIdx) + 1; j < len(c.Args); j++ {
		if count == -1 && EqualFold(c.Args[j], "count") && j+1 < len(c.Args) {
			j++
			n, ok := ds.ParseInt(c.Args[j])
			if !ok || n <= 0 {
				c.ReplyError(errCountPositive)
				return nil, false, 0, false
			}
			count = n
			continue
		}
		c.ReplySyntaxErr()
		return nil, false, 0, false
	}
	if count == -1 {
		count = 1
	}
	return c.Args[i+1 : whereIdx], head, count, true
}

// mpopGeneric pops up to count elements from the first non-empty list of
// keys, replying [key, [elements]]; it returns false, replying nothing,
// when every key is missing (or, while a blocked client is served, not
// the ready list).
func mpopGeneric(c *Client, keys [][]byte, head bool, count int64) bool {
	for _, key := range keys {
		if !c.tryKey(key) {
			continue
		}
		e, found := c.DB.LookupWrite(key)
		if found && e.Type() != ds.TypeList {
			if c.serving {
				return false
			}
			c.ReplyWrongType()
			return true
		}
		if !found {
			continue
		}
		n := min(count, int64(listOf(c, e).Len()))
		// LMPOP and BLMPOP replay as the LPOP or RPOP of what they popped.
		name := []byte("RPOP")
		if head {
			name = []byte("LPOP")
		}
		c.rewriteArgs(name, key, strconv.AppendInt(nil, n, 10))
		c.ReplyArrayLen(2)
		c.ReplyBulk(key)
		popReply(c, key, e, head, count, true)
		return true
	}
	return false
}

// ---------------------------------------------------------------------------
// Blocking pops (blocking.go has the waiting)

func blpopCommand(c *Client) { bpopGeneric(c, true) }
func brpopCommand(c *Client) { bpopGeneric(c, false) }

func bpopGeneric(c *Client, head bool) {
	deadline, ok := timeoutArg(c, len(c.Args)-1)
	if !ok {
		return
	}
	keys := c.Args[1 : len(c.Args)-1]
	for _, key := range keys {
		if !c.tryKey(key) {
			continue
		}
		e, found := c.DB.LookupWrite(key)
		if found && e.Type() != ds.TypeList {
			if c.serving {
				break
			}
			c.ReplyWrongType()
			return
		}
		if !found {
			continue
		}
		// BLPOP and BRPOP replay as the LPOP or RPOP of the key served.
		name := []byte("RPOP")
		if head {
			name = []byte("LPOP")
		}
		c.rewriteArgs(name, key)
		c.ReplyArrayLen(2)
		c.ReplyBulk(key)
		popReply(c, key, e, head, 1, false)
		return
	}
	c.block(keys, deadline, false)
}

func blmoveCommand(c *Client) {
	from, ok := whereArg(c, 3)
	if !ok {
		return
	}
	to, ok := whereArg(c, 4)
	if !ok {
		return
	}
	bmoveGeneric(c, 5, from, to)
}

func brpoplpushCommand(c *Client) { bmoveGeneric(c, 3, false, true) }

func bmoveGeneric(c *Client, timeoutIdx int, from, to bool) {
	deadline, ok := timeoutArg(c, timeoutIdx)
	if !ok {
		return
	}
	if c.tryKey(c.Args[1]) {
		args := c.Args
		// BLMOVE replays as LMOVE, BRPOPLPUSH as RPOPLPUSH.
		if timeoutIdx == 5 {
			c.rewriteArgs([]byte("LMOVE"), args[1], args[2], args[3], args[4])
		} else {
			c.rewriteArgs([]byte("RPOPLPUSH"), args[1], args[2])
		}
		if lmoveGeneric(c, from, to) {
			return
		}
		c.propArgs = nil
	}
	c.block(c.Args[1:2], deadline, true)
}

func blmpopCommand(c *Client) {
	deadline, ok := timeoutArg(c, 1)
	if !ok {
		return
	}
	keys, head, count, ok := mpopArgs(c, 2)
	if !ok {
		return
	}
	if !mpopGeneric(c, keys, head, count) {
		c.block(keys, deadline, false)
	}
}
