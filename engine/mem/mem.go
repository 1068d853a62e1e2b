// Package mem defines the allocator interface through which every key, value
// and container byte of rundb is allocated, and the accounting types that
// backends report. It holds no backend: those live under variants/.
package mem

// Ref names one block handed out by an Allocator. 0 is the nil Ref; what the
// other values mean (an index, an offset, an address) is the backend's business,
// but every Ref fits in 56 bits: the keyspace table packs Refs into 7 bytes.
type Ref uint64

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
	// Alloc returns a block of at least size bytes; size > 0.
	// Out of memory is fatal: Alloc never returns the nil Ref for size > 0.
	Alloc(size int) Ref
	// Free gives back a block; size is the size passed to Alloc.
	Free(r Ref, size int)
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
}

// Live is the number of live blocks.
func (s Stats) Live() uint64 { return s.Allocs - s.Frees }

// Trimmer is implemented by backends that can give free memory back to the
// OS on demand. The server calls Trim after FLUSHDB and FLUSHALL, so that
// memory a large flush freed shows up as a smaller RSS at once.
type Trimmer interface {
	Trim()
}

// Trim asks a to give free memory back to the OS, if it can.
func Trim(a Allocator) {
	if t, ok := a.(Trimmer); ok {
		t.Trim()
	}
}
