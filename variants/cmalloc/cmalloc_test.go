package cmalloc

import (
	"math/rand"
	"os"
	"strconv"
	"strings"
	"testing"

	"rundb/engine/mem"
)

// answering returns the allocator the test process runs on; the test
// binary itself may run under LD_PRELOAD.
func answering(t testing.TB) *Allocator {
	t.Helper()
	k, _, _, ok := Answering()
	if !ok {
		t.Skip("built without cgo")
	}
	a, err := New(k)
	if err != nil {
		t.Fatalf("New(%s) = %v", k, err)
	}
	return a
}

func TestName(t *testing.T) {
	a := answering(t)
	want := map[Kind]string{Libc: "libc", Jemalloc: "jemalloc-", Mimalloc: "mimalloc-", Tcmalloc: "tcmalloc-"}[a.Kind()]
	if !strings.HasPrefix(a.Name(), want) {
		t.Fatalf("Name() = %q; want prefix %q", a.Name(), want)
	}
	if pre := os.Getenv("LD_PRELOAD"); pre == "" && a.Kind() != Libc {
		t.Fatalf("no LD_PRELOAD, yet malloc is %s", a.Kind())
	}
	t.Logf("allocator %s", a.Name())
}

func TestWrongKindFails(t *testing.T) {
	a := answering(t)
	for _, k := range Kinds {
		if k == a.Kind() {
			continue
		}
		_, err := New(k)
		if err == nil || !strings.Contains(err.Error(), "--alloc "+k.String()+": malloc comes from "+a.Kind().origin()) {
			t.Fatalf("New(%s) under %s = %v; want a clear error", k, a.Kind(), err)
		}
	}
}

// TestModel allocates and frees random sizes against a model: contents
// survive, Refs fit in 56 bits, are 8-byte aligned, and the accounting is
// exact after every operation.
func TestModel(t *testing.T) {
	a := answering(t)
	rng := rand.New(rand.NewSource(1))
	type blk struct {
		r    mem.Ref
		size int
		fill byte
	}
	var live []blk
	var req uint64
	var allocs, frees uint64
	check := func(b blk) {
		for i, c := range a.Bytes(b.r, b.size) {
			if c != b.fill+byte(i) {
				t.Fatalf("block %#x byte %d = %d; want %d", b.r, i, c, b.fill+byte(i))
			}
		}
	}
	for op := 0; op < 20000; op++ {
		if len(live) > 0 && rng.Intn(3) == 0 {
			i := rng.Intn(len(live))
			b := live[i]
			check(b)
			a.Free(mem.PurposeEntry, b.r, b.size)
			req -= uint64(b.size)
			frees++
			live[i] = live[len(live)-1]
			live = live[:len(live)-1]
		} else {
			size := 1 + rng.Intn(200)
			if rng.Intn(50) == 0 {
				size = 1 + rng.Intn(300000)
			}
			b := blk{a.Alloc(mem.PurposeEntry, size), size, byte(rng.Intn(256))}
			if b.r == 0 || uint64(b.r) >= 1<<56 || b.r%8 != 0 {
				t.Fatalf("Alloc(%d) = %#x", size, b.r)
			}
			p := a.Bytes(b.r, size)
			if len(p) != size || cap(p) != size {
				t.Fatalf("Bytes len %d cap %d; want %d", len(p), cap(p), size)
			}
			for i := range p {
				p[i] = b.fill + byte(i)
			}
			req += uint64(size)
			allocs++
			live = append(live, b)
		}
		s := a.Stats()
		if s.Requested != req || s.Allocs != allocs || s.Frees != frees || s.Allocated < s.Requested {
			t.Fatalf("op %d: stats %+v; want requested %d allocs %d frees %d", op, s, req, allocs, frees)
		}
	}
	var usable uint64
	for _, b := range live {
		check(b)
		usable += uint64(usableSize(uintptr(b.r)))
	}
	if s := a.Stats(); s.Allocated != usable {
		t.Fatalf("Allocated = %d; sum of usable sizes %d", s.Allocated, usable)
	}
	for _, b := range live {
		a.Free(mem.PurposeEntry, b.r, b.size)
	}
	if s := a.Stats(); s.Requested != 0 || s.Allocated != 0 || s.Live() != 0 {
		t.Fatalf("after freeing all: %+v", s)
	}
}

func TestMapped(t *testing.T) {
	a := answering(t)
	var refs []mem.Ref
	for i := 0; i < 1000; i++ {
		refs = append(refs, a.Alloc(mem.PurposeEntry, 1000))
	}
	a.mappedTime = a.mappedTime.AddDate(-1, 0, 0)
	s := a.Stats()
	if a.p.mapped != nil && s.Mapped < s.Allocated {
		t.Fatalf("%s: Mapped %d < Allocated %d", a.Name(), s.Mapped, s.Allocated)
	}
	t.Logf("%s: allocated %d mapped %d", a.Name(), s.Allocated, s.Mapped)
	for _, r := range refs {
		a.Free(mem.PurposeEntry, r, 1000)
	}
}

func BenchmarkAllocFree(b *testing.B) {
	a := answering(b)
	for _, size := range []int{8, 16, 38, 64, 128, 512, 4096, 65536} {
		b.Run(a.kind.String()+"/size="+strconv.Itoa(size), func(b *testing.B) {
			refs := make([]mem.Ref, 1024)
			b.ReportAllocs()
			b.SetBytes(int64(size))
			for i := 0; b.Loop(); i++ {
				j := i & 1023
				if refs[j] != 0 {
					a.Free(mem.PurposeEntry, refs[j], size)
				}
				refs[j] = a.Alloc(mem.PurposeEntry, size)
			}
			for _, r := range refs {
				if r != 0 {
					a.Free(mem.PurposeEntry, r, size)
				}
			}
		})
	}
}

// BenchmarkCgoCall is the floor under every Alloc and Free: one empty cgo
// call.
func BenchmarkCgoCall(b *testing.B) {
	for b.Loop() {
		cNop()
	}
}

// TestMallocStats checks that the allocator's own report comes back: the
// test binary may run under LD_PRELOAD with each library.
func TestMallocStats(t *testing.T) {
	a := answering(t)
	r := a.Alloc(mem.PurposeEntry, 1000)
	defer a.Free(mem.PurposeEntry, r, 1000)
	out := a.MallocStats()
	want := map[Kind]string{Libc: "<malloc version=", Jemalloc: "jemalloc statistics", Mimalloc: "", Tcmalloc: "MALLOC:"}[a.Kind()]
	if !strings.Contains(out, want) || len(out) < 40 {
		t.Fatalf("MallocStats() = %q; want a report containing %q", out[:min(len(out), 300)], want)
	}
	t.Logf("%s: %d bytes of statistics", a.Name(), len(out))
}

// TestGlibcNoFastbins: under glibc, freed small blocks are not left in
// fastbins (where a later large malloc would consolidate them all at once),
// and AllocatedBytes follows Stats().Allocated.
func TestGlibcNoFastbins(t *testing.T) {
	a := answering(t)
	var refs []mem.Ref
	for i := 0; i < 10_000; i++ {
		refs = append(refs, a.Alloc(mem.PurposeEntry, 16+i%64))
	}
	for i := 0; i < len(refs); i += 2 {
		a.Free(mem.PurposeEntry, refs[i], 16+i%64)
	}
	if got, want := a.AllocatedBytes(), a.Stats().Allocated; got != want {
		t.Fatalf("AllocatedBytes %d; Stats().Allocated %d", got, want)
	}
	if a.Kind() == Libc {
		if n := fastbinBytes(); n != 0 {
			t.Fatalf("%d bytes in glibc's fastbins after 5000 frees; want 0 (M_MXFAST 0)", n)
		}
	}
	for i := 1; i < len(refs); i += 2 {
		a.Free(mem.PurposeEntry, refs[i], 16+i%64)
	}
}
