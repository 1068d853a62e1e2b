package command

import (
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"rundb/engine/config"
	"rundb/engine/db"
	"rundb/engine/ds"
	"rundb/engine/mem"
)

// The keyspace family: commands that work on keys whatever their type
// (DEL, EXISTS, TYPE, RENAME, COPY, MOVE, KEYS, SCAN, RANDOMKEY, TOUCH),
// on expiry (EXPIRE and friends, TTL, PERSIST), on whole databases
// (DBSIZE, FLUSHDB, FLUSHALL, SWAPDB), and the introspection commands
// OBJECT and DEBUG.

// DebugSub is one DEBUG subcommand. Arity counts every argument, DEBUG and
// the subcommand name included (N exactly, -N at least N).
type DebugSub struct {
	Name    string // lower case
	Arity   int
	Help    []string // lines of DEBUG HELP, the first one naming the syntax
	Handler func(c *Client)
}

var debugSubs = map[string]*DebugSub{}

// RegisterDebug adds a DEBUG subcommand; other families call it from init.
func RegisterDebug(d *DebugSub) {
	if _, dup := debugSubs[d.Name]; dup {
		panic("command: duplicate debug subcommand " + d.Name)
	}
	debugSubs[d.Name] = d
}

func init() {
	handle(map[string]func(c *Client){
		"del":             delCommand,
		"unlink":          delCommand,
		"exists":          existsCommand,
		"touch":           touchCommand,
		"type":            typeCommand,
		"rename":          renameCommand,
		"renamenx":        renamenxCommand,
		"copy":            copyCommand,
		"move":            moveCommand,
		"keys":            keysCommand,
		"scan":            scanCommand,
		"randomkey":       randomkeyCommand,
		"dbsize":          dbsizeCommand,
		"flushdb":         flushdbCommand,
		"flushall":        flushallCommand,
		"swapdb":          swapdbCommand,
		"expire":          expireCommand,
		"pexpire":         pexpireCommand,
		"expireat":        expireatCommand,
		"pexpireat":       pexpireatCommand,
		"ttl":             ttlCommand,
		"pttl":            pttlCommand,
		"expiretime":      expiretimeCommand,
		"pexpiretime":     pexpiretimeCommand,
		"persist":         persistCommand,
		"object":          objectHelpCommand,
		"object|help":     objectHelpCommand,
		"object|encoding": objectEncodingCommand,
		"object|idletime": objectIdletimeCommand,
		"object|freq":     objectFreqCommand,
		"object|refcount": objectRefcountCommand,
		"debug":           debugCommand,
	})
	RegisterDebug(&DebugSub{Name: "object", Arity: 3, Handler: debugObjectCommand,
		Help: []string{"OBJECT <key>", "    Show low level info about `key` and associated value."}})
	RegisterDebug(&DebugSub{Name: "sleep", Arity: 3, Handler: debugSleepCommand,
		Help: []string{"SLEEP <seconds>", "    Stop the server for <seconds>. Decimals allowed."}})
}

// Type and encoding names as TYPE, OBJECT ENCODING and SCAN TYPE spell them.
var (
	keysTypeNames = [8]string{ds.TypeString: "string", ds.TypeList: "list", ds.TypeSet: "set", ds.TypeZSet: "zset", ds.TypeHash: "hash"}
	keysEncNames  = [8]string{ds.EncInt: "int", ds.EncEmbstr: "embstr", ds.EncRaw: "raw", ds.EncListpack: "listpack",
		ds.EncQuicklist: "quicklist", ds.EncIntset: "intset", ds.EncHashtable: "hashtable"}
)

func keysTypeName(e ds.Entry) string {
	if n := keysTypeNames[e.Type()&7]; n != "" {
		return n
	}
	return "unknown"
}

func keysEncName(e ds.Entry) string {
	if e.Type() == ds.TypeList {
		return "quicklist" // both forms of a list, as Redis 7.0 names every list
	}
	if n := keysEncNames[e.Enc()&7]; n != "" {
		return n
	}
	return "unknown"
}

// keysLookupNoTouch looks key up for a reading command that must not
// change the access clock (EXISTS, TYPE, TTL, OBJECT): expired keys are
// reclaimed and a hit or miss is counted.
func keysLookupNoTouch(d *db.DB, key []byte) (ds.Entry, bool) {
	e, ok := d.Lookup(key)
	st := &d.Keyspace().Stats
	if ok {
		st.KeyspaceHits++
	} else {
		st.KeyspaceMisses++
	}
	return e, ok
}

// errIntRange is the error for an integer argument outside 32 bits.
const errIntRange = "ERR value is out of range, value must between -2147483648 and 2147483647"

// keysDB parses args[i] as a database index: not an integer is ErrNotInt,
// outside 32 bits errIntRange, not a database ErrDBIndex.
func keysDB(c *Client, i int) (*db.DB, bool) {
	n, ok := ds.ParseInt(c.Args[i])
	if !ok {
		c.ReplyNotInt()
		return nil, false
	}
	if n < math.MinInt32 || n > math.MaxInt32 {
		c.ReplyError(errIntRange)
		return nil, false
	}
	dbs := c.Server().KS.DBs
	if n < 0 || n >= int64(len(dbs)) {
		c.ReplyError(ErrDBIndex)
		return nil, false
	}
	return dbs[n], true
}

const errSameObject = "ERR source and destination objects are the same"

// --- DEL, UNLINK, EXISTS, TOUCH, TYPE ---

func delCommand(c *Client) {
	n := int64(0)
	for _, k := range c.Args[1:] {
		if c.DB.Delete(k) {
			n++
		}
	}
	c.ReplyInt(n)
}

func existsCommand(c *Client) {
	n := int64(0)
	for _, k := range c.Args[1:] {
		if _, ok := keysLookupNoTouch(c.DB, k); ok {
			n++
		}
	}
	c.ReplyInt(n)
}

func touchCommand(c *Client) {
	n := int64(0)
	for _, k := range c.Args[1:] {
		if _, ok := c.DB.LookupRead(k); ok {
			n++
		}
	}
	c.ReplyInt(n)
}

func typeCommand(c *Client) {
	e, ok := keysLookupNoTouch(c.DB, c.Args[1])
	if !ok {
		c.ReplySimple("none")
		return
	}
	c.ReplySimple(keysTypeName(e))
}

// --- RENAME, RENAMENX, COPY, MOVE ---

func renameCommand(c *Client)   { renameGeneric(c, false) }
func renamenxCommand(c *Client) { renameGeneric(c, true) }

func renameGeneric(c *Client, nx bool) {
	d := c.DB
	src, dst := c.Args[1], c.Args[2]
	e, ok := d.LookupWrite(src)
	if !ok {
		c.ReplyError(ErrNoSuchKey)
		return
	}
	if string(src) == string(dst) {
		if nx {
			c.ReplyInt(0)
		} else {
			c.ReplyOK()
		}
		return
	}
	if _, exists := d.LookupWrite(dst); exists && nx {
		c.ReplyInt(0)
		return
	}
	d.Rename(src, e, dst)
	if nx {
		c.ReplyInt(1)
	} else {
		c.ReplyOK()
	}
}

func copyCommand(c *Client) {
	s := c.Server()
	src := c.DB
	dst := src
	replace := false
	for j := 3; j < len(c.Args); j++ {
		switch {
		case EqualFold(c.Args[j], "replace"):
			replace = true
		case EqualFold(c.Args[j], "db") && j+1 < len(c.Args):
			d, ok := keysDB(c, j+1)
			if !ok {
				return
			}
			dst = d
			j++
		default:
			c.ReplySyntaxErr()
			return
		}
	}
	key, newkey := c.Args[1], c.Args[2]
	if src == dst && string(key) == string(newkey) {
		c.ReplyError(errSameObject)
		return
	}
	e, ok := src.LookupRead(key)
	if !ok {
		c.ReplyInt(0)
		return
	}
	if _, exists := dst.LookupWrite(newkey); exists && !replace {
		c.ReplyInt(0)
		return
	}
	if !src.CopyTo(e, dst, newkey, s.KS.LRUClock) {
		c.ReplyError("ERR COPY is not supported for this type")
		return
	}
	c.ReplyInt(1)
}

func moveCommand(c *Client) {
	src := c.DB
	dst, ok := keysDB(c, 2)
	if !ok {
		return
	}
	if src == dst {
		c.ReplyError(errSameObject)
		return
	}
	key := c.Args[1]
	e, ok := src.LookupWrite(key)
	if !ok {
		c.ReplyInt(0)
		return
	}
	if _, exists := dst.LookupWrite(key); exists {
		c.ReplyInt(0)
		return
	}
	src.MoveTo(key, e, dst)
	c.ReplyInt(1)
}

// --- KEYS, SCAN, RANDOMKEY ---

func keysCommand(c *Client) {
	d := c.DB
	pat := c.Args[1]
	all := len(pat) == 1 && pat[0] == '*'
	now := c.Server().KS.NowMs
	var keys [][]byte // alias entry blocks; nothing is freed during the walk
	d.ForEach(func(e ds.Entry) bool {
		if e.HasTTL() && e.Deadline() <= now {
			return true
		}
		k := e.Key()
		if all || StringMatch(pat, k, false) {
			keys = append(keys, k)
		}
		return true
	})
	c.ReplyArrayLen(len(keys))
	for _, k := range keys {
		c.ReplyBulk(k)
	}
}

// ParseScanCursor parses a SCAN cursor as an unsigned decimal, the way
// clients may send it: an optional sign ('-' wraps around), no leading
// space, nothing after the digits, within 64 bits. The empty string is 0.
func ParseScanCursor(b []byte) (uint64, bool) {
	if len(b) > 0 {
		switch b[0] {
		case ' ', '\t', '\n', '\v', '\f', '\r':
			return 0, false
		}
	}
	if len(b) == 0 {
		return 0, true
	}
	neg := false
	i := 0
	if b[0] == '+' || b[0] == '-' {
		neg = b[0] == '-'
		i = 1
	}
	start := i
	var v uint64
	for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		d := uint64(b[i] - '0')
		if v > (math.MaxUint64-d)/10 {
			return 0, false
		}
		v = v*10 + d
	}
	if i == start {
		return 0, false // no digits: nothing converted, the sign is left over
	}
	if i < len(b) && b[i] != 0 {
		return 0, false
	}
	if neg {
		v = -v
	}
	return v, true
}

// ReplyScanCursor replies the first element of a SCAN-style reply.
func (c *Client) ReplyScanCursor(cursor uint64) {
	var buf [20]byte
	c.ReplyBulk(strconv.AppendUint(buf[:0], cursor, 10))
}

// parseScanOpts parses the COUNT, MATCH and (withType, SCAN's) TYPE options
// of a SCAN-family command from c.Args[from:], replying the error and
// reporting false on a bad one. A MATCH of "*" is no pattern.
func parseScanOpts(c *Client, from int, withType bool) (count int64, pat, typ []byte, ok bool) {
	count = 10
	for i := from; i < len(c.Args); i += 2 {
		more := len(c.Args)-i >= 2
		switch {
		case EqualFold(c.Args[i], "count") && more:
			n, ok := c.IntArg(i + 1)
			if !ok {
				return 0, nil, nil, false
			}
			if n < 1 {
				c.ReplySyntaxErr()
				return 0, nil, nil, false
			}
			count = n
		case EqualFold(c.Args[i], "match") && more:
			pat = c.Args[i+1]
			if len(pat) == 1 && pat[0] == '*' {
				pat = nil
			}
		case withType && EqualFold(c.Args[i], "type") && more:
			typ = c.Args[i+1]
		default:
			c.ReplySyntaxErr()
			return 0, nil, nil, false
		}
	}
	return count, pat, typ, true
}

func scanCommand(c *Client) {
	cursor, ok := ParseScanCursor(c.Args[1])
	if !ok {
		c.ReplyError("ERR invalid cursor")
		return
	}
	count, pat, typ, ok := parseScanOpts(c, 2, true)
	if !ok {
		return
	}
	d := c.DB
	ks := c.Server().KS
	now := ks.NowMs

	// Keys are copied into one buffer: the walk must not change the table,
	// and expired keys met on the way are reclaimed after it.
	var buf []byte
	var ends []int    // end offset in buf of each kept key
	var expired []int // indexes into ends of keys to reclaim
	visited := int64(0)
	collect := func(e ds.Entry) {
		visited++
		k := e.Key()
		if pat != nil && !StringMatch(pat, k, false) {
			return
		}
		dead := e.HasTTL() && e.Deadline() <= now
		if typ != nil {
			if dead {
				ks.Stats.KeyspaceMisses++
				// expired keys are reclaimed below; the filter never keeps them
			} else {
				ks.Stats.KeyspaceHits++
				if !EqualFold(typ, keysTypeName(e)) {
					return
				}
			}
		}
		buf = append(buf, k...)
		ends = append(ends, len(buf))
		if dead {
			expired = append(expired, len(ends)-1)
		}
	}
	maxIter := count * 10
	if count > math.MaxInt64/10 {
		maxIter = math.MaxInt64
	}
	for {
		cursor = d.Scan(cursor, collect)
		if cursor == 0 || maxIter == 0 || visited >= count {
			break
		}
		maxIter--
	}
	keyAt := func(i int) []byte {
		start := 0
		if i > 0 {
			start = ends[i-1]
		}
		return buf[start:ends[i]]
	}
	for _, i := range expired {
		d.Lookup(keyAt(i)) // deletes it, as it is past its deadline
	}
	c.ReplyArrayLen(2)
	c.ReplyScanCursor(cursor)
	c.ReplyArrayLen(len(ends) - len(expired))
	next := 0
	for i := range ends {
		if next < len(expired) && expired[next] == i {
			next++
			continue
		}
		c.ReplyBulk(keyAt(i))
	}
}

func randomkeyCommand(c *Client) {
	e, ok := c.DB.Random(c.Server().Rand)
	if !ok {
		c.ReplyNull()
		return
	}
	c.ReplyBulk(e.Key())
}

// --- DBSIZE, FLUSHDB, FLUSHALL, SWAPDB ---

func dbsizeCommand(c *Client) { c.ReplyInt(int64(c.DB.Len())) }

// keysFlushArgs checks the optional ASYNC|SYNC argument; both flush at once.
func keysFlushArgs(c *Client) bool {
	if len(c.Args) > 2 || (len(c.Args) == 2 && !EqualFold(c.Args[1], "sync") && !EqualFold(c.Args[1], "async")) {
		c.ReplySyntaxErr()
		return false
	}
	return true
}

func flushdbCommand(c *Client) {
	if !keysFlushArgs(c) {
		return
	}
	if c.DB.Flush() > 0 {
		mem.Trim(c.DB.Alloc())
	}
	c.forcePropagation()
	c.ReplyOK()
}

func flushallCommand(c *Client) {
	if !keysFlushArgs(c) {
		return
	}
	s := c.Server()
	n := 0
	for _, d := range s.KS.DBs {
		n += d.Flush()
	}
	if n > 0 {
		mem.Trim(s.KS.Alloc)
	}
	c.forcePropagation()
	c.ReplyOK()
}

func swapdbCommand(c *Client) {
	s := c.Server()
	var ids [2]int64
	for i, msg := range [2]string{"ERR invalid first DB index", "ERR invalid second DB index"} {
		n, ok := ds.ParseInt(c.Args[i+1])
		if !ok || n < math.MinInt32 || n > math.MaxInt32 {
			c.ReplyError(msg)
			return
		}
		ids[i] = n
	}
	n := int64(len(s.KS.DBs))
	if ids[0] < 0 || ids[0] >= n || ids[1] < 0 || ids[1] >= n {
		c.ReplyError(ErrDBIndex)
		return
	}
	if ids[0] != ids[1] {
		s.KS.Swap(int(ids[0]), int(ids[1]))
	}
	c.ReplyOK()
}

// --- EXPIRE family, TTL family, PERSIST ---

const (
	expireNX = 1 << iota
	expireXX
	expireGT
	expireLT
)

func expireCommand(c *Client)    { expireGeneric(c, true, true, "expire") }
func pexpireCommand(c *Client)   { expireGeneric(c, false, true, "pexpire") }
func expireatCommand(c *Client)  { expireGeneric(c, true, false, "expireat") }
func pexpireatCommand(c *Client) { expireGeneric(c, false, false, "pexpireat") }

func expireGeneric(c *Client, seconds, relative bool, name string) {
	flags := 0
	for _, a := range c.Args[3:] {
		switch {
		case EqualFold(a, "nx"):
			flags |= expireNX
		case EqualFold(a, "xx"):
			flags |= expireXX
		case EqualFold(a, "gt"):
			flags |= expireGT
		case EqualFold(a, "lt"):
			flags |= expireLT
		default:
			c.ReplyError("ERR Unsupported option " + cstr(a))
			return
		}
	}
	if flags&expireNX != 0 && flags&(expireXX|expireGT|expireLT) != 0 {
		c.ReplyError("ERR NX and XX, GT or LT options at the same time are not compatible")
		return
	}
	if flags&expireGT != 0 && flags&expireLT != 0 {
		c.ReplyError("ERR GT and LT options at the same time are not compatible")
		return
	}
	when, ok := c.IntArg(2)
	if !ok {
		return
	}
	invalid := "ERR invalid expire time in '" + name + "' command"
	if seconds {
		if when > math.MaxInt64/1000 || when < math.MinInt64/1000 {
			c.ReplyError(invalid)
			return
		}
		when *= 1000
	}
	if relative {
		base := c.Server().KS.NowMs
		if when > math.MaxInt64-base {
			c.ReplyError(invalid)
			return
		}
		when += base
	}
	d := c.DB
	key := c.Args[1]
	e, ok := d.LookupWrite(key)
	if !ok {
		c.ReplyInt(0)
		return
	}
	if flags != 0 {
		has, cur := e.HasTTL(), e.Deadline()
		if (flags&expireNX != 0 && has) ||
			(flags&expireXX != 0 && !has) ||
			(flags&expireGT != 0 && (!has || when <= cur)) ||
			(flags&expireLT != 0 && has && when >= cur) {
			c.ReplyInt(0)
			return
		}
	}
	if when <= c.Server().KS.NowMs {
		d.Delete(key)
		c.rewriteArgs([]byte("DEL"), key)
	} else {
		d.SetDeadline(e, true, when)
		if relative || seconds {
			c.rewriteArg(0, []byte("PEXPIREAT"))
			c.rewriteArg(2, strconv.AppendInt(nil, when, 10))
		}
	}
	c.ReplyInt(1)
}

// keysDeadline looks key up for the TTL family: -2 when missing, -1
// without a TTL, else the deadline in ms (ok true).
func keysDeadline(c *Client) (int64, bool) {
	e, found := keysLookupNoTouch(c.DB, c.Args[1])
	switch {
	case !found:
		c.ReplyInt(-2)
		return 0, false
	case !e.HasTTL():
		c.ReplyInt(-1)
		return 0, false
	}
	return e.Deadline(), true
}

func ttlCommand(c *Client)  { ttlGeneric(c, false) }
func pttlCommand(c *Client) { ttlGeneric(c, true) }

func ttlGeneric(c *Client, ms bool) {
	deadline, ok := keysDeadline(c)
	if !ok {
		return
	}
	ttl := deadline - c.Server().KS.NowMs
	if ttl < 0 {
		ttl = 0
	}
	if ms {
		c.ReplyInt(ttl)
	} else {
		c.ReplyInt((ttl + 500) / 1000)
	}
}

func expiretimeCommand(c *Client) {
	if deadline, ok := keysDeadline(c); ok {
		// Rounded, as TTL is; unsigned, so that a deadline near the
		// int64 limit does not wrap.
		c.ReplyInt(int64((uint64(deadline) + 500) / 1000))
	}
}

func pexpiretimeCommand(c *Client) {
	if deadline, ok := keysDeadline(c); ok {
		c.ReplyInt(deadline)
	}
}

func persistCommand(c *Client) {
	e, ok := c.DB.LookupWrite(c.Args[1])
	if !ok || !e.HasTTL() {
		c.ReplyInt(0)
		return
	}
	c.DB.SetDeadline(e, false, 0)
	c.ReplyInt(1)
}

// --- OBJECT ---

var objectHelp = []string{
	"ENCODING <key>",
	"    Return the kind of internal representation used in order to store the value",
	"    associated with a <key>.",
	"FREQ <key>",
	"    Return the access frequency index of the <key>. The returned integer is",
	"    proportional to the logarithm of the recent access frequency of the key.",
	"IDLETIME <key>",
	"    Return the idle time of the <key>, that is the approximated number of",
	"    seconds elapsed since the last access to the key.",
	"REFCOUNT <key>",
	"    Return the number of references of the value associated with the specified",
	"    <key>.",
}

func objectHelpCommand(c *Client) { c.replyHelp("OBJECT", objectHelp...) }

// objectLookup finds OBJECT's key (args[2]) or replies a null.
func objectLookup(c *Client) (ds.Entry, bool) {
	e, ok := keysLookupNoTouch(c.DB, c.Args[2])
	if !ok {
		c.ReplyNull()
	}
	return e, ok
}

func objectEncodingCommand(c *Client) {
	if e, ok := objectLookup(c); ok {
		c.ReplyBulkString(keysEncName(e))
	}
}

func policyLFU(cfg *config.Config) bool { return strings.HasSuffix(cfg.MaxMemoryPolicy, "-lfu") }
func policyLRU(cfg *config.Config) bool { return strings.HasSuffix(cfg.MaxMemoryPolicy, "-lru") }

func objectIdletimeCommand(c *Client) {
	e, ok := objectLookup(c)
	if !ok {
		return
	}
	if policyLFU(c.Server().Config) {
		c.ReplyError("ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.")
		return
	}
	c.ReplyInt(keysIdleSeconds(c.Server().KS.LRUClock, e.LRU()))
}

// keysIdleSeconds is the time since lru on the access clock, which wraps
// at LRUMax.
func keysIdleSeconds(clock, lru uint32) int64 {
	if clock >= lru {
		return int64(clock - lru)
	}
	return int64(clock) + int64(db.LRUMax-lru)
}

func objectFreqCommand(c *Client) {
	e, ok := objectLookup(c)
	if !ok {
		return
	}
	s := c.Server()
	if !policyLFU(s.Config) {
		c.ReplyError("ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.")
		return
	}
	c.ReplyInt(s.KS.LFUCounter(e.LRU()))
}

// keysRefcount is what OBJECT REFCOUNT answers: small integers are shared
// objects (refcount INT_MAX) unless an LRU/LFU policy under maxmemory needs
// per-key access fields.
func keysRefcount(cfg *config.Config, e ds.Entry) int64 {
	if e.Type() == ds.TypeString && e.Enc() == ds.EncInt && !e.Own() && e.Int() >= 0 && e.Int() < 10000 &&
		(cfg.MaxMemory == 0 || !(policyLFU(cfg) || policyLRU(cfg))) {
		return math.MaxInt32
	}
	return 1
}

func objectRefcountCommand(c *Client) {
	if e, ok := objectLookup(c); ok {
		c.ReplyInt(keysRefcount(c.Server().Config, e))
	}
}

// --- DEBUG ---

func debugCommand(c *Client) {
	name := Lower(c.Args[1])
	if name == "help" && len(c.Args) == 2 {
		debugHelp(c)
		return
	}
	sub := debugSubs[name]
	if sub == nil || !arityOK(sub.Arity, len(c.Args)) {
		c.replySubSyntaxErr("DEBUG")
		return
	}
	sub.Handler(c)
}

func debugHelp(c *Client) {
	names := make([]string, 0, len(debugSubs))
	for n := range debugSubs {
		names = append(names, n)
	}
	sort.Strings(names)
	var lines []string
	for _, n := range names {
		lines = append(lines, debugSubs[n].Help...)
	}
	c.replyHelp("DEBUG", lines...)
}

// keysSerializedLen estimates the length of a string value in a snapshot:
// small integers take a type byte and 1, 2 or 4 bytes; other strings a
// length prefix and their bytes (no compression is assumed).
func keysSerializedLen(e ds.Entry) int {
	if e.Type() != ds.TypeString {
		return 0 // containers: not estimated (no snapshot format for them yet)
	}
	var buf [20]byte
	var val []byte
	if e.Enc() == ds.EncInt {
		val = strconv.AppendInt(buf[:0], e.Int(), 10)
	} else {
		val = e.Str()
	}
	if len(val) <= 11 {
		if n, ok := ds.ParseInt(val); ok {
			switch {
			case n >= math.MinInt8 && n <= math.MaxInt8:
				return 2
			case n >= math.MinInt16 && n <= math.MaxInt16:
				return 3
			case n >= math.MinInt32 && n <= math.MaxInt32:
				return 5
			}
		}
	}
	n := len(val)
	switch {
	case n < 1<<6:
		return 1 + n
	case n < 1<<14:
		return 2 + n
	case n <= math.MaxUint32:
		return 5 + n
	}
	return 9 + n
}

func debugObjectCommand(c *Client) {
	e, ok := c.DB.Peek(c.Args[2])
	if !ok {
		c.ReplyError(ErrNoSuchKey)
		return
	}
	s := c.Server()
	var b []byte
	b = append(b, "Value at:0x"...)
	b = strconv.AppendUint(b, uint64(e.Ref()), 16)
	b = append(b, " refcount:"...)
	b = strconv.AppendInt(b, keysRefcount(s.Config, e), 10)
	b = append(b, " encoding:"...)
	b = append(b, keysEncName(e)...)
	b = append(b, " serializedlength:"...)
	b = strconv.AppendInt(b, int64(keysSerializedLen(e)), 10)
	b = append(b, " lru:"...)
	b = strconv.AppendUint(b, uint64(e.LRU()), 10)
	b = append(b, " lru_seconds_idle:"...)
	b = strconv.AppendInt(b, keysIdleSeconds(s.KS.LRUClock, e.LRU()), 10)
	if e.Type() == ds.TypeList {
		// The quicklist's shape, in Redis's fields (a bare list is one
		// node); nodes are never compressed in rundb.
		q := ds.OpenList(c.DB.Alloc(), e.ContainerOf())
		nodes, lpBytes := q.Nodes(), q.ListpackBytes()
		b = append(b, " ql_nodes:"...)
		b = strconv.AppendInt(b, int64(nodes), 10)
		b = append(b, " ql_avg_node:"...)
		b = strconv.AppendFloat(b, float64(q.Len())/float64(max(nodes, 1)), 'f', 2, 64)
		b = append(b, " ql_listpack_max:"...)
		b = strconv.AppendInt(b, int64(q.Fill()), 10)
		b = append(b, " ql_compressed:0 ql_uncompressed_size:"...)
		b = strconv.AppendInt(b, int64(lpBytes), 10)
	}
	c.ReplySimple(string(b))
}

func debugSleepCommand(c *Client) {
	// The longest numeric prefix counts ("1abc" sleeps one second); no
	// number at all sleeps for zero seconds.
	sec := keysFloatPrefix(c.Args[2])
	if sec > 0 && !math.IsInf(sec, 0) {
		time.Sleep(time.Duration(sec * float64(time.Second)))
	}
	c.ReplyOK()
}

// keysFloatPrefix parses the longest prefix of b that is a decimal number
// ([+-]digits[.digits][e[+-]digits], after leading spaces), or 0.
func keysFloatPrefix(b []byte) float64 {
	i := 0
	for i < len(b) && (b[i] == ' ' || b[i] == '\t') {
		i++
	}
	start := i
	if i < len(b) && (b[i] == '+' || b[i] == '-') {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
			n++
		}
		return n
	}
	n := digits()
	if i < len(b) && b[i] == '.' {
		i++
		n += digits()
	}
	if n == 0 {
		return 0
	}
	end := i
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if digits() > 0 {
			end = i
		}
	}
	f, _ := strconv.ParseFloat(string(b[start:end]), 64)
	return f
}
