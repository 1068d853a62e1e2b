package command

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"rundb/engine/db"
	"rundb/engine/ds"
	"rundb/engine/mem"
	"rundb/variants/goheap"
)

// keysSet stores a string in d without going through a command.
func keysSet(d *db.DB, key, val string) {
	v := []byte(val)
	d.Put(ds.NewString(d.Alloc(), []byte(key), v, ds.StringEncoding(v), 0, false, d.Keyspace().LRUClock))
}

// keysSetRaw stores a raw-encoded string (as APPEND results are).
func keysSetRaw(d *db.DB, key, val string, capacity int) {
	d.Put(ds.NewRawCap(d.Alloc(), []byte(key), []byte(val), capacity, 0, false, d.Keyspace().LRUClock))
}

// keysTestContainer registers a stand-in list container (an 8-byte block
// holding a number) so that container moves and copies can be checked;
// the test restores the real operations when it ends.
func keysTestContainer(t *testing.T, ks *db.Keyspace) (newList func(d *db.DB, key string, v uint64) mem.Ref, read func(r mem.Ref) uint64, live *int) {
	a := ks.Alloc
	n := 0
	old := ds.RegisterContainer(ds.EncQuicklist, ds.ContainerOps{
		Free: func(a mem.Allocator, r mem.Ref) { a.Free(mem.PurposeContainer, r, 8); n-- },
		Copy: func(a mem.Allocator, r mem.Ref) mem.Ref {
			nr := a.Alloc(mem.PurposeContainer, 8)
			copy(a.Bytes(nr, 8), a.Bytes(r, 8))
			n++
			return nr
		},
	})
	t.Cleanup(func() { ds.RegisterContainer(ds.EncQuicklist, old) })
	newList = func(d *db.DB, key string, v uint64) mem.Ref {
		r := a.Alloc(mem.PurposeContainer, 8)
		b := a.Bytes(r, 8)
		for i := range b {
			b[i] = byte(v >> (8 * i))
		}
		n++
		d.Put(ds.NewContainer(a, ds.TypeList, ds.EncQuicklist, []byte(key), r, 0, false, 0))
		return r
	}
	read = func(r mem.Ref) uint64 {
		b := a.Bytes(r, 8)
		var v uint64
		for i := range b {
			v |= uint64(b[i]) << (8 * i)
		}
		return v
	}
	return newList, read, &n
}

type keysStep struct {
	args []string
	want string
}

func keysCmd(want string, args ...string) keysStep { return keysStep{args, want} }

func keysRunSteps(t *testing.T, s *Server, c *Client, steps []keysStep) {
	t.Helper()
	for _, st := range steps {
		got := do(s, c, st.args...)
		if st.want == "*sorted*" {
			continue
		}
		if got != st.want {
			t.Errorf("%q: got %q; want %q", st.args, got, st.want)
		}
	}
}

const (
	rOK   = "+OK\r\n"
	rZero = ":0\r\n"
	rOne  = ":1\r\n"
	rNull = "$-1\r\n"
)

func TestKeysBasic(t *testing.T) {
	s, c := testServer(nil)
	d := c.DB
	keysSet(d, "a", "1")
	keysSet(d, "b", "2")
	keysSet(d, "c", "3")
	keysRunSteps(t, s, c, []keysStep{
		keysCmd(":3\r\n", "DBSIZE"),
		keysCmd(rOne, "DEL", "a"),
		keysCmd(rZero, "DEL", "a"),
		keysCmd(":2\r\n", "DEL", "b", "c", "missing", "b"),
		keysCmd(rZero, "DBSIZE"),
		keysCmd("-ERR wrong number of arguments for 'del' command\r\n", "DEL"),
		keysCmd("-ERR wrong number of arguments for 'dbsize' command\r\n", "DBSIZE", "x"),
		keysCmd(rZero, "UNLINK", "x"),
		keysCmd(rNull, "RANDOMKEY"),
	})
	keysSet(d, "e", "1")
	keysRunSteps(t, s, c, []keysStep{
		keysCmd(":3\r\n", "EXISTS", "e", "e", "e"),
		keysCmd(":2\r\n", "EXISTS", "e", "missing", "e"),
		keysCmd(rZero, "EXISTS", "", ""),
		keysCmd(":2\r\n", "TOUCH", "e", "missing", "e"),
		keysCmd("+string\r\n", "TYPE", "e"),
		keysCmd("+none\r\n", "TYPE", "missing"),
		keysCmd("$1\r\ne\r\n", "RANDOMKEY"),
		keysCmd(rOne, "UNLINK", "e", "x"),
	})
	if hits, misses := s.KS.Stats.KeyspaceHits, s.KS.Stats.KeyspaceMisses; hits != 8 || misses != 5 {
		t.Errorf("hits/misses = %d/%d; want 8/5", hits, misses)
	}
}

func TestKeysRename(t *testing.T) {
	s, c := testServer(nil)
	d := c.DB
	keysSet(d, "src", "v")
	keysRunSteps(t, s, c, []keysStep{
		keysCmd(rOK, "RENAME", "src", "dst"),
		keysCmd(rZero, "EXISTS", "src"),
		keysCmd("+string\r\n", "TYPE", "dst"),
		keysCmd("-ERR no such key\r\n", "RENAME", "missing", "dst"),
		keysCmd("-ERR no such key\r\n", "RENAME", "missing", "missing"),
		keysCmd(rOK, "RENAME", "dst", "dst"),
		keysCmd(rOne, "EXISTS", "dst"),
		keysCmd("-ERR no such key\r\n", "RENAMENX", "missing", "x"),
		keysCmd(rZero, "RENAMENX", "dst", "dst"),
		keysCmd("-ERR wrong number of arguments for 'rename' command\r\n", "RENAME", "a"),
	})
	// TTL follows the value; the destination's own TTL is dropped.
	keysSet(d, "t", "hello")
	keysRunSteps(t, s, c, []keysStep{
		keysCmd(rOne, "EXPIRE", "t", "100"),
		keysCmd(rOK, "RENAME", "t", "t2"),
		keysCmd(":100\r\n", "TTL", "t2"),
		keysCmd(rOK, "RENAME", "t2", "dst"),
		keysCmd(":100\r\n", "TTL", "dst"),
		keysCmd(":-2\r\n", "TTL", "t2"),
	})
	keysSet(d, "plain", "p")
	keysRunSteps(t, s, c, []keysStep{
		keysCmd(rOK, "RENAME", "plain", "dst"),
		keysCmd(":-1\r\n", "TTL", "dst"),
	})
	keysSet(d, "r1", "1")
	keysSet(d, "r2", "2")
	keysRunSteps(t, s, c, []keysStep{
		keysCmd(rZero, "RENAMENX", "r1", "r2"),
		keysCmd(rOne, "RENAMENX", "r1", "r3"),
		keysCmd(rZero, "EXISTS", "r1"),
		keysCmd("$3\r\nint\r\n", "OBJECT", "ENCODING", "r3"),
	})
	// Encodings survive: raw keeps its capacity, embstr stays embstr.
	big := strings.Repeat("x", 50)
	keysSetRaw(d, "raw", "ab", 64)
	keysSet(d, "big", big)
	keysRunSteps(t, s, c, []keysStep{
		keysCmd(rOK, "RENAME", "raw", "raw2"),
		keysCmd("$3\r\nraw\r\n", "OBJECT", "ENCODING", "raw2"),
		keysCmd(rOK, "RENAME", "big", "big2"),
		keysCmd("$3\r\nraw\r\n", "OBJECT", "ENCODING", "big2"),
		keysCmd(rOK, "RENAME", "dst", "emb"),
		keysCmd("$6\r\nembstr\r\n", "OBJECT", "ENCODING", "emb"),
	})
	if e, _ := d.Peek([]byte("raw2")); string(e.Str()) != "ab" || e.RawCap() != 64 {
		t.Errorf("raw2 = %q cap %d", e.Str(), e.RawCap())
	}
	if e, _ := d.Peek([]byte("big2")); string(e.Str()) != big {
		t.Errorf("big2 = %q", e.Str())
	}
	if e, _ := d.Peek([]byte("r3")); e.Int() != 1 {
		t.Errorf("r3 = %d", e.Int())
	}
}

func TestKeysContainerMoves(t *testing.T) {
	s, c := testServer(nil)
	newList, read, live := keysTestContainer(t, s.KS)
	d := c.DB
	r := newList(d, "l", 42)
	keysRunSteps(t, s, c, []keysStep{
		keysCmd("+list\r\n", "TYPE", "l"),
		keysCmd("$9\r\nquicklist\r\n", "OBJECT", "ENCODING", "l"),
		keysCmd(rOK, "RENAME", "l", "l2"),
	})
	e, ok := d.Peek([]byte("l2"))
	if !ok || e.Container() != r || *live != 1 {
		t.Fatalf("RENAME did not move the container: %v %v live=%d", ok, e.Container(), *live)
	}
	keysRunSteps(t, s, c, []keysStep{
		keysCmd(rOne, "COPY", "l2", "l3"),
		keysCmd(rOne, "MOVE", "l2", "1"),
	})
	e3, _ := d.Peek([]byte("l3"))
	if e3.Container() == r || read(e3.Container()) != 42 || *live != 2 {
		t.Fatalf("COPY did not deep-copy: %v live=%d", e3.Container(), *live)
	}
	e1, ok := s.KS.DBs[1].Peek([]byte("l2"))
	if !ok || e1.Container() != r {
		t.Fatalf("MOVE lost the container")
	}
	// Overwriting a list by RENAME frees its container.
	keysSet(d, "s", "x")
	do(s, c, "RENAME", "s", "l3")
	if *live != 1 {
		t.Errorf("live containers = %d; want 1", *live)
	}
	do(s, c, "FLUSHALL")
	if *live != 0 {
		t.Errorf("live containers after FLUSHALL = %d; want 0", *live)
	}
	if st := s.KS.Alloc.Stats(); st.Live() != 0 {
		t.Errorf("live blocks after FLUSHALL = %d", st.Live())
	}
}

func TestKeysCopyMove(t *testing.T) {
	s, c := testServer(nil)
	d := c.DB
	keysSet(d, "src", "hello")
	keysRunSteps(t, s, c, []keysStep{
		keysCmd(rOne, "COPY", "src", "dst"),
		keysCmd(rZero, "COPY", "src", "dst"),
		keysCmd(rOne, "COPY", "src", "dst", "REPLACE"),
		keysCmd(rZero, "COPY", "missing", "dst"),
		keysCmd(rZero, "COPY", "missing", "missing2", "REPLACE"),
		keysCmd("-ERR source and destination objects are the same\r\n", "COPY", "src", "src"),
		keysCmd("-ERR source and destination objects are the same\r\n", "COPY", "src", "src", "DB", "0"),
		keysCmd(rOne, "COPY", "src", "src", "DB", "1"),
		keysCmd(rZero, "COPY", "src", "src", "db", "1"),
		keysCmd(rOne, "COPY", "src", "src", "db", "1", "replace"),
		keysCmd("-ERR DB index is out of range\r\n", "COPY", "src", "x", "DB", "16"),
		keysCmd("-ERR DB index is out of range\r\n", "COPY", "missing", "x", "DB", "-1"),
		keysCmd("-ERR value is not an integer or out of range\r\n", "COPY", "src", "x", "DB", "abc"),
		keysCmd("-ERR value is out of range, value must between -2147483648 and 2147483647\r\n", "COPY", "src", "x", "DB", "4294967296"),
		keysCmd("-ERR syntax error\r\n", "COPY", "src", "x", "DB"),
		keysCmd("-ERR syntax error\r\n", "COPY", "src", "x", "BOGUS"),
		keysCmd("-ERR syntax error\r\n", "COPY", "src", "x", "REPLACE", "DB", "2", "BOGUS"),
		keysCmd(rZero, "EXISTS", "x"),
		keysCmd("-ERR wrong number of arguments for 'copy' command\r\n", "COPY", "src"),
	})
	if e, ok := s.KS.DBs[1].Peek([]byte("src")); !ok || string(e.Str()) != "hello" {
		t.Fatalf("COPY to db 1 missing")
	}
	// COPY keeps TTL and encoding.
	keysSet(d, "t", "12")
	keysSetRaw(d, "raw", "abc", 10)
	keysRunSteps(t, s, c, []keysStep{
		keysCmd(rOne, "PEXPIRE", "t", "100000"),
		keysCmd(rOne, "COPY", "t", "t2"),
		keysCmd("$3\r\nint\r\n", "OBJECT", "ENCODING", "t2"),
		keysCmd(rOne, "COPY", "raw", "raw2"),
		keysCmd("$3\r\nraw\r\n", "OBJECT", "ENCODING", "raw2"),
		keysCmd(rOne, "COPY", "raw", "t", "REPLACE"),
		keysCmd(":-1\r\n", "TTL", "t"),
	})
	if e, _ := d.Peek([]byte("t2")); !e.HasTTL() || e.Deadline() < s.KS.NowMs+99000 {
		t.Errorf("COPY lost the TTL")
	}
	do(s, c, "FLUSHALL")
	keysSet(d, "m", "v")
	keysRunSteps(t, s, c, []keysStep{
		keysCmd(rOne, "MOVE", "m", "1"),
		keysCmd(rZero, "EXISTS", "m"),
		keysCmd(rZero, "MOVE", "m", "1"),
		keysCmd("-ERR source and destination objects are the same\r\n", "MOVE", "m", "0"),
		keysCmd("-ERR source and destination objects are the same\r\n", "MOVE", "missing", "0"),
		keysCmd("-ERR DB index is out of range\r\n", "MOVE", "m", "16"),
		keysCmd("-ERR DB index is out of range\r\n", "MOVE", "m", "-1"),
		keysCmd("-ERR value is not an integer or out of range\r\n", "MOVE", "m", "abc"),
		keysCmd("-ERR value is out of range, value must between -2147483648 and 2147483647\r\n", "MOVE", "m", "-2147483649"),
		keysCmd("-ERR wrong number of arguments for 'move' command\r\n", "MOVE", "m"),
	})
	keysSet(d, "m", "other")
	keysSet(d, "mt", "v")
	keysRunSteps(t, s, c, []keysStep{
		keysCmd(rZero, "MOVE", "m", "1"), // exists there
		keysCmd(rOne, "EXPIRE", "mt", "100"),
		keysCmd(rOne, "MOVE", "mt", "2"),
	})
	if e, ok := s.KS.DBs[2].Peek([]byte("mt")); !ok || !e.HasTTL() || s.KS.DBs[2].ExpiresLen() != 1 || d.ExpiresLen() != 0 {
		t.Errorf("MOVE lost the TTL or left the expires entry behind")
	}
}

func TestKeysFlushSwap(t *testing.T) {
	s, c := testServer(nil)
	d0, d1 := s.KS.DBs[0], s.KS.DBs[1]
	keysSet(d0, "a", "in0")
	keysSet(d1, "a", "in1")
	keysSet(d1, "b", "only1")
	keysRunSteps(t, s, c, []keysStep{
		keysCmd(rOK, "SWAPDB", "0", "1"),
		keysCmd(":2\r\n", "DBSIZE"),
		keysCmd(rOK, "SWAPDB", "0", "0"),
		keysCmd("-ERR DB index is out of range\r\n", "SWAPDB", "0", "16"),
		keysCmd("-ERR DB index is out of range\r\n", "SWAPDB", "-1", "0"),
		keysCmd("-ERR invalid first DB index\r\n", "SWAPDB", "a", "0"),
		keysCmd("-ERR invalid second DB index\r\n", "SWAPDB", "0", "b"),
		keysCmd("-ERR invalid first DB index\r\n", "SWAPDB", "2147483648", "0"),
		keysCmd("-ERR wrong number of arguments for 'swapdb' command\r\n", "SWAPDB", "0"),
	})
	if e, _ := d0.Peek([]byte("a")); string(e.Str()) != "in1" {
		t.Errorf("db0 a = %q after SWAPDB", e.Str())
	}
	keysRunSteps(t, s, c, []keysStep{
		keysCmd(rOK, "FLUSHDB"),
		keysCmd(rZero, "DBSIZE"),
		keysCmd(rOK, "FLUSHDB", "ASYNC"),
		keysCmd(rOK, "flushdb", "sync"),
		keysCmd("-ERR syntax error\r\n", "FLUSHDB", "BOGUS"),
		keysCmd("-ERR syntax error\r\n", "FLUSHDB", "ASYNC", "SYNC"),
		keysCmd("-ERR syntax error\r\n", "FLUSHALL", "BOGUS"),
	})
	if d1.Len() != 1 {
		t.Errorf("FLUSHDB touched db 1")
	}
	keysRunSteps(t, s, c, []keysStep{keysCmd(rOK, "FLUSHALL", "async")})
	if d1.Len() != 0 {
		t.Errorf("FLUSHALL left db 1")
	}
}

func TestKeysSwapWatch(t *testing.T) {
	s, c := testServer(nil)
	c2 := s.NewClient("1.2.3.4:6", "127.0.0.1:7379", -1)
	keysSet(s.KS.DBs[1], "k", "v")
	do(s, c2, "WATCH", "k") // watches k in db 0, where it is absent
	do(s, c, "SWAPDB", "0", "1")
	if !c2.DirtyCAS {
		t.Errorf("SWAPDB bringing a watched key in did not flag the watcher")
	}
	c3 := s.NewClient("1.2.3.4:7", "127.0.0.1:7379", -1)
	do(s, c3, "WATCH", "k")
	do(s, c, "FLUSHALL")
	if !c3.DirtyCAS {
		t.Errorf("FLUSHALL did not flag the watcher")
	}
}

func TestKeysExpire(t *testing.T) {
	s, c := testServer(nil)
	d := c.DB
	keysSet(d, "k", "v")
	keysRunSteps(t, s, c, []keysStep{
		keysCmd(":-2\r\n", "TTL", "missing"),
		keysCmd(":-2\r\n", "PTTL", "missing"),
		keysCmd(":-2\r\n", "EXPIRETIME", "missing"),
		keysCmd(":-2\r\n", "PEXPIRETIME", "missing"),
		keysCmd(":-1\r\n", "TTL", "k"),
		keysCmd(":-1\r\n", "PTTL", "k"),
		keysCmd(":-1\r\n", "EXPIRETIME", "k"),
		keysCmd(":-1\r\n", "PEXPIRETIME", "k"),
		keysCmd(rOne, "EXPIRE", "k", "100"),
		keysCmd(":100\r\n", "TTL", "k"),
		keysCmd(rOne, "EXPIREAT", "k", "4102444800"),
		keysCmd(":4102444800\r\n", "EXPIRETIME", "k"),
		keysCmd(":4102444800000\r\n", "PEXPIRETIME", "k"),
		keysCmd(rOne, "PEXPIREAT", "k", "4102444800999"),
		keysCmd(":4102444800999\r\n", "PEXPIRETIME", "k"),
		keysCmd(":4102444801\r\n", "EXPIRETIME", "k"),
		keysCmd(rOne, "PEXPIREAT", "k", "4102444800499"),
		keysCmd(":4102444800\r\n", "EXPIRETIME", "k"),
		keysCmd(rOne, "PERSIST", "k"),
		keysCmd(rZero, "PERSIST", "k"),
		keysCmd(":-1\r\n", "TTL", "k"),
		keysCmd(rZero, "PERSIST", "missing"),
		keysCmd(rZero, "EXPIRE", "missing", "100"),
		keysCmd(rZero, "PEXPIREAT", "missing", "4102444800000"),
		// options
		keysCmd("-ERR NX and XX, GT or LT options at the same time are not compatible\r\n", "EXPIRE", "k", "100", "NX", "XX"),
		keysCmd("-ERR NX and XX, GT or LT options at the same time are not compatible\r\n", "EXPIRE", "k", "100", "NX", "GT"),
		keysCmd("-ERR NX and XX, GT or LT options at the same time are not compatible\r\n", "EXPIRE", "missing", "abc", "NX", "LT"),
		keysCmd("-ERR GT and LT options at the same time are not compatible\r\n", "EXPIRE", "k", "100", "GT", "LT"),
		keysCmd("-ERR Unsupported option bogus\r\n", "EXPIRE", "k", "abc", "bogus"),
		keysCmd(rZero, "EXPIRE", "k", "100", "XX"),
		keysCmd(rZero, "EXPIRE", "k", "100", "XX", "GT"),
		keysCmd(rZero, "EXPIRE", "k", "100", "GT"),
		keysCmd(rOne, "EXPIRE", "k", "100", "nx", "nx"),
		keysCmd(rZero, "EXPIRE", "k", "100", "NX"),
		keysCmd(rZero, "EXPIRE", "k", "99", "GT"), // not 100: a millisecond later, 100 s would be greater
		keysCmd(rZero, "EXPIRE", "k", "100", "LT"),
		keysCmd(rOne, "EXPIRE", "k", "50", "LT"),
		keysCmd(":50\r\n", "TTL", "k"),
		keysCmd(rOne, "EXPIRE", "k", "60", "gt"),
		keysCmd(rOne, "EXPIRE", "k", "70", "XX"),
		keysCmd(":70\r\n", "TTL", "k"),
		keysCmd(rOne, "PERSIST", "k"),
		keysCmd(rOne, "EXPIRE", "k", "70", "LT"),
		// argument errors and overflow
		keysCmd("-ERR value is not an integer or out of range\r\n", "EXPIRE", "k", "abc"),
		keysCmd("-ERR value is not an integer or out of range\r\n", "EXPIRE", "k", "1.5"),
		keysCmd("-ERR value is not an integer or out of range\r\n", "EXPIRE", "k", ""),
		keysCmd("-ERR invalid expire time in 'expire' command\r\n", "EXPIRE", "k", "9223372036854775807"),
		keysCmd("-ERR invalid expire time in 'expire' command\r\n", "EXPIRE", "k", "9223372036854775"),
		keysCmd("-ERR invalid expire time in 'expire' command\r\n", "EXPIRE", "k", "9223372036854774"),
		keysCmd("-ERR invalid expire time in 'expire' command\r\n", "EXPIRE", "k", "-9223372036854775808"),
		keysCmd("-ERR invalid expire time in 'pexpire' command\r\n", "PEXPIRE", "k", "9223372036854775807"),
		keysCmd("-ERR invalid expire time in 'expireat' command\r\n", "EXPIREAT", "k", "9223372036854775807"),
		keysCmd(":70\r\n", "TTL", "k"),
		keysCmd(rOne, "PEXPIREAT", "k", "9223372036854775807"),
		keysCmd(":9223372036854775807\r\n", "PEXPIRETIME", "k"),
		keysCmd("-ERR wrong number of arguments for 'expire' command\r\n", "EXPIRE", "k"),
		// past deadlines delete
		keysCmd(rOne, "PEXPIRE", "k", "-9223372036854775808"),
		keysCmd(rZero, "EXISTS", "k"),
	})
	for _, tc := range [][]string{
		{"EXPIRE", "k", "0"}, {"EXPIRE", "k", "-1"}, {"PEXPIRE", "k", "0"}, {"EXPIREAT", "k", "1"},
		{"PEXPIREAT", "k", "0"}, {"EXPIREAT", "k", "-5"}, {"EXPIRE", "k", "-1", "LT"}, {"EXPIRE", "k", "0", "NX"},
	} {
		keysSet(d, "k", "v")
		if got := do(s, c, tc...); got != rOne {
			t.Errorf("%q: got %q", tc, got)
		}
		if d.Len() != 0 || d.ExpiresLen() != 0 {
			t.Errorf("%q: key not deleted", tc)
		}
	}
	keysSet(d, "k", "v")
	keysRunSteps(t, s, c, []keysStep{
		keysCmd(rZero, "EXPIRE", "k", "-1", "XX"),
		keysCmd(rZero, "EXPIRE", "k", "-1", "GT"),
		keysCmd(rOne, "EXISTS", "k"),
	})
	// An expired key is gone for every command.
	keysRunSteps(t, s, c, []keysStep{keysCmd(rOne, "PEXPIRE", "k", "20")})
	time.Sleep(40 * time.Millisecond)
	keysRunSteps(t, s, c, []keysStep{
		keysCmd(":-2\r\n", "PTTL", "k"),
		keysCmd(rZero, "DBSIZE"),
	})
	if s.KS.Stats.ExpiredKeys != 1 {
		t.Errorf("expired_keys = %d", s.KS.Stats.ExpiredKeys)
	}
}

func TestKeysObject(t *testing.T) {
	s, c := testServer(nil)
	d := c.DB
	keysSet(d, "a", "hello")
	keysSet(d, "i", "123")
	keysSet(d, "big", "10000")
	keysSet(d, "neg", "-1")
	keysSetRaw(d, "r", "x", 8)
	help := "*15\r\n+OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n+ENCODING <key>\r\n" +
		"+    Return the kind of internal representation used in order to store the value\r\n+    associated with a <key>.\r\n" +
		"+FREQ <key>\r\n+    Return the access frequency index of the <key>. The returned integer is\r\n" +
		"+    proportional to the logarithm of the recent access frequency of the key.\r\n+IDLETIME <key>\r\n" +
		"+    Return the idle time of the <key>, that is the approximated number of\r\n" +
		"+    seconds elapsed since the last access to the key.\r\n+REFCOUNT <key>\r\n" +
		"+    Return the number of references of the value associated with the specified\r\n+    <key>.\r\n" +
		"+HELP\r\n+    Prints this help.\r\n"
	noLFU := "-ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.\r\n"
	lfu := "-ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.\r\n"
	keysRunSteps(t, s, c, []keysStep{
		keysCmd(help, "OBJECT", "HELP"),
		keysCmd(help, "object", "help"),
		keysCmd("$6\r\nembstr\r\n", "OBJECT", "ENCODING", "a"),
		keysCmd("$3\r\nint\r\n", "OBJECT", "encoding", "i"),
		keysCmd("$3\r\nraw\r\n", "OBJECT", "ENCODING", "r"),
		keysCmd(rNull, "OBJECT", "ENCODING", "missing"),
		keysCmd(rNull, "OBJECT", "FREQ", "missing"),
		keysCmd(rNull, "OBJECT", "IDLETIME", "missing"),
		keysCmd(rNull, "OBJECT", "REFCOUNT", "missing"),
		keysCmd(noLFU, "OBJECT", "FREQ", "a"),
		keysCmd(rZero, "OBJECT", "IDLETIME", "a"),
		keysCmd(rOne, "OBJECT", "REFCOUNT", "a"),
		keysCmd(":2147483647\r\n", "OBJECT", "REFCOUNT", "i"),
		keysCmd(rOne, "OBJECT", "REFCOUNT", "big"),
		keysCmd(rOne, "OBJECT", "REFCOUNT", "neg"),
		keysCmd("-ERR unknown subcommand 'bogus'. Try OBJECT HELP.\r\n", "OBJECT", "bogus"),
		keysCmd("-ERR wrong number of arguments for 'object' command\r\n", "OBJECT"),
		keysCmd("-ERR wrong number of arguments for 'object|encoding' command\r\n", "OBJECT", "ENCODING"),
		keysCmd("-ERR wrong number of arguments for 'object|help' command\r\n", "OBJECT", "HELP", "x"),
	})
	s.Config.MaxMemoryPolicy = "allkeys-lfu"
	keysRunSteps(t, s, c, []keysStep{
		keysCmd(lfu, "OBJECT", "IDLETIME", "a"),
		keysCmd(":2147483647\r\n", "OBJECT", "REFCOUNT", "i"),
	})
	// Under LFU the access field is [minutes:16][counter:8].
	e, _ := d.Peek([]byte("a"))
	e.SetLRU(uint32((s.KS.NowMs/60000)&0xffff)<<8 | 5)
	keysRunSteps(t, s, c, []keysStep{keysCmd(":5\r\n", "OBJECT", "FREQ", "a")})
	ks := db.NewKeyspace(goheap.New(), 1)
	ks.LFU, ks.LFUDecayTime = true, 1
	ks.Tick(13 * 60000)
	if got := ks.LFUCounter(uint32(10)<<8 | 7); got != 4 {
		t.Errorf("LFU decay: got %d; want 4", got)
	}
	ks.Tick(100 * 60000)
	if got := ks.LFUCounter(uint32(10)<<8 | 7); got != 0 {
		t.Errorf("LFU decay: got %d; want 0", got)
	}
	s.Config.MaxMemory = 100 << 20
	keysRunSteps(t, s, c, []keysStep{keysCmd(rOne, "OBJECT", "REFCOUNT", "i")})
	s.Config.MaxMemoryPolicy = "volatile-ttl"
	keysRunSteps(t, s, c, []keysStep{keysCmd(":2147483647\r\n", "OBJECT", "REFCOUNT", "i")})
	s.Config.MaxMemoryPolicy = "allkeys-lru"
	keysRunSteps(t, s, c, []keysStep{keysCmd(rOne, "OBJECT", "REFCOUNT", "i")})

	// Idle time counts on the 24-bit access clock, across its wrap.
	if got := keysIdleSeconds(5, db.LRUMax-5); got != 10 {
		t.Errorf("idle across wrap = %d", got)
	}
	e, _ = d.Peek([]byte("a"))
	e.SetLRU((s.KS.LRUClock - 30) & db.LRUMax)
	s.Config.MaxMemoryPolicy = "noeviction"
	if got := do(s, c, "OBJECT", "IDLETIME", "a"); got != ":30\r\n" && got != ":31\r\n" {
		t.Errorf("IDLETIME = %q", got)
	}
}

func TestKeysDebug(t *testing.T) {
	s, c := testServer(nil)
	d := c.DB
	keysSet(d, "a", "hello")
	keysSet(d, "n", "12")
	keysSet(d, "big", "100000")
	keysSet(d, "s", "12345678901")
	keysSet(d, "e", "")
	keysSet(d, "l", strings.Repeat("x", 100))
	e, _ := d.Peek([]byte("a"))
	lru := e.LRU()
	want := fmt.Sprintf("+Value at:0x%x refcount:1 encoding:embstr serializedlength:6 lru:%d lru_seconds_idle:0\r\n", uint64(e.Ref()), lru)
	if got := do(s, c, "DEBUG", "OBJECT", "a"); got != want {
		t.Errorf("DEBUG OBJECT a = %q; want %q", got, want)
	}
	for _, tc := range []struct{ key, part string }{
		{"n", "refcount:2147483647 encoding:int serializedlength:2 "},
		{"big", "refcount:1 encoding:int serializedlength:5 "},
		{"s", "refcount:1 encoding:int serializedlength:12 "},
		{"e", "refcount:1 encoding:embstr serializedlength:1 "},
		{"l", "refcount:1 encoding:raw serializedlength:102 "},
	} {
		got := do(s, c, "DEBUG", "OBJECT", tc.key)
		if !strings.HasPrefix(got, "+Value at:0x") || !strings.Contains(got, " "+tc.part+"lru:") {
			t.Errorf("DEBUG OBJECT %s = %q; want it to contain %q", tc.key, got, tc.part)
		}
	}
	keysRunSteps(t, s, c, []keysStep{
		keysCmd("-ERR no such key\r\n", "DEBUG", "OBJECT", "missing"),
		keysCmd(rOK, "DEBUG", "SLEEP", "0"),
		keysCmd(rOK, "DEBUG", "SLEEP", "abc"),
		keysCmd(rOK, "debug", "sleep", "0.01"),
		keysCmd("-ERR unknown subcommand or wrong number of arguments for 'SLEEP'. Try DEBUG HELP.\r\n", "DEBUG", "SLEEP"),
		keysCmd("-ERR unknown subcommand or wrong number of arguments for 'bogus'. Try DEBUG HELP.\r\n", "DEBUG", "bogus"),
		keysCmd("-ERR unknown subcommand or wrong number of arguments for 'OBJECT'. Try DEBUG HELP.\r\n", "DEBUG", "OBJECT", "a", "b"),
		keysCmd("-ERR wrong number of arguments for 'debug' command\r\n", "DEBUG"),
	})
	got := do(s, c, "DEBUG", "HELP")
	if !strings.HasPrefix(got, "*") || !strings.Contains(got, "\r\n+DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n") ||
		!strings.Contains(got, "+SLEEP <seconds>\r\n") || !strings.HasSuffix(got, "+HELP\r\n+    Prints this help.\r\n") {
		t.Errorf("DEBUG HELP = %q", got)
	}
	start := time.Now()
	do(s, c, "DEBUG", "SLEEP", "0.05")
	if time.Since(start) < 50*time.Millisecond {
		t.Errorf("DEBUG SLEEP 0.05 returned early")
	}
}

// keysReplyList decodes a flat RESP array of bulk strings.
func keysReplyList(t *testing.T, r string) []string {
	t.Helper()
	if !strings.HasPrefix(r, "*") {
		t.Fatalf("not an array: %q", r)
	}
	i := strings.Index(r, "\r\n")
	n, _ := strconv.Atoi(r[1:i])
	r = r[i+2:]
	out := []string{}
	for k := 0; k < n; k++ {
		i = strings.Index(r, "\r\n")
		m, _ := strconv.Atoi(r[1:i])
		out = append(out, r[i+2:i+2+m])
		r = r[i+2+m+2:]
	}
	if r != "" {
		t.Fatalf("trailing bytes %q", r)
	}
	return out
}

// keysScanReply splits a SCAN reply into cursor and keys.
func keysScanReply(t *testing.T, r string) (string, []string) {
	t.Helper()
	if !strings.HasPrefix(r, "*2\r\n$") {
		t.Fatalf("bad SCAN reply %q", r)
	}
	r = r[4:]
	i := strings.Index(r, "\r\n")
	m, _ := strconv.Atoi(r[1:i])
	cur := r[i+2 : i+2+m]
	return cur, keysReplyList(t, r[i+2+m+2:])
}

func TestKeysKeysAndScanSmall(t *testing.T) {
	s, c := testServer(nil)
	d := c.DB
	all := []string{"hello", "hallo", "hxllo", "hllo", "heeello", "h*llo", "foo", "Hello", ""}
	for _, k := range all {
		keysSet(d, k, "1")
	}
	sorted := func(a []string) string { sort.Strings(a); return strings.Join(a, ",") }
	for _, tc := range []struct{ pat, want string }{
		{"*", ",Hello,foo,h*llo,hallo,heeello,hello,hllo,hxllo"},
		{"h?llo", "h*llo,hallo,hello,hxllo"},
		{"h[^e]llo", "h*llo,hallo,hxllo"},
		{"**", "Hello,foo,h*llo,hallo,heeello,hello,hllo,hxllo"},
		{"", ""},
		{"nomatch", ""},
	} {
		if got := sorted(keysReplyList(t, do(s, c, "KEYS", tc.pat))); got != tc.want {
			t.Errorf("KEYS %q = %q; want %q", tc.pat, got, tc.want)
		}
		cur, keys := keysScanReply(t, do(s, c, "SCAN", "0", "MATCH", tc.pat, "COUNT", "1000"))
		if got := sorted(keys); cur != "0" || got != tc.want {
			t.Errorf("SCAN MATCH %q = %s %q; want 0 %q", tc.pat, cur, got, tc.want)
		}
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"TYPE", "string"}, ",Hello,foo,h*llo,hallo,heeello,hello,hllo,hxllo"},
		{[]string{"TYPE", "STRING", "MATCH", "f*"}, "foo"},
		{[]string{"TYPE", "list"}, ""},
		{[]string{"TYPE", "nosuchtype"}, ""},
		{[]string{"MATCH", "f*", "MATCH", "h*"}, "h*llo,hallo,heeello,hello,hllo,hxllo"},
	} {
		args := append([]string{"SCAN", "0", "COUNT", "1000"}, tc.args...)
		_, keys := keysScanReply(t, do(s, c, args...))
		if got := sorted(keys); got != tc.want {
			t.Errorf("%q = %q; want %q", args, got, tc.want)
		}
	}
	for _, cur := range []string{"", "+0", "-0", "0"} {
		if c0, keys := keysScanReply(t, do(s, c, "SCAN", cur, "COUNT", "1000")); c0 != "0" || len(keys) != len(all) {
			t.Errorf("SCAN %q: %s %d keys", cur, c0, len(keys))
		}
	}
	keysRunSteps(t, s, c, []keysStep{
		keysCmd("-ERR invalid cursor\r\n", "SCAN", "abc"),
		keysCmd("-ERR invalid cursor\r\n", "SCAN", " 0"),
		keysCmd("-ERR invalid cursor\r\n", "SCAN", "0 "),
		keysCmd("-ERR invalid cursor\r\n", "SCAN", "-"),
		keysCmd("-ERR invalid cursor\r\n", "SCAN", "18446744073709551616"),
		keysCmd("-ERR invalid cursor\r\n", "SCAN", "0x10"),
		keysCmd("-ERR syntax error\r\n", "SCAN", "0", "COUNT", "0"),
		keysCmd("-ERR syntax error\r\n", "SCAN", "0", "COUNT", "-1"),
		keysCmd("-ERR value is not an integer or out of range\r\n", "SCAN", "0", "COUNT", "abc"),
		keysCmd("-ERR syntax error\r\n", "SCAN", "0", "COUNT"),
		keysCmd("-ERR syntax error\r\n", "SCAN", "0", "MATCH"),
		keysCmd("-ERR syntax error\r\n", "SCAN", "0", "BOGUS", "x"),
		keysCmd("-ERR syntax error\r\n", "SCAN", "0", "TYPE"),
		keysCmd("-ERR wrong number of arguments for 'scan' command\r\n", "SCAN"),
		keysCmd("-ERR wrong number of arguments for 'keys' command\r\n", "KEYS"),
		keysCmd("-ERR wrong number of arguments for 'keys' command\r\n", "KEYS", "a", "b"),
	})
	for _, tc := range []struct {
		in   string
		want uint64
		ok   bool
	}{
		{"18446744073709551615", math.MaxUint64, true}, {"-1", math.MaxUint64, true}, {"-18446744073709551615", 1, true},
		{"12\x0034", 12, true}, {"+", 0, false}, {"\t1", 0, false}, {"1 ", 0, false},
	} {
		v, ok := ParseScanCursor([]byte(tc.in))
		if v != tc.want || ok != tc.ok {
			t.Errorf("ParseScanCursor(%q) = %d %v; want %d %v", tc.in, v, ok, tc.want, tc.ok)
		}
	}
	// Expired keys are neither listed nor counted, and SCAN reclaims them.
	keysRunSteps(t, s, c, []keysStep{keysCmd(rOne, "PEXPIRE", "foo", "10")})
	time.Sleep(20 * time.Millisecond)
	if got := sorted(keysReplyList(t, do(s, c, "KEYS", "f*"))); got != "" {
		t.Errorf("KEYS lists an expired key: %q", got)
	}
	if d.Len() != len(all) {
		t.Errorf("KEYS reclaimed a key")
	}
	_, keys := keysScanReply(t, do(s, c, "SCAN", "0", "COUNT", "1000"))
	if len(keys) != len(all)-1 || d.Len() != len(all)-1 {
		t.Errorf("SCAN returned %d keys, db has %d", len(keys), d.Len())
	}
	do(s, c, "FLUSHDB")
	keysRunSteps(t, s, c, []keysStep{
		keysCmd("*2\r\n$1\r\n0\r\n*0\r\n", "SCAN", "0"),
		keysCmd("*2\r\n$1\r\n0\r\n*0\r\n", "SCAN", "0", "COUNT", "1", "MATCH", "x", "TYPE", "string"),
		keysCmd("*0\r\n", "KEYS", "*"),
	})
}

// TestKeysScanWhileGrowing checks that a SCAN returns every key present for
// the whole iteration while keys are added between calls (the table grows
// several times) and others are deleted.
func TestKeysScanWhileGrowing(t *testing.T) {
	for _, count := range []string{"1", "10", "100"} {
		s, c := testServer(nil)
		d := c.DB
		const initial = 2000
		for i := 0; i < initial; i++ {
			keysSet(d, "k"+strconv.Itoa(i), "v")
		}
		seen := map[string]int{}
		cursor := "0"
		added, calls := 0, 0
		for {
			var keys []string
			cursor, keys = keysScanReply(t, do(s, c, "SCAN", cursor, "COUNT", count))
			calls++
			for _, k := range keys {
				seen[k]++
			}
			if cursor == "0" {
				break
			}
			for j := 0; j < 25; j++ {
				keysSet(d, "new"+strconv.Itoa(added), "v")
				added++
			}
			// delete some late keys (not part of the must-see set)
			if added > 100 {
				d.Delete([]byte("new" + strconv.Itoa(added-100)))
			}
			s.Cron()
		}
		for i := 0; i < initial; i++ {
			if seen["k"+strconv.Itoa(i)] == 0 {
				t.Fatalf("COUNT %s: key k%d never returned (%d calls, %d added)", count, i, calls, added)
			}
		}
		if added < 4*initial && count == "1" {
			t.Errorf("COUNT 1: table grew only by %d keys; the test is too weak", added)
		}
		t.Logf("COUNT %s: %d calls, %d keys added, %d distinct returned", count, calls, added, len(seen))
	}
}

// TestKeysScanCount checks that COUNT bounds the work of one call.
func TestKeysScanCount(t *testing.T) {
	s, c := testServer(nil)
	for i := 0; i < 5000; i++ {
		keysSet(c.DB, "k"+strconv.Itoa(i), "v")
	}
	cur, keys := keysScanReply(t, do(s, c, "SCAN", "0"))
	if cur == "0" || len(keys) < 5 || len(keys) > 40 {
		t.Errorf("SCAN 0 with 5000 keys: cursor %s, %d keys", cur, len(keys))
	}
	cur, keys = keysScanReply(t, do(s, c, "SCAN", "0", "COUNT", "100000"))
	if cur != "0" || len(keys) != 5000 {
		t.Errorf("SCAN 0 COUNT 100000: cursor %s, %d keys", cur, len(keys))
	}
	// A MATCH that rejects everything still does bounded work per call.
	cur, keys = keysScanReply(t, do(s, c, "SCAN", "0", "MATCH", "nomatch"))
	if cur == "0" || len(keys) != 0 {
		t.Errorf("SCAN MATCH nomatch: cursor %s, %d keys", cur, len(keys))
	}
}

func TestKeysRandomKeyExpired(t *testing.T) {
	s, c := testServer(nil)
	keysSet(c.DB, "gone", "v")
	keysSet(c.DB, "stay", "v")
	do(s, c, "PEXPIRE", "gone", "10")
	time.Sleep(20 * time.Millisecond)
	for i := 0; i < 20; i++ {
		if got := do(s, c, "RANDOMKEY"); got != "$4\r\nstay\r\n" {
			t.Fatalf("RANDOMKEY = %q", got)
		}
	}
}

func TestKeysCommandRows(t *testing.T) {
	s, _ := testServer(nil)
	for _, tc := range []struct {
		name         string
		arity        int
		flags        Flag
		first, last  int
		group, since string
	}{
		{"del", -2, FlagWrite, 1, -1, "generic", "1.0.0"},
		{"unlink", -2, FlagWrite | FlagFast, 1, -1, "generic", "4.0.0"},
		{"copy", -3, FlagWrite | FlagDenyOOM, 1, 2, "generic", "6.2.0"},
		{"keys", 2, FlagReadOnly, 0, 0, "generic", "1.0.0"},
		{"swapdb", 3, FlagWrite | FlagFast, 0, 0, "server", "4.0.0"},
		{"object|encoding", 3, FlagReadOnly, 2, 2, "generic", "2.2.3"},
		{"object|help", 2, FlagLoading | FlagStale, 0, 0, "generic", "6.2.0"},
		{"debug", -2, FlagAdmin | FlagNoScript | FlagLoading | FlagStale, 0, 0, "server", "1.0.0"},
		{"expiretime", 2, FlagReadOnly | FlagFast, 1, 1, "generic", "7.0.0"},
	} {
		cmd := s.table.Get(tc.name)
		if cmd == nil {
			t.Errorf("%s not registered", tc.name)
			continue
		}
		if cmd.Arity != tc.arity || cmd.Flags != tc.flags || cmd.firstKey != tc.first || cmd.lastKey != tc.last ||
			cmd.Group != tc.group || cmd.Since != tc.since {
			t.Errorf("%s: got %d %b %d %d %s %s", tc.name, cmd.Arity, cmd.Flags, cmd.firstKey, cmd.lastKey, cmd.Group, cmd.Since)
		}
	}
}

// TestKeysNoLeak runs the key-moving commands over every string encoding
// and checks that FLUSHALL leaves the allocator with no live bytes, so
// every sized free matched its allocation.
func TestKeysNoLeak(t *testing.T) {
	s, c := testServer(nil)
	d := c.DB
	vals := []string{"7", "hello", strings.Repeat("y", 60)}
	for i := 0; i < 300; i++ {
		k := "k" + strconv.Itoa(i)
		keysSet(d, k, vals[i%3])
		if i%5 == 0 {
			keysSetRaw(d, k, "r", 16)
		}
		switch i % 4 {
		case 0:
			do(s, c, "EXPIRE", k, "100")
			do(s, c, "RENAME", k, "r"+k)
			do(s, c, "PERSIST", "r"+k)
		case 1:
			do(s, c, "COPY", k, "c"+k)
			do(s, c, "PEXPIRE", "c"+k, "100000")
			do(s, c, "COPY", "c"+k, k, "REPLACE")
		case 2:
			do(s, c, "MOVE", k, "3")
			do(s, c, "EXPIRE", k, "-1")
		case 3:
			do(s, c, "RENAME", k, "k0")
			do(s, c, "SWAPDB", "0", "5")
			do(s, c, "SWAPDB", "0", "5")
		}
	}
	do(s, c, "FLUSHALL")
	if st := s.KS.Alloc.Stats(); st.Live() != 0 || st.Requested != 0 {
		t.Errorf("after FLUSHALL: %d live blocks, %d bytes", st.Live(), st.Requested)
	}
}

func TestKeysFloatPrefix(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want float64
	}{
		{"1", 1}, {"0.5", 0.5}, {"1abc", 1}, {"abc", 0}, {" 2", 2}, {"-1", -1}, {".5", 0.5}, {"5.", 5},
		{"1e2", 100}, {"1e", 1}, {"1e+", 1}, {"+", 0}, {"", 0}, {"2.5e-1x", 0.25},
	} {
		if got := keysFloatPrefix([]byte(tc.in)); got != tc.want {
			t.Errorf("keysFloatPrefix(%q) = %v; want %v", tc.in, got, tc.want)
		}
	}
}
