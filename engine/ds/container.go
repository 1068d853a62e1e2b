package ds

import "rundb/engine/mem"

// Containers: the value of a list, set, zset or hash entry is one Ref to a
// container block (or a structure of blocks) that the entry owns. How a
// container is freed and deep-copied depends on its encoding, and both live
// here in engine/ds, beside the layouts: Entry.Free frees an entry's
// container with it, Entry.Copy deep-copies it. Each container layout
// registers its operations from its own file's init (RegisterContainer), so
// nothing outside ds decides how a container is freed.

// Container names a container: its encoding and its Ref. The zero
// Container is none (a key about to be created).
type Container struct {
	Enc uint8
	Ref mem.Ref
}

// Len is the number of elements of c (0 for none).
func (c Container) Len(a mem.Allocator) int {
	if c.Ref == 0 {
		return 0
	}
	f := containerOps[c.Enc&encMask].Len
	if f == nil {
		panic("ds: no Len registered for container encoding " + EncodingName(c.Enc))
	}
	return f(a, c.Ref)
}

// ContainerOps are the per-encoding operations on a container.
type ContainerOps struct {
	// Len is the number of elements of c.
	Len func(a mem.Allocator, c mem.Ref) int
	// Free gives back every block of the container c.
	Free func(a mem.Allocator, c mem.Ref)
	// Copy returns a deep copy of c; nil when the encoding cannot be
	// copied (COPY then answers that the type is not supported).
	Copy func(a mem.Allocator, c mem.Ref) mem.Ref
	// Bytes is what the blocks of c cost the allocator, size-class
	// rounding included (mem.BlockSize of each), for MEMORY USAGE. An
	// encoding whose blocks are too many to visit may estimate from
	// samples of its elements (0: visit all). nil: the container is not
	// counted.
	Bytes func(a mem.Allocator, c mem.Ref, samples int) int
}

// containerOps is indexed by encoding (EncListpack ...). EncListpack is a
// list's bare listpack (list.go): a hash or zset listpack would need its
// own encoding or the registry keyed by type too.
var containerOps [encMask + 1]ContainerOps

// RegisterContainer installs the operations of the container encoding enc.
// Layout files call it from init; tests may register a stand-in container.
// It returns the operations it replaced, so a test can restore them.
func RegisterContainer(enc uint8, ops ContainerOps) ContainerOps {
	old := containerOps[enc&encMask]
	containerOps[enc&encMask] = ops
	return old
}

// Free gives back every block of c (a container no entry holds any more).
func (c Container) Free(a mem.Allocator) {
	if c.Ref == 0 {
		return
	}
	f := containerOps[c.Enc&encMask].Free
	if f == nil {
		panic("ds: no Free registered for container encoding " + EncodingName(c.Enc))
	}
	f(a, c.Ref)
}

// freeContainer frees the container of entry e (a non-string entry).
func (e Entry) freeContainer(a mem.Allocator) { e.ContainerOf().Free(a) }
