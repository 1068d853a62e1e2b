package persist

// The serializer: one key as the RESP commands that rebuild it, in the
// form of a Redis 7.0 base file written with aof-use-rdb-preamble no, so
// that redis-cli --pipe, redis-server 7.0 and rundb's loader replay it:
//
//	*2 $6 SELECT $1 0                  before the first key of a database
//	*3 $3 SET <key> <value>            a string (an int-encoded one as its decimal)
//	*66 $5 RPUSH <key> <e1> .. <e64>   a list, at most 64 elements per command
//	*N $4 SADD <key> <m1> ..           a set, at most 64 members per command
//	*3 $9 PEXPIREAT <key> <ms>         after a key that has a deadline
//
// (each element is a bulk string: `$<len>\r\n<bytes>\r\n`). Commands are
// appended to a buffer that is handed to the writer in chunks of about
// chunkSize bytes; a command may straddle two chunks. A value of chunkSize
// bytes or more goes to the writer directly rather than through the
// buffer, so a 512 MB string is not copied into it.

import (
	"errors"
	"io"
	"strconv"

	"rundb/engine/ds"
	"rundb/engine/mem"
	"rundb/engine/resp"
)

const (
	// chunkSize is about what one Write hands the writer.
	chunkSize = 64 << 10
	// itemsPerCmd bounds the elements of one RPUSH or SADD, as Redis's
	// rewrite does (AOF_REWRITE_ITEMS_PER_CMD), so that no command of a
	// large list is itself large.
	itemsPerCmd = 64
)

// ErrUnsupportedType: a key of a type the serializer cannot write (zsets
// and hashes do not exist in rundb yet).
var ErrUnsupportedType = errors.New("persist: cannot serialize a value of this type")

var (
	cmdSelect    = []byte("SELECT")
	cmdSet       = []byte("SET")
	cmdRPush     = []byte("RPUSH")
	cmdSAdd      = []byte("SADD")
	cmdPExpireAt = []byte("PEXPIREAT")
)

// encoder writes RESP commands to w in chunks. Its first write error is
// kept (err) and stops every later write.
type encoder struct {
	w       io.Writer
	buf     []byte
	err     error
	written int64 // bytes handed to w
	db      int   // the database the last SELECT chose; -1 before any
	num     [20]byte
}

func newEncoder(w io.Writer) encoder {
	return encoder{w: w, buf: make([]byte, 0, chunkSize+chunkSize/4), db: -1}
}

// bytes is what was serialized so far, handed to w or not.
func (c *encoder) bytes() int64 { return c.written + int64(len(c.buf)) }

// flush hands the buffer to w.
func (c *encoder) flush() {
	if len(c.buf) == 0 {
		return
	}
	c.write(c.buf)
	c.buf = c.buf[:0]
}

func (c *encoder) write(b []byte) {
	if c.err != nil {
		return
	}
	n, err := c.w.Write(b)
	c.written += int64(n)
	if err == nil && n < len(b) {
		err = io.ErrShortWrite
	}
	c.err = err
}

func (c *encoder) maybeFlush() {
	if len(c.buf) >= chunkSize {
		c.flush()
	}
}

// header starts a command of n arguments, the first being name.
func (c *encoder) header(n int, name []byte) {
	c.buf = resp.AppendArrayLen(c.buf, n)
	c.buf = resp.AppendBulk(c.buf, name)
}

// bulk appends one argument.
func (c *encoder) bulk(b []byte) {
	if len(b) < chunkSize {
		c.buf = resp.AppendBulk(c.buf, b)
		c.maybeFlush()
		return
	}
	c.buf = resp.AppendBulkHeader(c.buf, len(b))
	c.flush()
	c.write(b)
	c.buf = append(c.buf, '\r', '\n')
}

func (c *encoder) bulkInt(v int64) { c.bulk(strconv.AppendInt(c.num[:0], v, 10)) }

// selectDB emits SELECT id unless id is already selected.
func (c *encoder) selectDB(id int) {
	if c.db == id {
		return
	}
	c.db = id
	c.buf = resp.AppendCommand(c.buf, cmdSelect, strconv.AppendInt(c.num[:0], int64(id), 10))
}

// keyWriter serializes one key, in one call of more or in several: a
// list or set is written at most limit elements per call (whole RPUSH/SADD
// commands), so that the walker can spread a large key over several loop
// turns. The key must not change between the calls (the snapshot's hook
// finishes a pending key before a write reaches it).
type keyWriter struct {
	a      mem.Allocator
	dbID   int
	e      ds.Entry
	next   int    // list: the next element to write
	cursor uint64 // hashtable set: the next SetScan cursor
	batch  [][]byte
}

// checkType reports whether e is of a type the serializer can write.
func checkType(e ds.Entry) error {
	switch t := e.Type(); {
	case t == ds.TypeString, t == ds.TypeSet:
	case t == ds.TypeList && (e.Enc() == ds.EncQuicklist || e.Enc() == ds.EncListpack):
	default:
		return ErrUnsupportedType
	}
	return nil
}

// entry appends the commands that rebuild e (a key of database dbID whose
// blocks come from a) as it is now, whole. It does not look at e's
// deadline against any clock: the caller skips keys it considers expired.
func (c *encoder) entry(a mem.Allocator, dbID int, e ds.Entry) error {
	if err := checkType(e); err != nil {
		return err
	}
	k := keyWriter{a: a, dbID: dbID, e: e}
	c.some(&k, -1)
	return nil
}

// some writes up to limit more elements of k's key (limit < 0: all of it,
// in one go) and reports whether the key is complete. A string is always
// written whole. The deadline follows the last element.
func (c *encoder) some(k *keyWriter, limit int) (done bool) {
	e, key := k.e, k.e.Key()
	c.selectDB(k.dbID)
	switch e.Type() {
	case ds.TypeString:
		v := e.Str()
		if e.Enc() == ds.EncInt {
			v = strconv.AppendInt(c.num[:0], e.Int(), 10)
		}
		if len(key)+len(v) < chunkSize {
			c.buf = resp.AppendCommand(c.buf, cmdSet, key, v)
		} else {
			c.header(3, cmdSet)
			c.bulk(key)
			c.bulk(v)
		}
	case ds.TypeList:
		q := ds.OpenList(k.a, e.ContainerOf())
		n := q.Len()
		end := n
		if limit >= 0 {
			// whole commands only: round the slice up to a batch
			end = min(n, k.next+max(itemsPerCmd, limit/itemsPerCmd*itemsPerCmd))
		}
		if k.next < end {
			// One Range over the slice: locating each batch's start
			// would walk the nodes again per batch.
			i := k.next
			q.Range(k.next, end-1, false, func(el ds.Elem) bool {
				if i%itemsPerCmd == 0 {
					c.header(2+min(itemsPerCmd, n-i), cmdRPush)
					c.bulk(key)
				}
				if el.IsInt {
					c.bulkInt(el.N)
				} else {
					c.bulk(el.S)
				}
				i++
				return true
			})
			k.next = end
		}
		if k.next < n {
			return false
		}
	case ds.TypeSet:
		ct := e.ContainerOf()
		if ct.Enc == ds.EncIntset || limit < 0 {
			n := ct.Len(k.a)
			i := 0
			ds.SetForEach(k.a, ct, func(m []byte) bool {
				if i%itemsPerCmd == 0 {
					c.header(2+min(itemsPerCmd, n-i), cmdSAdd)
					c.bulk(key)
				}
				c.bulk(m)
				i++
				return true
			})
			break
		}
		// A hashtable in slices: SetScan steps (a read may move the
		// set's table along a resize, which its cursor survives), the
		// members gathered into SADDs of up to itemsPerCmd. The member
		// bytes stay valid until the set changes, which it does not
		// during this call.
		written := 0
		for {
			k.cursor = ds.SetScan(k.a, ct, k.cursor, func(m []byte) {
				k.batch = append(k.batch, m)
				if len(k.batch) == itemsPerCmd {
					written += c.sadd(key, k.batch)
					k.batch = k.batch[:0]
				}
			})
			if k.cursor == 0 || written >= limit {
				break
			}
		}
		if len(k.batch) > 0 {
			c.sadd(key, k.batch)
			k.batch = k.batch[:0]
		}
		if k.cursor != 0 {
			return false
		}
	}
	if e.HasTTL() {
		c.buf = resp.AppendCommand(c.buf, cmdPExpireAt, key, strconv.AppendInt(c.num[:0], e.Deadline(), 10))
	}
	c.maybeFlush()
	return true
}

// sadd writes one SADD of members ms and returns len(ms).
func (c *encoder) sadd(key []byte, ms [][]byte) int {
	c.header(2+len(ms), cmdSAdd)
	c.bulk(key)
	for _, m := range ms {
		c.bulk(m)
	}
	return len(ms)
}
