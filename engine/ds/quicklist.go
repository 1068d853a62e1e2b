package ds

// The quicklist: a list as a doubly linked list of listpack nodes, each
// node bounded by the list's fill (list-max-listpack-size), so a push or a
// pop moves at most one node's bytes however long the list is. Redis 7.0
// reports every list as "quicklist" (OBJECT ENCODING), and so does rundb.
//
// # Blocks
//
// A quicklist is one header block and one block per node, all of purpose
// mem.PurposeContainer:
//
//	<header> = <head 8> <tail 8> <count 8> <nodes 4> <fill 2> <compress 2>  (32 bytes)
//	<node>   = <prev 8> <next 8> <listpack>
//
// head, tail, prev and next are node Refs (0: none), little-endian; count
// is the number of elements, nodes the number of nodes; fill and compress
// are list-max-listpack-size and list-compress-depth as they were when the
// list was created (Redis keeps them per list the same way). A node's
// listpack (listpack.go) starts at byte 16 of its block and the block is
// exactly 16 + the listpack's total bytes, so a node's size is read from
// its own header. No node is ever empty except for an instant inside one
// operation.
//
// # Fill
//
// A negative fill bounds a node's listpack bytes: -1 4 KB, -2 8 KB (the
// default), -3 16 KB, -4 32 KB, -5 64 KB. A positive fill bounds its
// entries, and then its bytes by 8 KB as a safety limit, as Redis does. A
// single element larger than the bound gets a node of its own.
//
// # Compression
//
// compress (list-compress-depth) is kept with the list, but rundb does not
// compress inner nodes: every node is a plain listpack.
//
// # Worked example
//
// RPUSH l a 7 with fill -2: the header at Ref 5 and one node at Ref 6 (28 bytes):
//
//	header [06 00 00 00 00 00 00 00] [06 00 .. 00] [02 00 .. 00] [01 00 00 00] [fe ff] [00 00]
//	        head 6                    tail 6        count 2       nodes 1       fill -2 compress 0
//	node   [00 .. 00] [00 .. 00] [0c 00 00 00] [02 00] [81 61 02] [07 01] [ff]
//	        prev 0     next 0     total 12      count 2  "a"        7       end

import (
	"encoding/binary"

	"rundb/engine/mem"
)

const (
	qlHead       = 0
	qlTail       = 8
	qlCount      = 16
	qlNodes      = 24
	qlFill       = 28
	qlCompress   = 30
	qlHeaderSize = 32

	qnPrev = 0
	qnNext = 8
	qnBase = 16 // the listpack's offset in a node block

	// qlSafetyLimit bounds a node's listpack bytes when the fill counts
	// entries, so that a positive fill cannot make huge nodes.
	qlSafetyLimit = 8192
)

// qlSizeLimit is the listpack byte bound of negative fill f (-1 .. -5).
func qlSizeLimit(f int) int { return 4096 << (min(-f, 5) - 1) }

func init() {
	RegisterContainer(EncQuicklist, ContainerOps{
		Len:   func(a mem.Allocator, c mem.Ref) int { return OpenQuicklist(a, c).Len() },
		Free:  func(a mem.Allocator, c mem.Ref) { OpenQuicklist(a, c).Free() },
		Copy:  func(a mem.Allocator, c mem.Ref) mem.Ref { return OpenQuicklist(a, c).Copy().Ref() },
		Bytes: func(a mem.Allocator, c mem.Ref, samples int) int { return OpenQuicklist(a, c).Bytes(samples) },
	})
}

// Quicklist is a view of a quicklist's header block. It is a value; every
// copy stays valid while the list lives (the header block never moves).
type Quicklist struct {
	a mem.Allocator
	r mem.Ref
	h []byte
}

// NewQuicklist allocates an empty list with fill (list-max-listpack-size)
// and compress (list-compress-depth).
func NewQuicklist(a mem.Allocator, fill, compress int) Quicklist {
	r := a.Alloc(mem.PurposeContainer, qlHeaderSize)
	h := a.Bytes(r, qlHeaderSize)
	clear(h)
	binary.LittleEndian.PutUint16(h[qlFill:], uint16(int16(fill)))
	binary.LittleEndian.PutUint16(h[qlCompress:], uint16(compress))
	return Quicklist{a, r, h}
}

// newQuicklistOf allocates a list with fill and compress whose one node
// holds ents (cnt whole listpack entries, at least one).
func newQuicklistOf(a mem.Allocator, fill, compress int, ents []byte, cnt int) Quicklist {
	q := NewQuicklist(a, fill, compress)
	q.newNode(0, ents, cnt)
	q.addCount(cnt)
	return q
}

// OpenQuicklist views the quicklist whose header is block r.
func OpenQuicklist(a mem.Allocator, r mem.Ref) Quicklist {
	return Quicklist{a, r, a.Bytes(r, qlHeaderSize)}
}

// Ref is the header block.
func (q Quicklist) Ref() mem.Ref { return q.r }

// Container names q as an entry's container.
func (q Quicklist) Container() Container { return Container{Enc: EncQuicklist, Ref: q.r} }

// Len is the number of elements.
func (q Quicklist) Len() int { return int(binary.LittleEndian.Uint64(q.h[qlCount:])) }

// Nodes is the number of nodes.
func (q Quicklist) Nodes() int { return int(binary.LittleEndian.Uint32(q.h[qlNodes:])) }

// Fill is the list's list-max-listpack-size.
func (q Quicklist) Fill() int { return int(int16(binary.LittleEndian.Uint16(q.h[qlFill:]))) }

// Compress is the list's list-compress-depth.
func (q Quicklist) Compress() int { return int(binary.LittleEndian.Uint16(q.h[qlCompress:])) }

func (q Quicklist) get(off int) mem.Ref { return mem.Ref(binary.LittleEndian.Uint64(q.h[off:])) }
func (q Quicklist) set(off int, r mem.Ref) {
	binary.LittleEndian.PutUint64(q.h[off:], uint64(r))
}
func (q Quicklist) addCount(d int) {
	binary.LittleEndian.PutUint64(q.h[qlCount:], uint64(q.Len()+d))
}
func (q Quicklist) addNodes(d int) {
	binary.LittleEndian.PutUint32(q.h[qlNodes:], uint32(q.Nodes()+d))
}

// Node links.
func (q Quicklist) link(n mem.Ref, off int) mem.Ref {
	return mem.Ref(binary.LittleEndian.Uint64(q.a.Bytes(n, qnBase)[off:]))
}
func (q Quicklist) setLink(n mem.Ref, off int, to mem.Ref) {
	binary.LittleEndian.PutUint64(q.a.Bytes(n, qnBase)[off:], uint64(to))
}
func (q Quicklist) prev(n mem.Ref) mem.Ref { return q.link(n, qnPrev) }
func (q Quicklist) next(n mem.Ref) mem.Ref { return q.link(n, qnNext) }

// lp views node n's listpack.
func (q Quicklist) lp(n mem.Ref) []byte { return lpView(q.a, n, qnBase) }

// nodeCount is the number of entries of node n.
func (q Quicklist) nodeCount(n mem.Ref) int {
	h := q.a.Bytes(n, qnBase+lpHeaderSize)[qnBase:]
	if c := int(binary.LittleEndian.Uint16(h[4:])); c != lpCountMax {
		return c
	}
	return lpCount(q.lp(n))
}

// nodeHead reads node n's links, its listpack's total bytes and its count
// field (lpCountMax: unknown) with one view of the block's first bytes.
func (q Quicklist) nodeHead(n mem.Ref) (prev, next mem.Ref, total, cnt int) {
	h := q.a.Bytes(n, qnBase+lpHeaderSize)
	return mem.Ref(binary.LittleEndian.Uint64(h[qnPrev:])), mem.Ref(binary.LittleEndian.Uint64(h[qnNext:])),
		int(binary.LittleEndian.Uint32(h[qnBase:])), int(binary.LittleEndian.Uint16(h[qnBase+4:]))
}

// newNode allocates a node holding ents (cnt whole entries, possibly none)
// and links it after node after (0: as the head).
func (q Quicklist) newNode(after mem.Ref, ents []byte, cnt int) mem.Ref {
	size := qnBase + lpEmptySize + len(ents)
	n := q.a.Alloc(mem.PurposeContainer, size)
	b := q.a.Bytes(n, size)
	lp := b[qnBase:]
	binary.LittleEndian.PutUint32(lp, uint32(len(lp)))
	binary.LittleEndian.PutUint16(lp[4:], uint16(min(cnt, lpCountMax)))
	copy(lp[lpHeaderSize:], ents)
	lp[len(lp)-1] = lpEnd
	var next mem.Ref
	if after == 0 {
		next = q.get(qlHead)
	} else {
		next = q.next(after)
	}
	binary.LittleEndian.PutUint64(b[qnPrev:], uint64(after))
	binary.LittleEndian.PutUint64(b[qnNext:], uint64(next))
	if after == 0 {
		q.set(qlHead, n)
	} else {
		q.setLink(after, qnNext, n)
	}
	if next == 0 {
		q.set(qlTail, n)
	} else {
		q.setLink(next, qnPrev, n)
	}
	q.addNodes(1)
	return n
}

// removeNode unlinks node n and frees it (its elements are not counted
// off: the caller does that).
func (q Quicklist) removeNode(n mem.Ref) {
	p, nx, total, _ := q.nodeHead(n)
	q.unlinkNode(n, p, nx, total)
}

// unlinkNode is removeNode for node n whose links and listpack size the
// caller has read.
func (q Quicklist) unlinkNode(n, p, nx mem.Ref, total int) {
	if p == 0 {
		q.set(qlHead, nx)
	} else {
		q.setLink(p, qnNext, nx)
	}
	if nx == 0 {
		q.set(qlTail, p)
	} else {
		q.setLink(nx, qnPrev, p)
	}
	q.a.Free(mem.PurposeContainer, n, qnBase+total)
	q.addNodes(-1)
}

// splice is lpSplice on node n's listpack; when the node block moves, its
// neighbours and the header are pointed at the new block, which it returns.
func (q Quicklist) splice(n mem.Ref, off, del int, ins []byte, dn, in int) mem.Ref {
	nn := lpSplice(q.a, n, qnBase, off, del, ins, dn, in)
	if nn != n {
		p, nx := q.prev(nn), q.next(nn)
		if p == 0 {
			q.set(qlHead, nn)
		} else {
			q.setLink(p, qnNext, nn)
		}
		if nx == 0 {
			q.set(qlTail, nn)
		} else {
			q.setLink(nx, qnPrev, nn)
		}
	}
	return nn
}

// fits reports whether a node whose listpack would be size bytes with cnt
// entries stays within the fill.
func (q Quicklist) fits(size, cnt int) bool { return fillFits(q.Fill(), size, cnt) }

// fillFits reports whether a listpack of size bytes with cnt entries stays
// within fill (list-max-listpack-size): the bound of a quicklist node, and
// of a bare list (list.go).
func fillFits(fill, size, cnt int) bool {
	if fill < 0 {
		return size <= qlSizeLimit(fill)
	}
	return size <= qlSafetyLimit && cnt <= fill
}

// allows reports whether node n can take one more entry of sz bytes.
func (q Quicklist) allows(n mem.Ref, sz int) bool {
	if n == 0 {
		return false
	}
	_, _, total, cnt := q.nodeHead(n)
	if cnt == lpCountMax {
		cnt = lpCount(q.lp(n))
	}
	return q.fits(total+sz, cnt+1)
}

// locate finds element i (0 <= i < Len): its node and its index there,
// walking from the nearer end.
func (q Quicklist) locate(i int) (mem.Ref, int) {
	count := q.Len()
	if i < count/2 {
		for n := q.get(qlHead); n != 0; n = q.next(n) {
			c := q.nodeCount(n)
			if i < c {
				return n, i
			}
			i -= c
		}
	} else {
		j := count - 1 - i
		for n := q.get(qlTail); n != 0; n = q.prev(n) {
			c := q.nodeCount(n)
			if j < c {
				return n, c - 1 - j
			}
			j -= c
		}
	}
	panic("ds: quicklist index out of range")
}

// seekIn is the offset of entry k of node listpack b with cnt entries,
// walking from the nearer end.
func seekIn(b []byte, k, cnt int) int {
	if k > cnt/2 {
		return lpSeek(b, k-cnt)
	}
	return lpSeek(b, k)
}

// PushHead adds v before the first element.
func (q Quicklist) PushHead(v []byte) { q.push(true, v) }

// PushTail adds v after the last element.
func (q Quicklist) PushTail(v []byte) { q.push(false, v) }

// push is Insert at either end without a walk: the end node takes v when
// its fill allows, otherwise v gets a new node beyond it.
func (q Quicklist) push(head bool, v []byte) {
	var buf [64]byte
	ent := lpAppendEntry(buf[:0], v)
	var n mem.Ref
	if head {
		n = q.get(qlHead)
	} else {
		n = q.get(qlTail)
	}
	switch {
	case n == 0:
		q.newNode(0, ent, 1)
	case !q.allows(n, len(ent)):
		if head {
			q.newNode(0, ent, 1)
		} else {
			q.newNode(n, ent, 1)
		}
	case head:
		q.splice(n, lpHeaderSize, 0, ent, 0, 1)
	default:
		_, _, total, _ := q.nodeHead(n)
		q.splice(n, total-1, 0, ent, 0, 1)
	}
	q.addCount(1)
}

// Insert stores v as element i (0 <= i <= Len): before the element now at
// i, or last when i is Len.
func (q Quicklist) Insert(i int, v []byte) {
	var buf [64]byte
	ent := lpAppendEntry(buf[:0], v)
	sz := len(ent)
	count := q.Len()
	defer q.addCount(1) // after locate, which reads the count
	switch {
	case count == 0:
		q.newNode(0, ent, 1)
		return
	case i == count:
		n := q.get(qlTail)
		if q.allows(n, sz) {
			q.splice(n, len(q.lp(n))-1, 0, ent, 0, 1)
		} else {
			q.newNode(n, ent, 1)
		}
		return
	}
	n, k := q.locate(i)
	if q.allows(n, sz) {
		b := q.lp(n)
		q.splice(n, seekIn(b, k, q.nodeCount(n)), 0, ent, 0, 1)
		return
	}
	if k == 0 {
		// At the node's head: the previous node's tail is the same place.
		p := q.prev(n)
		if q.allows(p, sz) {
			q.splice(p, len(q.lp(p))-1, 0, ent, 0, 1)
		} else {
			q.newNode(p, ent, 1)
		}
		return
	}
	// In the middle of a full node: split it at k, then put v at the end
	// of the left half or the start of the right one.
	m := q.split(n, k)
	n = q.prev(m)
	p := q.prev(n)
	switch {
	case q.allows(n, sz):
		q.splice(n, len(q.lp(n))-1, 0, ent, 0, 1)
	case q.allows(m, sz):
		m = q.splice(m, lpHeaderSize, 0, ent, 0, 1)
	default:
		q.newNode(n, ent, 1)
	}
	// The halves may now fit with their outer neighbours.
	q.merge(m)
	q.merge(p)
}

// split moves the entries of node n from index k on into a new node after
// n, which it returns.
func (q Quicklist) split(n mem.Ref, k int) mem.Ref {
	b := q.lp(n)
	cnt := q.nodeCount(n)
	off := seekIn(b, k, cnt)
	m := q.newNode(n, b[off:len(b)-1], cnt-k)
	q.splice(n, off, len(b)-1-off, nil, cnt-k, 0)
	return m
}

// merge joins node n with the node after it when the two fit in one.
func (q Quicklist) merge(n mem.Ref) {
	if n == 0 {
		return
	}
	m := q.next(n)
	if m == 0 {
		return
	}
	bn, bm := q.lp(n), q.lp(m)
	cn, cm := q.nodeCount(n), q.nodeCount(m)
	if !q.fits(len(bn)+len(bm)-lpEmptySize, cn+cm) {
		return
	}
	ins := append([]byte(nil), bm[lpHeaderSize:len(bm)-1]...)
	q.splice(n, len(bn)-1, 0, ins, 0, cm)
	q.removeNode(m)
}

// Index reads element i (negative: from the end, -1 the last); ok is false
// when there is none. The element may alias the list: it is valid until the
// list next changes.
func (q Quicklist) Index(i int) (e Elem, ok bool) {
	count := q.Len()
	if i < 0 {
		i += count
	}
	if i < 0 || i >= count {
		return Elem{}, false
	}
	n, k := q.locate(i)
	b := q.lp(n)
	return lpGet(b, seekIn(b, k, q.nodeCount(n))), true
}

// Delete removes n elements from element start on (all of them must exist).
func (q Quicklist) Delete(start, n int) {
	if n <= 0 {
		return
	}
	node, k := q.locate(start)
	q.addCount(-n)
	for n > 0 {
		next := q.next(node)
		cnt := q.nodeCount(node)
		take := min(n, cnt-k)
		if take == cnt {
			q.removeNode(node)
		} else {
			b := q.lp(node)
			off := seekIn(b, k, cnt)
			end := off
			for j := 0; j < take; j++ {
				end += lpEntryLen(b, end)
			}
			q.splice(node, off, end-off, nil, take, 0)
		}
		n -= take
		node, k = next, 0
	}
}

// Pop removes the first (head) or last element, appending its text to dst;
// ok is false when the list is empty.
func (q Quicklist) Pop(head bool, dst []byte) ([]byte, bool) {
	ok := q.PopWith(head, func(e Elem) { dst = e.Append(dst) })
	return dst, ok
}

// PopWith removes the first (head) or last element, calling fn with it
// just before (the element aliases the list); it returns false, calling
// nothing, when the list is empty.
func (q Quicklist) PopWith(head bool, fn func(e Elem)) bool {
	if q.Len() == 0 {
		return false
	}
	var n mem.Ref
	if head {
		n = q.get(qlHead)
	} else {
		n = q.get(qlTail)
	}
	p, nx, total, cnt := q.nodeHead(n)
	b := q.a.Bytes(n, qnBase+total)[qnBase:]
	off := lpHeaderSize
	if !head {
		off = lpLast(b)
	}
	fn(lpGet(b, off))
	q.addCount(-1)
	if cnt == 1 {
		q.unlinkNode(n, p, nx, total)
	} else {
		q.splice(n, off, lpEntryLen(b, off), nil, 1, 0)
	}
	return true
}

// Replace stores v in place of element i (0 <= i < Len).
func (q Quicklist) Replace(i int, v []byte) {
	var buf [64]byte
	ent := lpAppendEntry(buf[:0], v)
	n, k := q.locate(i)
	b := q.lp(n)
	cnt := q.nodeCount(n)
	off := seekIn(b, k, cnt)
	old := lpEntryLen(b, off)
	if len(ent) <= old || q.fits(len(b)+len(ent)-old, cnt) {
		q.splice(n, off, old, ent, 1, 1)
		return
	}
	q.Delete(i, 1)
	q.Insert(i, v)
}

// Range calls fn with elements start to end (0 <= start <= end < Len), in
// order, or from end down to start when rev is set, until fn returns false.
// fn must not change the list.
func (q Quicklist) Range(start, end int, rev bool, fn func(e Elem) bool) {
	todo := end - start + 1
	if todo <= 0 {
		return
	}
	var n mem.Ref
	var k int
	if rev {
		n, k = q.locate(end)
	} else {
		n, k = q.locate(start)
	}
	b := q.lp(n)
	off := seekIn(b, k, q.nodeCount(n))
	for {
		if !fn(lpGet(b, off)) {
			return
		}
		if todo--; todo == 0 {
			return
		}
		if rev {
			if off = lpPrev(b, off); off < 0 {
				n = q.prev(n)
				b = q.lp(n)
				off = lpLast(b)
			}
		} else if off = lpNext(b, off); off < 0 {
			n = q.next(n)
			b = q.lp(n)
			off = lpFirst(b)
		}
	}
}

// Remove deletes the elements equal to v: the first max of them from the
// head (max > 0), the last -max from the tail (max < 0), or all (max 0).
// It returns how many it removed.
func (q Quicklist) Remove(v []byte, max int) int {
	rev := max < 0
	if rev {
		max = -max
	}
	removed := 0
	n := q.get(qlHead)
	if rev {
		n = q.get(qlTail)
	}
	for n != 0 && (max == 0 || removed < max) {
		var after mem.Ref // the node visited next
		if rev {
			after = q.prev(n)
		} else {
			after = q.next(n)
		}
		b := q.lp(n)
		off := lpFirst(b)
		if rev {
			off = lpLast(b)
		}
		for max == 0 || removed < max {
			if off = lpFindEq(b, off, v, rev); off < 0 {
				break
			}
			removed++
			q.addCount(-1)
			if q.nodeCount(n) == 1 {
				q.removeNode(n)
				break
			}
			prevOff := lpPrev(b, off)
			n = q.splice(n, off, lpEntryLen(b, off), nil, 1, 0)
			b = q.lp(n)
			if rev {
				off = prevOff
			} else if b[off] == lpEnd {
				off = -1
			}
		}
		n = after
	}
	return removed
}

// Free gives back every block of the list.
func (q Quicklist) Free() {
	for n := q.get(qlHead); n != 0; {
		next := q.next(n)
		q.a.Free(mem.PurposeContainer, n, qnBase+len(q.lp(n)))
		n = next
	}
	q.a.Free(mem.PurposeContainer, q.r, qlHeaderSize)
}

// Copy returns a deep copy of the list.
func (q Quicklist) Copy() Quicklist {
	c := NewQuicklist(q.a, q.Fill(), q.Compress())
	var last mem.Ref
	for n := q.get(qlHead); n != 0; n = q.next(n) {
		src := q.lp(n)
		last = c.newNode(last, src[lpHeaderSize:len(src)-1], q.nodeCount(n))
	}
	binary.LittleEndian.PutUint64(c.h[qlCount:], uint64(q.Len()))
	return c
}

// ListpackBytes is the sum of the nodes' listpack sizes (DEBUG OBJECT's
// ql_uncompressed_size).
func (q Quicklist) ListpackBytes() int {
	n := 0
	for r := q.get(qlHead); r != 0; r = q.next(r) {
		n += len(q.lp(r))
	}
	return n
}

// Bytes is what the list's blocks cost the allocator (mem.BlockSize of
// each). With samples > 0 and more nodes than that, the nodes' cost is
// estimated from the first samples nodes.
func (q Quicklist) Bytes(samples int) int {
	total := mem.BlockSize(q.a, q.r, qlHeaderSize)
	seen, sum := 0, 0
	for n := q.get(qlHead); n != 0; n = q.next(n) {
		if samples > 0 && seen == samples {
			break
		}
		sum += mem.BlockSize(q.a, n, qnBase+len(q.lp(n)))
		seen++
	}
	if seen > 0 && seen < q.Nodes() {
		sum = sum / seen * q.Nodes()
	}
	return total + sum
}

// check verifies the list's invariants (links both ways, counts, no empty
// node, every node within its fill or holding a single element, valid
// listpacks); for tests.
func (q Quicklist) check() string {
	count, nodes := 0, 0
	var prev mem.Ref
	for n := q.get(qlHead); n != 0; n = q.next(n) {
		if q.prev(n) != prev {
			return "bad prev link"
		}
		b := q.lp(n)
		if !lpValidate(b) {
			return "invalid listpack"
		}
		c := lpCount(b)
		if c == 0 {
			return "empty node"
		}
		if c > 1 && !q.fits(len(b), c) {
			return "node over its fill"
		}
		count += c
		nodes++
		prev = n
	}
	if q.get(qlTail) != prev {
		return "bad tail"
	}
	if count != q.Len() || nodes != q.Nodes() {
		return "bad count"
	}
	return ""
}
