package ds

import (
	"fmt"
	"slices"
	"strconv"
	"testing"

	"rundb/engine/mem"
)

// setMember maps two fuzz bytes to a member: an integer (some wide, to
// upgrade the intset) or a string, which converts an intset.
func setMember(a, b byte) []byte {
	switch a % 4 {
	case 0, 1:
		return strconv.AppendInt(nil, int64(b), 10)
	case 2:
		return strconv.AppendInt(nil, int64(int8(b))*1e12, 10)
	}
	return fmt.Appendf(nil, "m%d", b)
}

// FuzzSet runs an op stream against a set container (SetAdd ... SetScan)
// and a Go map. Byte 0 is set-max-intset-entries (so streams cross the
// intset -> hashtable conversion); then each op is [op][a][b]:
//
//	0 add member(a,b)   1 remove   2 contains   3 scan step
//	4 pop(a,b)          5 random   6 add a*4 members from b
//	7 remove a*4 members from b
//
// After each op the set's members, Len and encoding must match the model.
// A scan of a hashtable runs across the other ops; when it ends, every
// member present for the whole of it must have been returned.
func FuzzSet(f *testing.F) {
	f.Add([]byte{4, 0, 0, 1, 0, 0, 2, 0, 0, 3, 3, 0, 0, 0, 1, 5, 4, 0, 7, 1, 0, 1})
	f.Add([]byte{255, 6, 255, 0, 3, 0, 0, 3, 0, 0, 0, 3, 7, 4, 1, 2, 7, 255, 0, 3, 0, 0})
	grow := []byte{8}
	for i := 0; i < 40; i++ {
		grow = append(grow, 6, 255, byte(i*7), 3, 0, 0)
	}
	for i := 0; i < 40; i++ {
		grow = append(grow, 7, 255, byte(i*7), 3, 0, 0, 4, 3, 0)
	}
	f.Add(grow)
	f.Fuzz(func(t *testing.T, data []byte) { fuzzSet(t, newExact(), data) })
}

func fuzzSet(t *testing.T, a mem.Allocator, data []byte) {
	if len(data) == 0 {
		return
	}
	maxIntset := int(data[0]) % 64
	data = data[1:]
	var c Container
	model := map[string]bool{}
	allInt := true
	scanning, cursor := false, uint64(0)
	var stayed, seen map[string]bool
	add := func(m []byte) {
		var added bool
		c, added = SetAdd(a, c, m, maxIntset)
		if added == model[string(m)] {
			t.Fatalf("add %q: got added=%v; model has it: %v", m, added, model[string(m)])
		}
		if !added {
			return
		}
		if _, ok := ParseInt(m); !ok {
			allInt = false
		}
		model[string(m)] = true
	}
	remove := func(m []byte) {
		if c.Ref == 0 {
			return
		}
		var removed bool
		c, removed = SetRemove(a, c, m)
		if removed != model[string(m)] {
			t.Fatalf("remove %q: got %v; want %v", m, removed, model[string(m)])
		}
		delete(model, string(m))
		if stayed != nil {
			delete(stayed, string(m))
		}
	}
	for len(data) >= 3 {
		op, x, y := data[0]%8, data[1], data[2]
		data = data[3:]
		enc := c.Enc
		switch op {
		case 0:
			add(setMember(x, y))
		case 1:
			remove(setMember(x, y))
		case 2:
			if c.Ref != 0 && SetContains(a, c, setMember(x, y)) != model[string(setMember(x, y))] {
				t.Fatalf("contains %q: got %v", setMember(x, y), !model[string(setMember(x, y))])
			}
		case 3:
			if c.Ref == 0 {
				continue
			}
			if !scanning {
				scanning, cursor = true, 0
				stayed, seen = map[string]bool{}, map[string]bool{}
				for m := range model {
					stayed[m] = true
				}
			}
			cursor = SetScan(a, c, cursor, func(m []byte) {
				if !model[string(m)] {
					t.Fatalf("scan returned %q, not a member", m)
				}
				seen[string(m)] = true
			})
			if cursor == 0 {
				for m := range stayed {
					if !seen[m] {
						t.Fatalf("scan missed %q", m)
					}
				}
				scanning, stayed = false, nil
			}
		case 4:
			if c.Ref == 0 || c.Len(a) == 0 {
				continue
			}
			var m []byte
			c, m = SetPop(a, c, uint64(x)<<8|uint64(y), nil)
			if !model[string(m)] {
				t.Fatalf("pop returned %q, not a member", m)
			}
			delete(model, string(m))
			if stayed != nil {
				delete(stayed, string(m))
			}
		case 5:
			if c.Ref == 0 || c.Len(a) == 0 {
				continue
			}
			if m := SetRandom(a, c, uint64(x)*0x9e3779b97f4a7c15+uint64(y), nil); !model[string(m)] {
				t.Fatalf("random returned %q, not a member", m)
			}
		case 6:
			for i := 0; i < int(x)*4; i++ {
				m := setMember(byte(i), y+byte(i))
				if !model[string(m)] {
					add(m)
				}
			}
		case 7:
			for i := 0; i < int(x)*4; i++ {
				remove(setMember(byte(i), y+byte(i)))
			}
		}
		if c.Ref != 0 && c.Enc != enc && enc != 0 && scanning {
			scanning, stayed = false, nil // a conversion restarts the scan
		}
		checkSet(t, a, c, model, allInt, maxIntset)
		if c.Ref != 0 && c.Len(a) == 0 && c.Enc == EncHashtable {
			c.Free(a)
			c, allInt, scanning, stayed = Container{}, true, false, nil
		}
		if c.Ref == 0 {
			allInt, scanning, stayed = true, false, nil
			checkLive(t, a, 0)
		}
	}
	c.Free(a)
	checkLive(t, a, 0)
}

func checkSet(t *testing.T, a mem.Allocator, c Container, model map[string]bool, allInt bool, maxIntset int) {
	t.Helper()
	if c.Ref == 0 {
		if len(model) != 0 {
			t.Fatalf("set gone with %d members left", len(model))
		}
		return
	}
	if c.Len(a) != len(model) {
		t.Fatalf("Len: got %d; want %d", c.Len(a), len(model))
	}
	if c.Enc == EncIntset && (!allInt || len(model) > maxIntset) {
		t.Fatalf("intset with allInt=%v and %d members (max %d)", allInt, len(model), maxIntset)
	}
	var got, want []string
	SetForEach(a, c, func(m []byte) bool { got = append(got, string(m)); return true })
	for m := range model {
		want = append(want, m)
	}
	if c.Enc == EncIntset {
		ints := make([]int64, len(got))
		for i, m := range got {
			ints[i], _ = strconv.ParseInt(m, 10, 64)
		}
		if !slices.IsSorted(ints) {
			t.Fatalf("intset members not ascending: %v", got)
		}
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("members: got %q; want %q", got, want)
	}
}

// TestSetCopyBytes: a copy has the same members in new blocks, and Bytes
// counts every block of the set.
func TestSetCopyBytes(t *testing.T) {
	forBackends(t, func(t *testing.T, a mem.Allocator) {
		before := a.Stats()
		var c Container
		for i := 0; i < 300; i++ {
			c, _ = SetAdd(a, c, fmt.Appendf(nil, "member-%d", i), 512)
		}
		if c.Enc != EncHashtable || c.Len(a) != 300 {
			t.Fatalf("got enc %d len %d", c.Enc, c.Len(a))
		}
		st := a.Stats()
		grown := int(st.Purposes[mem.PurposeContainer].Allocated - before.Purposes[mem.PurposeContainer].Allocated)
		if got := containerOps[EncHashtable].Bytes(a, c.Ref, 0); got != grown {
			t.Fatalf("Bytes: got %d; allocated %d", got, grown)
		}
		cp := Container{Enc: c.Enc, Ref: containerOps[EncHashtable].Copy(a, c.Ref)}
		c.Free(a)
		for i := 0; i < 300; i++ {
			if !SetContains(a, cp, fmt.Appendf(nil, "member-%d", i)) {
				t.Fatalf("copy lacks member-%d", i)
			}
		}
		cp.Free(a)
		checkLive(t, a, before.Live())
	})
}
