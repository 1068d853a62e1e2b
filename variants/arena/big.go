package arena

import (
	"math/bits"
	"unsafe"

	"rundb/engine/mem"
)

// Big classes: blocks of 2 KiB to 16 KiB, at most 32 to a slab (see the
// package doc, "Big classes"). Their free blocks are a bitmap in the slab's
// metadata rather than a list threaded through the blocks, so a free block's
// bytes are never needed again and the pages wholly under free blocks can
// be given back to the OS; a slab's freed pages are tracked so that Mapped
// stays exact.
//
// Example: class 3120 (21 blocks). Blocks 1 and 2 cover bytes 3120..9359,
// pages 0..2 (page 0 holds block 0's tail too, page 2 block 3's head): with
// blocks 1 and 2 free and blocks 0 and 3 live, no page is wholly free. Once
// block 3 is freed too, page 2 (8192..12287, inside blocks 2 and 3) is,
// and the next purge gives it back.

// freeBits is slab m's free-block bitmap; bit i is block i.
func freeBits(m *unitMeta) uint32 { return uint32(m.size) }

// purgedPages is slab m's pages given back to the OS and not used since.
func purgedPages(m *unitMeta) uint16 { return uint16(m.n) }

// blockPages is the bitmap of the slab's pages that block idx of c touches.
func blockPages(c *class, idx uint32) uint16 {
	first := idx * c.size / pageSize
	last := (idx*c.size + c.size - 1) / pageSize
	return uint16((uint32(1)<<(last+1) - 1) &^ (uint32(1)<<first - 1))
}

// allocBig hands out a block of big class c from slab s (the head of its
// class's list).
func (a *Arena) allocBig(p mem.Purpose, size int, c *class, s int32, m *unitMeta) mem.Ref {
	var idx uint32
	reused := false
	if f := freeBits(m); f != 0 {
		idx = uint32(bits.TrailingZeros32(f))
		m.size &^= 1 << idx
		reused = true
	} else {
		idx = uint32(m.bump)
		m.bump++
	}
	pg := purgedPages(m) & blockPages(c, idx)
	if debug && reused && pg == 0 {
		a.checkPoison(unsafe.Add(a.base, uintptr(s)<<unitShift+uintptr(idx*c.size)), c.size)
	}
	if pg != 0 {
		// The block's pages come back (at its first write).
		m.n &^= uint32(pg)
		a.stats.Mapped += uint64(bits.OnesCount16(pg)) * pageSize
	}
	m.live++
	if freeBits(m) == 0 && m.bump == c.nblocks {
		a.unlinkSlab(c, s, m)
	}
	if debug {
		a.markAlloc(s, idx)
	}
	a.stats.Add(p, size, int(c.size))
	return mem.Ref(uint64(s)<<unitShift | uint64(idx*c.size))
}

// freeBig returns block idx of big class c to slab s, and purges once
// purgeAfter bytes of big blocks have been freed.
func (a *Arena) freeBig(p mem.Purpose, size int, c *class, s int32, m *unitMeta, idx uint32) {
	if debug {
		a.poison(unsafe.Add(a.base, uintptr(s)<<unitShift+uintptr(idx*c.size)), c.size)
		a.markFree(s, idx)
	}
	m.size |= 1 << idx
	if !m.inPL {
		a.linkSlab(c, s, m)
	}
	if m.n&dirtyFlag == 0 {
		m.n |= dirtyFlag
		a.dirty = append(a.dirty, s)
	}
	a.dirtyBytes += int(c.size)
	m.live--
	a.stats.Sub(p, size, int(c.size))
	if m.live == 0 {
		a.slabEmptied(s)
	}
	if a.dirtyBytes >= purgeAfter {
		a.purge()
	}
}

// purge gives back, in every big-class slab that had a block freed since
// the last purge, the pages that no live block touches (among those its
// blocks have ever touched), one madvise per run of such pages.
func (a *Arena) purge() {
	for _, s := range a.dirty {
		m := &a.meta[s]
		// A slab released and made again since it was listed is either
		// not a slab now or not flagged (or flagged and listed again).
		if m.kind != kindSlab || m.n&dirtyFlag == 0 {
			continue
		}
		m.n &^= dirtyFlag
		c := &a.classes[m.class]
		free := freeBits(m)
		var busy, touched uint16
		for i := uint32(0); i < uint32(m.bump); i++ {
			pg := blockPages(c, i)
			touched |= pg
			if free&(1<<i) == 0 {
				busy |= pg
			}
		}
		give := touched &^ busy &^ purgedPages(m)
		if give == 0 {
			continue
		}
		m.n |= uint32(give)
		a.stats.Mapped -= uint64(bits.OnesCount16(give)) * pageSize
		base := uintptr(s) << unitShift
		for give != 0 {
			lo := bits.TrailingZeros16(give)
			n := bits.TrailingZeros16(^(give >> lo))
			a.dontNeed(base+uintptr(lo)*pageSize, base+uintptr(lo+n)*pageSize)
			give &^= uint16((uint32(1)<<n - 1) << lo)
		}
	}
	a.dirty = a.dirty[:0]
	a.dirtyBytes = 0
}
