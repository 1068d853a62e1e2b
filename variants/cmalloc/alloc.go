// Package cmalloc is the C allocator backend: every block is one malloc
// through cgo, and a Ref is the block's address.
//
// One backend serves four registry names. Which malloc answers is the
// dynamic linker's choice: glibc's by default (`malloc`), or jemalloc,
// mimalloc or tcmalloc when their library is preloaded with LD_PRELOAD
// (rundb re-executes itself with it set, see variants.Prepare). The backend
// finds out at run time which library defines the malloc the process calls
// and looks that library's own symbols up with dlsym, so one binary works
// with or without each library installed; New fails when the allocator
// asked for is not the one answering.
//
// Accounting is exact: Allocated is the sum of malloc_usable_size over live
// blocks, taken when a block is allocated and again just before it is
// freed, so class rounding is the allocator's real one. Mapped is what the
// allocator says it holds from the OS for the whole process (jemalloc's
// stats.resident, mimalloc's committed bytes, tcmalloc's heap size minus
// unmapped pages, glibc's mallinfo2 arena+hblkhd); it includes blocks that
// are not rundb's (cgo's own) and is sampled at most every mappedEvery.
//
// C memory holds no Go pointers: blocks contain only bytes and Refs, so
// the garbage collector neither sees nor needs to see them.
//
// Each alloc or free is one cgo call (about 20-50 ns of call overhead on
// top of the allocator's own cost; see the benchmarks).
//
// An Allocator is not safe for concurrent use: one event loop owns it.
package cmalloc

import (
	"fmt"
	"time"
	"unsafe"

	"rundb/engine/mem"
)

// Kind is a C allocator rundb knows.
type Kind int

// The allocators, by registry name.
const (
	Libc     Kind = iota // "malloc": the C library's own malloc
	Jemalloc             // "jemalloc"
	Mimalloc             // "mimalloc"
	Tcmalloc             // "tcmalloc": gperftools' tcmalloc_minimal
)

// Kinds lists every Kind in registry order.
var Kinds = []Kind{Libc, Jemalloc, Mimalloc, Tcmalloc}

var kindInfo = [...]struct {
	name    string   // registry name
	files   []string // shared objects to preload, first found wins
	pkg     string   // Debian package shipping them
	summary string
}{
	Libc:     {"malloc", nil, "", "glibc malloc through cgo"},
	Jemalloc: {"jemalloc", []string{"libjemalloc.so.2"}, "libjemalloc2", "jemalloc through cgo, preloaded (LD_PRELOAD)"},
	Mimalloc: {"mimalloc", []string{"libmimalloc.so.2", "libmimalloc.so.2.0"}, "libmimalloc2.0", "mimalloc through cgo, preloaded (LD_PRELOAD)"},
	Tcmalloc: {"tcmalloc", []string{"libtcmalloc_minimal.so.4"}, "libtcmalloc-minimal4", "tcmalloc (minimal) through cgo, preloaded (LD_PRELOAD)"},
}

func (k Kind) valid() bool { return k >= 0 && int(k) < len(kindInfo) }

// String is the registry name (the --alloc value).
func (k Kind) String() string {
	if !k.valid() {
		return fmt.Sprintf("Kind(%d)", int(k))
	}
	return kindInfo[k].name
}

// origin names k as the source of malloc in messages.
func (k Kind) origin() string {
	if k == Libc {
		return "the C library"
	}
	return k.String()
}

// Summary is the one-line description for --help.
func (k Kind) Summary() string { return kindInfo[k].summary }

// Library returns the file names of the shared object that must be
// preloaded for k (none for Libc) and the Debian package that ships it.
func (k Kind) Library() (files []string, debPackage string) {
	return kindInfo[k].files, kindInfo[k].pkg
}

// Answering reports which allocator the process's malloc is, its version
// ("" if unknown) and the shared object that defines malloc. ok is false
// in a build without cgo.
func Answering() (k Kind, version, lib string, ok bool) {
	p := detect()
	return p.kind, p.version, p.lib, p.kind.valid()
}

// refLimit bounds the addresses a Ref may hold: 56 bits (see Ref in
// engine/mem). User-space addresses stay below 2^47 on x86-64 with 4-level
// paging and below 2^48 on arm64 with 48-bit VA; even 5-level paging (57-bit
// VA) only hands out addresses above 2^47 to mmap calls that ask for them
// with a hint, which malloc implementations do not do.
const refLimit = 1 << 56

// mappedEvery bounds how often Stats asks the allocator for Mapped: the
// query costs microseconds (jemalloc refreshes its statistics) and Stats
// may be called per command.
const mappedEvery = 50 * time.Millisecond

// freeBatch is how many frees the backend gathers into one cgo call.
const freeBatch = 32

// Allocator is the cmalloc backend.
//
// Frees are gathered and handed to C freeBatch at a time: a cgo call costs
// about as much as a small malloc or free itself, and a command that
// deletes a list frees two blocks. The gathered blocks are freed before
// anything reads the statistics (Stats, AllocatedBytes, MallocStats) and
// before Trim, so what the backend reports is exact; the library only sees
// up to freeBatch-1 blocks later than one free per call would show them.
type Allocator struct {
	kind       Kind
	name       string
	p          probe
	stats      mem.Stats
	mapped     uint64
	mappedTime time.Time

	nfree      int
	freeAddr   [freeBatch]uintptr
	freeUsable [freeBatch]uintptr
	freeSize   [freeBatch]int
	freePurp   [freeBatch]mem.Purpose
}

var _ mem.Allocator = (*Allocator)(nil)

// New returns an allocator for want, or an error when the process's malloc
// is another one (the preload did not take effect) or cgo is missing.
func New(want Kind) (*Allocator, error) {
	if !want.valid() {
		return nil, fmt.Errorf("cmalloc: unknown allocator kind %d", int(want))
	}
	if !Cgo {
		return nil, fmt.Errorf("--alloc %s: rundb was built without cgo", want)
	}
	p := detect()
	if p.kind != want {
		files, _ := want.Library()
		lib := p.lib
		if lib == "" {
			lib = "an unknown object"
		}
		if want == Libc {
			return nil, fmt.Errorf("--alloc %s: malloc comes from %s (%s), not the C library: unset LD_PRELOAD",
				want, p.kind.origin(), lib)
		}
		return nil, fmt.Errorf("--alloc %s: malloc comes from %s (%s), not %s: preload %s with LD_PRELOAD "+
			"(rundb --alloc %s does it itself)", want, p.kind.origin(), lib, want, files[0], want)
	}
	a := &Allocator{kind: want, p: p}
	switch {
	case want == Libc:
		a.name = "libc"
		tuneGlibc()
	case p.version != "":
		a.name = want.String() + "-" + p.version
	default:
		a.name = want.String()
	}
	return a, nil
}

// Kind is the allocator answering for a.
func (a *Allocator) Kind() Kind { return a.kind }

// Name implements mem.Allocator: "libc", "jemalloc-5.3.0",
// "mimalloc-2.0.9", "tcmalloc-2.10".
func (a *Allocator) Name() string { return a.name }

// Alloc implements mem.Allocator. Every allocator here aligns blocks to at
// least 8 bytes (16 on 64-bit glibc, jemalloc and mimalloc).
func (a *Allocator) Alloc(pu mem.Purpose, size int) mem.Ref {
	if size <= 0 {
		panic("cmalloc: Alloc of non-positive size")
	}
	p, usable := cAlloc(size)
	if p >= refLimit {
		panic("cmalloc: block address does not fit in 56 bits")
	}
	a.stats.Add(pu, size, usable)
	return mem.Ref(p)
}

// Free implements mem.Allocator.
func (a *Allocator) Free(p mem.Purpose, r mem.Ref, size int) {
	if r == 0 {
		panic("cmalloc: Free of the nil Ref")
	}
	i := a.nfree
	a.freeAddr[i], a.freeSize[i], a.freePurp[i] = uintptr(r), size, p
	if a.nfree = i + 1; a.nfree == freeBatch {
		a.flushFrees()
	}
}

// flushFrees frees the gathered blocks and takes them out of the stats.
func (a *Allocator) flushFrees() {
	n := a.nfree
	a.nfree = 0
	cFreeN(a.freeAddr[:n], a.freeUsable[:n])
	for i := range n {
		a.stats.Sub(a.freePurp[i], a.freeSize[i], int(a.freeUsable[i]))
	}
}

// BlockSize implements mem.Sizer: malloc_usable_size of the block.
func (a *Allocator) BlockSize(r mem.Ref, size int) int { return usableSize(uintptr(r)) }

// Realloc implements mem.Reallocator with realloc(3), which grows a large
// block in place or moves its pages (glibc uses mremap for mmapped chunks;
// jemalloc extends a large extent in place when it can).
func (a *Allocator) Realloc(p mem.Purpose, r mem.Ref, oldSize, newSize int) mem.Ref {
	if r == 0 || oldSize <= 0 || newSize <= 0 {
		panic("cmalloc: Realloc of the nil Ref or a non-positive size")
	}
	np, oldUsable, usable := cRealloc(uintptr(r), newSize)
	if np >= refLimit {
		panic("cmalloc: block address does not fit in 56 bits")
	}
	a.stats.Resize(p, oldSize, oldUsable, newSize, usable)
	return mem.Ref(np)
}

// Repurpose implements mem.Repurposer.
func (a *Allocator) Repurpose(r mem.Ref, size int, from, to mem.Purpose) {
	a.stats.Move(from, to, size, usableSize(uintptr(r)))
}

// RefBound implements mem.RefBounder: a Ref is a user-space address, below
// 2^48 on Linux (x86-64 with 4-level page tables, and arm64; 5-level tables
// hand out higher addresses only to mmap calls that ask for them, which
// the C allocators do not make).
func (a *Allocator) RefBound() uint64 { return 1 << 48 }

// Bytes implements mem.Allocator. The slice's capacity is size.
func (a *Allocator) Bytes(r mem.Ref, size int) []byte {
	// Reinterpret the address's bits as a pointer: the memory is C's, so
	// the garbage collector ignores it.
	return unsafe.Slice((*byte)(*(*unsafe.Pointer)(unsafe.Pointer(&r))), size)
}

// Stats implements mem.Allocator. Mapped is process-wide and sampled at
// most every mappedEvery.
func (a *Allocator) Stats() mem.Stats {
	a.flushFrees()
	if now := time.Now(); a.mappedTime.IsZero() || now.Sub(a.mappedTime) >= mappedEvery {
		a.mapped = mappedNow(a.p)
		a.mappedTime = now
	}
	s := a.stats
	s.Mapped = a.mapped
	return s
}

// AllocatedBytes implements mem.AllocatedReader: the live bytes, without
// asking the library for Mapped.
func (a *Allocator) AllocatedBytes() uint64 {
	a.flushFrees()
	return a.stats.Allocated
}

// MallocStats implements mem.StatsWriter: the allocator's own report
// (jemalloc's malloc_stats_print, mimalloc's mi_stats_print_out, tcmalloc's
// MallocExtension_GetStats, glibc's malloc_info XML), found with dlsym, or
// a line saying the library exposes none.
func (a *Allocator) MallocStats() string {
	a.flushFrees()
	if s := statsNow(a.p); s != "" {
		return s
	}
	return "Stats not supported for the current allocator (" + a.name + ": no statistics function found)\n"
}

// Trim implements mem.Trimmer: the allocator gives its free pages back to
// the OS (jemalloc purges every arena, mimalloc collects, tcmalloc releases
// free memory, glibc runs malloc_trim).
func (a *Allocator) Trim() {
	a.flushFrees()
	trimNow(a.p)
	a.mappedTime = time.Time{}
}
