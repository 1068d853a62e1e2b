package ds

import "rundb/engine/mem"

// KeyTable is the keyspace-table seam: what engine/db needs of a map from
// key to mem.Ref (a key's entry block), whatever its layout. Each layout
// lives in its own file with its grammar and a diagram at the top, and
// registers itself (RegisterLayout); the keyspace-layout parameter picks
// one at start. Every layout passes the shared conformance suite
// (keytable_conformance_test.go) and its fuzz target against a Go map.
//
// Keys are never stored by the table: keyOf (given at construction) reads
// the key of a stored Ref, so a table holds only Refs and its own
// structure, whose blocks come from the allocator under the purpose given
// at construction (mem.PurposeSlots, mem.PurposeExpires).
type KeyTable interface {
	// Len is the number of keys.
	Len() int
	// Get returns key's Ref, or 0.
	Get(key []byte) mem.Ref
	// Put stores r for its key (keyOf(r) must equal key) and returns the
	// Ref it replaced, or 0 when the key is new.
	Put(key []byte, r mem.Ref) mem.Ref
	// Delete removes key and returns its Ref, or 0.
	Delete(key []byte) mem.Ref
	// Scan visits one step of a SCAN and returns the next cursor (0 starts
	// and a returned 0 ends it): every key present for the whole scan is
	// visited at least once, across resizes. fn must not change the table.
	Scan(cursor uint64, fn func(r mem.Ref)) uint64
	// ScanPos is key's position in Scan order and CursorPos a cursor's:
	// after Scan returned cursor c, the keys visited so far are exactly
	// those with ScanPos(key) < CursorPos(c), provided the table was kept
	// from shrinking (SetNoShrink) since the scan began. The snapshot walk
	// (engine/persist) relies on it.
	ScanPos(key []byte) uint64
	CursorPos(cursor uint64) uint64
	// SetNoShrink keeps the table from shrinking (and from dropping its
	// storage when it empties) while on; turning it off drops the storage
	// of a table left empty.
	SetNoShrink(on bool)
	NoShrink() bool
	// Random returns a stored Ref chosen with the randomness in rnd (any 64
	// random bits), or 0 when empty; cheap, roughly uniform (RANDOMKEY,
	// random eviction, the expiry cycle's samples).
	Random(rnd uint64) mem.Ref
	// Sample returns a stored Ref uniform over the keys (eviction's
	// sampling), or 0 when empty.
	Sample(rnd uint64) mem.Ref
	// RehashStep does a bounded amount of incremental resize work (units
	// are the layout's, about one 64-byte group or bucket each) and reports
	// whether more is pending.
	RehashStep(units int) bool
	// Resizing reports whether resize work is pending.
	Resizing() bool
	// ForEach visits every Ref until fn returns false; fn must not change
	// the table.
	ForEach(fn func(r mem.Ref) bool)
	// Clear removes every key, calling free (if not nil) on each Ref, and
	// releases the table's storage.
	Clear(free func(r mem.Ref))
	// MemBytes is the size of the table's own storage; AllocatedBytes what
	// it costs the allocator (size-class rounding included).
	MemBytes() int
	AllocatedBytes() int
}

// Check at compile time that the open-addressing table is a layout.
var _ KeyTable = (*Table)(nil)

// Locator is what a layout may add to KeyTable so that a write that looked
// its key up first does not search for it again: Locate is Get that also
// stores the key's Pos in *p, and PutAt and DeleteAt are Put and Delete of the
// key Locate was given, at that Pos (they search as Put and Delete do when
// the table changed since). engine/db uses it when the keyspace's layout
// has it (open does).
type Locator interface {
	Locate(key []byte, p *Pos) mem.Ref
	PutAt(p Pos, key []byte, r mem.Ref) mem.Ref
	DeleteAt(p Pos, key []byte) mem.Ref
}

var _ Locator = (*Table)(nil)
