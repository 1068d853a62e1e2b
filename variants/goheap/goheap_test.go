package goheap

import (
	"rundb/engine/mem"
	"testing"
	"unsafe"
)

func TestRoundUp(t *testing.T) {
	for _, tc := range []struct{ size, want int }{
		{1, 8}, {8, 8}, {9, 16}, {17, 24}, {33, 48}, {1024, 1024}, {1025, 1152},
		{32768, 32768}, {32769, 40960}, {100000, 106496},
	} {
		if got := RoundUp(tc.size); got != tc.want {
			t.Errorf("RoundUp(%d) = %d; want %d", tc.size, got, tc.want)
		}
	}
	for s := 1; s <= smallMax; s += 37 {
		want := cap(append([]byte(nil), make([]byte, s)...))
		if got := RoundUp(s); got != want {
			t.Fatalf("RoundUp(%d) = %d; want %d", s, got, want)
		}
	}
}

func TestAllocFreeStats(t *testing.T) {
	h := New()
	if h.Name() != "goheap" {
		t.Fatalf("got %q; want %q", h.Name(), "goheap")
	}
	a := h.Alloc(mem.PurposeEntry, 5)
	b := h.Alloc(mem.PurposeEntry, 100)
	if a == 0 || b == 0 || a == b {
		t.Fatalf("bad refs %d %d", a, b)
	}
	copy(h.Bytes(a, 5), "hello")
	for i := range h.Bytes(b, 100) {
		h.Bytes(b, 100)[i] = byte(i)
	}
	if got := string(h.Bytes(a, 5)); got != "hello" {
		t.Fatalf("got %q; want %q", got, "hello")
	}
	if got := h.Bytes(b, 100)[99]; got != 99 {
		t.Fatalf("got %d; want 99", got)
	}
	for _, r := range []struct {
		ref  uint64
		size int
	}{{uint64(a), 5}, {uint64(b), 100}} {
		if p := uintptr(unsafe.Pointer(&h.Bytes(mem.Ref(r.ref), r.size)[0])); p%8 != 0 {
			t.Fatalf("block %d of size %d not 8-byte aligned", r.ref, r.size)
		}
	}
	st := h.Stats()
	if st.Requested != 105 || st.Allocated != 8+112 || st.Allocs != 2 || st.Frees != 0 || st.Live() != 2 {
		t.Fatalf("stats %+v", st)
	}
	h.Free(mem.PurposeEntry, a, 5)
	st = h.Stats()
	if st.Requested != 100 || st.Allocated != 112 || st.Frees != 1 {
		t.Fatalf("stats after free %+v", st)
	}
	c := h.Alloc(mem.PurposeEntry, 16)
	if c != a {
		t.Fatalf("handle not reused: got %d; want %d", c, a)
	}
	h.Free(mem.PurposeEntry, c, 16)
	h.Free(mem.PurposeEntry, b, 100)
	if st := h.Stats(); st.Requested != 0 || st.Allocated != 0 || st.Live() != 0 {
		t.Fatalf("stats after all frees %+v", st)
	}
}

func TestFreeTwicePanics(t *testing.T) {
	h := New()
	r := h.Alloc(mem.PurposeEntry, 10)
	h.Free(mem.PurposeEntry, r, 10)
	defer func() {
		if recover() == nil {
			t.Fatal("double free did not panic")
		}
	}()
	h.Free(mem.PurposeEntry, r, 10)
}
