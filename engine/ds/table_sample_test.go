package ds

import (
	"encoding/binary"
	"testing"

	"rundb/engine/mem"
	"rundb/variants/goheap"
)

// TestSampleUniform: after a churn that leaves groups unevenly filled,
// Sample picks every key about equally often (each of 1,000 keys within
// half and twice its share over 200,000 draws), and only stored keys.
func TestSampleUniform(t *testing.T) {
	a := goheap.New()
	keyOf := func(r mem.Ref) []byte { return a.Bytes(r, 8) }
	tbl := NewTable(a, mem.PurposeSlots, keyOf)
	refs := map[mem.Ref]int{}
	var order []mem.Ref
	put := func(i uint64) {
		r := a.Alloc(mem.PurposeEntry, 8)
		binary.LittleEndian.PutUint64(a.Bytes(r, 8), i)
		tbl.Put(a.Bytes(r, 8), r)
		order = append(order, r)
	}
	for i := uint64(0); i < 5000; i++ {
		put(i)
	}
	// Delete most, keeping every fifth: groups end up with 0 to 8 keys.
	for i, r := range order {
		if i%5 != 0 {
			tbl.Delete(a.Bytes(r, 8))
		} else {
			refs[r] = 0
		}
	}
	const draws = 200_000
	for d := uint64(0); d < draws; d++ {
		r := tbl.Sample(d*0x2545f4914f6cdd1d + 1)
		if _, ok := refs[r]; !ok {
			t.Fatalf("Sample returned %d, not a stored Ref", r)
		}
		refs[r]++
	}
	want := draws / len(refs)
	for r, n := range refs {
		if n < want/2 || n > want*2 {
			t.Fatalf("Ref %d drawn %d times; want about %d", r, n, want)
		}
	}
	if tbl.Sample(1) == 0 {
		t.Fatal("Sample of a non-empty table returned 0")
	}
}
