package ds

import (
	"fmt"
	"testing"

	"rundb/engine/mem"
	"rundb/variants/goheap"
)

// exactAlloc is a test allocator that holds each block as a slice of exactly
// the requested size and panics on any misuse: a Free with the wrong size or
// purpose or of a dead block, or a Bytes view beyond the block.
type exactAlloc struct {
	blocks map[mem.Ref][]byte
	purps  map[mem.Ref]mem.Purpose
	next   mem.Ref
	stats  mem.Stats
}

func newExact() *exactAlloc {
	return &exactAlloc{blocks: map[mem.Ref][]byte{}, purps: map[mem.Ref]mem.Purpose{}}
}

func (x *exactAlloc) Name() string { return "exact" }

// RefBound implements mem.RefBounder: 4-byte Refs, so that the dash
// layout's narrow slots are tested (the arena's are 5 bytes).
func (x *exactAlloc) RefBound() uint64 { return 1 << 32 }

func (x *exactAlloc) Alloc(p mem.Purpose, size int) mem.Ref {
	if size <= 0 {
		panic(fmt.Sprintf("exact: Alloc(%d)", size))
	}
	x.next++
	if uint64(x.next) >= x.RefBound() {
		panic("exact: out of Refs")
	}
	// Fill with garbage: callers must not rely on fresh blocks being zero.
	b := make([]byte, size, size)
	for i := range b {
		b[i] = 0xA5
	}
	x.blocks[x.next] = b
	x.purps[x.next] = p
	x.stats.Add(p, size, size)
	return x.next
}

func (x *exactAlloc) Free(p mem.Purpose, r mem.Ref, size int) {
	b, ok := x.blocks[r]
	if !ok {
		panic(fmt.Sprintf("exact: Free of dead block %d", r))
	}
	if len(b) != size {
		panic(fmt.Sprintf("exact: Free(%d, %d) of a %d-byte block", r, size, len(b)))
	}
	if x.purps[r] != p {
		panic(fmt.Sprintf("exact: Free(%s, %d) of a block allocated for %s", p, r, x.purps[r]))
	}
	delete(x.blocks, r)
	delete(x.purps, r)
	x.stats.Sub(p, size, size)
}

func (x *exactAlloc) Bytes(r mem.Ref, size int) []byte {
	b, ok := x.blocks[r]
	if !ok {
		panic(fmt.Sprintf("exact: Bytes of dead block %d", r))
	}
	if size > len(b) {
		panic(fmt.Sprintf("exact: Bytes(%d, %d) of a %d-byte block", r, size, len(b)))
	}
	return b[:size:size]
}

func (x *exactAlloc) Stats() mem.Stats { return x.stats }

// backends are the allocators every table and entry test runs on.
var backends = []struct {
	name string
	new  func() mem.Allocator
}{
	{"exact", func() mem.Allocator { return newExact() }},
	{"goheap", goheap.New},
}

func forBackends(t *testing.T, fn func(t *testing.T, a mem.Allocator)) {
	for _, b := range backends {
		t.Run("alloc="+b.name, func(t *testing.T) { fn(t, b.new()) })
	}
}

// checkLive fails if a still holds blocks.
func checkLive(t testing.TB, a mem.Allocator, want uint64) {
	t.Helper()
	if got := a.Stats().Live(); got != want {
		t.Fatalf("live blocks: got %d; want %d", got, want)
	}
}

func newGoheap() mem.Allocator { return goheap.New() }
