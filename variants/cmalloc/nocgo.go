//go:build !cgo

package cmalloc

import "unsafe"

// Cgo reports whether this build can call the C allocator.
const Cgo = false

type probe struct {
	kind    Kind
	version string
	lib     string
	mapped  unsafe.Pointer
}

func detect() probe { return probe{kind: -1} }

func mappedNow(probe) uint64 { return 0 }

func trimNow(probe) {}

func tuneGlibc() {}

func fastbinBytes() uint64 { return 0 }

func statsNow(probe) string { return "" }

func cAlloc(int) (uintptr, int) { panic("cmalloc: rundb was built without cgo") }

func cFreeN(_, _ []uintptr) { panic("cmalloc: rundb was built without cgo") }

func cRealloc(uintptr, int) (uintptr, int, int) { panic("cmalloc: rundb was built without cgo") }

func usableSize(uintptr) int { panic("cmalloc: rundb was built without cgo") }

func cNop() {}
