package command

import (
	"rundb/engine/db"
	"rundb/engine/resp"
)

// The propagation point. After a command runs, call hands what it changed
// to Server.Propagate (the append log will be its consumer) as commands
// in their deterministic form: a handler whose arguments would replay
// differently later rewrites them (rewriteArgs, rewriteArg, dropOpt), as
// `SET k v EX 10` becomes `SET k v PXAT <abs ms>`; a key that expired
// during the command goes first as `DEL key`. A command is propagated when
// it changed the dataset (the keyspace's Dirty counter moved) or asked for
// it (forcePropagation: FLUSHDB and FLUSHALL of an empty database). What
// one top-level command produced is handed over at once; more than one
// operation (EXEC, or an expired key and the write that followed) is
// wrapped in MULTI/EXEC, so it replays as a unit.

// Op is one propagated command: its database and its arguments, which the
// consumer owns.
type Op struct {
	DB   int
	Args [][]byte
}

// propagation is the per-server state of the propagation point.
type propagation struct {
	// ops collects what the running top-level command propagates.
	ops []Op
	// depth counts nested calls (EXEC runs its queue through call).
	depth int
}

// SetPropagate installs the consumer of propagated commands (nil: none;
// then nothing is collected or copied).
func (s *Server) SetPropagate(f func(ops []Op)) { s.propagate = f }

// wireWriteHooks connects the keyspace's write path to the command layer:
// WATCH (flagged by writes of commands, flushes and swaps) and the
// propagation of keys that expired while a command ran or that maxmemory
// evicted (as DEL; an eviction also flags the key's watchers, as Redis).
func (s *Server) wireWriteHooks() {
	s.KS.Hooks.AfterWrite = func(d *db.DB, key []byte, cause db.Cause) {
		switch cause {
		case db.CauseCommand:
			s.touchWatched(d, key)
			s.signalReady(d, key)
		case db.CauseExpired:
			s.touchWatchedExpired(d, key)
			s.addOp(d.ID, [][]byte{[]byte("DEL"), key})
		case db.CauseEvicted:
			s.touchWatched(d, key)
			s.addOp(d.ID, [][]byte{[]byte("DEL"), key})
		}
	}
	s.KS.Hooks.BeforeFlush = func(d *db.DB) { s.touchAllWatched(d.ID, -1) }
	s.KS.Hooks.BeforeSwap = func(a, b *db.DB) {
		s.touchAllWatched(a.ID, b.ID)
		s.touchAllWatched(b.ID, a.ID)
		s.signalSwapped(a.ID, b.ID)
	}
}

// addOp copies args into a new operation of the running command.
func (s *Server) addOp(dbID int, args [][]byte) {
	if s.propagate == nil {
		return
	}
	s.prop.ops = append(s.prop.ops, Op{DB: dbID, Args: resp.CloneArgs(args)})
	if s.prop.depth == 0 {
		s.flushOps() // a change made outside any command (expiry in the cron)
	}
}

// propagateCall records what cmd did for c, after its handler ran.
func (s *Server) propagateCall(c *Client, cmd *Command, dirty uint64) {
	if s.propagate == nil || cmd.Name == "exec" {
		return // EXEC's queued commands propagated themselves
	}
	if s.KS.Dirty == dirty && !c.propForce {
		return
	}
	args := c.Args
	if c.propArgs != nil {
		args = c.propArgs
	}
	s.addOp(c.DB.ID, args)
}

// flushOps hands the operations of the finished top-level command to the
// consumer, wrapped in MULTI/EXEC when there is more than one.
func (s *Server) flushOps() {
	ops := s.prop.ops
	if len(ops) == 0 {
		return
	}
	s.prop.ops = nil
	if len(ops) > 1 {
		ops = append(append([]Op{{DB: ops[0].DB, Args: [][]byte{[]byte("MULTI")}}}, ops...),
			Op{DB: ops[len(ops)-1].DB, Args: [][]byte{[]byte("EXEC")}})
	}
	s.propagate(ops)
}

// rewriteArgs makes the command propagate as args instead of its own
// arguments (which args may alias: they are copied when propagated).
func (c *Client) rewriteArgs(args ...[]byte) {
	if c.srv.propagate == nil {
		return
	}
	c.propArgs = args
}

// rewriteArg replaces argument i of what the command propagates.
func (c *Client) rewriteArg(i int, arg []byte) {
	if c.srv.propagate == nil {
		return
	}
	if c.propArgs == nil {
		c.propArgs = append([][]byte(nil), c.Args...)
	}
	c.propArgs[i] = arg
}

// dropOpt removes every argument from position from on that is the option
// name (SET's GET, which a replay must not answer).
func (c *Client) dropOpt(from int, name string) {
	if c.srv.propagate == nil {
		return
	}
	if c.propArgs == nil {
		c.propArgs = append([][]byte(nil), c.Args...)
	}
	out := c.propArgs[:from]
	for _, a := range c.propArgs[from:] {
		if !EqualFold(a, name) {
			out = append(out, a)
		}
	}
	c.propArgs = out
}

// forcePropagation propagates the command even if it changed nothing.
func (c *Client) forcePropagation() { c.propForce = true }
