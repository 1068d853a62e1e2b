package ds

// This file is the dash keyspace layout: a segmented, extendible-hash table
// in the style of Dragonfly's dash table. A directory maps the low bits of a
// key's hash to a segment; a segment is a small fixed block of buckets; a
// full segment grows in place (a few size steps) or splits in two on its own,
// so there is no global rehash, an insert rebuilds at most one segment (two
// only if the half it lands in after a split has no room for it either, a
// bucket-collision case), and the load stays high at every size.
//
// # Glossary
//
//   - bucket: an 8-byte control word (one control byte per slot, as in
//     table.go: 0x80 empty, 0xFE tombstone, 0hhhhhhh full with hhhhhhh =
//     H2) then 8 slots of rb-byte packed Refs, rb the fewest bytes that
//     hold every Ref of the allocator (mem.RefBytes): 5 on the arena (a
//     48-byte bucket, 6 bytes a slot), 6 on the C allocators (56 bytes),
//     7 otherwise (64 bytes, one cache line).
//   - H1, H2: as table.go: H2 = hash & 0x7F (the tag), H1 = hash >> 7.
//   - segment: one allocator block of a 64-byte header, nb normal buckets
//     and ns stash buckets (a shape, see fitShapes); every key of a segment
//     has the same low `depth` bits of H1 (the segment's pattern).
//   - home: a key's normal bucket, (hash>>32)*nb >> 32; a key lives in its
//     home, else in the next bucket (home+1 mod nb, its neighbour), else in
//     any stash bucket.
//   - directory: one allocator block of 2^D 8-byte entries (D, the global
//     depth); entry e names the segment whose pattern is the low bits of
//     e, so a segment of depth d sits in 2^(D-d) entries. An entry is the
//     segment block's address with its nb in the top byte, so a lookup
//     goes from the directory straight to the home bucket; the segment's
//     descriptor index is in its header.
//
// # Segment
//
//	bucket: [header][  1   ]  ...  [  nb  ][ nb+1  ] .. [ nb+ns  ]
//	        64 B    normal buckets          stash buckets
//
//	header words: 0 count of keys, 1..6 stash bits, 7 the segment's
//	descriptor index
//	stash bit i (bit i%64 of word 1+i/64): some key whose home is i was
//	put in a stash bucket
//
//	a bucket with 5-byte Refs (48 bytes), slots 0 and 2 full, 1 a
//	tombstone (byte offsets from the bucket's start):
//	0      1      2      3..7        8..12     13..17    18..22   ...
//	[2a]   [fe]   [11]   [80 x5]     [ref 0]   [ref 1]   [ref 2]  ...
//	ctrl 0 ctrl 1 ctrl 2 empty       slot 0    (stale)   slot 2
//
// A slot's Ref is read as the 8 bytes ending with it, shifted down by the
// 8-rb bytes before it (ref 0: bytes 5..12 >> 24), so a read never leaves
// its bucket.
//
// A key goes to its home bucket if it has a free slot (empty or tombstone),
// else to its neighbour, else to a slot freed by moving one of their keys
// to its own other bucket (a key in its home to its neighbour, a key in its
// neighbour back to its home), else to a stash bucket (setting its home's
// stash bit). A delete leaves an empty slot only in a bucket that has one already,
// and a tombstone otherwise, so a bucket with an empty slot has not been full
// since its segment was built and no key of its home went past it. A lookup
// reads the home bucket and stops there if the key is in it or the bucket has
// an empty slot; then the neighbour, with the same rule; then, only if the
// header's stash bit for the home is set, the stash. The stash bits and the
// tombstones go when the segment is rebuilt. A hit in the home bucket reads
// one bucket (one or two cache lines), as a miss in a bucket that has not
// filled.
//
// # Growing
//
// When a key fits neither its home, its neighbour nor the stash, the
// segment is rebuilt: into the next larger shape if it has not the largest
// (a 4 KiB block), else split in two of depth+1, keys whose H1 bit `depth`
// is 1 going to the new buddy; the directory doubles (a copy of 2^D
// entries) only when the depth passes D. Each rebuild hashes the keys of
// one segment (at most 672), so the worst single insert is bounded whatever
// the table's size. The shapes (2, 4, 8, 16 buckets for a young table's
// only segment, then one per size class of the allocator from 2 to 4 KiB,
// at least a ninth apart: on the arena 41, 47, 53, 58, 70, 78 and 84
// buckets of 48 bytes) use their blocks whole, and a rebuild picks the
// smallest shape left at most 4/5 full, so a segment's load cycles between
// about 4/5 and 93% (the displacement's and the stash's reach) rather than
// 1/2 and 1.
//
// Example: D = 1, segments S0 (depth 1, pattern 0) and S1 (depth 1,
// pattern 1), directory [0] -> S0, [1] -> S1. A key with H1 = ...0110 goes
// to entry 0, S0. S0 fills and has the largest shape: it splits into S0'
// (pattern 00) and S2 (pattern 10), depth 2 > D, so the directory doubles to
// [00] -> S0', [01] -> S1, [10] -> S2, [11] -> S1, and the key moves to S2.
//
// # SCAN and scan positions
//
// A cursor names a directory entry and 2 more bits of H1 (dashScanBits):
// one Scan call emits the keys of that entry's segment (depth d) whose low
// d+2 bits of H1 are the cursor's, and returns the cursor incremented in
// reverse binary under the mask of those d+2 bits, which skips the other
// entries of the same segment. A call so returns about a quarter of a
// segment (up to some 120 keys) and hashes every key of the segment, four
// hashes per key returned; one step per segment would hash none but return
// up to 504 keys at once, too coarse for SCAN's COUNT. As in table.go,
// ScanPos(key) = reverse(H1) and CursorPos(c) = reverse(c): a step covers
// the range of positions that starts at reverse(c) and is 2^(64-d-2) long,
// Scan goes through these ranges in increasing order, and a split cuts a
// segment's range in two halves that keep its place. So, while no segment
// merges, the keys visited after Scan returned c
// are exactly those with ScanPos < CursorPos(c).
//
// # Shrinking
//
// A delete that leaves a segment under 1/4 full merges it with its buddy
// (the other half of the segment it was split from) when the buddy has not
// split further and the two hold at most half of the largest shape; the
// merged segment has depth-1 and takes every directory entry of both. The
// last key's delete gives every block back. The directory never halves (at
// 8 bytes per segment-sized share of the hash space it is a small part of
// the table). A merge can make a running Scan return keys again (the cursor
// lands inside the merged segment's range, which it visits whole), never
// miss one; ScanPos exactness needs SetNoShrink, which stops merges.
//
// Segment descriptors (the block's Ref, a view of its words, its shape and
// depth: 40 bytes per segment of up to 504 slots, under 0.1 byte per key) are
// a Go slice; the segments and the directory are allocator blocks.

import (
	"bytes"
	"encoding/binary"
	"math/bits"
	"unsafe"

	"rundb/engine/mem"
)

const (
	dashHdrBytes = 64 // bytes of a segment's header

	dashHdrCount = 0 // header word: keys in the segment
	dashHdrStash = 1 // header word: stash bits
	dashHdrSeg   = 7 // header word: the segment's descriptor index

	// A directory entry is the segment block's address (dashDirBase) with
	// its count of normal buckets in the top byte (dashDirNb), all that a
	// lookup's home bucket needs. User-space addresses fit in 56 bits.
	dashDirNb   = 56
	dashDirBase = 1<<dashDirNb - 1

	// dashSplitLoad is the most a half may fill its shape after a split or
	// growth, in fifths (dashLoadDen): 4/5. Segments fill to about 93%
	// before an insert finds no room (displacement helps); with shapes
	// 10-15% apart, the table's load stays at 83-90% at every size (7.0
	// to 7.6 table bytes per key on the arena from 100k to 10M keys) for
	// about 5.6 key moves per key inserted. At 9/10 the load is 2 points
	// higher for 8 moves per key; the populate time is worth more.
	dashSplitLoad = 4
	dashLoadDen   = 5

	// dashScanBits is how many H1 bits past a segment's depth one Scan
	// step narrows to: 2, a quarter of a segment per step.
	dashScanBits = 2
)

// dashShape is a segment's bucket counts: nb normal and ns stash buckets
// (with the header, dashHdrBytes + (nb+ns) buckets of the table's width).
type dashShape struct{ nb, ns uint8 }

func (s dashShape) slots() int { return (int(s.nb) + int(s.ns)) * groupSlots }

// dashYoung are the shapes of a young table's only segment (2, 4, 8 and 16
// buckets), smallest first; the large shapes follow them in a table's
// shape list (see fitShapes).
var dashYoung = [...]dashShape{{1, 1}, {3, 1}, {7, 1}, {15, 1}}

// dashMinBytes and dashMaxBytes bound the large shapes' blocks: 2 to 4
// KiB, so a rebuild moves at most some 600 keys.
const (
	dashMinBytes = 2048
	dashMaxBytes = 4096
)

// largeShape is the shape of a segment of b buckets: a stash bucket per 16
// buckets or so (2 of 31, 4 of 63, 5 of 84), the rest normal buckets.
func largeShape(b int) dashShape {
	ns := (b + 9) / 16
	return dashShape{uint8(b - ns), uint8(ns)}
}

// segSize is the block size of a segment of shape sh.
func (d *Dash) segSize(sh dashShape) int {
	return dashHdrBytes + (int(sh.nb)+int(sh.ns))*d.bw*8
}

// fitShapes lists the table's shapes: the young ones, then one large shape
// per block size the allocator hands out between 2 and 4 KiB, each taking
// every whole bucket of its block, with steps of at least a ninth (a finer
// step would rebuild segments more often for little gain in load). A
// request gets a block of some size class; the shape uses all of it, and
// the next shape starts above it. On the arena with 5-byte Refs (48-byte
// buckets; classes 2048, 2336, 2616, 2848, 3120, 3448, 3640, 3848, 4096)
// that is 41, 47, 53, 58, 70, 78 and 84 buckets; where the classes are
// coarser the steps are too, and no shape pays for bytes its block has and
// it does not use. It probes the allocator with one block per shape, freed
// at once.
func (d *Dash) fitShapes() []dashShape {
	shapes := append([]dashShape(nil), dashYoung[:]...)
	bb := d.bw * 8
	most := (dashMaxBytes - dashHdrBytes) / bb
	for b := (dashMinBytes - dashHdrBytes) / bb; b <= most; {
		size := dashHdrBytes + b*bb
		r := d.a.Alloc(d.p, size)
		fit := min(most, max(b, (mem.BlockSize(d.a, r, size)-dashHdrBytes)/bb))
		d.a.Free(d.p, r, size)
		shapes = append(shapes, largeShape(fit))
		if b = fit + max(1, fit/9); b > most && fit < most {
			b = most // the largest shape fills dashMaxBytes
		}
	}
	return shapes
}

// dashSeg describes one segment: base is its block's first word (nil for
// an unused descriptor). 24 bytes; the block's Ref is kept apart
// (Dash.refs). A lookup does not read it: the directory entry has what the
// home bucket needs, and the stash path reads ns here.
type dashSeg struct {
	base  unsafe.Pointer
	nb    uint32
	ns    uint32
	nw    uint32 // words of the block
	shape uint8  // index in the table's shapes
	depth uint8
}

// words views the segment's block: the header, then nb+ns buckets.
func (s *dashSeg) words() []uint64 {
	if s.base == nil {
		return nil
	}
	return unsafe.Slice((*uint64)(s.base), s.nw)
}

// dashPair is a key's Ref with its hash, kept while a segment is rebuilt.
type dashPair struct {
	r mem.Ref
	h uint64
}

// Dash maps keys to Refs with the dash layout (see the top of this file).
// It is not safe for concurrent use.
type Dash struct {
	a     mem.Allocator
	p     mem.Purpose
	keyOf KeyFunc

	dirRef   mem.Ref
	dir      []uint64 // 2^depth entries (dirWord); nil when empty
	depth    uint8    // global depth D
	segs     []dashSeg
	refs     []mem.Ref // refs[si] is the block of segs[si]
	free     []uint32  // indexes of unused descriptors
	n        int       // keys
	segBytes int       // bytes of all segments

	shapes   []dashShape // young shapes, then the large ones (fitShapes)
	maxSlots int         // slots of the largest shape
	rb       int         // bytes of a stored Ref (mem.RefBytes), 3..7
	back     int         // 8-rb
	bw       int         // words of a bucket: 1+rb
	c0       int         // c(l) = c0 + l*bw
	noShrink bool
	scratch  []dashPair
	// growInPlace (on by NewDash) rebuilds a full segment into the next
	// larger shape before splitting it, which keeps the load within about
	// 2/3..9/10 at the price of more keys moved per insert; off, every
	// segment but a young table's only one has the largest shape and only
	// splits (load 1/2..9/10). The benchmarks compare both.
	growInPlace bool
	moved       int // keys moved by rebuilds, for the benchmarks
}

var _ KeyTable = (*Dash)(nil)

// NewDash returns an empty dash table whose blocks come from a under
// purpose p; keyOf gives the key of a stored Ref.
func NewDash(a mem.Allocator, p mem.Purpose, keyOf KeyFunc) *Dash {
	rb := max(3, mem.RefBytes(a))
	bw := 1 + rb
	return &Dash{a: a, p: p, keyOf: keyOf, growInPlace: true,
		rb: rb, back: 8 - rb, bw: bw, c0: dashHdrBytes/8 - bw}
}

// Len is the number of keys.
func (d *Dash) Len() int { return d.n }

// Bucket helpers. Bucket l (1 for the first normal bucket, as line 0 is
// the header) starts at word c(l): its control word, then its 8 slots of
// rb bytes each. Slot i is read as in table.go: the 8 bytes that end with
// the slot, shifted down past the 8-rb bytes before it (the end of the
// control word or of the previous slot), so a read never leaves the bucket.

// c is the index of bucket l's control word.
func (d *Dash) c(l int) int { return d.c0 + l*d.bw }

func (d *Dash) ref(w []uint64, l int, i int) mem.Ref {
	p := unsafe.Add(unsafe.Pointer(&w[d.c(l)]), 8-d.back+d.rb*i)
	return mem.Ref(binary.LittleEndian.Uint64((*[8]byte)(p)[:]) >> (8 * d.back))
}

func (d *Dash) setRef(w []uint64, l int, i int, r mem.Ref) {
	if r>>(8*d.rb) != 0 {
		panic("ds: Ref does not fit in the dash table's Ref width")
	}
	b := (*[8]byte)(unsafe.Add(unsafe.Pointer(&w[d.c(l)]), 8-d.back+d.rb*i))[:]
	keep := uint64(1)<<(8*d.back) - 1
	binary.LittleEndian.PutUint64(b, binary.LittleEndian.Uint64(b)&keep|uint64(r)<<(8*d.back))
}

func (d *Dash) setCtrl(w []uint64, l int, i int, c uint8) {
	p := &w[d.c(l)]
	*p = *p&^(0xFF<<(8*i)) | uint64(c)<<(8*i)
}

// stashed reports whether home's stash bit is set; setStashed sets it.
func stashed(w []uint64, home uint32) bool {
	return w[dashHdrStash+int(home>>6)]>>(home&63)&1 != 0
}

func setStashed(w []uint64, home uint32) { w[dashHdrStash+int(home>>6)] |= 1 << (home & 63) }

// home is the normal bucket index of hash h in a segment of nb buckets.
func dashHome(h uint64, nb uint32) uint32 { return uint32((h >> 32) * uint64(nb) >> 32) }

// seg is the descriptor of the segment holding hash h.
func (d *Dash) seg(h uint64) (uint32, *dashSeg) {
	si := d.segAt(h >> 7)
	return si, &d.segs[si]
}

// segAt is the descriptor index of the segment of directory entry e mod
// 2^D, read from the segment's header.
func (d *Dash) segAt(e uint64) uint32 {
	base, _ := dirEnt(d.dir[e&(uint64(len(d.dir))-1)])
	return uint32(*(*uint64)(unsafe.Add(base, 8*dashHdrSeg)))
}

// dirWord is the directory entry of segment si: its block's address and
// its nb in the top byte.
func (d *Dash) dirWord(si uint32) uint64 {
	s := &d.segs[si]
	return uint64(uintptr(s.base)) | uint64(s.nb)<<dashDirNb
}

// dirEnt splits a directory entry into the segment's block and its nb.
func dirEnt(e uint64) (unsafe.Pointer, uint32) {
	a := e & dashDirBase
	return *(*unsafe.Pointer)(unsafe.Pointer(&a)), uint32(e >> dashDirNb)
}

// ctrlAt is the control word of bucket line l of the segment at base.
func (d *Dash) ctrlAt(base unsafe.Pointer, l int) uint64 {
	return *(*uint64)(unsafe.Add(base, 8*d.c(l)))
}

// refAt is slot i of bucket line l of the segment at base (see ref).
func (d *Dash) refAt(base unsafe.Pointer, l int, i int) mem.Ref {
	p := unsafe.Add(base, 8*d.c(l)+8-d.back+d.rb*i)
	return mem.Ref(binary.LittleEndian.Uint64((*[8]byte)(p)[:]) >> (8 * d.back))
}

// findIn looks key up in bucket line l, whose control word is c, of the
// segment at base.
func (d *Dash) findIn(base unsafe.Pointer, l int, c uint64, key []byte, h2 uint8) (int, bool) {
	for m := matchH2(c, h2); m != 0; m = m.dropFirst() {
		i := m.first()
		if bytes.Equal(d.keyOf(d.refAt(base, l, i)), key) {
			return i, true
		}
	}
	return 0, false
}

// entry is the block and nb of the segment holding hash h.
func (d *Dash) entry(h uint64) (unsafe.Pointer, uint32) {
	return dirEnt(d.dir[(h>>7)&(uint64(len(d.dir))-1)])
}

// find returns key's line and slot in the segment at base, which has nb
// normal buckets. A bucket with an empty slot has never been full since the
// segment was built (see Delete), so no key of its home went past it: the
// home bucket answers alone when it has an empty slot, home and neighbour
// when the neighbour has one.
func (d *Dash) find(base unsafe.Pointer, nb uint32, key []byte, h uint64) (l, i int, ok bool) {
	h2 := uint8(h & 0x7F)
	home := dashHome(h, nb)
	l = 1 + int(home)
	ch := d.ctrlAt(base, l)
	if i, ok = d.findIn(base, l, ch, key, h2); ok || matchEmpty(ch) != 0 {
		return l, i, ok
	}
	ln := l + 1
	if home+1 == nb {
		ln = 1
	}
	cn := d.ctrlAt(base, ln)
	if i, ok = d.findIn(base, ln, cn, key, h2); ok || matchEmpty(cn) != 0 {
		return ln, i, ok
	}
	w := unsafe.Slice((*uint64)(base), dashHdrBytes/8)
	if stashed(w, home) {
		ns := int(d.segs[w[dashHdrSeg]].ns)
		for j := 0; j < ns; j++ {
			l = 1 + int(nb) + j
			if i, ok = d.findIn(base, l, d.ctrlAt(base, l), key, h2); ok {
				return l, i, true
			}
		}
	}
	return 0, 0, false
}

// insert puts r (hash h, key absent) in s, or reports that s has no room:
// into its home bucket, else its neighbour, else into a slot that a
// displacement frees in one of them (see displace), else into a stash
// bucket.
func (d *Dash) insert(s *dashSeg, h uint64, r mem.Ref) bool {
	w := s.words()
	home := dashHome(h, s.nb)
	l := 1 + int(home)
	i := -1
	if m := matchFree(w[d.c(l)]); m != 0 {
		i = m.first()
	} else if ln := d.next(s, l); matchFree(w[d.c(ln)]) != 0 {
		l, i = ln, matchFree(w[d.c(ln)]).first()
	} else if i = d.displace(s, l); i < 0 {
		if i = d.displace(s, ln); i >= 0 {
			l = ln
		}
	}
	if i < 0 {
		l = 0
		for j := uint32(0); j < s.ns; j++ {
			sl := 1 + int(s.nb+(home+j)%s.ns)
			if matchFree(w[d.c(sl)]) != 0 {
				l = sl
				break
			}
		}
		if l == 0 {
			return false
		}
		setStashed(w, home)
		i = matchFree(w[d.c(l)]).first()
	}
	// A tombstone reused or an empty slot filled, the bucket's "has an
	// empty slot" can only turn false, as the lookup rule needs.
	d.setCtrl(w, l, i, uint8(h&0x7F))
	d.setRef(w, l, i, r)
	w[dashHdrCount]++
	return true
}

// next is the line of the bucket after line l's, wrapping.
func (d *Dash) next(s *dashSeg, l int) int {
	if l == int(s.nb) {
		return 1
	}
	return l + 1
}

// prev is the line of the bucket before line l's, wrapping.
func (d *Dash) prev(s *dashSeg, l int) int {
	if l == 1 {
		return int(s.nb)
	}
	return l - 1
}

// displace makes room in the full normal bucket at line l by moving one of
// its keys to the other bucket that key may live in: a key in its home
// moves on to its neighbour (line l+1), a key there as a neighbour moves
// back to its home (line l-1), if that bucket has a free slot. It returns
// the freed slot, which the caller fills at once (so the bucket stays
// full and the lookup rule holds: the moved key is found in its home, or
// past its full home in its neighbour), or -1. It hashes the bucket's keys,
// so it runs only when both of a new key's buckets are full.
func (d *Dash) displace(s *dashSeg, l int) int {
	w := s.words()
	ln, lp := d.next(s, l), d.prev(s, l)
	fn, fp := matchFree(w[d.c(ln)]), matchFree(w[d.c(lp)])
	if fn == 0 && fp == 0 {
		return -1
	}
	for m := matchFull(w[d.c(l)]); m != 0; m = m.dropFirst() {
		i := m.first()
		r := d.ref(w, l, i)
		kh := hashKey(d.keyOf(r))
		to, f := ln, fn
		if 1+int(dashHome(kh, s.nb)) != l {
			to, f = lp, fp
		}
		if f == 0 {
			continue
		}
		j := f.first()
		d.setCtrl(w, to, j, uint8(kh&0x7F))
		d.setRef(w, to, j, r)
		return i
	}
	return -1
}

// Get returns the Ref stored for key, or 0. The home bucket is searched
// here, with the fewest steps (most hits end there: 84% at 1M keys on the
// arena); find does the rest.
func (d *Dash) Get(key []byte) mem.Ref {
	if d.n == 0 {
		return 0
	}
	h := hashKey(key)
	base, nb := d.entry(h)
	// The home bucket's control word: 8*c(1+home) bytes into the block.
	cp := unsafe.Add(base, dashHdrBytes+int(dashHome(h, nb))*d.bw*8)
	// A 48-byte bucket straddles two cache lines half the time, and a
	// sixth of hits are in the neighbour: ask for the bucket's last word
	// and the neighbour's (past the segment for the last bucket, which is
	// harmless) while the control word's line is on its way, so the misses
	// overlap rather than follow one another.
	prefetch(uintptr(cp) + uintptr(d.bw*8-8))
	prefetch(uintptr(cp) + uintptr(2*d.bw*8-8))
	c := *(*uint64)(cp)
	for m := matchH2(c, uint8(h&0x7F)); m != 0; m = m.dropFirst() {
		// Slot i ends rb*(i+2) bytes past the control word; its 8-byte
		// read starts rb*(i+1) past it (see ref).
		p := (*[8]byte)(unsafe.Add(cp, d.rb*(m.first()+1)))
		r := mem.Ref(binary.LittleEndian.Uint64(p[:]) >> (8 * d.back & 63))
		if bytes.Equal(d.keyOf(r), key) {
			return r
		}
	}
	if matchEmpty(c) != 0 {
		return 0
	}
	if l, i, ok := d.find(base, nb, key, h); ok {
		return d.refAt(base, l, i)
	}
	return 0
}

// Put stores r for key and returns the Ref it replaced, or 0.
func (d *Dash) Put(key []byte, r mem.Ref) mem.Ref {
	h := hashKey(key)
	if d.dir == nil {
		d.start()
	} else {
		base, nb := d.entry(h)
		if l, i, ok := d.find(base, nb, key, h); ok {
			w := d.segs[d.segAt(h>>7)].words()
			prev := d.ref(w, l, i)
			d.setRef(w, l, i, r)
			return prev
		}
	}
	for {
		si, s := d.seg(h)
		if d.insert(s, h, r) {
			d.n++
			return 0
		}
		d.rebuild(si, h)
	}
}

// Delete removes key and returns its Ref, or 0.
func (d *Dash) Delete(key []byte) mem.Ref {
	if d.n == 0 {
		return 0
	}
	h := hashKey(key)
	base, nb := d.entry(h)
	l, i, ok := d.find(base, nb, key, h)
	if !ok {
		return 0
	}
	si, s := d.seg(h)
	prev := d.ref(s.words(), l, i)
	// A bucket that has been full keeps no empty slot until its segment is
	// rebuilt (a tombstone instead), so lookups still pass it to reach the
	// keys that overflowed it.
	if matchEmpty(s.words()[d.c(l)]) != 0 {
		d.setCtrl(s.words(), l, i, ctrlEmpty)
	} else {
		d.setCtrl(s.words(), l, i, ctrlDeleted)
	}
	s.words()[dashHdrCount]--
	d.n--
	if !d.noShrink {
		if d.n == 0 {
			d.Clear(nil)
		} else if int(s.words()[dashHdrCount])*4 < d.shapes[s.shape].slots() {
			d.shrink(si, h)
		}
	}
	return prev
}

// shrink is called when segment si (holding hash h) is under 1/4 full. A
// table's only segment is rebuilt into a smaller shape; another merges with
// its buddy (the segment its split made, same depth, pattern differing in
// the top bit) when the buddy has not split further and the two hold at most
// half of the largest shape, so a merged segment grows back to a split only
// after the keys nearly double. The directory keeps its size.
func (d *Dash) shrink(si uint32, h uint64) {
	s := d.segs[si]
	n := int(s.words()[dashHdrCount])
	if s.depth == 0 {
		if k := d.shapeFor(n, 0); k < s.shape {
			ns := d.fill(d.collect(&s, d.scratch[:0]), k, 0)
			for e := range d.dir { // every entry: the directory keeps its size
				d.dir[e] = d.dirWord(ns)
			}
			d.freeSeg(si)
		}
		return
	}
	depth := s.depth - 1
	pattern := (h >> 7) & (1<<depth - 1) // the merged segment's pattern
	bi := d.segAt(pattern | (^(h >> 7) & (1 << depth)))
	b := d.segs[bi]
	if b.depth != s.depth || (n+int(b.words()[dashHdrCount]))*2 > d.shapes[len(d.shapes)-1].slots() {
		return
	}
	ps := d.collect(&b, d.collect(&s, d.scratch[:0]))
	from := uint8(len(d.shapes) - 1)
	if d.growInPlace {
		from = uint8(len(dashYoung))
	}
	if depth == 0 {
		from = 0
	}
	ns := d.fill(ps, d.shapeFor(len(ps), from), depth)
	for e, dw := pattern, d.dirWord(ns); e < uint64(len(d.dir)); e += 1 << depth {
		d.dir[e] = dw
	}
	d.freeSeg(si)
	d.freeSeg(bi)
}

// start makes the directory of one entry and its one smallest segment.
func (d *Dash) start() {
	if d.shapes == nil {
		d.shapes = d.fitShapes()
		d.maxSlots = d.shapes[len(d.shapes)-1].slots()
	}
	d.dirRef = d.a.Alloc(d.p, dirSize(1))
	d.dir = unsafe.Slice((*uint64)(unsafe.Pointer(unsafe.SliceData(d.a.Bytes(d.dirRef, dirSize(1))))), 1)
	d.depth = 0
	d.dir[0] = d.dirWord(d.newSeg(0, 0))
}

// newSeg allocates an empty segment of the given shape and depth and returns
// its descriptor index.
func (d *Dash) newSeg(shape, depth uint8) uint32 {
	sh := d.shapes[shape]
	size := d.segSize(sh)
	ref := d.a.Alloc(d.p, size)
	b := d.a.Bytes(ref, size)
	w := unsafe.Slice((*uint64)(unsafe.Pointer(unsafe.SliceData(b))), size/8)
	for k := range dashHdrBytes / 8 {
		w[k] = 0
	}
	s := dashSeg{base: unsafe.Pointer(&w[0]), shape: shape, depth: depth,
		nb: uint32(sh.nb), ns: uint32(sh.ns), nw: uint32(size / 8)}
	for l := 1; l <= int(s.nb+s.ns); l++ {
		w[d.c(l)] = ctrlWordE
	}
	if uint64(uintptr(s.base))>>dashDirNb != 0 {
		panic("ds: dash segment address does not fit a directory entry")
	}
	d.segBytes += size
	var si uint32
	if k := len(d.free); k > 0 {
		si = d.free[k-1]
		d.free = d.free[:k-1]
		d.segs[si], d.refs[si] = s, ref
	} else {
		si = uint32(len(d.segs))
		d.segs = append(d.segs, s)
		d.refs = append(d.refs, ref)
	}
	w[dashHdrSeg] = uint64(si)
	return si
}

func (d *Dash) freeSeg(si uint32) {
	s := &d.segs[si]
	size := len(s.words()) * 8
	d.a.Free(d.p, d.refs[si], size)
	d.segBytes -= size
	*s, d.refs[si] = dashSeg{}, 0
	d.free = append(d.free, si)
}

// collect appends every key of segment s with its hash to ps, which is
// d.scratch or a prefix of it.
func (d *Dash) collect(s *dashSeg, ps []dashPair) []dashPair {
	d.moved += int(s.words()[dashHdrCount])
	for l := 1; l <= int(s.nb+s.ns); l++ {
		for m := matchFull(s.words()[d.c(l)]); m != 0; m = m.dropFirst() {
			r := d.ref(s.words(), l, m.first())
			ps = append(ps, dashPair{r, hashKey(d.keyOf(r))})
		}
	}
	d.scratch = ps
	return ps
}

// shapeFor is the smallest shape, from `from` on, that n keys fill to at
// most dashSplitLoad/dashLoadDen; the largest if none.
func (d *Dash) shapeFor(n int, from uint8) uint8 {
	for k := from; int(k) < len(d.shapes); k++ {
		if n*dashLoadDen <= d.shapes[k].slots()*dashSplitLoad {
			return k
		}
	}
	return uint8(len(d.shapes) - 1)
}

// fill builds a segment of the given depth holding ps, from shape `shape`
// up until every key fits; it panics if not even the largest shape holds
// them (see tryFill).
func (d *Dash) fill(ps []dashPair, shape, depth uint8) uint32 {
	si, ok := d.tryFill(ps, shape, depth)
	if !ok {
		panic("ds: dash segment cannot hold half of a split segment")
	}
	return si
}

// tryFill is fill reporting failure instead: a segment nearly full in the
// shape before the largest may not fit the largest either, and then it
// splits instead of growing.
func (d *Dash) tryFill(ps []dashPair, shape, depth uint8) (uint32, bool) {
	for {
		si := d.newSeg(shape, depth)
		ok := true
		for _, p := range ps {
			if !d.insert(&d.segs[si], p.h, p.r) {
				ok = false
				break
			}
		}
		if ok {
			return si, true
		}
		d.freeSeg(si)
		if int(shape) == len(d.shapes)-1 {
			return 0, false
		}
		shape++
	}
}

// rebuild makes room in segment si, which holds hash h: it grows it into
// the next shape, or splits it in two when it has the largest shape.
func (d *Dash) rebuild(si uint32, h uint64) {
	s := d.segs[si]
	ps := d.collect(&s, d.scratch[:0])
	pattern := (h >> 7) & (1<<s.depth - 1)
	if int(s.shape) < len(d.shapes)-1 && (s.depth == 0 || d.growInPlace) {
		if ns, ok := d.tryFill(ps, max(s.shape+1, d.shapeFor(len(ps), 0)), s.depth); ok {
			for e, dw := pattern, d.dirWord(ns); e < uint64(len(d.dir)); e += 1 << s.depth {
				d.dir[e] = dw
			}
			d.freeSeg(si)
			return
		}
	}
	// Split: bit `depth` of H1 picks the half; partition ps in place.
	bit := uint64(1) << s.depth
	k := 0
	for i, p := range ps {
		if (p.h>>7)&bit == 0 {
			ps[i], ps[k] = ps[k], p
			k++
		}
	}
	lo, hi := ps[:k], ps[k:]
	depth := s.depth + 1
	if depth > d.depth {
		d.doubleDir()
	}
	from := uint8(len(d.shapes) - 1)
	if d.growInPlace {
		from = uint8(len(dashYoung)) // a split segment's halves take the large shapes
	}
	nlo := d.fill(lo, d.shapeFor(len(lo), from), depth)
	nhi := d.fill(hi, d.shapeFor(len(hi), from), depth)
	// The entries of si are pattern + k*2^depth; bit depth picks the half.
	dlo, dhi := d.dirWord(nlo), d.dirWord(nhi)
	for e := pattern; e < uint64(len(d.dir)); e += 1 << s.depth {
		if e&bit == 0 {
			d.dir[e] = dlo
		} else {
			d.dir[e] = dhi
		}
	}
	d.freeSeg(si)
}

// doubleDir doubles the directory: entry e and e+2^D name what e named.
func (d *Dash) doubleDir() {
	n := len(d.dir)
	ref := d.a.Alloc(d.p, dirSize(2*n))
	dir := unsafe.Slice((*uint64)(unsafe.Pointer(unsafe.SliceData(d.a.Bytes(ref, dirSize(2*n))))), 2*n)
	copy(dir, d.dir)
	copy(dir[n:], d.dir)
	d.a.Free(d.p, d.dirRef, dirSize(n))
	d.dirRef, d.dir = ref, dir
	d.depth++
}

// Scan emits the keys of one quarter of a segment's share of the hash
// space (see the top of this file) and returns the next cursor. 0 starts and
// a returned 0 ends.
func (d *Dash) Scan(cursor uint64, fn func(r mem.Ref)) uint64 {
	if d.n == 0 {
		return 0
	}
	s := &d.segs[d.segAt(cursor)]
	mask := uint64(1)<<(s.depth+dashScanBits) - 1
	want := cursor & mask
	w := s.words()
	for l := 1; l <= int(s.nb+s.ns); l++ {
		for m := matchFull(w[d.c(l)]); m != 0; m = m.dropFirst() {
			r := d.ref(w, l, m.first())
			if (hashKey(d.keyOf(r))>>7)&mask == want {
				fn(r)
			}
		}
	}
	return revIncr(cursor, mask)
}

// ScanPos is key's position in Scan order: H1 reversed, as the open table.
func (d *Dash) ScanPos(key []byte) uint64 { return bits.Reverse64(hashKey(key) >> 7) }

// CursorPos is a cursor's position: the cursor reversed.
func (d *Dash) CursorPos(cursor uint64) uint64 { return CursorPos(cursor) }

// SetNoShrink stops segment merges and keeps the table's storage when its
// last key is deleted, so a scan position below a cursor stays below it.
// Turning it off frees the storage of a table left empty; sparse segments
// merge on the next deletes that touch them.
func (d *Dash) SetNoShrink(on bool) {
	d.noShrink = on
	if !on && d.n == 0 {
		d.Clear(nil)
	}
}

// NoShrink reports whether SetNoShrink is on.
func (d *Dash) NoShrink() bool { return d.noShrink }

// RehashStep has nothing to do: segments are rebuilt whole, within the insert
// that needs it.
func (d *Dash) RehashStep(units int) bool { return false }

// Resizing is always false: no resize work is ever pending.
func (d *Dash) Resizing() bool { return false }

// Random returns a stored Ref chosen with rnd: a random directory entry (so
// a segment by its share of the hash space), a random bucket of its segment,
// the first non-empty bucket from there, a random full slot of it. Cheap and
// roughly uniform; 0 when empty.
func (d *Dash) Random(rnd uint64) mem.Ref {
	if d.n == 0 {
		return 0
	}
	x := mix64(rnd)
	e := x
	for {
		s := &d.segs[d.segAt(e)]
		if s.words()[dashHdrCount] != 0 {
			nl := uint64(s.nb + s.ns)
			y := mix64(x)
			for k, b := uint64(0), (y>>32)%nl; k < nl; k++ {
				l := 1 + int((b+k)%nl)
				if m := matchFull(s.words()[d.c(l)]); m != 0 {
					for j := (y >> 8 & 0xFFFFFF) % uint64(bits.OnesCount64(uint64(m))); j > 0; j-- {
						m = m.dropFirst()
					}
					return d.ref(s.words(), l, m.first())
				}
			}
		}
		e++
	}
}

// Sample returns a stored Ref uniform over the keys, or 0 when empty. It
// draws a directory entry, then a number below maxSlots * 2^(D-d) for
// its segment of depth d: below the segment's slot count it names a slot,
// kept if full. Each slot of the table has the same chance, 1/(2^D *
// maxSlots), whatever its segment's shape and depth; a miss draws again,
// and after sampleTries misses Random answers.
func (d *Dash) Sample(rnd uint64) mem.Ref {
	if d.n == 0 {
		return 0
	}
	x := rnd
	for try := 0; try < sampleTries; try++ {
		x = mix64(x + 0x9e3779b97f4a7c15)
		s := &d.segs[d.segAt(x)]
		y := mix64(x ^ 0x5851f42d4c957f2d)
		v := y % (uint64(d.maxSlots) << (d.depth - s.depth))
		if v >= uint64(s.nb+s.ns)*groupSlots {
			continue
		}
		l, i := 1+int(v/groupSlots), int(v%groupSlots)
		if matchFull(s.words()[d.c(l)])&(0x80<<(8*i)) != 0 {
			return d.ref(s.words(), l, i)
		}
	}
	return d.Random(x)
}

// ForEach calls fn on every stored Ref until fn returns false.
func (d *Dash) ForEach(fn func(r mem.Ref) bool) {
	for si := range d.segs {
		s := &d.segs[si]
		for l := 1; l <= int(s.nb+s.ns); l++ {
			for m := matchFull(s.words()[d.c(l)]); m != 0; m = m.dropFirst() {
				if !fn(d.ref(s.words(), l, m.first())) {
					return
				}
			}
		}
	}
}

// Clear calls free (if not nil) on every Ref and gives every block back.
func (d *Dash) Clear(free func(r mem.Ref)) {
	if free != nil {
		d.ForEach(func(r mem.Ref) bool { free(r); return true })
	}
	for si := range d.segs {
		if d.segs[si].base != nil {
			d.freeSeg(uint32(si))
		}
	}
	if d.dir != nil {
		d.a.Free(d.p, d.dirRef, dirSize(len(d.dir)))
	}
	*d = Dash{a: d.a, p: d.p, keyOf: d.keyOf, noShrink: d.noShrink, growInPlace: d.growInPlace,
		shapes: d.shapes, maxSlots: d.maxSlots, rb: d.rb, back: d.back, bw: d.bw, c0: d.c0}
}

// MemBytes is the size of the segments and the directory.
func (d *Dash) MemBytes() int {
	if d.dir == nil {
		return d.segBytes
	}
	return d.segBytes + dirSize(len(d.dir))
}

// dirSize is the block size of a directory of n entries: 8 bytes each.
func dirSize(n int) int { return 8 * n }

// AllocatedBytes is what the segments and the directory cost the allocator.
func (d *Dash) AllocatedBytes() int {
	n := 0
	for si := range d.segs {
		if s := &d.segs[si]; s.base != nil {
			n += mem.BlockSize(d.a, d.refs[si], len(s.words())*8)
		}
	}
	if d.dir != nil {
		n += mem.BlockSize(d.a, d.dirRef, dirSize(len(d.dir)))
	}
	return n
}

func init() {
	RegisterLayout("dash", func(a mem.Allocator, p mem.Purpose, keyOf KeyFunc) KeyTable { return NewDash(a, p, keyOf) })
}
