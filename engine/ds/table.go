// Package ds holds rundb's packed data structures. Every byte they keep
// comes from a mem.Allocator, so an allocator's Stats cover them.
//
// This file is the keyspace table: a map from key to mem.Ref with open
// addressing in the style of a Swiss table, an incremental resize, and a
// SCAN cursor that stays correct across resizes.
//
// # Glossary
//
//   - slot: 7 bytes holding one mem.Ref (the entry block of a key); Refs fit
//     in 56 bits (mem.Ref's promise), so the eighth byte would be waste.
//   - group: 8 slots plus their control word; the unit of probing.
//   - control word: 8 bytes, one control byte per slot of the group (byte i of
//     the little-endian word describes slot i).
//   - H1: the hash's upper 57 bits (hash >> 7). H1 & mask is the key's home
//     group, where its probe starts.
//   - H2: the hash's low 7 bits, kept in the control byte of a full slot, so a
//     probe compares a key only when its H2 matches.
//   - tombstone: a deleted slot that a probe must step over.
//
// # Control bytes
//
//	empty:     1 0 0 0 0 0 0 0   (0x80)
//	tombstone: 1 1 1 1 1 1 1 0   (0xFE)
//	full:      0 h h h h h h h   (0x00..0x7F, hhhhhhh = H2)
//
// The high bit says "not full"; bit 1 tells a tombstone from an empty slot.
// Matching a whole group is SWAR arithmetic on the 64-bit control word:
//
//	full slots:           ^w & 0x8080808080808080
//	empty or tombstone:    w & 0x8080808080808080
//	empty:       (w &^ (w << 6)) & 0x8080808080808080   (bit 7 set, bit 1 clear)
//	H2 == h:     v := w ^ (0x0101010101010101 * h); (v - 0x01..01) &^ v & 0x80..80
//
// The H2 match may report a false positive (a byte 0x01 above a true match,
// through the borrow); it only costs a key comparison.
//
// # Layout
//
// A table of G groups (G a power of two, mask = G-1) is one allocator block of
// G*64 bytes: each group is one 64-byte cache line, its 8-byte control word
// then the 8 slots packed at 7 bytes each (little-endian), so a probe of a
// group touches one line and a slot costs 8 bytes with its control byte
// (9 with an 8-byte slot; on a 1M-key table of 2^21 slots that is 2 MB).
//
//	byte:  0        8       15      22            57      64
//	       [ctrl w ][ slot0 ][ slot1 ]  ...  [ slot7 ]
//
// Example: Ref 0x0000123456789abc in slot 0 is stored as bytes 8..14 =
// bc 9a 78 56 34 12 00. Reading slot i loads the 8 bytes starting at
// 7+7i (one byte before the slot) and shifts right by 8, so no load leaves
// the group.
//
// # Probing
//
// A key's probe visits groups home, home+1, home+2, ... (mod G) and stops at
// the first group holding an empty slot. Linear group probing keeps this
// invariant, on which lookups and SCAN rely:
//
//	an element stored in group p with home group h has no empty slot in any
//	of the groups h, h+1, ..., p-1.
//
// It holds because a group that has no empty slot never gets one back until the
// table is rebuilt: a delete writes empty only into a group that already has an
// empty slot (no probe passes such a group), and a tombstone otherwise.
// Load (full + tombstones) stays at most 7/8 of the slots, so some group always
// has an empty slot and every probe ends.
//
// # Resizing
//
// The table grows (x2) when an insert would push full + tombstones past 7/8,
// or rebuilds at the same size when tombstones are the reason; it shrinks when
// less than 1/8 of the slots are full, unless SetNoShrink holds it (a walker
// relying on ScanPos, table_scanpos.go). In every case a new array is allocated
// and the old array's groups are moved into it a few at a time: each
// Put/Get/Delete moves up to two non-empty groups, and RehashStep (from the
// server cron) moves more. While moving, lookups try both arrays and inserts
// go to the new one. A moved group keeps the "has an empty slot" property it
// had (its full slots become empty if it had an empty slot, tombstones if it
// had none), so probes through the old array stay correct.
//
// # SCAN cursor
//
// The cursor is a home-group index incremented in reverse binary: the bits
// under the mask are reversed, incremented and reversed back, so the highest
// group bit changes fastest. For a table of 2^k groups, visiting cursor c
// means visiting home group c & mask: groups c, c+1, ... until a group with an
// empty slot (by the invariant above, every element whose home is c is among
// them) and emitting only the elements whose home group is c. A key's home in
// a table of 2^k groups is the low k bits of H1, so home group c of 2^k groups
// splits into groups c and c + 2^k of 2^(k+1) groups. Reverse-binary order
// visits both halves after their parent, so a grow or shrink between two calls
// neither skips a home group that was not yet covered nor restarts (it may
// return an element twice). While resizing, one call visits the smaller
// array's group c & m0 and then every group of the larger array that expands
// from it (c & m1 for all values of the bits in m1 ^ m0). Cursor 0 starts a
// scan and a returned 0 ends it; every element present during the whole scan
// is returned at least once.
package ds

import (
	"bytes"
	"encoding/binary"
	"hash/maphash"
	"math/bits"
	"unsafe"

	"rundb/engine/mem"
)

const (
	groupSlots = 8
	groupBytes = 64             // one cache line: control word, then 8 packed 7-byte refs
	groupWords = groupBytes / 8 // the control word is word 0 of its group
	refBytes   = 7              // a Ref is stored in 56 bits (mem.Ref's promise)

	ctrlEmpty   = 0x80
	ctrlDeleted = 0xFE

	lsbs      = 0x0101010101010101
	msbs      = 0x8080808080808080
	ctrlWordE = lsbs * ctrlEmpty // a group of empty slots

	minGroups = 1

	// stepGroups is how many non-empty old groups each Put/Get/Delete moves
	// while resizing; stepEmptyVisits bounds the empty groups it skips.
	stepGroups      = 2
	stepEmptyVisits = 16
)

// KeyFunc returns the key of a stored Ref. The table keeps only Refs; keys
// live in the blocks the Refs name.
type KeyFunc func(r mem.Ref) []byte

var hashSeed = maphash.MakeSeed()

func hashKey(key []byte) uint64 { return maphash.Bytes(hashSeed, key) }

// match is a set of slots: bit 7 of byte i set means slot i.
type match uint64

func (m match) first() int       { return bits.TrailingZeros64(uint64(m)) >> 3 }
func (m match) dropFirst() match { return m & (m - 1) }

func matchH2(w uint64, h2 uint8) match {
	v := w ^ (lsbs * uint64(h2))
	return match((v - lsbs) &^ v & msbs)
}
func matchEmpty(w uint64) match { return match(w &^ (w << 6) & msbs) }
func matchFree(w uint64) match  { return match(w & msbs) }
func matchFull(w uint64) match  { return match(^w & msbs) }

// tab is one array of groups.
type tab struct {
	block mem.Ref
	w     []uint64 // groups*groupWords words; nil when the array is not allocated
	mask  uint64   // groups-1
	used  int      // full slots
	dead  int      // tombstones
}

func (tb *tab) groups() int { return len(tb.w) / groupWords }
func (tb *tab) slots() int  { return len(tb.w) / groupWords * groupSlots }

// ref reads the Ref in slot i of group g. Slot i's 7 bytes are bytes
// 8+7i .. 14+7i of the group; the 8-byte little-endian load starts one byte
// earlier (the last control byte or the previous slot's last byte) and
// shifts that byte out, so every load stays inside the group.
func (tb *tab) ref(g uint64, i int) mem.Ref {
	p := unsafe.Add(unsafe.Pointer(&tb.w[g*groupWords]), 7+refBytes*i)
	return mem.Ref(binary.LittleEndian.Uint64((*[8]byte)(p)[:]) >> 8)
}

// setRef stores r in slot i of group g, keeping the byte before it.
func (tb *tab) setRef(g uint64, i int, r mem.Ref) {
	if r>>56 != 0 {
		panic("ds: Ref does not fit in 56 bits")
	}
	b := (*[8]byte)(unsafe.Add(unsafe.Pointer(&tb.w[g*groupWords]), 7+refBytes*i))[:]
	binary.LittleEndian.PutUint64(b, uint64(b[0])|uint64(r)<<8)
}

// maxLoad is the most full + tombstone slots the array may hold: 7/8.
func (tb *tab) maxLoad() int { return tb.slots() - tb.slots()/8 }

func (tb *tab) setCtrl(g uint64, i int, c uint8) {
	p := &tb.w[g*groupWords]
	*p = *p&^(0xFF<<(8*i)) | uint64(c)<<(8*i)
}

// insertAbsent stores r for a key known to be absent from tb.
func (tb *tab) insertAbsent(h uint64, r mem.Ref) {
	g := (h >> 7) & tb.mask
	for {
		w := tb.w[g*groupWords]
		if m := matchFree(w); m != 0 {
			i := m.first()
			if uint8(w>>(8*i)) == ctrlDeleted {
				tb.dead--
			}
			tb.setCtrl(g, i, uint8(h&0x7F))
			tb.setRef(g, i, r)
			tb.used++
			return
		}
		g = (g + 1) & tb.mask
	}
}

// remove empties slot i of group g.
func (tb *tab) remove(g uint64, i int) {
	if matchEmpty(tb.w[g*groupWords]) != 0 {
		tb.setCtrl(g, i, ctrlEmpty)
	} else {
		tb.setCtrl(g, i, ctrlDeleted)
		tb.dead++
	}
	tb.used--
}

// Table maps keys to Refs. It is not safe for concurrent use.
type Table struct {
	a     mem.Allocator
	p     mem.Purpose // of the slot arrays
	keyOf KeyFunc
	cur   tab    // the array inserts go to
	old   tab    // the array being moved into cur; old.w == nil unless resizing
	next  uint64 // the next group of old to move
	// noShrink (SetNoShrink) keeps the table from shrinking, and from
	// dropping its arrays when it empties, so that a scan position
	// (ScanPos) below a cursor stays below it (table_scanpos.go).
	noShrink bool
	// mods counts the changes that move or remove slots; a Pos from
	// Locate is good until the next one.
	mods uint64
}

// NewTable returns an empty table whose arrays come from a, allocated for
// purpose p (mem.PurposeSlots for a keyspace, mem.PurposeExpires for an
// expires table). keyOf gives the key of a stored Ref.
func NewTable(a mem.Allocator, p mem.Purpose, keyOf KeyFunc) *Table {
	return &Table{a: a, p: p, keyOf: keyOf}
}

// Len is the number of keys.
func (t *Table) Len() int { return t.cur.used + t.old.used }

// Resizing reports whether a resize is under way.
func (t *Table) Resizing() bool { return t.old.w != nil }

// MemBytes is the size of the arrays the table holds.
func (t *Table) MemBytes() int { return (t.cur.groups() + t.old.groups()) * groupBytes }

// AllocatedBytes is what the table's arrays cost the allocator, size-class
// rounding included (mem.BlockSize of each array).
func (t *Table) AllocatedBytes() int {
	n := 0
	for _, tb := range [2]*tab{&t.cur, &t.old} {
		if tb.w != nil {
			n += mem.BlockSize(t.a, tb.block, len(tb.w)*8)
		}
	}
	return n
}

func (t *Table) newTab(groups int) tab {
	size := groups * groupBytes
	ref := t.a.Alloc(t.p, size)
	b := t.a.Bytes(ref, size)
	w := unsafe.Slice((*uint64)(unsafe.Pointer(unsafe.SliceData(b))), groups*groupWords)
	for g := 0; g < groups; g++ {
		w[g*groupWords] = ctrlWordE
	}
	return tab{block: ref, w: w, mask: uint64(groups - 1)}
}

func (t *Table) freeTab(tb *tab) {
	if tb.w != nil {
		t.a.Free(t.p, tb.block, len(tb.w)*8)
	}
	*tb = tab{}
}

// find looks key up in tb.
func (t *Table) find(tb *tab, key []byte, h uint64) (g uint64, i int, ok bool) {
	if tb.w == nil {
		return 0, 0, false
	}
	h2 := uint8(h & 0x7F)
	g = (h >> 7) & tb.mask
	for {
		base := g * groupWords
		w := tb.w[base]
		for m := matchH2(w, h2); m != 0; m = m.dropFirst() {
			i = m.first()
			if bytes.Equal(t.keyOf(tb.ref(g, i)), key) {
				return g, i, true
			}
		}
		if matchEmpty(w) != 0 {
			return g, 0, false
		}
		g = (g + 1) & tb.mask
	}
}

// Get returns the Ref stored for key, or 0.
func (t *Table) Get(key []byte) mem.Ref {
	if t.Len() == 0 {
		return 0
	}
	h := hashKey(key)
	if t.Resizing() {
		t.step()
		if g, i, ok := t.find(&t.old, key, h); ok {
			return t.old.ref(g, i)
		}
	}
	if g, i, ok := t.find(&t.cur, key, h); ok {
		return t.cur.ref(g, i)
	}
	return 0
}

// Put stores r for key: it inserts, or replaces the Ref stored for an equal
// key. It returns the replaced Ref, or 0 if key was absent.
func (t *Table) Put(key []byte, r mem.Ref) mem.Ref {
	prev := t.put(key, r)
	if debugTable {
		t.debugCheck()
	}
	return prev
}

func (t *Table) put(key []byte, r mem.Ref) mem.Ref {
	if !t.Resizing() && t.cur.w != nil {
		// One probe finds the key or, failing that, the first free slot.
		var p Pos
		t.Locate(key, &p)
		return t.putAt(&p, r)
	}
	t.mods++
	h := hashKey(key)
	if t.Resizing() {
		t.step()
		if g, i, ok := t.find(&t.old, key, h); ok {
			prev := t.old.ref(g, i)
			t.old.setRef(g, i, r)
			return prev
		}
		if g, i, ok := t.find(&t.cur, key, h); ok {
			prev := t.cur.ref(g, i)
			t.cur.setRef(g, i, r)
			return prev
		}
		t.makeRoom()
		t.cur.insertAbsent(h, r)
		return 0
	}
	t.cur = t.newTab(minGroups)
	t.cur.insertAbsent(h, r)
	return 0
}

// Pos is where Locate found a key, or where it would insert it: a write
// that looked its key up first passes it to PutAt or DeleteAt, which then
// do not search again. A Pos is good for its table until the table next
// changes, and for its key only: PutAt and DeleteAt check that the key
// they are given is the one in the slot, or has the hash Locate computed
// for an absent key, and search as Put and Delete do otherwise.
type Pos struct {
	t     *Table // nil: no Pos
	mods  uint64 // t.mods at Locate
	h     uint64
	g     uint64
	i     int
	found bool
}

// Locate returns key's Ref (0 if absent) and stores its Pos in *p. While
// the table resizes it stores no Pos (a lookup then moves groups, see
// step). The Pos is written field by field: built whole and copied, it
// stalls the copy (see Entry).
func (t *Table) Locate(key []byte, p *Pos) mem.Ref {
	if t.Resizing() || t.cur.w == nil {
		p.t = nil
		return t.Get(key)
	}
	h := hashKey(key)
	tb := &t.cur
	h2 := uint8(h & 0x7F)
	g := (h >> 7) & tb.mask
	freeG, freeI := uint64(0), -1
	for {
		w := tb.w[g*groupWords]
		for m := matchH2(w, h2); m != 0; m = m.dropFirst() {
			i := m.first()
			if r := tb.ref(g, i); bytes.Equal(t.keyOf(r), key) {
				p.t, p.mods, p.h, p.g, p.i, p.found = t, t.mods, h, g, i, true
				return r
			}
		}
		if freeI < 0 {
			if m := matchFree(w); m != 0 {
				freeG, freeI = g, m.first()
			}
		}
		if matchEmpty(w) != 0 {
			p.t, p.mods, p.h, p.g, p.i, p.found = t, t.mods, h, freeG, freeI, false
			return 0
		}
		g = (g + 1) & tb.mask
	}
}

// at reports whether p is good for key in t now.
func (t *Table) at(p *Pos, key []byte) bool {
	if p.t != t || p.mods != t.mods {
		return false
	}
	if p.found {
		return bytes.Equal(t.keyOf(t.cur.ref(p.g, p.i)), key)
	}
	return hashKey(key) == p.h
}

// PutAt is Put for a key Locate gave p for.
func (t *Table) PutAt(p Pos, key []byte, r mem.Ref) mem.Ref {
	if !t.at(&p, key) {
		return t.Put(key, r)
	}
	prev := t.putAt(&p, r)
	if debugTable {
		t.debugCheck()
	}
	return prev
}

// putAt stores r at p, a Pos good for r's key.
func (t *Table) putAt(p *Pos, r mem.Ref) mem.Ref {
	t.mods++
	tb := &t.cur
	if p.found {
		prev := tb.ref(p.g, p.i)
		tb.setRef(p.g, p.i, r)
		return prev
	}
	if uint8(tb.w[p.g*groupWords]>>(8*p.i)) == ctrlDeleted {
		// Reusing a tombstone leaves the load as it is.
		tb.dead--
	} else if !t.roomFor1() {
		t.makeRoom()
		t.cur.insertAbsent(p.h, r)
		return 0
	}
	tb.setCtrl(p.g, p.i, uint8(p.h&0x7F))
	tb.setRef(p.g, p.i, r)
	tb.used++
	return 0
}

// DeleteAt is Delete for a key Locate gave p for.
func (t *Table) DeleteAt(p Pos, key []byte) mem.Ref {
	if !p.found || !t.at(&p, key) {
		return t.Delete(key)
	}
	t.mods++
	prev := t.cur.ref(p.g, p.i)
	t.cur.remove(p.g, p.i)
	t.afterDelete()
	if debugTable {
		t.debugCheck()
	}
	return prev
}

// roomFor1 reports whether cur can take one more key in an empty slot
// without a resize.
func (t *Table) roomFor1() bool {
	if t.Resizing() {
		return t.cur.used+t.cur.dead+t.old.used+1 <= t.cur.maxLoad()
	}
	return t.cur.used+t.cur.dead+1 <= t.cur.maxLoad()
}

// makeRoom makes sure cur can take one more key.
func (t *Table) makeRoom() {
	if t.Resizing() {
		if t.cur.used+t.cur.dead+t.old.used+1 <= t.cur.maxLoad() {
			return
		}
		// cur could not absorb the rest of old plus this key: finish now
		// (it fits exactly), then resize cur as usual below. Only a
		// workload that outruns the per-operation moves gets here.
		for t.Resizing() {
			t.moveGroups(t.old.groups(), t.old.groups())
		}
	}
	if t.cur.used+t.cur.dead+1 <= t.cur.maxLoad() {
		return
	}
	groups := t.cur.groups()
	if (t.cur.used+1)*16 > t.cur.slots()*7 {
		groups *= 2 // more than 7/16 full: grow; otherwise drop the tombstones
	}
	t.startResize(groups)
}

func (t *Table) startResize(groups int) {
	t.old = t.cur
	t.cur = t.newTab(groups)
	t.next = 0
}

// Delete removes key and returns its Ref, or 0 if it was absent.
func (t *Table) Delete(key []byte) mem.Ref {
	prev := t.delete(key)
	if debugTable {
		t.debugCheck()
	}
	return prev
}

func (t *Table) delete(key []byte) mem.Ref {
	if t.Len() == 0 {
		return 0
	}
	t.mods++
	h := hashKey(key)
	var prev mem.Ref
	if t.Resizing() {
		t.step()
		if g, i, ok := t.find(&t.old, key, h); ok {
			prev = t.old.ref(g, i)
			t.old.remove(g, i)
		}
	}
	if prev == 0 {
		g, i, ok := t.find(&t.cur, key, h)
		if !ok {
			return 0
		}
		prev = t.cur.ref(g, i)
		t.cur.remove(g, i)
	}
	t.afterDelete()
	return prev
}

// afterDelete drops the arrays of a table left empty, else shrinks it if
// it is sparse enough.
func (t *Table) afterDelete() {
	if t.Len() == 0 && !t.noShrink {
		t.freeTab(&t.old)
		t.freeTab(&t.cur)
	} else {
		t.maybeShrink()
	}
}

// maybeShrink starts a shrink when cur is less than 1/8 full. The new size
// is the smallest that leaves the table at most 7/16 full.
func (t *Table) maybeShrink() {
	if t.noShrink || t.Resizing() || t.cur.groups() <= minGroups || t.cur.used*8 >= t.cur.slots() {
		return
	}
	groups := minGroups
	for t.cur.used*16 > groups*groupSlots*7 {
		groups *= 2
	}
	if groups < t.cur.groups() {
		t.startResize(groups)
	}
}

// step is the resize work of one Put/Get/Delete.
func (t *Table) step() {
	t.mods++
	visits := stepEmptyVisits
	if r := t.old.groups() / t.cur.groups(); r > 1 {
		visits *= r // shrinking: old has many more (mostly empty) groups to pass
	}
	t.moveGroups(stepGroups, visits)
}

// moveGroups moves old groups into cur, stopping after `full` non-empty
// groups or `visits` groups in all. It ends the resize after the last group.
func (t *Table) moveGroups(full, visits int) {
	n := uint64(t.old.groups())
	for ; t.next < n && full > 0 && visits > 0; t.next++ {
		visits--
		if t.moveGroup(t.next) {
			full--
		}
	}
	if t.next == n {
		t.freeTab(&t.old)
		t.next = 0
	}
}

// moveGroup moves the full slots of old group g into cur and reports whether
// there were any. The slots become empty if the group had an empty slot and
// tombstones otherwise, so probes through old see the same stops as before.
func (t *Table) moveGroup(g uint64) bool {
	base := g * groupWords
	w := t.old.w[base]
	full := matchFull(w)
	if full == 0 {
		return false
	}
	fill := uint64(ctrlDeleted)
	if matchEmpty(w) != 0 {
		fill = ctrlEmpty
	}
	for m := full; m != 0; m = m.dropFirst() {
		i := m.first()
		r := t.old.ref(g, i)
		t.cur.insertAbsent(hashKey(t.keyOf(r)), r)
		w = w&^(0xFF<<(8*i)) | fill<<(8*i)
		t.old.used--
	}
	t.old.w[base] = w
	return true
}

// RehashStep moves up to `groups` groups of an ongoing resize (a cron's
// share of the work) and reports whether a resize is still under way. When
// no resize is under way it starts a shrink if the table is sparse.
func (t *Table) RehashStep(groups int) bool {
	t.mods++
	if !t.Resizing() {
		t.maybeShrink()
		return t.Resizing()
	}
	t.moveGroups(groups, groups)
	return t.Resizing()
}

// Scan visits one step of a SCAN (see the package doc for the cursor) and
// returns the next cursor; 0 starts a scan and a returned 0 ends it. fn must
// not modify the table.
func (t *Table) Scan(cursor uint64, fn func(r mem.Ref)) uint64 {
	if t.Len() == 0 {
		return 0
	}
	if !t.Resizing() {
		m0 := t.cur.mask
		t.scanHome(&t.cur, cursor&m0, fn)
		return revIncr(cursor, m0)
	}
	small, large := &t.old, &t.cur
	if small.mask > large.mask {
		small, large = large, small
	}
	m0, m1 := small.mask, large.mask
	v := cursor
	t.scanHome(small, v&m0, fn)
	for {
		t.scanHome(large, v&m1, fn)
		v = revIncr(v, m1)
		if v&(m0^m1) == 0 {
			return v
		}
	}
}

// revIncr increments the bits of v under mask in reverse binary order.
func revIncr(v, mask uint64) uint64 {
	v |= ^mask
	v = bits.Reverse64(v)
	v++
	return bits.Reverse64(v)
}

// scanHome emits the elements of tb whose home group is g.
func (t *Table) scanHome(tb *tab, g uint64, fn func(r mem.Ref)) {
	p := g
	for {
		base := p * groupWords
		w := tb.w[base]
		for m := matchFull(w); m != 0; m = m.dropFirst() {
			r := tb.ref(p, m.first())
			if (hashKey(t.keyOf(r))>>7)&tb.mask == g {
				fn(r)
			}
		}
		if matchEmpty(w) != 0 {
			return
		}
		p = (p + 1) & tb.mask
	}
}

// Random returns a stored Ref chosen with the randomness in rnd (any 64
// random bits), or 0 if the table is empty. The choice is a random group
// (the first non-empty one from a random start), then a random full slot of
// it: close to uniform at the table's load factors.
func (t *Table) Random(rnd uint64) mem.Ref {
	n := t.Len()
	if n == 0 {
		return 0
	}
	x := mix64(rnd)
	tb := &t.cur
	if t.old.used > 0 && (t.cur.used == 0 || (x>>32)%uint64(n) < uint64(t.old.used)) {
		tb = &t.old
	}
	y := mix64(x)
	g := y & tb.mask
	for {
		base := g * groupWords
		if m := matchFull(tb.w[base]); m != 0 {
			k := (y >> 40) % uint64(bits.OnesCount64(uint64(m)))
			for ; k > 0; k-- {
				m = m.dropFirst()
			}
			return tb.ref(g, m.first())
		}
		g = (g + 1) & tb.mask
	}
}

// mix64 is a 64-bit finalizer (xor-shift-multiply) spreading rnd's bits.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}

// ForEach calls fn on every stored Ref once, until fn returns false. fn must
// not modify the table.
func (t *Table) ForEach(fn func(r mem.Ref) bool) {
	for _, tb := range [2]*tab{&t.old, &t.cur} {
		for base := 0; base < len(tb.w); base += groupWords {
			for m := matchFull(tb.w[base]); m != 0; m = m.dropFirst() {
				if !fn(tb.ref(uint64(base/groupWords), m.first())) {
					return
				}
			}
		}
	}
}

// Clear empties the table: it calls free (if non-nil) on every stored Ref
// and gives the arrays back to the allocator.
func (t *Table) Clear(free func(r mem.Ref)) {
	t.mods++
	if free != nil {
		t.ForEach(func(r mem.Ref) bool { free(r); return true })
	}
	t.freeTab(&t.old)
	t.freeTab(&t.cur)
	t.next = 0
}
