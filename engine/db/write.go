package db

// The one write path. Every change to a key — a whole-value write, an
// in-place edit (INCR, APPEND, SETRANGE), a deadline change, a rename, a
// move, a delete, an expiry, a flush — is one method of DB below, and each
// of them does the same three things in order:
//
//  1. BeforeWrite(d, key, old, found): the key and its current entry, before
//     any byte of it changes (the forkless snapshot saves old contents here);
//  2. the change itself, through engine/ds;
//  3. AfterWrite(d, key, cause): WATCH, and for expiry the deletion the
//     command layer propagates; Dirty counts the changes made by commands.
//
// Handlers in engine/command read entries through Lookup*, and change keys
// only through these methods: they never edit entry bytes themselves.
//
// Keys passed to the hooks are valid only during the call (they may alias
// an entry block that is freed right after).

import (
	"rundb/engine/ds"
	"rundb/engine/mem"
)

// Cause says why a key changed.
type Cause uint8

const (
	// CauseCommand: a command wrote the key.
	CauseCommand Cause = iota
	// CauseExpired: the key's deadline passed and it was deleted.
	CauseExpired
	// CauseEvicted: maxmemory evicted the key (evict.go).
	CauseEvicted
)

// Hooks are the callbacks of the write path; nil ones are skipped.
type Hooks struct {
	// BeforeWrite sees a key and its current entry (found false when the
	// key does not exist yet) before the key changes.
	BeforeWrite func(d *DB, key []byte, old ds.Entry, found bool)
	// AfterWrite sees a key after it changed.
	AfterWrite func(d *DB, key []byte, cause Cause)
	// BeforeFlush is called before every key of d is removed (FLUSHDB,
	// FLUSHALL), in place of a BeforeWrite per key.
	BeforeFlush func(d *DB)
	// BeforeSwap is called before SWAPDB exchanges the contents of a and b.
	BeforeSwap func(a, b *DB)
}

func (d *DB) before(key []byte, old ds.Entry, found bool) {
	if h := d.ks.Hooks.BeforeWrite; h != nil {
		h(d, key, old, found)
	}
}

func (d *DB) after(key []byte, cause Cause) {
	if h := d.ks.Hooks.AfterWrite; h != nil {
		h(d, key, cause)
	}
}

// Expiry is what a whole-value write does with the key's deadline: the zero
// Expiry removes it, At sets one, KeepTTL keeps the one the key has.
type Expiry struct {
	at   int64
	keep bool
}

// At is an Expiry at deadline ms (Unix milliseconds).
func At(ms int64) Expiry { return Expiry{at: ms} }

// KeepTTL keeps the key's current deadline, if any (SET KEEPTTL).
var KeepTTL = Expiry{keep: true}

func (x Expiry) resolve(old ds.Entry, found bool) (hasTTL bool, deadline int64) {
	if x.keep {
		if found && old.HasTTL() {
			return true, old.Deadline()
		}
		return false, 0
	}
	return x.at != 0, x.at
}

// link stores e (a new block for its key) in the tables in place of old
// (when found), keeping the expires table in step, and frees old.
func (d *DB) link(e, old ds.Entry, found bool) {
	key := e.Key()
	if d.loc != nil {
		d.loc.PutAt(d.pos, key, e.Ref())
	} else {
		d.keys.Put(key, e.Ref())
	}
	// The expires table reads keys through the stored entries, so it is
	// updated while old is still allocated. An overwrite of a key that had
	// no TTL costs the expires table nothing.
	if e.HasTTL() {
		d.expires.Put(key, e.Ref())
	} else if found && old.HasTTL() {
		d.expires.Delete(key)
	}
	if found {
		old.Free(d.ks.Alloc)
	}
}

// unlink removes key's entry e from the tables without freeing it.
func (d *DB) unlink(key []byte, e ds.Entry) {
	if d.loc != nil {
		d.loc.DeleteAt(d.pos, key)
	} else {
		d.keys.Delete(key)
	}
	if e.HasTTL() {
		d.expires.Delete(key)
	}
}

// Put stores the freshly built entry e as the value of its key, replacing
// (and freeing) whatever the key held. e and its container now belong to
// the database.
func (d *DB) Put(e ds.Entry) {
	key := e.Key()
	old, found := d.Lookup(key)
	d.before(key, old, found)
	d.link(e, old, found)
	d.ks.Dirty++
	d.after(key, CauseCommand)
}

// SetString stores val as key's whole value (SET, MSET, GETSET...), in the
// encoding a whole-value write gets (ds.StringEncoding).
func (d *DB) SetString(key, val []byte, x Expiry) {
	d.SetStringAs(key, val, ds.StringEncoding(val), x)
}

// SetStringAs is SetString with the encoding chosen by the caller (an int
// encoding needs val to be a canonical integer; INCRBYFLOAT stores text).
// When key already holds a string of the same layout (encoding, TTL
// presence, a block val fits), the bytes are overwritten in place and
// nothing is allocated.
func (d *DB) SetStringAs(key, val []byte, enc uint8, x Expiry) {
	ks := d.ks
	old, found := d.Lookup(key)
	hasTTL, deadline := x.resolve(old, found)
	d.before(key, old, found)
	if found && old.HasTTL() == hasTTL && old.Fits(val, enc) {
		old.Overwrite(val, enc)
		if hasTTL {
			old.SetDeadline(deadline)
		}
		old.SetLRU(ks.LRUClock)
	} else {
		d.link(ds.NewString(ks.Alloc, key, val, enc, deadline, hasTTL, ks.LRUClock), old, found)
	}
	ks.Dirty++
	d.after(key, CauseCommand)
}

// SetStringOwned stores the n-byte value held in block r as key's whole
// value, taking the block over without copying it (ds.NewRawOwned): r is a
// block of mem.PurposeValue that a.Alloc(mem.PurposeValue, n) returned, as
// a large request argument read straight into its block becomes.
func (d *DB) SetStringOwned(key []byte, r mem.Ref, n int, x Expiry) {
	ks := d.ks
	old, found := d.Lookup(key)
	hasTTL, deadline := x.resolve(old, found)
	d.before(key, old, found)
	d.link(ds.NewRawOwned(ks.Alloc, key, r, n, deadline, hasTTL, ks.LRUClock), old, found)
	ks.Dirty++
	d.after(key, CauseCommand)
}

// SetInt stores the integer v as key's value, keeping its deadline (INCR
// and friends); old and found are key's live entry as just looked up. An
// int value is rewritten in place.
func (d *DB) SetInt(key []byte, old ds.Entry, found bool, v int64) {
	ks := d.ks
	d.before(key, old, found)
	switch {
	case found && old.Enc() == ds.EncInt:
		old.SetInt(v)
	case found:
		d.link(ds.NewInt(ks.Alloc, key, v, old.Deadline(), old.HasTTL(), ks.LRUClock), old, true)
	default:
		d.link(ds.NewInt(ks.Alloc, key, v, 0, false, ks.LRUClock), old, false)
	}
	ks.Dirty++
	d.after(key, CauseCommand)
}

// Append appends val to the string value of e (key's live entry), which
// becomes raw with amortized spare capacity; it returns the new length.
func (d *DB) Append(e ds.Entry, val []byte) int {
	key := e.Key()
	d.before(key, e, true)
	old := e.StrLen()
	total := old + len(val)
	e = d.growRaw(e, total)
	key = e.Key() // the old block may be gone
	copy(e.RawBuf()[old:total], val)
	e.SetRawLen(total)
	d.ks.Dirty++
	d.after(key, CauseCommand)
	return total
}

// SetRange writes val at offset off of key's string value, zero-padding a
// gap; old and found are key's live entry as just looked up (found false
// creates the key). It returns the new length. val must not be empty.
func (d *DB) SetRange(key []byte, old ds.Entry, found bool, off int, val []byte) int {
	ks := d.ks
	d.before(key, old, found)
	var e ds.Entry
	cur := 0
	if found {
		cur = old.StrLen()
		e = d.growRaw(old, max(cur, off+len(val)))
	} else {
		e = ds.NewRawCap(ks.Alloc, key, nil, off+len(val), 0, false, ks.LRUClock)
		d.link(e, old, false)
	}
	total := max(cur, off+len(val))
	buf := e.RawBuf()
	if off > cur {
		clear(buf[cur:off])
	}
	copy(buf[off:], val)
	e.SetRawLen(total)
	ks.Dirty++
	d.after(key, CauseCommand)
	return total
}

// EditContainer is the door for the writes of list and set commands.
// old and found are key's live entry as just looked up (found false: the key
// does not exist yet, and edit gets the zero Container to create one in;
// the entry it makes has type typ). edit changes the container through
// engine/ds and returns it as it now is (its Ref and encoding may have
// changed) and how many elements it changed (0: nothing changed, and the
// write is neither counted nor signalled). A container left empty deletes
// the key, as Redis deletes an emptied list or set. It returns whether the
// key still exists.
func (d *DB) EditContainer(key []byte, old ds.Entry, found bool, typ uint8, edit func(c ds.Container) (ds.Container, int)) bool {
	a := d.ks.Alloc
	return d.EditContainerE(key, old, found, typ, func(c ds.Container) (ds.Container, int, bool) {
		nc, changes := edit(c)
		return nc, changes, nc.Ref == 0 || nc.Len(a) == 0
	})
}

// EditContainerE is EditContainer for an edit that also says whether it
// left the container empty (a Ref of 0 counts as empty too). The list and
// set commands know it without asking the container (a push cannot empty
// a list, a pop has the list open), which spares their writes a call
// through the container's registered Len.
func (d *DB) EditContainerE(key []byte, old ds.Entry, found bool, typ uint8, edit func(c ds.Container) (nc ds.Container, changes int, empty bool)) bool {
	ks := d.ks
	d.before(key, old, found)
	var c ds.Container
	if found {
		c = old.ContainerOf()
	}
	nc, changes, empty := edit(c)
	exists := found
	switch {
	case (nc.Ref == 0 || empty) && !found:
		nc.Free(ks.Alloc) // created, then emptied (Ref 0: nothing to free)
	case nc.Ref == 0 || empty:
		d.unlink(key, old)
		if nc != c {
			old.SetContainerAs(nc)
		}
		old.Free(ks.Alloc)
		exists = false
	case found:
		if nc != c {
			old.SetContainerAs(nc)
		}
	default:
		d.link(ds.NewContainer(ks.Alloc, typ, nc.Enc, key, nc.Ref, 0, false, ks.LRUClock), old, false)
		exists = true
	}
	if changes > 0 {
		ks.Dirty += uint64(changes)
		d.after(key, CauseCommand)
	}
	return exists
}

// growRaw returns string entry e (stored in d) as a raw value whose block
// can hold need bytes, with e's current bytes: a raw entry with room is
// returned as is; otherwise the value moves to a new raw block (the entry is
// replaced in the tables, TTL kept) whose capacity is exact when the value
// does not grow (an encoding change only) and amortized when it does.
func (d *DB) growRaw(e ds.Entry, need int) ds.Entry {
	if e.Enc() == ds.EncRaw && e.RawCap() >= need {
		return e
	}
	if e.Enc() == ds.EncRaw && e.RawCap() > 0 {
		// The value block is resized where it lies when the backend can
		// (mem.Reallocator): growing a large value then copies nothing.
		ne := ds.GrowRaw(d.ks.Alloc, &e, ds.GrowCap(need))
		if ne.Ref() != e.Ref() {
			// A new entry block; e now frees only its own.
			d.link(ne, e, true)
		}
		return ne
	}
	cur := e.AppendStr(nil)
	capacity := need
	if need > len(cur) {
		capacity = ds.GrowCap(need)
	}
	ks := d.ks
	ne := ds.NewRawCap(ks.Alloc, e.Key(), cur, capacity, e.Deadline(), e.HasTTL(), ks.LRUClock)
	d.link(ne, e, true)
	return ne
}

// SetDeadline gives key's live entry e a TTL (deadline in Unix ms), or
// removes its TTL when has is false, returning the entry now stored.
func (d *DB) SetDeadline(e ds.Entry, has bool, deadline int64) ds.Entry {
	if !has && !e.HasTTL() {
		return e
	}
	key := e.Key()
	d.before(key, e, true)
	if has && e.HasTTL() {
		e.SetDeadline(deadline)
	} else {
		// The tables read keys through the stored entry, so the old entry
		// leaves them before WithTTL frees it.
		d.unlink(key, e)
		e = e.WithTTL(d.ks.Alloc, has, deadline)
		key = e.Key()
		d.keys.Put(key, e.Ref())
		if has {
			d.expires.Put(key, e.Ref())
		}
	}
	d.ks.Dirty++
	d.after(key, CauseCommand)
	return e
}

// Delete removes key if it is live; reports whether it was.
func (d *DB) Delete(key []byte) bool {
	e, ok := d.Lookup(key)
	if !ok {
		return false
	}
	d.before(key, e, true)
	d.unlink(key, e)
	d.ks.Dirty++
	d.after(key, CauseCommand)
	e.Free(d.ks.Alloc)
	return true
}

// expire deletes e, whose deadline passed, unless expiry is paused.
func (d *DB) expire(e ds.Entry) {
	if d.ks.ExpiryPaused {
		return
	}
	key := e.Key() // aliases e's block, freed last
	d.before(key, e, true)
	d.unlink(key, e)
	d.ks.Stats.ExpiredKeys++
	d.after(key, CauseExpired)
	e.Free(d.ks.Alloc)
}

// Rename moves the value of src (whose live entry is e) to dst in the same
// database, with its TTL, replacing whatever dst held. The value is not
// copied: the entry is rebuilt under the new key around it.
func (d *DB) Rename(src []byte, e ds.Entry, dst []byte) {
	old, found := d.Lookup(dst)
	d.before(src, e, true)
	d.before(dst, old, found)
	d.unlink(src, e)
	ne := e.Rekey(d.ks.Alloc, dst)
	d.link(ne, old, found)
	d.ks.Dirty++
	d.after(src, CauseCommand)
	d.after(dst, CauseCommand)
}

// CopyTo stores a deep copy of e (a live entry of d) as key newkey of dst,
// replacing whatever it held, with the access field lru. It reports false,
// changing nothing, when e's container cannot be copied.
func (d *DB) CopyTo(e ds.Entry, dst *DB, newkey []byte, lru uint32) bool {
	ne, ok := e.Copy(dst.ks.Alloc, newkey, lru)
	if !ok {
		return false
	}
	dst.Put(ne)
	return true
}

// MoveTo moves key, whose live entry in d is e, to dst, where the caller
// checked it does not exist. The entry block moves as it is.
func (d *DB) MoveTo(key []byte, e ds.Entry, dst *DB) {
	d.before(key, e, true)
	dst.before(key, ds.Entry{}, false)
	d.unlink(key, e)
	dst.link(e, ds.Entry{}, false)
	d.ks.Dirty++
	d.after(key, CauseCommand)
	dst.after(key, CauseCommand)
}

// Flush empties the database, freeing every entry. It returns the number of
// keys removed.
func (d *DB) Flush() int {
	if h := d.ks.Hooks.BeforeFlush; h != nil {
		h(d)
	}
	n := d.keys.Len()
	d.expires.Clear(nil)
	d.keys.Clear(func(r mem.Ref) { d.Load(r).Free(d.ks.Alloc) })
	d.ks.Dirty += uint64(n)
	return n
}

// Swap exchanges the contents of two databases (SWAPDB).
func (ks *Keyspace) Swap(i, j int) {
	a, b := ks.DBs[i], ks.DBs[j]
	if h := ks.Hooks.BeforeSwap; h != nil {
		h(a, b)
	}
	a.keys, b.keys = b.keys, a.keys
	a.loc, b.loc = b.loc, a.loc
	a.expires, b.expires = b.expires, a.expires
	ks.Dirty++
}
