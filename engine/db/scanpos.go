package db

// What a walker over the keyspace in SCAN order (the forkless snapshot in
// engine/persist) needs to know where it stands: see ds.KeyTable.ScanPos.
// Positions are the layout's: only d's own CursorPos compares with them.

// ScanPos is key's position in the order Scan returns d's keys; a walk
// whose last returned cursor is c has returned exactly the keys with
// ScanPos(key) < d.CursorPos(c), provided d's keyspace table was kept from
// shrinking meanwhile (SetNoShrink).
func (d *DB) ScanPos(key []byte) uint64 { return d.keys.ScanPos(key) }

// CursorPos is the position of a cursor d's Scan returned (see ScanPos).
func (d *DB) CursorPos(cursor uint64) uint64 { return d.keys.CursorPos(cursor) }

// SetNoShrink keeps d's keyspace table from shrinking while on (see
// ds.KeyTable.SetNoShrink). The flag belongs to the table, so it follows the
// table through a SWAPDB.
func (d *DB) SetNoShrink(on bool) { d.keys.SetNoShrink(on) }

// NoShrink reports whether SetNoShrink is on for d's keyspace table.
func (d *DB) NoShrink() bool { return d.keys.NoShrink() }
