package ds

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"rundb/engine/mem"
)

// TestScanPos: at every cursor a scan returns, the original keys returned
// so far are exactly those with ScanPos < CursorPos(cursor), while the
// table grows (inserts between steps), is rebuilt at its size (tombstone
// churn) and would shrink (deletes) but for SetNoShrink.
func TestScanPos(t *testing.T) {
	for _, phase := range []string{"still", "grow", "churn", "delete"} {
		t.Run(phase, func(t *testing.T) {
			var s keyStore
			tb := s.table(newGoheap())
			tb.SetNoShrink(true)
			rnd := rand.New(rand.NewPCG(1, uint64(len(phase))))
			const n = 3000
			orig := map[string]bool{}
			for i := 0; i < n; i++ {
				k := fmt.Sprintf("k%d", i)
				tb.Put([]byte(k), s.ref(k))
				orig[k] = true
			}
			groups0 := tb.cur.groups()
			seen := map[string]bool{}
			extra := 0
			cursor := uint64(0)
			for steps := 0; ; steps++ {
				cursor = tb.Scan(cursor, func(r mem.Ref) {
					k := string(s.keyOf(r))
					if orig[k] {
						if seen[k] {
							t.Fatalf("key %q returned twice", k)
						}
						seen[k] = true
					}
				})
				if cursor == 0 {
					break
				}
				pos := CursorPos(cursor)
				for k := range orig {
					below := tb.ScanPos([]byte(k)) < pos
					if below != seen[k] {
						t.Fatalf("step %d: key %q: ScanPos below cursor %v, returned %v", steps, k, below, seen[k])
					}
				}
				switch phase {
				case "grow":
					for j := 0; j < 3; j++ {
						k := fmt.Sprintf("x%d", extra)
						extra++
						tb.Put([]byte(k), s.ref(k))
					}
				case "churn":
					for j := 0; j < 3; j++ {
						k := fmt.Sprintf("x%d", extra)
						extra++
						tb.Put([]byte(k), s.ref(k))
						tb.Delete([]byte(fmt.Sprintf("x%d", rnd.IntN(extra))))
					}
				case "delete":
					for j := 0; j < 3; j++ {
						k := fmt.Sprintf("k%d", rnd.IntN(n))
						if tb.Delete([]byte(k)) != 0 {
							delete(orig, k)
							delete(seen, k)
						}
					}
					tb.RehashStep(1 << 20)
				}
				mustCheck(t, tb)
			}
			for k := range orig {
				if !seen[k] {
					t.Fatalf("key %q never returned", k)
				}
			}
			if phase == "grow" && tb.cur.groups() <= groups0 {
				t.Fatalf("the table did not grow: %d groups", tb.cur.groups())
			}
			if phase == "delete" {
				for k := range orig {
					if len(orig) > 10 {
						tb.Delete([]byte(k))
						delete(orig, k)
					}
				}
				tb.RehashStep(1 << 20)
				if tb.cur.groups() < groups0 {
					t.Fatalf("the table shrank under SetNoShrink: %d groups, was %d", tb.cur.groups(), groups0)
				}
				tb.SetNoShrink(false)
				tb.RehashStep(1 << 20)
				tb.RehashStep(1 << 20)
				if tb.cur.groups() >= groups0 {
					t.Fatalf("the table did not shrink after SetNoShrink(false): %d groups", tb.cur.groups())
				}
			}
		})
	}
}

// TestNoShrinkKeepsArrays: deleting the last key of a table under
// SetNoShrink keeps its arrays, so a scan cursor keeps its meaning.
func TestNoShrinkKeepsArrays(t *testing.T) {
	var s keyStore
	tb := s.table(newGoheap())
	for i := 0; i < 100; i++ {
		k := fmt.Sprint(i)
		tb.Put([]byte(k), s.ref(k))
	}
	for tb.Resizing() {
		tb.RehashStep(100)
	}
	g := tb.cur.groups()
	tb.SetNoShrink(true)
	for i := 0; i < 100; i++ {
		tb.Delete([]byte(fmt.Sprint(i)))
	}
	if tb.Len() != 0 || tb.cur.groups() != g {
		t.Fatalf("len %d, groups %d; want 0, %d", tb.Len(), tb.cur.groups(), g)
	}
	tb.SetNoShrink(false)
	tb.Put([]byte("a"), s.ref("a"))
	tb.Delete([]byte("a"))
	if tb.MemBytes() != 0 {
		t.Fatalf("an emptied table holds %d bytes", tb.MemBytes())
	}
}
