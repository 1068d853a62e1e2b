package arena

import (
	"fmt"
	"math/bits"
	"os"
	"strconv"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"

	"rundb/engine/mem"
)

const (
	unitShift = 16
	unitSize  = 1 << unitShift // 64 KiB: a slab, or a span's granule
	unitMask  = unitSize - 1
	pageSize  = 4096

	// MaxSmall is the largest class; larger blocks get spans of their own.
	// 16 KiB keeps at least 4 blocks per slab; a 17 KiB block in a span
	// backs only the 5 pages it touches.
	MaxSmall = 16384

	commitStep = 64 << 20 // the committed part grows by this much at a time
	maxSpares  = 64       // empty slabs kept backed (4 MiB at most): a container resized through many size classes (an intset, a listpack) empties and refills a slab per class, and a smaller cache gave each of those a madvise and fresh page faults (W5 populate 3x Redis with 8)

	// DefaultReserve is the address space reserved by New: enough for tens
	// of GB of data, and free until used.
	DefaultReserve = 64 << 30
	// maxReserve keeps every offset within 56 bits.
	maxReserve = 1 << 56

	nbuckets = 64 // free-run buckets: lengths 1..63 exactly, then >= 64

	// bigBlocks is the most blocks a slab of a big class has: classes of
	// 2 KiB and more (at most 32 blocks, so a block bitmap fits a word)
	// keep their free blocks in a bitmap instead of a list threaded through
	// the blocks, so that the pages under free blocks can be given back.
	bigBlocks = 32
	// slabPages is the pages of a slab (16: a uint16 bitmap).
	slabPages = unitSize / pageSize
	// purgeAfter is how many bytes of big blocks may be freed before the
	// pages wholly under free big blocks are given back to the OS: the
	// most RSS that freed big blocks keep, and 64 frees of 4 KiB per
	// round of madvise calls.
	purgeAfter = 256 << 10
	// dirtyFlag, in a big-class slab's n, says it is on the purge list.
	dirtyFlag = 1 << 16
)

// Unit kinds. Units inside a run or span are kindInner.
const (
	kindInner    = iota
	kindReserved // unit 0
	kindFree     // first or last unit of a free run
	kindSlab
	kindSpan // first unit of a span
)

// unitMeta describes one unit. For a slab: class, live, free, bump, spare
// and the class-list links; a slab of a big class keeps its free blocks in
// size (a bitmap, bit i = block i is free, see bigFree) instead of free,
// and in n the pages given back since they were last used (bits 0..15)
// and dirtyFlag. For a free run (at its first and last unit): n and, at the
// first, the bucket-list links. For a span: n and size.
type unitMeta struct {
	kind  uint8
	class uint8
	spare int8   // spare slot, -1 if none
	inPL  bool   // on its class's list of slabs with room
	free  uint16 // free-list head: block index + 1, 0 if empty
	bump  uint16 // blocks below bump have been handed out at least once
	live  uint32 // live blocks (slab)
	n     uint32 // units in the run or span
	prev  int32  // list links (0 = none: unit 0 is never listed)
	next  int32
	size  uint64 // span: the size passed to Alloc
}

// spareUse is a uint64 bitmap of the spare slots.
var _ [64 - maxSpares]struct{}

// unitMeta is 32 bytes: 0.05% of the unit it describes.
var (
	_ uint = 32 - uint(unsafe.Sizeof(unitMeta{}))
	_ uint = uint(unsafe.Sizeof(unitMeta{})) - 32
)

type class struct {
	size    uint32 // block size
	magic   uint32 // ceil(2^32/size): off*magic>>32 == off/size for off < 64 KiB
	nblocks uint16 // blocks per slab
	big     bool   // nblocks <= bigBlocks: free blocks in a bitmap, pages purged
	head    int32  // first slab with room, 0 if none
}

var (
	classes   []class
	sizeClass [MaxSmall + 1]uint8
)

func init() {
	var sizes []uint32
	for s := uint32(2); s <= 64; s += 2 {
		sizes = append(sizes, s)
	}
	for s := uint32(72); s <= 128; s += 8 {
		sizes = append(sizes, s)
	}
	// Then four classes per doubling (160, 192, 224, 256, 320, ...), so
	// powers of two (a 1 KiB value) fit exactly and no block wastes more
	// than a fifth of its class; eight from 2 KiB on (2304, 2560, ...),
	// where a slab holds few blocks, so a finer step costs little in
	// slabs per class in use and saves rounding (the dash layout's
	// segments step through these sizes).
	for p := uint32(128); p < MaxSmall; p *= 2 {
		steps := uint32(4)
		if p >= 2048 {
			steps = 8
		}
		for k := uint32(1); k <= steps; k++ {
			s := p + k*p/steps
			// Widen to the largest multiple of 8 with the same block count.
			s = min((unitSize/(unitSize/s))&^7, MaxSmall)
			if s > sizes[len(sizes)-1] {
				sizes = append(sizes, s)
			}
		}
	}
	if len(sizes) > 255 {
		panic("arena: too many size classes")
	}
	for i, s := range sizes {
		classes = append(classes, class{
			size:    s,
			magic:   uint32((1<<32 + uint64(s) - 1) / uint64(s)),
			nblocks: uint16(unitSize / s),
			big:     unitSize/s <= bigBlocks,
		})
		lo := 1
		if i > 0 {
			lo = int(sizes[i-1]) + 1
		}
		for n := lo; n <= int(s); n++ {
			sizeClass[n] = uint8(i)
		}
	}
}

// Classes returns the block sizes of the size classes, smallest first.
func Classes() []int {
	out := make([]int, len(classes))
	for i, c := range classes {
		out[i] = int(c.size)
	}
	return out
}

// RoundUp is the bytes Allocated counts for a block of size bytes.
func RoundUp(size int) int {
	if size <= MaxSmall {
		return int(classes[sizeClass[size]].size)
	}
	return (size + pageSize - 1) &^ (pageSize - 1)
}

// Arena is the mmap arena backend. See the package doc.
type Arena struct {
	base    unsafe.Pointer
	mem     []byte  // the whole reservation
	commit  uintptr // bytes from the start that are read-write
	top     int32   // first unit never handed out
	maxUnit int32   // units in the reservation
	meta    []unitMeta
	classes []class // a copy of the class table: heads are per arena

	buckets    [nbuckets]int32 // free-run list heads by length
	bucketBits uint64          // bit i set when buckets[i] is non-empty

	spares   [maxSpares]int32 // empty slabs kept backed, 0 = slot unused
	spareSeq [maxSpares]uint64
	spareUse uint64 // bit i set when spares[i] holds a slab (maxSpares <= 64)
	seq      uint64

	dirty      []int32 // big-class slabs with blocks freed since the last purge
	dirtyBytes int     // bytes of big blocks freed since the last purge

	dbits [][]uint64 // arenadebug: allocated-block bitmap per slab unit

	stats mem.Stats
}

var _ mem.Allocator = (*Arena)(nil)

// New reserves DefaultReserve bytes, or the size in the environment variable
// RUNDB_ARENA_RESERVE (bytes, or a number with a K, M, G or T suffix).
func New() (*Arena, error) {
	size := int64(DefaultReserve)
	if s := os.Getenv("RUNDB_ARENA_RESERVE"); s != "" {
		n, err := parseSize(s)
		if err != nil {
			return nil, fmt.Errorf("arena: RUNDB_ARENA_RESERVE=%q: %w", s, err)
		}
		size = n
	}
	return NewSize(size)
}

func parseSize(s string) (int64, error) {
	mult := int64(1)
	switch strings.ToUpper(s[len(s)-1:]) {
	case "K":
		mult = 1 << 10
	case "M":
		mult = 1 << 20
	case "G":
		mult = 1 << 30
	case "T":
		mult = 1 << 40
	}
	if mult > 1 {
		s = s[:len(s)-1]
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 || n > maxReserve/mult {
		return 0, fmt.Errorf("not a size")
	}
	return n * mult, nil
}

// NewSize reserves reserve bytes of address space (rounded up to 64 KiB,
// at least two units, less than 2^56).
func NewSize(reserve int64) (*Arena, error) {
	reserve = (reserve + unitMask) &^ unitMask
	if reserve < 2*unitSize || reserve >= maxReserve || reserve > int64(1<<31-1)*unitSize {
		return nil, fmt.Errorf("arena: reservation of %d bytes out of range", reserve)
	}
	b, err := unix.Mmap(-1, 0, int(reserve), unix.PROT_NONE,
		unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_NORESERVE)
	if err != nil {
		return nil, fmt.Errorf("arena: cannot reserve %d bytes: %w", reserve, os.NewSyscallError("mmap", err))
	}
	// Keep accounting page-exact: no transparent huge pages here, even
	// where they are enabled for every mapping.
	_ = unix.Madvise(b, unix.MADV_NOHUGEPAGE)
	a := &Arena{
		base:    unsafe.Pointer(unsafe.SliceData(b)),
		mem:     b,
		top:     1,
		maxUnit: int32(reserve >> unitShift),
		meta:    make([]unitMeta, 1, 1024),
		classes: append([]class(nil), classes...),
	}
	a.meta[0] = unitMeta{kind: kindReserved, spare: -1}
	if debug {
		a.dbits = make([][]uint64, 1, 1024)
	}
	return a, nil
}

// Close unmaps the reservation. Every Ref and every slice from Bytes
// becomes invalid.
func (a *Arena) Close() error {
	if a.mem == nil {
		return nil
	}
	err := unix.Munmap(a.mem)
	a.mem, a.base = nil, nil
	return err
}

// Name implements mem.Allocator.
func (a *Arena) Name() string { return "arena" }

// Stats implements mem.Allocator.
func (a *Arena) Stats() mem.Stats { return a.stats }

// BlockSize implements mem.Sizer: the block's class size, or its pages.
func (a *Arena) BlockSize(r mem.Ref, size int) int { return RoundUp(size) }

// RefBound implements mem.RefBounder: a Ref is an offset into the
// reservation (5 bytes hold one of the default 64 GiB).
func (a *Arena) RefBound() uint64 { return uint64(len(a.mem)) }

// Reserved is the size of the reservation in bytes.
func (a *Arena) Reserved() int { return len(a.mem) }

// Bytes implements mem.Allocator.
func (a *Arena) Bytes(r mem.Ref, size int) []byte {
	return unsafe.Slice((*byte)(unsafe.Add(a.base, uintptr(r))), size)
}

// Alloc implements mem.Allocator.
func (a *Arena) Alloc(p mem.Purpose, size int) mem.Ref {
	if size <= 0 {
		panic("arena: Alloc of non-positive size")
	}
	if size > MaxSmall {
		return a.allocSpan(p, size)
	}
	ci := sizeClass[size]
	c := &a.classes[ci]
	s := c.head
	if s == 0 {
		s = a.newSlab(ci)
	}
	m := &a.meta[s]
	if m.live == 0 && m.spare >= 0 {
		a.spares[m.spare] = 0
		a.spareUse &^= 1 << uint(m.spare)
		m.spare = -1
	}
	if c.big {
		return a.allocBig(p, size, c, s, m)
	}
	var idx uint32
	if m.free != 0 {
		idx = uint32(m.free) - 1
		p := unsafe.Add(a.base, uintptr(s)<<unitShift+uintptr(idx*c.size))
		nb := (*[2]byte)(p)
		m.free = uint16(nb[0]) | uint16(nb[1])<<8
		if debug {
			a.checkPoison(p, c.size)
		}
	} else {
		idx = uint32(m.bump)
		m.bump++
	}
	m.live++
	if m.free == 0 && m.bump == c.nblocks {
		a.unlinkSlab(c, s, m)
	}
	if debug {
		a.markAlloc(s, idx)
	}
	a.stats.Add(p, size, int(c.size))
	return mem.Ref(uint64(s)<<unitShift | uint64(idx*c.size))
}

// Free implements mem.Allocator.
func (a *Arena) Free(p mem.Purpose, r mem.Ref, size int) {
	s := int32(r >> unitShift)
	if debug {
		a.checkFree(r, size)
	}
	if size > MaxSmall {
		a.freeSpan(p, s, size)
		return
	}
	m := &a.meta[s]
	c := &a.classes[m.class]
	off := uint32(r & unitMask)
	idx := uint32(uint64(off) * uint64(c.magic) >> 32)
	if c.big {
		a.freeBig(p, size, c, s, m, idx)
		return
	}
	bp := unsafe.Add(a.base, uintptr(r))
	if debug {
		a.poison(bp, c.size)
		a.markFree(s, idx)
	}
	nb := (*[2]byte)(bp)
	nb[0], nb[1] = byte(m.free), byte(m.free>>8)
	m.free = uint16(idx + 1)
	if !m.inPL {
		a.linkSlab(c, s, m)
	}
	m.live--
	a.stats.Sub(p, size, int(c.size))
	if m.live == 0 {
		a.slabEmptied(s)
	}
}

// linkSlab puts slab s at the head of its class's list.
func (a *Arena) linkSlab(c *class, s int32, m *unitMeta) {
	m.prev, m.next, m.inPL = 0, c.head, true
	if c.head != 0 {
		a.meta[c.head].prev = s
	}
	c.head = s
}

func (a *Arena) unlinkSlab(c *class, s int32, m *unitMeta) {
	if m.prev != 0 {
		a.meta[m.prev].next = m.next
	} else {
		c.head = m.next
	}
	if m.next != 0 {
		a.meta[m.next].prev = m.prev
	}
	m.prev, m.next, m.inPL = 0, 0, false
}

// newSlab makes a fresh slab of class ci, at the head of its list.
func (a *Arena) newSlab(ci uint8) int32 {
	s := a.takeUnits(1)
	a.meta[s] = unitMeta{kind: kindSlab, class: ci, spare: -1}
	a.linkSlab(&a.classes[ci], s, &a.meta[s])
	a.stats.Mapped += unitSize
	if debug {
		a.dbits[s] = make([]uint64, (int(a.classes[ci].nblocks)+63)/64)
	}
	return s
}

// slabEmptied keeps slab s as a spare, releasing the oldest spare if all
// slots are taken. A free slot is found in O(1) (spareUse): a list created
// and deleted per command empties a slab per command.
func (a *Arena) slabEmptied(s int32) {
	var slot int
	if free := ^a.spareUse; free != 0 {
		slot = bits.TrailingZeros64(free)
	} else {
		slot = 0
		for i := range a.spares {
			if a.spareSeq[i] < a.spareSeq[slot] {
				slot = i
			}
		}
		a.releaseSlab(a.spares[slot])
	}
	a.seq++
	a.spares[slot], a.spareSeq[slot] = s, a.seq
	a.spareUse |= 1 << uint(slot)
	a.meta[s].spare = int8(slot)
}

// releaseSlab gives an empty slab back to the OS and to the free runs.
func (a *Arena) releaseSlab(s int32) {
	m := &a.meta[s]
	if m.spare >= 0 {
		a.spares[m.spare] = 0
		a.spareUse &^= 1 << uint(m.spare)
	}
	if m.inPL {
		a.unlinkSlab(&a.classes[m.class], s, m)
	}
	if debug {
		a.dbits[s] = nil
	}
	back := uint64(unitSize)
	if a.classes[m.class].big {
		// Pages given back already are not mapped any more.
		back -= uint64(bits.OnesCount16(uint16(m.n))) * pageSize
	}
	a.stats.Mapped -= back
	a.putUnits(s, 1, unitSize)
}

// Trim gives every spare slab, and the pages under free big blocks, back
// to the OS.
func (a *Arena) Trim() {
	a.purge()
	for _, s := range a.spares {
		if s != 0 {
			a.releaseSlab(s)
		}
	}
}

func pageRound(n int) int { return (n + pageSize - 1) &^ (pageSize - 1) }

func (a *Arena) allocSpan(p mem.Purpose, size int) mem.Ref {
	n := (int64(size) + unitMask) >> unitShift
	if n >= int64(a.maxUnit) {
		a.oom(size)
	}
	u := a.takeUnits(int32(n))
	a.meta[u] = unitMeta{kind: kindSpan, spare: -1, n: uint32(n), size: uint64(size)}
	pr := uint64(pageRound(size))
	a.stats.Mapped += pr
	a.stats.Add(p, size, int(pr))
	return mem.Ref(uint64(u) << unitShift)
}

func (a *Arena) freeSpan(p mem.Purpose, u int32, size int) {
	m := &a.meta[u]
	n := int32(m.n)
	m.kind = kindInner
	pr := uint64(pageRound(size))
	a.stats.Mapped -= pr
	a.stats.Sub(p, size, int(pr))
	a.putUnits(u, n, int(pr))
}

func (a *Arena) oom(size int) {
	panic(fmt.Sprintf("arena: out of memory: cannot allocate %d bytes; the %d MiB reservation is exhausted (%d MiB in use; set RUNDB_ARENA_RESERVE higher)",
		size, len(a.mem)>>20, uint64(a.top)<<unitShift>>20))
}

// takeUnits hands out n consecutive units: the smallest free run that fits,
// else fresh units at the top.
func (a *Arena) takeUnits(n int32) int32 {
	if u := a.findRun(n); u != 0 {
		have := int32(a.meta[u].n)
		a.unlinkRun(u)
		if have > n {
			a.pushRun(u+n, have-n)
		}
		return u
	}
	return a.takeTop(n)
}

// takeTop hands out the n units at the top, committing them if needed.
func (a *Arena) takeTop(n int32) int32 {
	if n > a.maxUnit-a.top {
		a.oom(int(n) << unitShift)
	}
	u := a.top
	end := uintptr(u+n) << unitShift
	if end > a.commit {
		nc := min((end+commitStep-1)&^(commitStep-1), uintptr(len(a.mem)))
		if err := unix.Mprotect(a.mem[a.commit:nc], unix.PROT_READ|unix.PROT_WRITE); err != nil {
			panic(fmt.Sprintf("arena: out of memory: the kernel refused to commit %d MiB more (%v; see /proc/sys/vm/overcommit_memory)",
				(nc-a.commit)>>20, err))
		}
		a.commit = nc
	}
	a.top += n
	for i := int32(0); i < n; i++ {
		a.meta = append(a.meta, unitMeta{spare: -1})
		if debug {
			a.dbits = append(a.dbits, nil)
		}
	}
	return u
}

// putUnits gives n units from u back, unbacking their first touched bytes,
// and coalesces them with free neighbours.
func (a *Arena) putUnits(u, n int32, touched int) {
	if touched > 0 {
		off := uintptr(u) << unitShift
		a.dontNeed(off, off+uintptr(touched))
	}
	a.meta[u] = unitMeta{spare: -1}
	if l := u - 1; a.meta[l].kind == kindFree {
		h := l - int32(a.meta[l].n) + 1
		ln := int32(a.meta[h].n)
		a.unlinkRun(h)
		u, n = h, n+ln
	}
	if r := u + n; r < a.top && a.meta[r].kind == kindFree {
		rn := int32(a.meta[r].n)
		a.unlinkRun(r)
		n += rn
	}
	a.pushRun(u, n)
}

func bucketOf(n int32) int { return int(min(n, nbuckets)) - 1 }

// findRun returns the first unit of the smallest free run of at least n
// units, 0 if none.
func (a *Arena) findRun(n int32) int32 {
	if n < nbuckets {
		if m := a.bucketBits >> uint(bucketOf(n)); m != 0 {
			b := bucketOf(n) + bits.TrailingZeros64(m)
			if b < nbuckets-1 {
				return a.buckets[b]
			}
		}
	}
	best := int32(0)
	for u := a.buckets[nbuckets-1]; u != 0; u = a.meta[u].next {
		if ln := a.meta[u].n; ln >= uint32(n) && (best == 0 || ln < a.meta[best].n) {
			best = u
			if ln == uint32(n) {
				break
			}
		}
	}
	return best
}

// pushRun records n free units from u.
func (a *Arena) pushRun(u, n int32) {
	b := bucketOf(n)
	a.meta[u] = unitMeta{kind: kindFree, spare: -1, n: uint32(n), next: a.buckets[b]}
	if h := a.buckets[b]; h != 0 {
		a.meta[h].prev = u
	}
	a.buckets[b] = u
	a.bucketBits |= 1 << uint(b)
	if n > 1 {
		a.meta[u+n-1] = unitMeta{kind: kindFree, spare: -1, n: uint32(n)}
	}
}

// unlinkRun takes the run at u out of its bucket; its first and last units
// become kindInner.
func (a *Arena) unlinkRun(u int32) {
	m := &a.meta[u]
	n := int32(m.n)
	b := bucketOf(n)
	if m.prev != 0 {
		a.meta[m.prev].next = m.next
	} else {
		a.buckets[b] = m.next
		if m.next == 0 {
			a.bucketBits &^= 1 << uint(b)
		}
	}
	if m.next != 0 {
		a.meta[m.next].prev = m.prev
	}
	a.meta[u] = unitMeta{spare: -1}
	a.meta[u+n-1] = unitMeta{spare: -1}
}

// Realloc implements mem.Reallocator. A block that stays in one size class
// stays where it is. A large block (a span) that grows takes the free units
// right after it when there are enough (or the never-used units at the top),
// so nothing moves; otherwise its touched pages are moved to a new span with
// mremap, which moves page-table entries instead of copying bytes, and the
// old range is mapped afresh. A span that shrinks gives its tail units back.
// Any other resize is Alloc, copy and Free.
func (a *Arena) Realloc(p mem.Purpose, r mem.Ref, oldSize, newSize int) mem.Ref {
	if oldSize <= 0 || newSize <= 0 {
		panic("arena: Realloc of non-positive size")
	}
	if oldSize <= MaxSmall || newSize <= MaxSmall {
		if oldSize <= MaxSmall && newSize <= MaxSmall && sizeClass[oldSize] == sizeClass[newSize] {
			c := RoundUp(oldSize)
			a.stats.Resize(p, oldSize, c, newSize, c)
			return r
		}
		nr := a.Alloc(p, newSize)
		n := min(oldSize, newSize)
		copy(a.Bytes(nr, n), a.Bytes(r, n))
		a.Free(p, r, oldSize)
		return nr
	}
	u := int32(r >> unitShift)
	if debug {
		a.checkFree(r, oldSize)
	}
	have := int32(a.meta[u].n)
	need64 := (int64(newSize) + unitMask) >> unitShift
	if need64 >= int64(a.maxUnit) {
		a.oom(newSize)
	}
	need := int32(need64)
	opr, npr := pageRound(oldSize), pageRound(newSize)
	switch {
	case need <= have:
		// Shrink (or grow within the last unit): unback what the smaller
		// size no longer covers, give whole units back.
		if npr < opr {
			off := uintptr(u)<<unitShift + uintptr(npr)
			end := uintptr(u)<<unitShift + uintptr(min(opr, int(need)<<unitShift))
			if end > off {
				a.dontNeed(off, end)
			}
		}
		if need < have {
			a.putUnits(u+need, have-need, max(0, opr-int(need)<<unitShift))
		}
	case a.growInPlace(u, have, need):
	default:
		nu := a.takeUnits(need)
		a.movePages(u, nu, opr)
		a.putUnits(u, have, 0)
		a.meta[nu] = unitMeta{kind: kindSpan, spare: -1}
		u = nu
	}
	// takeUnits may have moved a.meta: index it afresh.
	m := &a.meta[u]
	m.n, m.size = uint32(need), uint64(newSize)
	a.stats.Resize(p, oldSize, opr, newSize, npr)
	a.stats.Mapped += uint64(npr) - uint64(opr)
	return mem.Ref(uint64(u) << unitShift)
}

// Repurpose implements mem.Repurposer.
func (a *Arena) Repurpose(r mem.Ref, size int, from, to mem.Purpose) {
	a.stats.Move(from, to, size, RoundUp(size))
}

// growInPlace extends the span of have units at u to need units when the
// units after it are free (a free run, or never used), reporting whether it
// did.
func (a *Arena) growInPlace(u, have, need int32) bool {
	next, more := u+have, need-have
	if next == a.top {
		if more > a.maxUnit-a.top {
			return false
		}
		a.takeTop(more)
		return true
	}
	if a.meta[next].kind != kindFree || int32(a.meta[next].n) < more {
		return false
	}
	n := int32(a.meta[next].n)
	a.unlinkRun(next)
	if n > more {
		a.pushRun(next+more, n-more)
	}
	return true
}

// movePages moves the first touched bytes (page-rounded) of the span at
// unit from to the span at unit to, then maps the vacated range afresh
// (read-write, unbacked) so the reservation has no hole.
func (a *Arena) movePages(from, to int32, touched int) {
	if touched == 0 {
		return
	}
	src := uintptr(a.base) + uintptr(from)<<unitShift
	dst := uintptr(a.base) + uintptr(to)<<unitShift
	_, _, errno := unix.Syscall6(unix.SYS_MREMAP, src, uintptr(touched), uintptr(touched),
		unix.MREMAP_MAYMOVE|unix.MREMAP_FIXED, dst, 0)
	if errno != 0 {
		panic(fmt.Sprintf("arena: mremap: %v", errno))
	}
	_, _, errno = unix.Syscall6(unix.SYS_MMAP, src, uintptr(touched), unix.PROT_READ|unix.PROT_WRITE,
		unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_NORESERVE|unix.MAP_FIXED, ^uintptr(0), 0)
	if errno != 0 {
		panic(fmt.Sprintf("arena: out of memory: cannot map %d bytes again after mremap: %v", touched, errno))
	}
	off := uintptr(from) << unitShift
	_ = unix.Madvise(a.mem[off:off+uintptr(touched)], unix.MADV_NOHUGEPAGE)
}

// dontNeed unbacks the bytes [off, end) of the reservation.
func (a *Arena) dontNeed(off, end uintptr) {
	if err := unix.Madvise(a.mem[off:end], unix.MADV_DONTNEED); err != nil {
		panic(fmt.Sprintf("arena: madvise(MADV_DONTNEED): %v", err))
	}
}
