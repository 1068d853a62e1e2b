//go:build arenadebug

package arena

import (
	"fmt"
	"unsafe"

	"rundb/engine/mem"
)

// debug enables poisoning and the allocated-block bitmaps.
const debug = true

const poisonByte = 0xDB

// poison fills a freed block with poisonByte (the free-list link is written
// over its first two bytes afterwards).
func (a *Arena) poison(p unsafe.Pointer, size uint32) {
	b := unsafe.Slice((*byte)(p), size)
	for i := range b {
		b[i] = poisonByte
	}
}

// checkPoison panics if a block taken from a free list was written after
// its free.
func (a *Arena) checkPoison(p unsafe.Pointer, size uint32) {
	b := unsafe.Slice((*byte)(p), size)
	for i := 2; i < len(b); i++ {
		if b[i] != poisonByte {
			panic(fmt.Sprintf("arena: block %#x written after free (byte %d is %#x)",
				uintptr(p)-uintptr(a.base), i, b[i]))
		}
	}
}

func (a *Arena) markAlloc(s int32, idx uint32) {
	w := &a.dbits[s][idx/64]
	if *w&(1<<(idx%64)) != 0 {
		panic(fmt.Sprintf("arena: block %d of slab %d handed out twice", idx, s))
	}
	*w |= 1 << (idx % 64)
}

func (a *Arena) markFree(s int32, idx uint32) {
	a.dbits[s][idx/64] &^= 1 << (idx % 64)
}

// checkFree panics unless r is a live block of size's class.
func (a *Arena) checkFree(r mem.Ref, size int) {
	s := int64(r >> unitShift)
	if r == 0 || size <= 0 || s >= int64(a.top) {
		panic(fmt.Sprintf("arena: Free(%#x, %d) of a Ref that names no block", uint64(r), size))
	}
	m := &a.meta[s]
	if size > MaxSmall {
		if m.kind != kindSpan || r&unitMask != 0 {
			panic(fmt.Sprintf("arena: Free(%#x, %d): no live large block there (double free?)", uint64(r), size))
		}
		if m.size != uint64(size) {
			panic(fmt.Sprintf("arena: Free(%#x, %d): the block was allocated with size %d", uint64(r), size, m.size))
		}
		return
	}
	if m.kind != kindSlab {
		panic(fmt.Sprintf("arena: Free(%#x, %d): unit %d holds no slab (double free?)", uint64(r), size, s))
	}
	c := a.classes[m.class]
	if m.class != sizeClass[size] {
		panic(fmt.Sprintf("arena: Free(%#x, %d): wrong size class: the block is in class %d B, size %d is in class %d B",
			uint64(r), size, c.size, size, classes[sizeClass[size]].size))
	}
	off := uint32(r & unitMask)
	if off%c.size != 0 || off/c.size >= uint32(c.nblocks) {
		panic(fmt.Sprintf("arena: Free(%#x, %d): not the start of a block", uint64(r), size))
	}
	idx := off / c.size
	if a.dbits[s][idx/64]&(1<<(idx%64)) == 0 {
		panic(fmt.Sprintf("arena: double free of %#x (size %d)", uint64(r), size))
	}
}
