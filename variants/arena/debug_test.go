//go:build arenadebug

package arena

import (
	"strings"
	"testing"

	"rundb/engine/mem"
)

func expectPanic(t *testing.T, want string, f func()) {
	t.Helper()
	defer func() {
		t.Helper()
		msg, _ := recover().(string)
		if !strings.Contains(msg, want) {
			t.Fatalf("panic %q; want it to contain %q", msg, want)
		}
	}()
	f()
	t.Fatalf("no panic; want %q", want)
}

func TestDebugPoison(t *testing.T) {
	a := newTest(t, 1<<30)
	r := a.Alloc(mem.PurposeEntry, 38)
	a.Free(mem.PurposeEntry, r, 38)
	b := a.mem[r : r+38]
	for i := 2; i < 38; i++ {
		if b[i] != poisonByte {
			t.Fatalf("freed block byte %d = %#x; want %#x", i, b[i], poisonByte)
		}
	}
	b[20] = 1 // a write after free
	expectPanic(t, "written after free", func() { a.Alloc(mem.PurposeEntry, 38) })
}

func TestDebugDoubleFree(t *testing.T) {
	a := newTest(t, 1<<30)
	r := a.Alloc(mem.PurposeEntry, 38)
	keep := a.Alloc(mem.PurposeEntry, 38)
	a.Free(mem.PurposeEntry, r, 38)
	expectPanic(t, "double free", func() { a.Free(mem.PurposeEntry, r, 38) })
	big := a.Alloc(mem.PurposeEntry, 1<<20)
	a.Free(mem.PurposeEntry, big, 1<<20)
	expectPanic(t, "double free", func() { a.Free(mem.PurposeEntry, big, 1<<20) })
	a.Free(mem.PurposeEntry, keep, 38)
}

func TestDebugWrongClass(t *testing.T) {
	a := newTest(t, 1<<30)
	r := a.Alloc(mem.PurposeEntry, 38)
	expectPanic(t, "wrong size class", func() { a.Free(mem.PurposeEntry, r, 40) })
	a.Free(mem.PurposeEntry, r, 37) // same class: allowed
	big := a.Alloc(mem.PurposeEntry, 1<<20)
	expectPanic(t, "allocated with size", func() { a.Free(mem.PurposeEntry, big, 1<<20+1) })
	expectPanic(t, "names no block", func() { a.Free(mem.PurposeEntry, 0, 8) })
	expectPanic(t, "not the start of a block", func() { a.Free(mem.PurposeEntry, a.Alloc(mem.PurposeEntry, 40)+1, 40) })
}
