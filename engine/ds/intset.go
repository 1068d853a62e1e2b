package ds

// The intset: a set of integers kept as one allocator block of sorted,
// fixed-width values, the encoding of a set whose members are all integers
// in canonical form (ParseInt) while it holds at most
// set-max-intset-entries of them.
//
// # Grammar
//
//	<intset> = <width> <count> <value> ... <value>
//	<width>  = 1 byte: 2, 4 or 8, the bytes of every value
//	<count>  = 4 bytes, little-endian uint32, the number of values
//	<value>  = width bytes, little-endian two's complement; the values are
//	           unique and ascending, so a lookup is a binary search
//
// The block is exactly intsetHeader + width*count bytes: its size is
// decoded, never stored. The widths are ordered (2 < 4 < 8), so whether a
// value needs an upgrade is one comparison of its width with the set's.
// An upgrade widens every value in place, from the last to the first (each
// wider copy lands at or after its narrower self), after the block grew.
// A value that forces an upgrade is outside the range of every value
// stored, so it goes first (negative) or last (positive). Widths never
// shrink: removing the one wide value leaves the set wide, as in Redis.
//
// # Worked example
//
// SADD s 5 -3 (9 bytes):
//
//	[02] [02 00 00 00] [fd ff] [05 00]
//	 w=2  count 2       -3      5
//
// then SADD s 70000 (0x11170) upgrades to width 4 (17 bytes):
//
//	[04] [03 00 00 00] [fd ff ff ff] [05 00 00 00] [70 11 01 00]
//	 w=4  count 3       -3            5             70000
//
// Insertion and removal shift the values after the position with copy
// (a memmove) inside the block, which is resized to its exact new size
// (mem.Realloc: where the backend can, in place).

import (
	"encoding/binary"
	"math"
	"strconv"

	"rundb/engine/mem"
)

const (
	intsetHeader = 5 // width byte + uint32 count
	intset16     = 2
	intset32     = 4
	intset64     = 8
)

func init() {
	RegisterContainer(EncIntset, ContainerOps{
		Len:  func(a mem.Allocator, r mem.Ref) int { return intsetCount(a, r) },
		Free: func(a mem.Allocator, r mem.Ref) { a.Free(mem.PurposeContainer, r, intsetSize(a, r)) },
		Copy: func(a mem.Allocator, r mem.Ref) mem.Ref {
			n := intsetSize(a, r)
			nr := a.Alloc(mem.PurposeContainer, n)
			copy(a.Bytes(nr, n), a.Bytes(r, n))
			return nr
		},
		Bytes: func(a mem.Allocator, r mem.Ref, _ int) int { return mem.BlockSize(a, r, intsetSize(a, r)) },
	})
}

// intsetWidth is the narrowest width that holds v.
func intsetWidth(v int64) uint8 {
	switch {
	case v >= math.MinInt16 && v <= math.MaxInt16:
		return intset16
	case v >= math.MinInt32 && v <= math.MaxInt32:
		return intset32
	}
	return intset64
}

func intsetCount(a mem.Allocator, r mem.Ref) int {
	return int(binary.LittleEndian.Uint32(a.Bytes(r, intsetHeader)[1:]))
}

// intsetSize is the size of intset block r.
func intsetSize(a mem.Allocator, r mem.Ref) int {
	h := a.Bytes(r, intsetHeader)
	return intsetHeader + int(h[0])*int(binary.LittleEndian.Uint32(h[1:]))
}

// intsetView is the whole block of intset r.
func intsetView(a mem.Allocator, r mem.Ref) []byte { return a.Bytes(r, intsetSize(a, r)) }

// isCount and isGet read an intset block.
func isCount(b []byte) int { return int(binary.LittleEndian.Uint32(b[1:])) }

func isGet(b []byte, i int) int64 {
	switch w := b[0]; w {
	case intset16:
		return int64(int16(binary.LittleEndian.Uint16(b[intsetHeader+2*i:])))
	case intset32:
		return int64(int32(binary.LittleEndian.Uint32(b[intsetHeader+4*i:])))
	default:
		return int64(binary.LittleEndian.Uint64(b[intsetHeader+8*i:]))
	}
}

func isPut(b []byte, w uint8, i int, v int64) {
	switch w {
	case intset16:
		binary.LittleEndian.PutUint16(b[intsetHeader+2*i:], uint16(v))
	case intset32:
		binary.LittleEndian.PutUint32(b[intsetHeader+4*i:], uint32(v))
	default:
		binary.LittleEndian.PutUint64(b[intsetHeader+8*i:], uint64(v))
	}
}

// isSearch finds v in intset block b: its index, or where it would go.
func isSearch(b []byte, v int64) (int, bool) {
	n := isCount(b)
	if n == 0 || intsetWidth(v) > b[0] {
		if n > 0 && v < 0 {
			return 0, false
		}
		return n, false
	}
	lo, hi := 0, n
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		x := isGet(b, m)
		switch {
		case x < v:
			lo = m + 1
		case x > v:
			hi = m
		default:
			return m, true
		}
	}
	return lo, false
}

// intsetNew makes an intset holding v.
func intsetNew(a mem.Allocator, v int64) mem.Ref {
	w := intsetWidth(v)
	size := intsetHeader + int(w)
	r := a.Alloc(mem.PurposeContainer, size)
	b := a.Bytes(r, size)
	b[0] = w
	binary.LittleEndian.PutUint32(b[1:], 1)
	isPut(b, w, 0, v)
	return r
}

// intsetAdd adds v to intset r (0: a new one) and returns the block (which
// may have moved) and whether v was added.
func intsetAdd(a mem.Allocator, r mem.Ref, v int64) (mem.Ref, bool) {
	if r == 0 {
		return intsetNew(a, v), true
	}
	b := intsetView(a, r)
	w, n := b[0], isCount(b)
	if nw := intsetWidth(v); nw > w {
		// Upgrade: widen in place from the last value, then put v at an end.
		r = mem.Realloc(a, mem.PurposeContainer, r, len(b), intsetHeader+int(nw)*(n+1))
		b = a.Bytes(r, intsetHeader+int(nw)*(n+1))
		off := 0
		if v < 0 {
			off = 1
		}
		for i := n - 1; i >= 0; i-- {
			isPut(b, nw, i+off, isGet(b, i))
		}
		b[0] = nw
		if v < 0 {
			isPut(b, nw, 0, v)
		} else {
			isPut(b, nw, n, v)
		}
		binary.LittleEndian.PutUint32(b[1:], uint32(n+1))
		return r, true
	}
	i, found := isSearch(b, v)
	if found {
		return r, false
	}
	size := len(b) + int(w)
	r = mem.Realloc(a, mem.PurposeContainer, r, len(b), size)
	b = a.Bytes(r, size)
	p := intsetHeader + i*int(w)
	copy(b[p+int(w):], b[p:size-int(w)])
	isPut(b, w, i, v)
	binary.LittleEndian.PutUint32(b[1:], uint32(n+1))
	return r, true
}

// intsetRemove removes v from intset r and returns the block (0 once the
// last value is gone: the block is freed) and whether v was there.
func intsetRemove(a mem.Allocator, r mem.Ref, v int64) (mem.Ref, bool) {
	b := intsetView(a, r)
	i, found := isSearch(b, v)
	if !found {
		return r, false
	}
	return intsetRemoveAt(a, r, b, i), true
}

// intsetRemoveAt removes the value at index i of intset r (whose block is
// b) and returns the block, 0 when it became empty.
func intsetRemoveAt(a mem.Allocator, r mem.Ref, b []byte, i int) mem.Ref {
	w, n := int(b[0]), isCount(b)
	if n == 1 {
		a.Free(mem.PurposeContainer, r, len(b))
		return 0
	}
	p := intsetHeader + i*w
	copy(b[p:], b[p+w:])
	binary.LittleEndian.PutUint32(b[1:], uint32(n-1))
	return mem.Realloc(a, mem.PurposeContainer, r, len(b), len(b)-w)
}

// intsetContains reports whether v is in intset r.
func intsetContains(a mem.Allocator, r mem.Ref, v int64) bool {
	_, ok := isSearch(intsetView(a, r), v)
	return ok
}

// intsetAppendMember appends the decimal form of value i of intset b.
func intsetAppendMember(dst, b []byte, i int) []byte {
	return strconv.AppendInt(dst, isGet(b, i), 10)
}
