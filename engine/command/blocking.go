package command

import (
	"math"
	"rundb/engine/resp"
	"strconv"
	"strings"
	"time"

	"rundb/engine/db"
)

// Blocked clients. A blocking command (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH,
// BLMPOP) that finds nothing to pop registers its client under each of its
// keys (block) and replies nothing; the server around the command layer
// then stops reading the client's input (Client.Blocked) until it is
// unblocked. A write to a key some client waits on marks the key ready
// (the after-write hook); once the top-level command that wrote it has
// finished (EXEC included), serveReady runs the waiting clients' commands
// again, in the order they blocked, each restricted to the ready key, as
// Redis serves them. A client is also unblocked by its timeout (Cron), by
// CLIENT UNBLOCK, or by going away. Unblocked clients with a reply are
// handed to the server through TakeUnblocked, which flushes their output
// and resumes reading them.
//
// Inside EXEC a blocking command does not block: it answers as if it had
// timed out at once.

// blockState is what a blocked client waits for.
type blockState struct {
	cmd      *Command
	args     [][]byte // owned copy of the command
	db       *db.DB
	keys     []string
	deadline time.Time // zero: no timeout
}

type blockKey struct {
	db  int
	key string
}

// blocking is the server's blocked-client state.
type blocking struct {
	waiting   map[blockKey][]*Client // clients per key, in blocking order
	ready     []blockKey
	readySet  map[blockKey]bool
	unblocked []*Client
	count     int
}

// Blocked reports whether c waits in a blocking command.
func (c *Client) Blocked() bool { return c.blocked != nil }

// TakeUnblocked returns the clients unblocked since the last call (their
// replies are in Out) and forgets them.
func (s *Server) TakeUnblocked() []*Client {
	out := s.blk.unblocked
	s.blk.unblocked = nil
	return out
}

// BlockedClients is the number of clients waiting in blocking commands.
func (s *Server) BlockedClients() int { return s.blk.count }

// timeoutArg parses a blocking command's timeout in seconds (fractions
// allowed; 0: none) into a deadline, replying Redis's error when it is not
// a number or negative. As in Redis, the milliseconds are rounded up, a
// value too large for them counts as negative, and a deadline past the
// end of time means no timeout.
func timeoutArg(c *Client, i int) (time.Time, bool) {
	v, ok := parseLongDouble(c.Args[i])
	if !ok {
		c.ReplyError("ERR timeout is not a float or out of range")
		return time.Time{}, false
	}
	ms := math.Ceil(v * 1000)
	if math.IsInf(ms, 0) || ms >= 1<<63 || ms < -(1<<63) || ms < 0 {
		c.ReplyError("ERR timeout is negative")
		return time.Time{}, false
	}
	if ms == 0 {
		return time.Time{}, true
	}
	now := time.Now()
	if int64(ms) > math.MaxInt64-now.UnixMilli() {
		return time.Time{}, true
	}
	return now.Add(time.Duration(int64(ms)) * time.Millisecond), true
}

// parseLongDouble parses b as Redis parses a long double argument (C's
// strtold on the whole string): decimal or hexadecimal (0x, without the
// binary exponent Go requires), inf and infinity; no spaces, no
// underscores, not empty, not NaN.
func parseLongDouble(b []byte) (float64, bool) {
	if len(b) == 0 || len(b) > 256 {
		return 0, false
	}
	for _, ch := range b {
		if ch == '_' || ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\v' || ch == '\f' || ch == 0 {
			return 0, false
		}
	}
	s := string(b)
	body := strings.TrimLeft(s, "+-")
	if len(s)-len(body) > 1 {
		return 0, false
	}
	if len(body) > 1 && body[0] == '0' && (body[1] == 'x' || body[1] == 'X') && !strings.ContainsAny(body, "pP") {
		s += "p0"
	}
	v, err := strconv.ParseFloat(s, 64)
	if math.IsNaN(v) || (err != nil && !math.IsInf(v, 0)) {
		return 0, false
	}
	return v, true
}

// block makes c wait on keys until deadline (zero: forever). Inside EXEC
// it replies at once: a null array, or a null bulk when bulkInExec (BLMOVE
// and BRPOPLPUSH, as Redis answers them there). While c is being served
// (serveReady) it only notes that c stays blocked.
func (c *Client) block(keys [][]byte, deadline time.Time, bulkInExec bool) {
	if c.serving {
		c.stillBlocked = true
		return
	}
	if c.inExec {
		if bulkInExec {
			c.ReplyNull()
		} else {
			c.ReplyNullArray()
		}
		return
	}
	s := c.srv
	st := &blockState{cmd: c.Cmd, args: resp.CloneArgs(c.Args), db: c.DB, deadline: deadline}
	if s.blk.waiting == nil {
		s.blk.waiting = map[blockKey][]*Client{}
		s.blk.readySet = map[blockKey]bool{}
	}
	for _, k := range keys {
		key := string(k)
		dup := false
		for _, have := range st.keys {
			dup = dup || have == key
		}
		if dup {
			continue
		}
		st.keys = append(st.keys, key)
		bk := blockKey{c.DB.ID, key}
		s.blk.waiting[bk] = append(s.blk.waiting[bk], c)
	}
	c.blocked = st
	s.blk.count++
}

// replyTimeout is every blocking command's reply when its wait ends with
// nothing (timeout, CLIENT UNBLOCK): a null array, as Redis 7.0 sends.
func replyTimeout(c *Client) { c.ReplyNullArray() }

// unblock forgets c's wait (its reply, if any, is already in c.Out).
func (s *Server) unblock(c *Client) {
	st := c.blocked
	if st == nil {
		return
	}
	for _, key := range st.keys {
		bk := blockKey{st.db.ID, key}
		list := s.blk.waiting[bk]
		for i, w := range list {
			if w == c {
				list = append(list[:i:i], list[i+1:]...)
				break
			}
		}
		if len(list) == 0 {
			delete(s.blk.waiting, bk)
		} else {
			s.blk.waiting[bk] = list
		}
	}
	c.blocked = nil
	s.blk.count--
}

// signalReady marks key of d ready when a client waits on it.
func (s *Server) signalReady(d *db.DB, key []byte) {
	if len(s.blk.waiting) == 0 {
		return
	}
	bk := blockKey{d.ID, string(key)}
	if _, ok := s.blk.waiting[bk]; ok && !s.blk.readySet[bk] {
		s.blk.readySet[bk] = true
		s.blk.ready = append(s.blk.ready, bk)
	}
}

// signalSwapped marks every key clients wait on in databases a and b
// ready (SWAPDB): after the swap, a list may be there; a client whose key
// still holds none keeps waiting.
func (s *Server) signalSwapped(a, b int) {
	for bk := range s.blk.waiting {
		if (bk.db == a || bk.db == b) && !s.blk.readySet[bk] {
			s.blk.readySet[bk] = true
			s.blk.ready = append(s.blk.ready, bk)
		}
	}
}

// serveReady serves the clients waiting on ready keys, in the order the
// keys became ready and, per key, in the order the clients blocked. A
// served client's own writes (BLMOVE's push) may make more keys ready.
func (s *Server) serveReady() {
	for len(s.blk.ready) > 0 {
		bk := s.blk.ready[0]
		s.blk.ready = s.blk.ready[1:]
		delete(s.blk.readySet, bk)
		waiting := append([]*Client(nil), s.blk.waiting[bk]...)
		for _, w := range waiting {
			if w.blocked == nil {
				continue
			}
			s.serveBlocked(w, bk.key)
		}
	}
}

// serveBlocked runs w's blocking command again for key; w is unblocked if
// it was served.
func (s *Server) serveBlocked(w *Client, key string) {
	st := w.blocked
	w.DB = st.db
	w.Args = st.args
	w.serving, w.servingKey, w.stillBlocked = true, key, false
	s.call(w, st.cmd, s.monoNs())
	w.serving, w.servingKey = false, ""
	w.Args = nil
	if !w.stillBlocked {
		s.unblock(w)
		s.blk.unblocked = append(s.blk.unblocked, w)
	}
}

// blockTimeouts answers the blocked clients whose deadline passed.
func (s *Server) blockTimeouts(now time.Time) {
	if s.blk.count == 0 {
		return
	}
	for _, c := range s.SortedClients() {
		if st := c.blocked; st != nil && !st.deadline.IsZero() && !now.Before(st.deadline) {
			replyTimeout(c)
			s.unblock(c)
			s.blk.unblocked = append(s.blk.unblocked, c)
		}
	}
}

// tryKey reports whether a blocking command may serve key now: always
// when running normally, and only the ready key while being served.
func (c *Client) tryKey(key []byte) bool {
	return !c.serving || c.servingKey == string(key)
}
