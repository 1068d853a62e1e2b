package persist

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// countingOps counts fsyncs per file and can fail writes and fsyncs.
type countingOps struct {
	mu        sync.Mutex
	syncs     int
	writes    int
	failWrite error // returned by every write while set
	failSync  error
	partial   int // with failWrite: bytes written before failing
}

func (c *countingOps) ops() fileOps {
	return fileOps{
		write: func(f *os.File, p []byte) (int, error) {
			c.mu.Lock()
			fail, part := c.failWrite, c.partial
			c.writes++
			c.mu.Unlock()
			if fail != nil {
				n, _ := f.Write(p[:min(part, len(p))])
				return n, fail
			}
			return f.Write(p)
		},
		sync: func(f *os.File) error {
			c.mu.Lock()
			defer c.mu.Unlock()
			c.syncs++
			if c.failSync != nil {
				return c.failSync
			}
			return f.Sync()
		},
	}
}

func (c *countingOps) set(fn func(c *countingOps)) {
	c.mu.Lock()
	fn(c)
	c.mu.Unlock()
}

func (c *countingOps) get() (syncs, writes int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.syncs, c.writes
}

func TestFeedFlushModes(t *testing.T) {
	want := cmdText(
		args("SELECT", "0"), args("SET", "a", "1"), args("SET", "b", "2"),
		args("SELECT", "3"), args("SET", "c", ""),
		args("SELECT", "0"), args("DEL", "a", "b"),
	)
	for _, mode := range []Fsync{FsyncNo, FsyncEverysec, FsyncAlways} {
		t.Run(mode.String(), func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "appendonlydir")
			a := openAOF(t, dir, mode)
			co := &countingOps{}
			a.ops = co.ops()
			a.Feed(0, args("SET", "x", "not logged"))
			if err := a.StartLogging(); err != nil {
				t.Fatal(err)
			}
			if got := readFile(t, filepath.Join(dir, "appendonly.aof.manifest")); got != "file appendonly.aof.1.incr.aof seq 1 type i\n" {
				t.Fatalf("manifest %q", got)
			}
			incr := filepath.Join(dir, "appendonly.aof.1.incr.aof")
			a.Feed(0, args("SET", "a", "1"))
			a.Feed(0, args("SET", "b", "2"))
			a.Feed(3, args("SET", "c", ""))
			a.Feed(0, args("DEL", "a", "b"))
			syncs0, _ := co.get()
			if st := a.Status(); st.Buffered != int64(len(want)) || !st.Logging || st.IncrName != "appendonly.aof.1.incr.aof" {
				t.Fatalf("status before Flush %+v; want Buffered %d", st, len(want))
			}
			if err := a.Flush(); err != nil {
				t.Fatal(err)
			}
			switch mode {
			case FsyncAlways:
				// Written and fsynced before Flush returns, with one fsync
				// for the whole turn.
				if got := readFile(t, incr); got != want {
					t.Fatalf("got %q; want %q", got, want)
				}
				if s, _ := co.get(); s != syncs0+1 {
					t.Fatalf("%d fsyncs for one Flush; want 1", s-syncs0)
				}
			default:
				waitFor(t, "the writer", func() bool { return readFile(t, incr) == want })
			}
			waitFor(t, "Buffered 0", func() bool { return a.Status().Buffered == 0 })
			if st := a.Status(); st.CurrentSize != int64(len(want)) || st.LastWriteErr != nil {
				t.Fatalf("status %+v", st)
			}
			// Many turns in 300ms: everysec fsyncs at most once in them
			// (the first write may fsync at once), no never fsyncs,
			// always once per turn.
			s1, _ := co.get()
			start := time.Now()
			for i := 0; i < 30; i++ {
				a.Feed(0, args("SET", "k", "v"))
				if err := a.Flush(); err != nil {
					t.Fatal(err)
				}
				time.Sleep(10 * time.Millisecond)
			}
			s2, _ := co.get()
			switch mode {
			case FsyncNo:
				if s2 != s1 {
					t.Errorf("appendfsync no: %d fsyncs", s2-s1)
				}
			case FsyncEverysec:
				// One at most per started second (a loaded machine may
				// stretch the 300ms).
				if secs := int(time.Since(start)/time.Second) + 1; s2-s1 > secs {
					t.Errorf("appendfsync everysec: %d fsyncs in %v", s2-s1, time.Since(start))
				}
				waitFor(t, "the everysec fsync", func() bool { s, _ := co.get(); return s > s1 })
			case FsyncAlways:
				if s2-s1 != 30 {
					t.Errorf("appendfsync always: %d fsyncs for 30 turns", s2-s1)
				}
			}
			if err := a.Close(); err != nil {
				t.Fatal(err)
			}
			m := newKVModel()
			b := openAOF(t, dir, mode)
			st, err := b.Load(m.apply, false, nil)
			if err != nil {
				t.Fatal(err)
			}
			if st.Commands != 7+30 || st.Files != 1 || m.dump() != "0/k=v 3/c= " {
				t.Fatalf("loaded %+v: %s", st, m.dump())
			}
		})
	}
}

// A reopened log appends to the last increment and selects the database
// again.
func TestStartLoggingAppends(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "appendonlydir")
	a := openAOF(t, dir, FsyncAlways)
	if err := a.StartLogging(); err != nil {
		t.Fatal(err)
	}
	a.Feed(2, args("SET", "a", "1"))
	a.Flush()
	a.Close()
	a = openAOF(t, dir, FsyncAlways)
	if !a.Exists() {
		t.Fatal("Exists after a log was written")
	}
	if err := a.StartLogging(); err != nil {
		t.Fatal(err)
	}
	a.Feed(2, args("SET", "b", "2"))
	a.Flush()
	a.Close()
	want := cmdText(args("SELECT", "2"), args("SET", "a", "1"), args("SELECT", "2"), args("SET", "b", "2"))
	if got := readFile(t, filepath.Join(dir, "appendonly.aof.1.incr.aof")); got != want {
		t.Fatalf("got %q; want %q", got, want)
	}
	if got := listDir(t, dir); !reflect.DeepEqual(got, []string{"appendonly.aof.1.incr.aof", "appendonly.aof.manifest"}) {
		t.Fatalf("dir %q", got)
	}
}

func TestRewriteRotation(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "appendonlydir")
	a := openAOF(t, dir, FsyncEverysec)
	if err := a.StartLogging(); err != nil {
		t.Fatal(err)
	}
	writeBase(t, a) // the empty base at start, as with appendonly yes on an empty server
	a.Feed(0, args("SET", "a", "1"))
	a.Feed(1, args("SET", "b", "1"))
	a.Flush()
	a.Feed(1, args("SET", "b", "2")) // fed, not flushed: belongs before the instant
	b, err := a.BeginRewrite()
	if err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, filepath.Join(dir, "appendonly.aof.manifest")); got != "file appendonly.aof.1.base.aof seq 1 type b\n"+
		"file appendonly.aof.2.incr.aof seq 2 type i\nfile appendonly.aof.3.incr.aof seq 3 type i\n" {
		t.Fatalf("manifest during rewrite %q", got)
	}
	a.Feed(1, args("SET", "c", "3")) // after the instant: new incr, SELECT again
	a.Flush()
	finishBase(t, a, b, args("SELECT", "0"), args("SET", "a", "1"), args("SELECT", "1"), args("SET", "b", "2"))
	if got := readFile(t, filepath.Join(dir, "appendonly.aof.manifest")); got != "file appendonly.aof.2.base.aof seq 2 type b\n"+
		"file appendonly.aof.3.incr.aof seq 3 type i\n" {
		t.Fatalf("manifest after rewrite %q", got)
	}
	a.Feed(1, args("SET", "d", "4"))
	a.Flush()
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if got := listDir(t, dir); !reflect.DeepEqual(got, []string{"appendonly.aof.2.base.aof", "appendonly.aof.3.incr.aof", "appendonly.aof.manifest"}) {
		t.Fatalf("dir after rewrite %q", got)
	}
	if got, want := readFile(t, filepath.Join(dir, "appendonly.aof.3.incr.aof")), cmdText(args("SELECT", "1"), args("SET", "c", "3"), args("SET", "d", "4")); got != want {
		t.Fatalf("new incr %q; want %q", got, want)
	}
	m := newKVModel()
	st, err := openAOF(t, dir, FsyncEverysec).Load(m.apply, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if st.Files != 2 || m.dump() != "0/a=1 1/b=2 1/c=3 1/d=4 " {
		t.Fatalf("loaded %+v: %s", st, m.dump())
	}
}

// With logging off a rewrite writes only a base, and retires the old
// increments.
func TestRewriteLoggingOff(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "appendonlydir")
	a := openAOF(t, dir, FsyncEverysec)
	if err := a.StartLogging(); err != nil {
		t.Fatal(err)
	}
	a.Feed(0, args("SET", "a", "1"))
	a.Flush()
	if err := a.StopLogging(); err != nil {
		t.Fatal(err)
	}
	a.Feed(0, args("SET", "ignored", "1"))
	writeBase(t, a, args("SELECT", "0"), args("SET", "a", "1"))
	a.Close()
	if got := readFile(t, filepath.Join(dir, "appendonly.aof.manifest")); got != "file appendonly.aof.1.base.aof seq 1 type b\n" {
		t.Fatalf("manifest %q", got)
	}
	if got := listDir(t, dir); !reflect.DeepEqual(got, []string{"appendonly.aof.1.base.aof", "appendonly.aof.manifest"}) {
		t.Fatalf("dir %q", got)
	}
	// A second base on a fresh directory with logging never on.
	dir2 := filepath.Join(t.TempDir(), "appendonlydir")
	a = openAOF(t, dir2, FsyncNo)
	if a.Exists() {
		t.Fatal("Exists on an empty dir")
	}
	writeBase(t, a, args("SET", "x", "1"))
	writeBase(t, a, args("SET", "x", "2"))
	a.Close()
	if got := listDir(t, dir2); !reflect.DeepEqual(got, []string{"appendonly.aof.2.base.aof", "appendonly.aof.manifest"}) {
		t.Fatalf("dir %q", got)
	}
	m := newKVModel()
	if _, err := openAOF(t, dir2, FsyncNo).Load(m.apply, false, nil); err != nil || m.dump() != "0/x=2 " {
		t.Fatalf("load: %v %s", err, m.dump())
	}
}

// Logging turned on while a rewrite that began with logging off runs must
// not append to an increment the rewrite retires.
func TestStartLoggingDuringRewrite(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "appendonlydir")
	a := openAOF(t, dir, FsyncAlways)
	a.StartLogging()
	a.Feed(0, args("SET", "a", "1"))
	a.Flush()
	a.StopLogging()
	b, err := a.BeginRewrite()
	if err != nil {
		t.Fatal(err)
	}
	if err := a.StartLogging(); err != nil {
		t.Fatal(err)
	}
	a.Feed(0, args("SET", "b", "2"))
	a.Flush()
	finishBase(t, a, b, args("SET", "a", "1"))
	a.Close()
	m := newKVModel()
	if _, err := openAOF(t, dir, FsyncAlways).Load(m.apply, false, nil); err != nil || m.dump() != "0/a=1 0/b=2 " {
		t.Fatalf("load: %v %s", err, m.dump())
	}
}

// A failed rewrite keeps every file: the old increments and the new one.
func TestRewriteFailedKeepsFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "appendonlydir")
	var woken atomic.Int32
	a, err := Open(Options{Dir: dir, Filename: "appendonly.aof", Fsync: FsyncEverysec, Logf: t.Logf, Wake: func() { woken.Add(1) }})
	if err != nil {
		t.Fatal(err)
	}
	co := &countingOps{}
	a.ops = co.ops()
	a.StartLogging()
	a.Feed(0, args("SET", "a", "1"))
	a.Flush()
	b, err := a.BeginRewrite()
	if err != nil {
		t.Fatal(err)
	}
	a.Feed(0, args("SET", "b", "2"))
	a.Flush()
	waitFor(t, "the log writes", func() bool { return a.Status().Buffered == 0 })
	co.set(func(c *countingOps) { c.failWrite = errors.New("no space left on device") })
	b.Write([]byte(cmdText(args("SET", "a", "1"))))
	waitFor(t, "the failure", func() bool { d, _ := b.Result(); return d })
	co.set(func(c *countingOps) { c.failWrite = nil })
	if _, err := b.Result(); err == nil {
		t.Fatal("no error from a failing base file")
	}
	if woken.Load() == 0 {
		t.Fatal("Wake not called")
	}
	if _, err := b.Write([]byte("x")); err == nil {
		t.Fatal("Write after a failure succeeded")
	}
	if err := a.FinishRewrite(b); err == nil {
		t.Fatal("FinishRewrite of a failed base")
	}
	b.Abort()
	if _, err := os.Stat(b.Path()); !os.IsNotExist(err) {
		t.Fatalf("temp file left: %v", err)
	}
	a.Close()
	if got := listDir(t, dir); !reflect.DeepEqual(got, []string{"appendonly.aof.1.incr.aof", "appendonly.aof.2.incr.aof", "appendonly.aof.manifest"}) {
		t.Fatalf("dir %q", got)
	}
	m := newKVModel()
	if _, err := openAOF(t, dir, FsyncAlways).Load(m.apply, false, nil); err != nil || m.dump() != "0/a=1 0/b=2 " {
		t.Fatalf("load: %v %s", err, m.dump())
	}
}

func TestAbortRemovesTemp(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "appendonlydir")
	a := openAOF(t, dir, FsyncNo)
	b, err := a.BeginRewrite()
	if err != nil {
		t.Fatal(err)
	}
	b.Write([]byte("*1\r\n$4\r\nPING\r\n"))
	b.Abort()
	if got := listDir(t, dir); len(got) != 0 {
		t.Fatalf("dir after Abort %q", got)
	}
	a.Close()
}

// A failing disk shows in Status and wakes the loop; the log recovers when
// writes work again, with every command written exactly once.
func TestFailingWriterStatus(t *testing.T) {
	for _, mode := range []Fsync{FsyncEverysec, FsyncAlways} {
		t.Run(mode.String(), func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "appendonlydir")
			var woken atomic.Int32
			a, err := Open(Options{Dir: dir, Filename: "appendonly.aof", Fsync: mode, Logf: t.Logf, Wake: func() { woken.Add(1) }})
			if err != nil {
				t.Fatal(err)
			}
			co := &countingOps{}
			a.ops = co.ops()
			if err := a.StartLogging(); err != nil {
				t.Fatal(err)
			}
			a.Feed(0, args("SET", "a", "1"))
			if err := a.Flush(); err != nil {
				t.Fatal(err)
			}
			waitFor(t, "first write", func() bool { return a.Status().Buffered == 0 })
			// Half a command reaches the disk, then ENOSPC.
			co.set(func(c *countingOps) { c.failWrite, c.partial = errors.New("no space left on device"), 7 })
			a.Feed(0, args("SET", "b", "2"))
			err = a.Flush()
			if mode == FsyncAlways && err == nil {
				t.Fatal("Flush with always on a failing disk returned nil")
			}
			waitFor(t, "LastWriteErr", func() bool { return a.Status().LastWriteErr != nil })
			if mode != FsyncAlways && woken.Load() == 0 {
				t.Fatal("Wake not called on a write error")
			}
			if st := a.Status(); st.Buffered == 0 {
				t.Fatalf("nothing buffered after a failed write: %+v", st)
			}
			co.set(func(c *countingOps) { c.failWrite = nil })
			a.Feed(0, args("SET", "c", "3"))
			if err := a.Flush(); err != nil && mode == FsyncAlways {
				t.Fatal(err)
			}
			waitFor(t, "recovery", func() bool { st := a.Status(); return st.LastWriteErr == nil && st.Buffered == 0 })
			if err := a.Close(); err != nil {
				t.Fatal(err)
			}
			want := cmdText(args("SELECT", "0"), args("SET", "a", "1"), args("SET", "b", "2"), args("SET", "c", "3"))
			if got := readFile(t, filepath.Join(dir, "appendonly.aof.1.incr.aof")); got != want {
				t.Fatalf("got %q; want %q", got, want)
			}
		})
	}
}

// A failing fsync with always is Flush's error, and shows in Status.
func TestFailingFsync(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "appendonlydir")
	a := openAOF(t, dir, FsyncAlways)
	co := &countingOps{}
	a.ops = co.ops()
	a.StartLogging()
	co.set(func(c *countingOps) { c.failSync = errors.New("EIO") })
	a.Feed(0, args("SET", "a", "1"))
	if err := a.Flush(); err == nil {
		t.Fatal("Flush: nil error with a failing fsync")
	}
	if a.Status().LastWriteErr == nil {
		t.Fatal("Status: no error")
	}
	co.set(func(c *countingOps) { c.failSync = nil })
	a.Feed(0, args("SET", "b", "1"))
	if err := a.Flush(); err != nil {
		t.Fatal(err)
	}
	if a.Status().LastWriteErr != nil {
		t.Fatal("error not cleared by a good write")
	}
	a.Close()
}

func TestSetFsync(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "appendonlydir")
	a := openAOF(t, dir, FsyncNo)
	co := &countingOps{}
	a.ops = co.ops()
	a.StartLogging()
	a.Feed(0, args("SET", "a", "1"))
	a.Flush()
	a.SetFsync(FsyncAlways)
	s0, _ := co.get()
	a.Feed(0, args("SET", "b", "1"))
	if err := a.Flush(); err != nil {
		t.Fatal(err)
	}
	if s, _ := co.get(); s != s0+1 {
		t.Fatalf("%d fsyncs after SetFsync(always)", s-s0)
	}
	if got, want := readFile(t, filepath.Join(dir, "appendonly.aof.1.incr.aof")), cmdText(args("SELECT", "0"), args("SET", "a", "1"), args("SET", "b", "1")); got != want {
		t.Fatalf("got %q; want %q", got, want)
	}
	if a.Status().Fsync != FsyncAlways {
		t.Fatal("Status.Fsync")
	}
	a.Close()
}

func TestFeedNoAlloc(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "appendonlydir")
	a := openAOF(t, dir, FsyncNo)
	a.StartLogging()
	defer a.Close()
	cmd := args("SET", "key:000001", "value-value-value")
	for i := 0; i < 1000; i++ {
		a.Feed(i%2, cmd)
		a.Flush()
	}
	if n := testing.AllocsPerRun(1000, func() { a.Feed(0, cmd); a.Feed(1, cmd) }); n != 0 {
		t.Fatalf("Feed allocates %v times per call", n)
	}
	a.Flush()
}

func BenchmarkFeedFlush(b *testing.B) {
	for _, mode := range []Fsync{FsyncNo, FsyncEverysec, FsyncAlways} {
		for _, batch := range []int{1, 16} {
			b.Run("fsync="+mode.String()+"/batch="+itoa(batch), func(b *testing.B) {
				dir := filepath.Join(b.TempDir(), "appendonlydir")
				a := openAOF(b, dir, mode)
				if err := a.StartLogging(); err != nil {
					b.Fatal(err)
				}
				cmd := args("SET", "key:000001", "value-value-value")
				b.SetBytes(int64(len(cmdText(cmd)) * batch))
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					for j := 0; j < batch; j++ {
						a.Feed(0, cmd)
					}
					if err := a.Flush(); err != nil {
						b.Fatal(err)
					}
				}
				b.StopTimer()
				a.Close()
			})
		}
	}
}

func itoa(n int) string { return string(appendInt(nil, n)) }

func appendInt(b []byte, n int) []byte {
	if n >= 10 {
		b = appendInt(b, n/10)
	}
	return append(b, byte('0'+n%10))
}

// A base file is fsynced every RewriteSyncBytes while it is written, and
// once at the end.
func TestBaseIncrementalFsync(t *testing.T) {
	for _, c := range []struct{ every, want int64 }{{1000, 5}, {-1, 1}} {
		dir := filepath.Join(t.TempDir(), "appendonlydir")
		a, err := Open(Options{Dir: dir, Filename: "appendonly.aof", RewriteSyncBytes: c.every})
		if err != nil {
			t.Fatal(err)
		}
		co := &countingOps{}
		a.ops = co.ops()
		b, err := a.BeginRewrite()
		if err != nil {
			t.Fatal(err)
		}
		chunk := make([]byte, 1000)
		for i := 0; i < 4; i++ {
			b.Write(chunk)
			waitFor(t, "the write", func() bool { return b.Buffered() == 0 })
		}
		b.Close()
		waitFor(t, "the end", func() bool { d, _ := b.Result(); return d })
		if s, _ := co.get(); int64(s) != c.want || b.Size() != 4000 {
			t.Errorf("RewriteSyncBytes %d: %d fsyncs, size %d; want %d fsyncs", c.every, s, b.Size(), c.want)
		}
		b.Abort()
		a.Close()
	}
}

// History files a manifest still lists are deleted when logging starts,
// after a manifest without them is durable.
func TestHistoryDeleted(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "appendonlydir")
	os.MkdirAll(dir, 0o755)
	for _, n := range []string{"appendonly.aof.1.base.aof", "appendonly.aof.2.base.aof", "appendonly.aof.1.incr.aof", "appendonly.aof.2.incr.aof"} {
		os.WriteFile(filepath.Join(dir, n), nil, 0o644)
	}
	os.WriteFile(filepath.Join(dir, "appendonly.aof.manifest"), []byte("file appendonly.aof.2.base.aof seq 2 type b\n"+
		"file appendonly.aof.1.base.aof seq 1 type h\nfile appendonly.aof.1.incr.aof seq 1 type h\n"+
		"file appendonly.aof.2.incr.aof seq 2 type i\n"), 0o644)
	a := openAOF(t, dir, FsyncNo)
	if err := a.StartLogging(); err != nil {
		t.Fatal(err)
	}
	a.Close()
	if got := readFile(t, filepath.Join(dir, "appendonly.aof.manifest")); got != "file appendonly.aof.2.base.aof seq 2 type b\nfile appendonly.aof.2.incr.aof seq 2 type i\n" {
		t.Fatalf("manifest %q", got)
	}
	if got := listDir(t, dir); !reflect.DeepEqual(got, []string{"appendonly.aof.2.base.aof", "appendonly.aof.2.incr.aof", "appendonly.aof.manifest"}) {
		t.Fatalf("dir %q", got)
	}
	// The next base and increment take numbers past every old one.
	a = openAOF(t, dir, FsyncNo)
	a.StartLogging()
	writeBase(t, a)
	a.Close()
	if got := readFile(t, filepath.Join(dir, "appendonly.aof.manifest")); got != "file appendonly.aof.3.base.aof seq 3 type b\nfile appendonly.aof.3.incr.aof seq 3 type i\n" {
		t.Fatalf("manifest %q", got)
	}
}

// Close aborts a base file still being written: no goroutine, no temp file.
func TestCloseAbortsBase(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "appendonlydir")
	a := openAOF(t, dir, FsyncNo)
	b, err := a.BeginRewrite()
	if err != nil {
		t.Fatal(err)
	}
	b.Write([]byte("*1\r\n$4\r\nPING\r\n"))
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	b.wait()
	if got := listDir(t, dir); len(got) != 0 {
		t.Fatalf("dir after Close %q", got)
	}
}
