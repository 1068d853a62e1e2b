// Package mem defines the allocator interface through which every key, value
// and container byte of rundb is allocated, and the accounting types that
// backends report. It holds no backend: those live under variants/.
package mem

import "math/bits"

// Ref names one block handed out by an Allocator. 0 is the nil Ref; what the
// other values mean (an index, an offset, an address) is the backend's business,
// but every Ref fits in 56 bits: the keyspace table packs Refs into 7 bytes.
type Ref uint64

// Purpose names what a block is for. Every Alloc and Free names one, and
// every backend keeps byte and block counts per purpose (Stats.Purposes),
// so the cost of each structure can be read apart from the others.
type Purpose uint8

const (
	// PurposeSlots: the slot arrays of the keyspace tables (one per
	// database, see ds.Table).
	PurposeSlots Purpose = iota
	// PurposeExpires: the slot arrays of the expires tables, which hold the
	// keys that carry a deadline.
	PurposeExpires
	// PurposeEntry: the per-key entry blocks (key, access clock, deadline,
	// and the value itself when it is an int or an embstr).
	PurposeEntry
	// PurposeValue: the value blocks of raw strings.
	PurposeValue
	// PurposeContainer: list, set, sorted set and hash containers (none
	// exist yet).
	PurposeContainer
	// PurposeClient: client query and output buffers. The event loop keeps
	// them as Go slices today, so the server adds their bytes to this
	// purpose's figures itself (see the engine's memory report).
	PurposeClient

	// NumPurposes is the number of purposes.
	NumPurposes
)

var purposeNames = [NumPurposes]string{"slots", "expires", "entries", "values", "containers", "clients"}

// String is the purpose's stable name, as INFO memory (mem_purpose_<name>)
// and MEMORY STATS (purpose.<name>) show it.
func (p Purpose) String() string {
	if p < NumPurposes {
		return purposeNames[p]
	}
	return "unknown"
}

// Allocator is the swappable part of rundb. Frees are sized: the caller always
// knows how large the block it frees is, so backends need no block headers.
//
// A block whose size is a multiple of 8 is 8-byte aligned, so a caller may
// view such a block as a []uint64 or []Ref; other blocks have no alignment
// promise (backends may pack odd sizes tightly). Contents of a fresh block
// are unspecified.
type Allocator interface {
	// Name is the backend's name as INFO memory's mem_allocator shows it.
	Name() string
	// Alloc returns a block of at least size bytes for purpose p; size > 0.
	// Out of memory is fatal: Alloc never returns the nil Ref for size > 0.
	Alloc(p Purpose, size int) Ref
	// Free gives back a block; p and size are those passed to Alloc.
	Free(p Purpose, r Ref, size int)
	// Bytes views a block (or its first size bytes) as a slice. The slice is
	// valid until the block is freed. size may be less than the allocated
	// size, never more.
	Bytes(r Ref, size int) []byte
	// Stats reports the backend's accounting.
	Stats() Stats
}

// Stats is an allocator's accounting at one instant.
type Stats struct {
	Requested uint64 // sum of the sizes of live blocks, as passed to Alloc
	Allocated uint64 // live bytes including size-class rounding
	Mapped    uint64 // bytes the backend holds from the OS (0 if unknown)
	Allocs    uint64 // number of Alloc calls so far
	Frees     uint64 // number of Free calls so far

	// Purposes splits the live blocks by purpose: the Requested,
	// Allocated and Blocks of all purposes add up to Requested, Allocated
	// and Live().
	Purposes [NumPurposes]PurposeStats
}

// PurposeStats is the accounting of the live blocks of one purpose.
type PurposeStats struct {
	Requested uint64 // sum of the sizes passed to Alloc
	Allocated uint64 // including size-class rounding
	Blocks    uint64 // live blocks
}

// Live is the number of live blocks.
func (s Stats) Live() uint64 { return s.Allocs - s.Frees }

// Add counts one Alloc of a block for purpose p: size bytes asked for,
// allocated bytes spent (size-class rounding included). Backends call it
// so that every backend keeps the same books.
func (s *Stats) Add(p Purpose, size, allocated int) {
	s.Requested += uint64(size)
	s.Allocated += uint64(allocated)
	s.Allocs++
	ps := &s.Purposes[p]
	ps.Requested += uint64(size)
	ps.Allocated += uint64(allocated)
	ps.Blocks++
}

// Sub counts one Free, the reverse of Add.
func (s *Stats) Sub(p Purpose, size, allocated int) {
	s.Requested -= uint64(size)
	s.Allocated -= uint64(allocated)
	s.Frees++
	ps := &s.Purposes[p]
	ps.Requested -= uint64(size)
	ps.Allocated -= uint64(allocated)
	ps.Blocks--
}

// Sizer is implemented by backends that can tell the bytes a live block
// costs them (what Stats.Allocated counts for it). MEMORY USAGE uses it, so
// that a key's figure matches the growth of used_memory.
type Sizer interface {
	// BlockSize is the Allocated bytes of the live block r of size bytes.
	BlockSize(r Ref, size int) int
}

// BlockSize is the Allocated bytes of the live block r of size bytes on a:
// the backend's own figure when it is a Sizer, else size.
func BlockSize(a Allocator, r Ref, size int) int {
	if s, ok := a.(Sizer); ok {
		return s.BlockSize(r, size)
	}
	return size
}

// RefBounder is implemented by backends whose Refs all stay below a bound
// fixed when the backend is made (the arena's Refs are offsets into its
// reservation; a C allocator's are user-space addresses). A table that
// stores Refs may then store them in fewer bytes (RefBytes).
type RefBounder interface {
	// RefBound is more than any Ref the backend will ever hand out.
	RefBound() uint64
}

// RefBytes is how many bytes hold any Ref of a: enough for RefBound when a
// has one, else 7 (a Ref's promise: it fits in 56 bits).
func RefBytes(a Allocator) int {
	if b, ok := a.(RefBounder); ok {
		return min(7, max(1, (bits.Len64(b.RefBound()-1)+7)/8))
	}
	return 7
}

// StatsWriter is implemented by backends that can describe their own state
// in text (MEMORY MALLOC-STATS): size classes and slabs, or the C
// allocator's statistics report.
type StatsWriter interface {
	// MallocStats returns the backend's report; it may be long.
	MallocStats() string
}

// MallocStats is a's own statistics text, or a line saying it has none.
func MallocStats(a Allocator) string {
	if w, ok := a.(StatsWriter); ok {
		return w.MallocStats()
	}
	return "Stats not supported for the current allocator (" + a.Name() + ")\n"
}

// Trimmer is implemented by backends that can give free memory back to the
// OS on demand. The server calls Trim after FLUSHDB and FLUSHALL, so that
// memory a large flush freed shows up as a smaller RSS at once, and for
// MEMORY PURGE.
type Trimmer interface {
	Trim()
}

// Trim asks a to give free memory back to the OS, if it can.
func Trim(a Allocator) {
	if t, ok := a.(Trimmer); ok {
		t.Trim()
	}
}

// Reallocator is implemented by backends that can resize a block without
// always copying it (the arena grows a large block in place, or moves its
// pages with mremap; malloc has realloc). A string grown by APPEND uses it,
// so that growing a value of hundreds of megabytes neither copies it nor
// touches fresh memory for all of it.
type Reallocator interface {
	// Realloc resizes block r of purpose p and oldSize bytes (as passed to
	// Alloc) to newSize bytes (both > 0), keeping its first
	// min(oldSize, newSize) bytes, and returns the block, which Free then
	// takes with newSize. The returned Ref may differ from r, which is then
	// invalid. Stats count a resize in Requested and Allocated, not in
	// Allocs or Frees.
	Realloc(p Purpose, r Ref, oldSize, newSize int) Ref
}

// Realloc resizes block r with a's Realloc, or else by Alloc, copy and Free
// (which Stats then count as one Alloc and one Free).
func Realloc(a Allocator, p Purpose, r Ref, oldSize, newSize int) Ref {
	if ra, ok := a.(Reallocator); ok {
		return ra.Realloc(p, r, oldSize, newSize)
	}
	nr := a.Alloc(p, newSize)
	n := min(oldSize, newSize)
	copy(a.Bytes(nr, n), a.Bytes(r, n))
	a.Free(p, r, oldSize)
	return nr
}

// Repurposer is implemented by backends that can move a live block from one
// purpose's books to another's. A large request argument is read into a
// block of the clients purpose; when SET keeps it as the value, it becomes
// a values block without being copied.
type Repurposer interface {
	// Repurpose moves block r of size bytes from purpose from to purpose
	// to; Free then takes it with to.
	Repurpose(r Ref, size int, from, to Purpose)
}

// Repurpose moves block r to purpose to with a's Repurpose, or else by
// Alloc, copy and Free; it returns the block, which may have moved.
func Repurpose(a Allocator, r Ref, size int, from, to Purpose) Ref {
	if from == to {
		return r
	}
	if rp, ok := a.(Repurposer); ok {
		rp.Repurpose(r, size, from, to)
		return r
	}
	nr := a.Alloc(to, size)
	copy(a.Bytes(nr, size), a.Bytes(r, size))
	a.Free(from, r, size)
	return nr
}

// Move moves one live block of size bytes (allocated bytes spent) from
// purpose from to purpose to, for a backend's Repurpose.
func (s *Stats) Move(from, to Purpose, size, allocated int) {
	f, t := &s.Purposes[from], &s.Purposes[to]
	f.Requested -= uint64(size)
	f.Allocated -= uint64(allocated)
	f.Blocks--
	t.Requested += uint64(size)
	t.Allocated += uint64(allocated)
	t.Blocks++
}

// Resize counts a block of purpose p resized in place of Alloc and Free:
// size and allocated bytes from the old figures to the new, for a backend's
// Realloc.
func (s *Stats) Resize(p Purpose, oldSize, oldAllocated, newSize, newAllocated int) {
	d := uint64(newSize) - uint64(oldSize)
	da := uint64(newAllocated) - uint64(oldAllocated)
	s.Requested += d
	s.Allocated += da
	ps := &s.Purposes[p]
	ps.Requested += d
	ps.Allocated += da
}

// AllocatedReader is implemented by backends whose Stats cost more than
// their bookkeeping: the C allocator backend asks the library for Mapped,
// and glibc's mallinfo2 walks every free chunk (tens of milliseconds after
// a mass free). The server's checks of used_memory (the cron, maxmemory
// before commands, eviction) read Allocated through it.
type AllocatedReader interface {
	// AllocatedBytes is Stats().Allocated, without the rest of Stats.
	AllocatedBytes() uint64
}

// Allocated is a's Stats().Allocated, read cheaply when a allows it.
func Allocated(a Allocator) uint64 {
	if r, ok := a.(AllocatedReader); ok {
		return r.AllocatedBytes()
	}
	return a.Stats().Allocated
}
