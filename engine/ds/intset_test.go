package ds

import (
	"math"
	"slices"
	"strconv"
	"testing"

	"rundb/engine/mem"
)

// intsetValue maps two fuzz bytes to a value of every width, extremes
// included, so streams cross each upgrade.
func intsetValue(a, b byte) int64 {
	edges := [...]int64{math.MinInt64, math.MaxInt64, math.MinInt32 - 1, math.MaxInt32 + 1,
		math.MinInt32, math.MaxInt32, math.MinInt16 - 1, math.MaxInt16 + 1, math.MinInt16, math.MaxInt16, 0, -1}
	switch a % 4 {
	case 0:
		return int64(int8(b))
	case 1:
		return int64(int8(b)) * 100000
	case 2:
		return int64(int8(b)) * 1e15
	}
	return edges[int(b)%len(edges)]
}

// FuzzIntset runs an op stream of [op][a][b] against an intset and a Go
// map, checking after each op that the block holds the map's values
// sorted, at the narrowest width any value ever needed:
//
//	0 add   1 remove   2 contains   (value intsetValue(a, b))
func FuzzIntset(f *testing.F) {
	f.Add([]byte{0, 0, 5, 0, 0, 253, 0, 1, 7, 1, 0, 5, 2, 0, 253})
	f.Add([]byte{0, 0, 1, 0, 3, 0, 0, 0, 2, 0, 3, 1, 0, 2, 9, 1, 3, 0, 1, 0, 1, 1, 0, 2})
	f.Fuzz(func(t *testing.T, data []byte) { fuzzIntset(t, data) })
}

func fuzzIntset(t *testing.T, data []byte) {
	a := newExact()
	var r mem.Ref
	model := map[int64]bool{}
	width := uint8(intset16)
	for len(data) >= 3 {
		op, v := data[0]%3, intsetValue(data[1], data[2])
		data = data[3:]
		switch op {
		case 0:
			var added bool
			r, added = intsetAdd(a, r, v)
			if added == model[v] {
				t.Fatalf("add %d: got added=%v; want %v", v, added, !model[v])
			}
			model[v] = true
			width = max(width, intsetWidth(v))
		case 1:
			if r == 0 {
				continue
			}
			var removed bool
			r, removed = intsetRemove(a, r, v)
			if removed != model[v] {
				t.Fatalf("remove %d: got %v; want %v", v, removed, model[v])
			}
			delete(model, v)
			if len(model) == 0 {
				width = intset16
			}
		case 2:
			if r != 0 && intsetContains(a, r, v) != model[v] {
				t.Fatalf("contains %d: got %v; want %v", v, !model[v], model[v])
			}
		}
		want := make([]int64, 0, len(model))
		for k := range model {
			want = append(want, k)
		}
		slices.Sort(want)
		if r == 0 {
			if len(want) != 0 {
				t.Fatalf("intset gone with %d values left", len(want))
			}
			checkLive(t, a, 0)
			continue
		}
		b := intsetView(a, r)
		if b[0] != width {
			t.Fatalf("width: got %d; want %d", b[0], width)
		}
		got := make([]int64, isCount(b))
		for i := range got {
			got[i] = isGet(b, i)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("got %v; want %v", got, want)
		}
		if s := string(intsetAppendMember(nil, b, 0)); s != strconv.FormatInt(want[0], 10) {
			t.Fatalf("member 0: got %q; want %d", s, want[0])
		}
		checkLive(t, a, 1)
	}
	if r != 0 {
		containerOps[EncIntset].Free(a, r)
	}
	checkLive(t, a, 0)
}

// TestIntsetExample is the worked example of intset.go's header.
func TestIntsetExample(t *testing.T) {
	a := newExact()
	r, _ := intsetAdd(a, 0, 5)
	r, _ = intsetAdd(a, r, -3)
	if got, want := intsetView(a, r), []byte{2, 2, 0, 0, 0, 0xfd, 0xff, 5, 0}; !slices.Equal(got, want) {
		t.Fatalf("got % x; want % x", got, want)
	}
	r, _ = intsetAdd(a, r, 70000)
	want := []byte{4, 3, 0, 0, 0, 0xfd, 0xff, 0xff, 0xff, 5, 0, 0, 0, 0x70, 0x11, 1, 0}
	if got := intsetView(a, r); !slices.Equal(got, want) {
		t.Fatalf("got % x; want % x", got, want)
	}
	r, _ = intsetAdd(a, r, math.MinInt64)
	if b := intsetView(a, r); b[0] != 8 || isGet(b, 0) != math.MinInt64 || isGet(b, 3) != 70000 {
		t.Fatalf("upgrade to 64 bits with a negative value: % x", b)
	}
}
