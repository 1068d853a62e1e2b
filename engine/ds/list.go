package ds

// Lists: the operations list commands call, over either form of a list.
//
// A list whose elements fit one quicklist node lives as a bare listpack: the
// entry's container (encoding EncListpack) is one block holding the list's
// fill and compress and the listpack, so a small list costs the entry block
// and this one block. A list that outgrows one node is a quicklist
// (quicklist.go: a header block and node blocks). OBJECT ENCODING reports
// "quicklist" for both forms, as Redis 7.0 does for every list, and DEBUG
// OBJECT shows a bare list as a quicklist of one node: the two forms differ
// only in how many blocks they take.
//
// # The bare block
//
//	<bare> = <fill 2> <compress 2> <listpack>
//
// fill and compress are list-max-listpack-size and list-compress-depth as
// they were when the list was created (int16 and uint16, little-endian);
// they move into the quicklist header when the list converts, so a list
// keeps its fill across both forms as Redis 7.0's lists keep theirs. The
// listpack (listpack.go) starts at byte 4 and the block is exactly 4 + its
// total bytes. An empty list has no block: it is deleted with its key.
//
// # Conversions
//
// Bare to quicklist: when an element would take the listpack past the fill
// (fillFits: the same bound as a quicklist node's), the listpack's entries
// become the quicklist's one node and the operation continues on the
// quicklist, so the nodes come out as they would had the list always been
// a quicklist. A single element larger than the bound stays bare, as it
// would get a node of its own.
//
// Quicklist to bare: after an operation that removes elements, a quicklist
// of one node goes back to bare when that node is within half the fill
// (fillFits with twice its bytes and entries). The gap between the two
// thresholds means pushing and popping at the boundary converts once, not
// on each command. With fill 1 (one element per node) a list never goes
// back to bare.
//
// # Worked example
//
// RPUSH l a 7 with fill -2, compress 0: one block of 16 bytes,
//
//	[fe ff] [00 00] [0c 00 00 00] [02 00] [81 61 02] [07 01] [ff]
//	 fill -2 compress total 12     count 2 "a"        7       end

import (
	"encoding/binary"

	"rundb/engine/mem"
)

const (
	blFill     = 0
	blCompress = 2
	blBase     = 4 // the listpack's offset in a bare list's block
)

func init() {
	RegisterContainer(EncListpack, ContainerOps{
		Len:   func(a mem.Allocator, c mem.Ref) int { return openBare(a, c).Len() },
		Free:  func(a mem.Allocator, c mem.Ref) { l := openBare(a, c); l.Free() },
		Copy:  func(a mem.Allocator, c mem.Ref) mem.Ref { return openBare(a, c).Copy().r },
		Bytes: func(a mem.Allocator, c mem.Ref, samples int) int { return openBare(a, c).Bytes(samples) },
	})
}

// List is a list in either form. The methods that change the list may
// change its form or move its blocks: they take a pointer, and Container
// then names the list as it is.
type List struct {
	a   mem.Allocator
	enc uint8   // EncListpack (bare) or EncQuicklist
	r   mem.Ref // the bare block or the quicklist header; 0: empty (bare)
	// fill and compress of an empty list (no block to hold them).
	fill, compress int
}

// NewList is an empty list with fill (list-max-listpack-size) and compress
// (list-compress-depth); it takes no block until its first push.
func NewList(a mem.Allocator, fill, compress int) List {
	return List{a: a, enc: EncListpack, fill: fill, compress: compress}
}

// OpenList views list container c (either form).
func OpenList(a mem.Allocator, c Container) List {
	return List{a: a, enc: c.Enc & encMask, r: c.Ref}
}

func openBare(a mem.Allocator, r mem.Ref) List { return List{a: a, enc: EncListpack, r: r} }

// Container names the list as it is; the zero Container once it is empty.
func (l List) Container() Container {
	if l.r == 0 {
		return Container{}
	}
	return Container{Enc: l.enc, Ref: l.r}
}

// Bare reports whether the list is a bare listpack (or empty).
func (l List) Bare() bool { return l.enc != EncQuicklist }

func (l List) ql() Quicklist { return OpenQuicklist(l.a, l.r) }

// lp views a bare list's listpack (the list is not empty).
func (l List) lp() []byte { return lpView(l.a, l.r, blBase) }

// Len is the number of elements.
func (l List) Len() int {
	switch {
	case l.enc == EncQuicklist:
		return l.ql().Len()
	case l.r == 0:
		return 0
	}
	h := l.a.Bytes(l.r, blBase+lpHeaderSize)
	if n := int(binary.LittleEndian.Uint16(h[blBase+4:])); n != lpCountMax {
		return n
	}
	return lpCount(l.lp())
}

// Fill is the list's list-max-listpack-size.
func (l List) Fill() int {
	switch {
	case l.enc == EncQuicklist:
		return l.ql().Fill()
	case l.r == 0:
		return l.fill
	}
	fill, _ := l.params()
	return fill
}

// Compress is the list's list-compress-depth.
func (l List) Compress() int {
	switch {
	case l.enc == EncQuicklist:
		return l.ql().Compress()
	case l.r == 0:
		return l.compress
	}
	_, compress := l.params()
	return compress
}

// params reads a bare list's fill and compress (the list has a block).
func (l List) params() (fill, compress int) {
	h := l.a.Bytes(l.r, blBase)
	return int(int16(binary.LittleEndian.Uint16(h[blFill:]))), int(binary.LittleEndian.Uint16(h[blCompress:]))
}

// keepParams copies a bare list's fill and compress into l before its
// block goes, so that a push after it empties keeps them.
func (l *List) keepParams() { l.fill, l.compress = l.params() }

// Nodes is the number of quicklist nodes (a bare list counts as one).
func (l List) Nodes() int {
	switch {
	case l.enc == EncQuicklist:
		return l.ql().Nodes()
	case l.r == 0:
		return 0
	}
	return 1
}

// ListpackBytes is the sum of the list's listpack sizes (DEBUG OBJECT's
// ql_uncompressed_size).
func (l List) ListpackBytes() int {
	switch {
	case l.enc == EncQuicklist:
		return l.ql().ListpackBytes()
	case l.r == 0:
		return 0
	}
	return len(l.lp())
}

// Index reads element i (negative: from the end, -1 the last); ok is false
// when there is none. The element may alias the list: it is valid until the
// list next changes.
func (l List) Index(i int) (Elem, bool) {
	if l.enc == EncQuicklist {
		return l.ql().Index(i)
	}
	n := l.Len()
	if i < 0 {
		i += n
	}
	if i < 0 || i >= n {
		return Elem{}, false
	}
	b := l.lp()
	return lpGet(b, seekIn(b, i, n)), true
}

// Range calls fn with elements start to end (0 <= start <= end < Len), in
// order, or from end down to start when rev is set, until fn returns false.
// fn must not change the list.
func (l List) Range(start, end int, rev bool, fn func(e Elem) bool) {
	if l.enc == EncQuicklist {
		l.ql().Range(start, end, rev, fn)
		return
	}
	todo := end - start + 1
	if todo <= 0 {
		return
	}
	b, n := l.lp(), l.Len()
	off := seekIn(b, start, n)
	if rev {
		off = seekIn(b, end, n)
	}
	for ; todo > 0 && fn(lpGet(b, off)); todo-- {
		if rev {
			off = lpPrev(b, off)
		} else {
			off = lpNext(b, off)
		}
	}
}

// PushHead adds v before the first element.
func (l *List) PushHead(v []byte) { l.Push(true, [][]byte{v}) }

// PushTail adds v after the last element.
func (l *List) PushTail(v []byte) { l.Push(false, [][]byte{v}) }

// Push adds vals one after another at the head (each before the previous,
// as LPUSH does) or at the tail. A bare list takes as many as fit in one
// resize of its block, then converts if more remain.
func (l *List) Push(head bool, vals [][]byte) {
	if l.enc != EncQuicklist {
		if vals = l.pushBare(head, vals); len(vals) == 0 {
			return
		}
		l.toQuicklist()
	}
	q := l.ql()
	for _, v := range vals {
		q.push(head, v)
	}
}

// pushBare pushes the first of vals that fit the bare listpack and
// returns the rest.
func (l *List) pushBare(head bool, vals [][]byte) [][]byte {
	fill := l.fill
	size, cnt := lpEmptySize, 0
	if l.r != 0 {
		b := l.lp()
		fill, _ = l.params()
		size, cnt = len(b), l.Len()
	}
	// The entries in the order of vals, as many as fit.
	var buf [128]byte
	ins := buf[:0]
	k := 0
	for ; k < len(vals); k++ {
		n := len(ins)
		ins = lpAppendEntry(ins, vals[k])
		if cnt+k > 0 && !fillFits(fill, size+len(ins), cnt+k+1) {
			ins = ins[:n]
			break
		}
	}
	if k == 0 {
		return vals
	}
	if head && k > 1 {
		// LPUSH a b c puts c first: the entries in reverse order.
		offs := make([]int, 0, k)
		for off := 0; off < len(ins); off += lpEntryLen(ins, off) {
			offs = append(offs, off)
		}
		rev := make([]byte, 0, len(ins))
		end := len(ins)
		for j := k - 1; j >= 0; j-- {
			rev = append(rev, ins[offs[j]:end]...)
			end = offs[j]
		}
		ins = rev
	}
	if l.r == 0 {
		l.r = newBare(l.a, l.fill, l.compress, ins, k)
		return vals[k:]
	}
	off := lpHeaderSize
	if !head {
		off = size - 1
	}
	l.r = lpSplice(l.a, l.r, blBase, off, 0, ins, 0, k)
	return vals[k:]
}

// newBare allocates a bare block with fill and compress holding ents (cnt
// whole entries).
func newBare(a mem.Allocator, fill, compress int, ents []byte, cnt int) mem.Ref {
	size := blBase + lpEmptySize + len(ents)
	r := a.Alloc(mem.PurposeContainer, size)
	b := a.Bytes(r, size)
	binary.LittleEndian.PutUint16(b[blFill:], uint16(int16(fill)))
	binary.LittleEndian.PutUint16(b[blCompress:], uint16(compress))
	lp := b[blBase:]
	binary.LittleEndian.PutUint32(lp, uint32(len(lp)))
	binary.LittleEndian.PutUint16(lp[4:], uint16(min(cnt, lpCountMax)))
	copy(lp[lpHeaderSize:], ents)
	lp[len(lp)-1] = lpEnd
	return r
}

// toQuicklist converts a bare list to a quicklist whose one node holds
// its elements (none when it is empty).
func (l *List) toQuicklist() {
	fill, compress := l.fill, l.compress
	if l.r != 0 {
		fill, compress = l.params()
	}
	var q Quicklist
	if l.r == 0 {
		q = NewQuicklist(l.a, fill, compress)
	} else {
		b := l.lp()
		q = newQuicklistOf(l.a, fill, compress, b[lpHeaderSize:len(b)-1], lpCount(b))
		l.a.Free(mem.PurposeContainer, l.r, blBase+len(b))
	}
	l.enc, l.r = EncQuicklist, q.r
}

// settle returns a quicklist that an operation shrank to a bare list when
// it is one node within half its fill, and frees an emptied one.
func (l *List) settle() {
	q := l.ql()
	switch {
	case q.Len() == 0:
		l.fill, l.compress = q.Fill(), q.Compress()
		q.Free()
		l.enc, l.r = EncListpack, 0
		return
	case q.Nodes() != 1:
		return
	}
	n := q.get(qlHead)
	b := q.lp(n)
	fill, cnt := q.Fill(), lpCount(b)
	if !fillFits(fill, 2*len(b), 2*cnt) {
		return
	}
	r := newBare(l.a, fill, q.Compress(), b[lpHeaderSize:len(b)-1], cnt)
	q.Free()
	l.enc, l.r = EncListpack, r
}

// freeIfEmpty frees a bare list's block once it holds no element.
func (l *List) freeIfEmpty() {
	if l.r == 0 || l.Len() > 0 {
		return
	}
	l.keepParams()
	l.Free()
}

// Insert stores v as element i (0 <= i <= Len): before the element now at
// i, or last when i is Len.
func (l *List) Insert(i int, v []byte) {
	if l.enc != EncQuicklist {
		n := l.Len()
		if i == 0 || i == n {
			l.Push(i == 0, [][]byte{v})
			return
		}
		b := l.lp()
		var buf [64]byte
		ent := lpAppendEntry(buf[:0], v)
		if fillFits(l.Fill(), len(b)+len(ent), n+1) {
			l.r = lpSplice(l.a, l.r, blBase, seekIn(b, i, n), 0, ent, 0, 1)
			return
		}
		l.toQuicklist()
	}
	l.ql().Insert(i, v)
}

// Delete removes n elements from element start on (all of them must exist).
func (l *List) Delete(start, n int) {
	if n <= 0 {
		return
	}
	if l.enc == EncQuicklist {
		l.ql().Delete(start, n)
		l.settle()
		return
	}
	b := l.lp()
	off := seekIn(b, start, l.Len())
	end := off
	for j := 0; j < n; j++ {
		end += lpEntryLen(b, end)
	}
	l.r = lpSplice(l.a, l.r, blBase, off, end-off, nil, n, 0)
	l.freeIfEmpty()
}

// Pop removes the first (head) or last element, appending its text to dst;
// ok is false when the list is empty.
func (l *List) Pop(head bool, dst []byte) ([]byte, bool) {
	ok := l.PopWith(head, func(e Elem) { dst = e.Append(dst) })
	return dst, ok
}

// PopWith removes the first (head) or last element, calling fn with it
// just before (the element aliases the list); it returns false, calling
// nothing, when the list is empty.
func (l *List) PopWith(head bool, fn func(e Elem)) bool {
	if l.enc == EncQuicklist {
		ok := l.ql().PopWith(head, fn)
		l.settle()
		return ok
	}
	if l.r == 0 {
		return false
	}
	b := l.lp()
	off := lpHeaderSize
	if !head {
		off = lpLast(b)
	}
	fn(lpGet(b, off))
	if lpNext(b, off) < 0 && lpPrev(b, off) < 0 {
		l.keepParams()
		l.a.Free(mem.PurposeContainer, l.r, blBase+len(b))
		l.r = 0
		return true
	}
	l.r = lpSplice(l.a, l.r, blBase, off, lpEntryLen(b, off), nil, 1, 0)
	return true
}

// Replace stores v in place of element i (0 <= i < Len).
func (l *List) Replace(i int, v []byte) {
	if l.enc == EncQuicklist {
		l.ql().Replace(i, v)
		l.settle()
		return
	}
	var buf [64]byte
	ent := lpAppendEntry(buf[:0], v)
	b, n := l.lp(), l.Len()
	off := seekIn(b, i, n)
	old := lpEntryLen(b, off)
	if n == 1 || len(ent) <= old || fillFits(l.Fill(), len(b)+len(ent)-old, n) {
		l.r = lpSplice(l.a, l.r, blBase, off, old, ent, 1, 1)
		return
	}
	l.toQuicklist()
	l.ql().Replace(i, v)
}

// Remove deletes the elements equal to v: the first max of them from the
// head (max > 0), the last -max from the tail (max < 0), or all (max 0).
// It returns how many it removed.
func (l *List) Remove(v []byte, max int) int {
	if l.enc == EncQuicklist {
		n := l.ql().Remove(v, max)
		if n > 0 {
			l.settle()
		}
		return n
	}
	if l.r == 0 {
		return 0
	}
	rev := max < 0
	if rev {
		max = -max
	}
	removed := 0
	b := l.lp()
	off := lpFirst(b)
	if rev {
		off = lpLast(b)
	}
	for max == 0 || removed < max {
		if off = lpFindEq(b, off, v, rev); off < 0 {
			break
		}
		removed++
		prevOff := lpPrev(b, off)
		l.r = lpSplice(l.a, l.r, blBase, off, lpEntryLen(b, off), nil, 1, 0)
		b = l.lp()
		if rev {
			off = prevOff
		} else if b[off] == lpEnd {
			off = -1
		}
	}
	l.freeIfEmpty()
	return removed
}

// Free gives back every block of the list; it is then empty.
func (l *List) Free() {
	switch {
	case l.r == 0:
		return
	case l.enc == EncQuicklist:
		l.ql().Free()
	default:
		l.a.Free(mem.PurposeContainer, l.r, blBase+len(l.lp()))
	}
	l.enc, l.r = EncListpack, 0
}

// Copy returns a deep copy of the list, in the same form.
func (l List) Copy() List {
	switch {
	case l.r == 0:
		return l
	case l.enc == EncQuicklist:
		return List{a: l.a, enc: EncQuicklist, r: l.ql().Copy().r}
	}
	size := blBase + len(l.lp())
	r := l.a.Alloc(mem.PurposeContainer, size)
	copy(l.a.Bytes(r, size), l.a.Bytes(l.r, size))
	return List{a: l.a, enc: EncListpack, r: r}
}

// Bytes is what the list's blocks cost the allocator (mem.BlockSize of
// each); samples as Quicklist.Bytes.
func (l List) Bytes(samples int) int {
	switch {
	case l.r == 0:
		return 0
	case l.enc == EncQuicklist:
		return l.ql().Bytes(samples)
	}
	return mem.BlockSize(l.a, l.r, blBase+len(l.lp()))
}

// check verifies the list's invariants: a bare listpack is valid, not
// empty and within its fill unless it holds one element; a quicklist's as
// Quicklist.check. For tests.
func (l List) check() string {
	switch {
	case l.r == 0:
		return ""
	case l.enc == EncQuicklist:
		return l.ql().check()
	}
	b := l.lp()
	if !lpValidate(b) {
		return "invalid bare listpack"
	}
	c := lpCount(b)
	if c == 0 {
		return "empty bare listpack"
	}
	if c > 1 && !fillFits(l.Fill(), len(b), c) {
		return "bare listpack over its fill"
	}
	return ""
}
