package ds

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"rundb/engine/mem"
)

// keyStore hands out Refs for test keys: Ref i+1 names keys[i]. Every Put
// of a key gets a fresh Ref, so a replaced Ref can be told from its
// successor.
type keyStore struct{ keys [][]byte }

func (s *keyStore) ref(key string) mem.Ref {
	s.keys = append(s.keys, []byte(key))
	return mem.Ref(len(s.keys))
}

func (s *keyStore) keyOf(r mem.Ref) []byte { return s.keys[r-1] }

func (s *keyStore) table(a mem.Allocator) *Table { return NewTable(a, mem.PurposeSlots, s.keyOf) }

func mustCheck(t testing.TB, tb *Table) {
	t.Helper()
	if err := tb.checkInvariants(); err != nil {
		t.Fatal(err)
	}
}

func TestMatch(t *testing.T) {
	w := uint64(0x80_FE_05_80_7F_00_FE_05) // slots 7..0
	if got, want := matchEmpty(w), match(0x80_00_00_80_00_00_00_00); got != want {
		t.Errorf("matchEmpty = %#x; want %#x", got, want)
	}
	if got, want := matchFree(w), match(0x80_80_00_80_00_00_80_00); got != want {
		t.Errorf("matchFree = %#x; want %#x", got, want)
	}
	if got, want := matchFull(w), match(0x00_00_80_00_80_80_00_80); got != want {
		t.Errorf("matchFull = %#x; want %#x", got, want)
	}
	if got, want := matchH2(w, 5), match(0x00_00_80_00_00_00_00_80); got != want {
		t.Errorf("matchH2(5) = %#x; want %#x", got, want)
	}
	if got := matchH2(w, 0x7F).first(); got != 3 {
		t.Errorf("matchH2(0x7F).first() = %d; want 3", got)
	}
}

func TestTableBasic(t *testing.T) {
	forBackends(t, func(t *testing.T, a mem.Allocator) {
		var s keyStore
		tb := s.table(a)
		if tb.Len() != 0 || tb.Get([]byte("x")) != 0 || tb.Delete([]byte("x")) != 0 || tb.MemBytes() != 0 {
			t.Fatal("empty table not empty")
		}
		if tb.Random(1) != 0 || tb.Scan(0, func(mem.Ref) { t.Fatal("scan of empty table emitted") }) != 0 {
			t.Fatal("empty table Random/Scan")
		}
		r1 := s.ref("a")
		if prev := tb.Put([]byte("a"), r1); prev != 0 {
			t.Fatalf("got prev %d; want 0", prev)
		}
		if got := tb.Get([]byte("a")); got != r1 {
			t.Fatalf("got %d; want %d", got, r1)
		}
		r2 := s.ref("a")
		if prev := tb.Put([]byte("a"), r2); prev != r1 {
			t.Fatalf("replace: got prev %d; want %d", prev, r1)
		}
		if tb.Len() != 1 || tb.Get([]byte("a")) != r2 {
			t.Fatalf("after replace: len %d, get %d", tb.Len(), tb.Get([]byte("a")))
		}
		rEmpty := s.ref("")
		tb.Put(nil, rEmpty)
		if got := tb.Get([]byte{}); got != rEmpty {
			t.Fatalf("empty key: got %d; want %d", got, rEmpty)
		}
		if tb.MemBytes() != groupBytes {
			t.Fatalf("MemBytes %d; want %d", tb.MemBytes(), groupBytes)
		}
		if got := tb.Delete([]byte("a")); got != r2 {
			t.Fatalf("delete: got %d; want %d", got, r2)
		}
		if got := tb.Delete([]byte("")); got != rEmpty {
			t.Fatalf("delete: got %d; want %d", got, rEmpty)
		}
		mustCheck(t, tb)
		if tb.Len() != 0 || tb.MemBytes() != 0 {
			t.Fatalf("emptied table holds len %d, %d bytes", tb.Len(), tb.MemBytes())
		}
		checkLive(t, a, 0)
	})
}

func TestTableGrowShrink(t *testing.T) {
	forBackends(t, func(t *testing.T, a mem.Allocator) {
		var s keyStore
		tb := s.table(a)
		const n = 20000
		refs := make([]mem.Ref, n)
		maxResizeGroups := 0
		for i := 0; i < n; i++ {
			k := fmt.Sprintf("key:%d", i)
			refs[i] = s.ref(k)
			if prev := tb.Put([]byte(k), refs[i]); prev != 0 {
				t.Fatalf("put %q: prev %d", k, prev)
			}
			if tb.Resizing() {
				maxResizeGroups = max(maxResizeGroups, tb.old.groups())
			}
			if i%997 == 0 {
				mustCheck(t, tb)
			}
		}
		if maxResizeGroups == 0 {
			t.Fatal("never saw an incremental resize")
		}
		for tb.RehashStep(100) {
		}
		mustCheck(t, tb)
		if tb.Len() != n {
			t.Fatalf("len %d; want %d", tb.Len(), n)
		}
		if load := float64(n) / float64(tb.cur.slots()); load < 7.0/32 || load > 7.0/8 {
			t.Fatalf("load %.3f out of range", load)
		}
		grown := tb.cur.groups()
		for i := 0; i < n; i++ {
			if got := tb.Get([]byte(fmt.Sprintf("key:%d", i))); got != refs[i] {
				t.Fatalf("get key:%d: got %d; want %d", i, got, refs[i])
			}
		}
		for i := 0; i < n-10; i++ {
			if got := tb.Delete([]byte(fmt.Sprintf("key:%d", i))); got != refs[i] {
				t.Fatalf("delete key:%d: got %d; want %d", i, got, refs[i])
			}
			if i%997 == 0 {
				mustCheck(t, tb)
			}
		}
		for tb.RehashStep(100) {
		}
		mustCheck(t, tb)
		if tb.cur.groups() >= grown/64 {
			t.Fatalf("did not shrink: %d groups (was %d)", tb.cur.groups(), grown)
		}
		for i := n - 10; i < n; i++ {
			if got := tb.Get([]byte(fmt.Sprintf("key:%d", i))); got != refs[i] {
				t.Fatalf("get key:%d after shrink: got %d; want %d", i, got, refs[i])
			}
		}
		tb.Clear(nil)
		mustCheck(t, tb)
		checkLive(t, a, 0)
	})
}

// TestTableTombstones churns a small key set so that tombstones, not size,
// force rebuilds.
func TestTableTombstones(t *testing.T) {
	forBackends(t, func(t *testing.T, a mem.Allocator) {
		var s keyStore
		tb := s.table(a)
		rng := rand.New(rand.NewPCG(1, 2))
		live := map[string]mem.Ref{}
		for i := 0; i < 200000; i++ {
			k := fmt.Sprintf("k%d", rng.IntN(1000))
			if rng.IntN(2) == 0 {
				r := s.ref(k)
				if got := tb.Put([]byte(k), r); got != live[k] {
					t.Fatalf("put %q: prev %d; want %d", k, got, live[k])
				}
				live[k] = r
			} else {
				if got := tb.Delete([]byte(k)); got != live[k] {
					t.Fatalf("delete %q: got %d; want %d", k, got, live[k])
				}
				delete(live, k)
			}
			if i%5000 == 0 {
				mustCheck(t, tb)
			}
		}
		mustCheck(t, tb)
		if tb.Len() != len(live) {
			t.Fatalf("len %d; want %d", tb.Len(), len(live))
		}
		if tb.cur.groups() > 512 {
			t.Fatalf("churn grew the table to %d groups for %d keys", tb.cur.groups(), len(live))
		}
	})
}

func TestTableForEachClearRandom(t *testing.T) {
	forBackends(t, func(t *testing.T, a mem.Allocator) {
		var s keyStore
		tb := s.table(a)
		const n = 3000
		for i := 0; i < n; i++ {
			k := fmt.Sprintf("k%d", i)
			tb.Put([]byte(k), s.ref(k))
		}
		seen := map[mem.Ref]int{}
		tb.ForEach(func(r mem.Ref) bool { seen[r]++; return true })
		if len(seen) != n {
			t.Fatalf("ForEach saw %d refs; want %d", len(seen), n)
		}
		for r, c := range seen {
			if c != 1 {
				t.Fatalf("ForEach saw %d (%q) %d times", r, s.keyOf(r), c)
			}
		}
		stops := 0
		tb.ForEach(func(mem.Ref) bool { stops++; return stops < 10 })
		if stops != 10 {
			t.Fatalf("ForEach did not stop: %d calls", stops)
		}
		hits := map[mem.Ref]int{}
		rng := rand.New(rand.NewPCG(3, 4))
		for i := 0; i < 20*n; i++ {
			r := tb.Random(rng.Uint64())
			if _, ok := seen[r]; !ok {
				t.Fatalf("Random returned %d, not stored", r)
			}
			hits[r]++
		}
		if len(hits) < n*9/10 {
			t.Fatalf("Random reached only %d of %d refs in %d draws", len(hits), n, 20*n)
		}
		freed := 0
		tb.Clear(func(mem.Ref) { freed++ })
		if freed != n || tb.Len() != 0 || tb.MemBytes() != 0 || tb.Resizing() {
			t.Fatalf("Clear: freed %d, len %d, bytes %d", freed, tb.Len(), tb.MemBytes())
		}
		checkLive(t, a, 0)
		tb.Put([]byte("again"), s.ref("again"))
		if tb.Get([]byte("again")) == 0 {
			t.Fatal("table unusable after Clear")
		}
	})
}

// scanAll runs a full scan, calling between (if non-nil) after every step.
func scanAll(tb *Table, s *keyStore, between func()) map[string]int {
	got := map[string]int{}
	c := uint64(0)
	for {
		c = tb.Scan(c, func(r mem.Ref) { got[string(s.keyOf(r))]++ })
		if c == 0 {
			return got
		}
		if between != nil {
			between()
		}
	}
}

func TestTableScanStable(t *testing.T) {
	forBackends(t, func(t *testing.T, a mem.Allocator) {
		var s keyStore
		tb := s.table(a)
		for i := 0; i < 5000; i++ {
			k := fmt.Sprintf("k%d", i)
			tb.Put([]byte(k), s.ref(k))
		}
		for tb.RehashStep(1000) {
		}
		got := scanAll(tb, &s, nil)
		if len(got) != 5000 {
			t.Fatalf("scan returned %d keys; want 5000", len(got))
		}
		for k, c := range got {
			if c != 1 {
				t.Fatalf("scan of a stable table returned %q %d times", k, c)
			}
		}
	})
}

// TestTableScanDuringResize grows to n keys while scans run, then shrinks
// back while more scans run, and checks that every key present for the whole
// of a scan is returned by it.
func TestTableScanDuringResize(t *testing.T) {
	n := 1_000_000
	if testing.Short() {
		n = 100_000
	}
	var s keyStore
	tb := s.table(newGoheap())
	key := func(i int) []byte { return []byte(fmt.Sprintf("k:%d", i)) }
	var alive []bool // alive[i]: key(i) is stored
	put := func(i int) {
		tb.Put(key(i), s.ref(string(key(i))))
		alive[i] = true
	}
	for i := 0; i < 20000; i++ {
		alive = append(alive, false)
		put(i)
	}
	rng := rand.New(rand.NewPCG(5, 6))
	scans, resizingSteps := 0, 0
	var touched map[int]bool // keys deleted during the current scan
	del := func(i int) {
		if tb.Delete(key(i)) != 0 {
			alive[i] = false
			touched[i] = true
		}
	}
	// scan runs one full scan with step between steps and checks it.
	scan := func(step func()) {
		before := append([]bool(nil), alive...)
		touched = map[int]bool{}
		got := scanAll(tb, &s, func() {
			step()
			if tb.Resizing() {
				resizingSteps++
			}
		})
		scans++
		for i, was := range before {
			if was && !touched[i] && got[string(key(i))] == 0 {
				t.Fatalf("scan %d missed %q (len %d, %d groups)", scans, key(i), tb.Len(), tb.cur.groups())
			}
		}
		for k := range got {
			if tb.Get([]byte(k)) == 0 && !touched[atoiKey(k)] {
				t.Fatalf("scan %d returned %q, never stored during it", scans, k)
			}
		}
	}
	for len(alive) < n {
		perStep := []int{1, 2, 4, 8}[scans%4]
		scan(func() {
			for j := 0; j < perStep && len(alive) < n; j++ {
				alive = append(alive, false)
				put(len(alive) - 1)
			}
			for j := 0; j < 4; j++ {
				del(rng.IntN(len(alive)))
			}
		})
	}
	if resizingSteps == 0 {
		t.Fatal("no resize happened during the scans")
	}
	mustCheck(t, tb)
	grown := tb.cur.groups()
	next := 0
	for next < n-1000 {
		scan(func() {
			for j := 0; j < 8 && next < n-1000; j++ {
				del(next)
				next++
			}
		})
	}
	for tb.RehashStep(1000) {
	}
	mustCheck(t, tb)
	if tb.Len()*8 < tb.cur.slots() {
		t.Fatalf("did not shrink: %d keys in %d groups (was %d)", tb.Len(), tb.cur.groups(), grown)
	}
	t.Logf("%d scans, %d steps while resizing, %d groups at the top", scans, resizingSteps, grown)
}

func atoiKey(k string) int {
	var i int
	fmt.Sscanf(k, "k:%d", &i)
	return i
}
