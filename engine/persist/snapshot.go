// Package persist writes and loads rundb's data files. This file is the
// forkless point-in-time snapshot: the whole keyspace as it was at one
// instant, serialized (serialize.go) while the event loop keeps serving.
//
// # How a snapshot stays at its instant
//
// The walker goes over each database's keyspace table in SCAN order, a few
// home groups per Step, one Step per loop turn. A key is "walked" once the
// walker's cursor has passed it: ScanPos(key) < CursorPos(cursor), both
// the table's own (see ds.KeyTable.ScanPos; each layout has its order),
// which stays true while the table grows or is rebuilt at its size; a
// shrink would break it, so every table being walked is kept from
// shrinking (db.DB.SetNoShrink) until its walk ends.
//
// The write path calls BeforeWrite before any key changes. For a key not
// yet walked, the first such call serializes the key's old contents (the
// ones it had at the instant, since nothing changed it before) and
// remembers the key, so that later writes to it and the walker itself pass
// it by. A key that did not exist at the instant (created during the
// snapshot) is remembered the same way, so the walker does not write it.
// Once walked, a key is not looked at again: a write to it costs the hook
// one hash.
//
// Keys whose deadline had passed at the instant are logically gone and
// are not written, by the walker or the hook; keys that expire or are
// evicted during the snapshot are deleted through BeforeWrite, so they
// appear with their old contents and deadline (a PEXPIREAT in the past
// deletes such a key again on load, as Redis does).
//
// A list or set larger than a slice (sliceElems elements) is written over
// several Steps: the walker writes its first slice when Scan returns it,
// keeps it as pending, and goes on with it at the next Steps, before
// scanning further. A write to a pending key (delete, expiry and rename
// included) first writes the rest of it, in the hook.
//
// FLUSHDB/FLUSHALL: BeforeFlush writes the rest of the database at once,
// before its keys are freed: the loop stalls for the time it takes to
// serialize what was left of it (about what WriteAll takes for those keys).
// SWAPDB: each table's walk state (cursor, remembered keys, the database
// number its contents had at the instant) travels with the table, so a
// swap costs nothing.
package persist

import (
	"io"
	"time"

	"rundb/engine/db"
	"rundb/engine/ds"
)

// walk is the state of one keyspace table's walk. It belongs to the table
// whose contents were database origID's at the instant, wherever SWAPDB
// moved that table since.
type walk struct {
	origID int    // the database the contents belonged to at the instant
	cursor uint64 // the next Scan cursor
	pos    uint64 // the table's CursorPos(cursor): keys below it are walked
	done   bool
	// saved holds the keys not yet walked that the hook has dealt with:
	// their old contents written, or they did not exist at the instant. A
	// key leaves it when the walker passes it. It costs about the key's
	// bytes plus 50 (string header, map slot and hash, rounding) per key
	// written to before the walker reached it, which only a snapshot that
	// runs under a heavy write load pays.
	saved map[string]struct{}
}

// Snapshot is a point-in-time snapshot in progress. Like the keyspace, it
// belongs to the event loop goroutine.
type Snapshot struct {
	ks       *db.Keyspace
	nowMs    int64
	enc      encoder
	walks    []walk // by current database index
	finished bool   // done, aborted or failed

	// pending are the large keys the walker has started and not ended,
	// in the order it met them; sliceElems is the most elements of one
	// it writes before looking at the clock.
	pending    []pendingKey
	sliceElems int

	keysWritten, keysTotal int64
}

// NewSnapshot starts a snapshot of every database of ks as it is now, at
// nowMs (keys whose deadline is at or before it are not written). Output
// goes to w in chunks of about 64 KiB, which w must copy if it keeps them.
// It does not install write hooks: the engine's Hooks must call
// BeforeWrite, BeforeFlush and BeforeSwap until Step reports done or Abort
// is called.
func NewSnapshot(ks *db.Keyspace, w io.Writer, nowMs int64) *Snapshot {
	s := &Snapshot{ks: ks, nowMs: nowMs, enc: newEncoder(w), walks: make([]walk, len(ks.DBs)), sliceElems: sliceElems}
	for i, d := range ks.DBs {
		s.walks[i] = walk{origID: i, saved: map[string]struct{}{}}
		s.keysTotal += int64(d.Len())
		if d.Len() == 0 {
			s.walks[i].done = true
			s.walks[i].saved = nil
			continue
		}
		d.SetNoShrink(true)
	}
	return s
}

// pendingKey is a large key the walker has written a part of.
type pendingKey struct {
	wi int // the index (in walks) of the database that holds it now
	kw keyWriter
}

// sliceElems is how many elements of a large list or set the walker
// writes between two looks at the clock: about 0.2 ms of serializing.
const sliceElems = 2048

// Progress reports the keys written so far (by the walker and the hook),
// the keys the databases held at the instant (expired ones not yet
// reclaimed included, so keysWritten may end below it), and the bytes
// serialized so far.
func (s *Snapshot) Progress() (keysWritten, keysTotal, bytes int64) {
	return s.keysWritten, s.keysTotal, s.enc.bytes()
}

// checkEvery is how many Scan calls Step makes between two looks at the
// clock (a Scan call returns a home group's keys: one to a few).
const checkEvery = 4

// Step walks for about budget (at least a few home groups) and reports
// whether the snapshot is complete: every database written and the last
// chunk handed to w. A write error ends the snapshot as Abort does; Step
// then reports done with the error.
func (s *Snapshot) Step(budget time.Duration) (done bool, err error) {
	if s.finished {
		return true, s.enc.err
	}
	start := time.Now()
	for len(s.pending) > 0 {
		p := &s.pending[0]
		if s.enc.some(&p.kw, s.sliceElems) {
			s.pending = s.pending[1:]
		}
		if s.enc.err != nil {
			s.Abort()
			return true, s.enc.err
		}
		if time.Since(start) >= budget {
			return false, nil
		}
	}
	for i := range s.walks {
		wk := &s.walks[i]
		for n := 1; !wk.done; n++ {
			s.scanOne(s.ks.DBs[i], wk)
			if s.enc.err != nil {
				s.Abort()
				return true, s.enc.err
			}
			if len(s.pending) > 0 || n%checkEvery == 0 && time.Since(start) >= budget {
				return false, nil
			}
		}
	}
	s.enc.flush()
	s.Abort() // releases what is left: nothing is walking any more
	return true, s.enc.err
}

// scanOne walks one Scan step of database d, whose table's walk is wk.
func (s *Snapshot) scanOne(d *db.DB, wk *walk) {
	next := d.Scan(wk.cursor, func(e ds.Entry) {
		if len(wk.saved) > 0 {
			if _, ok := wk.saved[string(e.Key())]; ok {
				delete(wk.saved, string(e.Key()))
				return
			}
		}
		s.walkEntry(d, wk, e)
	})
	wk.cursor, wk.pos = next, d.CursorPos(next)
	if next == 0 {
		s.endWalk(d, wk)
	}
}

// walkEntry is write for the walker: a large list or set gets its first
// slice written and becomes pending.
func (s *Snapshot) walkEntry(d *db.DB, wk *walk, e ds.Entry) {
	if e.Type() == ds.TypeString || e.HasTTL() && e.Deadline() <= s.nowMs || checkType(e) != nil ||
		e.ContainerOf().Len(d.Alloc()) <= s.sliceElems {
		s.write(d, wk, e)
		return
	}
	kw := keyWriter{a: d.Alloc(), dbID: wk.origID, e: e}
	s.keysWritten++
	if !s.enc.some(&kw, s.sliceElems) {
		s.pending = append(s.pending, pendingKey{wi: d.ID, kw: kw})
	}
}

// finishPending writes the rest of the pending key of database index wi
// named key (any pending key of wi when key is nil), if there is one.
func (s *Snapshot) finishPending(wi int, key []byte) {
	for i := 0; i < len(s.pending); i++ {
		p := &s.pending[i]
		if p.wi == wi && (key == nil || string(p.kw.e.Key()) == string(key)) {
			s.enc.some(&p.kw, -1)
			s.pending = append(s.pending[:i], s.pending[i+1:]...)
			i--
		}
	}
}

// write serializes e (a key of the table walked by wk) unless it had
// expired at the instant.
func (s *Snapshot) write(d *db.DB, wk *walk, e ds.Entry) {
	if e.HasTTL() && e.Deadline() <= s.nowMs {
		return
	}
	if err := s.enc.entry(d.Alloc(), wk.origID, e); err != nil && s.enc.err == nil {
		s.enc.err = err
	}
	s.keysWritten++
}

// endWalk marks wk (the walk of d's current table) done and lets the
// table shrink again.
func (s *Snapshot) endWalk(d *db.DB, wk *walk) {
	wk.done = true
	wk.saved = nil
	d.SetNoShrink(false)
}

// BeforeWrite is the snapshot's part of the write path's before-write
// hook: old (found false: none) is key's entry in d before it changes.
func (s *Snapshot) BeforeWrite(d *db.DB, key []byte, old ds.Entry, found bool) {
	if s.finished {
		return
	}
	if len(s.pending) > 0 {
		s.finishPending(d.ID, key)
	}
	wk := &s.walks[d.ID]
	if wk.done || d.ScanPos(key) < wk.pos {
		return // walked: the file has it as it was
	}
	if _, ok := wk.saved[string(key)]; ok {
		return // saved already, or created after the instant
	}
	if !found && s.ks.ExpiryPaused {
		// While expiry is paused a key past its deadline reads as absent
		// but is still stored: it may have been live at the instant.
		old, found = d.Peek(key)
	}
	if found {
		s.write(d, wk, old)
	}
	wk.saved[string(key)] = struct{}{}
}

// BeforeFlush writes what is left of d's walk before FLUSHDB/FLUSHALL
// frees its keys (the loop stalls meanwhile; see the package doc).
func (s *Snapshot) BeforeFlush(d *db.DB) {
	if s.finished {
		return
	}
	wk := &s.walks[d.ID]
	for !wk.done && s.enc.err == nil {
		s.scanOne(d, wk)
	}
	s.finishPending(d.ID, nil)
}

// BeforeSwap exchanges the walk states of a and b along with their tables
// (SWAPDB): each walk goes on over the table it started on, and writes its
// keys under the database number they had at the instant.
func (s *Snapshot) BeforeSwap(a, b *db.DB) {
	if s.finished {
		return
	}
	s.walks[a.ID], s.walks[b.ID] = s.walks[b.ID], s.walks[a.ID]
	for i := range s.pending {
		switch s.pending[i].wi {
		case a.ID:
			s.pending[i].wi = b.ID
		case b.ID:
			s.pending[i].wi = a.ID
		}
	}
}

// Abort stops the snapshot: the hooks do nothing from now on, the
// remembered keys are dropped and every table may shrink again. What was
// already handed to w stays there; the caller discards the file.
func (s *Snapshot) Abort() {
	if s.finished {
		return
	}
	s.finished = true
	s.pending = nil
	for i := range s.walks {
		if !s.walks[i].done {
			s.endWalk(s.ks.DBs[i], &s.walks[i])
		}
	}
}

// WriteAll writes every database of ks as it is at nowMs to w, at once
// (SAVE in the foreground, or a final snapshot at shutdown).
func WriteAll(ks *db.Keyspace, w io.Writer, nowMs int64) error {
	s := NewSnapshot(ks, w, nowMs)
	for {
		done, err := s.Step(time.Hour)
		if err != nil || done {
			return err
		}
	}
}
