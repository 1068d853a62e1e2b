// Package db holds rundb's databases: the keyspace table and the expires
// table of each one, lazy expiry, the LRU clock, and the one write path
// (write.go): every change to a key goes through a method of DB, which
// calls the before-write hook, changes the entry through engine/ds, then
// calls the after-write hook.
//
// Every key lives in one packed entry block (see engine/ds), referenced from
// the database's keyspace table. A key with a TTL carries its deadline inside
// its entry, and its entry's Ref is also stored in the expires table, so
// that keys without TTL pay nothing for expiry and the expires table can be
// sampled by the active expiry cycle.
//
// A DB is owned by the server's event loop goroutine: nothing here is safe
// for concurrent use.
package db

import (
	"rundb/engine/ds"
	"rundb/engine/mem"
)

// LRUBits is the width of the per-entry access clock; its unit is one second.
const (
	LRUBits = 24
	LRUMax  = 1<<LRUBits - 1

	// LFUInitVal is the counter a new key starts with under LFU, so that
	// a fresh key is not the first one evicted.
	LFUInitVal = 5
)

// Tick sets the keyspace's notion of now (Unix ms) for the next command.
func (ks *Keyspace) Tick(nowMs int64) {
	ks.NowMs = nowMs
	if ks.LFU {
		ks.LRUClock = uint32(lfuMinutes(nowMs))<<8 | LFUInitVal
	} else {
		ks.LRUClock = uint32(nowMs/1000) & LRUMax
	}
}

func lfuMinutes(nowMs int64) int64 { return (nowMs / 60000) & 0xffff }

// LFUCounter returns the decayed counter of an LFU access field.
func (ks *Keyspace) LFUCounter(field uint32) int64 {
	ldt := int64(field >> 8)
	counter := int64(field & 0xff)
	now := lfuMinutes(ks.NowMs)
	elapsed := now - ldt
	if now < ldt {
		elapsed = 65535 - ldt + now
	}
	if ks.LFUDecayTime > 0 {
		periods := elapsed / ks.LFUDecayTime
		if periods > counter {
			return 0
		}
		counter -= periods
	}
	return counter
}

// touch records an access to e in its access field.
func (ks *Keyspace) touch(e ds.Entry) {
	if !ks.LFU {
		e.SetLRU(ks.LRUClock)
		return
	}
	e.SetLRU(ks.lfuIncr(e.LRU()))
}

// lfuIncr is the LFU access field after one access: the counter decays
// for the minutes since the last access, then grows by one with
// probability 1/((counter-LFUInitVal)*LFULogFactor+1), and the minutes
// become now's.
func (ks *Keyspace) lfuIncr(field uint32) uint32 {
	counter := ks.LFUCounter(field)
	if counter < 255 {
		base := counter - LFUInitVal
		if base < 0 {
			base = 0
		}
		p := 1.0 / float64(base*ks.LFULogFactor+1)
		ks.rnd = ks.rnd*6364136223846793005 + 1442695040888963407
		r := float64(ks.rnd>>11) / (1 << 53)
		if r < p {
			counter++
		}
	}
	return uint32(lfuMinutes(ks.NowMs))<<8 | uint32(counter)
}

// Stats are the keyspace counters INFO stats reports.
type Stats struct {
	ExpiredKeys    uint64
	EvictedKeys    uint64
	KeyspaceHits   uint64
	KeyspaceMisses uint64
}

// Keyspace is the set of numbered databases sharing one allocator.
type Keyspace struct {
	Alloc mem.Allocator
	DBs   []*DB
	Stats Stats

	// NowMs is the time used for expiry decisions, in Unix milliseconds. The
	// server sets it once per command, so one command sees one instant.
	NowMs int64
	// LRUClock is the access field a new entry gets: under an LRU (or no)
	// policy the access clock in seconds, LRUBits wide; under an LFU
	// policy the minute clock and the initial counter (see Tick).
	LRUClock uint32

	// LFU selects the LFU access field: 16 bits of minutes, 8 bits of a
	// logarithmic counter; LFULogFactor and LFUDecayTime tune it.
	LFU          bool
	LFULogFactor int64
	LFUDecayTime int64
	rnd          uint64

	// ExpiryPaused (CLIENT PAUSE): a key past its deadline reads as gone
	// but is not deleted, so the dataset does not change while paused.
	ExpiryPaused bool

	// Hooks are the callbacks of the one write path (see write.go).
	Hooks Hooks
	// Dirty counts the changes to the dataset (INFO persistence's
	// rdb_changes_since_last_save): one per key a command changed.
	Dirty uint64

	keyOf  ds.KeyFunc
	layout string
}

// DB is one numbered database.
type DB struct {
	ID      int
	ks      *Keyspace
	keys    ds.KeyTable
	expires ds.KeyTable
	// loc is keys as a ds.Locator when its layout is one (else nil), and
	// pos where the last Lookup left its key: a write of that key (link,
	// unlink) then stores or removes it without searching again.
	loc ds.Locator
	pos ds.Pos
}

// NewKeyspace makes n empty databases over allocator a, their tables of
// the default layout (ds.DefaultLayout).
func NewKeyspace(a mem.Allocator, n int) *Keyspace {
	ks, err := NewKeyspaceLayout(a, n, ds.DefaultLayout)
	if err != nil {
		panic(err) // the default layout is always registered
	}
	return ks
}

// NewKeyspaceLayout makes n empty databases over allocator a whose keyspace
// and expires tables are of the named layout (ds.Layouts); an unknown name
// is an error.
func NewKeyspaceLayout(a mem.Allocator, n int, layout string) (*Keyspace, error) {
	ks := &Keyspace{Alloc: a, keyOf: ds.KeyOf(a), layout: layout}
	ks.DBs = make([]*DB, n)
	for i := range ks.DBs {
		d := &DB{ID: i, ks: ks}
		var err error
		if d.keys, err = ds.NewKeyTable(layout, a, mem.PurposeSlots, ks.keyOf); err != nil {
			return nil, err
		}
		if d.expires, err = ds.NewKeyTable(layout, a, mem.PurposeExpires, ks.keyOf); err != nil {
			return nil, err
		}
		d.loc, _ = d.keys.(ds.Locator)
		ks.DBs[i] = d
	}
	return ks, nil
}

// Layout is the name of the layout of the keyspace's tables.
func (ks *Keyspace) Layout() string { return ks.layout }

// Keyspace returns the keyspace d belongs to.
func (d *DB) Keyspace() *Keyspace { return d.ks }

// Len is the number of keys, including expired keys not yet reclaimed.
func (d *DB) Len() int { return d.keys.Len() }

// ExpiresLen is the number of keys with a TTL.
func (d *DB) ExpiresLen() int { return d.expires.Len() }

// Alloc is the allocator of d's entries.
func (d *DB) Alloc() mem.Allocator { return d.ks.Alloc }

// Load decodes the entry block r of this database.
func (d *DB) Load(r mem.Ref) ds.Entry { return ds.Load(d.ks.Alloc, r) }

func (d *DB) expired(e ds.Entry) bool {
	return e.HasTTL() && e.Deadline() <= d.ks.NowMs
}

// IsExpired reports whether key exists but its deadline has passed
// (without deleting it).
func (d *DB) IsExpired(key []byte) bool {
	r := d.keys.Get(key)
	return r != 0 && d.expired(d.Load(r))
}

// Peek returns key's entry without expiring it or touching its clock.
func (d *DB) Peek(key []byte) (ds.Entry, bool) {
	r := d.keys.Get(key)
	if r == 0 {
		return ds.Entry{}, false
	}
	return d.Load(r), true
}

// Lookup returns the live entry of key, deleting it first if it expired.
// It does not count hits or misses and does not touch the access clock.
func (d *DB) Lookup(key []byte) (ds.Entry, bool) {
	var r mem.Ref
	if d.loc != nil {
		r = d.loc.Locate(key, &d.pos)
	} else {
		r = d.keys.Get(key)
	}
	if r == 0 {
		return ds.Entry{}, false
	}
	e := d.Load(r)
	if d.expired(e) {
		d.expire(e)
		return ds.Entry{}, false
	}
	return e, true
}

// LookupRead is Lookup for a command that reads the key: it counts a
// keyspace hit or miss and updates the entry's access clock.
func (d *DB) LookupRead(key []byte) (ds.Entry, bool) {
	e, ok := d.Lookup(key)
	if !ok {
		d.ks.Stats.KeyspaceMisses++
		return e, false
	}
	d.ks.Stats.KeyspaceHits++
	d.ks.touch(e)
	return e, true
}

// LookupWrite is Lookup for a command about to write the key: expired keys
// are removed, the access clock is updated, no hit/miss is counted.
func (d *DB) LookupWrite(key []byte) (ds.Entry, bool) {
	e, ok := d.Lookup(key)
	if ok {
		d.ks.touch(e)
	}
	return e, ok
}

// Exists reports whether key is live.
func (d *DB) Exists(key []byte) bool {
	_, ok := d.Lookup(key)
	return ok
}

// Scan runs one step of a SCAN over the keyspace; fn sees each entry.
func (d *DB) Scan(cursor uint64, fn func(e ds.Entry)) uint64 {
	return d.keys.Scan(cursor, func(r mem.Ref) { fn(d.Load(r)) })
}

// ForEach visits every entry (expired ones included); fn returns false to
// stop. The database must not change during the walk.
func (d *DB) ForEach(fn func(e ds.Entry) bool) {
	d.keys.ForEach(func(r mem.Ref) bool { return fn(d.Load(r)) })
}

// Random returns a random live entry, using rnd as the source of randomness.
// Expired keys met on the way are reclaimed.
func (d *DB) Random(rnd func() uint64) (ds.Entry, bool) {
	for tries := 0; d.keys.Len() > 0; tries++ {
		r := d.keys.Random(rnd())
		if r == 0 {
			return ds.Entry{}, false
		}
		e := d.Load(r)
		if !d.expired(e) {
			return e, true
		}
		if tries > 100 && d.keys.Len() == d.expires.Len() {
			// Every key has a TTL and we keep hitting expired ones: answer
			// with this one rather than loop (Redis does the same).
			return e, true
		}
		d.expire(e)
	}
	return ds.Entry{}, false
}

// RandomExpiring returns a random entry among those with a TTL.
func (d *DB) RandomExpiring(rnd uint64) (ds.Entry, bool) {
	r := d.expires.Random(rnd)
	if r == 0 {
		return ds.Entry{}, false
	}
	return d.Load(r), true
}

// ExpireIfDue deletes e (a live-looking entry of this db) if its deadline
// passed; reports whether it did. Used by the active expiry cycle.
func (d *DB) ExpireIfDue(e ds.Entry) bool {
	if !d.expired(e) {
		return false
	}
	d.expire(e)
	return true
}

// RehashStep advances the incremental resize of d's tables.
func (d *DB) RehashStep(groups int) {
	d.keys.RehashStep(groups)
	d.expires.RehashStep(groups)
}

// MemBytes is the memory held by d's tables.
func (d *DB) MemBytes() int { return d.keys.MemBytes() + d.expires.MemBytes() }

// TableBytes is what the slot arrays of d's keyspace and expires tables
// cost the allocator, size-class rounding included.
func (d *DB) TableBytes() (keys, expires int) {
	return d.keys.AllocatedBytes(), d.expires.AllocatedBytes()
}
