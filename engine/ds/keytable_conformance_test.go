package ds

// The conformance suite of the keyspace-table seam: every registered layout
// (Layouts) runs every test here, on every test backend (exact, goheap),
// against a Go map as the model. A new layout registers itself and is
// covered without touching this file. A layout that has a
// checkInvariants() error method (as Table and Chained do) gets it called
// along the way.

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"rundb/engine/mem"
)

type invariantChecker interface{ checkInvariants() error }

// forLayouts runs fn for every registered layout on every test backend.
func forLayouts(t *testing.T, fn func(t *testing.T, name string, a mem.Allocator)) {
	if len(Layouts()) == 0 {
		t.Fatal("no layout registered")
	}
	for _, name := range Layouts() {
		for _, b := range backends {
			t.Run("layout="+name+"/alloc="+b.name, func(t *testing.T) { fn(t, name, b.new()) })
		}
	}
}

func newLayout(t testing.TB, name string, a mem.Allocator, p mem.Purpose, keyOf KeyFunc) KeyTable {
	t.Helper()
	kt, err := NewKeyTable(name, a, p, keyOf)
	if err != nil {
		t.Fatal(err)
	}
	return kt
}

func checkKT(t testing.TB, kt KeyTable) {
	t.Helper()
	if c, ok := kt.(invariantChecker); ok {
		if err := c.checkInvariants(); err != nil {
			t.Fatal(err)
		}
	}
}

// ktModel is a KeyTable beside its Go map model; every operation checks
// the table's answer against the model's.
type ktModel struct {
	t     testing.TB
	s     *keyStore
	kt    KeyTable
	model map[string]mem.Ref
}

func newKTModel(t testing.TB, name string, a mem.Allocator) *ktModel {
	s := &keyStore{}
	return &ktModel{t: t, s: s, kt: newLayout(t, name, a, mem.PurposeSlots, s.keyOf), model: map[string]mem.Ref{}}
}

func (m *ktModel) put(k string) {
	m.t.Helper()
	r := m.s.ref(k)
	if prev := m.kt.Put([]byte(k), r); prev != m.model[k] {
		m.t.Fatalf("Put(%q) = %d; want %d", k, prev, m.model[k])
	}
	m.model[k] = r
}

func (m *ktModel) get(k string) {
	m.t.Helper()
	if r := m.kt.Get([]byte(k)); r != m.model[k] {
		m.t.Fatalf("Get(%q) = %d; want %d", k, r, m.model[k])
	}
}

func (m *ktModel) del(k string) {
	m.t.Helper()
	if prev := m.kt.Delete([]byte(k)); prev != m.model[k] {
		m.t.Fatalf("Delete(%q) = %d; want %d", k, prev, m.model[k])
	}
	delete(m.model, k)
}

// stored fails unless r is the Ref the model holds for r's key.
func (m *ktModel) stored(what string, r mem.Ref) {
	m.t.Helper()
	if r == 0 || m.model[string(m.s.keyOf(r))] != r {
		m.t.Fatalf("%s returned %d, not a stored Ref", what, r)
	}
}

func (m *ktModel) checkAll() {
	m.t.Helper()
	if m.kt.Len() != len(m.model) {
		m.t.Fatalf("Len() = %d; want %d", m.kt.Len(), len(m.model))
	}
	for k := range m.model {
		m.get(k)
	}
	checkKT(m.t, m.kt)
}

// clear runs Clear and checks that it frees every stored Ref exactly once.
func (m *ktModel) clear() {
	m.t.Helper()
	freed := map[mem.Ref]int{}
	m.kt.Clear(func(r mem.Ref) { freed[r]++ })
	if len(freed) != len(m.model) {
		m.t.Fatalf("Clear freed %d Refs; want %d", len(freed), len(m.model))
	}
	for k, r := range m.model {
		if freed[r] != 1 {
			m.t.Fatalf("Clear freed %q's Ref %d times; want 1", k, freed[r])
		}
	}
	clear(m.model)
	if m.kt.Len() != 0 || m.kt.MemBytes() != 0 || m.kt.AllocatedBytes() != 0 || m.kt.Resizing() {
		m.t.Fatalf("after Clear: Len %d, MemBytes %d, AllocatedBytes %d, Resizing %v", m.kt.Len(), m.kt.MemBytes(), m.kt.AllocatedBytes(), m.kt.Resizing())
	}
}

// Random Put/Get/Delete/Clear against the model, growing to thousands of
// keys and shrinking back, twice, with the cron's RehashStep mixed in.
func TestKeyTableModel(t *testing.T) {
	forLayouts(t, func(t *testing.T, name string, a mem.Allocator) {
		m := newKTModel(t, name, a)
		rng := rand.New(rand.NewPCG(1, 11))
		const space = 12000
		key := func() string { return fmt.Sprintf("key:%d", rng.IntN(space)) }
		ops, phase := 0, 20000
		if testing.Short() {
			phase = 8000 // still past 4000 keys, several doublings
		}
		for round := 0; round < 2; round++ {
			for _, putShare := range []int{75, 20} { // grow, then shrink
				for i := 0; i < phase; i++ {
					switch x := rng.IntN(100); {
					case x < putShare:
						m.put(key())
					case x < putShare+10:
						m.get(key())
					case x < 98:
						m.del(key())
					default:
						m.kt.RehashStep(1 + rng.IntN(4))
					}
					if ops++; ops%2500 == 0 {
						m.checkAll()
					}
				}
				m.checkAll()
			}
			if round == 0 {
				// Delete every key: the table must give back its storage.
				for k := range m.model {
					m.del(k)
				}
				for i := 0; m.kt.RehashStep(64) && i < 1<<20; i++ {
				}
				if m.kt.Len() != 0 || m.kt.MemBytes() != 0 {
					t.Fatalf("emptied table: Len %d, MemBytes %d; want 0, 0", m.kt.Len(), m.kt.MemBytes())
				}
			}
		}
		m.clear()
		checkLive(t, a, 0)
		// A cleared table works as new.
		for i := 0; i < 3000; i++ {
			m.put(fmt.Sprintf("again:%d", i))
		}
		m.checkAll()
		m.clear()
		checkLive(t, a, 0)
	})
}

// scanSteps runs a whole scan, calling between(cursor) after each step,
// and returns the number of steps.
func scanSteps(t testing.TB, kt KeyTable, fn func(r mem.Ref), between func(cursor uint64)) int {
	t.Helper()
	var cursor uint64
	for steps := 1; ; steps++ {
		cursor = kt.Scan(cursor, fn)
		if cursor == 0 {
			return steps
		}
		if steps > 1<<22 {
			t.Fatal("scan does not end")
		}
		between(cursor)
	}
}

// Scan's guarantee: every key present during the whole scan is returned,
// while keys are inserted and deleted between steps, across grows and
// shrinks; every Ref returned is stored when it is returned.
func TestKeyTableScan(t *testing.T) {
	forLayouts(t, func(t *testing.T, name string, a mem.Allocator) {
		for _, sc := range []struct {
			name           string
			start, in, out int // keys at start, inserted and deleted per step
		}{
			{"grow", 100, 40, 2},
			{"shrink", 8000, 0, 120},
			{"churn", 3000, 30, 30},
		} {
			t.Run(sc.name, func(t *testing.T) {
				m := newKTModel(t, name, a)
				rng := rand.New(rand.NewPCG(2, uint64(sc.start)))
				next := 0
				for ; next < sc.start; next++ {
					m.put(fmt.Sprint("k", next))
				}
				stable := map[string]bool{} // present for the whole scan
				var volatile []string       // the keys steps may delete
				for k := range m.model {
					if rng.IntN(4) == 0 {
						stable[k] = true
					} else {
						volatile = append(volatile, k)
					}
				}
				got := map[string]bool{}
				peak, low := m.kt.MemBytes(), m.kt.MemBytes()
				steps := scanSteps(t, m.kt, func(r mem.Ref) {
					m.stored("Scan", r)
					got[string(m.s.keyOf(r))] = true
				}, func(uint64) {
					for i := 0; i < sc.in && m.kt.Len() < 6000; i++ { // a bounded growth, so that the scan ends
						k := fmt.Sprint("k", next)
						next++
						m.put(k)
						volatile = append(volatile, k)
					}
					for i := 0; i < sc.out && len(volatile) > 0; i++ {
						j := rng.IntN(len(volatile))
						m.del(volatile[j])
						volatile[j] = volatile[len(volatile)-1]
						volatile = volatile[:len(volatile)-1]
					}
					if rng.IntN(3) == 0 {
						m.kt.RehashStep(1 + rng.IntN(8))
					}
					peak, low = max(peak, m.kt.MemBytes()), min(low, m.kt.MemBytes())
				})
				for k := range stable {
					if !got[k] {
						t.Fatalf("scan of %d steps missed %q", steps, k)
					}
				}
				switch {
				case sc.in > sc.out && peak <= low:
					t.Fatalf("the table did not grow during the scan (MemBytes %d..%d)", low, peak)
				case sc.out > sc.in && low >= peak:
					t.Fatalf("the table did not shrink during the scan (MemBytes %d..%d)", low, peak)
				}
				m.checkAll()
				m.clear()
			})
		}
	})
}

// ScanPos and CursorPos are exact while the table does not shrink: after
// each step returned c, the keys present since the scan began that were
// returned are exactly those with ScanPos(k) < CursorPos(c); keys added
// during the scan that were returned are below it too. The table grows
// (and keys are deleted) meanwhile.
func TestKeyTableScanPos(t *testing.T) {
	forLayouts(t, func(t *testing.T, name string, a mem.Allocator) {
		m := newKTModel(t, name, a)
		rng := rand.New(rand.NewPCG(3, 3))
		next := 0
		for ; next < 500; next++ {
			m.put(fmt.Sprint("p", next))
		}
		m.kt.SetNoShrink(true)
		if !m.kt.NoShrink() {
			t.Fatal("NoShrink() = false after SetNoShrink(true)")
		}
		pos := map[string]uint64{} // ScanPos at insertion: it must not move
		fromStart := map[string]bool{}
		for k := range m.model {
			pos[k] = m.kt.ScanPos([]byte(k))
			fromStart[k] = true
		}
		got := map[string]bool{}
		mem0, lastMem := m.kt.MemBytes(), m.kt.MemBytes()
		steps := 0
		check := func(cursor uint64) {
			cp := m.kt.CursorPos(cursor)
			if cursor == 0 {
				cp = math.MaxUint64 // the scan is over: everything is below
			}
			for k := range m.model {
				if p := m.kt.ScanPos([]byte(k)); p != pos[k] {
					t.Fatalf("ScanPos(%q) moved from %#x to %#x", k, pos[k], p)
				}
				below := pos[k] < cp || cursor == 0
				if fromStart[k] && got[k] != below {
					t.Fatalf("cursor %#x (pos %#x): %q at %#x returned=%v", cursor, cp, k, pos[k], got[k])
				}
				if got[k] && !below {
					t.Fatalf("cursor %#x (pos %#x): %q at %#x returned above the cursor", cursor, cp, k, pos[k])
				}
			}
		}
		scanSteps(t, m.kt, func(r mem.Ref) {
			m.stored("Scan", r)
			got[string(m.s.keyOf(r))] = true
		}, func(cursor uint64) {
			if steps++; steps < 200 || steps%16 == 0 {
				check(cursor)
			}
			// A bounded growth, so that the scan ends; 100 keys a step so
			// that even a layout whose scan of 500 keys takes 4 steps
			// (dash: a quarter of its one segment each) has to grow.
			for i := 0; i < 100 && m.kt.Len() < 4000; i++ {
				k := fmt.Sprint("p", next)
				next++
				m.put(k)
				pos[k] = m.kt.ScanPos([]byte(k))
			}
			for i := 0; i < 8; i++ {
				k := fmt.Sprint("p", rng.IntN(next))
				m.del(k)
				delete(fromStart, k)
			}
			if rng.IntN(2) == 0 {
				m.kt.RehashStep(1 + rng.IntN(4))
			}
			lastMem = max(lastMem, m.kt.MemBytes())
		})
		check(0)
		if lastMem <= mem0 {
			t.Fatalf("the table did not grow during the scan (MemBytes %d)", mem0)
		}
		// Under SetNoShrink an emptied table keeps its storage.
		for k := range m.model {
			m.del(k)
		}
		for i := 0; i < 1000; i++ {
			m.kt.RehashStep(64)
		}
		if mb := m.kt.MemBytes(); mb == 0 {
			t.Fatal("emptied under SetNoShrink: the table dropped its storage")
		}
		m.put("again")
		m.del("again")
		if mb := m.kt.MemBytes(); mb == 0 {
			t.Fatal("emptied again under SetNoShrink: the table dropped its storage")
		}
		m.kt.SetNoShrink(false)
		if m.kt.NoShrink() {
			t.Fatal("NoShrink() = true after SetNoShrink(false)")
		}
		if mb := m.kt.MemBytes(); mb != 0 {
			t.Fatalf("empty table after SetNoShrink(false): MemBytes %d; want 0", mb)
		}
		m.clear()
	})
}

// Random and Sample return stored Refs (during a resize too); Sample is
// uniform (chi-square over 20 draws per key) and Random reaches almost
// every key.
func TestKeyTableRandomSample(t *testing.T) {
	forLayouts(t, func(t *testing.T, name string, a mem.Allocator) {
		m := newKTModel(t, name, a)
		if m.kt.Random(1) != 0 || m.kt.Sample(1) != 0 {
			t.Fatal("Random or Sample of an empty table is not 0")
		}
		rng := rand.New(rand.NewPCG(4, 4))
		resizing := 0
		for i := 0; i < 2000; i++ {
			m.put(fmt.Sprint("r", i))
			if m.kt.Resizing() {
				resizing++
				m.stored("Random during a resize", m.kt.Random(rng.Uint64()))
				m.stored("Sample during a resize", m.kt.Sample(rng.Uint64()))
			}
		}
		if resizing == 0 {
			t.Log("no resize seen while growing: Random/Sample during a resize not exercised")
		}
		for i := 0; i < 2000; i += 2 {
			m.del(fmt.Sprint("r", i))
		}
		for m.kt.RehashStep(64) {
		}
		n := len(m.model)
		const perKey = 20
		rnd, smp := map[mem.Ref]int{}, map[mem.Ref]int{}
		for i := 0; i < perKey*n; i++ {
			r := m.kt.Random(rng.Uint64())
			m.stored("Random", r)
			rnd[r]++
			s := m.kt.Sample(rng.Uint64())
			m.stored("Sample", s)
			smp[s]++
		}
		if len(rnd) < n*95/100 {
			t.Fatalf("Random reached %d of %d keys in %d draws", len(rnd), n, perKey*n)
		}
		chi := 0.0
		for _, r := range m.model {
			d := float64(smp[r] - perKey)
			chi += d * d / perKey
		}
		// n-1 degrees of freedom: mean n-1, deviation sqrt(2(n-1)).
		if limit := float64(n-1) + 6*math.Sqrt(2*float64(n-1)); chi > limit {
			t.Fatalf("Sample is not uniform: chi-square %.0f over %d keys (limit %.0f)", chi, n, limit)
		}
		m.clear()
	})
}

// ForEach visits every stored Ref once and stops when fn returns false.
func TestKeyTableForEach(t *testing.T) {
	forLayouts(t, func(t *testing.T, name string, a mem.Allocator) {
		m := newKTModel(t, name, a)
		calls := 0
		m.kt.ForEach(func(mem.Ref) bool { calls++; return true })
		if calls != 0 {
			t.Fatalf("ForEach of an empty table called fn %d times", calls)
		}
		for i := 0; i < 3000; i++ {
			m.put(fmt.Sprint("f", i))
			if i%500 == 0 || m.kt.Resizing() && i%50 == 0 {
				seen := map[mem.Ref]int{}
				m.kt.ForEach(func(r mem.Ref) bool { seen[r]++; return true })
				if len(seen) != len(m.model) {
					t.Fatalf("ForEach saw %d Refs; want %d", len(seen), len(m.model))
				}
				for k, r := range m.model {
					if seen[r] != 1 {
						t.Fatalf("ForEach saw %q %d times", k, seen[r])
					}
				}
			}
		}
		calls = 0
		m.kt.ForEach(func(mem.Ref) bool { calls++; return calls < 10 })
		if calls != 10 {
			t.Fatalf("ForEach went on after fn returned false: %d calls", calls)
		}
		m.clear()
	})
}

// MemBytes and AllocatedBytes grow with N and drop after Clear and after a
// shrink; every block the table allocates is under its purpose, and its
// AllocatedBytes and MemBytes are exactly what the allocator counts there.
func TestKeyTableMemory(t *testing.T) {
	forLayouts(t, func(t *testing.T, name string, a mem.Allocator) {
		var s keyStore
		const p = mem.PurposeExpires // not the first purpose, to catch a hard-coded one
		kt := newLayout(t, name, a, p, s.keyOf)
		books := func(when string) {
			t.Helper()
			st := a.Stats()
			for q := mem.Purpose(0); q < mem.NumPurposes; q++ {
				if q != p && st.Purposes[q].Blocks != 0 {
					t.Fatalf("%s: %d blocks under %s; the table's purpose is %s", when, st.Purposes[q].Blocks, q, p)
				}
			}
			if got := int(st.Purposes[p].Allocated); got != kt.AllocatedBytes() {
				t.Fatalf("%s: AllocatedBytes %d; the allocator counts %d", when, kt.AllocatedBytes(), got)
			}
			if _, exact := a.(*exactAlloc); exact && int(st.Purposes[p].Requested) != kt.MemBytes() {
				t.Fatalf("%s: MemBytes %d; the allocator counts %d requested", when, kt.MemBytes(), st.Purposes[p].Requested)
			}
		}
		if kt.MemBytes() != 0 || kt.AllocatedBytes() != 0 {
			t.Fatalf("empty table: MemBytes %d, AllocatedBytes %d", kt.MemBytes(), kt.AllocatedBytes())
		}
		var keys []string
		last := 0
		for _, n := range []int{100, 1000, 10000, 40000} {
			for len(keys) < n {
				k := fmt.Sprint("m", len(keys))
				keys = append(keys, k)
				kt.Put([]byte(k), s.ref(k))
			}
			books(fmt.Sprintf("%d keys", n))
			mb := kt.MemBytes()
			// At least a tag byte and a Ref per key (a layout may store
			// Refs in as few bytes as the allocator's bound allows).
			if mb <= last || mb < (1+mem.RefBytes(a))*n || kt.AllocatedBytes() < mb {
				t.Fatalf("%d keys: MemBytes %d (before: %d), AllocatedBytes %d", n, mb, last, kt.AllocatedBytes())
			}
			last = mb
		}
		// Shrink: down to 100 keys, then the cron's steps.
		for _, k := range keys[100:] {
			kt.Delete([]byte(k))
		}
		for i := 0; kt.RehashStep(64) && i < 1<<20; i++ {
		}
		books("after the deletes")
		if mb := kt.MemBytes(); mb > last/10 {
			t.Fatalf("100 keys left of 40000: MemBytes %d, was %d", mb, last)
		}
		freed := 0
		kt.Clear(func(mem.Ref) { freed++ })
		if freed != 100 || kt.Len() != 0 || kt.MemBytes() != 0 || kt.AllocatedBytes() != 0 {
			t.Fatalf("after Clear: freed %d, Len %d, MemBytes %d, AllocatedBytes %d", freed, kt.Len(), kt.MemBytes(), kt.AllocatedBytes())
		}
		books("after Clear")
		checkLive(t, a, 0)
	})
}

// FuzzKeyTable decodes the input into an op stream run against every
// layout and a Go map model. Byte 0 picks the key space (small spaces
// replace and delete a lot, large ones grow); then each op is [op][a][b]:
//
//	0 Put key(a,b)      1 Get key(a,b)      2 Delete key(a,b)
//	3 Scan step         4 RehashStep(1+a%8) 5 Put a*4 keys from key(b)
//	6 Delete a*4 keys from key(b)           7 Random(a,b) and Sample(a,b)
//	8 SetNoShrink(a&1)  9 Clear when a == 0, else ForEach
//
// A scan runs across the other ops; when it ends, every key present for
// the whole of it must have been returned, and while SetNoShrink held since
// it began, each step's returned keys are those below CursorPos.
func FuzzKeyTable(f *testing.F) {
	for _, seed := range keyTableSeeds() {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, name := range Layouts() {
			fuzzKeyTable(t, name, newExact(), data)
		}
	})
}

func keyTableSeeds() [][]byte {
	grow := []byte{255, 8, 1, 0}
	for i := 0; i < 60; i++ {
		grow = append(grow, 5, 255, byte(i*7), 3, 0, 0, 7, byte(i), 1)
	}
	for i := 0; i < 60; i++ {
		grow = append(grow, 6, 255, byte(i*7), 3, 0, 0, 4, 1, 0, 1, byte(i), 9)
	}
	return [][]byte{
		{0, 0, 1, 2, 0, 3, 4, 2, 1, 2, 3, 0, 0, 9, 1, 0},
		{200, 5, 255, 0, 3, 0, 0, 3, 0, 0, 6, 255, 0, 3, 0, 0, 3, 0, 0, 3, 0, 0, 9, 0, 0, 5, 9, 0},
		grow,
	}
}

// TestFuzzKeyTableSeeds runs the fuzz seeds on every layout and backend.
func TestFuzzKeyTableSeeds(t *testing.T) {
	forLayouts(t, func(t *testing.T, name string, a mem.Allocator) {
		for _, seed := range keyTableSeeds() {
			fuzzKeyTable(t, name, a, seed)
		}
	})
}

func fuzzKeyTable(t *testing.T, name string, a mem.Allocator, data []byte) {
	if len(data) == 0 {
		return
	}
	space := 8 + int(data[0])*64 // 8 .. 16328 keys
	data = data[1:]
	if len(data) > 3*2000 {
		data = data[:3*2000] // bound the work of one input
	}
	m := newKTModel(t, name, a)
	kt := m.kt
	key := func(x, y byte) string { return fmt.Sprintf("k%d", (int(x)<<8|int(y))%space) }

	scanning, exact := false, false
	var cursor uint64
	var atStart, touched, got map[string]bool

	del := func(k string) {
		m.del(k)
		if scanning {
			touched[k] = true
		}
	}
	for n := 0; len(data) >= 3; n++ {
		op, x, y := data[0]%10, data[1], data[2]
		data = data[3:]
		switch op {
		case 0:
			m.put(key(x, y))
		case 1:
			m.get(key(x, y))
		case 2:
			del(key(x, y))
		case 3:
			if !scanning {
				scanning, exact, cursor = true, kt.NoShrink(), 0
				atStart, touched, got = map[string]bool{}, map[string]bool{}, map[string]bool{}
				for k := range m.model {
					atStart[k] = true
				}
			}
			cursor = kt.Scan(cursor, func(r mem.Ref) {
				m.stored("Scan", r)
				got[string(m.s.keyOf(r))] = true
			})
			if cursor == 0 {
				scanning = false
				for k := range atStart {
					if !touched[k] && !got[k] {
						t.Fatalf("scan missed %q", k)
					}
				}
			} else if exact {
				cp := kt.CursorPos(cursor)
				for k := range atStart {
					if !touched[k] && got[k] != (kt.ScanPos([]byte(k)) < cp) {
						t.Fatalf("cursor %#x: %q returned=%v at ScanPos %#x, CursorPos %#x", cursor, k, got[k], kt.ScanPos([]byte(k)), cp)
					}
				}
			}
		case 4:
			if more := kt.RehashStep(1 + int(x)%8); more != kt.Resizing() {
				t.Fatalf("RehashStep reported %v, Resizing() %v", more, kt.Resizing())
			}
		case 5:
			for i := 0; i < int(x)*4; i++ {
				m.put(key(byte(i>>8)+y, byte(i)))
			}
		case 6:
			for i := 0; i < int(x)*4; i++ {
				del(key(byte(i>>8)+y, byte(i)))
			}
		case 7:
			for _, r := range []mem.Ref{kt.Random(uint64(x)<<8 | uint64(y)), kt.Sample(uint64(y)<<8 | uint64(x))} {
				if len(m.model) == 0 {
					if r != 0 {
						t.Fatalf("Random or Sample = %d of an empty table", r)
					}
				} else {
					m.stored("Random or Sample", r)
				}
			}
		case 8:
			kt.SetNoShrink(x&1 == 1)
			if x&1 == 0 {
				exact = false
			}
		case 9:
			if x == 0 {
				for k := range m.model {
					if scanning {
						touched[k] = true
					}
				}
				m.clear()
				continue
			}
			seen := 0
			kt.ForEach(func(r mem.Ref) bool { m.stored("ForEach", r); seen++; return true })
			if seen != len(m.model) {
				t.Fatalf("ForEach saw %d; want %d", seen, len(m.model))
			}
		}
		if kt.Len() != len(m.model) {
			t.Fatalf("op %d: Len() = %d; want %d", n, kt.Len(), len(m.model))
		}
		if len(m.model) < 256 || n%64 == 0 {
			checkKT(t, kt)
		}
	}
	m.checkAll()
	m.clear()
	checkLive(t, a, 0)
}
