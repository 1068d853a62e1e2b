package bench

import (
	"math"
	"testing"
)

// TestZipfTrace: the trace is repeatable, in range, and skewed as
// Zipf(0.99) over 100,000 ranks: the most popular key takes about
// 1/H(100000, 0.99) of the accesses (~8%).
func TestZipfTrace(t *testing.T) {
	a := ZipfTrace(100_000, 200_000, 0.99, 1)
	b := ZipfTrace(100_000, 200_000, 0.99, 1)
	counts := map[int32]int{}
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("access %d: %d then %d with the same seed", i, a[i], b[i])
		}
		if a[i] < 0 || a[i] >= 100_000 {
			t.Fatalf("access %d: key %d out of range", i, a[i])
		}
		counts[a[i]]++
	}
	top := 0
	for _, n := range counts {
		top = max(top, n)
	}
	h := 0.0
	for r := 1; r <= 100_000; r++ {
		h += 1 / math.Pow(float64(r), 0.99)
	}
	want := float64(len(a)) / h
	if math.Abs(float64(top)-want) > want*0.05 {
		t.Errorf("top key taken %d times; want about %.0f", top, want)
	}
}

// TestExactLRUHits: a hand-checked trace through a 2-key LRU, one access
// per batch and then in batches of 3 (a batch's lookups see none of its
// own insertions).
func TestExactLRUHits(t *testing.T) {
	trace := []int32{1, 2, 1, 3, 2, 1, 1}
	// 1m 2m 1h 3m(evicts 2) 2m(evicts 1) 1m(evicts 3) 1h
	if got := ExactLRUHits(trace, 2, 1); got != 2 {
		t.Errorf("batch 1: %d hits; want 2", got)
	}
	// [1 2 1]: all miss, insert 1,2,1 -> {1,2}; [3 2 1]: 2h 1h, insert 3
	// (evicts 2: 1 was used last) -> {3,1}; [1]: hit.
	if got := ExactLRUHits(trace, 2, 3); got != 3 {
		t.Errorf("batch 3: %d hits; want 3", got)
	}
}
