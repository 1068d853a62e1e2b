package db

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"testing"

	"rundb/engine/ds"
	"rundb/engine/mem"
	"rundb/variants/goheap"
)

// checkTables fails unless the expires table holds exactly the keys whose
// entries carry a TTL, and the allocator holds exactly the entries' bytes
// and the tables' (so no replaced entry leaked).
func checkTables(t *testing.T, d *DB) {
	t.Helper()
	withTTL, bytes := 0, 0
	d.ForEach(func(e ds.Entry) bool {
		if e.HasTTL() {
			withTTL++
		}
		bytes += e.Size()
		return true
	})
	if d.ExpiresLen() != withTTL {
		t.Fatalf("expires table holds %d keys; %d entries have a TTL", d.ExpiresLen(), withTTL)
	}
	if got, want := d.Alloc().Stats().Requested, uint64(bytes+d.MemBytes()); got != want {
		t.Fatalf("allocator holds %d bytes; entries and tables %d", got, want)
	}
}

func newDB(t *testing.T) (*Keyspace, *DB) {
	ks := NewKeyspace(goheap.New(), 2)
	ks.Tick(1_000_000)
	return ks, ks.DBs[0]
}

func put(d *DB, key string, ttl bool, deadline int64) ds.Entry {
	e := ds.NewString(d.Alloc(), []byte(key), []byte("v"), ds.EncEmbstr, deadline, ttl, 0)
	d.Put(e)
	return e
}

// TestLazyExpiry: a key past its deadline is gone on lookup and freed; with
// expiry paused it reads as gone but stays.
func TestLazyExpiry(t *testing.T) {
	ks, d := newDB(t)
	put(d, "live", true, ks.NowMs+1000)
	put(d, "dead", true, ks.NowMs-1)
	put(d, "plain", false, 0)
	checkTables(t, d)

	ks.ExpiryPaused = true
	if _, ok := d.Lookup([]byte("dead")); ok {
		t.Fatal("an expired key was found while expiry is paused")
	}
	if d.Len() != 3 || !d.IsExpired([]byte("dead")) {
		t.Fatalf("paused expiry deleted the key (len %d)", d.Len())
	}
	ks.ExpiryPaused = false
	if _, ok := d.Lookup([]byte("dead")); ok {
		t.Fatal("expired key found")
	}
	if d.Len() != 2 || ks.Stats.ExpiredKeys != 1 {
		t.Fatalf("len %d, expired_keys %d; want 2 and 1", d.Len(), ks.Stats.ExpiredKeys)
	}
	if _, ok := d.Lookup([]byte("live")); !ok {
		t.Fatal("live key with a TTL not found")
	}
	checkTables(t, d)
}

// TestOverwriteKeepsExpiresInStep: Put over a key with or without a TTL,
// SetDeadline both ways and Delete keep the two tables in step and free
// every replaced block.
func TestOverwriteKeepsExpiresInStep(t *testing.T) {
	ks, d := newDB(t)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 5000 {
		key := fmt.Sprintf("k%d", rng.IntN(200))
		switch rng.IntN(4) {
		case 0:
			put(d, key, rng.IntN(2) == 0, ks.NowMs+int64(rng.IntN(10000)))
		case 1:
			if e, ok := d.Lookup([]byte(key)); ok {
				d.SetDeadline(e, rng.IntN(2) == 0, ks.NowMs+5000)
			}
		case 2:
			d.Delete([]byte(key))
		case 3:
			d.SetString([]byte(key), []byte("w"), KeepTTL)
		}
		if i%500 == 0 {
			checkTables(t, d)
		}
	}
	checkTables(t, d)
	if n := d.Flush(); n < 1 || d.Len() != 0 || d.ExpiresLen() != 0 {
		t.Fatalf("Flush removed %d; left %d keys, %d expires", n, d.Len(), d.ExpiresLen())
	}
	checkTables(t, d)
}

// TestSwapAndWriteHooks: SWAPDB exchanges whole databases, and every write
// reaches BeforeWrite (with the entry as it was) and AfterWrite with its
// database and key.
func TestSwapAndWriteHooks(t *testing.T) {
	ks, d := newDB(t)
	var seen []string
	ks.Hooks.BeforeWrite = func(d *DB, key []byte, old ds.Entry, found bool) {
		v := "-"
		if found {
			v = string(old.AppendStr(nil))
		}
		seen = append(seen, fmt.Sprintf("b%d:%s=%s", d.ID, key, v))
	}
	ks.Hooks.AfterWrite = func(d *DB, key []byte, cause Cause) {
		seen = append(seen, fmt.Sprintf("a%d:%s/%d", d.ID, key, cause))
	}
	swapped := false
	ks.Hooks.BeforeSwap = func(a, b *DB) { swapped = a.ID == 0 && b.ID == 1 }
	dirty := ks.Dirty
	put(d, "a", false, 0)
	d.SetString([]byte("a"), []byte("w"), KeepTTL)
	e, _ := d.Lookup([]byte("a"))
	d.SetDeadline(e, true, ks.NowMs+100)
	d.Delete([]byte("a"))
	d.Delete([]byte("missing"))
	put(d, "gone", true, ks.NowMs-1)
	d.Lookup([]byte("gone"))
	want := "[b0:a=- a0:a/0 b0:a=v a0:a/0 b0:a=w a0:a/0 b0:a=w a0:a/0 b0:gone=- a0:gone/0 b0:gone=v a0:gone/1]"
	if got := fmt.Sprint(seen); got != want {
		t.Fatalf("hooks saw\n%s\nwant\n%s", got, want)
	}
	if ks.Dirty-dirty != 5 {
		t.Fatalf("dirty grew by %d; want 5 (expiry is not counted)", ks.Dirty-dirty)
	}
	put(d, "x", true, ks.NowMs+100)
	ks.Swap(0, 1)
	if !swapped {
		t.Fatal("BeforeSwap not called")
	}
	if d.Len() != 0 || ks.DBs[1].Len() != 1 || ks.DBs[1].ExpiresLen() != 1 {
		t.Fatalf("after SWAPDB: db0 %d keys, db1 %d keys / %d expires", d.Len(), ks.DBs[1].Len(), ks.DBs[1].ExpiresLen())
	}
	if _, ok := ks.DBs[1].Lookup([]byte("x")); !ok {
		t.Fatal("x not in db1 after SWAPDB")
	}
}

// TestRandomExpiringFindsOnlyTTLKeys: RandomExpiring samples the expires
// table only.
func TestRandomExpiringFindsOnlyTTLKeys(t *testing.T) {
	ks, d := newDB(t)
	if _, ok := d.RandomExpiring(1); ok {
		t.Fatal("RandomExpiring on an empty expires table")
	}
	for i := range 100 {
		put(d, fmt.Sprintf("p%d", i), false, 0)
	}
	put(d, "t", true, ks.NowMs+100)
	for i := range 50 {
		e, ok := d.RandomExpiring(uint64(i) * 0x9e3779b97f4a7c15)
		if !ok || string(e.Key()) != "t" {
			t.Fatalf("RandomExpiring gave %q, %v", e.Key(), ok)
		}
	}
}

// TestEditContainer: the container door creates a key, edits it in place
// (an encoding change included), signals only real changes, and deletes
// the key, freeing its blocks, when the container is left empty.
func TestEditContainer(t *testing.T) {
	ks, d := newDB(t)
	a := d.Alloc()
	// A stand-in container: one 8-byte block holding its element count.
	count := func(r mem.Ref) uint64 { return binary.LittleEndian.Uint64(a.Bytes(r, 8)) }
	ops := ds.ContainerOps{
		Len:  func(a mem.Allocator, r mem.Ref) int { return int(count(r)) },
		Free: func(a mem.Allocator, r mem.Ref) { a.Free(mem.PurposeContainer, r, 8) },
	}
	for _, enc := range []uint8{ds.EncIntset, ds.EncHashtable} {
		old := ds.RegisterContainer(enc, ops)
		defer ds.RegisterContainer(enc, old)
	}
	add := func(n int64, enc uint8) func(c ds.Container) (ds.Container, int) {
		return func(c ds.Container) (ds.Container, int) {
			if c.Ref == 0 {
				c = ds.Container{Enc: ds.EncIntset, Ref: a.Alloc(mem.PurposeContainer, 8)}
				binary.LittleEndian.PutUint64(a.Bytes(c.Ref, 8), 0)
			}
			binary.LittleEndian.PutUint64(a.Bytes(c.Ref, 8), uint64(int64(count(c.Ref))+n))
			c.Enc = enc
			if n < 0 {
				n = -n
			}
			return c, int(n)
		}
	}
	base := a.Stats().Requested
	var signalled []string
	ks.Hooks.AfterWrite = func(d *DB, key []byte, _ Cause) { signalled = append(signalled, string(key)) }
	edit := func(n int64, enc uint8) bool {
		e, found := d.LookupWrite([]byte("s"))
		return d.EditContainer([]byte("s"), e, found, ds.TypeSet, add(n, enc))
	}
	if !edit(2, ds.EncIntset) {
		t.Fatal("a created container with 2 elements: key missing")
	}
	if !edit(0, ds.EncHashtable) || len(signalled) != 1 {
		t.Fatalf("an edit that changed nothing was signalled: %v", signalled)
	}
	e, _ := d.Lookup([]byte("s"))
	if e.Type() != ds.TypeSet || e.Enc() != ds.EncHashtable || count(e.Container()) != 2 {
		t.Fatalf("entry type %d enc %d count %d", e.Type(), e.Enc(), count(e.Container()))
	}
	dirty := ks.Dirty
	if edit(-2, ds.EncHashtable) || d.Len() != 0 || ks.Dirty-dirty != 2 {
		t.Fatalf("emptied container: key still there (len %d), dirty +%d", d.Len(), ks.Dirty-dirty)
	}
	if got := a.Stats().Requested; got != base {
		t.Fatalf("allocator holds %d bytes; %d before the key existed", got, base)
	}
	if edit(0, ds.EncIntset) || d.Len() != 0 || a.Stats().Requested != base {
		t.Fatal("a container created empty was kept")
	}
}
