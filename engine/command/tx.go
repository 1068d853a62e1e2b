package command

import (
	"rundb/engine/db"
)

// Transactions: MULTI queues commands, EXEC runs them as one, WATCH makes
// EXEC fail when a watched key changed (or expired) after it was watched.

func init() {
	handle(map[string]func(c *Client){
		"multi":   multiCommand,
		"exec":    execCommand,
		"discard": discardCommand,
		"watch":   watchCommand,
		"unwatch": unwatchCommand,
	})
}

func multiCommand(c *Client) {
	if c.InMulti {
		c.ReplyError("ERR MULTI calls can not be nested")
		return
	}
	c.InMulti = true
	c.ReplyOK()
}

func discardCommand(c *Client) {
	if !c.InMulti {
		c.ReplyError("ERR DISCARD without MULTI")
		return
	}
	c.srv.discardTransaction(c)
	c.ReplyOK()
}

func (s *Server) discardTransaction(c *Client) {
	c.InMulti = false
	c.DirtyExec = false
	c.DirtyCAS = false
	c.Queue = nil
	s.unwatchAll(c)
}

func execCommand(c *Client) {
	s := c.srv
	if !c.InMulti {
		c.ReplyError("ERR EXEC without MULTI")
		return
	}
	if s.watchedKeyExpired(c) {
		c.DirtyCAS = true
	}
	if c.DirtyExec {
		c.ReplyError("EXECABORT Transaction discarded because of previous errors.")
		s.discardTransaction(c)
		return
	}
	if c.DirtyCAS {
		c.ReplyNullArray()
		s.discardTransaction(c)
		return
	}
	// Watched keys are released before running, so that the transaction's
	// own writes do not flag it.
	s.unwatchAll(c)
	queue := c.Queue
	c.Queue = nil
	c.InMulti = false
	c.ReplyArrayLen(len(queue))
	saved := c.Args
	c.inExec = true
	defer func() { c.inExec = false }()
	for _, q := range queue {
		c.Args = q.args
		if !c.Authenticated && q.cmd.Flags&FlagNoAuth == 0 {
			c.ReplyError(ErrNoAuth)
			continue
		}
		s.call(c, q.cmd, s.monoNs())
	}
	c.Args = saved
	c.DirtyExec, c.DirtyCAS = false, false
}

func watchCommand(c *Client) {
	if c.InMulti {
		c.ReplyError("ERR WATCH inside MULTI is not allowed")
		return
	}
	s := c.srv
	for _, k := range c.Args[1:] {
		s.watchKey(c, k)
	}
	c.ReplyOK()
}

func unwatchCommand(c *Client) {
	c.srv.unwatchAll(c)
	c.DirtyCAS = false
	c.ReplyOK()
}

func (s *Server) watchKey(c *Client, key []byte) {
	for _, w := range c.Watched {
		if w.db == c.DB.ID && w.key == string(key) {
			return
		}
	}
	id := watchID{db: c.DB.ID, key: string(key)}
	s.watchers[id] = append(s.watchers[id], c)
	c.Watched = append(c.Watched, watchedKey{db: id.db, key: id.key, expired: c.DB.IsExpired(key)})
}

func (s *Server) unwatchAll(c *Client) {
	for _, w := range c.Watched {
		id := watchID{db: w.db, key: w.key}
		list := s.watchers[id]
		for i, x := range list {
			if x == c {
				list = append(list[:i], list[i+1:]...)
				break
			}
		}
		if len(list) == 0 {
			delete(s.watchers, id)
		} else {
			s.watchers[id] = list
		}
	}
	c.Watched = nil
}

// touchWatched flags every client watching key in d (called from the
// after-write hook for writes made by commands).
func (s *Server) touchWatched(d *db.DB, key []byte) {
	if len(s.watchers) == 0 {
		return
	}
	for _, c := range s.watchers[watchID{db: d.ID, key: string(key)}] {
		c.DirtyCAS = true
	}
}

// watchedKeyExpired reports whether a watched key that was live when
// watched has expired since.
func (s *Server) watchedKeyExpired(c *Client) bool {
	for _, w := range c.Watched {
		if w.expired {
			continue
		}
		if s.KS.DBs[w.db].IsExpired([]byte(w.key)) {
			return true
		}
	}
	return false
}

// touchAllWatched flags clients watching any key of database id that
// exists in it (or, for SWAPDB, in the database swapped in): the
// before-flush and before-swap hooks call it.
func (s *Server) touchAllWatched(id int, also int) {
	if len(s.watchers) == 0 {
		return
	}
	for wid, list := range s.watchers {
		if wid.db != id {
			continue
		}
		k := []byte(wid.key)
		if s.KS.DBs[id].Exists(k) || (also >= 0 && s.KS.DBs[also].Exists(k)) {
			for _, c := range list {
				c.DirtyCAS = true
			}
		}
	}
}
