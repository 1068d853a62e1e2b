package ds

import (
	"bytes"
	"fmt"
	"testing"

	"rundb/engine/mem"
)

// checkInvariants walks the whole chained table and reports the first
// broken invariant: array sizes are powers of two with their masks, each
// entry sits in the bucket its stored hash names, the stored hash is its
// key's, the counters match the chains, old's moved buckets are empty, no
// key is stored twice, and an idle table holds no arrays. It is O(n), for
// tests (the conformance suite calls it).
func (t *Chained) checkInvariants() error {
	seen := map[string]bool{}
	for i, ar := range [2]*chainArr{&t.cur, &t.old} {
		name := [2]string{"cur", "old"}[i]
		if ar.b == nil {
			if ar.used != 0 {
				return fmt.Errorf("%s: no array but used=%d", name, ar.used)
			}
			continue
		}
		n := len(ar.b)
		if n&(n-1) != 0 || uint64(n-1) != ar.mask || n < minChainBuckets {
			return fmt.Errorf("%s: %d buckets, mask %#x", name, n, ar.mask)
		}
		count := 0
		for b, e := range ar.b {
			if ar == &t.old && uint64(b) < t.next && e != 0 {
				return fmt.Errorf("old: moved bucket %d is not empty", b)
			}
			for ; e != 0; e = t.ent(e).next {
				x := t.ent(e)
				key := t.keyOf(x.ref)
				if h := hashKey(key); h != x.hash {
					return fmt.Errorf("%s: %q stored with hash %#x; its hash is %#x", name, key, x.hash, h)
				}
				if x.hash&ar.mask != uint64(b) {
					return fmt.Errorf("%s: %q in bucket %d; its index is %d", name, key, b, x.hash&ar.mask)
				}
				if seen[string(key)] {
					return fmt.Errorf("%q stored twice", key)
				}
				seen[string(key)] = true
				count++
			}
		}
		if count != ar.used {
			return fmt.Errorf("%s: used=%d but the chains hold %d", name, ar.used, count)
		}
	}
	if t.old.b != nil && t.cur.b == nil {
		return fmt.Errorf("old array without a current one")
	}
	if t.Len() == 0 && t.cur.b != nil && !t.noShrink {
		return fmt.Errorf("empty table holds %d buckets", len(t.cur.b))
	}
	return nil
}

// The file's worked example: an entry block is next, key Ref, hash, in
// the machine's byte order, and the key's bucket is hash & mask.
func TestChainedEntryBytes(t *testing.T) {
	a := newExact()
	var s keyStore
	ct := NewChained(a, mem.PurposeSlots, s.keyOf)
	r := s.ref("a")
	ct.Put([]byte("a"), r)
	e := ct.cur.b[hashKey([]byte("a"))&ct.cur.mask]
	if e == 0 {
		t.Fatal("the key's bucket is empty")
	}
	var want [24]byte
	for i := 0; i < 8; i++ {
		want[8+i] = byte(uint64(r) >> (8 * i))
		want[16+i] = byte(hashKey([]byte("a")) >> (8 * i))
	}
	if got := a.Bytes(e, chainEntryBytes); !bytes.Equal(got, want[:]) {
		t.Fatalf("entry bytes % x; want % x", got, want)
	}
	if len(ct.cur.b) != minChainBuckets || ct.MemBytes() != minChainBuckets*8+chainEntryBytes {
		t.Fatalf("one key: %d buckets, MemBytes %d", len(ct.cur.b), ct.MemBytes())
	}
}

// The table grows at load 1 and shrinks below 1/8, to the smallest power
// of two holding its keys.
func TestChainedResizePolicy(t *testing.T) {
	var s keyStore
	ct := NewChained(newExact(), mem.PurposeSlots, s.keyOf)
	finish := func() {
		for ct.RehashStep(1 << 20) {
		}
	}
	for i := 0; i < 64; i++ {
		k := fmt.Sprint("k", i)
		ct.Put([]byte(k), s.ref(k))
	}
	finish()
	if len(ct.cur.b) != 64 {
		t.Fatalf("64 keys: %d buckets; want 64 (load 1)", len(ct.cur.b))
	}
	ct.Put([]byte("k64"), s.ref("k64"))
	finish()
	if len(ct.cur.b) != 128 {
		t.Fatalf("65 keys: %d buckets; want 128", len(ct.cur.b))
	}
	for i := 0; i < 49; i++ {
		ct.Delete([]byte(fmt.Sprint("k", i))) // 16 keys left of 128 buckets: exactly 1/8
	}
	finish()
	if len(ct.cur.b) != 128 {
		t.Fatalf("16 keys: %d buckets; want 128 (shrink below 1/8 only)", len(ct.cur.b))
	}
	ct.Delete([]byte("k49"))
	finish()
	if len(ct.cur.b) != 16 {
		t.Fatalf("15 keys: %d buckets; want 16", len(ct.cur.b))
	}
	if err := ct.checkInvariants(); err != nil {
		t.Fatal(err)
	}
}
