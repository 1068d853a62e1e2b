package db

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"rundb/engine/ds"
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
