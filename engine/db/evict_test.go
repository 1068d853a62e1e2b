package db

import (
	"fmt"
	"slices"
	"testing"

	"rundb/engine/ds"
	"rundb/variants/goheap"
)

// putLRU stores a string key with access field lru (and a TTL when
// deadline is not 0).
func putLRU(d *DB, key string, lru uint32, deadline int64) {
	e := ds.NewString(d.Alloc(), []byte(key), []byte("v"), ds.EncEmbstr, deadline, deadline != 0, lru)
	d.Put(e)
}

// evictAll evicts until nothing is left and returns the keys in eviction
// order.
func evictAll(t *testing.T, ks *Keyspace, ev *Evictor) []string {
	t.Helper()
	var order []string
	ks.Hooks.AfterWrite = func(d *DB, key []byte, cause Cause) {
		if cause == CauseEvicted {
			order = append(order, string(key))
		}
	}
	defer func() { ks.Hooks.AfterWrite = nil }()
	for ev.EvictOne() {
		if len(order) > 1000 {
			t.Fatal("eviction does not end")
		}
	}
	return order
}

// TestPoolOrder: the pool keeps the PoolSize idlest candidates sampled,
// sorted by idle time with the idlest last, and eviction takes them
// idlest first.
func TestPoolOrder(t *testing.T) {
	ks, d := newDB(t)
	t0 := int64(1_000_000_000)
	for i := 0; i < 8; i++ {
		ks.Tick(t0 + int64(i)*1000) // key i last used at t0+i s
		putLRU(d, fmt.Sprintf("k%d", i), ks.LRUClock, 0)
	}
	ks.Tick(t0 + 100_000)
	ev := NewEvictor(ks)
	ev.Seed(1)
	ev.Policy, ev.Samples, ev.PoolSize = AllKeysLRU, 64, 4
	ev.populate(d)
	if got, want := ev.PoolKeys(), []string{"k3", "k2", "k1", "k0"}; !slices.Equal(got, want) {
		t.Fatalf("pool %q; want %q", got, want)
	}
	got := evictAll(t, ks, ev)
	if want := []string{"k0", "k1", "k2", "k3", "k4", "k5", "k6", "k7"}; !slices.Equal(got, want) {
		t.Fatalf("evicted %q; want %q", got, want)
	}
	if ks.Stats.EvictedKeys != 8 || d.Len() != 0 {
		t.Fatalf("evicted_keys %d, %d keys left", ks.Stats.EvictedKeys, d.Len())
	}
	checkTables(t, d)
}

// TestPoolGhost: a candidate deleted after it was sampled is skipped.
func TestPoolGhost(t *testing.T) {
	ks, d := newDB(t)
	t0 := int64(1_000_000_000)
	for i := 0; i < 4; i++ {
		ks.Tick(t0 + int64(i)*1000)
		putLRU(d, fmt.Sprintf("k%d", i), ks.LRUClock, 0)
	}
	ks.Tick(t0 + 100_000)
	ev := NewEvictor(ks)
	ev.Policy, ev.Samples = AllKeysLRU, 64
	ev.populate(d)
	d.Delete([]byte("k0"))
	if got := evictAll(t, ks, ev); !slices.Equal(got, []string{"k1", "k2", "k3"}) {
		t.Fatalf("evicted %q; want k1 k2 k3", got)
	}
}

// lfuAfter touches a fresh LFU key hits times and returns its counter.
func lfuAfter(factor int64, hits int, seed uint64) int64 {
	ks := NewKeyspace(goheap.New(), 1)
	ks.LFU, ks.LFULogFactor, ks.LFUDecayTime = true, factor, 1
	ks.Tick(1_000_000_000)
	ks.rnd = seed
	field := ks.LRUClock
	for i := 0; i < hits; i++ {
		field = ks.lfuIncr(field)
	}
	return ks.LFUCounter(field)
}

// TestLFUGrowth: the counter grows logarithmically as Redis's table in
// redis.conf gives it (factor 10: 100 hits 10, 1000 hits 18, 100K hits
// 142, 1M hits 255; factor 0: +1 per hit; factor 100: 1M hits 143), within
// the spread of a random walk.
func TestLFUGrowth(t *testing.T) {
	for _, tc := range []struct {
		factor int64
		hits   int
		want   int64
		slack  int64
	}{
		{0, 99, 104, 0},
		{1, 100, 18, 3},
		{1, 1000, 49, 4},
		{10, 100, 10, 2},
		{10, 1000, 18, 3},
		{10, 100_000, 142, 6},
		{10, 1_000_000, 255, 0},
		{100, 1000, 11, 2},
		{100, 100_000, 49, 4},
		{100, 1_000_000, 143, 6},
	} {
		// The mean of several keys: one key's walk spreads by several
		// steps at the larger counts.
		const keys = 8
		got := int64(0)
		for k := 0; k < keys; k++ {
			got += lfuAfter(tc.factor, tc.hits, uint64(k))
		}
		got = (got + keys/2) / keys
		if got < tc.want-tc.slack || got > tc.want+tc.slack {
			t.Errorf("factor %d, %d hits: counter %d; want %d±%d", tc.factor, tc.hits, got, tc.want, tc.slack)
		}
	}
}

// TestLFUDecay: the counter loses one per lfu-decay-time minutes since
// its last access (none at 0), stops at 0, and the 16-bit minute clock
// wraps.
func TestLFUDecay(t *testing.T) {
	ks := NewKeyspace(goheap.New(), 1)
	ks.LFU, ks.LFULogFactor = true, 10
	base := int64(1_000_000) * 60_000 // a whole minute
	ks.Tick(base)
	field := uint32(lfuMinutes(base))<<8 | 20
	for _, tc := range []struct{ decay, minutes, want int64 }{
		{1, 0, 20}, {1, 3, 17}, {2, 3, 19}, {2, 4, 18}, {0, 1000, 20}, {1, 25, 0}, {10, 59, 15},
	} {
		ks.LFUDecayTime = tc.decay
		ks.Tick(base + tc.minutes*60_000 + 59_999)
		if got := ks.LFUCounter(field); got != tc.want {
			t.Errorf("decay %d, %d minutes: counter %d; want %d", tc.decay, tc.minutes, got, tc.want)
		}
	}
	// Last access at minute 65530 of the 16-bit clock, now minute 2 after
	// the wrap: 65535-65530+2 = 7 minutes.
	ks.LFUDecayTime = 1
	last := (base/60_000&^0xffff + 65530) * 60_000
	ks.Tick(last)
	field = uint32(lfuMinutes(last))<<8 | 20
	ks.Tick(last + (65536-65530+2)*60_000)
	if got := ks.LFUCounter(field); got != 13 {
		t.Errorf("across the wrap: counter %d; want 13", got)
	}
	// An access decays first, then maybe increments: 20 -> 13 -> 13 or 14.
	if got := ks.LFUCounter(ks.lfuIncr(field)); got != 13 && got != 14 {
		t.Errorf("access after decay: counter %d; want 13 or 14", got)
	}
}

// TestPolicyChoice: each policy's choice on a small keyspace.
func TestPolicyChoice(t *testing.T) {
	t0 := int64(1_000_000_000)
	// setup: a, b, c, d without TTL and x, y, z with; idle a>x>b>y>c>z>d
	// (under LRU); under LFU the counters rank the same way; deadlines
	// y < z < x.
	setup := func(lfu bool) (*Keyspace, *DB) {
		ks, d := newDB(t)
		ks.LFU, ks.LFULogFactor, ks.LFUDecayTime = lfu, 10, 0
		deadline := map[string]int64{"x": t0 + 900_000, "y": t0 + 500_000, "z": t0 + 700_000}
		for i, k := range []string{"a", "x", "b", "y", "c", "z", "d"} {
			ks.Tick(t0 + int64(i)*1000)
			lru := ks.LRUClock
			if lfu {
				lru = lru&^0xff | uint32(10+i*10)
			}
			putLRU(d, k, lru, deadline[k])
		}
		ks.Tick(t0 + 10_000)
		return ks, d
	}
	for _, tc := range []struct {
		p    Policy
		want []string // the whole eviction order; nil: checked below
	}{
		{NoEviction, []string{}},
		{AllKeysLRU, []string{"a", "x", "b", "y", "c", "z", "d"}},
		{VolatileLRU, []string{"x", "y", "z"}},
		{AllKeysLFU, []string{"a", "x", "b", "y", "c", "z", "d"}},
		{VolatileLFU, []string{"x", "y", "z"}},
		{VolatileTTL, []string{"y", "z", "x"}},
		{AllKeysRandom, nil},
		{VolatileRandom, nil},
		{SimpleFirst, nil},
	} {
		ks, d := setup(tc.p.LFU())
		ev := NewEvictor(ks)
		ev.Seed(7)
		ev.Policy, ev.Samples = tc.p, 50
		got := evictAll(t, ks, ev)
		if tc.want != nil {
			if !slices.Equal(got, tc.want) && !(len(got) == 0 && len(tc.want) == 0) {
				t.Errorf("%s evicted %q; want %q", tc.p, got, tc.want)
			}
			continue
		}
		slices.Sort(got)
		want := []string{"a", "b", "c", "d", "x", "y", "z"}
		if tc.p.Volatile() {
			want = []string{"x", "y", "z"}
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s evicted %q; want all of %q", tc.p, got, want)
		}
		if tc.p.Volatile() && d.Len() != 4 {
			t.Errorf("%s left %d keys; want the 4 without TTL", tc.p, d.Len())
		}
	}
}

// TestRandomSpread: the random policies' choice is spread over the keys:
// evicting one key of 8, many times over, takes each key about as often.
func TestRandomSpread(t *testing.T) {
	counts := map[string]int{}
	const runs = 4000
	for r := 0; r < runs; r++ {
		ks, d := newDB(t)
		for i := 0; i < 8; i++ {
			putLRU(d, fmt.Sprintf("k%d", i), 0, 0)
		}
		ev := NewEvictor(ks)
		ev.Seed(uint64(r)*7919 + 1)
		ev.Policy = AllKeysRandom
		var got string
		ks.Hooks.AfterWrite = func(d *DB, key []byte, cause Cause) { got = string(key) }
		ev.EvictOne()
		counts[got]++
	}
	for i := 0; i < 8; i++ {
		if n := counts[fmt.Sprintf("k%d", i)]; n < runs/8/2 || n > runs/8*2 {
			t.Errorf("k%d evicted %d times of %d; want about %d", i, n, runs, runs/8)
		}
	}
}

// TestEvictRun: Evict stops once under target, reports a run out of time
// while still over as running, and fails when nothing is left.
func TestEvictRun(t *testing.T) {
	ks, d := newDB(t)
	for i := 0; i < 100; i++ {
		putLRU(d, fmt.Sprintf("k%d", i), 0, 0)
	}
	ev := NewEvictor(ks)
	ev.Policy = AllKeysRandom
	if r := ev.Evict(func() bool { return d.Len() > 90 }, func() bool { return false }); r != EvictOK || d.Len() != 90 {
		t.Fatalf("result %d with %d keys; want OK with 90", r, d.Len())
	}
	if r := ev.Evict(func() bool { return true }, func() bool { return true }); r != EvictRunning || d.Len() != 90-evictCheckEvery {
		t.Fatalf("result %d with %d keys; want running with %d", r, d.Len(), 90-evictCheckEvery)
	}
	if r := ev.Evict(func() bool { return true }, func() bool { return false }); r != EvictFail || d.Len() != 0 {
		t.Fatalf("result %d with %d keys; want fail with 0", r, d.Len())
	}
	checkTables(t, d)
}

func TestParsePolicy(t *testing.T) {
	for p := NoEviction; p <= SimpleFirst; p++ {
		if q, ok := ParsePolicy(p.String()); !ok || q != p {
			t.Errorf("ParsePolicy(%q) = %v, %v", p.String(), q, ok)
		}
	}
	if _, ok := ParsePolicy("allkeys-fifo"); ok {
		t.Error("allkeys-fifo parsed")
	}
}
