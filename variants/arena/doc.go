// Package arena is rundb's off-heap allocator backend: one large virtual
// range reserved from the OS with mmap, carved into 64 KiB units that serve
// either as slabs of one size class or as spans of large blocks.
//
// # Glossary
//
//   - reservation: the one range mapped at New (default 64 GiB of address
//     space, see DefaultReserve and RUNDB_ARENA_RESERVE). It is mapped
//     PROT_NONE with MAP_NORESERVE, so it costs neither memory nor commit
//     charge; it is made readable and writable (committed) in 64 MiB steps
//     as the used part grows. This works under every
//     /proc/sys/vm/overcommit_memory mode: PROT_NONE private mappings are not
//     charged even in strict mode (2), where a plain 64 GiB MAP_NORESERVE
//     read-write mapping would be refused.
//   - unit: 64 KiB of the reservation, numbered from 0. Unit 0 is never
//     handed out, so offset 0 (the nil Ref) never names a block.
//   - top: the first unit never handed out; the units below it are slabs,
//     spans or free runs.
//   - class: a block size. Classes go in 2-byte steps from 2 to 64 B, 8-byte
//     steps to 128 B, then four per doubling (160, 192, 224, 256, 320, ...,
//     so powers of two fit exactly) up to 2 KiB and eight per doubling
//     (2336, 2616, 2848, ...) from there up to 16 KiB, each one widened to
//     the largest multiple of 8 that still fits as many blocks in a slab
//     (Classes lists them). The fine steps matter because rundb's entry
//     blocks are small and odd-sized: the 38-byte entry of a 16-byte key with
//     a 16-byte value wastes nothing in class 38, where 8-byte steps would
//     waste 2 bytes and jemalloc's 48-byte class 10.
//   - slab: a unit cut into blocks of one class. Its metadata (class, live
//     count, free-list head, bump index) is in a Go slice indexed by unit
//     number, not in the arena.
//   - span: one or more whole units holding one block above the largest
//     class. Only its first size bytes, rounded up to pages, are ever touched.
//   - free run: consecutive units that are neither slab nor span. Free runs
//     are never backed by memory: a slab or span going free is
//     MADV_DONTNEED'd first. Neighbouring free runs are coalesced, and runs
//     are kept in buckets by length (one per length 1..63, one for longer
//     runs) so a request takes the smallest run that fits.
//   - spare: an empty slab kept backed on its class's list, so that a loop
//     that allocates and frees one block does not pay a madvise and a page
//     fault each time. At most maxSpares (64, so 4 MiB) are kept; when one
//     more slab empties, the one that emptied longest ago is released. Trim
//     releases all of them.
//
// # Refs
//
// A Ref is a byte offset into the reservation, so the image is
// position-independent: copying the used part of the range elsewhere keeps
// every Ref valid. Its grammar, as a 64-bit value (bits 63..56 are always 0,
// so a Ref fits the 56 bits the keyspace table may pack it in):
//
//	Ref  = unit << 16 | off
//	unit = 1 .. reservation/64 KiB - 1   (0 is reserved: Ref 0 is nil)
//	off  = index × class                 for a block in a slab
//	off  = 0                             for a span (a large block)
//
// Example: the 4th block (index 3) of a class-38 slab in unit 5 is
// 5<<16 | 3×38 = 0x50072; the large block heading unit 9 is 0x90000.
//
// # Layout
//
//	reservation (PROT_NONE above the committed part)
//	┌────────┬────────┬────────┬────────┬────────────────┬────────┬──────────────┐
//	│ unit 0 │ slab   │ slab   │  free  │ span (2 units) │ slab   │ never used   │
//	│ nil    │ cls 38 │ cls 72 │  run   │ one 100K block │ cls 38 │ (above top)  │
//	└────────┴────────┴────────┴────────┴────────────────┴────────┴──────────────┘
//	0        64K      128K     192K     256K             384K     448K = top
//
//	a slab of class 38 (1724 blocks, 24 bytes of tail unused)
//	┌──────┬──────┬──────┬──────┬──────┬─────────────────────────────┐
//	│ live │ free │ live │ free │ live │ never handed out ...        │
//	│      │ 04 00│      │ 00 00│      │                             │
//	└──────┴──────┴──────┴──────┴──────┴─────────────────────────────┘
//	 #0     #1     #2     #3     #4     #5 = bump
//	 free-list head (in the Go-side metadata) = 2, i.e. #1; #1 links to
//	 #3 (stored as 3+1 = 04 00), #3 ends the list (00 00)
//
// # Free lists
//
// Each slab of a class below 2 KiB has a LIFO free list threaded through
// its free blocks (big classes: see below): the
// first two bytes of a free block hold the index of the next free block
// plus one, little-endian (0 ends the list). Blocks are never split or
// merged and frees are sized, so there is no per-block header. Blocks that
// were never handed out are taken from the slab's bump index, which keeps a
// fresh slab's untouched pages unbacked. Each class keeps a doubly linked
// list of its slabs that have room; Alloc takes from the head. Free lists are
// per slab rather than per class so that a slab whose live count drops to
// zero can be given back in O(1), without unthreading its blocks from a
// class-wide list.
//
// # Big classes
//
// A class of 2 KiB or more (at most 32 blocks to a slab) keeps its free
// blocks in a bitmap in the slab's metadata instead of a list threaded
// through them, so nothing in a free big block is ever read again, and
// the pages that lie wholly under free blocks can be given back to the OS
// while the slab holds live blocks too. Such a block that is freed is
// noted (its slab goes on a purge list); once purgeAfter (256 KiB) of big
// blocks have been freed, and at Trim, each listed slab gives back with
// MADV_DONTNEED the pages its blocks have touched that no live block
// touches. A page given back is mapped again by the first block handed out
// over it. So a table that grows by moving its segments through several
// big classes (the dash layout) does not keep every class's old blocks
// resident: without this, the arena held up to 9 bytes per key of such
// blocks for a million keys. A page shared with a live block stays, which
// is what remains of the cost while a class is half vacated.
//
// Example: a slab of class 3120 (21 blocks over 16 pages) whose live blocks
// are 0 (bytes 0..3119, page 0) and 7 (21840..24959, pages 5 and 6) keeps
// pages 0, 5 and 6 backed after a purge and gives the other 13 back.
//
// # Alignment
//
// Units are 64 KiB-aligned and every class of 8 bytes or more that a
// multiple-of-8 size maps to is itself a multiple of 8, so a block whose
// size is a multiple of 8 is 8-byte aligned; spans are 64 KiB-aligned.
//
// # The garbage collector
//
// The reservation is not Go heap memory, and the arena stores no Go
// pointers in it: blocks hold rundb's bytes and Refs (offsets), and the
// free lists hold block indexes. The GC therefore never needs to scan it,
// and a Go pointer must never be written into a block (the GC would not see
// it and could free its target). The only Go-heap memory is the metadata:
// a few slices of integers (32 bytes per 64 KiB unit), which hold no
// pointers either.
//
// # Accounting
//
// Stats is exact: Requested is the sum of the live sizes, Allocated the sum
// of their classes (spans count their size rounded up to 4 KiB pages),
// Mapped the bytes of slabs (whole units, spares included, less the pages
// of big-class slabs given back) and spans (page rounded) currently backed
// or backable, i.e. not given back with MADV_DONTNEED.
//
// # Debug build
//
// With the build tag arenadebug, freed blocks are poisoned with 0xDB and
// checked on reuse (a write after free panics at the next Alloc of that
// block), every slab keeps a bitmap of its allocated blocks, and Free panics
// on a double free, on a Ref that names no block, and on a size of the wrong
// class. Without the tag the checks are constants and compile away.
//
// Out of memory (reservation exhausted, or the kernel refusing to commit or
// map) panics with a message naming the cause. An Arena is not safe for
// concurrent use: one event loop owns it.
package arena
