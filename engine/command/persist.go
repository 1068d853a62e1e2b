package command

import "strconv"

// Persistence commands: SAVE and BGREWRITEAOF, the MISCONF refusal of
// writes after a failed append-log write, and INFO persistence. The files
// themselves are the persistence room's (engine/persist), which the engine
// wires in through Persistence; the command layer only asks.

func init() {
	handle(map[string]func(c *Client){
		"save":         saveCommand,
		"bgrewriteaof": bgrewriteaofCommand,
	})
}

// Persistence is what the command layer asks of the server's persistence.
type Persistence interface {
	// Save writes a snapshot of every database in the foreground (SAVE):
	// a new base file of the append-log directory.
	Save() error
	// Rewrite starts a background rewrite (BGREWRITEAOF): a snapshot as
	// of now, written while clients are served. ErrRewriteRunning when one
	// runs already.
	Rewrite() error
	// Rewriting reports whether a rewrite runs.
	Rewriting() bool
	// ScheduleRewrite asks for a rewrite to start after the current
	// command (BGREWRITEAOF inside EXEC).
	ScheduleRewrite()
	// WriteError is the error of the last append-log write when it failed
	// (writes are refused with MISCONF until a write succeeds), else "".
	WriteError() string
	// Info is the INFO persistence section's lines.
	Info() [][2]string
	// LastSave is the Unix time of the last successful snapshot (or of
	// the start).
	LastSave() int64
}

// ErrRewriteRunning is what Rewrite returns while a rewrite runs.
var ErrRewriteRunning = rewriteRunning{}

type rewriteRunning struct{}

func (rewriteRunning) Error() string {
	return "Background append only file rewriting already in progress"
}

// SetPersistence installs the server's persistence (nil: none; SAVE and
// BGREWRITEAOF then answer that there is nowhere to write).
func (s *Server) SetPersistence(p Persistence) { s.persist = p }

const errNoPersistence = "ERR rundb was started without persistence"

func saveCommand(c *Client) {
	p := c.srv.persist
	if p == nil {
		c.ReplyError(errNoPersistence)
		return
	}
	if err := p.Save(); err != nil {
		c.ReplyError("ERR " + err.Error())
		return
	}
	c.ReplyOK()
}

func bgrewriteaofCommand(c *Client) {
	p := c.srv.persist
	switch {
	case p == nil:
		c.ReplyError(errNoPersistence)
	case c.inExec && !p.Rewriting():
		// As Redis: not inside a transaction; it starts after EXEC.
		p.ScheduleRewrite()
		c.ReplySimple("Background append only file rewriting scheduled")
	default:
		switch err := p.Rewrite(); err {
		case nil:
			c.ReplySimple("Background append only file rewriting started")
		case ErrRewriteRunning:
			c.ReplyError("ERR " + err.Error())
		default:
			c.srv.logf("Can't rewrite append only file in background: %v", err)
			c.ReplyError("ERR Can't execute an AOF background rewriting. Please check the server logs for more information.")
		}
	}
}

// misconfRefuses reports whether cmd is refused because the append log
// could not be written: write commands (and EXEC of a transaction holding
// one) and PING, as Redis refuses them.
func (s *Server) misconfRefuses(c *Client, cmd *Command) string {
	if s.persist == nil {
		return ""
	}
	werr := s.persist.WriteError()
	if werr == "" {
		return ""
	}
	refuse := cmd.Flags&FlagWrite != 0 || cmd.Name == "ping"
	if cmd.Name == "exec" {
		for _, q := range c.Queue {
			refuse = refuse || q.cmd.Flags&FlagWrite != 0
		}
	}
	if !refuse {
		return ""
	}
	return "MISCONF Errors writing to the AOF file: " + werr
}

func (s *Server) lastSave() int64 {
	if s.persist != nil {
		return s.persist.LastSave()
	}
	return s.startTime.Unix()
}

func (s *Server) infoPersistence(sec *infoSection) {
	sec.add("loading", "0")
	sec.add("async_loading", "0")
	sec.add("rdb_changes_since_last_save", strconv.FormatUint(s.KS.Dirty-s.dirtyAtSave, 10))
	sec.add("rdb_bgsave_in_progress", "0")
	sec.addInt("rdb_last_save_time", s.lastSave())
	sec.add("rdb_last_bgsave_status", "ok")
	sec.add("rdb_last_bgsave_time_sec", "-1")
	sec.add("rdb_current_bgsave_time_sec", "-1")
	sec.add("rdb_saves", "0")
	// Without persistence these stand; with it, its lines replace them.
	sec.add("aof_enabled", "0")
	sec.add("aof_rewrite_in_progress", "0")
	sec.add("aof_rewrite_scheduled", "0")
	sec.add("aof_last_rewrite_time_sec", "-1")
	sec.add("aof_current_rewrite_time_sec", "-1")
	sec.add("aof_last_bgrewrite_status", "ok")
	sec.add("aof_rewrites", "0")
	sec.add("aof_last_write_status", "ok")
	if s.persist != nil {
		sec.merge(s.persist.Info())
	}
}

// SavedAt records that a snapshot taken when the dirty counter was dirty
// completed: rdb_changes_since_last_save counts from there.
func (s *Server) SavedAt(dirty uint64) { s.dirtyAtSave = dirty }

// logf writes a line to the server log through the hooks (none: dropped).
func (s *Server) logf(format string, args ...any) {
	if s.hooks.Logf != nil {
		s.hooks.Logf(format, args...)
	}
}
