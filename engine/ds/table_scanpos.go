package ds

import "math/bits"

// Scan positions: where a key stands in SCAN order, so that a walker
// going over the table with Scan (the forkless snapshot) can tell, for
// any key, whether it has already passed it.
//
// Scan visits home groups in reverse-binary order of their index: with a
// table of 2^k groups, cursor c covers the keys whose H1 has c's low k
// bits, and the cursors come in increasing order of those k bits read
// backwards. Reversing all 64 bits of H1 (ScanPos) puts those k bits, read
// backwards, on top, so ordering keys by ScanPos orders them by the home
// group Scan visits them in, at every table size at once. A cursor that
// Scan returned has no bits outside the mask of the table it was computed
// for, so its reverse (CursorPos) is that prefix followed by zeros: the keys
// Scan has returned so far are exactly those with ScanPos(key) <
// CursorPos(cursor).
//
// This holds across a grow (a home group of 2^k groups splits into two of
// 2^(k+1) whose positions share its prefix) and across a rebuild at the
// same size, but not across a shrink: the cursor would lose its top group
// bit and Scan would revisit keys below the cursor. A walker that relies on
// ScanPos keeps the table from shrinking meanwhile (SetNoShrink).
//
// Example, a table of 4 groups (k = 2): Scan visits home groups 0, 2, 1, 3
// (binary 00, 10, 01, 11; reversed 00, 01, 10, 11). After the call for
// cursor 2 it returns 1, CursorPos(1) = 0b10 << 62; a key whose H1 ends in
// ...10 (home 2) has ScanPos = 0b01 << 62 | lower bits, below it: returned;
// a key whose H1 ends in ...11 (home 3) has ScanPos >= 0b11 << 62: not yet.

// ScanPos is key's position in the order Scan returns keys (see above).
// It does not depend on the table's size or contents.
func (t *Table) ScanPos(key []byte) uint64 { return bits.Reverse64(hashKey(key) >> 7) }

// CursorPos is the position of a cursor Scan returned: while the table does
// not shrink, the keys Scan has returned before that cursor are those with
// ScanPos(key) < CursorPos(cursor). Cursor 0 (before the first call) is
// position 0, before every key; a returned 0 ends the scan (every key).
func CursorPos(cursor uint64) uint64 { return bits.Reverse64(cursor) }

// SetNoShrink keeps the table from shrinking (and from giving back its
// arrays when its last key is deleted) while on; it may still grow or be
// rebuilt at its size. Turning it off frees the arrays of a table left
// empty, and lets the next RehashStep or delete shrink a sparse table as
// usual.
func (t *Table) SetNoShrink(on bool) {
	t.noShrink = on
	if !on && t.Len() == 0 {
		t.Clear(nil)
	}
}

// NoShrink reports whether SetNoShrink is on.
func (t *Table) NoShrink() bool { return t.noShrink }

// CursorPos is the package CursorPos, as the KeyTable seam asks it of
// every layout.
func (t *Table) CursorPos(cursor uint64) uint64 { return CursorPos(cursor) }
