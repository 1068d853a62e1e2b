package db

// Eviction: what maxmemory removes, and how it chooses.
//
// The command layer measures used memory and decides when the server is
// over maxmemory; an Evictor chooses keys by its policy and removes them
// through the one write path (Evict, cause CauseEvicted), one at a time,
// until the caller's over function says the server is under its target or
// the caller's time budget runs out.
//
// Policies that rank keys (the -lru, -lfu and volatile-ttl ones) keep an
// eviction pool: PoolSize candidates sorted by their score (the idle time in
// seconds for LRU, 255 less the decayed counter for LFU, the distance to the
// latest possible deadline for volatile-ttl), best (highest) last. Each
// pass samples Samples random keys of every non-empty database (its keys
// table, or its expires table for the volatile- policies) into the pool,
// then evicts the best candidate still present. The pool lives across
// passes, so candidates sampled earlier keep competing. The random policies
// take one random key per eviction from the databases in turn; simple-first
// is the same choice, which the command layer runs for one key per check.
// Sampling never lists or shuffles the keyspace: each sample is one
// ds.KeyTable.Sample draw, uniform over the keys (a few slot or bucket probes).

import (
	"math"

	"rundb/engine/ds"
)

// Policy is a maxmemory-policy.
type Policy uint8

// The policies, by their maxmemory-policy names.
const (
	NoEviction     Policy = iota // noeviction
	AllKeysLRU                   // allkeys-lru
	VolatileLRU                  // volatile-lru
	AllKeysLFU                   // allkeys-lfu
	VolatileLFU                  // volatile-lfu
	AllKeysRandom                // allkeys-random
	VolatileRandom               // volatile-random
	VolatileTTL                  // volatile-ttl
	SimpleFirst                  // simple-first (rundb): one random key per check
)

var policyNames = [...]string{"noeviction", "allkeys-lru", "volatile-lru", "allkeys-lfu",
	"volatile-lfu", "allkeys-random", "volatile-random", "volatile-ttl", "simple-first"}

// String is the policy's maxmemory-policy name.
func (p Policy) String() string { return policyNames[p] }

// ParsePolicy maps a maxmemory-policy name to its Policy.
func ParsePolicy(name string) (Policy, bool) {
	for i, n := range policyNames {
		if n == name {
			return Policy(i), true
		}
	}
	return NoEviction, false
}

// Volatile reports whether p only evicts keys with a TTL.
func (p Policy) Volatile() bool {
	return p == VolatileLRU || p == VolatileLFU || p == VolatileRandom || p == VolatileTTL
}

// Random reports whether p picks keys at random (no pool).
func (p Policy) Random() bool {
	return p == AllKeysRandom || p == VolatileRandom || p == SimpleFirst
}

// LFU reports whether p ranks keys by access frequency.
func (p Policy) LFU() bool { return p == AllKeysLFU || p == VolatileLFU }

// EvictResult is what one eviction run ended with.
type EvictResult uint8

const (
	// EvictOK: the caller's target was reached.
	EvictOK EvictResult = iota
	// EvictRunning: the time budget ran out while still over the target.
	EvictRunning
	// EvictFail: nothing (more) can be evicted under the policy.
	EvictFail
)

// poolEntry is one eviction candidate: its score, database and key (a
// copy, reused by the slot).
type poolEntry struct {
	score uint64
	db    int
	key   []byte
}

// Evictor chooses and evicts keys of a keyspace by a policy.
type Evictor struct {
	ks *Keyspace
	// Policy is the maxmemory-policy; Samples the keys each pass samples
	// per database; PoolSize the candidates the pool keeps.
	Policy   Policy
	Samples  int
	PoolSize int

	pool   []poolEntry // sorted by score, ascending; best last
	spare  [][]byte    // key buffers of dropped pool entries, for reuse
	nextDB int         // the random policies' round-robin
	rnd    uint64
}

// NewEvictor makes an evictor over ks with Redis's defaults (pool of 16,
// 5 samples) and no eviction.
func NewEvictor(ks *Keyspace) *Evictor {
	return &Evictor{ks: ks, Samples: 5, PoolSize: 16, rnd: 0x9e3779b97f4a7c15}
}

// Seed sets the evictor's random source (tests make runs repeatable).
func (ev *Evictor) Seed(s uint64) { ev.rnd = s | 1 }

func (ev *Evictor) rand() uint64 {
	x := ev.rnd
	x ^= x << 13
	x ^= x >> 7
	x ^= x << 17
	ev.rnd = x
	return x
}

// ResetPool drops every candidate (a policy change makes scores
// incomparable; FLUSHALL makes them ghosts).
func (ev *Evictor) ResetPool() {
	for _, e := range ev.pool {
		ev.spare = append(ev.spare, e.key[:0])
	}
	ev.pool = ev.pool[:0]
}

// PoolKeys lists the pool's candidates, best last (for tests and DEBUG).
func (ev *Evictor) PoolKeys() []string {
	out := make([]string, len(ev.pool))
	for i, e := range ev.pool {
		out[i] = string(e.key)
	}
	return out
}

// score ranks entry e for the pool: higher is evicted first.
func (ev *Evictor) score(e ds.Entry) uint64 {
	ks := ev.ks
	switch ev.Policy {
	case AllKeysLRU, VolatileLRU:
		lru := e.LRU()
		if ks.LRUClock >= lru {
			return uint64(ks.LRUClock - lru)
		}
		return uint64(ks.LRUClock) + uint64(LRUMax-lru)
	case AllKeysLFU, VolatileLFU:
		return uint64(255 - ks.LFUCounter(e.LRU()))
	case VolatileTTL:
		return math.MaxUint64 - uint64(e.Deadline())
	}
	return 0
}

// insert puts a candidate in the pool if it ranks among the best
// PoolSize; a key already there gets its new score.
func (ev *Evictor) insert(score uint64, db int, key []byte) {
	for i := range ev.pool {
		if ev.pool[i].db == db && string(ev.pool[i].key) == string(key) {
			ev.drop(i)
			break
		}
	}
	size := max(ev.PoolSize, 1)
	// i is the first position whose score is not lower.
	i := 0
	for i < len(ev.pool) && ev.pool[i].score < score {
		i++
	}
	if len(ev.pool) >= size {
		if i == 0 {
			return // worse than every candidate of a full pool
		}
		// Drop the worst to make room; the new one goes just below i.
		ev.drop(0)
		i--
	}
	var buf []byte
	if n := len(ev.spare); n > 0 {
		buf, ev.spare = ev.spare[n-1], ev.spare[:n-1]
	}
	ev.pool = append(ev.pool, poolEntry{})
	copy(ev.pool[i+1:], ev.pool[i:])
	ev.pool[i] = poolEntry{score: score, db: db, key: append(buf, key...)}
}

func (ev *Evictor) drop(i int) {
	ev.spare = append(ev.spare, ev.pool[i].key[:0])
	ev.pool = append(ev.pool[:i], ev.pool[i+1:]...)
}

// populate samples Samples keys of d into the pool; it returns how many
// keys d's sampled table holds.
func (ev *Evictor) populate(d *DB) int {
	t := d.keys
	if ev.Policy.Volatile() {
		t = d.expires
	}
	n := t.Len()
	if n == 0 {
		return 0
	}
	for i := 0; i < max(ev.Samples, 1); i++ {
		r := t.Sample(ev.rand())
		if r == 0 {
			break
		}
		e := d.Load(r)
		ev.insert(ev.score(e), d.ID, e.Key())
	}
	return n
}

// pick chooses the next key to evict: its database and entry.
func (ev *Evictor) pick() (*DB, ds.Entry, bool) {
	ks := ev.ks
	if ev.Policy == NoEviction {
		return nil, ds.Entry{}, false
	}
	if ev.Policy.Random() {
		for range ks.DBs {
			ev.nextDB = (ev.nextDB + 1) % len(ks.DBs)
			d := ks.DBs[ev.nextDB]
			t := d.keys
			if ev.Policy == VolatileRandom {
				t = d.expires
			}
			if r := t.Sample(ev.rand()); r != 0 {
				return d, d.Load(r), true
			}
		}
		return nil, ds.Entry{}, false
	}
	for {
		total := 0
		for _, d := range ks.DBs {
			total += ev.populate(d)
		}
		if total == 0 {
			return nil, ds.Entry{}, false
		}
		// The best candidate still present wins; ghosts (keys deleted,
		// or for volatile policies made persistent, since sampled) go,
		// and a candidate accessed since it was sampled goes back in
		// with its current score, so a key that turned hot in the
		// meantime is not evicted on its stale score.
		for len(ev.pool) > 0 {
			i := len(ev.pool) - 1
			c := ev.pool[i]
			d := ks.DBs[c.db]
			t := d.keys
			if ev.Policy.Volatile() {
				t = d.expires
			}
			r := t.Get(c.key)
			if r == 0 {
				ev.drop(i)
				continue
			}
			e := d.Load(r)
			if s := ev.score(e); s < c.score {
				ev.drop(i)
				ev.insert(s, c.db, e.Key())
				continue
			}
			ev.drop(i)
			return d, e, true
		}
	}
}

// EvictOne evicts one key chosen by the policy; false when there is none.
func (ev *Evictor) EvictOne() bool {
	d, e, ok := ev.pick()
	if !ok {
		return false
	}
	d.Evict(e)
	return true
}

// evictCheckEvery is how many keys are evicted between two looks at the
// clock.
const evictCheckEvery = 16

// Evict evicts keys while over reports the server over its target,
// looking at timeUp every few keys. It reports EvictOK once under,
// EvictRunning when time ran out first, EvictFail when nothing is left to
// evict.
func (ev *Evictor) Evict(over func() bool, timeUp func() bool) EvictResult {
	for n := 1; over(); n++ {
		if !ev.EvictOne() {
			return EvictFail
		}
		if n%evictCheckEvery == 0 && over() && timeUp() {
			return EvictRunning
		}
	}
	return EvictOK
}

// Evict removes e, a key of d chosen by maxmemory, through the write path
// (cause CauseEvicted), whether or not its deadline passed.
func (d *DB) Evict(e ds.Entry) {
	key := e.Key() // aliases e's block, freed last
	d.before(key, e, true)
	d.unlink(key, e)
	d.ks.Stats.EvictedKeys++
	d.after(key, CauseEvicted)
	e.Free(d.ks.Alloc)
}
