package command

import (
	"math"
	"math/big"
	"strconv"

	"rundb/engine/db"
	"rundb/engine/ds"
	"rundb/engine/resp"
)

// The string family: SET and its variants, GET and its variants, counters,
// and byte-range commands.
//
// Encodings follow Redis's OBJECT ENCODING: a value written whole (SET,
// SETNX, SETEX, MSET, GETSET, APPEND on a missing key) is stored as int when
// it is a canonical int64, embstr up to 44 bytes, raw above; INCR and
// friends store int; INCRBYFLOAT stores its decimal text (embstr or raw, never
// int); APPEND and SETRANGE on an existing key leave a raw value, whose
// block has spare capacity so that repeated appends are amortized O(1).

func init() {
	handle(map[string]func(c *Client){
		"get":         getCommand,
		"set":         setCommand,
		"getdel":      getdelCommand,
		"getex":       getexCommand,
		"getset":      getsetCommand,
		"setnx":       setnxCommand,
		"setex":       setexCommand,
		"psetex":      psetexCommand,
		"mset":        msetCommand,
		"msetnx":      msetnxCommand,
		"mget":        mgetCommand,
		"append":      appendCommand,
		"strlen":      strlenCommand,
		"getrange":    getrangeCommand,
		"substr":      getrangeCommand,
		"setrange":    setrangeCommand,
		"incr":        incrCommand,
		"decr":        decrCommand,
		"incrby":      incrbyCommand,
		"decrby":      decrbyCommand,
		"incrbyfloat": incrbyfloatCommand,
	})
}

const (
	errOffsetRange  = "ERR offset is out of range"
	errStringSize   = "ERR string exceeds maximum allowed size (proto-max-bulk-len)"
	errFloatNaNInf  = "ERR increment would produce NaN or Infinity"
	errDecrOverflow = "ERR decrement would overflow"
)

// ---------------------------------------------------------------------------
// Shared helpers

// lookupString and lookupStringWrite look key up as a string (lookupTyped).
func lookupString(c *Client, key []byte) (ds.Entry, bool, bool) {
	return lookupTyped(c, key, ds.TypeString, false)
}

func lookupStringWrite(c *Client, key []byte) (ds.Entry, bool, bool) {
	return lookupTyped(c, key, ds.TypeString, true)
}

// strBytes returns the bytes of a string entry; an int is formatted into buf.
func strBytes(e ds.Entry, buf *[20]byte) []byte {
	if e.Enc() == ds.EncInt {
		return strconv.AppendInt(buf[:0], e.Int(), 10)
	}
	return e.Str()
}

// replyStr replies the value of string entry e as a bulk string.
func replyStr(c *Client, e ds.Entry) {
	if e.Enc() == ds.EncInt {
		c.ReplyBulkInt(e.Int())
		return
	}
	c.ReplyBulk(e.Str())
}

// checkStringSize replies the size error and reports false when a string
// of n bytes would exceed proto-max-bulk-len.
func checkStringSize(c *Client, n int64) bool {
	if n < 0 || n > c.srv.Config.ProtoMaxBulkLen {
		c.ReplyError(errStringSize)
		return false
	}
	return true
}

// Expiry option flags of SET and GETEX.
const (
	optNX uint16 = 1 << iota
	optXX
	optGet
	optKeepTTL
	optPersist
	optEX
	optPX
	optEXAT
	optPXAT

	optExpire = optEX | optPX | optEXAT | optPXAT
)

// parseStringOpts parses the options of SET (forSet) or GETEX from
// c.Args[from:]. It returns the flags and the argument of the expire
// option (nil if none); on a conflict or an unknown word it replies a
// syntax error and reports false. Repeating an option is allowed; the last
// expire value wins.
func parseStringOpts(c *Client, from int, forSet bool) (flags uint16, expire []byte, ok bool) {
	args := c.Args
	for j := from; j < len(args); j++ {
		opt := args[j]
		hasNext := j+1 < len(args)
		var bit uint16
		switch {
		case forSet && EqualFold(opt, "nx") && flags&optXX == 0:
			flags |= optNX
			continue
		case forSet && EqualFold(opt, "xx") && flags&optNX == 0:
			flags |= optXX
			continue
		case forSet && EqualFold(opt, "get"):
			flags |= optGet
			continue
		case forSet && EqualFold(opt, "keepttl") && flags&(optPersist|optExpire) == 0:
			flags |= optKeepTTL
			continue
		case !forSet && EqualFold(opt, "persist") && flags&(optKeepTTL|optExpire) == 0:
			flags |= optPersist
			continue
		case EqualFold(opt, "ex"):
			bit = optEX
		case EqualFold(opt, "px"):
			bit = optPX
		case EqualFold(opt, "exat"):
			bit = optEXAT
		case EqualFold(opt, "pxat"):
			bit = optPXAT
		default:
			c.ReplySyntaxErr()
			return 0, nil, false
		}
		if !hasNext || flags&(optKeepTTL|optPersist|(optExpire&^bit)) != 0 {
			c.ReplySyntaxErr()
			return 0, nil, false
		}
		flags |= bit
		expire = args[j+1]
		j++
	}
	return flags, expire, true
}

// expireDeadline turns an expire argument into an absolute deadline in Unix
// milliseconds. seconds: the unit is seconds; relative: the value counts
// from now. Errors are replied (naming the command cmd) and reported false.
func expireDeadline(c *Client, arg []byte, seconds, relative bool, cmd string) (int64, bool) {
	v, ok := ds.ParseInt(arg)
	if !ok {
		c.ReplyNotInt()
		return 0, false
	}
	if v <= 0 || (seconds && v > math.MaxInt64/1000) {
		replyInvalidExpire(c, cmd)
		return 0, false
	}
	if seconds {
		v *= 1000
	}
	if relative {
		v += c.srv.KS.NowMs // wraps on overflow, caught just below
	}
	if v <= 0 {
		replyInvalidExpire(c, cmd)
		return 0, false
	}
	return v, true
}

func replyInvalidExpire(c *Client, cmd string) {
	c.ReplyError("ERR invalid expire time in '" + cmd + "' command")
}

// optDeadline computes the deadline for the expire option in flags.
func optDeadline(c *Client, flags uint16, arg []byte, cmd string) (int64, bool) {
	switch {
	case flags&optEX != 0:
		return expireDeadline(c, arg, true, true, cmd)
	case flags&optPX != 0:
		return expireDeadline(c, arg, false, true, cmd)
	case flags&optEXAT != 0:
		return expireDeadline(c, arg, true, false, cmd)
	default:
		return expireDeadline(c, arg, false, false, cmd)
	}
}

// ---------------------------------------------------------------------------
// GET and SET variants

func getCommand(c *Client) {
	e, found, ok := lookupString(c, c.Args[1])
	if !ok {
		return
	}
	if !found {
		c.ReplyNull()
		return
	}
	replyStr(c, e)
}

func setCommand(c *Client) {
	key, val := c.Args[1], c.Args[2]
	if len(c.Args) == 3 {
		// The common case: no options, no lookup needed.
		setString(c, key, val, db.Expiry{})
		c.ReplyOK()
		return
	}
	flags, expire, ok := parseStringOpts(c, 3, true)
	if !ok {
		return
	}
	var deadline int64
	if flags&optExpire != 0 {
		if deadline, ok = optDeadline(c, flags, expire, "set"); !ok {
			return
		}
	}
	var e ds.Entry
	var found bool
	if flags&optGet != 0 {
		if e, found, ok = lookupString(c, key); !ok {
			return
		}
		if found {
			replyStr(c, e)
		} else {
			c.ReplyNull()
		}
	} else if flags&(optNX|optXX|optKeepTTL) != 0 {
		e, found = c.DB.LookupWrite(key)
	}
	if (flags&optNX != 0 && found) || (flags&optXX != 0 && !found) {
		if flags&optGet == 0 {
			c.ReplyNull()
		}
		return
	}
	x := db.At(deadline)
	if flags&optKeepTTL != 0 {
		x = db.KeepTTL
	}
	setString(c, key, val, x)
	if flags&optGet == 0 {
		c.ReplyOK()
	}
	switch {
	case flags&(optEX|optPX|optEXAT) != 0:
		c.rewriteArgs([]byte("SET"), key, val, []byte("PXAT"), strconv.AppendInt(nil, deadline, 10))
	case flags&optGet != 0:
		c.dropOpt(3, "get")
	}
}

func setnxCommand(c *Client) {
	key := c.Args[1]
	if _, found := c.DB.LookupWrite(key); found {
		c.ReplyInt(0)
		return
	}
	setString(c, key, c.Args[2], db.Expiry{})
	c.ReplyInt(1)
}

func setexCommand(c *Client)  { setexGeneric(c, true, "setex") }
func psetexCommand(c *Client) { setexGeneric(c, false, "psetex") }

func setexGeneric(c *Client, seconds bool, name string) {
	deadline, ok := expireDeadline(c, c.Args[2], seconds, true, name)
	if !ok {
		return
	}
	setString(c, c.Args[1], c.Args[3], db.At(deadline))
	c.ReplyOK()
	c.rewriteArgs([]byte("SET"), c.Args[1], c.Args[3], []byte("PXAT"), strconv.AppendInt(nil, deadline, 10))
}

func getsetCommand(c *Client) {
	key := c.Args[1]
	e, found, ok := lookupString(c, key)
	if !ok {
		return
	}
	if found {
		replyStr(c, e)
	} else {
		c.ReplyNull()
	}
	setString(c, key, c.Args[2], db.Expiry{})
}

func getdelCommand(c *Client) {
	key := c.Args[1]
	e, found, ok := lookupString(c, key)
	if !ok {
		return
	}
	if !found {
		c.ReplyNull()
		return
	}
	replyStr(c, e)
	c.DB.Delete(key)
	c.rewriteArgs([]byte("DEL"), key)
}

func getexCommand(c *Client) {
	key := c.Args[1]
	flags, expire, ok := parseStringOpts(c, 2, false)
	if !ok {
		return
	}
	e, found, ok := lookupString(c, key)
	if !ok {
		return
	}
	if !found {
		c.ReplyNull()
		return
	}
	var deadline int64
	if flags&optExpire != 0 {
		if deadline, ok = optDeadline(c, flags, expire, "getex"); !ok {
			return
		}
	}
	replyStr(c, e)
	switch {
	case flags&(optEXAT|optPXAT) != 0 && deadline <= c.srv.KS.NowMs:
		// An absolute time already past deletes the key at once.
		c.DB.Delete(key)
		c.rewriteArgs([]byte("DEL"), key)
	case flags&optExpire != 0:
		c.DB.SetDeadline(e, true, deadline)
		c.rewriteArgs([]byte("PEXPIREAT"), key, strconv.AppendInt(nil, deadline, 10))
	case flags&optPersist != 0 && e.HasTTL():
		c.DB.SetDeadline(e, false, 0)
		c.rewriteArgs([]byte("PERSIST"), key)
	}
}

func msetCommand(c *Client)   { msetGeneric(c, false) }
func msetnxCommand(c *Client) { msetGeneric(c, true) }

func msetGeneric(c *Client, nx bool) {
	if len(c.Args)%2 == 0 {
		c.ReplyArityErr(c.Cmd.Name)
		return
	}
	if nx {
		for j := 1; j < len(c.Args); j += 2 {
			if _, found := c.DB.LookupWrite(c.Args[j]); found {
				c.ReplyInt(0)
				return
			}
		}
	}
	for j := 1; j < len(c.Args); j += 2 {
		if len(c.ArgBlocks) > 0 && keyRepeats(c.Args, j) {
			// A later pair overwrites this key: copy the value, so that
			// no argument points into a block freed by this command.
			c.DB.SetString(c.Args[j], c.Args[j+1], db.Expiry{})
			continue
		}
		setString(c, c.Args[j], c.Args[j+1], db.Expiry{})
	}
	if nx {
		c.ReplyInt(1)
	} else {
		c.ReplyOK()
	}
}

// keyRepeats reports whether the key of MSET's pair at j appears again in a
// later pair.
func keyRepeats(args [][]byte, j int) bool {
	for k := j + 2; k < len(args); k += 2 {
		if string(args[k]) == string(args[j]) {
			return true
		}
	}
	return false
}

func mgetCommand(c *Client) {
	c.ReplyArrayLen(len(c.Args) - 1)
	for _, key := range c.Args[1:] {
		e, found := c.DB.LookupRead(key)
		if !found || e.Type() != ds.TypeString {
			c.ReplyNull()
			continue
		}
		replyStr(c, e)
	}
}

// ---------------------------------------------------------------------------
// Byte ranges

func strlenCommand(c *Client) {
	e, found, ok := lookupString(c, c.Args[1])
	if !ok {
		return
	}
	if !found {
		c.ReplyInt(0)
		return
	}
	c.ReplyInt(int64(e.StrLen()))
}

func appendCommand(c *Client) {
	key, val := c.Args[1], c.Args[2]
	e, found, ok := lookupStringWrite(c, key)
	if !ok {
		return
	}
	if !found {
		setString(c, key, val, db.Expiry{})
		c.ReplyInt(int64(len(val)))
		return
	}
	if !checkStringSize(c, int64(e.StrLen()+len(val))) {
		return
	}
	c.ReplyInt(int64(c.DB.Append(e, val)))
}

func getrangeCommand(c *Client) {
	start, ok := c.IntArg(2)
	if !ok {
		return
	}
	end, ok := c.IntArg(3)
	if !ok {
		return
	}
	e, found, ok := lookupString(c, c.Args[1])
	if !ok {
		return
	}
	if !found {
		c.ReplyBulk(nil)
		return
	}
	var tmp [20]byte
	s := strBytes(e, &tmp)
	n := int64(len(s))
	if start < 0 && end < 0 && start > end {
		c.ReplyBulk(nil)
		return
	}
	if start < 0 {
		start += n
	}
	if end < 0 {
		end += n
	}
	if start < 0 {
		start = 0
	}
	if end < 0 {
		end = 0
	}
	if end >= n {
		end = n - 1
	}
	if n == 0 || start > end {
		c.ReplyBulk(nil)
		return
	}
	c.ReplyBulk(s[start : end+1])
}

func setrangeCommand(c *Client) {
	key, val := c.Args[1], c.Args[3]
	off, ok := c.IntArg(2)
	if !ok {
		return
	}
	if off < 0 {
		c.ReplyError(errOffsetRange)
		return
	}
	e, found, ok := lookupStringWrite(c, key)
	if !ok {
		return
	}
	if len(val) == 0 {
		if found {
			c.ReplyInt(int64(e.StrLen()))
		} else {
			c.ReplyInt(0)
		}
		return
	}
	if !checkStringSize(c, off+int64(len(val))) {
		return
	}
	c.ReplyInt(int64(c.DB.SetRange(key, e, found, int(off), val)))
}

// ---------------------------------------------------------------------------
// Counters

func incrCommand(c *Client) { incrGeneric(c, 1) }
func decrCommand(c *Client) { incrGeneric(c, -1) }

func incrbyCommand(c *Client) {
	if n, ok := c.IntArg(2); ok {
		incrGeneric(c, n)
	}
}

func decrbyCommand(c *Client) {
	n, ok := c.IntArg(2)
	if !ok {
		return
	}
	if n == math.MinInt64 {
		c.ReplyError(errDecrOverflow)
		return
	}
	incrGeneric(c, -n)
}

func incrGeneric(c *Client, by int64) {
	key := c.Args[1]
	e, found, ok := lookupStringWrite(c, key)
	if !ok {
		return
	}
	var v int64
	if found {
		if e.Enc() == ds.EncInt {
			v = e.Int()
		} else if v, ok = ds.ParseInt(e.Str()); !ok {
			c.ReplyNotInt()
			return
		}
	}
	if (by < 0 && v < 0 && by < math.MinInt64-v) || (by > 0 && v > 0 && by > math.MaxInt64-v) {
		c.ReplyError(ErrOverflow)
		return
	}
	v += by
	c.DB.SetInt(key, e, found, v)
	c.ReplyInt(v)
}

func incrbyfloatCommand(c *Client) {
	key := c.Args[1]
	e, found, ok := lookupStringWrite(c, key)
	if !ok {
		return
	}
	// The arithmetic is the reference server's x87 extended precision,
	// emulated exactly by engine/resp (see resp.ParseLongDouble).
	var v *big.Float
	if found {
		var tmp [20]byte
		if v, ok = resp.ParseLongDouble(strBytes(e, &tmp)); !ok {
			c.ReplyError(ErrNotFloat)
			return
		}
	} else {
		v = new(big.Float)
	}
	incr, ok := resp.ParseLongDouble(c.Args[2])
	if !ok {
		c.ReplyError(ErrNotFloat)
		return
	}
	sum, ok := resp.AddLongDouble(v, incr)
	if !ok {
		c.ReplyError(errFloatNaNInf)
		return
	}
	text := []byte(resp.FormatBigLongDouble(sum))
	enc := ds.EncEmbstr
	if len(text) > ds.EmbstrMax {
		enc = ds.EncRaw
	}
	c.DB.SetStringAs(key, text, enc, db.KeepTTL)
	c.ReplyBulk(text)
	c.rewriteArgs([]byte("SET"), key, text, []byte("KEEPTTL"))
}
