// Package goheap is the Go-native allocator backend: every block is one
// make([]byte, size) on the Go heap, named by a handle.
//
// Handles live in a table of unsafe.Pointer (8 bytes per live block, one
// pointer the garbage collector traces), with a LIFO free list of handle
// indexes. A Ref is the handle index plus one, so the nil Ref 0 never names a
// block. The backend therefore pays what Go pays: size-class rounding, GC
// scanning of the handle table and the GC's heap headroom; it is the baseline
// the off-heap backends are measured against.
//
// An Allocator is not safe for concurrent use: one event loop owns it.
package goheap

import (
	"runtime/debug"
	"unsafe"

	"rundb/engine/mem"
)

// smallMax is the largest size rounded through the size-class table; larger
// blocks are page-rounded, as the Go runtime does for large objects.
const (
	smallMax = 32768
	pageSize = 8192
)

// classUp[(size+7)/8] is the size the Go heap really hands out for a
// make([]byte, size) with size <= smallMax. It is built once at start-up by
// asking the runtime (append rounds a fresh slice up to its size class), one
// probe per class, so it is exact for the running Go version.
var classUp [smallMax/8 + 1]uint32

func init() {
	s := 1
	for s <= smallMax {
		c := cap(append([]byte(nil), make([]byte, s)...))
		for t := s; t <= c && t <= smallMax; t++ {
			classUp[(t+7)/8] = uint32(c)
		}
		s = c + 1
	}
}

// RoundUp returns the bytes the Go heap spends on a block of size bytes.
func RoundUp(size int) int {
	if size <= smallMax {
		return int(classUp[(size+7)/8])
	}
	return (size + pageSize - 1) &^ (pageSize - 1)
}

// Heap is the goheap backend.
type Heap struct {
	blocks []unsafe.Pointer // blocks[ref-1]; nil when free
	free   []uint32         // free handle indexes, LIFO
	stats  mem.Stats
}

var _ mem.Allocator = (*Heap)(nil)

// New returns an empty Go-heap allocator.
func New() mem.Allocator { return &Heap{} }

// Name implements mem.Allocator.
func (h *Heap) Name() string { return "goheap" }

// Alloc implements mem.Allocator. Blocks of 8 bytes or more are 8-byte
// aligned (every Go size class from 8 up is a multiple of 8).
func (h *Heap) Alloc(p mem.Purpose, size int) mem.Ref {
	if size <= 0 {
		panic("goheap: Alloc of non-positive size")
	}
	// At least 8 bytes, so the block comes from a size class of its own and
	// is 8-byte aligned (the tiny allocator packs smaller noscan objects).
	b := make([]byte, max(size, 8))
	bp := unsafe.Pointer(unsafe.SliceData(b))
	var i uint32
	if n := len(h.free); n > 0 {
		i = h.free[n-1]
		h.free = h.free[:n-1]
		h.blocks[i] = bp
	} else {
		i = uint32(len(h.blocks))
		h.blocks = append(h.blocks, bp)
	}
	h.stats.Add(p, size, RoundUp(size))
	return mem.Ref(i) + 1
}

// Free implements mem.Allocator.
func (h *Heap) Free(p mem.Purpose, r mem.Ref, size int) {
	i := uint32(r - 1)
	if r == 0 || int(i) >= len(h.blocks) || h.blocks[i] == nil {
		panic("goheap: Free of a block that is not live")
	}
	h.blocks[i] = nil
	h.free = append(h.free, i)
	h.stats.Sub(p, size, RoundUp(size))
}

// Bytes implements mem.Allocator. The slice's capacity is size.
func (h *Heap) Bytes(r mem.Ref, size int) []byte {
	return unsafe.Slice((*byte)(h.blocks[r-1]), size)
}

// Stats implements mem.Allocator. Mapped is 0: the Go heap's spans are not
// attributed to this allocator.
func (h *Heap) Stats() mem.Stats { return h.stats }

// Repurpose implements mem.Repurposer.
func (h *Heap) Repurpose(r mem.Ref, size int, from, to mem.Purpose) {
	h.stats.Move(from, to, size, RoundUp(size))
}

// BlockSize implements mem.Sizer: the Go heap's size class of the block.
func (h *Heap) BlockSize(r mem.Ref, size int) int { return RoundUp(size) }

// Trim returns free heap memory to the OS (a forced GC and scavenge): the
// blocks a FLUSHALL dropped are garbage until the next GC otherwise.
func (h *Heap) Trim() { debug.FreeOSMemory() }
