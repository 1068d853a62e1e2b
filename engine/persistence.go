package engine

// Persistence wiring: the append log (engine/persist's AOF) fed from the
// command layer's propagation point, the forkless snapshot
// (persist.Snapshot) walked a slice per loop turn with the write path's
// hooks chained in, SAVE, BGREWRITEAOF, the automatic rewrite, loading at
// start, the final snapshot at shutdown, and INFO persistence.
//
// A rewrite runs in these steps, all on the loop except the file I/O:
//
//  1. start: AOF.BeginRewrite opens a new increment (commands from now on
//     go there) and a base file; a Snapshot of this instant is made and
//     its hooks installed;
//  2. every loop turn: Snapshot.Step writes a bounded slice; writes to keys
//     not yet walked save their old contents first (the hooks);
//  3. walked: the hooks come off, the base file is closed (written and
//     fsynced by its goroutine, which wakes the loop when done);
//  4. AOF.FinishRewrite installs the base and the manifest, retiring the
//     old files.

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"rundb/engine/command"
	"rundb/engine/db"
	"rundb/engine/ds"
	"rundb/engine/persist"
)

// maxBaseBacklog bounds the snapshot bytes waiting for the base file's
// writer; past it the walk pauses.
const maxBaseBacklog = 4 << 20

// wake keeps the loop from sleeping while a rewrite has work left.
func (p *persistence) wake() {
	if l := p.s.wakeLoop.Load(); l != nil {
		l.Wake()
	}
}

// stepBudget is how long a rewrite walks per loop turn while clients are
// served; an idle loop keeps waking itself, so a rewrite of an idle server
// runs at full speed in slices of this size.
const stepBudget = 300 * time.Microsecond

type persistence struct {
	s   *Server
	aof *persist.AOF

	// The running rewrite (snap nil: none). walked is set once the
	// snapshot has handed its last bytes to base.
	snap         *persist.Snapshot
	base         *persist.BaseFile
	walked       bool
	started      time.Time
	dirtyAtStart uint64
	prevHooks    db.Hooks

	scheduled       bool
	rewrites        int64
	failures        int64
	lastRewriteSec  int64
	lastRewriteOK   bool
	lastSave        int64
	finalDone       bool
	lastWriteStatus string // "" ok, else the error's text (MISCONF)
}

func fsyncOf(name string) persist.Fsync {
	switch name {
	case "always":
		return persist.FsyncAlways
	case "no":
		return persist.FsyncNo
	}
	return persist.FsyncEverysec
}

// openPersistence opens the append-log directory (dir/appenddirname) and
// loads what it holds, before the server listens: the manifest's base and
// increments when appendonly is yes, and also when it is no and a
// manifest is there (SAVE, BGREWRITEAOF and SHUTDOWN write one; rundb has
// no RDB file to load instead). Then, with appendonly yes, logging starts.
func (s *Server) openPersistence() error {
	wd, err := os.Getwd()
	if err != nil {
		return err
	}
	p := &persistence{s: s, lastRewriteSec: -1, lastRewriteOK: true, lastSave: time.Now().Unix()}
	p.aof, err = persist.Open(persist.Options{
		Dir:      filepath.Join(wd, s.cfg.AppendDirName),
		Filename: s.cfg.AppendFilename,
		Fsync:    fsyncOf(s.cfg.AppendFsync),
		Logf:     func(format string, args ...any) { s.logf(logWarning, format, args...) },
		Wake: func() {
			if l := s.wakeLoop.Load(); l != nil {
				l.Wake()
			}
		},
	})
	if err != nil {
		return err
	}
	s.persist = p
	if p.aof.Exists() {
		if err := p.load(); err != nil {
			return err
		}
	}
	if s.cfg.AppendOnly {
		if err := p.startLogging(); err != nil {
			return err
		}
	}
	s.cmd.SetPersistence(p)
	return nil
}

// load replays the append log through the command table with a client of
// its own, maxmemory lifted (as Redis loads whatever fits in RAM).
func (p *persistence) load() error {
	s := p.s
	start := time.Now()
	s.logf(logNotice, "Loading the append log from %s", filepath.Join(s.cfg.Dir, s.cfg.AppendDirName))
	cl := s.cmd.NewClient("", "", -1)
	cl.Authenticated = true
	defer s.cmd.FreeClient(cl)
	maxmem := s.cfg.MaxMemory
	s.cfg.MaxMemory = 0
	defer func() { s.cfg.MaxMemory = maxmem }()
	lastLog := start
	st, err := p.aof.Load(func(args [][]byte) error {
		cl.Args = append(cl.Args[:0], args...)
		cl.Out = cl.Out[:0]
		s.ks.Tick(time.Now().UnixMilli())
		s.cmd.Execute(cl)
		if len(cl.Out) > 0 && cl.Out[0] == '-' {
			return fmt.Errorf("%q failed: %s", args[0], firstLine(cl.Out[1:]))
		}
		return nil
	}, s.cfg.AOFLoadTruncated, func(done, total int64) {
		if time.Since(lastLog) >= time.Second {
			lastLog = time.Now()
			s.logf(logNotice, "Loading the append log: %d of %d MB (%.0f%%)", done>>20, total>>20, 100*float64(done)/float64(max(total, 1)))
		}
	})
	if err != nil {
		return fmt.Errorf("cannot load the append log: %w", err)
	}
	if cl.InMulti {
		return errors.New("cannot load the append log: it ends inside MULTI without EXEC")
	}
	s.cmd.ResetStats()
	s.ks.Dirty = 0
	keys := 0
	for _, d := range s.ks.DBs {
		keys += d.Len()
	}
	secs := time.Since(start).Seconds()
	s.logf(logNotice, "DB loaded from append only file: %.3f seconds, %d commands, %d keys (%.0f keys/s)",
		secs, st.Commands, keys, float64(keys)/max(secs, 1e-9))
	return nil
}

func firstLine(b []byte) string {
	for i, c := range b {
		if c == '\r' || c == '\n' {
			return string(b[:i])
		}
	}
	return string(b)
}

// startLogging opens the increment and feeds it every propagated write.
func (p *persistence) startLogging() error {
	if err := p.aof.StartLogging(); err != nil {
		return err
	}
	p.s.cmd.SetPropagate(func(ops []command.Op) {
		for _, op := range ops {
			p.aof.Feed(op.DB, op.Args)
		}
	})
	return nil
}

func (p *persistence) stopLogging() error {
	p.s.cmd.SetPropagate(nil)
	return p.aof.StopLogging()
}

// --- command.Persistence ---

// Rewrite starts a background rewrite.
func (p *persistence) Rewrite() error {
	if p.snap != nil {
		return command.ErrRewriteRunning
	}
	base, err := p.aof.BeginRewrite()
	if err != nil {
		p.failures++
		p.lastRewriteOK = false
		return err
	}
	ks := p.s.ks
	p.snap = persist.NewSnapshot(ks, base, time.Now().UnixMilli())
	p.base, p.walked, p.started, p.dirtyAtStart = base, false, time.Now(), ks.Dirty
	p.scheduled = false
	p.installHooks()
	p.s.logf(logNotice, "Background append only file rewriting started")
	p.wake()
	return nil
}

// Rewriting reports whether a rewrite runs.
func (p *persistence) Rewriting() bool { return p.snap != nil }

// ScheduleRewrite starts a rewrite at the next loop turn.
func (p *persistence) ScheduleRewrite() { p.scheduled = true }

// installHooks chains the snapshot into the write path's hooks: it sees a
// key's old contents before the command layer's hooks run.
func (p *persistence) installHooks() {
	ks := p.s.ks
	p.prevHooks = ks.Hooks
	snap, prev := p.snap, p.prevHooks
	ks.Hooks.BeforeWrite = func(d *db.DB, key []byte, old ds.Entry, found bool) {
		snap.BeforeWrite(d, key, old, found)
		if prev.BeforeWrite != nil {
			prev.BeforeWrite(d, key, old, found)
		}
	}
	ks.Hooks.BeforeFlush = func(d *db.DB) {
		snap.BeforeFlush(d)
		if prev.BeforeFlush != nil {
			prev.BeforeFlush(d)
		}
	}
	ks.Hooks.BeforeSwap = func(a, b *db.DB) {
		snap.BeforeSwap(a, b)
		if prev.BeforeSwap != nil {
			prev.BeforeSwap(a, b)
		}
	}
}

func (p *persistence) removeHooks() { p.s.ks.Hooks = p.prevHooks }

// step runs once per loop turn (BeforeSleep): a slice of the running
// rewrite, its completion, a scheduled or automatic rewrite's start, and
// the append log's flush (before replies go out, so that under
// appendfsync always a reply leaves only after its write is on disk).
func (p *persistence) step() {
	if p.snap != nil {
		p.advance(stepBudget)
	}
	if p.snap == nil && (p.scheduled || p.autoRewriteDue()) {
		if err := p.Rewrite(); err != nil {
			p.s.logf(logWarning, "Can't rewrite append only file in background: %v", err)
			p.scheduled = false
		}
	}
	if p.s.cfg.AppendOnly {
		err := p.aof.Flush()
		if err != nil && p.s.cfg.AppendFsync == "always" {
			// This turn's replies are not sent yet, and must never be:
			// their writes are not on disk. As Redis does, exit; the log
			// on disk holds every write acknowledged before.
			p.s.logf(logWarning, "Can't recover from AOF write error when the AOF fsync policy is 'always' (%v). Exiting...", err)
			os.Exit(1)
		}
		p.noteWrite(err)
	}
}

// advance walks the running rewrite for budget, and finishes it once its
// base file is on disk. It wakes the loop while there is work left.
func (p *persistence) advance(budget time.Duration) {
	if !p.walked {
		if p.base.Buffered() > maxBaseBacklog && budget < time.Hour {
			// The disk is behind: walk on once the writer caught up,
			// instead of holding the file in memory.
			p.wake()
			return
		}
		done, err := p.snap.Step(budget)
		if err != nil {
			p.endRewrite(err)
			return
		}
		if !done {
			p.wake()
			return
		}
		p.walked = true
		p.removeHooks()
		p.base.Close()
	}
	if done, err := p.base.Result(); done {
		if err == nil {
			err = p.aof.FinishRewrite(p.base)
		}
		p.endRewrite(err)
	}
}

// endRewrite records how the running rewrite ended.
func (p *persistence) endRewrite(err error) {
	if !p.walked {
		p.removeHooks()
		p.snap.Abort()
	}
	if err != nil {
		p.base.Abort()
		p.failures++
		p.lastRewriteOK = false
		p.s.logf(logWarning, "Background append only file rewriting failed: %v", err)
	} else {
		p.rewrites++
		p.failures = 0
		p.lastRewriteOK = true
		p.lastSave = p.started.Unix()
		p.s.cmd.SavedAt(p.dirtyAtStart)
		p.s.logf(logNotice, "Background AOF rewrite finished successfully")
	}
	p.lastRewriteSec = int64(time.Since(p.started).Seconds())
	p.snap, p.base, p.walked = nil, nil, false
}

// autoRewriteDue: auto-aof-rewrite-percentage of growth over the last
// base, past auto-aof-rewrite-min-size, as Redis decides it in its cron.
func (p *persistence) autoRewriteDue() bool {
	cfg := p.s.cfg
	if !cfg.AppendOnly || cfg.AutoAOFRewritePercent <= 0 || p.failures > 0 {
		return false
	}
	st := p.aof.Status()
	if st.CurrentSize < cfg.AutoAOFRewriteMinSize {
		return false
	}
	base := max(st.BaseSize, 1)
	return (st.CurrentSize*100/base)-100 >= cfg.AutoAOFRewritePercent
}

func (p *persistence) noteWrite(err error) {
	if err == nil {
		err = p.aof.Status().LastWriteErr
	}
	if err == nil {
		if p.lastWriteStatus != "" {
			p.s.logf(logWarning, "AOF write error looks solved, rundb can write again.")
		}
		p.lastWriteStatus = ""
		return
	}
	if p.lastWriteStatus == "" {
		p.s.logf(logWarning, "Error writing to the AOF file: %v", err)
	}
	p.lastWriteStatus = strerror(err)
}

// strerror words an error as the C library does ("No space left on
// device") when it comes from a system call, which is how Redis's errors
// name the cause; others as they are.
func strerror(err error) string {
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		return err.Error()
	}
	msg := errno.Error()
	return strings.ToUpper(msg[:1]) + msg[1:]
}

// Save writes a snapshot in the foreground (SAVE, SHUTDOWN): a rewrite
// already running is finished first, then a new one of this instant is
// walked whole before Save returns.
func (p *persistence) Save() error {
	if p.snap != nil {
		p.finish()
	}
	if err := p.Rewrite(); err != nil {
		return err
	}
	return p.finish()
}

// finish walks the running rewrite to its end, waiting for its file.
func (p *persistence) finish() error {
	for p.snap != nil {
		p.advance(time.Hour)
		if p.snap != nil {
			time.Sleep(time.Millisecond)
		}
	}
	if !p.lastRewriteOK {
		return errors.New("the snapshot could not be written, see the log")
	}
	return nil
}

// WriteError is the last append-log write's error, "" when it succeeded.
func (p *persistence) WriteError() string {
	if !p.s.cfg.AppendOnly {
		return ""
	}
	return p.lastWriteStatus
}

// LastSave is the time of the last successful snapshot's instant.
func (p *persistence) LastSave() int64 { return p.lastSave }

// Info is INFO persistence's lines, with Redis 7.0's names; the
// current_save_keys_* lines show the rewrite's progress.
func (p *persistence) Info() [][2]string {
	b := func(v bool) string {
		if v {
			return "1"
		}
		return "0"
	}
	status := func(ok bool) string {
		if ok {
			return "ok"
		}
		return "err"
	}
	cur := int64(-1)
	var written, total int64
	perc := "0.00"
	if p.snap != nil {
		cur = int64(time.Since(p.started).Seconds())
		written, total, _ = p.snap.Progress()
		perc = fmt.Sprintf("%.2f", 100*float64(written)/float64(max(total, 1)))
	}
	i := strconv.FormatInt
	lines := [][2]string{
		{"current_save_keys_processed", i(written, 10)},
		{"current_save_keys_total", i(total, 10)},
		{"current_fork_perc", perc},
		{"aof_enabled", b(p.s.cfg.AppendOnly)},
		{"aof_rewrite_in_progress", b(p.snap != nil)},
		{"aof_rewrite_scheduled", b(p.scheduled)},
		{"aof_last_rewrite_time_sec", i(p.lastRewriteSec, 10)},
		{"aof_current_rewrite_time_sec", i(cur, 10)},
		{"aof_last_bgrewrite_status", status(p.lastRewriteOK)},
		{"aof_rewrites", i(p.rewrites, 10)},
		{"aof_rewrites_consecutive_failures", i(p.failures, 10)},
		{"aof_last_write_status", status(p.lastWriteStatus == "")},
	}
	if p.s.cfg.AppendOnly {
		st := p.aof.Status()
		lines = append(lines,
			[2]string{"aof_current_size", i(st.CurrentSize, 10)},
			[2]string{"aof_base_size", i(st.BaseSize, 10)},
			[2]string{"aof_pending_rewrite", b(p.scheduled)},
			[2]string{"aof_buffer_length", i(st.Buffered, 10)},
			[2]string{"aof_pending_bio_fsync", "0"},
			[2]string{"aof_delayed_fsync", "0"},
		)
	}
	return lines
}

// setAppendOnly follows CONFIG SET appendonly: yes starts logging and a
// rewrite (the base the new increment follows), no stops logging.
func (p *persistence) setAppendOnly(on bool) error {
	if !on {
		return p.stopLogging()
	}
	if err := p.startLogging(); err != nil {
		return err
	}
	if p.snap == nil {
		return p.Rewrite()
	}
	return nil
}

// close ends persistence at shutdown: with appendonly yes (or when
// asked) a final snapshot, then the log flushed, fsynced and closed. A
// failure leaves the old files as they were and is returned.
func (p *persistence) close(save bool) error {
	var err error
	if save && !p.finalDone {
		err = p.Save()
	}
	if p.snap != nil {
		p.endRewrite(errors.New("shutting down"))
	}
	if cerr := p.aof.Close(); err == nil {
		err = cerr
	}
	return err
}
