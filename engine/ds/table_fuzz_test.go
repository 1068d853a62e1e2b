package ds

import (
	"fmt"
	"testing"

	"rundb/engine/mem"
)

// FuzzTable decodes the input into an op stream run against a Table and a
// Go map model. Byte 0 picks the key space (small spaces replace and delete
// a lot, large ones grow); then each op is [op][a][b]:
//
//	0 Put key(a,b)      1 Get key(a,b)      2 Delete key(a,b)
//	3 Scan step         4 RehashStep(1+a%8) 5 Put a*4 keys from key(b)
//	6 Delete a*4 keys from key(b)           7 Random(a,b)
//	8 Locate key(a,b), keeping its Pos
//	9 PutAt (a even) or DeleteAt (a odd) with the kept Pos, of its key
//	  (a%4 < 2) or of key(a,b): a Pos of another key, or one that other
//	  ops made stale, must act as Put or Delete do
//
// A scan runs across the other ops; when it ends, every key present for the
// whole of it must have been returned.
func FuzzTable(f *testing.F) {
	f.Add([]byte{0, 0, 1, 2, 0, 3, 4, 2, 1, 2, 3, 0, 0})
	f.Add([]byte{200, 5, 255, 0, 3, 0, 0, 3, 0, 0, 6, 255, 0, 3, 0, 0, 3, 0, 0, 3, 0, 0})
	grow := []byte{255}
	for i := 0; i < 40; i++ {
		grow = append(grow, 5, 255, byte(i*7), 3, 0, 0)
	}
	for i := 0; i < 40; i++ {
		grow = append(grow, 6, 255, byte(i*7), 3, 0, 0, 4, 1, 0)
	}
	f.Add(grow)
	// Locate then PutAt or DeleteAt, of the same key and of others.
	f.Add([]byte{0, 8, 0, 1, 9, 0, 0, 8, 0, 1, 9, 1, 0, 8, 0, 2, 0, 0, 2, 9, 2, 0, 8, 0, 3, 9, 3, 7})
	for _, b := range backends {
		f.Fuzz(func(t *testing.T, data []byte) { fuzzTable(t, b.new(), data) })
		break // fuzzing runs one body; the exact allocator checks the most
	}
}

func fuzzTable(t *testing.T, a mem.Allocator, data []byte) {
	if len(data) == 0 {
		return
	}
	space := 8 + int(data[0])*64 // 8 .. 16328 keys
	data = data[1:]
	if len(data) > 3*2000 {
		data = data[:3*2000] // bound the work of one input
	}
	var s keyStore
	tb := s.table(a)
	model := map[string]mem.Ref{}
	key := func(x, y byte) string { return fmt.Sprintf("k%d", (int(x)<<8|int(y))%space) }

	scanning := false
	var cursor uint64
	var atStart map[string]bool // keys present when the scan began
	var touched map[string]bool // keys deleted since
	var got map[string]bool
	var pos Pos
	posKey := ""

	put := func(k string) {
		r := s.ref(k)
		if prev := tb.Put([]byte(k), r); prev != model[k] {
			t.Fatalf("Put(%q) = %d; want %d", k, prev, model[k])
		}
		model[k] = r
	}
	del := func(k string) {
		if prev := tb.Delete([]byte(k)); prev != model[k] {
			t.Fatalf("Delete(%q) = %d; want %d", k, prev, model[k])
		}
		delete(model, k)
		if scanning {
			touched[k] = true
		}
	}
	for n := 0; len(data) >= 3; n++ {
		op, x, y := data[0]%10, data[1], data[2]
		data = data[3:]
		switch op {
		case 0:
			put(key(x, y))
		case 1:
			k := key(x, y)
			if r := tb.Get([]byte(k)); r != model[k] {
				t.Fatalf("Get(%q) = %d; want %d", k, r, model[k])
			}
		case 2:
			del(key(x, y))
		case 3:
			if !scanning {
				scanning, cursor = true, 0
				atStart, touched, got = map[string]bool{}, map[string]bool{}, map[string]bool{}
				for k := range model {
					atStart[k] = true
				}
			}
			cursor = tb.Scan(cursor, func(r mem.Ref) { got[string(s.keyOf(r))] = true })
			if cursor == 0 {
				scanning = false
				for k := range atStart {
					if !touched[k] && !got[k] {
						t.Fatalf("scan missed %q", k)
					}
				}
			}
		case 4:
			tb.RehashStep(1 + int(x)%8)
		case 5:
			for i := 0; i < int(x)*4; i++ {
				put(key(byte(i>>8)+y, byte(i)))
			}
		case 6:
			for i := 0; i < int(x)*4; i++ {
				del(key(byte(i>>8)+y, byte(i)))
			}
		case 7:
			r := tb.Random(uint64(x)<<8 | uint64(y))
			if r == 0 {
				if len(model) != 0 {
					t.Fatalf("Random = 0 with %d keys", len(model))
				}
			} else if model[string(s.keyOf(r))] != r {
				t.Fatalf("Random = %d (%q), not stored", r, s.keyOf(r))
			}
		case 8:
			posKey = key(x, y)
			var r mem.Ref
			if r = tb.Locate([]byte(posKey), &pos); r != model[posKey] {
				t.Fatalf("Locate(%q) = %d; want %d", posKey, r, model[posKey])
			}
		case 9:
			k := posKey
			if x%4 >= 2 {
				k = key(x, y)
			}
			if x%2 == 0 {
				r := s.ref(k)
				if prev := tb.PutAt(pos, []byte(k), r); prev != model[k] {
					t.Fatalf("PutAt(%q) = %d; want %d", k, prev, model[k])
				}
				model[k] = r
			} else {
				if prev := tb.DeleteAt(pos, []byte(k)); prev != model[k] {
					t.Fatalf("DeleteAt(%q) = %d; want %d", k, prev, model[k])
				}
				delete(model, k)
				if scanning {
					touched[k] = true
				}
			}
		}
		if tb.Len() != len(model) {
			t.Fatalf("op %d: Len() = %d; want %d", n, tb.Len(), len(model))
		}
		if len(model) < 256 || n%64 == 0 {
			mustCheck(t, tb)
		}
	}
	mustCheck(t, tb)
	for k, r := range model {
		if got := tb.Get([]byte(k)); got != r {
			t.Fatalf("final Get(%q) = %d; want %d", k, got, r)
		}
	}
	freed := 0
	tb.Clear(func(mem.Ref) { freed++ })
	if freed != len(model) {
		t.Fatalf("Clear freed %d; want %d", freed, len(model))
	}
	checkLive(t, a, 0)
}

// TestFuzzTableBackends runs the fuzz seeds on every backend.
func TestFuzzTableBackends(t *testing.T) {
	grow := []byte{255}
	for i := 0; i < 60; i++ {
		grow = append(grow, 5, 255, byte(i*7), 3, 0, 0, 7, byte(i), 1)
	}
	for i := 0; i < 60; i++ {
		grow = append(grow, 6, 255, byte(i*7), 3, 0, 0, 4, 1, 0, 1, byte(i), 9)
		// Locate, then a write at its Pos: of its key, of another, stale.
		grow = append(grow, 8, byte(i), 1, 9, byte(i), 0, 8, 0, byte(i), 0, 1, 1, 9, byte(2+i), byte(i))
	}
	forBackends(t, func(t *testing.T, a mem.Allocator) { fuzzTable(t, a, grow) })
}
