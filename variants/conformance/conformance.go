// Package conformance is the test suite every allocator backend must pass,
// and the benchmark body every backend runs, so that backends are compared
// on identical work.
//
// The suite keeps a model of the live blocks (Ref → size) beside the
// allocator. Each block is filled with a pattern derived from its Ref and
// size when it is allocated, and the pattern is verified before the block
// is freed and, for every live block, at checkpoints and at the end, so a
// block that overlaps another, or that the backend scribbles on, is caught.
// After every operation the backend's Stats must agree with the model to
// the byte: Requested is the sum of the live sizes, Allocs-Frees the live
// count, and Allocated >= Requested; per purpose, Requested and Blocks match
// the model's live blocks of that purpose, and the purposes' Requested,
// Allocated and Blocks add up to the totals. Where the backend is a
// mem.Sizer, the BlockSize of the live blocks adds up to Allocated.
package conformance

import (
	"fmt"
	"io"
	"math/rand/v2"
	"testing"
	"unsafe"

	"rundb/engine/mem"
)

// Sizes the random workload draws from: every small size near class
// boundaries is reached by the uniform draws; these add the edges.
var edgeSizes = []int{1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 38, 40, 63, 64, 65, 127, 128, 129,
	255, 256, 257, 1023, 1024, 1025, 4095, 4096, 4097, 16383, 16384, 16385, 65535, 65536, 65537}

// BenchSizes are the block sizes Bench measures.
var BenchSizes = []int{16, 40, 64, 128, 1 << 10, 16 << 10, 1 << 20}

// closeAlloc closes a backend that holds OS resources (the arena's
// reservation), so that tests creating many allocators do not run out of
// address space.
func closeAlloc(a mem.Allocator) {
	if c, ok := a.(io.Closer); ok {
		_ = c.Close()
	}
}

// Checker drives one allocator against the model. It is exported for
// backends' own tests.
type Checker struct {
	T     testing.TB
	A     mem.Allocator
	refs  []mem.Ref // live blocks, in no order
	sizes []int
	purps []mem.Purpose
	index map[mem.Ref]int // Ref → position in refs
	sum   uint64          // sum of live sizes
	ops   int

	psum  [mem.NumPurposes]uint64 // live sizes per purpose
	plive [mem.NumPurposes]uint64 // live blocks per purpose
	alloc uint64                  // sum of BlockSize over live blocks (mem.Sizer only)
}

// NewChecker starts a model of a, which must have no live blocks.
func NewChecker(t testing.TB, a mem.Allocator) *Checker {
	c := &Checker{T: t, A: a, index: map[mem.Ref]int{}}
	st := a.Stats()
	if st.Live() != 0 || st.Requested != 0 {
		t.Fatalf("fresh allocator has live blocks: %+v", st)
	}
	return c
}

// Live is the number of live blocks in the model.
func (c *Checker) Live() int { return len(c.refs) }

// Sum is the model's sum of live sizes.
func (c *Checker) Sum() uint64 { return c.sum }

// seed is the pattern seed of block r of size n; byte i of the block is
// byte(seed >> (8*(i%8))) + byte(i/8).
func seed(r mem.Ref, n int) uint64 {
	h := uint64(r)*0x9E3779B97F4A7C15 ^ uint64(n)*0xC2B2AE3D27D4EB4F
	return h ^ h>>29
}

func fill(b []byte, r mem.Ref, n int) {
	h := seed(r, n)
	for i := range b {
		b[i] = byte(h>>(8*(i&7))) + byte(i>>3)
	}
}

// verify checks block r's pattern over its first n bytes, where size is its
// size.
func (c *Checker) verify(r mem.Ref, size int, what string) {
	b := c.A.Bytes(r, size)
	if len(b) != size {
		c.T.Fatalf("%s: Bytes(%#x, %d) has length %d", what, uint64(r), size, len(b))
	}
	h := seed(r, size)
	for i := range b {
		if want := byte(h>>(8*(i&7))) + byte(i>>3); b[i] != want {
			c.T.Fatalf("%s: block %#x (size %d) byte %d = %#x; want %#x (op %d)",
				what, uint64(r), size, i, b[i], want, c.ops)
		}
	}
}

// Alloc allocates size bytes, checks the block and fills it. The purpose
// cycles through every purpose, one per operation.
func (c *Checker) Alloc(size int) mem.Ref {
	c.T.Helper()
	return c.AllocFor(mem.Purpose(c.ops%int(mem.NumPurposes)), size)
}

// AllocFor is Alloc for purpose p.
func (c *Checker) AllocFor(p mem.Purpose, size int) mem.Ref {
	c.T.Helper()
	r := c.A.Alloc(p, size)
	c.ops++
	if r == 0 {
		c.T.Fatalf("Alloc(%d) returned the nil Ref", size)
	}
	if uint64(r)>>56 != 0 {
		c.T.Fatalf("Alloc(%d) = %#x: does not fit in 56 bits", size, uint64(r))
	}
	if _, dup := c.index[r]; dup {
		c.T.Fatalf("Alloc(%d) = %#x, which is already live", size, uint64(r))
	}
	b := c.A.Bytes(r, size)
	if len(b) != size {
		c.T.Fatalf("Bytes(%#x, %d) has length %d", uint64(r), size, len(b))
	}
	if size%8 == 0 && uintptr(unsafe.Pointer(unsafe.SliceData(b)))%8 != 0 {
		c.T.Fatalf("Alloc(%d) = %#x is at %p: not 8-byte aligned", size, uint64(r), unsafe.SliceData(b))
	}
	fill(b, r, size)
	c.index[r] = len(c.refs)
	c.refs = append(c.refs, r)
	c.sizes = append(c.sizes, size)
	c.purps = append(c.purps, p)
	c.sum += uint64(size)
	c.psum[p] += uint64(size)
	c.plive[p]++
	if sz, ok := c.A.(mem.Sizer); ok {
		n := sz.BlockSize(r, size)
		if n < size {
			c.T.Fatalf("BlockSize(%#x, %d) = %d: less than the size", uint64(r), size, n)
		}
		c.alloc += uint64(n)
	}
	c.CheckStats()
	return r
}

// Free verifies and frees the i-th live block of the model.
func (c *Checker) Free(i int) {
	c.T.Helper()
	r, size, p := c.refs[i], c.sizes[i], c.purps[i]
	c.verify(r, size, "before free")
	if size > 1 {
		// A prefix view is the same memory.
		n := size / 2
		p, q := c.A.Bytes(r, n), c.A.Bytes(r, size)
		if len(p) != n || unsafe.SliceData(p) != unsafe.SliceData(q) {
			c.T.Fatalf("Bytes(%#x, %d) is not a prefix of Bytes(%#x, %d)", uint64(r), n, uint64(r), size)
		}
	}
	if sz, ok := c.A.(mem.Sizer); ok {
		c.alloc -= uint64(sz.BlockSize(r, size))
	}
	c.A.Free(p, r, size)
	c.ops++
	last := len(c.refs) - 1
	c.refs[i], c.sizes[i], c.purps[i] = c.refs[last], c.sizes[last], c.purps[last]
	c.index[c.refs[i]] = i
	c.refs, c.sizes, c.purps = c.refs[:last], c.sizes[:last], c.purps[:last]
	delete(c.index, r)
	c.sum -= uint64(size)
	c.psum[p] -= uint64(size)
	c.plive[p]--
	c.CheckStats()
}

// Realloc resizes the i-th live block of the model with mem.Realloc (the
// backend's own Realloc when it has one), checks that the bytes it kept are
// unchanged, and fills the block anew.
func (c *Checker) Realloc(i, newSize int) mem.Ref {
	c.T.Helper()
	r, size, p := c.refs[i], c.sizes[i], c.purps[i]
	c.verify(r, size, "before realloc")
	sz, sized := c.A.(mem.Sizer)
	if sized {
		c.alloc -= uint64(sz.BlockSize(r, size))
	}
	nr := mem.Realloc(c.A, p, r, size, newSize)
	c.ops++
	if sized {
		c.alloc += uint64(sz.BlockSize(nr, newSize))
	}
	if nr == 0 {
		c.T.Fatalf("Realloc(%#x, %d, %d) returned the nil Ref", uint64(r), size, newSize)
	}
	if j, dup := c.index[nr]; dup && j != i {
		c.T.Fatalf("Realloc(%#x, %d, %d) = %#x, which is another live block", uint64(r), size, newSize, uint64(nr))
	}
	b := c.A.Bytes(nr, newSize)
	if len(b) != newSize {
		c.T.Fatalf("Bytes(%#x, %d) has length %d", uint64(nr), newSize, len(b))
	}
	h := seed(r, size)
	for k := range min(size, newSize) {
		if want := byte(h>>(8*(k&7))) + byte(k>>3); b[k] != want {
			c.T.Fatalf("Realloc(%#x, %d, %d) = %#x: byte %d = %#x; want %#x (op %d)",
				uint64(r), size, newSize, uint64(nr), k, b[k], want, c.ops)
		}
	}
	fill(b, nr, newSize)
	delete(c.index, r)
	c.index[nr] = i
	c.refs[i], c.sizes[i] = nr, newSize
	c.sum += uint64(newSize) - uint64(size)
	c.psum[p] += uint64(newSize) - uint64(size)
	c.CheckStats()
	return nr
}

// Repurpose moves the i-th live block of the model to purpose to with
// mem.Repurpose, checking that its bytes are unchanged.
func (c *Checker) Repurpose(i int, to mem.Purpose) mem.Ref {
	c.T.Helper()
	r, size, p := c.refs[i], c.sizes[i], c.purps[i]
	nr := mem.Repurpose(c.A, r, size, p, to)
	c.ops++
	if nr != r {
		// Moved by the fallback: the bytes came along.
		h := seed(r, size)
		b := c.A.Bytes(nr, size)
		for k := range b {
			if want := byte(h>>(8*(k&7))) + byte(k>>3); b[k] != want {
				c.T.Fatalf("Repurpose(%#x) = %#x: byte %d differs", uint64(r), uint64(nr), k)
			}
		}
		fill(b, nr, size)
		delete(c.index, r)
		c.index[nr] = i
		c.refs[i] = nr
	}
	c.purps[i] = to
	c.psum[p] -= uint64(size)
	c.plive[p]--
	c.psum[to] += uint64(size)
	c.plive[to]++
	c.verify(nr, size, "after repurpose")
	c.CheckStats()
	return nr
}

// CheckStats compares the backend's accounting with the model.
func (c *Checker) CheckStats() {
	c.T.Helper()
	st := c.A.Stats()
	if st.Requested != c.sum {
		c.T.Fatalf("after op %d: Stats().Requested = %d; want %d", c.ops, st.Requested, c.sum)
	}
	if st.Live() != uint64(len(c.refs)) {
		c.T.Fatalf("after op %d: Allocs-Frees = %d-%d = %d; want %d live", c.ops, st.Allocs, st.Frees, st.Live(), len(c.refs))
	}
	if st.Allocated < st.Requested {
		c.T.Fatalf("after op %d: Allocated %d < Requested %d", c.ops, st.Allocated, st.Requested)
	}
	var req, alloc, blocks uint64
	for p, ps := range st.Purposes {
		if ps.Requested != c.psum[p] || ps.Blocks != c.plive[p] {
			c.T.Fatalf("after op %d: purpose %s: Requested %d, Blocks %d; want %d, %d",
				c.ops, mem.Purpose(p), ps.Requested, ps.Blocks, c.psum[p], c.plive[p])
		}
		if ps.Allocated < ps.Requested {
			c.T.Fatalf("after op %d: purpose %s: Allocated %d < Requested %d", c.ops, mem.Purpose(p), ps.Allocated, ps.Requested)
		}
		req, alloc, blocks = req+ps.Requested, alloc+ps.Allocated, blocks+ps.Blocks
	}
	if req != st.Requested || alloc != st.Allocated || blocks != st.Live() {
		c.T.Fatalf("after op %d: purposes add up to Requested %d, Allocated %d, Blocks %d; totals are %d, %d, %d",
			c.ops, req, alloc, blocks, st.Requested, st.Allocated, st.Live())
	}
	if _, ok := c.A.(mem.Sizer); ok && c.alloc != st.Allocated {
		c.T.Fatalf("after op %d: BlockSize of the live blocks adds up to %d; Allocated = %d", c.ops, c.alloc, st.Allocated)
	}
}

// VerifyAll checks the pattern of every live block.
func (c *Checker) VerifyAll() {
	c.T.Helper()
	for i, r := range c.refs {
		c.verify(r, c.sizes[i], "checkpoint")
	}
}

// FreeAll frees every live block and checks the allocator is empty.
func (c *Checker) FreeAll() {
	c.T.Helper()
	for len(c.refs) > 0 {
		c.Free(len(c.refs) - 1)
	}
	if st := c.A.Stats(); st.Requested != 0 || st.Allocated != 0 || st.Live() != 0 || st.Purposes != [mem.NumPurposes]mem.PurposeStats{} {
		c.T.Fatalf("after freeing everything: %+v", st)
	}
}

// RandomSize draws a block size: mostly small, across every class, some
// up to 64 KiB and a few of several MB.
func RandomSize(rng *rand.Rand) int {
	switch p := rng.IntN(100); {
	case p < 15:
		return edgeSizes[rng.IntN(len(edgeSizes))]
	case p < 60:
		return 1 + rng.IntN(128)
	case p < 85:
		return 1 + rng.IntN(2048)
	case p < 99:
		return 1 + rng.IntN(64<<10)
	default:
		return 1<<20 + rng.IntN(3<<20)
	}
}

// Run runs the conformance suite on fresh allocators from newAlloc.
func Run(t *testing.T, name string, newAlloc func() mem.Allocator) {
	with := func(t *testing.T, f func(t *testing.T, a mem.Allocator)) {
		a := newAlloc()
		defer closeAlloc(a)
		if a.Name() == "" {
			t.Fatalf("%s: empty Name()", name)
		}
		f(t, a)
	}
	t.Run("random", func(t *testing.T) {
		with(t, func(t *testing.T, a mem.Allocator) {
			n := 30000
			if testing.Short() {
				n = 5000
			}
			rng := rand.New(rand.NewPCG(1, uint64(len(name))))
			c := NewChecker(t, a)
			for i := 0; i < n; i++ {
				// Grow to a working set, then churn around it, then shrink.
				pFree := 40
				if i > n*3/4 {
					pFree = 70
				}
				if p := rng.IntN(100); c.Live() > 0 && p < pFree {
					c.Free(rng.IntN(c.Live()))
				} else if c.Live() > 0 && p < pFree+3 {
					c.Repurpose(rng.IntN(c.Live()), mem.Purpose(rng.IntN(int(mem.NumPurposes))))
				} else if c.Live() > 0 && p < pFree+10 {
					j := rng.IntN(c.Live())
					if rng.IntN(2) == 0 {
						c.Realloc(j, min(2*c.sizes[j]+rng.IntN(100), 8<<20))
					} else {
						c.Realloc(j, RandomSize(rng))
					}
				} else {
					c.Alloc(RandomSize(rng))
				}
				if i%5000 == 4999 {
					c.VerifyAll()
				}
			}
			c.VerifyAll()
			c.FreeAll()
		})
	})
	t.Run("realloc-grow", func(t *testing.T) {
		with(t, func(t *testing.T, a mem.Allocator) {
			// One block doubling from 1 KiB to 32 MiB, with a neighbour
			// allocated after each step (so that the next growth cannot
			// always happen in place) and every other neighbour freed
			// (so that some can), then shrinking back.
			c := NewChecker(t, a)
			c.Alloc(1024)
			for s := 2048; s <= 32<<20; s *= 2 {
				c.Realloc(0, s)
				c.Alloc(64 << 10)
				if n := c.Live(); n%2 == 1 {
					c.Free(n - 2) // the neighbour before the last; never block 0
				}
			}
			for s := 16 << 20; s >= 1; s /= 4 {
				c.Realloc(0, s+1)
			}
			c.VerifyAll()
			c.FreeAll()
		})
	})
	t.Run("every-size", func(t *testing.T) {
		with(t, func(t *testing.T, a mem.Allocator) {
			// Every size from 1 to 4 KiB and every 8th to 20 KiB, two of
			// each so neighbours are checked against each other.
			c := NewChecker(t, a)
			for s := 1; s <= 20<<10; s++ {
				if s > 4096 && s%8 != 0 {
					continue
				}
				c.Alloc(s)
				c.Alloc(s)
			}
			c.VerifyAll()
			// Free every other block, refill, and check again.
			for i := c.Live() - 1; i >= 0; i -= 2 {
				c.Free(i)
			}
			for s := 1; s <= 4096; s += 3 {
				c.Alloc(s)
			}
			c.VerifyAll()
			c.FreeAll()
		})
	})
	t.Run("reuse", func(t *testing.T) {
		with(t, func(t *testing.T, a mem.Allocator) {
			// Alloc/free cycles must not grow the backend's accounting.
			c := NewChecker(t, a)
			for round := 0; round < 3; round++ {
				for i := 0; i < 5000; i++ {
					c.Alloc(38)
				}
				c.Alloc(5 << 20)
				c.FreeAll()
			}
			st := a.Stats()
			if st.Allocs != 3*5001 || st.Frees != st.Allocs {
				t.Fatalf("Allocs/Frees = %d/%d; want %d each", st.Allocs, st.Frees, 3*5001)
			}
		})
	})
}

// Ops decodes data into an op stream (3 bytes per op) and runs it on a
// against the model: the fuzz target's body.
//
//	op    = sel lo hi
//	sel%3 == 0 and a block is live: free live[(lo|hi<<8) % live]
//	otherwise alloc, for purpose (sel>>2&15) % NumPurposes, with
//	v = lo|hi<<8 and the size by sel>>6:
//	  0: 1 + v%128   1: 1 + v%2048   2: 1 + v (to 64 KiB)   3: 1 + v%320 * 1 KiB
func Ops(t testing.TB, a mem.Allocator, data []byte) {
	c := NewChecker(t, a)
	for len(data) >= 3 {
		sel, v := data[0], int(data[1])|int(data[2])<<8
		data = data[3:]
		if sel%3 == 0 && c.Live() > 0 {
			c.Free(v % c.Live())
			continue
		}
		var size int
		switch sel >> 6 {
		case 0:
			size = 1 + v%128
		case 1:
			size = 1 + v%2048
		case 2:
			size = 1 + v
		default:
			size = 1 + v%320*1024
		}
		c.AllocFor(mem.Purpose(int(sel>>2&15)%int(mem.NumPurposes)), size)
	}
	c.VerifyAll()
	c.FreeAll()
}

// FuzzSeeds adds seed op streams to f: small churn, a class sweep, and
// large blocks.
func FuzzSeeds(f *testing.F) {
	f.Add([]byte{1, 38, 0, 1, 38, 0, 0, 0, 0, 1, 40, 0})
	var sweep []byte
	for s := 0; s < 128; s += 5 {
		sweep = append(sweep, 1, byte(s), 0, 0x41, byte(s*13), byte(s>>3))
	}
	f.Add(sweep)
	f.Add([]byte{0xC1, 3, 0, 0x81, 0xFF, 0xFF, 0, 1, 0, 0xC1, 1, 0, 0, 0, 0})
	// One block of each purpose, then frees.
	f.Add([]byte{1, 38, 0, 5, 38, 0, 10, 38, 0, 13, 38, 0, 17, 38, 0, 22, 38, 0, 0, 2, 0, 0, 0, 0})
}

// Bench measures alloc+free for each of BenchSizes as sub-benchmarks named
// size=N: each iteration frees the oldest of a window of live blocks,
// allocates a new one and writes its first byte.
func Bench(b *testing.B, newAlloc func() mem.Allocator) {
	for _, size := range BenchSizes {
		b.Run(fmt.Sprintf("size=%d", size), func(b *testing.B) {
			a := newAlloc()
			defer closeAlloc(a)
			window := min(4096, (64<<20)/size)
			ring := make([]mem.Ref, window)
			for i := range ring {
				ring[i] = a.Alloc(mem.PurposeEntry, size)
				a.Bytes(ring[i], 1)[0] = 1
			}
			b.ReportAllocs()
			b.SetBytes(int64(size))
			b.ResetTimer()
			j := 0
			for b.Loop() {
				a.Free(mem.PurposeEntry, ring[j], size)
				r := a.Alloc(mem.PurposeEntry, size)
				a.Bytes(r, 1)[0] = 1
				ring[j] = r
				if j++; j == window {
					j = 0
				}
			}
			b.StopTimer()
			for _, r := range ring {
				a.Free(mem.PurposeEntry, r, size)
			}
		})
	}
}
