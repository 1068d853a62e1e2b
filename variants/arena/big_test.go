package arena

import (
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"rundb/engine/mem"
)

// resident reports, for each page of slab unit s, whether it is backed.
func resident(t *testing.T, a *Arena, s int32) [slabPages]bool {
	t.Helper()
	off := uintptr(s) << unitShift
	vec := make([]byte, slabPages)
	_, _, errno := unix.Syscall(unix.SYS_MINCORE, uintptr(unsafe.Pointer(&a.mem[off])), unitSize, uintptr(unsafe.Pointer(&vec[0])))
	if errno != 0 {
		t.Fatal(errno)
	}
	var out [slabPages]bool
	for i, v := range vec {
		out[i] = v&1 != 0
	}
	return out
}

// TestBigClassPagesGivenBack: in a slab of class 3120 (21 blocks), freeing
// every block but 0 and 7 gives back, at the purge, exactly the pages no
// live block touches; Mapped falls by as much and rises again as blocks on
// those pages are handed out; the live blocks keep their bytes.
func TestBigClassPagesGivenBack(t *testing.T) {
	a := newTest(t, 1<<30)
	const size = 3000 // class 3120
	c := &a.classes[sizeClass[size]]
	if !c.big || c.size != 3120 || c.nblocks != 21 {
		t.Fatalf("class of %d: %+v", size, *c)
	}
	var refs []mem.Ref
	for i := 0; i < int(c.nblocks); i++ {
		r := a.Alloc(mem.PurposeSlots, size)
		b := a.Bytes(r, size)
		for j := range b {
			b[j] = byte(i + 1)
		}
		refs = append(refs, r)
	}
	s := int32(refs[0] >> unitShift)
	if int32(refs[20]>>unitShift) != s {
		t.Fatal("blocks in more than one slab")
	}
	mapped := a.Stats().Mapped
	for i, r := range refs {
		if i != 0 && i != 7 {
			a.Free(mem.PurposeSlots, r, size)
		}
	}
	a.Trim()
	// Block 0 covers bytes 0..3119 (page 0), block 7 21840..24959 (pages
	// 5 and 6); the blocks end at 65520, inside page 15.
	want := [slabPages]bool{0: true, 5: true, 6: true}
	if got := resident(t, a, s); got != want {
		t.Fatalf("resident pages %v; want %v", got, want)
	}
	if got := a.Stats().Mapped; got != mapped-13*pageSize {
		t.Fatalf("Mapped %d; want %d (13 pages given back)", got, mapped-13*pageSize)
	}
	for _, i := range []int{0, 7} {
		for j, v := range a.Bytes(refs[i], size) {
			if v != byte(i+1) {
				t.Fatalf("block %d byte %d = %d after the purge", i, j, v)
			}
		}
	}
	// The lowest free block, 1 (bytes 3120..6239, pages 0 and 1), comes
	// back first: page 1 is mapped again.
	r := a.Alloc(mem.PurposeSlots, size)
	if r != refs[1] {
		t.Fatalf("Alloc = %#x; want block 1 %#x", r, refs[1])
	}
	if got := a.Stats().Mapped; got != mapped-12*pageSize {
		t.Fatalf("Mapped %d after reuse; want %d", got, mapped-12*pageSize)
	}
	copy(a.Bytes(r, size), make([]byte, size))
	if st := a.Stats(); st.Live() != 3 {
		t.Fatalf("%d live blocks; want 3", st.Live())
	}
}

// TestBigClassPurgeBound: freeing big blocks purges on its own once
// purgeAfter bytes are pending, so freed big blocks never keep more than
// that backed.
func TestBigClassPurgeBound(t *testing.T) {
	a := newTest(t, 1<<30)
	const size = 4096
	var refs []mem.Ref
	for i := 0; i < 4*purgeAfter/size; i++ {
		r := a.Alloc(mem.PurposeSlots, size)
		a.Bytes(r, size)[0] = 1
		refs = append(refs, r)
	}
	before := a.Stats().Mapped
	for _, r := range refs {
		a.Free(mem.PurposeSlots, r, size)
		if a.dirtyBytes >= purgeAfter {
			t.Fatalf("%d bytes pending after a Free", a.dirtyBytes)
		}
	}
	given := before - a.Stats().Mapped
	if given < uint64(len(refs)*size-purgeAfter) {
		t.Fatalf("%d bytes given back of %d freed; at most %d may stay", given, len(refs)*size, purgeAfter)
	}
}
