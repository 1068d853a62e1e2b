// Package command holds rundb's command table and the handlers of every
// command family (one file each: strings, keys, conn, tx, admin, config,
// info, latency, docs), plus the per-client state those handlers work on.
// The parameters CONFIG reads and writes live in engine/config.
//
// The table is data (specs.go): one row per command with its name, arity,
// flags, key specifications, ACL categories and documentation; each family
// file attaches its handlers to rows by name. Arity follows the usual
// convention: N means exactly N arguments (the command name included), -N
// means at least N. Arity, authentication and transaction queueing are
// checked once, in Server.Execute, so handlers only deal with their own
// arguments.
package command

import (
	"encoding/binary"
	"math/bits"
	"sort"
	"strings"
)

// Flag describes a command for dispatch, COMMAND INFO and transactions.
type Flag uint32

const (
	// FlagWrite: the command may modify the keyspace.
	FlagWrite Flag = 1 << iota
	// FlagReadOnly: the command only reads keys.
	FlagReadOnly
	// FlagDenyOOM: the command may grow memory, so it is refused with
	// ErrOOM when the server is over maxmemory and cannot evict (evict.go).
	FlagDenyOOM
	// FlagAdmin: administrative command (CONFIG, SHUTDOWN, DEBUG...).
	FlagAdmin
	// FlagPubSub: publish/subscribe family.
	FlagPubSub
	// FlagNoScript: not allowed in scripts.
	FlagNoScript
	// FlagLoading: allowed while the dataset loads.
	FlagLoading
	// FlagStale: allowed while a replica has stale data.
	FlagStale
	// FlagSkipMonitor: not shown by MONITOR.
	FlagSkipMonitor
	// FlagSkipSlowlog: not logged by the slow log (EXEC, whose queued
	// commands are); rundb keeps none, COMMAND INFO shows the flag.
	FlagSkipSlowlog
	// FlagFast: O(1) or O(log N) command.
	FlagFast
	// FlagNoAuth: runs before authentication (AUTH, HELLO).
	FlagNoAuth
	// FlagNoMulti: refused inside MULTI ("Command not allowed inside a
	// transaction"), e.g. SHUTDOWN.
	FlagNoMulti
	// FlagAllowBusy: allowed while a script is busy.
	FlagAllowBusy
	// FlagRunsInMulti is rundb's internal mark for the commands that run
	// at once inside MULTI instead of being queued (MULTI, EXEC, DISCARD,
	// WATCH, QUIT, RESET). COMMAND INFO does not show it.
	FlagRunsInMulti
	// FlagBlocking: the command may block the client (BLPOP and friends).
	FlagBlocking
	// FlagNoAsyncLoading: refused while a dataset loads asynchronously
	// (reported by COMMAND INFO; rundb loads before it listens).
	FlagNoAsyncLoading
)

var flagNames = []struct {
	f    Flag
	name string
}{
	{FlagWrite, "write"}, {FlagReadOnly, "readonly"}, {FlagDenyOOM, "denyoom"},
	{FlagAdmin, "admin"}, {FlagPubSub, "pubsub"}, {FlagNoScript, "noscript"},
	{FlagBlocking, "blocking"}, {FlagLoading, "loading"}, {FlagStale, "stale"}, {FlagSkipMonitor, "skip_monitor"},
	{FlagSkipSlowlog, "skip_slowlog"},
	{FlagFast, "fast"}, {FlagNoAuth, "no_auth"}, {FlagNoAsyncLoading, "no_async_loading"}, {FlagNoMulti, "no_multi"},
	{FlagAllowBusy, "allow_busy"},
}

// Command is one command of a server's table: its row (Spec, shared
// data), its handler, its subcommands and its statistics.
type Command struct {
	*Spec
	Handler func(c *Client)
	// Sub holds subcommands (CLIENT, CONFIG, OBJECT...), keyed by lower-case name.
	Sub map[string]*Command

	parent *Command
	// COMMAND INFO's legacy key range and movablekeys flag, derived from
	// the key specifications (legacyRange).
	firstKey, lastKey, step int
	movable                 bool
	// Calls, Usec, RejectedCalls, FailedCalls feed INFO commandstats.
	Calls    uint64
	Usec     uint64
	Rejected uint64
	Failed   uint64
	// latency is the duration histogram (INFO latencystats), made on the
	// first call.
	latency *latencyHistogram
}

// handlers maps command names to their handlers; each family file adds
// its own (handle).
var handlers = map[string]func(c *Client){}

// handle registers handlers by command name; called from each family
// file's init.
func handle(m map[string]func(c *Client)) {
	for name, h := range m {
		if _, dup := handlers[name]; dup {
			panic("command: two handlers for " + name)
		}
		handlers[name] = h
	}
}

// newTable builds a table from the rows in specs and the registered
// handlers.
func newTable() *Table {
	t := NewTable()
	for _, sp := range specs {
		t.Add(&Command{Spec: sp, Handler: handlers[sp.Name]})
	}
	return t
}

// legacyRange derives COMMAND INFO's first key, last key and step from
// key specifications, and whether the keys are movable (not all described
// by that range), by Redis 7.0's rules: a single index/range spec is the
// range itself; otherwise index/range specs with a step of 1 that follow
// one another are merged, and any other spec makes the keys movable.
func legacyRange(specs []keySpec) (first, last, step int, movable bool) {
	plain := func(ks keySpec) bool { return ks.keyword == "" && ks.begin > 0 && ks.find == 'r' }
	abs := func(ks keySpec) int { // the range's last key as an absolute position
		if ks.a >= 0 {
			return ks.a + ks.begin
		}
		return ks.a
	}
	if len(specs) == 1 && plain(specs[0]) {
		return specs[0].begin, abs(specs[0]), specs[0].b, strings.Contains(specs[0].flags, "incomplete")
	}
	prev := 0
	for _, ks := range specs {
		if !plain(ks) || ks.b != 1 || (prev != 0 && prev != ks.begin-1) {
			movable = true
			continue
		}
		if strings.Contains(ks.flags, "incomplete") {
			movable = true
		}
		if first == 0 || ks.begin < first {
			first = ks.begin
		}
		// Compared unsigned, as Redis does: a negative (from the end)
		// last key wins over any position.
		if uint(abs(ks)) > uint(last) {
			last = abs(ks)
		}
		prev = last
	}
	if first == 0 {
		return 0, 0, 0, movable
	}
	return first, last, 1, movable
}

// Table maps lower-case names to commands. Besides the map, idx indexes
// the top-level commands by their names' first 16 bytes packed into two
// words (open addressing, linear probing, at most a quarter full). Lookup
// packs and lowers a name's first 16 bytes with a few word operations
// (packName), so finding a command of up to 16 bytes costs one hash of two
// words and one comparison of two words, without a pass over its bytes.
type Table struct {
	m     map[string]*Command
	idx   []nameSlot
	shift uint
}

// nameSlot is one slot of Table.idx: a command with its packed name.
type nameSlot struct {
	w0, w1 uint64
	n      int
	c      *Command
}

// packName returns the first 16 bytes of name, ASCII letters lowered, as
// two little-endian words (zero past the name's end). It reads whole words
// where the name has them: overlapping loads cover lengths that are not a
// multiple of 8, and three byte loads the names of 1 to 3 bytes.
func packName(name []byte) (w0, w1 uint64) {
	le := binary.LittleEndian
	switch n := len(name); {
	case n >= 16:
		w0, w1 = le.Uint64(name), le.Uint64(name[8:])
	case n > 8:
		w0, w1 = le.Uint64(name), le.Uint64(name[n-8:])>>(8*(16-n))
	case n == 8:
		w0 = le.Uint64(name)
	case n >= 4:
		w0 = uint64(le.Uint32(name)) | uint64(le.Uint32(name[n-4:]))<<(8*(n-4))
	case n > 0:
		w0 = uint64(name[0]) | uint64(name[n/2])<<(8*(n/2)) | uint64(name[n-1])<<(8*(n-1))
	}
	return lowerWord(w0), lowerWord(w1)
}

// lowerWord lowers the ASCII capitals among w's eight bytes: a byte gets
// 0x20 added when its low seven bits are at least 'A' and at most 'Z' and
// its top bit is clear. Each per-byte sum stays below 0x100, so no carry
// crosses into the next byte.
func lowerWord(w uint64) uint64 {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	low := w &^ highs
	geA := low + (0x80-'A')*ones // top bit set where the byte is >= 'A'
	gtZ := low + (0x7F-'Z')*ones // top bit set where the byte is > 'Z'
	upper := (geA &^ gtZ) &^ w & highs
	return w | upper>>2
}

// nameHash mixes a packed name and its length into idx's hash.
func nameHash(w0, w1 uint64, n int) uint64 {
	return (w0 ^ bits.RotateLeft64(w1, 31) ^ uint64(n)) * 0x9E3779B97F4A7C15
}

// reindex rebuilds idx from the top-level commands of m.
func (t *Table) reindex() {
	size, b := 16, uint(4)
	for size < 4*len(t.m) {
		size, b = size*2, b+1
	}
	t.idx, t.shift = make([]nameSlot, size), 64-b
	for name, c := range t.m {
		w0, w1 := packName([]byte(name))
		i := nameHash(w0, w1, len(name)) >> t.shift
		for t.idx[i].c != nil {
			i = (i + 1) & uint64(size-1)
		}
		t.idx[i] = nameSlot{w0: w0, w1: w1, n: len(name), c: c}
	}
}

// NewTable makes an empty table.
func NewTable() *Table { return &Table{m: make(map[string]*Command)} }

// Add registers commands; subcommand names are "parent|sub" and their parent
// must be registered first.
func (t *Table) Add(cmds ...*Command) {
	for _, c := range cmds {
		c.firstKey, c.lastKey, c.step, c.movable = legacyRange(c.KeySpecs)
		if i := strings.IndexByte(c.Name, '|'); i >= 0 {
			p := t.m[c.Name[:i]]
			if p == nil {
				panic("command: subcommand before its parent: " + c.Name)
			}
			if p.Sub == nil {
				p.Sub = make(map[string]*Command)
			}
			c.parent = p
			p.Sub[c.Name[i+1:]] = c
			continue
		}
		if _, dup := t.m[c.Name]; dup {
			panic("command: duplicate " + c.Name)
		}
		t.m[c.Name] = c
	}
	t.reindex()
}

// Lookup finds a top-level command by name, case-insensitively, without
// allocating: see Table. A name longer than 16 bytes is also compared
// whole.
func (t *Table) Lookup(name []byte) *Command {
	if len(t.idx) == 0 {
		return nil
	}
	w0, w1 := packName(name)
	mask := uint64(len(t.idx) - 1)
	for i := nameHash(w0, w1, len(name)) >> t.shift; ; i = (i + 1) & mask {
		sl := &t.idx[i]
		if sl.c == nil {
			return nil
		}
		if sl.w0 == w0 && sl.w1 == w1 && sl.n == len(name) && (len(name) <= 16 || equalLower(sl.c.Name, name)) {
			return sl.c
		}
	}
}

// equalLower reports whether name, ASCII letters lowered, is lower.
func equalLower(lower string, name []byte) bool {
	if len(lower) != len(name) {
		return false
	}
	for i := 0; i < len(name); i++ {
		ch := name[i]
		if ch >= 'A' && ch <= 'Z' {
			ch += 'a' - 'A'
		}
		if ch != lower[i] {
			return false
		}
	}
	return true
}

// Get finds a command by its lower-case full name ("get", "client|list").
func (t *Table) Get(name string) *Command {
	if i := strings.IndexByte(name, '|'); i >= 0 {
		p := t.m[name[:i]]
		if p == nil || p.Sub == nil {
			return nil
		}
		return p.Sub[name[i+1:]]
	}
	return t.m[name]
}

// Sorted returns the top-level commands sorted by name.
func (t *Table) Sorted() []*Command {
	out := make([]*Command, 0, len(t.m))
	for _, c := range t.m {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Len is the number of top-level commands.
func (t *Table) Len() int { return len(t.m) }

// SortedSubs returns c's subcommands sorted by name.
func (c *Command) SortedSubs() []*Command {
	out := make([]*Command, 0, len(c.Sub))
	for _, s := range c.Sub {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func arityOK(arity, n int) bool {
	if arity >= 0 {
		return n == arity
	}
	return n >= -arity
}
