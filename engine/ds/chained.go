package ds

// This file is the `chained` keyspace layout: a hash table with separate
// chaining and an incremental rehash between two bucket arrays, the layout
// of Redis's dict, built on the same allocator as the other layouts. Its
// place in the lab is to show how much of Redis's per-key overhead its
// table layout explains: every key costs one 24-byte chain entry (one
// allocator block, size-class rounding included) plus 8 to 16 bytes of
// bucket array at load 1/2..1, where the open table costs 8 to 16 bytes
// of slots in all.
//
// # Glossary
//
//   - bucket: 8 bytes, the Ref of the first entry of a chain (0: none).
//   - bucket array: 2^k buckets in one allocator block (mask = 2^k - 1).
//   - chain entry: a 24-byte allocator block for one key, holding three
//     8-byte words in the machine's byte order (little-endian on amd64):
//     the next entry of its chain, the key's Ref (its entry block, where
//     the key lives) and the key's 64-bit hash. Keeping the hash makes a
//     rehash and a scan free of key reads, and a lookup compares a key
//     only when the hashes are equal.
//   - index: a key's bucket, hash & mask.
//
// # Grammar
//
//	array := bucket{2^k}                  one block of 8*2^k bytes
//	bucket := Ref                         0, or the first chain entry
//	entry := <next Ref> <key Ref> <hash>  one block of 24 bytes
//
// # Diagram
//
//	bucket array (4 buckets, mask 3)
//	 [0] ──> entry{next ─┐, ref=k1, hash=..0x4}   ──> entry{next=0, ref=k7, hash=..0x8}
//	 [1] 0                └──────────────────────────^
//	 [2] ──> entry{next=0, ref=k3, hash=..0x6}
//	 [3] 0
//
// A new key goes to the head of its bucket's chain.
//
// Example: key "a" whose hash is 0x9e37_79b9_7f4a_7c16 in a table of 4
// buckets goes to bucket 0x...16 & 3 = 2. Its entry, with Ref 0x1234 and an
// empty chain behind it, is the 24 bytes
//
//	00 00 00 00 00 00 00 00  34 12 00 00 00 00 00 00  16 7c 4a 7f b9 79 37 9e
//	<next = 0>               <key Ref = 0x1234>        <hash>
//
// and bucket 2 holds the entry's Ref.
//
// # Resizing
//
// The table grows (x2) when an insert finds as many keys as buckets (load
// 1), and shrinks to the smallest power of two holding its keys (at least
// minChainBuckets) when fewer than 1/8 of its buckets are used, unless
// SetNoShrink holds it; it frees its arrays when its last key goes (again
// unless SetNoShrink). A resize allocates the new array and moves the old
// array's chains into it a bucket at a time: each Put/Get/Delete moves one
// non-empty bucket (passing at most 10 empty ones, more when shrinking),
// and RehashStep (the server cron) moves more. Moving relinks the entries;
// their blocks stay where they are. While moving, lookups try both arrays
// and inserts go to the new one. No resize starts while one is under way:
// the chains of the new array grow meanwhile.
//
// # SCAN cursor
//
// As Redis's dict scan: the cursor is a bucket index incremented in
// reverse binary (its bits under the mask reversed, incremented, reversed
// back), so a grow or shrink between two calls neither skips a bucket not
// yet covered nor restarts. While resizing, one call visits the smaller
// array's bucket c & m0, then every bucket of the larger array that expands
// from it (c & m1 for every value of the bits in m1 ^ m0). A key's index is
// the low bits of its hash, so its position in scan order is the hash's
// bits reversed: ScanPos(key) = Reverse64(hash), CursorPos(c) =
// Reverse64(c), and after Scan returned c the keys visited are those with
// ScanPos < CursorPos(c) while the table does not shrink (see
// table_scanpos.go for the argument, which holds here with H1 = hash).

import (
	"bytes"
	"math/bits"
	"unsafe"

	"rundb/engine/mem"
)

const (
	chainEntryBytes = 24 // next Ref, key Ref, hash: Redis's dictEntry size
	// minChainBuckets is the smallest bucket array, Redis's initial size.
	minChainBuckets = 4
	// chainStepBuckets is how many non-empty buckets each Put/Get/Delete
	// moves while resizing; chainEmptyVisits bounds the empty buckets it
	// passes per moved bucket (Redis: 1 and 10).
	chainStepBuckets = 1
	chainEmptyVisits = 10
	// chainRandomTries bounds Random's and Sample's random bucket draws
	// before they fall back to a walk from a random bucket (reached only by
	// a table far below its usual load).
	chainRandomTries = 128
)

// chainArr is one bucket array.
type chainArr struct {
	block mem.Ref
	b     []mem.Ref // the buckets; nil when not allocated
	mask  uint64
	used  int // keys in this array's chains
}

// chainEntry is the view of a chain entry block.
type chainEntry struct {
	next mem.Ref
	ref  mem.Ref
	hash uint64
}

// Chained is the chained layout. It is not safe for concurrent use.
type Chained struct {
	a     mem.Allocator
	p     mem.Purpose // of the arrays and the chain entries
	keyOf KeyFunc
	cur   chainArr // the array inserts go to
	old   chainArr // the array being moved into cur; old.b == nil unless resizing
	next  uint64   // the next bucket of old to move
	// entryAlloc is what the live chain entries cost the allocator.
	entryAlloc int
	// depth is the longest chain Sample has met since the last resize
	// ended: its rejection draws cover depth entries per bucket.
	depth    int
	noShrink bool
}

// NewChained returns an empty chained table whose arrays and entries come
// from a under purpose p; keyOf gives the key of a stored Ref.
func NewChained(a mem.Allocator, p mem.Purpose, keyOf KeyFunc) *Chained {
	return &Chained{a: a, p: p, keyOf: keyOf, depth: 1}
}

var _ KeyTable = (*Chained)(nil)

func init() {
	RegisterLayout("chained", func(a mem.Allocator, p mem.Purpose, keyOf KeyFunc) KeyTable { return NewChained(a, p, keyOf) })
}

func (t *Chained) ent(r mem.Ref) *chainEntry {
	return (*chainEntry)(unsafe.Pointer(unsafe.SliceData(t.a.Bytes(r, chainEntryBytes))))
}

func (t *Chained) newArr(n int) chainArr {
	ref := t.a.Alloc(t.p, n*8)
	b := unsafe.Slice((*mem.Ref)(unsafe.Pointer(unsafe.SliceData(t.a.Bytes(ref, n*8)))), n)
	clear(b)
	return chainArr{block: ref, b: b, mask: uint64(n - 1)}
}

func (t *Chained) freeArr(ar *chainArr) {
	if ar.b != nil {
		t.a.Free(t.p, ar.block, len(ar.b)*8)
	}
	*ar = chainArr{}
}

// Len is the number of keys.
func (t *Chained) Len() int { return t.cur.used + t.old.used }

// Resizing reports whether a resize is under way.
func (t *Chained) Resizing() bool { return t.old.b != nil }

// MemBytes is the size of the bucket arrays and chain entries.
func (t *Chained) MemBytes() int {
	return (len(t.cur.b)+len(t.old.b))*8 + t.Len()*chainEntryBytes
}

// AllocatedBytes is what the arrays and entries cost the allocator.
func (t *Chained) AllocatedBytes() int {
	n := t.entryAlloc
	for _, ar := range [2]*chainArr{&t.cur, &t.old} {
		if ar.b != nil {
			n += mem.BlockSize(t.a, ar.block, len(ar.b)*8)
		}
	}
	return n
}

// find returns the entry of key in ar and the entry before it (0 when it
// heads its chain), or 0.
func (t *Chained) find(ar *chainArr, key []byte, h uint64) (e, prev mem.Ref) {
	if ar.b == nil {
		return 0, 0
	}
	for e = ar.b[h&ar.mask]; e != 0; prev, e = e, t.ent(e).next {
		x := t.ent(e)
		if x.hash == h && bytes.Equal(t.keyOf(x.ref), key) {
			return e, prev
		}
	}
	return 0, 0
}

// lookup finds key in either array.
func (t *Chained) lookup(key []byte, h uint64) (ar *chainArr, e, prev mem.Ref) {
	if t.Resizing() {
		if e, prev = t.find(&t.old, key, h); e != 0 {
			return &t.old, e, prev
		}
	}
	e, prev = t.find(&t.cur, key, h)
	return &t.cur, e, prev
}

// Get returns the Ref stored for key, or 0.
func (t *Chained) Get(key []byte) mem.Ref {
	if t.Len() == 0 {
		return 0
	}
	h := hashKey(key)
	if t.Resizing() {
		t.step()
	}
	if _, e, _ := t.lookup(key, h); e != 0 {
		return t.ent(e).ref
	}
	return 0
}

// Put stores r for key: it inserts, or replaces the Ref stored for an equal
// key in its entry. It returns the replaced Ref, or 0 if key was absent.
func (t *Chained) Put(key []byte, r mem.Ref) mem.Ref {
	h := hashKey(key)
	if t.Resizing() {
		t.step()
	}
	if _, e, _ := t.lookup(key, h); e != 0 {
		x := t.ent(e)
		prev := x.ref
		x.ref = r
		return prev
	}
	switch {
	case t.cur.b == nil:
		t.cur = t.newArr(minChainBuckets)
	case !t.Resizing() && t.cur.used >= len(t.cur.b):
		t.startResize(len(t.cur.b) * 2)
	}
	e := t.a.Alloc(t.p, chainEntryBytes)
	t.entryAlloc += mem.BlockSize(t.a, e, chainEntryBytes)
	i := h & t.cur.mask
	*t.ent(e) = chainEntry{next: t.cur.b[i], ref: r, hash: h}
	t.cur.b[i] = e
	t.cur.used++
	return 0
}

// Delete removes key and returns its Ref, or 0 if it was absent.
func (t *Chained) Delete(key []byte) mem.Ref {
	if t.Len() == 0 {
		return 0
	}
	h := hashKey(key)
	if t.Resizing() {
		t.step()
	}
	ar, e, prev := t.lookup(key, h)
	if e == 0 {
		return 0
	}
	x := t.ent(e)
	r := x.ref
	if prev == 0 {
		ar.b[h&ar.mask] = x.next
	} else {
		t.ent(prev).next = x.next
	}
	ar.used--
	t.entryAlloc -= mem.BlockSize(t.a, e, chainEntryBytes)
	t.a.Free(t.p, e, chainEntryBytes)
	if t.Len() == 0 && !t.noShrink {
		t.freeArr(&t.old)
		t.freeArr(&t.cur)
		t.next, t.depth = 0, 1
	} else {
		t.maybeShrink()
	}
	return r
}

func (t *Chained) startResize(n int) {
	t.old = t.cur
	t.cur = t.newArr(n)
	t.next = 0
}

// maybeShrink starts a shrink when fewer than 1/8 of cur's buckets are
// used: to the smallest power of two at least the number of keys.
func (t *Chained) maybeShrink() {
	if t.noShrink || t.Resizing() || len(t.cur.b) <= minChainBuckets || t.cur.used*8 >= len(t.cur.b) {
		return
	}
	n := minChainBuckets
	for n < t.cur.used {
		n *= 2
	}
	t.startResize(n)
}

// step is the resize work of one Put/Get/Delete.
func (t *Chained) step() {
	visits := chainEmptyVisits
	if r := len(t.old.b) / len(t.cur.b); r > 1 {
		visits *= r // shrinking: old has many more (mostly empty) buckets to pass
	}
	t.moveBuckets(chainStepBuckets, visits)
}

// moveBuckets moves old's chains into cur, stopping after `full` non-empty
// buckets or `visits` buckets in all; it ends the resize after the last.
func (t *Chained) moveBuckets(full, visits int) {
	n := uint64(len(t.old.b))
	for ; t.next < n && full > 0 && visits > 0; t.next++ {
		visits--
		e := t.old.b[t.next]
		if e == 0 {
			continue
		}
		full--
		for e != 0 {
			x := t.ent(e)
			next := x.next
			i := x.hash & t.cur.mask
			x.next = t.cur.b[i]
			t.cur.b[i] = e
			t.old.used--
			t.cur.used++
			e = next
		}
		t.old.b[t.next] = 0
	}
	if t.next == n {
		t.freeArr(&t.old)
		t.next, t.depth = 0, 1
	}
}

// RehashStep moves up to `buckets` non-empty buckets of an ongoing resize
// (passing at most 10 empty buckets each) and reports whether a resize is
// still under way. When none is, it starts a shrink if the table is sparse.
func (t *Chained) RehashStep(buckets int) bool {
	if !t.Resizing() {
		t.maybeShrink()
		return t.Resizing()
	}
	t.moveBuckets(buckets, buckets*chainEmptyVisits)
	return t.Resizing()
}

// Scan visits one step of a SCAN (see the file's doc) and returns the next
// cursor; fn must not modify the table.
func (t *Chained) Scan(cursor uint64, fn func(r mem.Ref)) uint64 {
	if t.Len() == 0 {
		return 0
	}
	if !t.Resizing() {
		t.scanBucket(&t.cur, cursor, fn)
		return revIncr(cursor, t.cur.mask)
	}
	small, large := &t.old, &t.cur
	if small.mask > large.mask {
		small, large = large, small
	}
	m0, m1 := small.mask, large.mask
	v := cursor
	t.scanBucket(small, v, fn)
	for {
		t.scanBucket(large, v, fn)
		v = revIncr(v, m1)
		if v&(m0^m1) == 0 {
			return v
		}
	}
}

func (t *Chained) scanBucket(ar *chainArr, cursor uint64, fn func(r mem.Ref)) {
	for e := ar.b[cursor&ar.mask]; e != 0; {
		x := t.ent(e)
		e = x.next
		fn(x.ref)
	}
}

// ScanPos is key's position in Scan order: its hash, bits reversed.
func (t *Chained) ScanPos(key []byte) uint64 { return bits.Reverse64(hashKey(key)) }

// CursorPos is the position of a cursor Scan returned (see ScanPos).
func (t *Chained) CursorPos(cursor uint64) uint64 { return bits.Reverse64(cursor) }

// SetNoShrink keeps the table from shrinking, and from freeing its arrays
// when it empties, while on; turning it off frees the arrays of a table
// left empty.
func (t *Chained) SetNoShrink(on bool) {
	t.noShrink = on
	if !on && t.Len() == 0 {
		t.Clear(nil)
	}
}

// NoShrink reports whether SetNoShrink is on.
func (t *Chained) NoShrink() bool { return t.noShrink }

// bucketAt is bucket s of the concatenation cur, old (old's moved buckets
// are empty).
func (t *Chained) bucketAt(s uint64) mem.Ref {
	if n := uint64(len(t.cur.b)); s >= n {
		return t.old.b[s-n]
	}
	return t.cur.b[s]
}

func (t *Chained) buckets() uint64 { return uint64(len(t.cur.b) + len(t.old.b)) }

// Random returns a stored Ref chosen with the randomness in rnd, or 0 if
// the table is empty: a random non-empty bucket, then a random entry of its
// chain, as Redis's dict does; keys in short chains are favoured a little.
func (t *Chained) Random(rnd uint64) mem.Ref {
	if t.Len() == 0 {
		return 0
	}
	n := t.buckets()
	x := mix64(rnd)
	for try := 0; try < chainRandomTries; try++ {
		if e := t.bucketAt(x % n); e != 0 {
			return t.chainPick(e, x>>32)
		}
		x = mix64(x + 0x9e3779b97f4a7c15)
	}
	// Far below the usual load: the first non-empty bucket from here.
	for s := x % n; ; s = (s + 1) % n {
		if e := t.bucketAt(s); e != 0 {
			return t.chainPick(e, x>>32)
		}
	}
}

// chainPick returns the Ref of entry rnd % length of the chain at e.
func (t *Chained) chainPick(e mem.Ref, rnd uint64) mem.Ref {
	l := 0
	for c := e; c != 0; c = t.ent(c).next {
		l++
	}
	for k := rnd % uint64(l); k > 0; k-- {
		e = t.ent(e).next
	}
	return t.ent(e).ref
}

// Sample returns a stored Ref chosen uniformly among all of them, or 0 if
// the table is empty. It draws a (bucket, depth) pair uniformly among
// buckets x t.depth and retries when that chain has no entry at that depth,
// so every key has the same chance as long as no chain is longer than
// depth; a draw that meets a longer chain raises depth and is retried.
// Expected draws: depth / load (depth is the longest chain met since the
// last resize, a handful at load 1/2..1).
func (t *Chained) Sample(rnd uint64) mem.Ref {
	if t.Len() == 0 {
		return 0
	}
	n := t.buckets()
	x := rnd
	for try := 0; try < chainRandomTries; try++ {
		x = mix64(x + 0x9e3779b97f4a7c15)
		e := t.bucketAt(x % n)
		if e == 0 {
			continue
		}
		d := int((x >> 32) % uint64(t.depth))
		l, at := 0, mem.Ref(0)
		for c := e; c != 0; c = t.ent(c).next {
			if l == d {
				at = c
			}
			l++
		}
		if l > t.depth {
			t.depth = l // a longer chain than the draws covered: retry
			continue
		}
		if at != 0 {
			return t.ent(at).ref
		}
	}
	return t.Random(x)
}

// ForEach calls fn on every stored Ref once, until fn returns false. fn must
// not modify the table.
func (t *Chained) ForEach(fn func(r mem.Ref) bool) {
	for _, ar := range [2]*chainArr{&t.old, &t.cur} {
		for _, e := range ar.b {
			for e != 0 {
				x := t.ent(e)
				e = x.next
				if !fn(x.ref) {
					return
				}
			}
		}
	}
}

// Clear empties the table: it calls free (if non-nil) on every stored Ref,
// and gives the entries and arrays back to the allocator.
func (t *Chained) Clear(free func(r mem.Ref)) {
	for _, ar := range [2]*chainArr{&t.old, &t.cur} {
		for _, e := range ar.b {
			for e != 0 {
				x := t.ent(e)
				next := x.next
				if free != nil {
					free(x.ref)
				}
				t.a.Free(t.p, e, chainEntryBytes)
				e = next
			}
		}
		t.freeArr(ar)
	}
	t.entryAlloc, t.next, t.depth = 0, 0, 1
}
