package arena

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"rundb/engine/mem"
)

func newTest(t testing.TB, reserve int64) *Arena {
	t.Helper()
	a, err := NewSize(reserve)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Close() })
	return a
}

func TestClasses(t *testing.T) {
	cs := Classes()
	for i := 1; i < len(cs); i++ {
		if cs[i] <= cs[i-1] {
			t.Fatalf("classes not increasing at %d: %v", i, cs)
		}
	}
	if cs[len(cs)-1] != MaxSmall {
		t.Fatalf("largest class %d; want %d", cs[len(cs)-1], MaxSmall)
	}
	for size := 1; size <= MaxSmall; size++ {
		c := RoundUp(size)
		if c < size {
			t.Fatalf("RoundUp(%d) = %d", size, c)
		}
		// c is the smallest class that holds size.
		for _, k := range cs {
			if k >= size {
				if k != c {
					t.Fatalf("RoundUp(%d) = %d; want %d", size, c, k)
				}
				break
			}
		}
		if size%8 == 0 && c%8 != 0 {
			t.Fatalf("RoundUp(%d) = %d: not a multiple of 8", size, c)
		}
	}
	for _, size := range []int{38, 40, 64, 72, 128} {
		if got := RoundUp(size); got != size {
			t.Fatalf("RoundUp(%d) = %d; want an exact class", size, got)
		}
	}
	if got := RoundUp(MaxSmall + 1); got != MaxSmall+pageSize {
		t.Fatalf("RoundUp(%d) = %d; want %d", MaxSmall+1, got, MaxSmall+pageSize)
	}
}

func TestRefs(t *testing.T) {
	a := newTest(t, 1<<30)
	r0 := a.Alloc(mem.PurposeEntry, 38)
	r1 := a.Alloc(mem.PurposeEntry, 38)
	r2 := a.Alloc(mem.PurposeEntry, 100<<10)
	// Unit 0 is never used; the first slab is unit 1, the span unit 2.
	if r0 != 1<<16 || r1 != 1<<16+38 || r2 != 2<<16 {
		t.Fatalf("refs = %#x %#x %#x; want 0x10000 0x10026 0x20000", r0, r1, r2)
	}
	// Position independence: a Ref is an offset from the base.
	b := a.Bytes(r1, 38)
	copy(b, "entry")
	if got := string(a.mem[r1 : r1+5]); got != "entry" {
		t.Fatalf("mem[r1:] = %q; want entry", got)
	}
	// A freed block's first two bytes link the slab's free list.
	a.Free(mem.PurposeEntry, r0, 38)
	a.Free(mem.PurposeEntry, r1, 38)
	if m := a.meta[1]; m.free != 2 || a.mem[r1] != 1 || a.mem[r1+1] != 0 {
		t.Fatalf("free list head %d, link %d %d; want 2, 1 0", m.free, a.mem[r1], a.mem[r1+1])
	}
	if r := a.Alloc(mem.PurposeEntry, 37); r != r1 {
		t.Fatalf("LIFO reuse gave %#x; want %#x", r, r1)
	}
}

func TestStatsExact(t *testing.T) {
	a := newTest(t, 1<<30)
	var want mem.Stats
	sizes := []int{1, 38, 39, 129, 5000, MaxSmall, MaxSmall + 1, 1 << 20, 3<<20 + 7}
	refs := make([]mem.Ref, len(sizes))
	for i, s := range sizes {
		p := mem.Purpose(i % int(mem.NumPurposes))
		refs[i] = a.Alloc(p, s)
		want.Add(p, s, RoundUp(s))
		if got := a.BlockSize(refs[i], s); got != RoundUp(s) {
			t.Fatalf("BlockSize(%d) = %d; want %d", s, got, RoundUp(s))
		}
	}
	// Six slabs of 64 KiB (classes 2, 38, 40, 160, 5456, 16384) and three
	// page-rounded spans.
	want.Mapped = 6*unitSize + uint64(RoundUp(MaxSmall+1)+RoundUp(1<<20)+RoundUp(3<<20+7))
	if got := a.Stats(); got != want {
		t.Fatalf("Stats() = %+v; want %+v", got, want)
	}
	for i, s := range sizes {
		a.Free(mem.Purpose(i%int(mem.NumPurposes)), refs[i], s)
	}
	// The six slabs stay as spares; the spans are gone.
	if got := a.Stats(); got.Requested != 0 || got.Allocated != 0 || got.Mapped != 6*unitSize || got.Frees != got.Allocs ||
		got.Purposes != [mem.NumPurposes]mem.PurposeStats{} {
		t.Fatalf("after frees: %+v", got)
	}
	a.Trim()
	if got := a.Stats().Mapped; got != 0 {
		t.Fatalf("after Trim: Mapped = %d; want 0", got)
	}
}

func TestSpansCoalesceAndReuse(t *testing.T) {
	a := newTest(t, 1<<30)
	x := a.Alloc(mem.PurposeEntry, 100<<10) // 2 units
	y := a.Alloc(mem.PurposeEntry, 64<<10)  // 1 unit
	z := a.Alloc(mem.PurposeEntry, 200<<10) // 4 units
	guard := a.Alloc(mem.PurposeEntry, 40)  // a slab above them
	top := a.top
	a.Free(mem.PurposeEntry, y, 64<<10)
	a.Free(mem.PurposeEntry, x, 100<<10)
	a.Free(mem.PurposeEntry, z, 200<<10)
	// One free run of 7 units from x's unit.
	u := int32(x >> unitShift)
	if m := a.meta[u]; m.kind != kindFree || m.n != 7 || a.meta[u+6].kind != kindFree || a.meta[u+6].n != 7 {
		t.Fatalf("run at %d: %+v; want a free run of 7", u, m)
	}
	// A 6-unit block takes it, first fit from the same place; the rest (1
	// unit) then serves a new slab.
	w := a.Alloc(mem.PurposeEntry, 6<<16-5)
	if w != x {
		t.Fatalf("6-unit span at %#x; want %#x (reused)", w, x)
	}
	s := a.Alloc(mem.PurposeEntry, 1000)
	if s>>unitShift != mem.Ref(u+6) {
		t.Fatalf("new slab at unit %d; want %d", s>>unitShift, u+6)
	}
	if a.top != top {
		t.Fatalf("top moved from %d to %d: virtual space not reused", top, a.top)
	}
	a.Free(mem.PurposeEntry, w, 6<<16-5)
	a.Free(mem.PurposeEntry, s, 1000)
	a.Free(mem.PurposeEntry, guard, 40)
}

func TestEmptySlabsReleased(t *testing.T) {
	a := newTest(t, 1<<30)
	// Fill maxSpares+12 slabs of class 40, free them all: maxSpares stay
	// as spares.
	per := unitSize / 40
	var refs []mem.Ref
	for i := 0; i < (maxSpares+12)*per; i++ {
		refs = append(refs, a.Alloc(mem.PurposeEntry, 40))
	}
	if got := a.Stats().Mapped; got != (maxSpares+12)*unitSize {
		t.Fatalf("Mapped = %d; want %d", got, (maxSpares+12)*unitSize)
	}
	for _, r := range refs {
		a.Free(mem.PurposeEntry, r, 40)
	}
	if got := a.Stats().Mapped; got != maxSpares*unitSize {
		t.Fatalf("Mapped = %d; want %d spares", got, maxSpares*unitSize)
	}
	// Another class reuses released units instead of growing the top.
	top := a.top
	r := a.Alloc(mem.PurposeEntry, 1000)
	if a.top != top || a.meta[r>>unitShift].class != sizeClass[1000] {
		t.Fatalf("class 1000 slab at unit %d, top %d -> %d: not reused", r>>unitShift, top, a.top)
	}
	a.Free(mem.PurposeEntry, r, 1000)
}

func TestOutOfMemoryPanics(t *testing.T) {
	a := newTest(t, 4<<20)
	defer func() {
		msg, _ := recover().(string)
		if !strings.Contains(msg, "arena: out of memory") || !strings.Contains(msg, "reservation is exhausted") {
			t.Fatalf("panic %q; want an out-of-memory message", msg)
		}
	}()
	a.Alloc(mem.PurposeEntry, 8<<20)
	t.Fatal("Alloc beyond the reservation did not panic")
}

func TestNewSizeErrors(t *testing.T) {
	if _, err := NewSize(1 << 60); err == nil {
		t.Fatal("NewSize(2^60) succeeded; want an out-of-range error")
	}
	if _, err := parseSize("64G"); err != nil {
		t.Fatal(err)
	}
	if n, _ := parseSize("3M"); n != 3<<20 {
		t.Fatalf("parseSize(3M) = %d", n)
	}
	if _, err := parseSize("x"); err == nil {
		t.Fatal("parseSize(x) succeeded")
	}
	t.Setenv("RUNDB_ARENA_RESERVE", "256M")
	a, err := New()
	if err != nil || a.Reserved() != 256<<20 {
		t.Fatalf("New() with RUNDB_ARENA_RESERVE=256M: %v, %v", a, err)
	}
	_ = a.Close()
}

func vmRSS(t testing.TB) uint64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		t.Skip("no /proc/self/status")
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10
		}
	}
	t.Skip("no VmRSS")
	return 0
}

// TestFlushGivesMemoryBack populates a million 38-byte blocks (a W1
// keyspace) and four 16 MB blocks, frees them all, and checks that at least
// 90% of what was populated goes back to the OS.
func TestFlushGivesMemoryBack(t *testing.T) {
	if testing.Short() {
		t.Skip("populates 100 MB")
	}
	a := newTest(t, 4<<30)
	rss0 := vmRSS(t)
	const n = 1_000_000
	refs := make([]mem.Ref, n)
	for i := range refs {
		refs[i] = a.Alloc(mem.PurposeEntry, 38)
		b := a.Bytes(refs[i], 38)
		b[0], b[37] = byte(i), byte(i>>8)
	}
	var big []mem.Ref
	for i := 0; i < 4; i++ {
		r := a.Alloc(mem.PurposeEntry, 16<<20)
		b := a.Bytes(r, 16<<20)
		for j := 0; j < len(b); j += pageSize {
			b[j] = 1
		}
		big = append(big, r)
	}
	mapped := a.Stats().Mapped
	rss1 := vmRSS(t)
	if want := uint64(n*38 + 4*16<<20); mapped < want || mapped > want+want/50 {
		t.Fatalf("Mapped = %d; want within 2%% above %d", mapped, want)
	}
	for i, r := range refs {
		a.Free(mem.PurposeEntry, r, 38)
		refs[i] = 0
	}
	for _, r := range big {
		a.Free(mem.PurposeEntry, r, 16<<20)
	}
	st := a.Stats()
	rss2 := vmRSS(t)
	t.Logf("populated: Mapped %d MB, RSS +%d MB; after freeing: Mapped %d KB, RSS +%d KB",
		mapped>>20, (rss1-rss0)>>20, st.Mapped>>10, (int64(rss2)-int64(rss0))>>10)
	if st.Mapped*10 > mapped {
		t.Fatalf("after freeing all: Mapped = %d, more than 10%% of %d", st.Mapped, mapped)
	}
	// The spare slabs stay backed by design; the rest goes back.
	grown := int64(rss1-rss0) - maxSpares*unitSize
	if back := int64(rss1) - int64(rss2); back*10 < grown*9 {
		t.Fatalf("RSS gave back %d of %d bytes (growth less the %d spare slabs); want at least 90%%", back, grown, maxSpares)
	}
}

func TestMallocStats(t *testing.T) {
	a := newTest(t, 1<<30)
	var refs []mem.Ref
	for i := 0; i < 100; i++ {
		refs = append(refs, a.Alloc(mem.PurposeEntry, 38))
	}
	big := a.Alloc(mem.PurposeValue, 100<<10)
	out := a.MallocStats()
	for _, want := range []string{
		"purpose entries: requested 3800, allocated 3800, blocks 100\n",
		"purpose values: requested 102400, allocated 102400, blocks 1\n",
		fmt.Sprintf("%5d %7d %8d %8d %9d", sizeClass[38], 38, 1, 100, unitSize/38),
		"spans: 1 (2 units, 102400 bytes asked for)\n",
	} {
		if !strings.Contains(out, want) {
			t.Fatalf("MallocStats() lacks %q:\n%s", want, out)
		}
	}
	a.Free(mem.PurposeValue, big, 100<<10)
	for _, r := range refs {
		a.Free(mem.PurposeEntry, r, 38)
	}
	if out := a.MallocStats(); !strings.Contains(out, "spare slabs: 1 ") || !strings.Contains(out, "free runs: 1 (2 units)") {
		t.Fatalf("after frees:\n%s", out)
	}
}

func TestReallocSpans(t *testing.T) {
	a := newTest(t, 1<<30)
	fillN := func(r mem.Ref, n int, v byte) {
		b := a.Bytes(r, n)
		for i := 0; i < n; i += 4096 {
			b[i] = v
		}
		b[n-1] = v
	}
	check := func(r mem.Ref, n int, v byte) {
		t.Helper()
		b := a.Bytes(r, n)
		for i := 0; i < n; i += 4096 {
			if b[i] != v {
				t.Fatalf("block %#x byte %d = %d; want %d", r, i, b[i], v)
			}
		}
	}
	r := a.Alloc(mem.PurposeValue, 1<<20)
	fillN(r, 1<<20, 1)
	// At the top: grows in place.
	if r2 := a.Realloc(mem.PurposeValue, r, 1<<20, 4<<20); r2 != r {
		t.Fatalf("growth at the top moved the block from %#x to %#x", r, r2)
	}
	check(r, 1<<20, 1)
	fillN(r, 4<<20, 2)
	// A neighbour after it: the pages move (mremap), contents kept.
	nb := a.Alloc(mem.PurposeValue, 64<<10)
	r3 := a.Realloc(mem.PurposeValue, r, 4<<20, 8<<20)
	if r3 == r {
		t.Fatalf("growth into a live neighbour stayed at %#x", r)
	}
	check(r3, 4<<20, 2)
	if st := a.Stats(); st.Mapped != 8<<20+64<<10 || st.Allocated != 8<<20+64<<10 || st.Requested != 8<<20+64<<10 || st.Live() != 2 {
		t.Fatalf("after a move: %+v", st)
	}
	// The vacated range is mapped again and reused by the next 4 MB span.
	x := a.Alloc(mem.PurposeValue, 4<<20)
	if x != r {
		t.Fatalf("4 MB span at %#x; want the vacated %#x", x, r)
	}
	fillN(x, 4<<20, 3)
	check(r3, 4<<20, 2)
	// Shrinking keeps the block and gives back the tail.
	if r4 := a.Realloc(mem.PurposeValue, r3, 8<<20, 100<<10); r4 != r3 {
		t.Fatalf("shrink moved the block")
	}
	check(r3, 100<<10, 2)
	if st := a.Stats(); st.Mapped != uint64(pageRound(100<<10))+64<<10+4<<20 {
		t.Fatalf("after a shrink: Mapped %d", st.Mapped)
	}
	// Freed tail units coalesce with the free top part: a new 7 MB span
	// fits right after the shrunk block.
	y := a.Alloc(mem.PurposeValue, 7<<20)
	if y != r3+2<<unitShift {
		t.Fatalf("7 MB span at %#x; want %#x, right after the shrunk block", y, r3+2<<unitShift)
	}
	for _, b := range []struct {
		r mem.Ref
		n int
	}{{r3, 100 << 10}, {nb, 64 << 10}, {x, 4 << 20}, {y, 7 << 20}} {
		a.Free(mem.PurposeValue, b.r, b.n)
	}
	if st := a.Stats(); st.Requested != 0 || st.Mapped != 0 || st.Live() != 0 {
		t.Fatalf("after freeing all: %+v", st)
	}
}
