package command

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"

	"rundb/engine/config"
	"rundb/engine/db"
	"rundb/engine/ds"
	"rundb/engine/mem"
	"rundb/variants/goheap"
)

// strStep is one command and its exact reply. The pseudo-command
// {"@list", key} turns key into a list (the strings family cannot make
// one), to check WRONGTYPE paths.
type strStep struct {
	args []string
	want string
}

type strCase struct {
	name  string
	steps []strStep
}

// strMakeList stores key as an (empty, containerless) list entry.
func strMakeList(s *Server, c *Client, key string) {
	ks := s.KS
	c.DB.Put(ds.NewContainer(ks.Alloc, ds.TypeList, ds.EncQuicklist, []byte(key), 0, 0, false, ks.LRUClock))
}

func TestStrings(t *testing.T) {
	for _, tc := range strCases {
		t.Run(tc.name, func(t *testing.T) {
			s, c := testServer(nil)
			n := 0
			for i, st := range tc.steps {
				if st.args[0] == "@list" {
					strMakeList(s, c, st.args[1])
					continue
				}
				n++
				if got := do(s, c, st.args...); got != st.want {
					t.Errorf("step %d %q: got %q; want %q", i, st.args, got, st.want)
				}
			}
			if n == 0 {
				t.Fatal("no steps ran")
			}
		})
	}
}

// TestStringsOracle checks the tables themselves against a real server:
// set RUNDB_ORACLE_ADDR=127.0.0.1:port to a scratch Redis 7.0 instance (its
// data is flushed).
func TestStringsOracle(t *testing.T) {
	addr := os.Getenv("RUNDB_ORACLE_ADDR")
	if addr == "" {
		t.Skip("RUNDB_ORACLE_ADDR not set")
	}
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	r := bufio.NewReader(conn)
	do := func(args ...string) string {
		var b []byte
		b = fmt.Appendf(b, "*%d\r\n", len(args))
		for _, a := range args {
			b = fmt.Appendf(b, "$%d\r\n%s\r\n", len(a), a)
		}
		if _, err := conn.Write(b); err != nil {
			t.Fatal(err)
		}
		return strReadReply(t, r)
	}
	for _, tc := range strCases {
		do("FLUSHALL")
		for i, st := range tc.steps {
			if st.args[0] == "@list" {
				do("DEL", st.args[1])
				do("RPUSH", st.args[1], "x")
				continue
			}
			if got := do(st.args...); got != st.want {
				t.Errorf("%s step %d %q: oracle replied %q; table says %q", tc.name, i, st.args, got, st.want)
			}
		}
	}
}

func strReadReply(t *testing.T, r *bufio.Reader) string {
	line, err := r.ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	switch line[0] {
	case '$':
		n, _ := strconv.Atoi(strings.TrimSpace(line[1:]))
		if n < 0 {
			return line
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			t.Fatal(err)
		}
		return line + string(buf)
	case '*':
		n, _ := strconv.Atoi(strings.TrimSpace(line[1:]))
		for i := 0; i < n; i++ {
			line += strReadReply(t, r)
		}
	}
	return line
}

// Code below generated from a Redis 7.0.15 server; see TestStringsOracle.
var strCases = []strCase{
	{"Set", []strStep{
		{[]string{"SET", "k", "v"}, "+OK\r\n"},
		{[]string{"GET", "k"}, "$1\r\nv\r\n"},
		{[]string{"SET", "k", "v2"}, "+OK\r\n"},
		{[]string{"GET", "k"}, "$2\r\nv2\r\n"},
		{[]string{"SET", "", "empty"}, "+OK\r\n"},
		{[]string{"GET", ""}, "$5\r\nempty\r\n"},
		{[]string{"SET", "k", ""}, "+OK\r\n"},
		{[]string{"GET", "k"}, "$0\r\n\r\n"},
		{[]string{"STRLEN", "k"}, ":0\r\n"},
		{[]string{"SET", "k", "\x00\x01\xff"}, "+OK\r\n"},
		{[]string{"GET", "k"}, "$3\r\n\x00\x01\xff\r\n"},
		{[]string{"SET"}, "-ERR wrong number of arguments for 'set' command\r\n"},
		{[]string{"SET", "k"}, "-ERR wrong number of arguments for 'set' command\r\n"},
		{[]string{"SET", "nx", "1", "NX"}, "+OK\r\n"},
		{[]string{"SET", "nx", "2", "NX"}, "$-1\r\n"},
		{[]string{"GET", "nx"}, "$1\r\n1\r\n"},
		{[]string{"SET", "xx", "1", "XX"}, "$-1\r\n"},
		{[]string{"GET", "xx"}, "$-1\r\n"},
		{[]string{"SET", "nx", "3", "XX"}, "+OK\r\n"},
		{[]string{"GET", "nx"}, "$1\r\n3\r\n"},
		{[]string{"SET", "nx", "4", "nx"}, "$-1\r\n"},
		{[]string{"SET", "k", "v", "NX", "XX"}, "-ERR syntax error\r\n"},
		{[]string{"SET", "k", "v", "XX", "NX"}, "-ERR syntax error\r\n"},
		{[]string{"SET", "k", "v", "NX", "NX"}, "$-1\r\n"},
		{[]string{"SET", "k", "v", "nx\x00junk"}, "$-1\r\n"},
		{[]string{"SET", "k", "v", "BOGUS"}, "-ERR syntax error\r\n"},
		{[]string{"SET", "k", "v", "GET", "GET"}, "$3\r\n\x00\x01\xff\r\n"},
		{[]string{"SET", "k", "v", "KEEPTTL", "KEEPTTL"}, "+OK\r\n"},
		{[]string{"SET", "k", "v", "EX", "10", "EX", "20"}, "+OK\r\n"},
		{[]string{"SET", "k", "v", "EX", "10", "PX", "100"}, "-ERR syntax error\r\n"},
		{[]string{"SET", "k", "v", "EX", "10", "KEEPTTL"}, "-ERR syntax error\r\n"},
		{[]string{"SET", "k", "v", "KEEPTTL", "EX", "10"}, "-ERR syntax error\r\n"},
		{[]string{"SET", "k", "v", "KEEPTTL", "PX", "10"}, "-ERR syntax error\r\n"},
		{[]string{"SET", "k", "v", "EXAT", "10", "PXAT", "10"}, "-ERR syntax error\r\n"},
		{[]string{"SET", "k", "v", "PERSIST"}, "-ERR syntax error\r\n"},
		{[]string{"SET", "k", "v", "EX"}, "-ERR syntax error\r\n"},
		{[]string{"SET", "k", "v", "PX"}, "-ERR syntax error\r\n"},
		{[]string{"SET", "k", "v", "EX", "0", "NX", "XX"}, "-ERR syntax error\r\n"},
		{[]string{"SET", "k", "v", "NX", "XX", "EX", "0"}, "-ERR syntax error\r\n"},
		{[]string{"SET", "e", "v", "EX", "0"}, "-ERR invalid expire time in 'set' command\r\n"},
		{[]string{"SET", "e", "v", "EX", "-1"}, "-ERR invalid expire time in 'set' command\r\n"},
		{[]string{"SET", "e", "v", "PX", "0"}, "-ERR invalid expire time in 'set' command\r\n"},
		{[]string{"SET", "e", "v", "PX", "-5"}, "-ERR invalid expire time in 'set' command\r\n"},
		{[]string{"SET", "e", "v", "EXAT", "0"}, "-ERR invalid expire time in 'set' command\r\n"},
		{[]string{"SET", "e", "v", "PXAT", "0"}, "-ERR invalid expire time in 'set' command\r\n"},
		{[]string{"SET", "e", "v", "EX", "abc"}, "-ERR value is not an integer or out of range\r\n"},
		{[]string{"SET", "e", "v", "EX", "1.5"}, "-ERR value is not an integer or out of range\r\n"},
		{[]string{"SET", "e", "v", "EX", "9223372036854775807"}, "-ERR invalid expire time in 'set' command\r\n"},
		{[]string{"SET", "e", "v", "PX", "9223372036854775807"}, "-ERR invalid expire time in 'set' command\r\n"},
		{[]string{"SET", "e", "v", "EX", "9223372036854775"}, "-ERR invalid expire time in 'set' command\r\n"},
		{[]string{"SET", "e", "v", "EX", "9223372036854776"}, "-ERR invalid expire time in 'set' command\r\n"},
		{[]string{"SET", "e", "v", "EXAT", "9223372036854775807"}, "-ERR invalid expire time in 'set' command\r\n"},
		{[]string{"SET", "e", "v", "EXAT", "9223372036854775"}, "+OK\r\n"},
		{[]string{"SET", "e", "v", "PXAT", "9223372036854775807"}, "+OK\r\n"},
		{[]string{"EXISTS", "e"}, ":1\r\n"},
		{[]string{"SET", "e", "v", "EX", "01"}, "-ERR value is not an integer or out of range\r\n"},
		{[]string{"GET", "e"}, "$1\r\nv\r\n"},
	}},
	{"SetGet", []strStep{
		{[]string{"SET", "g", "old", "GET"}, "$-1\r\n"},
		{[]string{"SET", "g", "new", "GET"}, "$3\r\nold\r\n"},
		{[]string{"GET", "g"}, "$3\r\nnew\r\n"},
		{[]string{"SET", "g", "newer", "NX", "GET"}, "$3\r\nnew\r\n"},
		{[]string{"GET", "g"}, "$3\r\nnew\r\n"},
		{[]string{"SET", "g2", "val", "NX", "GET"}, "$-1\r\n"},
		{[]string{"GET", "g2"}, "$3\r\nval\r\n"},
		{[]string{"SET", "g3", "val", "XX", "GET"}, "$-1\r\n"},
		{[]string{"GET", "g3"}, "$-1\r\n"},
		{[]string{"SET", "g", "newest", "XX", "GET"}, "$3\r\nnew\r\n"},
		{[]string{"GET", "g"}, "$6\r\nnewest\r\n"},
		{[]string{"@list", "l"}, ""},
		{[]string{"SET", "l", "v", "GET"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{[]string{"SET", "l", "v", "NX", "GET"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{[]string{"SET", "l", "v", "XX", "GET"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{[]string{"SET", "l", "v", "EX", "0", "GET"}, "-ERR invalid expire time in 'set' command\r\n"},
		{[]string{"SET", "l", "v", "NX"}, "$-1\r\n"},
		{[]string{"SET", "l", "v", "XX"}, "+OK\r\n"},
		{[]string{"TYPE", "l"}, "+string\r\n"},
		{[]string{"SET", "l", "v"}, "+OK\r\n"},
		{[]string{"GET", "l"}, "$1\r\nv\r\n"},
		{[]string{"@list", "l"}, ""},
		{[]string{"SET", "l", "v", "KEEPTTL"}, "+OK\r\n"},
		{[]string{"GET", "l"}, "$1\r\nv\r\n"},
	}},
	{"SetTTL", []strStep{
		{[]string{"SET", "t", "v", "EXAT", "4102444800"}, "+OK\r\n"},
		{[]string{"EXPIRETIME", "t"}, ":4102444800\r\n"},
		{[]string{"SET", "t", "v2"}, "+OK\r\n"},
		{[]string{"TTL", "t"}, ":-1\r\n"},
		{[]string{"SET", "t", "v", "PXAT", "4102444800123"}, "+OK\r\n"},
		{[]string{"PEXPIRETIME", "t"}, ":4102444800123\r\n"},
		{[]string{"SET", "t", "v3", "KEEPTTL"}, "+OK\r\n"},
		{[]string{"PEXPIRETIME", "t"}, ":4102444800123\r\n"},
		{[]string{"GET", "t"}, "$2\r\nv3\r\n"},
		{[]string{"SET", "t", "v4", "KEEPTTL", "XX", "GET"}, "$2\r\nv3\r\n"},
		{[]string{"PEXPIRETIME", "t"}, ":4102444800123\r\n"},
		{[]string{"SET", "t", "v5", "keepttl", "nx"}, "$-1\r\n"},
		{[]string{"PEXPIRETIME", "t"}, ":4102444800123\r\n"},
		{[]string{"SET", "t", "v", "EX", "100"}, "+OK\r\n"},
		{[]string{"TTL", "t"}, ":100\r\n"},
		{[]string{"SET", "t", "v", "PX", "100000"}, "+OK\r\n"},
		{[]string{"TTL", "t"}, ":100\r\n"},
		{[]string{"SET", "t", "v", "ex", "100", "get"}, "$1\r\nv\r\n"},
		{[]string{"TTL", "t"}, ":100\r\n"},
		{[]string{"SET", "past", "v", "EXAT", "1"}, "+OK\r\n"},
		{[]string{"EXISTS", "past"}, ":0\r\n"},
		{[]string{"GET", "past"}, "$-1\r\n"},
		{[]string{"SET", "past", "v", "PXAT", "1"}, "+OK\r\n"},
		{[]string{"GET", "past"}, "$-1\r\n"},
		{[]string{"SET", "past", "v", "EXAT", "1", "GET"}, "$-1\r\n"},
		{[]string{"EXISTS", "past"}, ":0\r\n"},
		{[]string{"SET", "past", "v", "PXAT", "1", "GET"}, "$-1\r\n"},
	}},
	{"SetNXEXGetSet", []strStep{
		{[]string{"SETNX", "sn", "1"}, ":1\r\n"},
		{[]string{"SETNX", "sn", "2"}, ":0\r\n"},
		{[]string{"GET", "sn"}, "$1\r\n1\r\n"},
		{[]string{"SETNX", "sn"}, "-ERR wrong number of arguments for 'setnx' command\r\n"},
		{[]string{"SETEX", "se", "100", "v"}, "+OK\r\n"},
		{[]string{"TTL", "se"}, ":100\r\n"},
		{[]string{"GET", "se"}, "$1\r\nv\r\n"},
		{[]string{"SETEX", "se", "0", "v"}, "-ERR invalid expire time in 'setex' command\r\n"},
		{[]string{"SETEX", "se", "-1", "v"}, "-ERR invalid expire time in 'setex' command\r\n"},
		{[]string{"SETEX", "se", "abc", "v"}, "-ERR value is not an integer or out of range\r\n"},
		{[]string{"SETEX", "se", "9223372036854775807", "v"}, "-ERR invalid expire time in 'setex' command\r\n"},
		{[]string{"SETEX", "se", "9223372036854775", "v"}, "-ERR invalid expire time in 'setex' command\r\n"},
		{[]string{"PSETEX", "pse", "100000", "v"}, "+OK\r\n"},
		{[]string{"TTL", "pse"}, ":100\r\n"},
		{[]string{"PSETEX", "pse", "0", "v"}, "-ERR invalid expire time in 'psetex' command\r\n"},
		{[]string{"PSETEX", "pse", "-1", "v"}, "-ERR invalid expire time in 'psetex' command\r\n"},
		{[]string{"PSETEX", "pse", "1.5", "v"}, "-ERR value is not an integer or out of range\r\n"},
		{[]string{"PSETEX", "pse", "9223372036854775807", "v"}, "-ERR invalid expire time in 'psetex' command\r\n"},
		{[]string{"@list", "l"}, ""},
		{[]string{"SETNX", "l", "v"}, ":0\r\n"},
		{[]string{"SETEX", "l", "100", "v"}, "+OK\r\n"},
		{[]string{"TYPE", "l"}, "+string\r\n"},
		{[]string{"GETSET", "gs", "a"}, "$-1\r\n"},
		{[]string{"GETSET", "gs", "b"}, "$1\r\na\r\n"},
		{[]string{"GET", "gs"}, "$1\r\nb\r\n"},
		{[]string{"SET", "gs", "v", "EX", "100"}, "+OK\r\n"},
		{[]string{"GETSET", "gs", "c"}, "$1\r\nv\r\n"},
		{[]string{"TTL", "gs"}, ":-1\r\n"},
		{[]string{"@list", "l2"}, ""},
		{[]string{"GETSET", "l2", "x"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{[]string{"TYPE", "l2"}, "+list\r\n"},
	}},
	{"GetDel", []strStep{
		{[]string{"GET", "missing"}, "$-1\r\n"},
		{[]string{"GET", "a", "b"}, "-ERR wrong number of arguments for 'get' command\r\n"},
		{[]string{"SET", "s", "hello"}, "+OK\r\n"},
		{[]string{"GETDEL", "s"}, "$5\r\nhello\r\n"},
		{[]string{"GETDEL", "s"}, "$-1\r\n"},
		{[]string{"EXISTS", "s"}, ":0\r\n"},
		{[]string{"SET", "n", "123"}, "+OK\r\n"},
		{[]string{"GETDEL", "n"}, "$3\r\n123\r\n"},
		{[]string{"@list", "l"}, ""},
		{[]string{"GETDEL", "l"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{[]string{"GET", "l"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{[]string{"EXISTS", "l"}, ":1\r\n"},
	}},
	{"GetEx", []strStep{
		{[]string{"SET", "gx", "v"}, "+OK\r\n"},
		{[]string{"GETEX", "gx"}, "$1\r\nv\r\n"},
		{[]string{"TTL", "gx"}, ":-1\r\n"},
		{[]string{"GETEX", "gx", "EX", "100"}, "$1\r\nv\r\n"},
		{[]string{"TTL", "gx"}, ":100\r\n"},
		{[]string{"GETEX", "gx", "PX", "200000"}, "$1\r\nv\r\n"},
		{[]string{"TTL", "gx"}, ":200\r\n"},
		{[]string{"GETEX", "gx", "EXAT", "4102444800"}, "$1\r\nv\r\n"},
		{[]string{"EXPIRETIME", "gx"}, ":4102444800\r\n"},
		{[]string{"GETEX", "gx", "PXAT", "4102444800500"}, "$1\r\nv\r\n"},
		{[]string{"PEXPIRETIME", "gx"}, ":4102444800500\r\n"},
		{[]string{"GETEX", "gx", "PERSIST"}, "$1\r\nv\r\n"},
		{[]string{"TTL", "gx"}, ":-1\r\n"},
		{[]string{"GETEX", "gx", "PERSIST", "PERSIST"}, "$1\r\nv\r\n"},
		{[]string{"GETEX", "gx", "EX", "0"}, "-ERR invalid expire time in 'getex' command\r\n"},
		{[]string{"GETEX", "gx", "EX", "-1"}, "-ERR invalid expire time in 'getex' command\r\n"},
		{[]string{"GETEX", "gx", "PX", "0"}, "-ERR invalid expire time in 'getex' command\r\n"},
		{[]string{"GETEX", "gx", "EX", "abc"}, "-ERR value is not an integer or out of range\r\n"},
		{[]string{"GETEX", "gx", "EX"}, "-ERR syntax error\r\n"},
		{[]string{"GETEX", "gx", "EX", "10", "PX", "10"}, "-ERR syntax error\r\n"},
		{[]string{"GETEX", "gx", "PERSIST", "EX", "10"}, "-ERR syntax error\r\n"},
		{[]string{"GETEX", "gx", "EX", "10", "PERSIST"}, "-ERR syntax error\r\n"},
		{[]string{"GETEX", "gx", "KEEPTTL"}, "-ERR syntax error\r\n"},
		{[]string{"GETEX", "gx", "NX"}, "-ERR syntax error\r\n"},
		{[]string{"GETEX", "gx", "GET"}, "-ERR syntax error\r\n"},
		{[]string{"GETEX", "gx", "BOGUS"}, "-ERR syntax error\r\n"},
		{[]string{"GETEX", "gx", "EX", "9223372036854775807"}, "-ERR invalid expire time in 'getex' command\r\n"},
		{[]string{"GETEX", "gx", "EX", "10", "EX", "20"}, "$1\r\nv\r\n"},
		{[]string{"TTL", "gx"}, ":20\r\n"},
		{[]string{"GETEX", "missing", "EX", "10"}, "$-1\r\n"},
		{[]string{"GETEX", "missing", "EX", "0"}, "$-1\r\n"},
		{[]string{"GETEX", "missing", "BOGUS"}, "-ERR syntax error\r\n"},
		{[]string{"@list", "l"}, ""},
		{[]string{"GETEX", "l", "EX", "0"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{[]string{"GETEX", "l"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{[]string{"SET", "n", "42"}, "+OK\r\n"},
		{[]string{"GETEX", "n", "EXAT", "1"}, "$2\r\n42\r\n"},
		{[]string{"EXISTS", "n"}, ":0\r\n"},
		{[]string{"SET", "n", "42"}, "+OK\r\n"},
		{[]string{"GETEX", "n", "PXAT", "1"}, "$2\r\n42\r\n"},
		{[]string{"EXISTS", "n"}, ":0\r\n"},
	}},
	{"MSet", []strStep{
		{[]string{"MSET", "a", "1", "b", "2", "c", "3"}, "+OK\r\n"},
		{[]string{"MGET", "a", "b", "c", "missing"}, "*4\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n$-1\r\n"},
		{[]string{"MGET", "missing"}, "*1\r\n$-1\r\n"},
		{[]string{"MSET", "a"}, "-ERR wrong number of arguments for 'mset' command\r\n"},
		{[]string{"MSET", "a", "1", "b"}, "-ERR wrong number of arguments for 'mset' command\r\n"},
		{[]string{"MSET", "a", "x", "a", "y"}, "+OK\r\n"},
		{[]string{"GET", "a"}, "$1\r\ny\r\n"},
		{[]string{"MSETNX", "a", "1", "new", "2"}, ":0\r\n"},
		{[]string{"GET", "new"}, "$-1\r\n"},
		{[]string{"MSETNX", "n1", "1", "n2", "2"}, ":1\r\n"},
		{[]string{"MGET", "n1", "n2"}, "*2\r\n$1\r\n1\r\n$1\r\n2\r\n"},
		{[]string{"MSETNX", "n3", "1", "n3", "2"}, ":1\r\n"},
		{[]string{"GET", "n3"}, "$1\r\n2\r\n"},
		{[]string{"MSETNX", "n4", "1", "n5"}, "-ERR wrong number of arguments for 'msetnx' command\r\n"},
		{[]string{"SET", "ex", "v", "EX", "100"}, "+OK\r\n"},
		{[]string{"MSET", "ex", "v2"}, "+OK\r\n"},
		{[]string{"TTL", "ex"}, ":-1\r\n"},
		{[]string{"@list", "l"}, ""},
		{[]string{"MGET", "a", "l", "b"}, "*3\r\n$1\r\ny\r\n$-1\r\n$1\r\n2\r\n"},
		{[]string{"MSET", "l", "v"}, "+OK\r\n"},
		{[]string{"GET", "l"}, "$1\r\nv\r\n"},
	}},
	{"AppendStrlen", []strStep{
		{[]string{"APPEND", "ap", "hello"}, ":5\r\n"},
		{[]string{"APPEND", "ap", " world"}, ":11\r\n"},
		{[]string{"GET", "ap"}, "$11\r\nhello world\r\n"},
		{[]string{"STRLEN", "ap"}, ":11\r\n"},
		{[]string{"APPEND", "ap", ""}, ":11\r\n"},
		{[]string{"STRLEN", "ap"}, ":11\r\n"},
		{[]string{"APPEND", "new-empty", ""}, ":0\r\n"},
		{[]string{"EXISTS", "new-empty"}, ":1\r\n"},
		{[]string{"GET", "new-empty"}, "$0\r\n\r\n"},
		{[]string{"STRLEN", "missing"}, ":0\r\n"},
		{[]string{"SET", "num", "123"}, "+OK\r\n"},
		{[]string{"APPEND", "num", "4"}, ":4\r\n"},
		{[]string{"GET", "num"}, "$4\r\n1234\r\n"},
		{[]string{"STRLEN", "num"}, ":4\r\n"},
		{[]string{"SET", "num", "99999"}, "+OK\r\n"},
		{[]string{"STRLEN", "num"}, ":5\r\n"},
		{[]string{"SET", "num", "-1"}, "+OK\r\n"},
		{[]string{"STRLEN", "num"}, ":2\r\n"},
		{[]string{"SET", "num", "-9223372036854775808"}, "+OK\r\n"},
		{[]string{"STRLEN", "num"}, ":20\r\n"},
		{[]string{"@list", "l"}, ""},
		{[]string{"APPEND", "l", "x"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{[]string{"STRLEN", "l"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{[]string{"SET", "t", "v", "EX", "100"}, "+OK\r\n"},
		{[]string{"APPEND", "t", "x"}, ":2\r\n"},
		{[]string{"TTL", "t"}, ":100\r\n"},
		{[]string{"GET", "t"}, "$2\r\nvx\r\n"},
	}},
	{"Getrange", []strStep{
		{[]string{"SET", "gr", "Hello World"}, "+OK\r\n"},
		{[]string{"GETRANGE", "gr", "0", "4"}, "$5\r\nHello\r\n"},
		{[]string{"GETRANGE", "gr", "0", "-1"}, "$11\r\nHello World\r\n"},
		{[]string{"GETRANGE", "gr", "-5", "-1"}, "$5\r\nWorld\r\n"},
		{[]string{"GETRANGE", "gr", "-100", "2"}, "$3\r\nHel\r\n"},
		{[]string{"GETRANGE", "gr", "0", "100"}, "$11\r\nHello World\r\n"},
		{[]string{"GETRANGE", "gr", "5", "3"}, "$0\r\n\r\n"},
		{[]string{"GETRANGE", "gr", "11", "20"}, "$0\r\n\r\n"},
		{[]string{"GETRANGE", "gr", "10", "10"}, "$1\r\nd\r\n"},
		{[]string{"GETRANGE", "gr", "-1", "-5"}, "$0\r\n\r\n"},
		{[]string{"GETRANGE", "gr", "-100", "-50"}, "$1\r\nH\r\n"},
		{[]string{"GETRANGE", "gr", "100", "200"}, "$0\r\n\r\n"},
		{[]string{"GETRANGE", "gr", "0", "0"}, "$1\r\nH\r\n"},
		{[]string{"GETRANGE", "gr", "-1", "-1"}, "$1\r\nd\r\n"},
		{[]string{"GETRANGE", "gr", "3", "-3"}, "$6\r\nlo Wor\r\n"},
		{[]string{"GETRANGE", "gr", "a", "1"}, "-ERR value is not an integer or out of range\r\n"},
		{[]string{"GETRANGE", "gr", "0", "b"}, "-ERR value is not an integer or out of range\r\n"},
		{[]string{"GETRANGE", "gr", "0", "9223372036854775807"}, "$11\r\nHello World\r\n"},
		{[]string{"GETRANGE", "gr", "-9223372036854775808", "-1"}, "$11\r\nHello World\r\n"},
		{[]string{"GETRANGE", "gr", "-9223372036854775808", "9223372036854775807"}, "$11\r\nHello World\r\n"},
		{[]string{"GETRANGE", "gr", "0", "9223372036854775808"}, "-ERR value is not an integer or out of range\r\n"},
		{[]string{"GETRANGE", "missing", "0", "-1"}, "$0\r\n\r\n"},
		{[]string{"GETRANGE", "missing", "a", "0"}, "-ERR value is not an integer or out of range\r\n"},
		{[]string{"SET", "empty", ""}, "+OK\r\n"},
		{[]string{"GETRANGE", "empty", "0", "-1"}, "$0\r\n\r\n"},
		{[]string{"GETRANGE", "empty", "0", "0"}, "$0\r\n\r\n"},
		{[]string{"GETRANGE", "empty", "-1", "0"}, "$0\r\n\r\n"},
		{[]string{"SET", "num", "12345"}, "+OK\r\n"},
		{[]string{"GETRANGE", "num", "1", "3"}, "$3\r\n234\r\n"},
		{[]string{"GETRANGE", "num", "-2", "-1"}, "$2\r\n45\r\n"},
		{[]string{"SUBSTR", "gr", "0", "4"}, "$5\r\nHello\r\n"},
		{[]string{"SUBSTR", "num", "-3", "-1"}, "$3\r\n345\r\n"},
		{[]string{"@list", "l"}, ""},
		{[]string{"GETRANGE", "l", "0", "1"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{[]string{"GETRANGE", "l", "x", "1"}, "-ERR value is not an integer or out of range\r\n"},
	}},
	{"Setrange", []strStep{
		{[]string{"SETRANGE", "sr", "0", "hello"}, ":5\r\n"},
		{[]string{"GET", "sr"}, "$5\r\nhello\r\n"},
		{[]string{"SETRANGE", "sr", "6", "world"}, ":11\r\n"},
		{[]string{"GET", "sr"}, "$11\r\nhello\x00world\r\n"},
		{[]string{"STRLEN", "sr"}, ":11\r\n"},
		{[]string{"SETRANGE", "sr", "1", ""}, ":11\r\n"},
		{[]string{"GET", "sr"}, "$11\r\nhello\x00world\r\n"},
		{[]string{"SETRANGE", "sr", "100", ""}, ":11\r\n"},
		{[]string{"STRLEN", "sr"}, ":11\r\n"},
		{[]string{"SETRANGE", "sr", "0", "J"}, ":11\r\n"},
		{[]string{"GET", "sr"}, "$11\r\nJello\x00world\r\n"},
		{[]string{"SETRANGE", "sr", "20", "end"}, ":23\r\n"},
		{[]string{"GET", "sr"}, "$23\r\nJello\x00world\x00\x00\x00\x00\x00\x00\x00\x00\x00end\r\n"},
		{[]string{"SETRANGE", "missing", "0", ""}, ":0\r\n"},
		{[]string{"EXISTS", "missing"}, ":0\r\n"},
		{[]string{"SETRANGE", "missing", "5", ""}, ":0\r\n"},
		{[]string{"EXISTS", "missing"}, ":0\r\n"},
		{[]string{"SETRANGE", "missing", "536870912", ""}, ":0\r\n"},
		{[]string{"SETRANGE", "pad", "3", "x"}, ":4\r\n"},
		{[]string{"GET", "pad"}, "$4\r\n\x00\x00\x00x\r\n"},
		{[]string{"SETRANGE", "sr", "-1", "x"}, "-ERR offset is out of range\r\n"},
		{[]string{"SETRANGE", "sr", "abc", "x"}, "-ERR value is not an integer or out of range\r\n"},
		{[]string{"SETRANGE", "sr", "1.5", "x"}, "-ERR value is not an integer or out of range\r\n"},
		{[]string{"DEL", "sr"}, ":1\r\n"},
		{[]string{"SETRANGE", "sr", "536870912", "x"}, "-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n"},
		{[]string{"SETRANGE", "sr", "536870911", "xy"}, "-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n"},
		{[]string{"SETRANGE", "sr", "9223372036854775807", "x"}, "-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n"},
		{[]string{"SETRANGE", "sr", "536870912", ""}, ":0\r\n"},
		{[]string{"EXISTS", "sr"}, ":0\r\n"},
		{[]string{"SET", "num", "12345"}, "+OK\r\n"},
		{[]string{"SETRANGE", "num", "2", "x"}, ":5\r\n"},
		{[]string{"GET", "num"}, "$5\r\n12x45\r\n"},
		{[]string{"SET", "num", "10"}, "+OK\r\n"},
		{[]string{"SETRANGE", "num", "2", "0"}, ":3\r\n"},
		{[]string{"GET", "num"}, "$3\r\n100\r\n"},
		{[]string{"INCR", "num"}, ":101\r\n"},
		{[]string{"SET", "s", "abc"}, "+OK\r\n"},
		{[]string{"SETRANGE", "s", "536870912", ""}, ":3\r\n"},
		{[]string{"SETRANGE", "s", "536870911", "xy"}, "-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n"},
		{[]string{"SETRANGE", "s", "-1", ""}, "-ERR offset is out of range\r\n"},
		{[]string{"@list", "l"}, ""},
		{[]string{"SETRANGE", "l", "0", "x"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{[]string{"SETRANGE", "l", "0", ""}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{[]string{"SETRANGE", "l", "-1", "x"}, "-ERR offset is out of range\r\n"},
		{[]string{"SET", "t", "v", "EX", "100"}, "+OK\r\n"},
		{[]string{"SETRANGE", "t", "3", "x"}, ":4\r\n"},
		{[]string{"TTL", "t"}, ":100\r\n"},
		{[]string{"GET", "t"}, "$4\r\nv\x00\x00x\r\n"},
	}},
	{"Incr", []strStep{
		{[]string{"INCR", "c"}, ":1\r\n"},
		{[]string{"INCR", "c"}, ":2\r\n"},
		{[]string{"GET", "c"}, "$1\r\n2\r\n"},
		{[]string{"DECR", "c"}, ":1\r\n"},
		{[]string{"DECR", "c"}, ":0\r\n"},
		{[]string{"DECR", "c"}, ":-1\r\n"},
		{[]string{"GET", "c"}, "$2\r\n-1\r\n"},
		{[]string{"INCRBY", "c", "10"}, ":9\r\n"},
		{[]string{"INCRBY", "c", "-20"}, ":-11\r\n"},
		{[]string{"DECRBY", "c", "5"}, ":-16\r\n"},
		{[]string{"DECRBY", "c", "-5"}, ":-11\r\n"},
		{[]string{"INCRBY", "c", "0"}, ":-11\r\n"},
		{[]string{"INCRBY", "c", "abc"}, "-ERR value is not an integer or out of range\r\n"},
		{[]string{"INCRBY", "c", "1.5"}, "-ERR value is not an integer or out of range\r\n"},
		{[]string{"INCRBY", "c", ""}, "-ERR value is not an integer or out of range\r\n"},
		{[]string{"INCRBY", "c", " 1"}, "-ERR value is not an integer or out of range\r\n"},
		{[]string{"INCRBY", "c", "+1"}, "-ERR value is not an integer or out of range\r\n"},
		{[]string{"INCRBY", "c", "01"}, "-ERR value is not an integer or out of range\r\n"},
		{[]string{"INCRBY", "c", "-0"}, "-ERR value is not an integer or out of range\r\n"},
		{[]string{"INCRBY", "c", "9223372036854775808"}, "-ERR value is not an integer or out of range\r\n"},
		{[]string{"DECRBY", "c", "-9223372036854775808"}, "-ERR decrement would overflow\r\n"},
		{[]string{"DECRBY", "c", "9223372036854775807"}, "-ERR increment or decrement would overflow\r\n"},
		{[]string{"SET", "s", "abc"}, "+OK\r\n"},
		{[]string{"INCR", "s"}, "-ERR value is not an integer or out of range\r\n"},
		{[]string{"SET", "s", ""}, "+OK\r\n"},
		{[]string{"INCR", "s"}, "-ERR value is not an integer or out of range\r\n"},
		{[]string{"SET", "s", "1.0"}, "+OK\r\n"},
		{[]string{"INCR", "s"}, "-ERR value is not an integer or out of range\r\n"},
		{[]string{"SET", "s", " 1"}, "+OK\r\n"},
		{[]string{"INCR", "s"}, "-ERR value is not an integer or out of range\r\n"},
		{[]string{"SET", "s", "+1"}, "+OK\r\n"},
		{[]string{"INCR", "s"}, "-ERR value is not an integer or out of range\r\n"},
		{[]string{"SET", "s", "007"}, "+OK\r\n"},
		{[]string{"INCR", "s"}, "-ERR value is not an integer or out of range\r\n"},
		{[]string{"SET", "s", "-0"}, "+OK\r\n"},
		{[]string{"INCR", "s"}, "-ERR value is not an integer or out of range\r\n"},
		{[]string{"SET", "s", "99999999999999999999"}, "+OK\r\n"},
		{[]string{"INCR", "s"}, "-ERR value is not an integer or out of range\r\n"},
		{[]string{"SET", "s", "12345678901234567890123456789012345678901234567890"}, "+OK\r\n"},
		{[]string{"INCR", "s"}, "-ERR value is not an integer or out of range\r\n"},
		{[]string{"APPEND", "r", "41"}, ":2\r\n"},
		{[]string{"INCR", "r"}, ":42\r\n"},
		{[]string{"GET", "r"}, "$2\r\n42\r\n"},
		{[]string{"SET", "max", "9223372036854775807"}, "+OK\r\n"},
		{[]string{"INCR", "max"}, "-ERR increment or decrement would overflow\r\n"},
		{[]string{"INCRBY", "max", "1"}, "-ERR increment or decrement would overflow\r\n"},
		{[]string{"DECR", "max"}, ":9223372036854775806\r\n"},
		{[]string{"SET", "min", "-9223372036854775808"}, "+OK\r\n"},
		{[]string{"DECR", "min"}, "-ERR increment or decrement would overflow\r\n"},
		{[]string{"DECRBY", "min", "1"}, "-ERR increment or decrement would overflow\r\n"},
		{[]string{"INCRBY", "min", "-1"}, "-ERR increment or decrement would overflow\r\n"},
		{[]string{"INCR", "min"}, ":-9223372036854775807\r\n"},
		{[]string{"SET", "z", "0"}, "+OK\r\n"},
		{[]string{"INCRBY", "z", "9223372036854775807"}, ":9223372036854775807\r\n"},
		{[]string{"INCRBY", "z", "1"}, "-ERR increment or decrement would overflow\r\n"},
		{[]string{"SET", "z", "0"}, "+OK\r\n"},
		{[]string{"INCRBY", "z", "-9223372036854775808"}, ":-9223372036854775808\r\n"},
		{[]string{"DECRBY", "z", "1"}, "-ERR increment or decrement would overflow\r\n"},
		{[]string{"SET", "z", "-1"}, "+OK\r\n"},
		{[]string{"INCRBY", "z", "-9223372036854775808"}, "-ERR increment or decrement would overflow\r\n"},
		{[]string{"@list", "l"}, ""},
		{[]string{"INCR", "l"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{[]string{"INCRBY", "l", "x"}, "-ERR value is not an integer or out of range\r\n"},
		{[]string{"DECRBY", "l", "1"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{[]string{"SET", "t", "1", "EX", "100"}, "+OK\r\n"},
		{[]string{"INCR", "t"}, ":2\r\n"},
		{[]string{"TTL", "t"}, ":100\r\n"},
		{[]string{"SET", "t", "1", "EX", "100"}, "+OK\r\n"},
		{[]string{"SET", "t2", "5", "PXAT", "4102444800123"}, "+OK\r\n"},
		{[]string{"APPEND", "t2", "0"}, ":2\r\n"},
		{[]string{"INCRBY", "t2", "-3"}, ":47\r\n"},
		{[]string{"PEXPIRETIME", "t2"}, ":4102444800123\r\n"},
	}},
	{"IncrByFloat", []strStep{
		{[]string{"INCRBYFLOAT", "f", "1.5"}, "$3\r\n1.5\r\n"},
		{[]string{"INCRBYFLOAT", "f", "0.1"}, "$3\r\n1.6\r\n"},
		{[]string{"INCRBYFLOAT", "f", "-1.6"}, "$1\r\n0\r\n"},
		{[]string{"GET", "f"}, "$1\r\n0\r\n"},
		{[]string{"INCRBYFLOAT", "f", "10"}, "$2\r\n10\r\n"},
		{[]string{"INCRBYFLOAT", "f", "1e3"}, "$4\r\n1010\r\n"},
		{[]string{"INCRBYFLOAT", "f", "5.0e3"}, "$4\r\n6010\r\n"},
		{[]string{"INCRBYFLOAT", "f", "-5000"}, "$4\r\n1010\r\n"},
		{[]string{"INCRBYFLOAT", "f", "0"}, "$4\r\n1010\r\n"},
		{[]string{"SET", "f", "3.0"}, "+OK\r\n"},
		{[]string{"INCRBYFLOAT", "f", "0"}, "$1\r\n3\r\n"},
		{[]string{"SET", "f", "10.50"}, "+OK\r\n"},
		{[]string{"INCRBYFLOAT", "f", "0.1"}, "$4\r\n10.6\r\n"},
		{[]string{"SET", "f", "0.1"}, "+OK\r\n"},
		{[]string{"INCRBYFLOAT", "f", "0.2"}, "$3\r\n0.3\r\n"},
		{[]string{"SET", "f", "0"}, "+OK\r\n"},
		{[]string{"INCRBYFLOAT", "f", "1000.1"}, "$22\r\n1000.09999999999999998\r\n"},
		{[]string{"SET", "f", "17179869184"}, "+OK\r\n"},
		{[]string{"INCRBYFLOAT", "f", "0.25"}, "$14\r\n17179869184.25\r\n"},
		{[]string{"INCRBYFLOAT", "f", "nan"}, "-ERR value is not a valid float\r\n"},
		{[]string{"INCRBYFLOAT", "f", "inf"}, "-ERR increment would produce NaN or Infinity\r\n"},
		{[]string{"INCRBYFLOAT", "f", "-inf"}, "-ERR increment would produce NaN or Infinity\r\n"},
		{[]string{"INCRBYFLOAT", "f", "infinity"}, "-ERR increment would produce NaN or Infinity\r\n"},
		{[]string{"INCRBYFLOAT", "f", "abc"}, "-ERR value is not a valid float\r\n"},
		{[]string{"INCRBYFLOAT", "f", ""}, "-ERR value is not a valid float\r\n"},
		{[]string{"INCRBYFLOAT", "f", "1 "}, "-ERR value is not a valid float\r\n"},
		{[]string{"INCRBYFLOAT", "f", " 1"}, "-ERR value is not a valid float\r\n"},
		{[]string{"INCRBYFLOAT", "f", "1.5.5"}, "-ERR value is not a valid float\r\n"},
		{[]string{"INCRBYFLOAT", "f", "1\x00"}, "-ERR value is not a valid float\r\n"},
		{[]string{"INCRBYFLOAT", "f", "0x10"}, "$14\r\n17179869200.25\r\n"},
		{[]string{"INCRBYFLOAT", "f", "0x1p-2"}, "$13\r\n17179869200.5\r\n"},
		{[]string{"INCRBYFLOAT", "f", "1e"}, "-ERR value is not a valid float\r\n"},
		{[]string{"INCRBYFLOAT", "f", ".5"}, "$11\r\n17179869201\r\n"},
		{[]string{"INCRBYFLOAT", "f", "1."}, "$11\r\n17179869202\r\n"},
		{[]string{"SET", "f", "inf"}, "+OK\r\n"},
		{[]string{"INCRBYFLOAT", "f", "1"}, "-ERR increment would produce NaN or Infinity\r\n"},
		{[]string{"SET", "f", "1.5 "}, "+OK\r\n"},
		{[]string{"INCRBYFLOAT", "f", "1"}, "-ERR value is not a valid float\r\n"},
		{[]string{"SET", "f", "1e308"}, "+OK\r\n"},
		{[]string{"INCRBYFLOAT", "f", "1e308"}, "$309\r\n199999999999999999993371759311691291321120199694831134415594095989843469737676123744200253843777078640893494450108026446304269499187921167194841628860392837535918200039206381557326219209014213335878306791577877829121087126122536729803237260434173178506889763247582601711514636284849020905456510092687857156096\r\n"},
		{[]string{"GET", "f"}, "$309\r\n199999999999999999993371759311691291321120199694831134415594095989843469737676123744200253843777078640893494450108026446304269499187921167194841628860392837535918200039206381557326219209014213335878306791577877829121087126122536729803237260434173178506889763247582601711514636284849020905456510092687857156096\r\n"},
		{[]string{"INCRBYFLOAT", "f", "1e400"}, "$401\r\n10000000000000000000281880683947586514586453433629052038625910693539685534008629862039363994848324160522094053927317616200295822777259255734023828976593340661017797447434546173917862448116674971723778943824391593338047470675026246684401359237513603830343735485505244955964979021825038280091068414947402456898653040951017512658092615827588920183472511643316591362664138176309734806343732497430221946880\r\n"},
		{[]string{"INCRBYFLOAT", "f", "1e4933"}, "-ERR value is not a valid float\r\n"},
		{[]string{"SET", "f", "1e4932"}, "+OK\r\n"},
		{[]string{"INCRBYFLOAT", "f", "1e4932"}, "-ERR increment would produce NaN or Infinity\r\n"},
		{[]string{"SET", "f", "-1"}, "+OK\r\n"},
		{[]string{"INCRBYFLOAT", "f", "0.99999999999999999999"}, "$1\r\n0\r\n"},
		{[]string{"SET", "f", "1"}, "+OK\r\n"},
		{[]string{"INCRBYFLOAT", "f", "1e-17"}, "$19\r\n1.00000000000000001\r\n"},
		{[]string{"SET", "f", "12345678901234567890123456789012345678901234567"}, "+OK\r\n"},
		{[]string{"INCRBYFLOAT", "f", "0"}, "$47\r\n12345678901234567889989712775525437900960301056\r\n"},
		{[]string{"SET", "fi", "10"}, "+OK\r\n"},
		{[]string{"INCRBYFLOAT", "fi", "5"}, "$2\r\n15\r\n"},
		{[]string{"INCR", "fi"}, ":16\r\n"},
		{[]string{"INCRBYFLOAT", "fi", "0.5"}, "$4\r\n16.5\r\n"},
		{[]string{"INCR", "fi"}, "-ERR value is not an integer or out of range\r\n"},
		{[]string{"@list", "l"}, ""},
		{[]string{"INCRBYFLOAT", "l", "1"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{[]string{"INCRBYFLOAT", "l", "x"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{[]string{"INCRBYFLOAT", "nokey", "x"}, "-ERR value is not a valid float\r\n"},
		{[]string{"EXISTS", "nokey"}, ":0\r\n"},
		{[]string{"SET", "ft", "1", "PXAT", "4102444800123"}, "+OK\r\n"},
		{[]string{"INCRBYFLOAT", "ft", "1.5"}, "$3\r\n2.5\r\n"},
		{[]string{"PEXPIRETIME", "ft"}, ":4102444800123\r\n"},
	}},
	{"Encoding", []strStep{
		{[]string{"SET", "k", "123"}, "+OK\r\n"},
		{[]string{"OBJECT", "ENCODING", "k"}, "$3\r\nint\r\n"},
		{[]string{"SET", "k", "-123"}, "+OK\r\n"},
		{[]string{"OBJECT", "ENCODING", "k"}, "$3\r\nint\r\n"},
		{[]string{"SET", "k", "0123"}, "+OK\r\n"},
		{[]string{"OBJECT", "ENCODING", "k"}, "$6\r\nembstr\r\n"},
		{[]string{"SET", "k", "-0"}, "+OK\r\n"},
		{[]string{"OBJECT", "ENCODING", "k"}, "$6\r\nembstr\r\n"},
		{[]string{"SET", "k", "9223372036854775807"}, "+OK\r\n"},
		{[]string{"OBJECT", "ENCODING", "k"}, "$3\r\nint\r\n"},
		{[]string{"SET", "k", "9223372036854775808"}, "+OK\r\n"},
		{[]string{"OBJECT", "ENCODING", "k"}, "$6\r\nembstr\r\n"},
		{[]string{"SET", "k", "abc"}, "+OK\r\n"},
		{[]string{"OBJECT", "ENCODING", "k"}, "$6\r\nembstr\r\n"},
		{[]string{"SET", "k", ""}, "+OK\r\n"},
		{[]string{"OBJECT", "ENCODING", "k"}, "$6\r\nembstr\r\n"},
		{[]string{"SET", "k", "12345678901234567890123456789012345678901234"}, "+OK\r\n"},
		{[]string{"OBJECT", "ENCODING", "k"}, "$6\r\nembstr\r\n"},
		{[]string{"SET", "k", "123456789012345678901234567890123456789012345"}, "+OK\r\n"},
		{[]string{"OBJECT", "ENCODING", "k"}, "$3\r\nraw\r\n"},
		{[]string{"APPEND", "k", "x"}, ":46\r\n"},
		{[]string{"OBJECT", "ENCODING", "k"}, "$3\r\nraw\r\n"},
		{[]string{"SET", "k", "12"}, "+OK\r\n"},
		{[]string{"APPEND", "k", "3"}, ":3\r\n"},
		{[]string{"OBJECT", "ENCODING", "k"}, "$3\r\nraw\r\n"},
		{[]string{"SET", "k", "12"}, "+OK\r\n"},
		{[]string{"APPEND", "k", ""}, ":2\r\n"},
		{[]string{"OBJECT", "ENCODING", "k"}, "$3\r\nraw\r\n"},
		{[]string{"APPEND", "k2", "123"}, ":3\r\n"},
		{[]string{"OBJECT", "ENCODING", "k2"}, "$3\r\nint\r\n"},
		{[]string{"APPEND", "k3", "abc"}, ":3\r\n"},
		{[]string{"OBJECT", "ENCODING", "k3"}, "$6\r\nembstr\r\n"},
		{[]string{"APPEND", "k4", ""}, ":0\r\n"},
		{[]string{"OBJECT", "ENCODING", "k4"}, "$6\r\nembstr\r\n"},
		{[]string{"SETRANGE", "k5", "0", "12"}, ":2\r\n"},
		{[]string{"OBJECT", "ENCODING", "k5"}, "$3\r\nraw\r\n"},
		{[]string{"SET", "k6", "abc"}, "+OK\r\n"},
		{[]string{"SETRANGE", "k6", "0", ""}, ":3\r\n"},
		{[]string{"OBJECT", "ENCODING", "k6"}, "$6\r\nembstr\r\n"},
		{[]string{"SETRANGE", "k6", "0", "x"}, ":3\r\n"},
		{[]string{"OBJECT", "ENCODING", "k6"}, "$3\r\nraw\r\n"},
		{[]string{"SET", "k7", "5"}, "+OK\r\n"},
		{[]string{"INCR", "k7"}, ":6\r\n"},
		{[]string{"OBJECT", "ENCODING", "k7"}, "$3\r\nint\r\n"},
		{[]string{"SET", "k7", "abc"}, "+OK\r\n"},
		{[]string{"APPEND", "k7", ""}, ":3\r\n"},
		{[]string{"SET", "k7", "5"}, "+OK\r\n"},
		{[]string{"APPEND", "k7", "0"}, ":2\r\n"},
		{[]string{"INCR", "k7"}, ":51\r\n"},
		{[]string{"OBJECT", "ENCODING", "k7"}, "$3\r\nint\r\n"},
		{[]string{"INCRBYFLOAT", "k8", "1"}, "$1\r\n1\r\n"},
		{[]string{"OBJECT", "ENCODING", "k8"}, "$6\r\nembstr\r\n"},
		{[]string{"INCRBYFLOAT", "k8", "1234567890123456789012345678901234567890123456"}, "$46\r\n1234567890123456789045394029025745550404747264\r\n"},
		{[]string{"OBJECT", "ENCODING", "k8"}, "$3\r\nraw\r\n"},
		{[]string{"SETNX", "k9", "77"}, ":1\r\n"},
		{[]string{"OBJECT", "ENCODING", "k9"}, "$3\r\nint\r\n"},
		{[]string{"SETEX", "k10", "100", "77"}, "+OK\r\n"},
		{[]string{"OBJECT", "ENCODING", "k10"}, "$3\r\nint\r\n"},
		{[]string{"MSET", "k11", "77", "k12", "abc"}, "+OK\r\n"},
		{[]string{"OBJECT", "ENCODING", "k11"}, "$3\r\nint\r\n"},
		{[]string{"OBJECT", "ENCODING", "k12"}, "$6\r\nembstr\r\n"},
		{[]string{"GETSET", "k11", "88"}, "$2\r\n77\r\n"},
		{[]string{"OBJECT", "ENCODING", "k11"}, "$3\r\nint\r\n"},
		{[]string{"SET", "k13", "1", "EX", "100", "GET"}, "$-1\r\n"},
		{[]string{"OBJECT", "ENCODING", "k13"}, "$3\r\nint\r\n"},
	}},
}

// garbageAlloc hands out blocks filled with 0xAA, as a backend that does not
// zero memory would, so that code relying on zeroed blocks shows up.
type garbageAlloc struct{ mem.Allocator }

func (g garbageAlloc) Alloc(p mem.Purpose, size int) mem.Ref {
	r := g.Allocator.Alloc(p, size)
	b := g.Allocator.Bytes(r, size)
	for i := range b {
		b[i] = 0xAA
	}
	return r
}

func TestStringsAppendInPlace(t *testing.T) {
	ks := db.NewKeyspace(garbageAlloc{goheap.New()}, 16)
	s := NewServer(config.Default(), ks)
	c := s.NewClient("1.2.3.4:5", "127.0.0.1:7379", -1)
	want := []byte{}
	growths := 0
	var lastRaw []byte
	for i := 0; i < 2000; i++ {
		piece := strconv.Itoa(i)
		want = append(want, piece...)
		if got := do(s, c, "APPEND", "k", piece); got != ":"+strconv.Itoa(len(want))+"\r\n" {
			t.Fatalf("APPEND %d: got %q", i, got)
		}
		e, _ := c.DB.Peek([]byte("k"))
		if i > 0 && e.Enc() != ds.EncRaw {
			t.Fatalf("APPEND %d: encoding %s", i, ds.EncodingName(e.Enc()))
		}
		if e.Enc() == ds.EncRaw {
			if lastRaw == nil || &e.RawBuf()[0] != &lastRaw[0] {
				growths++
			}
			lastRaw = e.RawBuf()
			if e.RawCap() < e.StrLen() {
				t.Fatalf("cap %d < len %d", e.RawCap(), e.StrLen())
			}
		}
	}
	// Doubling: about log2(final/initial) moves, not one per append.
	if growths > 20 {
		t.Errorf("%d block moves for 2000 appends; want amortized growth", growths)
	}
	if got := do(s, c, "GET", "k"); got != "$"+strconv.Itoa(len(want))+"\r\n"+string(want)+"\r\n" {
		t.Errorf("GET after appends: got %d bytes", len(got))
	}
	// SETRANGE past the end but within the spare capacity pads with zeros,
	// whatever the block held before.
	e, _ := c.DB.Peek([]byte("k"))
	n := e.StrLen()
	if e.RawCap()-n < 10 {
		t.Fatalf("no spare capacity to test with: len %d cap %d", n, e.RawCap())
	}
	want = append(want, 0, 0, 0, 0, 0, 'z')
	if got := do(s, c, "SETRANGE", "k", strconv.Itoa(n+5), "z"); got != ":"+strconv.Itoa(n+6)+"\r\n" {
		t.Fatalf("SETRANGE: got %q", got)
	}
	if got := do(s, c, "GETRANGE", "k", strconv.Itoa(n-1), "-1"); got != "$7\r\n"+string(want[n-1:])+"\r\n" {
		t.Errorf("GETRANGE of the padded tail: got %q", got)
	}
	// SETRANGE on a missing key pads with zeros too.
	if got := do(s, c, "SETRANGE", "m", "3", "ab"); got != ":5\r\n" {
		t.Fatalf("SETRANGE missing: got %q", got)
	}
	if got := do(s, c, "GET", "m"); got != "$5\r\n\x00\x00\x00ab\r\n" {
		t.Errorf("GET m: got %q", got)
	}
	// Growing past the capacity moves the value and keeps the bytes.
	if got := do(s, c, "SETRANGE", "m", "100", "q"); got != ":101\r\n" {
		t.Fatalf("SETRANGE grow: got %q", got)
	}
	if got := do(s, c, "GETRANGE", "m", "0", "6"); got != "$7\r\n\x00\x00\x00ab\x00\x00\r\n" {
		t.Errorf("GETRANGE m: got %q", got)
	}
}

func TestStringsExpiredKeys(t *testing.T) {
	s, c := testServer(nil)
	steps := []strStep{
		// PXAT 1 is long past: every command sees the key as missing.
		{[]string{"SET", "k", "old", "PXAT", "1"}, "+OK\r\n"},
		{[]string{"GET", "k"}, "$-1\r\n"},
		{[]string{"SET", "k", "old", "PXAT", "1"}, "+OK\r\n"},
		{[]string{"APPEND", "k", "x"}, ":1\r\n"},
		{[]string{"TTL", "k"}, ":-1\r\n"},
		{[]string{"SET", "k", "5", "PXAT", "1"}, "+OK\r\n"},
		{[]string{"INCR", "k"}, ":1\r\n"},
		{[]string{"TTL", "k"}, ":-1\r\n"},
		{[]string{"SET", "k", "5", "PXAT", "1"}, "+OK\r\n"},
		{[]string{"INCRBYFLOAT", "k", "1.5"}, "$3\r\n1.5\r\n"},
		{[]string{"SET", "k", "abc", "PXAT", "1"}, "+OK\r\n"},
		{[]string{"SETRANGE", "k", "1", "x"}, ":2\r\n"},
		{[]string{"GET", "k"}, "$2\r\n\x00x\r\n"},
		{[]string{"SET", "k", "abc", "PXAT", "1"}, "+OK\r\n"},
		{[]string{"SET", "k", "new", "KEEPTTL"}, "+OK\r\n"},
		{[]string{"TTL", "k"}, ":-1\r\n"},
		{[]string{"SET", "k", "abc", "PXAT", "1"}, "+OK\r\n"},
		{[]string{"SET", "k", "new", "XX"}, "$-1\r\n"},
		{[]string{"SET", "k", "new", "NX", "GET"}, "$-1\r\n"},
		{[]string{"GET", "k"}, "$3\r\nnew\r\n"},
		{[]string{"SET", "k", "abc", "PXAT", "1"}, "+OK\r\n"},
		{[]string{"SETNX", "k", "y"}, ":1\r\n"},
		{[]string{"SET", "k", "abc", "PXAT", "1"}, "+OK\r\n"},
		{[]string{"MSETNX", "k", "1", "j", "2"}, ":1\r\n"},
		{[]string{"SET", "k", "abc", "PXAT", "1"}, "+OK\r\n"},
		{[]string{"GETEX", "k", "PERSIST"}, "$-1\r\n"},
		{[]string{"GETDEL", "k"}, "$-1\r\n"},
		{[]string{"STRLEN", "k"}, ":0\r\n"},
		{[]string{"GETRANGE", "k", "0", "-1"}, "$0\r\n\r\n"},
		{[]string{"MGET", "k", "j"}, "*2\r\n$-1\r\n$1\r\n2\r\n"},
	}
	for i, st := range steps {
		if got := do(s, c, st.args...); got != st.want {
			t.Errorf("step %d %q: got %q; want %q", i, st.args, got, st.want)
		}
	}
	if n := c.DB.ExpiresLen(); n != 0 {
		t.Errorf("expires table holds %d keys; want 0", n)
	}
}

// TestStringsTTLKept checks in-place and moved values keep their deadline.
func TestStringsTTLKept(t *testing.T) {
	s, c := testServer(nil)
	const at = "4102444800123"
	for _, cmd := range [][]string{
		{"INCR", "k"}, {"INCRBY", "k", "5"}, {"DECR", "k"}, {"INCRBYFLOAT", "k", "0.5"},
		{"APPEND", "k", "x"}, {"SETRANGE", "k", "40", "y"}, {"APPEND", "k", "z"},
		{"GETEX", "k"}, {"SET", "k", "v", "KEEPTTL"}, {"SETRANGE", "k", "0", ""},
	} {
		if cmd[0] == "INCR" {
			do(s, c, "SET", "k", "1", "PXAT", at)
		}
		do(s, c, cmd...)
		if got := do(s, c, "PEXPIRETIME", "k"); got != ":"+at+"\r\n" {
			t.Errorf("after %q: PEXPIRETIME %q", cmd, got)
		}
	}
	for _, cmd := range [][]string{{"SET", "k", "v"}, {"GETSET", "k", "v"}, {"MSET", "k", "v"}, {"SETEX", "k", "10", "v"}} {
		do(s, c, "SET", "k", "1", "PXAT", at)
		do(s, c, cmd...)
		if got := do(s, c, "PEXPIRETIME", "k"); got == ":"+at+"\r\n" {
			t.Errorf("after %q: deadline kept", cmd)
		}
	}
}

// TestStringsWatch checks that in-place writes flag watchers.
func TestStringsWatch(t *testing.T) {
	for _, cmd := range [][]string{
		{"INCR", "k"}, {"APPEND", "k", "1"}, {"SETRANGE", "k", "0", "9"}, {"GETEX", "k", "EX", "10"},
		{"SET", "k", "2"}, {"GETDEL", "k"}, {"INCRBYFLOAT", "k", "1"},
	} {
		s, c := testServer(nil)
		c2 := s.NewClient("1.2.3.4:6", "127.0.0.1:7379", -1)
		do(s, c, "SET", "k", "1")
		do(s, c2, "APPEND", "k", "0") // a raw value, so APPEND/SETRANGE write in place
		do(s, c2, "SET", "k", "1")
		if cmd[0] == "APPEND" || cmd[0] == "SETRANGE" {
			do(s, c2, "APPEND", "k", "")
		}
		do(s, c, "WATCH", "k")
		do(s, c, "MULTI")
		do(s, c, "GET", "k")
		do(s, c2, cmd...)
		if got := do(s, c, "EXEC"); got != "*-1\r\n" {
			t.Errorf("%q did not abort a watching EXEC: %q", cmd, got)
		}
	}
}

func BenchmarkStrings(b *testing.B) {
	s, c := testServer(nil)
	do(s, c, "SET", "key:000001", "value-of-some-length")
	do(s, c, "SET", "counter", "1")
	for _, bc := range []struct {
		name string
		args []string
	}{
		{"GET", []string{"GET", "key:000001"}},
		{"GET-int", []string{"GET", "counter"}},
		{"GET-miss", []string{"GET", "nokey"}},
		{"SET", []string{"SET", "key:000001", "value-of-some-length"}},
		{"INCR", []string{"INCR", "counter"}},
		{"MGET", []string{"MGET", "key:000001", "counter", "nokey"}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			c.Args = c.Args[:0]
			for _, a := range bc.args {
				c.Args = append(c.Args, []byte(a))
			}
			c.Out = make([]byte, 0, 256)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				c.Out = c.Out[:0]
				s.Execute(c)
			}
		})
	}
}

// TestStringsOverwriteInPlace checks SET reusing the old block: right
// bytes, encodings and TTLs, and no allocation when the layout matches.
func TestStringsOverwriteInPlace(t *testing.T) {
	s, c := testServer(nil)
	long := func(n int, ch byte) string { return strings.Repeat(string(ch), n) }
	steps := []struct {
		args    []string
		inPlace bool
		check   []string // a command and its expected reply
	}{
		{[]string{"SET", "k", "abc"}, false, []string{"OBJECT", "ENCODING", "k", "$6\r\nembstr\r\n"}},
		{[]string{"SET", "k", "xyz"}, true, []string{"GET", "k", "$3\r\nxyz\r\n"}},
		{[]string{"SET", "k", "xy"}, false, []string{"GET", "k", "$2\r\nxy\r\n"}},
		{[]string{"SET", "k", "12"}, false, []string{"OBJECT", "ENCODING", "k", "$3\r\nint\r\n"}},
		{[]string{"SET", "k", "-9223372036854775808"}, true, []string{"GET", "k", "$20\r\n-9223372036854775808\r\n"}},
		{[]string{"SET", "k", "ab"}, false, []string{"OBJECT", "ENCODING", "k", "$6\r\nembstr\r\n"}},
		{[]string{"SET", "k", long(80, 'a')}, false, []string{"OBJECT", "ENCODING", "k", "$3\r\nraw\r\n"}},
		{[]string{"SET", "k", long(75, 'b')}, true, []string{"GET", "k", "$75\r\n" + long(75, 'b') + "\r\n"}},
		{[]string{"STRLEN", "k"}, false, []string{"OBJECT", "ENCODING", "k", "$3\r\nraw\r\n"}},
		{[]string{"SET", "k", long(50, 'c')}, false, []string{"GET", "k", "$50\r\n" + long(50, 'c') + "\r\n"}},
		{[]string{"SET", "k", long(51, 'c')}, false, []string{"GET", "k", "$51\r\n" + long(51, 'c') + "\r\n"}},
		{[]string{"SET", "k", "v1", "EX", "100"}, false, []string{"TTL", "k", ":100\r\n"}},
		{[]string{"SET", "k", "v2", "EX", "200"}, true, []string{"TTL", "k", ":200\r\n"}},
		{[]string{"SET", "k", "v3", "KEEPTTL"}, true, []string{"TTL", "k", ":200\r\n"}},
		{[]string{"SET", "k", "v4"}, false, []string{"TTL", "k", ":-1\r\n"}},
		{[]string{"MSET", "k", "v5", "j", "1"}, false, []string{"GET", "k", "$2\r\nv5\r\n"}},
		{[]string{"MSET", "k", "v6", "j", "2"}, true, []string{"MGET", "k", "j", "*2\r\n$2\r\nv6\r\n$1\r\n2\r\n"}},
		{[]string{"GETSET", "j", "3"}, true, []string{"GET", "j", "$1\r\n3\r\n"}},
	}
	for i, st := range steps {
		before := s.KS.Alloc.Stats().Allocs
		do(s, c, st.args...)
		if allocs := s.KS.Alloc.Stats().Allocs - before; st.inPlace && allocs != 0 {
			t.Errorf("step %d %q: %d allocator blocks; want in place", i, st.args, allocs)
		}
		n := len(st.check) - 1
		if got := do(s, c, st.check[:n]...); got != st.check[n] {
			t.Errorf("step %d %q then %q: got %q; want %q", i, st.args, st.check[:n], got, st.check[n])
		}
	}
	if got := s.KS.Alloc.Stats().Live(); got == 0 {
		t.Fatal("no live blocks?")
	}
}

// TestStringsMaxBulkLen checks the size limit follows proto-max-bulk-len.
func TestStringsMaxBulkLen(t *testing.T) {
	s, c := testServer(nil)
	s.Config.ProtoMaxBulkLen = 1 << 20
	big := strings.Repeat("x", 1<<20-1)
	const tooBig = "-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n"
	for _, st := range []strStep{
		{[]string{"APPEND", "k", big}, ":1048575\r\n"},
		{[]string{"APPEND", "k", "y"}, ":1048576\r\n"},
		{[]string{"APPEND", "k", "z"}, tooBig},
		{[]string{"APPEND", "k", ""}, ":1048576\r\n"},
		{[]string{"SETRANGE", "k", "1048575", "q"}, ":1048576\r\n"},
		{[]string{"SETRANGE", "k", "1048575", "qq"}, tooBig},
		{[]string{"SETRANGE", "n", "1048576", "q"}, tooBig},
		{[]string{"SETRANGE", "n", "1048575", "q"}, ":1048576\r\n"},
		{[]string{"GETRANGE", "k", "-2", "-1"}, "$2\r\nxq\r\n"},
		{[]string{"STRLEN", "n"}, ":1048576\r\n"},
	} {
		if got := do(s, c, st.args...); got != st.want {
			t.Errorf("%.40q: got %q; want %q", st.args, got, st.want)
		}
	}
}
