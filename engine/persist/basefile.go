package persist

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
)

// BaseFile receives a rewrite's snapshot, a stream of RESP commands, into a
// temp file of the append directory. Write copies p and queues it for the
// BaseFile's goroutine, which writes it to the file, so the loop never
// waits for the disk; Buffered tells how much waits, for a writer that
// wants to slow down. Close asks the goroutine to write the rest, fsync and
// close; the loop polls Result (Options.Wake tells it when to look) and then
// calls FinishRewrite, or Abort to drop the file.
type BaseFile struct {
	a         *AOF
	path      string
	keepFrom  int64 // the first increment sequence the new base does not cover
	installed bool  // renamed by FinishRewrite

	mu       sync.Mutex
	q        []byte // written by the loop, not taken yet
	spare    []byte
	inflight int64 // bytes the goroutine is writing
	size     int64 // bytes in the file
	closing  bool
	aborted  bool
	done     bool
	err      error
	kick     chan struct{}
	exited   chan struct{}
}

// defaultRewriteSyncBytes is the incremental fsync step of a base file,
// the reference server's (4 MB).
const defaultRewriteSyncBytes = 4 << 20

func newBaseFile(a *AOF, name string) (*BaseFile, error) {
	path := a.path(name)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, fmt.Errorf("cannot create the temp AOF base file %q: %w", path, err)
	}
	b := &BaseFile{a: a, path: path, kick: make(chan struct{}, 1), exited: make(chan struct{})}
	go b.run(f)
	return b, nil
}

// Path is the temp file's path.
func (b *BaseFile) Path() string { return b.path }

// Write queues p. It fails once the file failed (the error is the
// failure), or after Close or Abort.
func (b *BaseFile) Write(p []byte) (int, error) {
	b.mu.Lock()
	if b.err != nil {
		err := b.err
		b.mu.Unlock()
		return 0, err
	}
	if b.closing || b.aborted {
		b.mu.Unlock()
		return 0, errBaseClosed
	}
	b.q = append(b.q, p...)
	b.mu.Unlock()
	b.signal()
	return len(p), nil
}

func (b *BaseFile) signal() {
	select {
	case b.kick <- struct{}{}:
	default:
	}
}

// Buffered is the number of bytes written to b and not yet on the file.
func (b *BaseFile) Buffered() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return int64(len(b.q)) + b.inflight
}

// Size is the number of bytes in the file so far.
func (b *BaseFile) Size() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.size
}

// Close asks for the rest to be written, the file fsynced and closed. It
// does not wait: Result reports the end.
func (b *BaseFile) Close() error {
	b.mu.Lock()
	b.closing = true
	b.mu.Unlock()
	b.signal()
	return nil
}

// Result reports whether the file is finished, and how: done with a nil
// error after Close once every byte is written and fsynced; done with an
// error as soon as a write fails (later writes are refused).
func (b *BaseFile) Result() (done bool, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.done, b.err
}

// Abort stops the goroutine and removes the temp file. It does nothing to
// a file FinishRewrite installed. It runs on the loop, as FinishRewrite.
func (b *BaseFile) Abort() {
	delete(b.a.bases, b)
	b.mu.Lock()
	b.aborted = true
	b.q = nil
	b.mu.Unlock()
	b.signal()
	<-b.exited
	if !b.installed {
		os.Remove(b.path)
	}
}

// wait waits for the goroutine to end (tests).
func (b *BaseFile) wait() { <-b.exited }

func (b *BaseFile) run(f *os.File) {
	defer close(b.exited)
	ops := b.a.ops
	every := b.a.opt.RewriteSyncBytes
	if every == 0 {
		every = defaultRewriteSyncBytes
	}
	var unsynced int64
	fail := func(err error) {
		f.Close()
		os.Remove(b.path)
		b.mu.Lock()
		b.err = err
		b.done = true
		b.q = nil
		b.inflight = 0
		b.mu.Unlock()
		b.a.logf("Error writing the AOF base file %s: %v", filepath.Base(b.path), err)
		b.a.wake()
	}
	for {
		b.mu.Lock()
		for len(b.q) == 0 && !b.closing && !b.aborted {
			b.mu.Unlock()
			<-b.kick
			b.mu.Lock()
		}
		if b.aborted {
			b.mu.Unlock()
			f.Close()
			return
		}
		if len(b.q) == 0 && b.closing {
			b.mu.Unlock()
			err := ops.sync(f)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				fail(fmt.Errorf("fsync of %q: %w", b.path, err))
				return
			}
			b.mu.Lock()
			b.done = true
			b.mu.Unlock()
			b.a.wake()
			return
		}
		// q and spare swap: the loop appends to one buffer while this
		// goroutine writes the other. spare is cleared as it is taken, so
		// a buffer too big to keep is never handed out twice.
		data := b.q
		b.q, b.spare = b.spare[:0], nil
		b.inflight = int64(len(data))
		b.mu.Unlock()
		n, err := ops.write(f, data)
		if err == nil && n < len(data) {
			err = errors.New("short write")
		}
		if err != nil {
			fail(fmt.Errorf("write to %q: %w", b.path, err))
			return
		}
		if unsynced += int64(n); every > 0 && unsynced >= every {
			if err := ops.sync(f); err != nil {
				fail(fmt.Errorf("fsync of %q: %w", b.path, err))
				return
			}
			unsynced = 0
		}
		b.mu.Lock()
		b.size += int64(n)
		b.inflight = 0
		if cap(data) <= keepBuf {
			b.spare = data[:0]
		}
		b.mu.Unlock()
	}
}
