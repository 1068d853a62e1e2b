package conformance_test

import (
	"fmt"
	"strings"
	"testing"

	"rundb/engine/mem"
	"rundb/variants/arena"
	"rundb/variants/conformance"
	"rundb/variants/goheap"
)

func newArena() mem.Allocator {
	a, err := arena.NewSize(8 << 30)
	if err != nil {
		panic(err)
	}
	return a
}

func TestGoheap(t *testing.T) { conformance.Run(t, "goheap", goheap.New) }
func TestArena(t *testing.T)  { conformance.Run(t, "arena", newArena) }

func FuzzArena(f *testing.F) {
	conformance.FuzzSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		a := newArena()
		defer a.(*arena.Arena).Close()
		conformance.Ops(t, a, data)
	})
}

func FuzzGoheap(f *testing.F) {
	conformance.FuzzSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		conformance.Ops(t, goheap.New(), data)
	})
}

// failTB records the first Fatalf and stops the checker with a panic.
type failTB struct {
	testing.TB
	msg string
}

type stop struct{}

func (f *failTB) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	panic(stop{})
}
func (f *failTB) Helper() {}

func expectFailure(t *testing.T, a mem.Allocator, run func(c *conformance.Checker), want string) {
	t.Helper()
	tb := &failTB{TB: t}
	func() {
		defer func() {
			if r := recover(); r != nil {
				if _, ok := r.(stop); !ok {
					panic(r)
				}
			}
		}()
		run(conformance.NewChecker(tb, a))
	}()
	if !strings.Contains(tb.msg, want) {
		t.Fatalf("checker reported %q; want it to mention %q", tb.msg, want)
	}
}

// overlapping hands out blocks that share memory: every Ref is a view of
// the same buffer.
type overlapping struct {
	mem.Allocator
	buf []byte
	n   mem.Ref
}

func (o *overlapping) Alloc(p mem.Purpose, size int) mem.Ref {
	o.Allocator.Alloc(p, size) // keep the accounting right
	o.n++
	return o.n
}
func (o *overlapping) Free(p mem.Purpose, r mem.Ref, size int) { o.Allocator.Free(p, 1, size) }
func (o *overlapping) Bytes(r mem.Ref, size int) []byte {
	return o.buf[:size]
}

// miscounting gets Requested wrong.
type miscounting struct{ mem.Allocator }

func (m miscounting) Stats() mem.Stats {
	s := m.Allocator.Stats()
	if s.Allocs > 0 {
		s.Requested++
	}
	return s
}

func TestCheckerCatchesOverlap(t *testing.T) {
	o := &overlapping{Allocator: goheap.New(), buf: make([]byte, 1<<10)}
	expectFailure(t, o, func(c *conformance.Checker) {
		c.Alloc(40)
		c.Alloc(40)
		c.VerifyAll()
	}, "checkpoint: block 0x1")
}

func TestCheckerCatchesMiscount(t *testing.T) {
	expectFailure(t, miscounting{goheap.New()}, func(c *conformance.Checker) {
		c.Alloc(40)
	}, "Requested = 41; want 40")
}

func BenchmarkAlloc(b *testing.B) {
	b.Run("alloc=goheap", func(b *testing.B) { conformance.Bench(b, goheap.New) })
	b.Run("alloc=arena", func(b *testing.B) { conformance.Bench(b, newArena) })
}
