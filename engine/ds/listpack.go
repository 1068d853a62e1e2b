package ds

// The listpack: a sequence of strings and integers packed in one contiguous
// run of bytes, walkable in both directions, in Redis 7.0's listpack layout
// (so sizes and thresholds compare one to one with Redis's). A listpack
// lives at some offset (base) inside an allocator block: a quicklist node
// holds its links before it (quicklist.go). Inserting or deleting an entry
// shifts the bytes after it in place (Go's copy is a memmove) and resizes
// the block to the listpack's exact size through mem.Realloc, so the
// block's size is always base + <total> and a sized Free can recover it
// from the header.
//
// # Grammar (all multi-byte integers little-endian)
//
//	<listpack> = <total 4 bytes> <count 2 bytes> <entry>* <end>
//	<total>    = uint32: the listpack's size in bytes, header and end included
//	<count>    = uint16: the number of entries, or 65535 when there are that
//	             many or more (then counting walks the entries)
//	<end>      = 0xFF
//	<entry>    = <encoding> [<data>] <backlen>
//	<backlen>  = the size of <encoding><data> in 1 to 5 bytes, read from
//	             right to left: each byte holds 7 bits, the rightmost the
//	             lowest; a byte with its high bit set says another byte
//	             follows to its left
//
// # Encodings (the first byte of an entry)
//
//	0xxxxxxx                       7-bit unsigned integer 0..127, no data
//	10llllll <bytes>               string of 0..63 bytes
//	110xxxxx yyyyyyyy              13-bit signed integer, x the high bits
//	1110llll llllllll <bytes>      string of up to 4095 bytes, l high bits first
//	11110000 <len 4 bytes> <bytes> string of up to 2^32-1 bytes
//	11110001 <2 bytes>             int16
//	11110010 <3 bytes>             int24
//	11110011 <4 bytes>             int32
//	11110100 <8 bytes>             int64
//	11111111                       end of the listpack
//
// A value is stored as an integer exactly when it is a canonical int64
// decimal (ParseInt), in the smallest form that holds it; reading it back
// gives the same text.
//
// # Worked example
//
// The list "hi", 5, -100, 5000 (20 bytes):
//
//	[14 00 00 00] [04 00] [82 68 69 03] [05 01] [df 9c 02] [f1 88 13 03] [ff]
//	 total 20      count 4 "hi" backlen  5       -100        5000 (int16) end
//
// -100 as 13 bits is 0x1f9c: the encoding byte is 0xc0|0x1f, then 0x9c.

import (
	"bytes"
	"encoding/binary"
	"strconv"

	"rundb/engine/mem"
)

const (
	lpHeaderSize = 6
	lpEnd        = 0xFF
	lpCountMax   = 65535 // the count field's "unknown": walk to count

	lpEnc7BitUint  = 0x00
	lpEnc7BitMask  = 0x80
	lpEnc6BitStr   = 0x80
	lpEnc6BitMask  = 0xC0
	lpEnc13BitInt  = 0xC0
	lpEnc13BitMask = 0xE0
	lpEnc12BitStr  = 0xE0
	lpEnc12BitMask = 0xF0
	lpEnc32BitStr  = 0xF0
	lpEncInt16     = 0xF1
	lpEncInt24     = 0xF2
	lpEncInt32     = 0xF3
	lpEncInt64     = 0xF4

	// lpEmptySize is an empty listpack: header and end byte.
	lpEmptySize = lpHeaderSize + 1
)

// Elem is one element read from a listpack: a string (S, aliasing the
// listpack's bytes: valid until it next changes) or an integer (N).
type Elem struct {
	S     []byte
	N     int64
	IsInt bool
}

// Append appends e's text to dst.
func (e Elem) Append(dst []byte) []byte {
	if e.IsInt {
		return strconv.AppendInt(dst, e.N, 10)
	}
	return append(dst, e.S...)
}

// Len is the length of e's text.
func (e Elem) Len() int {
	if !e.IsInt {
		return len(e.S)
	}
	var buf [20]byte
	return len(strconv.AppendInt(buf[:0], e.N, 10))
}

// Equal reports whether e's text is v.
func (e Elem) Equal(v []byte) bool {
	if e.IsInt {
		n, ok := ParseInt(v)
		return ok && n == e.N
	}
	return bytes.Equal(e.S, v)
}

// lpBacklenSize is the size of the backlen of an entry whose encoding and
// data take l bytes.
func lpBacklenSize(l int) int {
	switch {
	case l < 1<<7:
		return 1
	case l < 1<<14:
		return 2
	case l < 1<<21:
		return 3
	case l < 1<<28:
		return 4
	}
	return 5
}

// lpEntrySize is the size of the entry that stores v.
func lpEntrySize(v []byte) int {
	var l int
	if n, ok := ParseInt(v); ok {
		l = lpIntSize(n)
	} else {
		l = lpStrHeader(len(v)) + len(v)
	}
	return l + lpBacklenSize(l)
}

// lpIntSize is the size of the encoding and data of integer n.
func lpIntSize(n int64) int {
	switch {
	case n >= 0 && n <= 127:
		return 1
	case n >= -4096 && n <= 4095:
		return 2
	case n >= -1<<15 && n < 1<<15:
		return 3
	case n >= -1<<23 && n < 1<<23:
		return 4
	case n >= -1<<31 && n < 1<<31:
		return 5
	}
	return 9
}

func lpStrHeader(n int) int {
	switch {
	case n < 64:
		return 1
	case n < 4096:
		return 2
	}
	return 5
}

// lpAppendEntry appends the entry storing v to dst.
func lpAppendEntry(dst, v []byte) []byte {
	start := len(dst)
	if n, ok := ParseInt(v); ok {
		switch lpIntSize(n) {
		case 1:
			dst = append(dst, byte(n))
		case 2:
			u := uint64(n) & 0x1FFF
			dst = append(dst, lpEnc13BitInt|byte(u>>8), byte(u))
		case 3:
			dst = append(dst, lpEncInt16, byte(n), byte(n>>8))
		case 4:
			dst = append(dst, lpEncInt24, byte(n), byte(n>>8), byte(n>>16))
		case 5:
			dst = append(dst, lpEncInt32)
			dst = binary.LittleEndian.AppendUint32(dst, uint32(n))
		default:
			dst = append(dst, lpEncInt64)
			dst = binary.LittleEndian.AppendUint64(dst, uint64(n))
		}
	} else {
		switch l := len(v); lpStrHeader(l) {
		case 1:
			dst = append(dst, lpEnc6BitStr|byte(l))
		case 2:
			dst = append(dst, lpEnc12BitStr|byte(l>>8), byte(l))
		default:
			dst = append(dst, lpEnc32BitStr)
			dst = binary.LittleEndian.AppendUint32(dst, uint32(l))
		}
		dst = append(dst, v...)
	}
	return lpAppendBacklen(dst, len(dst)-start)
}

// lpAppendBacklen appends the backlen of l: the high groups first, each but
// the first flagged, so that reading from the right ends at the unflagged one.
func lpAppendBacklen(dst []byte, l int) []byte {
	w := lpBacklenSize(l)
	for i := w - 1; i >= 0; i-- {
		b := byte(l>>(7*i)) & 0x7F
		if i != w-1 {
			b |= 0x80
		}
		dst = append(dst, b)
	}
	return dst
}

// lpDecodeBacklen reads the backlen that ends at b[p] (inclusive) and
// returns it and its size.
func lpDecodeBacklen(b []byte, p int) (l, w int) {
	for shift := 0; ; shift += 7 {
		c := b[p-w]
		l |= int(c&0x7F) << shift
		w++
		if c&0x80 == 0 {
			return l, w
		}
	}
}

// lpHeadLen is the size of the encoding and data of the entry at b[off].
func lpHeadLen(b []byte, off int) int {
	c := b[off]
	switch {
	case c&lpEnc7BitMask == lpEnc7BitUint:
		return 1
	case c&lpEnc6BitMask == lpEnc6BitStr:
		return 1 + int(c&0x3F)
	case c&lpEnc13BitMask == lpEnc13BitInt:
		return 2
	case c&lpEnc12BitMask == lpEnc12BitStr:
		return 2 + (int(c&0x0F)<<8 | int(b[off+1]))
	}
	switch c {
	case lpEnc32BitStr:
		return 5 + int(binary.LittleEndian.Uint32(b[off+1:]))
	case lpEncInt16:
		return 3
	case lpEncInt24:
		return 4
	case lpEncInt32:
		return 5
	case lpEncInt64:
		return 9
	}
	panic("ds: bad listpack encoding byte " + strconv.Itoa(int(c)))
}

// lpEntryLen is the whole size of the entry at b[off], backlen included.
func lpEntryLen(b []byte, off int) int {
	l := lpHeadLen(b, off)
	return l + lpBacklenSize(l)
}

// lpGet decodes the entry at b[off].
func lpGet(b []byte, off int) Elem {
	c := b[off]
	switch {
	case c&lpEnc7BitMask == lpEnc7BitUint:
		return Elem{N: int64(c), IsInt: true}
	case c&lpEnc6BitMask == lpEnc6BitStr:
		n := int(c & 0x3F)
		return Elem{S: b[off+1 : off+1+n : off+1+n]}
	case c&lpEnc13BitMask == lpEnc13BitInt:
		u := int64(c&0x1F)<<8 | int64(b[off+1])
		if u >= 1<<12 {
			u -= 1 << 13
		}
		return Elem{N: u, IsInt: true}
	case c&lpEnc12BitMask == lpEnc12BitStr:
		n := int(c&0x0F)<<8 | int(b[off+1])
		return Elem{S: b[off+2 : off+2+n : off+2+n]}
	}
	switch c {
	case lpEnc32BitStr:
		n := int(binary.LittleEndian.Uint32(b[off+1:]))
		return Elem{S: b[off+5 : off+5+n : off+5+n]}
	case lpEncInt16:
		return Elem{N: int64(int16(binary.LittleEndian.Uint16(b[off+1:]))), IsInt: true}
	case lpEncInt24:
		u := uint32(b[off+1]) | uint32(b[off+2])<<8 | uint32(b[off+3])<<16
		return Elem{N: int64(int32(u<<8) >> 8), IsInt: true}
	case lpEncInt32:
		return Elem{N: int64(int32(binary.LittleEndian.Uint32(b[off+1:]))), IsInt: true}
	case lpEncInt64:
		return Elem{N: int64(binary.LittleEndian.Uint64(b[off+1:])), IsInt: true}
	}
	panic("ds: bad listpack encoding byte " + strconv.Itoa(int(c)))
}

// lpTotal is the size of listpack b (b holds at least its header).
func lpTotal(b []byte) int { return int(binary.LittleEndian.Uint32(b)) }

// lpFirst is the offset of b's first entry, or -1 when b is empty.
func lpFirst(b []byte) int {
	if b[lpHeaderSize] == lpEnd {
		return -1
	}
	return lpHeaderSize
}

// lpLast is the offset of b's last entry, or -1 when b is empty.
func lpLast(b []byte) int { return lpPrev(b, lpTotal(b)-1) }

// lpNext is the offset of the entry after the one at off, or -1.
func lpNext(b []byte, off int) int {
	off += lpEntryLen(b, off)
	if b[off] == lpEnd {
		return -1
	}
	return off
}

// lpPrev is the offset of the entry before the one (or the end) at off, or
// -1 when off is the first.
func lpPrev(b []byte, off int) int {
	if off <= lpHeaderSize {
		return -1
	}
	l, w := lpDecodeBacklen(b, off-1)
	return off - w - l
}

// lpFindEq is the offset of the first entry equal to v from off on
// (towards the end, or towards the head when rev), off included, or -1.
// off may be -1 (nothing left to look at).
func lpFindEq(b []byte, off int, v []byte, rev bool) int {
	for off >= 0 && !lpGet(b, off).Equal(v) {
		if rev {
			off = lpPrev(b, off)
		} else {
			off = lpNext(b, off)
		}
	}
	return off
}

// lpCount is the number of entries of b.
func lpCount(b []byte) int {
	if n := int(binary.LittleEndian.Uint16(b[4:])); n != lpCountMax {
		return n
	}
	n := 0
	for off := lpFirst(b); off >= 0; off = lpNext(b, off) {
		n++
	}
	return n
}

// lpInit writes an empty listpack into b[:lpEmptySize].
func lpInit(b []byte) {
	binary.LittleEndian.PutUint32(b, lpEmptySize)
	binary.LittleEndian.PutUint16(b[4:], 0)
	b[lpHeaderSize] = lpEnd
}

// lpView views the listpack that lives at offset base of block r.
func lpView(a mem.Allocator, r mem.Ref, base int) []byte {
	h := a.Bytes(r, base+lpHeaderSize)
	return a.Bytes(r, base+lpTotal(h[base:]))[base:]
}

// lpSplice replaces the del bytes at offset off of the listpack at offset
// base of block r (whole entries, dn of them) with ins (whole entries, in
// of them), resizing the block to its exact new size; it returns the block,
// which may have moved.
func lpSplice(a mem.Allocator, r mem.Ref, base, off, del int, ins []byte, dn, in int) mem.Ref {
	b := lpView(a, r, base)
	old := len(b)
	cnt := int(binary.LittleEndian.Uint16(b[4:]))
	n := old - del + len(ins)
	switch {
	case n > old:
		r = mem.Realloc(a, mem.PurposeContainer, r, base+old, base+n)
		b = a.Bytes(r, base+n)[base:]
		copy(b[off+len(ins):], b[off+del:old])
		copy(b[off:], ins)
	case n < old:
		copy(b[off+len(ins):], b[off+del:old])
		copy(b[off:], ins)
		r = mem.Realloc(a, mem.PurposeContainer, r, base+old, base+n)
		b = a.Bytes(r, base+n)[base:]
	default:
		copy(b[off:], ins)
	}
	binary.LittleEndian.PutUint32(b, uint32(n))
	if cnt != lpCountMax {
		cnt = min(cnt+in-dn, lpCountMax)
	} else if in != dn {
		cnt = min(lpCount(b), lpCountMax) // walks: the count was unknown
	}
	binary.LittleEndian.PutUint16(b[4:], uint16(cnt))
	return r
}

// lpValidate checks that b is a well-formed listpack: the total, every
// entry's encoding and backlen, the count and the end byte. It is for
// tests and untrusted bytes; it never reads outside b.
func lpValidate(b []byte) bool {
	if len(b) < lpEmptySize || lpTotal(b) != len(b) || b[len(b)-1] != lpEnd {
		return false
	}
	off, n := lpHeaderSize, 0
	for off < len(b)-1 {
		c := b[off]
		var l int
		switch {
		case c&lpEnc7BitMask == lpEnc7BitUint, c&lpEnc6BitMask == lpEnc6BitStr:
			l = 1
			if c&lpEnc6BitMask == lpEnc6BitStr {
				l += int(c & 0x3F)
			}
		case c&lpEnc13BitMask == lpEnc13BitInt:
			l = 2
		case c&lpEnc12BitMask == lpEnc12BitStr:
			if off+1 >= len(b) {
				return false
			}
			l = 2 + (int(c&0x0F)<<8 | int(b[off+1]))
		case c == lpEnc32BitStr:
			if off+5 > len(b) {
				return false
			}
			l = 5 + int(binary.LittleEndian.Uint32(b[off+1:]))
		case c == lpEncInt16:
			l = 3
		case c == lpEncInt24:
			l = 4
		case c == lpEncInt32:
			l = 5
		case c == lpEncInt64:
			l = 9
		default:
			return false
		}
		w := lpBacklenSize(l)
		if off+l+w > len(b)-1 {
			return false
		}
		if bl, bw := lpDecodeBacklen(b, off+l+w-1); bl != l || bw != w {
			return false
		}
		off += l + w
		n++
	}
	if off != len(b)-1 {
		return false
	}
	c := int(binary.LittleEndian.Uint16(b[4:]))
	return c == n || (c == lpCountMax && n >= lpCountMax)
}

// Listpack is a standalone listpack: one block holding only the listpack.
type Listpack struct{ Ref mem.Ref }

// NewListpack allocates an empty listpack.
func NewListpack(a mem.Allocator) Listpack {
	r := a.Alloc(mem.PurposeContainer, lpEmptySize)
	lpInit(a.Bytes(r, lpEmptySize))
	return Listpack{r}
}

// Bytes views the listpack.
func (l Listpack) Bytes(a mem.Allocator) []byte { return lpView(a, l.Ref, 0) }

// Len is the number of entries.
func (l Listpack) Len(a mem.Allocator) int { return lpCount(l.Bytes(a)) }

// Free gives back the block.
func (l Listpack) Free(a mem.Allocator) {
	a.Free(mem.PurposeContainer, l.Ref, len(l.Bytes(a)))
}

// Insert stores v as entry i (0 <= i <= Len).
func (l *Listpack) Insert(a mem.Allocator, i int, v []byte) {
	b := l.Bytes(a)
	off := lpTotal(b) - 1
	if e := lpSeek(b, i); e >= 0 {
		off = e
	}
	var buf [32]byte
	l.Ref = lpSplice(a, l.Ref, 0, off, 0, lpAppendEntry(buf[:0], v), 0, 1)
}

// Delete removes n entries from entry i on (all of them must exist).
func (l *Listpack) Delete(a mem.Allocator, i, n int) {
	b := l.Bytes(a)
	off := lpSeek(b, i)
	end := off
	for k := 0; k < n; k++ {
		end += lpEntryLen(b, end)
	}
	l.Ref = lpSplice(a, l.Ref, 0, off, end-off, nil, n, 0)
}

// Replace stores v in place of entry i.
func (l *Listpack) Replace(a mem.Allocator, i int, v []byte) {
	b := l.Bytes(a)
	off := lpSeek(b, i)
	var buf [32]byte
	l.Ref = lpSplice(a, l.Ref, 0, off, lpEntryLen(b, off), lpAppendEntry(buf[:0], v), 1, 1)
}

// Get reads entry i.
func (l Listpack) Get(a mem.Allocator, i int) Elem {
	b := l.Bytes(a)
	return lpGet(b, lpSeek(b, i))
}

// lpSeek is the offset of entry i (negative: from the end, -1 the last),
// or -1 when there is none.
func lpSeek(b []byte, i int) int {
	if i < 0 {
		off := lpLast(b)
		for ; i < -1 && off >= 0; i++ {
			off = lpPrev(b, off)
		}
		return off
	}
	off := lpFirst(b)
	for ; i > 0 && off >= 0; i-- {
		off = lpNext(b, off)
	}
	return off
}
