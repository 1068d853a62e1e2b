package ds

// The set table: the hashtable encoding of a set, a Table (table.go) whose
// Refs name member blocks. The Table's state is a Go struct with Go slices,
// which allocator memory must not hold, so a set keeps that state in a
// header block of its own and each operation rebuilds a light Table view
// from it (two Bytes calls for the slot arrays), runs the Table's code
// (probing, incremental resize, Scan, Random) and writes the state back.
//
// # Grammar
//
//	<header> = <cur> <old> <next>                                 38 bytes
//	<cur>    = <ref 8> <lg 1> <used 4> <dead 4>   the array inserts go to
//	<old>    = <ref 8> <lg 1> <used 4> <dead 4>   the array being moved into
//	                                              cur (ref 0: not resizing)
//	<next>   = 4 bytes, the next group of old to move
//	<member> = <len uvarint> <bytes>              one block per member
//
// Integers are little-endian; lg is log2 of the array's groups (an array
// is groups*64 bytes, see table.go); ref 0 is no array. The slot arrays
// and member blocks are of mem.PurposeContainer, like the header.
//
// # Worked example
//
// SADD s a bc (hashtable: one group of 8 slots, two members):
//
//	header [2a 00 00 00 00 00 00 00] [00] [02 00 00 00] [00 00 00 00]
//	        cur array at Ref 0x2a     lg 0  used 2       dead 0
//	       [00 .. 00] [00] [00 00 00 00] [00 00 00 00]  [00 00 00 00]
//	        no old array                                 next 0
//	member [01 61]      member [02 62 63]
//	        len "a"             len "bc"
//
// Random sampling (SRANDMEMBER, SPOP) is Table.Random: a random group, then
// a random full slot in it, never a walk over the table; SSCAN's cursor is
// Table.Scan's, which survives resizes.

import (
	"encoding/binary"
	"sync/atomic"
	"unsafe"

	"rundb/engine/mem"
)

const (
	stHeader  = 38
	stOldOff  = 17
	stNextOff = 34
)

func init() {
	RegisterContainer(EncHashtable, ContainerOps{
		Len:   stLen,
		Free:  stFree,
		Copy:  stCopy,
		Bytes: stBytes,
	})
}

// memberKeyOf is the KeyFunc of member blocks of a. A server has one
// allocator, so the last one made is kept (atomically: tests run several
// allocators at once) and a set operation allocates nothing for it.
func memberKeyOf(a mem.Allocator) KeyFunc {
	if k := lastMemberKeyOf.Load(); k != nil && k.a == a {
		return k.f
	}
	k := &memberKeyFunc{a: a, f: func(r mem.Ref) []byte { return memberBytes(a, r) }}
	lastMemberKeyOf.Store(k)
	return k.f
}

type memberKeyFunc struct {
	a mem.Allocator
	f KeyFunc
}

var lastMemberKeyOf atomic.Pointer[memberKeyFunc]

// memberBytes is the member held by block r.
func memberBytes(a mem.Allocator, r mem.Ref) []byte {
	b := a.Bytes(r, 1)
	if n := int(b[0]); n < 0x80 {
		return a.Bytes(r, 1+n)[1:]
	}
	// A length of 2+ uvarint bytes is at least 128: the block has at least
	// 130 bytes, so a view of the longest uvarint stays inside it.
	n, w := binary.Uvarint(a.Bytes(r, binary.MaxVarintLen64))
	return a.Bytes(r, w+int(n))[w:]
}

func memberSize(n int) int { return uvarintLen(uint64(n)) + n }

func newMember(a mem.Allocator, m []byte) mem.Ref {
	size := memberSize(len(m))
	r := a.Alloc(mem.PurposeContainer, size)
	b := a.Bytes(r, size)
	w := binary.PutUvarint(b, uint64(len(m)))
	copy(b[w:], m)
	return r
}

func freeMember(a mem.Allocator, r mem.Ref) {
	a.Free(mem.PurposeContainer, r, memberSize(len(memberBytes(a, r))))
}

// stLoadTab decodes one array's state at h.
func stLoadTab(a mem.Allocator, h []byte) tab {
	ref := mem.Ref(binary.LittleEndian.Uint64(h))
	if ref == 0 {
		return tab{}
	}
	groups := 1 << h[8]
	return tab{
		block: ref,
		w:     wordsOf(a.Bytes(ref, groups*groupBytes)),
		mask:  uint64(groups - 1),
		used:  int(binary.LittleEndian.Uint32(h[9:])),
		dead:  int(binary.LittleEndian.Uint32(h[13:])),
	}
}

// wordsOf views an array block as its words.
func wordsOf(b []byte) []uint64 {
	return unsafe.Slice((*uint64)(unsafe.Pointer(unsafe.SliceData(b))), len(b)/8)
}

func stSaveTab(h []byte, tb *tab) {
	binary.LittleEndian.PutUint64(h, uint64(tb.block))
	lg := 0
	for 1<<lg < tb.groups() {
		lg++
	}
	h[8] = byte(lg)
	binary.LittleEndian.PutUint32(h[9:], uint32(tb.used))
	binary.LittleEndian.PutUint32(h[13:], uint32(tb.dead))
}

// stView is a set table's Table, rebuilt from its header block.
type stView struct {
	t Table
	h []byte
}

func stLoad(a mem.Allocator, r mem.Ref) stView {
	h := a.Bytes(r, stHeader)
	return stView{
		t: Table{a: a, p: mem.PurposeContainer, keyOf: memberKeyOf(a),
			cur: stLoadTab(a, h), old: stLoadTab(a, h[stOldOff:]),
			next: uint64(binary.LittleEndian.Uint32(h[stNextOff:]))},
		h: h,
	}
}

// save writes the view's state back to the header.
func (v *stView) save() {
	stSaveTab(v.h, &v.t.cur)
	stSaveTab(v.h[stOldOff:], &v.t.old)
	binary.LittleEndian.PutUint32(v.h[stNextOff:], uint32(v.t.next))
}

// stNew makes an empty set table whose array holds n members without a
// resize.
func stNew(a mem.Allocator, n int) mem.Ref {
	r := a.Alloc(mem.PurposeContainer, stHeader)
	h := a.Bytes(r, stHeader)
	clear(h)
	if n > 0 {
		groups := minGroups
		for groups*groupSlots-groups*groupSlots/8 < n {
			groups *= 2
		}
		t := Table{a: a, p: mem.PurposeContainer}
		tb := t.newTab(groups)
		stSaveTab(h, &tb)
	}
	return r
}

func stLen(a mem.Allocator, r mem.Ref) int { return stLenOf(a.Bytes(r, stHeader)) }

// stLenOf is the member count of the set table whose header is h.
func stLenOf(h []byte) int {
	return int(binary.LittleEndian.Uint32(h[9:])) + int(binary.LittleEndian.Uint32(h[stOldOff+9:]))
}

// stHas looks m (hashed h) up in a set table whose header is hd, reading
// only: each array is decoded only when it exists.
func stHas(a mem.Allocator, hd, m []byte, h uint64) bool {
	if stLenOf(hd) == 0 {
		return false
	}
	t := Table{keyOf: memberKeyOf(a)}
	if binary.LittleEndian.Uint64(hd[stOldOff:]) != 0 {
		old := stLoadTab(a, hd[stOldOff:])
		if _, _, ok := t.find(&old, m, h); ok {
			return true
		}
	}
	cur := stLoadTab(a, hd)
	_, _, ok := t.find(&cur, m, h)
	return ok
}

// stAdd adds member m; reports whether it was absent. The lookup only
// reads. When no resize is under way and the array has room, the member
// goes to the first free slot of its probe (what Table.put picks for an
// absent key) and only the array's counts are written back; otherwise
// Table.put inserts, which grows the table or moves a resize on.
func stAdd(a mem.Allocator, r mem.Ref, m []byte) bool {
	hd := a.Bytes(r, stHeader)
	h := hashKey(m)
	if stHas(a, hd, m, h) {
		return false
	}
	if binary.LittleEndian.Uint64(hd[stOldOff:]) == 0 && binary.LittleEndian.Uint64(hd) != 0 {
		cur := stLoadTab(a, hd)
		if cur.used+cur.dead+1 <= cur.maxLoad() {
			cur.insertAbsent(h, newMember(a, m))
			binary.LittleEndian.PutUint32(hd[9:], uint32(cur.used))
			binary.LittleEndian.PutUint32(hd[13:], uint32(cur.dead))
			return true
		}
	}
	v := stLoad(a, r)
	v.t.put(m, newMember(a, m))
	v.save()
	return true
}

// stRemove removes member m; reports whether it was there.
func stRemove(a mem.Allocator, r mem.Ref, m []byte) bool {
	v := stLoad(a, r)
	defer v.save()
	mr := v.t.delete(m)
	if mr == 0 {
		return false
	}
	freeMember(a, mr)
	return true
}

// stContains reports whether m is a member. It only reads: a resize under
// way is left for the next write to move on, so a set can be read while
// another read walks it (SINTER s s).
func stContains(a mem.Allocator, r mem.Ref, m []byte) bool {
	hd := a.Bytes(r, stHeader)
	if stLenOf(hd) == 0 {
		return false
	}
	return stHas(a, hd, m, hashKey(m))
}

// stForEach calls fn on every member until it returns false. fn must not
// change the set.
func stForEach(a mem.Allocator, r mem.Ref, fn func(m []byte) bool) {
	v := stLoad(a, r)
	v.t.ForEach(func(mr mem.Ref) bool { return fn(memberBytes(a, mr)) })
}

// stRandom returns a random member's block (see Table.Random).
func stRandom(a mem.Allocator, r mem.Ref, rnd uint64) mem.Ref {
	v := stLoad(a, r)
	return v.t.Random(rnd)
}

// stScan is one SSCAN step (Table.Scan's cursor).
func stScan(a mem.Allocator, r mem.Ref, cursor uint64, fn func(m []byte)) uint64 {
	v := stLoad(a, r)
	return v.t.Scan(cursor, func(mr mem.Ref) { fn(memberBytes(a, mr)) })
}

func stFree(a mem.Allocator, r mem.Ref) {
	v := stLoad(a, r)
	v.t.Clear(func(mr mem.Ref) { freeMember(a, mr) })
	a.Free(mem.PurposeContainer, r, stHeader)
}

func stCopy(a mem.Allocator, r mem.Ref) mem.Ref {
	nr := stNew(a, stLen(a, r))
	nv := stLoad(a, nr)
	stForEach(a, r, func(m []byte) bool {
		nv.t.cur.insertAbsent(hashKey(m), newMember(a, m))
		return true
	})
	nv.save()
	return nr
}

// stBytes is what the set's blocks cost: the header, the arrays and the
// member blocks, estimated from the first samples members when there are
// more (0: all).
func stBytes(a mem.Allocator, r mem.Ref, samples int) int {
	v := stLoad(a, r)
	n := mem.BlockSize(a, r, stHeader) + v.t.AllocatedBytes()
	total, seen := 0, 0
	v.t.ForEach(func(mr mem.Ref) bool {
		total += mem.BlockSize(a, mr, memberSize(len(memberBytes(a, mr))))
		seen++
		return samples == 0 || seen < samples
	})
	if seen > 0 && seen < v.t.Len() {
		total = total * v.t.Len() / seen
	}
	return n + total
}
