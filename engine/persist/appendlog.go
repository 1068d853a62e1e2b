package persist

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"rundb/engine/resp"
)

// Fsync is the appendfsync policy.
type Fsync int

// appendfsync values.
const (
	FsyncNo       Fsync = iota // the writer goroutine writes; the kernel decides when to flush
	FsyncEverysec              // the writer goroutine writes, and fsyncs at most once a second
	FsyncAlways                // Flush writes and fsyncs before replies go out (group commit)
)

func (f Fsync) String() string {
	switch f {
	case FsyncNo:
		return "no"
	case FsyncEverysec:
		return "everysec"
	case FsyncAlways:
		return "always"
	}
	return "Fsync(" + strconv.Itoa(int(f)) + ")"
}

// Options configure an AOF.
type Options struct {
	Dir      string // absolute path of the appendonlydir
	Filename string // appendfilename, e.g. "appendonly.aof"
	Fsync    Fsync
	// Logf receives notices and warnings (nil: none).
	Logf func(format string, args ...any)
	// RewriteSyncBytes: a base file is fsynced each time this many bytes
	// were written to it, so that its final fsync does not flush gigabytes
	// at once (aof-rewrite-incremental-fsync yes). 0 means 4 MB, a
	// negative value only the final fsync (aof-rewrite-incremental-fsync
	// no).
	RewriteSyncBytes int64
	// Wake is called from this package's goroutines when the loop should
	// look at Status or a BaseFile's Result: a base file finished or
	// failed, a write failed or recovered. nil: nobody is told.
	Wake func()
}

// fileOps are the calls that reach the disk for data, replaceable by tests
// to simulate a failing disk.
type fileOps struct {
	write func(f *os.File, p []byte) (int, error)
	sync  func(f *os.File) error
}

var osOps = fileOps{
	write: func(f *os.File, p []byte) (int, error) { return f.Write(p) },
	sync:  func(f *os.File) error { return f.Sync() },
}

// incr is an increment file of the manifest.
type incr struct {
	seq  int64
	name string
	f    *os.File     // nil unless open for appending
	size atomic.Int64 // bytes in the file (written by the writer goroutine)
}

// seg is a piece of the log handed to the writer: data to append to in, or
// (close) the order to fsync and close in, every earlier seg being written.
type seg struct {
	in    *incr
	data  []byte
	close bool // fsync (when sync) and close in
	sync  bool
}

// AOF is an append log directory: its manifest, the increment commands are
// appended to, and the goroutine that writes them.
//
// Feed, Flush, BeginRewrite, FinishRewrite, StartLogging, StopLogging,
// SetFsync, Status, Load and Close are called from the event loop only
// (one goroutine). The writer goroutine shares the fields under mu.
type AOF struct {
	opt Options
	ops fileOps

	// Loop-owned.
	man      *Manifest
	incrs    []*incr // one per man.Incrs entry, same order
	baseSize int64   // bytes of the base file
	rwSize   int64   // CurrentSize after the last load or rewrite (aof_base_size)
	nextIncr int64   // next increment sequence number
	nextBase int64   // next base sequence number
	logging  bool
	cur      *incr  // the increment Feed appends to while logging
	buf      []byte // fed commands not handed to the writer yet
	selected int    // database the current increment last selected; -1 none
	// minAppend is the lowest increment sequence StartLogging may append
	// to: an older one is retired by a rewrite that began while logging
	// was off.
	minAppend int64
	tempSeq   int
	bases     map[*BaseFile]struct{} // base files neither installed nor aborted

	mu       sync.Mutex
	idle     *sync.Cond // signalled when busy falls or q empties
	q        []seg      // handed off, not yet taken by the writer
	qspare   []seg
	spare    [][]byte // empty buffers for reuse
	busy     bool     // the writer (or a synchronous Flush) is writing q's segs
	queued   int64    // bytes in q and in the segs being written
	fsync    Fsync
	dirty    *incr // written since its last fsync
	lastErr  error
	retryAt  time.Time // after a write error: when to retry
	syncing  bool      // an fsync runs in the writer
	lastSync time.Time
	delayed  int64 // hand-offs that found the writer still busy
	quit     bool
	started  bool

	kick chan struct{}
	wg   sync.WaitGroup
}

// Status is what INFO persistence reports about the append log.
type Status struct {
	Logging bool
	Fsync   Fsync
	// LastWriteErr is the last write or fsync error; nil once a later
	// write succeeded.
	LastWriteErr error
	CurrentSize  int64 // base plus increments, bytes (aof_current_size)
	BaseSize     int64 // CurrentSize after the last load or rewrite (aof_base_size)
	Buffered     int64 // bytes fed and not written yet (aof_buffer_length)
	PendingFsync bool  // an fsync runs off the loop (aof_pending_bio_fsync)
	// DelayedWrites counts hand-offs that found the writer still writing
	// or fsyncing the previous ones (aof_delayed_fsync).
	DelayedWrites int64
	LastFsync     time.Time // zero: none yet
	BaseName      string    // current base file, "" none
	IncrName      string    // increment being appended to, "" none
}

// Open reads the manifest of opt.Dir if there is one. It creates nothing.
func Open(opt Options) (*AOF, error) {
	if opt.Filename == "" || strings.ContainsAny(opt.Filename, "/\x00") {
		return nil, fmt.Errorf("appendfilename %q: must be a plain file name", opt.Filename)
	}
	a := &AOF{opt: opt, ops: osOps, fsync: opt.Fsync, selected: -1, kick: make(chan struct{}, 1),
		nextIncr: 1, nextBase: 1, man: &Manifest{}}
	a.idle = sync.NewCond(&a.mu)
	mpath := filepath.Join(opt.Dir, ManifestName(opt.Filename))
	f, err := os.Open(mpath)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("cannot open AOF manifest %q: %w", mpath, err)
	}
	if err == nil {
		m, err := ParseManifest(f, mpath)
		f.Close()
		if err != nil {
			return nil, err
		}
		a.man = m
	}
	a.noteSeqs(a.man)
	if a.man.Base != nil {
		if st, err := os.Stat(a.path(a.man.Base.Name)); err == nil {
			a.baseSize = st.Size()
		}
	}
	for _, fi := range a.man.Incrs {
		in := &incr{seq: fi.Seq, name: fi.Name}
		if st, err := os.Stat(a.path(fi.Name)); err == nil {
			in.size.Store(st.Size())
		}
		a.incrs = append(a.incrs, in)
	}
	a.rwSize = a.currentSize()
	a.removeStaleTemps()
	return a, nil
}

// removeStaleTemps deletes the temp base files a rewrite cut short by a
// crash left behind (temp-rewriteaof-*; no manifest ever names one), so
// they do not fill the disk restart after restart.
func (a *AOF) removeStaleTemps() {
	stale, _ := filepath.Glob(filepath.Join(a.opt.Dir, "temp-rewriteaof-*.aof"))
	for _, f := range stale {
		if err := os.Remove(f); err == nil {
			a.logf("Removed %s, left by a rewrite that did not finish", filepath.Base(f))
		}
	}
}

// noteSeqs moves nextIncr and nextBase past every sequence number m
// mentions, history included, so that no new file takes an old name.
func (a *AOF) noteSeqs(m *Manifest) {
	note := func(fi FileInfo) {
		switch {
		case fi.Type == TypeBase || strings.HasSuffix(fi.Name, ".base.aof"):
			a.nextBase = max(a.nextBase, fi.Seq+1)
		case fi.Type == TypeIncr || strings.HasSuffix(fi.Name, ".incr.aof"):
			a.nextIncr = max(a.nextIncr, fi.Seq+1)
		}
	}
	m.each(note)
}

func (a *AOF) path(name string) string { return filepath.Join(a.opt.Dir, name) }

func (a *AOF) logf(format string, args ...any) {
	if a.opt.Logf != nil {
		a.opt.Logf(format, args...)
	}
}

func (a *AOF) wake() {
	if a.opt.Wake != nil {
		a.opt.Wake()
	}
}

// Exists reports whether the manifest lists a base or an increment.
func (a *AOF) Exists() bool { return !a.man.Empty() }

// Manifest returns a copy of the manifest in use.
func (a *AOF) Manifest() *Manifest { return a.man.clone() }

// SetFsync changes the appendfsync policy (CONFIG SET appendfsync).
func (a *AOF) SetFsync(f Fsync) {
	a.mu.Lock()
	a.fsync = f
	a.mu.Unlock()
	a.kickWriter()
}

func (a *AOF) currentSize() int64 {
	n := a.baseSize
	for _, in := range a.incrs {
		n += in.size.Load()
	}
	return n
}

// Status reports the log's state for INFO.
func (a *AOF) Status() Status {
	s := Status{Logging: a.logging, CurrentSize: a.currentSize(), BaseSize: a.rwSize}
	if a.man.Base != nil {
		s.BaseName = a.man.Base.Name
	}
	if a.cur != nil {
		s.IncrName = a.cur.name
	}
	a.mu.Lock()
	s.Fsync = a.fsync
	s.LastWriteErr = a.lastErr
	s.Buffered = int64(len(a.buf)) + a.queued
	s.PendingFsync = a.syncing
	s.DelayedWrites = a.delayed
	s.LastFsync = a.lastSync
	a.mu.Unlock()
	return s
}

// ensureDir creates the append directory if it is missing, durably.
func (a *AOF) ensureDir() error {
	if _, err := os.Stat(a.opt.Dir); err == nil {
		return nil
	}
	if err := os.MkdirAll(a.opt.Dir, 0o755); err != nil {
		return fmt.Errorf("cannot create the AOF directory %q: %w", a.opt.Dir, err)
	}
	return syncDir(filepath.Dir(a.opt.Dir))
}

// syncDir fsyncs a directory, so that the renames and creations in it
// survive a crash.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("cannot open directory %q: %w", dir, err)
	}
	err = d.Sync()
	d.Close()
	if err != nil {
		return fmt.Errorf("cannot fsync directory %q: %w", dir, err)
	}
	return nil
}

// writeFileDurably replaces dir/name with data: a temp file, fsync,
// rename, fsync of the directory.
func (a *AOF) writeFileDurably(name, tmpName string, data []byte) error {
	tmp := a.path(tmpName)
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("cannot create %q: %w", tmp, err)
	}
	_, err = a.ops.write(f, data)
	if err == nil {
		err = a.ops.sync(f)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, a.path(name))
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("cannot write %q: %w", a.path(name), err)
	}
	return syncDir(a.opt.Dir)
}

// persistManifest makes m the manifest on disk, durably, and then the one
// in use.
func (a *AOF) persistManifest(m *Manifest) error {
	if err := a.writeFileDurably(ManifestName(a.opt.Filename), tempManifestName(a.opt.Filename), m.Marshal()); err != nil {
		return err
	}
	a.man = m
	return nil
}

// openIncr opens (create: creates, empty) increment file in for appending.
func (a *AOF) openIncr(in *incr, create bool) error {
	flag := os.O_WRONLY | os.O_APPEND
	if create {
		flag |= os.O_CREATE | os.O_TRUNC
	}
	f, err := os.OpenFile(a.path(in.name), flag, 0o644)
	if err != nil {
		return fmt.Errorf("cannot open the AOF file %q: %w", a.path(in.name), err)
	}
	if create {
		in.size.Store(0)
	} else if st, err := f.Stat(); err == nil {
		in.size.Store(st.Size())
	}
	in.f = f
	return nil
}

// newIncr creates the next increment file and a manifest listing it after
// the others, durably. It does not switch Feed to it.
func (a *AOF) newIncr() (*incr, error) {
	if err := a.ensureDir(); err != nil {
		return nil, err
	}
	in := &incr{seq: a.nextIncr, name: IncrName(a.opt.Filename, a.nextIncr)}
	if err := a.openIncr(in, true); err != nil {
		return nil, err
	}
	m := a.man.clone()
	m.Incrs = append(m.Incrs, FileInfo{Name: in.name, Seq: in.seq, Type: TypeIncr})
	if err := a.persistManifest(m); err != nil {
		in.f.Close()
		os.Remove(a.path(in.name))
		return nil, err
	}
	a.nextIncr++
	a.incrs = append(a.incrs, in)
	return in, nil
}

// StartLogging turns the log on (appendonly yes): Feed appends to the last
// increment of the manifest, or to a new one.
func (a *AOF) StartLogging() error {
	if a.logging {
		return nil
	}
	if err := a.ensureDir(); err != nil {
		return err
	}
	if err := a.dropHistory(); err != nil {
		return err
	}
	// The last increment is reopened unless a rewrite retires it, or a
	// failed write left its close (or data) queued.
	a.mu.Lock()
	queued := len(a.q) > 0
	a.mu.Unlock()
	var in *incr
	if n := len(a.incrs); n > 0 && a.incrs[n-1].seq >= a.minAppend && !queued {
		in = a.incrs[n-1]
		if err := a.openIncr(in, false); err != nil {
			return err
		}
	} else {
		var err error
		if in, err = a.newIncr(); err != nil {
			return err
		}
		a.logf("Creating AOF incr file %s", in.name)
	}
	a.cur = in
	a.selected = -1
	a.logging = true
	a.startWriter()
	return nil
}

func (a *AOF) startWriter() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.started {
		return
	}
	a.started, a.quit = true, false
	a.wg.Add(1)
	go a.writer()
}

// appendSelect appends SELECT db without allocating.
func appendSelect(b []byte, db int) []byte {
	var tmp [20]byte
	d := strconv.AppendInt(tmp[:0], int64(db), 10)
	b = append(b, "*2\r\n$6\r\nSELECT\r\n"...)
	return resp.AppendBulk(b, d)
}

// Feed appends a command executed on database db to the log buffer,
// preceded by SELECT when db is not the one the increment selected last.
// It does nothing while logging is off.
func (a *AOF) Feed(db int, args [][]byte) {
	if !a.logging {
		return
	}
	if db != a.selected {
		a.buf = appendSelect(a.buf, db)
		a.selected = db
	}
	a.buf = resp.AppendCommand(a.buf, args...)
}

// keepBuf is the largest buffer kept for reuse after a write.
const keepBuf = 1 << 20

// handoff moves the fed bytes into the writer's queue, bound to the
// current increment, and wakes the writer.
func (a *AOF) handoff() {
	if a.queue() {
		a.kickWriter()
	}
}

// queue moves the fed bytes into the writer's queue without waking it, and
// reports whether it queued anything.
func (a *AOF) queue() bool {
	if len(a.buf) == 0 {
		return false
	}
	a.mu.Lock()
	a.queued += int64(len(a.buf))
	if n := len(a.q); n > 0 && a.q[n-1].in == a.cur && !a.q[n-1].close {
		a.q[n-1].data = append(a.q[n-1].data, a.buf...)
		a.buf = a.buf[:0]
		a.delayed++
	} else {
		if a.busy {
			a.delayed++
		}
		a.q = append(a.q, seg{in: a.cur, data: a.buf})
		if n := len(a.spare); n > 0 {
			a.buf = a.spare[n-1]
			a.spare = a.spare[:n-1]
		} else {
			a.buf = nil
		}
	}
	a.mu.Unlock()
	return true
}

func (a *AOF) kickWriter() {
	select {
	case a.kick <- struct{}{}:
	default:
	}
}

// Flush sends the commands fed since the last Flush to the disk; it runs
// once per loop turn, before the replies to those commands are sent. With
// FsyncAlways it writes and fsyncs here, and an error means the commands
// are not durable (they stay buffered and are written again by the next
// Flush). Otherwise the writer goroutine takes them and Flush returns nil;
// its errors show in Status.
func (a *AOF) Flush() error {
	if len(a.buf) == 0 {
		return nil
	}
	a.mu.Lock()
	mode := a.fsync
	a.mu.Unlock()
	if mode != FsyncAlways {
		a.handoff()
		return nil
	}
	return a.flushSync()
}

// flushSync writes everything queued and the fed bytes on the calling
// goroutine, then fsyncs the current increment.
func (a *AOF) flushSync() error {
	a.queue()
	a.mu.Lock()
	for a.busy {
		a.idle.Wait()
	}
	segs := a.q
	a.q = a.qspare[:0]
	a.busy = true
	a.mu.Unlock()

	rest, err := a.writeSegs(segs)
	var dirty *incr
	if err == nil {
		a.mu.Lock()
		dirty = a.dirty
		a.mu.Unlock()
		if dirty != nil && dirty.f != nil {
			err = a.ops.sync(dirty.f)
			if err != nil {
				err = fmt.Errorf("fsync of %q: %w", dirty.name, err)
			}
		}
	}
	a.mu.Lock()
	a.finishSegs(segs, rest, err)
	if err == nil && dirty != nil {
		a.dirty = nil
		a.lastSync = time.Now()
	}
	a.busy = false
	a.idle.Broadcast()
	left := len(a.q) > 0
	a.mu.Unlock()
	if left {
		a.kickWriter() // the writer retries what failed
	}
	if err != nil {
		a.logf("Error writing to the AOF file: %v", err)
	}
	return err
}

// writeSegs writes segs in order. It stops at the first error and returns
// the segs (the failing one first, trimmed to what is still unwritten)
// that must be tried again.
func (a *AOF) writeSegs(segs []seg) (rest []seg, err error) {
	for i := range segs {
		s := &segs[i]
		if s.close {
			if s.in.f == nil {
				continue
			}
			if s.sync {
				if err := a.ops.sync(s.in.f); err != nil {
					return segs[i:], fmt.Errorf("fsync of %q: %w", s.in.name, err)
				}
			}
			s.in.f.Close()
			s.in.f = nil
			a.mu.Lock()
			if a.dirty == s.in {
				a.dirty = nil
			}
			a.mu.Unlock()
			continue
		}
		if len(s.data) == 0 {
			continue
		}
		if s.in.f == nil {
			return segs[i:], fmt.Errorf("AOF file %q is closed", s.in.name)
		}
		before := s.in.size.Load()
		n, werr := a.ops.write(s.in.f, s.data)
		if werr == nil && n < len(s.data) {
			werr = fmt.Errorf("short write (%d of %d bytes)", n, len(s.data))
		}
		if werr != nil {
			// Take the partial command back out of the file, so that a
			// retry appends to whole commands; if that fails, the bytes
			// that reached the file stay and only the rest is retried.
			if n > 0 {
				if terr := s.in.f.Truncate(before); terr != nil {
					s.in.size.Add(int64(n))
					a.mu.Lock()
					a.queued -= int64(n)
					a.mu.Unlock()
					s.data = s.data[n:]
				}
			}
			return segs[i:], fmt.Errorf("write to %q: %w", s.in.name, werr)
		}
		s.in.size.Add(int64(n))
		a.mu.Lock()
		a.queued -= int64(n)
		a.dirty = s.in
		a.mu.Unlock()
		s.data = s.data[:0]
	}
	return nil, nil
}

// finishSegs, under mu, recycles written buffers, puts rest back at the
// head of the queue and records the outcome.
func (a *AOF) finishSegs(segs, rest []seg, err error) {
	done := len(segs) - len(rest)
	for i := 0; i < done; i++ {
		if b := segs[i].data; !segs[i].close && cap(b) > 0 && cap(b) <= keepBuf && len(a.spare) < 4 {
			a.spare = append(a.spare, b[:0])
		}
	}
	if len(rest) > 0 {
		a.q = append(append([]seg(nil), rest...), a.q...)
	}
	clear(segs)
	a.qspare = segs[:0]
	if err != nil {
		a.lastErr = err
		a.retryAt = time.Now().Add(time.Second)
	} else {
		a.lastErr = nil
	}
}

// writer is the goroutine that writes handed-off segs, and fsyncs once a
// second with FsyncEverysec. After an error it retries once a second.
func (a *AOF) writer() {
	defer a.wg.Done()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		a.mu.Lock()
		for {
			now := time.Now()
			var wait time.Duration = -1
			ready := !a.busy && len(a.q) > 0
			if ready && a.lastErr != nil && now.Before(a.retryAt) {
				ready, wait = false, a.retryAt.Sub(now)
			}
			syncDue := false
			if !a.busy && a.dirty != nil && a.fsync == FsyncEverysec {
				if d := a.lastSync.Add(time.Second).Sub(now); d <= 0 {
					syncDue = true
				} else if wait < 0 || d < wait {
					wait = d
				}
			}
			if ready || syncDue {
				break
			}
			if a.quit && (len(a.q) == 0 || a.lastErr != nil) {
				a.mu.Unlock()
				return
			}
			a.mu.Unlock()
			if wait >= 0 {
				timer.Reset(wait)
				select {
				case <-a.kick:
				case <-timer.C:
				}
				if !timer.Stop() {
					select {
					case <-timer.C:
					default:
					}
				}
			} else {
				<-a.kick
			}
			a.mu.Lock()
		}
		segs := a.q
		a.q = a.qspare[:0]
		a.busy = true
		hadErr := a.lastErr != nil
		a.mu.Unlock()

		rest, err := a.writeSegs(segs)
		a.mu.Lock()
		var toSync *incr
		if err == nil && a.dirty != nil && a.fsync == FsyncEverysec && time.Since(a.lastSync) >= time.Second {
			toSync = a.dirty
			a.syncing = true
		}
		a.mu.Unlock()
		if toSync != nil && toSync.f != nil {
			if serr := a.ops.sync(toSync.f); serr != nil {
				err = fmt.Errorf("fsync of %q: %w", toSync.name, serr)
			}
		}
		a.mu.Lock()
		a.syncing = false
		if toSync != nil {
			a.lastSync = time.Now()
			if err == nil && a.dirty == toSync {
				a.dirty = nil
			}
		}
		a.finishSegs(segs, rest, err)
		a.busy = false
		a.idle.Broadcast()
		a.mu.Unlock()
		if err != nil {
			a.logf("Error writing to the AOF file: %v", err)
			a.wake()
		} else if hadErr {
			a.logf("AOF write error looks solved, the AOF can write again.")
			a.wake()
		}
	}
}

// drain waits until every handed-off seg is written (or failed).
func (a *AOF) drain() error {
	a.kickWriter()
	a.mu.Lock()
	defer a.mu.Unlock()
	for a.busy || (len(a.q) > 0 && a.lastErr == nil) {
		a.idle.Wait()
	}
	return a.lastErr
}

// StopLogging turns the log off (appendonly no): writes what is buffered,
// fsyncs and closes the increment, which stays in the manifest.
func (a *AOF) StopLogging() error {
	if !a.logging {
		return nil
	}
	a.handoff()
	a.mu.Lock()
	a.q = append(a.q, seg{in: a.cur, close: true, sync: true})
	mode := a.fsync
	a.mu.Unlock()
	a.logging = false
	a.cur = nil
	a.selected = -1
	if mode == FsyncAlways {
		return a.flushSync()
	}
	return a.drain()
}

// Close stops logging (writing, fsyncing and closing the increment),
// aborts the base files not installed (removing their temp files) and
// waits for the goroutines of the AOF.
func (a *AOF) Close() error {
	for b := range a.bases {
		b.Abort()
	}
	err := a.StopLogging()
	if err == nil {
		// A write error left data queued: one last synchronous try.
		a.mu.Lock()
		pending := len(a.q) > 0
		a.mu.Unlock()
		if pending {
			err = a.flushSync()
		}
	}
	a.mu.Lock()
	a.quit = true
	a.mu.Unlock()
	a.kickWriter()
	a.wg.Wait()
	a.mu.Lock()
	a.started = false
	if err == nil && len(a.q) > 0 {
		err = a.lastErr
	}
	a.mu.Unlock()
	for _, in := range a.incrs {
		if in.f != nil {
			in.f.Close()
			in.f = nil
		}
	}
	return err
}

// BeginRewrite starts a rewrite at this instant. While logging, the
// commands fed so far go to the current increment, and a new increment is
// created and listed in the manifest: commands fed from now on go there,
// and it stays after the rewrite. The returned BaseFile receives the
// snapshot; FinishRewrite installs it.
func (a *AOF) BeginRewrite() (*BaseFile, error) {
	if err := a.ensureDir(); err != nil {
		return nil, err
	}
	keepFrom := a.nextIncr
	if a.logging {
		in, err := a.newIncr()
		if err != nil {
			return nil, err
		}
		a.logf("Creating AOF incr file %s on background rewrite", in.name)
		a.handoff()
		a.mu.Lock()
		a.q = append(a.q, seg{in: a.cur, close: true, sync: a.fsync != FsyncNo})
		a.mu.Unlock()
		a.kickWriter()
		a.cur = in
		a.selected = -1
		keepFrom = in.seq
	} else {
		// Logging turned on during the rewrite must not append to an
		// increment that the rewrite will retire.
		a.minAppend = keepFrom
	}
	a.tempSeq++
	tmp := "temp-rewriteaof-" + strconv.Itoa(os.Getpid()) + "-" + strconv.Itoa(a.tempSeq) + ".aof"
	b, err := newBaseFile(a, tmp)
	if err != nil {
		return nil, err
	}
	b.keepFrom = keepFrom
	if a.bases == nil {
		a.bases = map[*BaseFile]struct{}{}
	}
	a.bases[b] = struct{}{}
	return b, nil
}

// FinishRewrite installs a base file that finished without error: it
// becomes the manifest's base, followed by the increments opened since
// BeginRewrite; the previous base and increments are marked history in a
// durable manifest, then dropped from it and deleted.
func (a *AOF) FinishRewrite(b *BaseFile) error {
	done, err := b.Result()
	if !done {
		return errors.New("AOF rewrite: the base file is not finished")
	}
	if err != nil {
		return fmt.Errorf("AOF rewrite failed: %w", err)
	}
	if err := a.ensureDir(); err != nil {
		return err
	}
	seq := a.nextBase
	name := BaseName(a.opt.Filename, seq)
	if err := os.Rename(b.path, a.path(name)); err != nil {
		return fmt.Errorf("cannot rename %q to %q: %w", b.path, a.path(name), err)
	}
	b.installed = true
	delete(a.bases, b)
	a.nextBase++
	a.logf("Successfully renamed the temporary AOF base file %s into %s", filepath.Base(b.path), name)

	m := &Manifest{Base: &FileInfo{Name: name, Seq: seq, Type: TypeBase}}
	m.History = append(m.History, a.man.History...)
	if a.man.Base != nil {
		h := *a.man.Base
		h.Type = TypeHistory
		m.History = append(m.History, h)
	}
	var keep []*incr
	for i, fi := range a.man.Incrs {
		if fi.Seq >= b.keepFrom {
			m.Incrs = append(m.Incrs, fi)
			keep = append(keep, a.incrs[i])
		} else {
			fi.Type = TypeHistory
			m.History = append(m.History, fi)
		}
	}
	if err := a.persistManifest(m); err != nil {
		// The new base is not listed: take it back, the old files stay.
		os.Remove(a.path(name))
		return err
	}
	a.incrs = keep
	a.baseSize = b.Size()
	a.rwSize = a.currentSize()
	return a.dropHistory()
}

// dropHistory writes the manifest without its history files, durably, and
// then deletes them in the background.
func (a *AOF) dropHistory() error {
	if len(a.man.History) == 0 {
		return nil
	}
	m := a.man.clone()
	hist := m.History
	m.History = nil
	if err := a.persistManifest(m); err != nil {
		return err
	}
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		for _, fi := range hist {
			a.logf("Removing the history file %s in the background", fi.Name)
			if err := os.Remove(a.path(fi.Name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				a.logf("Failed to remove the history file %s: %v", fi.Name, err)
			}
		}
	}()
	return nil
}

// errBaseClosed is the error of a Write after Close.
var errBaseClosed = errors.New("AOF base file: write after Close")

// isRDBPreamble reports whether a base file starts as an RDB file does.
func isRDBPreamble(b []byte) bool { return bytes.HasPrefix(b, []byte("REDIS")) }
