package ds

// The packed entry: one allocator block per key, holding the key, its
// metadata and (for strings) its value.
//
// # Grammar
//
//	<entry>    = <b0> <lru> <keylen> <key> [<deadline>] <value>
//	<b0>       = 1 byte: own<<7 | type<<4 | ttl<<3 | enc
//	<lru>      = 3 bytes, little-endian, the 24-bit LRU clock or LFU counter
//	<keylen>   = uvarint
//	<deadline> = 8 bytes, little-endian int64 unix ms; present iff ttl = 1
//	<value>    = by enc:
//	  int        8 bytes, little-endian int64
//	  embstr     <len uvarint> <bytes>              (len <= EmbstrMax, so 1 byte)
//	  raw        <len uvarint> <cap uvarint> <ref 8 bytes LE>
//	             the bytes live in a separate block of cap bytes (cap >= len,
//	             so appends can grow in place); len is written in exactly as
//	             many bytes as cap (padded with 0x80 continuation bytes), so
//	             the length can be rewritten in place; cap 0 has ref 0
//	  listpack, quicklist, intset, hashtable
//	             <ref 8 bytes LE> to the container, which the caller owns;
//	             a list is listpack (a bare listpack block, list.go) while
//	             its elements fit one quicklist node, else quicklist
//	             (quicklist.go); both report "quicklist" in OBJECT ENCODING
//
// # b0 bit patterns
//
//	|o|ttt|x|eee|  o    1 if an int value is the key's own copy rather than
//	                    the shared small integer (COPY makes such values;
//	                    OBJECT REFCOUNT tells them apart)
//	               ttt  type: 0 string, 1 list, 2 set, 3 zset, 4 hash
//	               x    1 if a deadline follows the key
//	               eee  encoding: 0 int, 1 embstr, 2 raw, 3 listpack,
//	                    4 quicklist, 5 intset, 6 hashtable
//
// Sizes are not stored: they are decoded. Load asks the allocator for the
// 6 bytes every entry has and reads on through the block's address only as
// far as what it decoded proves the block extends, so it never reads past
// the block.
//
// # Worked examples
//
// SET foo bar, LRU clock 0x000102 (12 bytes):
//
//	[01] [02 01 00] [03] [66 6f 6f] [03] [62 61 72]
//	 b0   lru        klen "foo"     len  "bar"
//
// SET n 42 PXAT 1700000000000 (22 bytes):
//
//	[08] [00 00 00] [01] [6e] [00 68 e5 cf 8b 01 00 00] [2a 00 00 00 00 00 00 00]
//	 b0 string|ttl|int  "n"   deadline 0x18bcfe56800      42
//
// RPUSH l a 7, LRU clock 0: a bare listpack list (type list, enc listpack)
// whose block (list.go's worked example) is at Ref 9 (14 bytes):
//
//	[13] [00 00 00] [01] [6c] [09 00 00 00 00 00 00 00]
//	 b0 list|listpack    "l"   ref 9
//
// A raw string of 5 bytes in a 200-byte block at Ref 7:
//
//	[02] [00 00 00] [01] [6b] [85 00] [c8 01] [07 00 00 00 00 00 00 00]
//	                          len 5    cap 200  ref 7
//	                          (padded to cap's width)

import (
	"encoding/binary"
	"strconv"
	"unsafe"

	"rundb/engine/mem"
)

// Value types, as TYPE reports them.
const (
	TypeString uint8 = 0
	TypeList   uint8 = 1
	TypeSet    uint8 = 2
	TypeZSet   uint8 = 3
	TypeHash   uint8 = 4
)

// Encodings, as OBJECT ENCODING reports them (see EncodingName).
const (
	EncInt       uint8 = 0
	EncEmbstr    uint8 = 1
	EncRaw       uint8 = 2
	EncListpack  uint8 = 3
	EncQuicklist uint8 = 4
	EncIntset    uint8 = 5
	EncHashtable uint8 = 6
)

var encNames = [...]string{"int", "embstr", "raw", "listpack", "quicklist", "intset", "hashtable"}

// EncodingName is the OBJECT ENCODING name of enc.
func EncodingName(enc uint8) string {
	if int(enc) < len(encNames) {
		return encNames[enc]
	}
	return "unknown"
}

// EmbstrMax is the longest string stored inline. The cut-off is the one
// Redis-compatible clients observe through OBJECT ENCODING: there a string
// object header (16 bytes), a 3-byte string header, the bytes and a
// terminating NUL share one 64-byte allocation, and 16+3+44+1 = 64. rundb
// keeps 44 so encodings compare one to one; the entry itself is smaller.
const EmbstrMax = 44

const (
	ttlBit       = 1 << 3
	ownBit       = 1 << 7
	typeMask     = 0x07 // after the shift by 4
	encMask      = 0x07
	lruMax       = 1<<24 - 1
	minEntrySize = 6  // b0, lru, keylen of an empty key, embstr len 0
	maxHeadView  = 14 // b0, lru and the longest uvarint: safe once keylen >= 128
	refSize      = 8
	minRawValue  = 1 + 1 + refSize
)

// Entry is a decoded view of an entry block. It is a value: methods that
// change the block in place (SetLRU, SetDeadline, SetContainer, SetRawLen)
// keep every copy valid.
//
// It is four machine words, the most Go's compiler keeps in registers
// (larger structs live in memory and are copied with 16-byte moves, which
// stall on store forwarding when the struct was just written field by
// field; every lookup hands an Entry up through several calls). So it holds
// pointers rather than slices, and what it does not hold it decodes from
// the block when asked: the block's size and a string's length. Reads go
// through the pointer without bounds checks; the grammar above says where
// each field lies, and Load and the constructors only make entries of
// blocks that follow it.
type Entry struct {
	p   *byte   // the block
	vp  *byte   // a raw string's block; nil without one
	ref mem.Ref // the block's Ref
	off uint64  // the key's offset | the value's offset (after the deadline) << 8
}

// entryAt is the entry of block b at Ref r whose value starts at v.
func entryAt(b []byte, r mem.Ref, v int) Entry {
	_, n := binary.Uvarint(b[4:])
	return Entry{p: unsafe.SliceData(b), ref: r, off: uint64(4+n) | uint64(v)<<8}
}

func (e Entry) kOff() int { return int(e.off & 0xff) }
func (e Entry) vOff() int { return int(e.off >> 8) }

// at is the address of the block's byte i (i < Size).
func (e Entry) at(i int) *byte { return (*byte)(unsafe.Add(unsafe.Pointer(e.p), i)) }

// span is the block's n bytes from i (n > 0, i+n <= Size).
func (e Entry) span(i, n int) []byte { return unsafe.Slice(e.at(i), n) }

// rawHead is a view of a raw value's length and capacity uvarints: the
// section is 2w+8 >= 10 bytes long, w being their width.
func (e Entry) rawHead() []byte { return e.span(e.vOff(), minRawValue) }

// block is the whole block.
func (e Entry) block() []byte { return unsafe.Slice(e.p, e.Size()) }

// Load decodes the entry block r. It asks the allocator for the first
// bytes every entry has, and finds the rest from there: a key of 128 bytes
// or more has a 2-byte length or longer, so the 10 bytes a uvarint may
// take are inside the block.
func Load(a mem.Allocator, r mem.Ref) Entry {
	e := Entry{p: unsafe.SliceData(a.Bytes(r, minEntrySize)), ref: r}
	b0 := *e.p
	kl, n := uint64(*e.at(4)), 1
	if kl >= 0x80 {
		kl, n = binary.Uvarint(e.span(4, binary.MaxVarintLen64))
	}
	v := 4 + n + int(kl) + int(b0&ttlBit) // ttlBit is 8, the deadline's size
	e.off = uint64(4+n) | uint64(v)<<8
	if b0&encMask == EncRaw {
		if c := e.rawCap(); c > 0 {
			e.vp = unsafe.SliceData(a.Bytes(e.rawRef(), c))
		}
	}
	return e
}

// KeyOf returns the table's KeyFunc for entry blocks of a: the key of an
// entry, decoding only what precedes it.
func KeyOf(a mem.Allocator) KeyFunc {
	return func(r mem.Ref) []byte {
		b := a.Bytes(r, 5)
		if kl := int(b[4]); kl < 0x80 {
			return a.Bytes(r, 5+kl)[5:]
		}
		b = a.Bytes(r, maxHeadView)
		kl, n := binary.Uvarint(b[4:])
		end := 4 + n + int(kl)
		return a.Bytes(r, end)[4+n : end]
	}
}

// Ref is the entry's block.
func (e Entry) Ref() mem.Ref { return e.ref }

// Size is the entry block's size, what Free needs.
func (e Entry) Size() int {
	v := e.vOff()
	switch e.Enc() {
	case EncEmbstr:
		return v + 1 + int(*e.at(v))
	case EncRaw:
		_, w := binary.Uvarint(e.rawHead())
		return v + 2*w + refSize
	}
	return v + refSize // int and containers
}

// Type is the value type (TypeString, ...).
func (e Entry) Type() uint8 { return *e.p >> 4 & typeMask }

// Own reports whether the value is the key's own copy of a small integer
// rather than the shared one (see the b0 bit patterns).
func (e Entry) Own() bool { return *e.p&ownBit != 0 }

// SetOwn marks the value as the key's own copy, or as shared.
func (e Entry) SetOwn(on bool) {
	if on {
		*e.p |= ownBit
	} else {
		*e.p &^= ownBit
	}
}

// Enc is the encoding (EncInt, ...).
func (e Entry) Enc() uint8 { return *e.p & encMask }

// Key is the key; it aliases the block.
func (e Entry) Key() []byte {
	k, end := e.kOff(), e.vOff()-int(*e.p&ttlBit)
	return e.span(k, end-k)[: end-k : end-k]
}

// HasTTL reports whether the entry carries a deadline.
func (e Entry) HasTTL() bool { return *e.p&ttlBit != 0 }

// Deadline is the expiry time in unix ms, 0 without a TTL.
func (e Entry) Deadline() int64 {
	if !e.HasTTL() {
		return 0
	}
	return int64(binary.LittleEndian.Uint64(e.span(e.vOff()-8, 8)))
}

// SetDeadline rewrites the deadline in place; only valid when HasTTL.
func (e Entry) SetDeadline(ms int64) {
	if !e.HasTTL() {
		panic("ds: SetDeadline on an entry without TTL")
	}
	binary.LittleEndian.PutUint64(e.span(e.vOff()-8, 8), uint64(ms))
}

// LRU is the 24-bit LRU clock (or LFU counter).
func (e Entry) LRU() uint32 {
	b := e.span(1, 3)
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16
}

// SetLRU stores the low 24 bits of v.
func (e Entry) SetLRU(v uint32) {
	b := e.span(1, 3)
	b[0], b[1], b[2] = byte(v), byte(v>>8), byte(v>>16)
}

// Int is the value of an EncInt string.
func (e Entry) Int() int64 { return int64(binary.LittleEndian.Uint64(e.span(e.vOff(), 8))) }

// SetInt overwrites the value of an EncInt entry in place. The new value
// is never the key's own copy: what INCR makes is shared when it is small.
func (e Entry) SetInt(v int64) {
	binary.LittleEndian.PutUint64(e.span(e.vOff(), 8), uint64(v))
	e.SetOwn(false)
}

// Str is the value of an embstr or raw string (aliasing its block); nil for
// EncInt (see AppendStr) and containers.
func (e Entry) Str() []byte {
	switch e.Enc() {
	case EncEmbstr:
		v := e.vOff()
		if n := int(*e.at(v)); n > 0 {
			return e.span(v+1, n)[:n:n]
		}
		return []byte{}
	case EncRaw:
		n, _ := binary.Uvarint(e.rawHead())
		if e.vp == nil || n == 0 {
			return []byte{}
		}
		return unsafe.Slice(e.vp, n)[:n:n]
	}
	return nil
}

// AppendStr appends the string value in any string encoding.
func (e Entry) AppendStr(dst []byte) []byte {
	if e.Enc() == EncInt {
		return strconv.AppendInt(dst, e.Int(), 10)
	}
	return append(dst, e.Str()...)
}

// StrLen is the length of the string value (for EncInt, of its decimal form).
func (e Entry) StrLen() int {
	switch e.Enc() {
	case EncEmbstr:
		return int(*e.at(e.vOff()))
	case EncRaw:
		n, _ := binary.Uvarint(e.rawHead())
		return int(n)
	case EncInt:
	default:
		return 0
	}
	n := e.Int()
	d := 1
	if n < 0 {
		d++
	}
	for n >= 10 || n <= -10 {
		n /= 10
		d++
	}
	return d
}

// RawCap is the capacity of a raw string's block (0 for other encodings).
func (e Entry) RawCap() int {
	if e.Enc() != EncRaw {
		return 0
	}
	return e.rawCap()
}

// rawCap is a raw string's block capacity, from the entry block.
func (e Entry) rawCap() int {
	h := e.rawHead()
	_, w := binary.Uvarint(h)
	c, _ := binary.Uvarint(h[w:])
	return int(c)
}

// RawBuf is a raw string's whole block (len = RawCap), for in-place
// APPEND/SETRANGE; follow with SetRawLen.
func (e Entry) RawBuf() []byte {
	if e.vp == nil {
		return nil
	}
	return unsafe.Slice(e.vp, e.rawCap())
}

// SetRawLen sets a raw string's length (<= RawCap) in place.
func (e Entry) SetRawLen(n int) {
	if e.Enc() != EncRaw || n < 0 || n > e.rawCap() {
		panic("ds: SetRawLen out of range")
	}
	h := e.rawHead()
	_, w := binary.Uvarint(h)
	putUvarintWidth(h, uint64(n), w)
}

// rawRef is the Ref of a raw string's block (0 when its capacity is 0).
func (e Entry) rawRef() mem.Ref {
	_, w := binary.Uvarint(e.rawHead())
	return mem.Ref(binary.LittleEndian.Uint64(e.span(e.vOff()+2*w, refSize)))
}

// Container is the Ref of a list/set/zset/hash container.
func (e Entry) Container() mem.Ref {
	return mem.Ref(binary.LittleEndian.Uint64(e.span(e.vOff(), refSize)))
}

// SetContainer replaces the container Ref in place.
func (e Entry) SetContainer(r mem.Ref) {
	binary.LittleEndian.PutUint64(e.span(e.vOff(), refSize), uint64(r))
}

// SetContainerAs replaces the container in place with c, whose encoding may
// differ (a set converted from intset to hashtable).
func (e Entry) SetContainerAs(c Container) {
	*e.p = *e.p&^encMask | c.Enc&encMask
	e.SetContainer(c.Ref)
}

// ContainerOf is e's container with its encoding.
func (e Entry) ContainerOf() Container { return Container{Enc: e.Enc(), Ref: e.Container()} }

// ParseInt parses val as a canonical int64 decimal: no sign but an optional
// '-', no leading zeros (except "0" itself), no spaces, at most 20 bytes, and
// no "-0". Exactly those strings round-trip through the int encoding.
func ParseInt(val []byte) (int64, bool) {
	if len(val) == 0 || len(val) > 20 {
		return 0, false
	}
	if len(val) == 1 && val[0] == '0' {
		return 0, true
	}
	d := val
	neg := d[0] == '-'
	if neg {
		d = d[1:]
	}
	if len(d) == 0 || d[0] < '1' || d[0] > '9' {
		return 0, false
	}
	var u uint64
	for _, c := range d {
		if c < '0' || c > '9' {
			return 0, false
		}
		if u > (1<<63)/10 {
			return 0, false // u*10 would pass 1<<63
		}
		u = u*10 + uint64(c-'0')
	}
	if neg {
		if u > 1<<63 {
			return 0, false
		}
		return -int64(u), true // -(1<<63) wraps to itself, as wanted
	}
	if u > 1<<63-1 {
		return 0, false
	}
	return int64(u), true
}

// StringEncoding picks a string value's encoding: EncInt for a canonical
// int64, else EncEmbstr up to EmbstrMax bytes, else EncRaw.
func StringEncoding(val []byte) uint8 {
	if _, ok := ParseInt(val); ok {
		return EncInt
	}
	if len(val) <= EmbstrMax {
		return EncEmbstr
	}
	return EncRaw
}

func uvarintLen(x uint64) int {
	n := 1
	for x >= 0x80 {
		x >>= 7
		n++
	}
	return n
}

// putUvarintWidth writes x as a uvarint of exactly w bytes (w at least its
// minimal length), padding with zero-payload continuation bytes.
func putUvarintWidth(b []byte, x uint64, w int) {
	for i := 0; i < w-1; i++ {
		b[i] = byte(x) | 0x80
		x >>= 7
	}
	b[w-1] = byte(x)
}

// newBlock allocates an entry block with room for a value of valSize bytes,
// writes everything before the value and returns the block and the value's
// offset.
func newBlock(a mem.Allocator, typ, enc uint8, key []byte, deadline int64, hasTTL bool, lru uint32, valSize int) (mem.Ref, []byte, int) {
	v := 4 + uvarintLen(uint64(len(key))) + len(key)
	if hasTTL {
		v += 8
	}
	size := v + valSize
	r := a.Alloc(mem.PurposeEntry, size)
	b := a.Bytes(r, size)
	b0 := typ<<4 | enc
	if hasTTL {
		b0 |= ttlBit
		binary.LittleEndian.PutUint64(b[v-8:], uint64(deadline))
	}
	b[0], b[1], b[2], b[3] = b0, byte(lru), byte(lru>>8), byte(lru>>16)
	n := binary.PutUvarint(b[4:], uint64(len(key)))
	copy(b[4+n:], key)
	return r, b, v
}

// NewString builds a string entry with the encoding enc, which the caller
// chooses (usually StringEncoding(val)): EncInt needs val to be a canonical
// int64 (ParseInt), EncEmbstr at most EmbstrMax bytes; EncRaw takes any
// value, with capacity len(val).
func NewString(a mem.Allocator, key, val []byte, enc uint8, deadline int64, hasTTL bool, lru uint32) Entry {
	switch enc {
	case EncInt:
		n, ok := ParseInt(val)
		if !ok {
			panic("ds: EncInt for a value that is not a canonical integer")
		}
		return NewInt(a, key, n, deadline, hasTTL, lru)
	case EncEmbstr:
		if len(val) > EmbstrMax {
			panic("ds: embstr longer than EmbstrMax")
		}
		r, b, v := newBlock(a, TypeString, EncEmbstr, key, deadline, hasTTL, lru, 1+len(val))
		b[v] = byte(len(val))
		copy(b[v+1:], val)
		return entryAt(b, r, v)
	case EncRaw:
		return NewRawCap(a, key, val, len(val), deadline, hasTTL, lru)
	}
	panic("ds: NewString with a non-string encoding")
}

// NewInt builds an EncInt string entry.
func NewInt(a mem.Allocator, key []byte, n int64, deadline int64, hasTTL bool, lru uint32) Entry {
	r, b, v := newBlock(a, TypeString, EncInt, key, deadline, hasTTL, lru, 8)
	binary.LittleEndian.PutUint64(b[v:], uint64(n))
	return entryAt(b, r, v)
}

// NewRawCap builds an EncRaw string entry whose value block has room for
// capacity bytes (at least len(val)).
func NewRawCap(a mem.Allocator, key, val []byte, capacity int, deadline int64, hasTTL bool, lru uint32) Entry {
	capacity = max(capacity, len(val))
	w := uvarintLen(uint64(capacity))
	r, b, v := newBlock(a, TypeString, EncRaw, key, deadline, hasTTL, lru, 2*w+refSize)
	putUvarintWidth(b[v:], uint64(len(val)), w)
	binary.PutUvarint(b[v+w:], uint64(capacity))
	e := entryAt(b, r, v)
	var rr mem.Ref
	if capacity > 0 {
		rr = a.Alloc(mem.PurposeValue, capacity)
		vb := a.Bytes(rr, capacity)
		copy(vb, val)
		e.vp = unsafe.SliceData(vb)
	}
	binary.LittleEndian.PutUint64(b[v+2*w:], uint64(rr))
	return e
}

// NewRawOwned builds an EncRaw string entry that takes over block r, which
// a.Alloc(mem.PurposeValue, n) returned and which already holds the n-byte
// value (n > 0): nothing is copied, and the entry frees r with itself. A
// large argument read straight from the socket into r becomes the value
// this way.
func NewRawOwned(a mem.Allocator, key []byte, r mem.Ref, n int, deadline int64, hasTTL bool, lru uint32) Entry {
	if n <= 0 || r == 0 {
		panic("ds: NewRawOwned needs a block")
	}
	w := uvarintLen(uint64(n))
	er, b, v := newBlock(a, TypeString, EncRaw, key, deadline, hasTTL, lru, 2*w+refSize)
	putUvarintWidth(b[v:], uint64(n), w)
	binary.PutUvarint(b[v+w:], uint64(n))
	binary.LittleEndian.PutUint64(b[v+2*w:], uint64(r))
	e := entryAt(b, er, v)
	e.vp = unsafe.SliceData(a.Bytes(r, n))
	return e
}

// GrowRaw resizes the value block of raw string entry *e to capacity bytes
// (at least its length) with mem.Realloc, so a backend that can grow or move
// a block without copying does so, and returns the entry. When the
// capacity's uvarint width is unchanged the entry block is rewritten in
// place and the result has e's Ref. Otherwise it is a new entry block, and
// *e is left owning no value block, so that freeing it (db's Replace does)
// frees only its entry block; the caller stores the new one.
func GrowRaw(a mem.Allocator, e *Entry, capacity int) Entry {
	n, c := e.StrLen(), e.RawCap()
	if c == 0 || capacity < n {
		panic("ds: GrowRaw needs a raw value with a block, and room for its length")
	}
	rr := mem.Realloc(a, mem.PurposeValue, e.rawRef(), c, capacity)
	v := e.vOff()
	h := e.rawHead()
	_, w := binary.Uvarint(h)
	if uvarintLen(uint64(capacity)) <= w {
		// The length stays padded to w bytes; rewrite cap to w bytes too.
		putUvarintWidth(h[w:], uint64(capacity), w)
		binary.LittleEndian.PutUint64(e.span(v+2*w, refSize), uint64(rr))
		e.vp = unsafe.SliceData(a.Bytes(rr, capacity))
		return *e
	}
	ne := NewRawOwned(a, e.Key(), rr, capacity, e.Deadline(), e.HasTTL(), e.LRU())
	*ne.p |= *e.p & ownBit
	ne.SetRawLen(n)
	// The old block gives the value block up: its length and capacity
	// become 0 (in their padded widths) and its ref 0.
	putUvarintWidth(h, 0, w)
	putUvarintWidth(h[w:], 0, w)
	binary.LittleEndian.PutUint64(e.span(v+2*w, refSize), 0)
	e.vp = nil
	return ne
}

// NewContainer builds an entry of type typ whose value is the container c,
// which the caller owns.
func NewContainer(a mem.Allocator, typ, enc uint8, key []byte, c mem.Ref, deadline int64, hasTTL bool, lru uint32) Entry {
	r, b, v := newBlock(a, typ, enc, key, deadline, hasTTL, lru, refSize)
	binary.LittleEndian.PutUint64(b[v:], uint64(c))
	return entryAt(b, r, v)
}

// WithTTL returns the entry with (hasTTL) or without a deadline. When that
// changes the layout, it builds a new block and frees the old one; a raw
// string's value block and a container move over as they are. The caller
// must store the returned entry's Ref in place of the old one.
func (e Entry) WithTTL(a mem.Allocator, hasTTL bool, deadline int64) Entry {
	if hasTTL == e.HasTTL() {
		if hasTTL {
			e.SetDeadline(deadline)
		}
		return e
	}
	return e.rebuild(a, e.Key(), hasTTL, deadline)
}

// Rekey returns the entry under another key, with its TTL, access field and
// value: the value section moves over as it is (a raw string's block and a
// container are not copied) and the old entry block is freed. RENAME uses it.
func (e Entry) Rekey(a mem.Allocator, key []byte) Entry {
	return e.rebuild(a, key, e.HasTTL(), e.Deadline())
}

// rebuild builds a new entry block for key with e's type, encoding, access
// field and value section, and the given TTL, then frees e's block only.
func (e Entry) rebuild(a mem.Allocator, key []byte, hasTTL bool, deadline int64) Entry {
	valBytes := e.block()[e.vOff():]
	r, b, v := newBlock(a, e.Type(), e.Enc(), key, deadline, hasTTL, e.LRU(), len(valBytes))
	copy(b[v:], valBytes)
	b[0] |= *e.p & ownBit
	a.Free(mem.PurposeEntry, e.ref, e.Size())
	n := entryAt(b, r, v)
	n.vp = e.vp
	return n
}

// Copy returns a deep copy of e under key, with e's TTL and the access
// field lru (COPY). A small integer becomes the new key's own; a raw
// string's copy has exactly its length as capacity; a container is copied
// by its encoding's ContainerOps.Copy. ok is false when the container's
// encoding cannot be copied.
func (e Entry) Copy(a mem.Allocator, key []byte, lru uint32) (ne Entry, ok bool) {
	deadline, hasTTL := e.Deadline(), e.HasTTL()
	if e.Type() == TypeString {
		switch e.Enc() {
		case EncInt:
			ne = NewInt(a, key, e.Int(), deadline, hasTTL, lru)
			ne.SetOwn(true)
			return ne, true
		case EncRaw:
			return NewRawCap(a, key, e.Str(), e.StrLen(), deadline, hasTTL, lru), true
		default:
			return NewString(a, key, e.Str(), e.Enc(), deadline, hasTTL, lru), true
		}
	}
	f := containerOps[e.Enc()].Copy
	if f == nil {
		return Entry{}, false
	}
	return NewContainer(a, e.Type(), e.Enc(), key, f(a, e.Container()), deadline, hasTTL, lru), true
}

// Fits reports whether val, whose encoding is enc, can replace e's string
// value in place (Overwrite): the same encoding, an embstr of the same
// length, or a raw block that val fills closely (at most 1/8 slack, so a
// shrinking value gives its memory back).
func (e Entry) Fits(val []byte, enc uint8) bool {
	if e.Type() != TypeString || e.Enc() != enc {
		return false
	}
	switch enc {
	case EncInt:
		return true
	case EncEmbstr:
		return e.StrLen() == len(val)
	default:
		rc := e.RawCap()
		return rc >= len(val) && rc-len(val) <= len(val)/8
	}
}

// Overwrite replaces e's string value in place with val (encoding enc),
// which must fit (Fits). The TTL and access field are left as they are.
func (e *Entry) Overwrite(val []byte, enc uint8) {
	if !e.Fits(val, enc) {
		panic("ds: Overwrite with a value that does not fit")
	}
	switch enc {
	case EncInt:
		n, _ := ParseInt(val)
		e.SetInt(n)
	case EncEmbstr:
		copy(e.Str(), val)
	default:
		copy(e.RawBuf(), val)
		e.SetRawLen(len(val))
	}
}

// GrowCap is the capacity given to a raw value that must grow to n bytes:
// twice n at every size, so that a string built by repeated APPEND or
// SETRANGE is copied O(1) times per byte however large it gets (adding a
// fixed step past some size, as Redis's sds does, copies it O(n) times
// unless realloc can grow it in place). Where the backend can resize a
// block without copying (mem.Reallocator), the spare capacity also costs no
// resident memory until it is written.
func GrowCap(n int) int { return 2 * n }

// Free gives back the entry block, a raw string's value block and a
// container (through its encoding's ContainerOps.Free).
func (e Entry) Free(a mem.Allocator) {
	switch {
	case e.Type() != TypeString:
		e.freeContainer(a)
	case e.Enc() == EncRaw:
		if c := e.rawCap(); c > 0 {
			a.Free(mem.PurposeValue, e.rawRef(), c)
		}
	}
	a.Free(mem.PurposeEntry, e.ref, e.Size())
}

// AllocatedBytes is what the entry costs the allocator, size-class
// rounding included (mem.BlockSize): its entry block, and a raw string's
// value block or a container's blocks (its encoding's ContainerOps.Bytes,
// which may estimate from samples elements; 0 means all).
func (e Entry) AllocatedBytes(a mem.Allocator, samples int) int {
	n := mem.BlockSize(a, e.ref, e.Size())
	switch {
	case e.Type() != TypeString:
		if f := containerOps[e.Enc()].Bytes; f != nil && e.Container() != 0 {
			n += f(a, e.Container(), samples)
		}
	case e.Enc() == EncRaw:
		if c := e.rawCap(); c > 0 {
			n += mem.BlockSize(a, e.rawRef(), c)
		}
	}
	return n
}
