package command

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"rundb/engine/db"
	"rundb/engine/ds"
)

// The one write path, checked from the command table: every command flagged
// write changes keys only through engine/db (the before-write hook sees each
// key it changes, before it changes), and a read-only command fires no hook.
// A command added to the table without examples here fails the test.

// writeExamples are argument lists (command name first) run on a fresh
// wpDataset each. At least one example of each command must change the
// dataset.
var writeExamples = map[string][]string{
	"append":      {"append s tail", "append n 5", "append new v", "append r more"},
	"blmove":      {"blmove l l2 left right 0", "blmove one new right left 0.5"},
	"blmpop":      {"blmpop 0 2 missing l left count 2", "blmpop 1 1 one right"},
	"blpop":       {"blpop missing l 0", "blpop one 1"},
	"brpop":       {"brpop l 0", "brpop missing one 0.01"},
	"brpoplpush":  {"brpoplpush l l 0", "brpoplpush one l2 0"},
	"copy":        {"copy s s2", "copy n t replace", "copy t x db 1", "copy r s db 1 replace"},
	"decr":        {"decr n", "decr new", "decr t9"},
	"decrby":      {"decrby n 3", "decrby new 3"},
	"del":         {"del s n missing", "del t"},
	"expire":      {"expire s 100", "expire t 200", "expire n -1", "expire t 100 nx"},
	"expireat":    {"expireat s 9999999999", "expireat n 1"},
	"flushall":    {"flushall"},
	"flushdb":     {"flushdb", "flushdb async"},
	"getdel":      {"getdel s", "getdel t"},
	"getex":       {"getex s ex 100", "getex t persist", "getex n pxat 1", "getex r px 5000"},
	"getset":      {"getset s v2", "getset new v"},
	"incr":        {"incr n", "incr new", "incr t9"},
	"incrby":      {"incrby n 5", "incrby new 5"},
	"incrbyfloat": {"incrbyfloat n 1.5", "incrbyfloat f 2", "incrbyfloat t9 1"},
	"linsert":     {"linsert l before b x", "linsert l after 2 y", "linsert l before zz x", "linsert new before a b"},
	"lmove":       {"lmove l l2 left right", "lmove l l right left", "lmove l new left left", "lmove one l2 left left", "lmove missing l left left"},
	"lmpop":       {"lmpop 2 missing l left", "lmpop 1 l right count 10", "lmpop 1 one left count 2"},
	"lpop":        {"lpop l", "lpop l 2", "lpop one", "lpop l 0", "lpop missing"},
	"lpush":       {"lpush l x y", "lpush new a"},
	"lpushx":      {"lpushx l x", "lpushx new a"},
	"lrem":        {"lrem l 0 a", "lrem l -1 2", "lrem one 1 z"},
	"lset":        {"lset l 0 x", "lset l -1 " + strings.Repeat("q", 70)},
	"ltrim":       {"ltrim l 1 -2", "ltrim l 5 1", "ltrim one 0 0"},
	"move":        {"move s 1", "move n 1", "move t 1"},
	"mset":        {"mset s 1 n two new 3"},
	"msetnx":      {"msetnx a 1 b 2", "msetnx a 1 s 2"},
	"persist":     {"persist t", "persist s"},
	"pexpire":     {"pexpire s 100000", "pexpire t 1 xx"},
	"pexpireat":   {"pexpireat s 99999999999999", "pexpireat t 1"},
	"psetex":      {"psetex s 100000 v", "psetex new 100000 v"},
	"rename":      {"rename s n", "rename t new", "rename r t", "rename l s"},
	"rpop":        {"rpop l", "rpop l 9", "rpop one"},
	"rpoplpush":   {"rpoplpush l l2", "rpoplpush one one", "rpoplpush one new"},
	"rpush":       {"rpush l x y", "rpush new a"},
	"rpushx":      {"rpushx l x", "rpushx new a"},
	"renamenx":    {"renamenx s new", "renamenx t n"},
	"sadd":        {"sadd si 4 5", "sadd ss d", "sadd si x", "sadd new 1 2", "sadd si 1"},
	"sdiffstore":  {"sdiffstore d si ss", "sdiffstore si si"},
	"set":         {"set s v", "set n 20", "set t v keepttl", "set new v ex 100", "set s x nx", "set s x xx get", "set r " + strings.Repeat("w", 60)},
	"setex":       {"setex s 100 v", "setex t 100 " + strings.Repeat("z", 50)},
	"setnx":       {"setnx new v", "setnx s v"},
	"setrange":    {"setrange s 2 XY", "setrange new 3 abc", "setrange n 0 9", "setrange r 100 x"},
	"sinterstore": {"sinterstore d si ss", "sinterstore si si", "sinterstore s si missing"},
	"smove":       {"smove si ss 1", "smove ss new a", "smove si si 1"},
	"spop":        {"spop si", "spop ss 2", "spop si 10"},
	"srem":        {"srem si 1", "srem ss a b c", "srem missing a"},
	"sunionstore": {"sunionstore d si ss", "sunionstore s si"},
	"swapdb":      {"swapdb 0 1"},
	"unlink":      {"unlink s t missing"},
}

// readExamples are run on a wpDataset and must fire no hook at all.
var readExamples = map[string][]string{
	"dbsize":          {"dbsize"},
	"exists":          {"exists s t missing"},
	"expiretime":      {"expiretime t"},
	"get":             {"get s", "get n", "get missing"},
	"getrange":        {"getrange r 0 3"},
	"keys":            {"keys *"},
	"lindex":          {"lindex l 1", "lindex l -1", "lindex missing 0"},
	"llen":            {"llen l", "llen missing"},
	"lpos":            {"lpos l a", "lpos l 2 rank -1 count 0 maxlen 3"},
	"lrange":          {"lrange l 0 -1", "lrange l2 1 1"},
	"memory|usage":    {"memory usage s", "memory usage t samples 5", "memory usage missing"},
	"mget":            {"mget s n t r missing"},
	"object|encoding": {"object encoding r"},
	"object|freq":     {"object freq s"},
	"object|idletime": {"object idletime s"},
	"object|refcount": {"object refcount n"},
	"pexpiretime":     {"pexpiretime t"},
	"pttl":            {"pttl t"},
	"randomkey":       {"randomkey"},
	"scan":            {"scan 0 count 100"},
	"scard":           {"scard si", "scard missing"},
	"sdiff":           {"sdiff si ss missing"},
	"sinter":          {"sinter si ss"},
	"sintercard":      {"sintercard 2 si ss limit 1"},
	"sismember":       {"sismember si 1", "sismember ss a"},
	"smembers":        {"smembers ss"},
	"smismember":      {"smismember si 1 2 x"},
	"srandmember":     {"srandmember si", "srandmember ss -5", "srandmember si 2"},
	"sscan":           {"sscan ss 0 match a* count 5", "sscan si 0"},
	"strlen":          {"strlen s"},
	"substr":          {"substr s 0 1"},
	"sunion":          {"sunion si ss"},
	"touch":           {"touch s t"},
	"ttl":             {"ttl t"},
	"type":            {"type s"},
}

// wpDataset fills db 0 and db 1 with one key of each string layout, one
// with a TTL, and one due to expire only in the far future.
func wpDataset(s *Server, c *Client) {
	for _, cmd := range []string{
		"select 1", "set s other", "set x inone",
		"select 0", "set s hello", "set n 10", "set f 1.5", "set t9 9 ex 1000",
		"set t x px 100000", "set r ab", "append r cdef",
		"sadd si 1 2 3", "sadd ss a b c",
		"rpush l a b c 1 2 a", "rpush l2 x", "rpush one z",
	} {
		do(s, c, strings.Fields(cmd)...)
	}
}

// wpState renders every key of every database with its type, encoding,
// value and deadline.
func wpState(s *Server) map[string]string {
	out := map[string]string{}
	for _, d := range s.KS.DBs {
		d.ForEach(func(e ds.Entry) bool {
			val := e.AppendStr(nil)
			if e.Type() == ds.TypeList {
				q := ds.OpenList(d.Alloc(), e.ContainerOf())
				q.Range(0, q.Len()-1, false, func(el ds.Elem) bool {
					val = append(el.Append(val), ',')
					return true
				})
			} else if e.Type() != ds.TypeString {
				// A container is rendered by its length, so that an edit
				// that keeps the key shows.
				val = fmt.Appendf(nil, "len=%d", e.ContainerOf().Len(s.KS.Alloc))
			}
			out[fmt.Sprintf("%d:%s", d.ID, e.Key())] = fmt.Sprintf("%d/%d/%q/%d", e.Type(), e.Enc(), val, e.Deadline())
			return true
		})
	}
	return out
}

func TestWritePathHooks(t *testing.T) {
	s, _ := testServer(nil)
	for _, cmd := range s.table.Sorted() {
		for _, x := range append([]*Command{cmd}, cmd.SortedSubs()...) {
			switch {
			case x.Flags&FlagWrite != 0 && writeExamples[x.Name] == nil:
				t.Errorf("write command %q has no example in writeExamples", x.Name)
			case x.Flags&FlagReadOnly != 0 && readExamples[x.Name] == nil:
				t.Errorf("read-only command %q has no example in readExamples", x.Name)
			}
		}
	}
	for name, examples := range writeExamples {
		changedAny := false
		for _, ex := range examples {
			s, c := testServer(nil)
			wpDataset(s, c)
			seen := map[string]bool{}
			s.KS.Hooks.BeforeWrite = func(d *db.DB, key []byte, old ds.Entry, found bool) {
				id := fmt.Sprintf("%d:%s", d.ID, key)
				// The hook must see the key as it still is.
				if found != (before(s, id) != "") || (found && old.Type() == ds.TypeString && string(old.AppendStr(nil)) != valueOf(before(s, id))) {
					t.Errorf("%s: BeforeWrite(%s) saw found=%v %q; the key was %q", ex, id, found, old.AppendStr(nil), before(s, id))
				}
				seen[id] = true
			}
			flushed := map[int]bool{}
			s.KS.Hooks.BeforeFlush = func(d *db.DB) { flushed[d.ID] = true }
			swapped := map[int]bool{}
			s.KS.Hooks.BeforeSwap = func(a, b *db.DB) { swapped[a.ID], swapped[b.ID] = true, true }
			wpBefore = wpState(s)
			reply := do(s, c, strings.Fields(ex)...)
			if strings.HasPrefix(reply, "-") {
				t.Errorf("%s: %q", ex, reply)
			}
			after := wpState(s)
			var changed []string
			for k, v := range wpBefore {
				if after[k] != v {
					changed = append(changed, k)
				}
			}
			for k := range after {
				if _, ok := wpBefore[k]; !ok {
					changed = append(changed, k)
				}
			}
			sort.Strings(changed)
			for _, k := range changed {
				var dbID int
				fmt.Sscanf(k, "%d:", &dbID)
				if !seen[k] && !flushed[dbID] && !swapped[dbID] {
					t.Errorf("%s changed %s (%q -> %q) without the before-write hook", ex, k, wpBefore[k], after[k])
				}
			}
			changedAny = changedAny || len(changed) > 0
		}
		if !changedAny {
			t.Errorf("no example of %q changed the dataset", name)
		}
	}
	for _, examples := range readExamples {
		for _, ex := range examples {
			s, c := testServer(nil)
			wpDataset(s, c)
			fired := ""
			s.KS.Hooks.BeforeWrite = func(d *db.DB, key []byte, _ ds.Entry, _ bool) { fired = fmt.Sprintf("before %s", key) }
			s.KS.Hooks.AfterWrite = func(d *db.DB, key []byte, _ db.Cause) { fired = fmt.Sprintf("after %s", key) }
			dirty := s.KS.Dirty
			do(s, c, strings.Fields(ex)...) // an error reply is fine: no hook either way
			if fired != "" || s.KS.Dirty != dirty {
				t.Errorf("read-only %s fired a write hook (%s) or moved dirty (%d -> %d)", ex, fired, dirty, s.KS.Dirty)
			}
		}
	}
}

// wpBefore is the dataset as it was before the example ran.
var wpBefore map[string]string

func before(_ *Server, id string) string { return wpBefore[id] }

// valueOf is the value part of a wpState rendering.
func valueOf(state string) string {
	var typ, enc int
	var val string
	fmt.Sscanf(state, "%d/%d/%q", &typ, &enc, &val)
	return val
}

// TestPropagation: what the propagation point hands on, for each write in
// its deterministic form; reads and failed writes hand on nothing.
func TestPropagation(t *testing.T) {
	s, c := testServer(nil)
	var got []string
	s.SetPropagate(func(ops []Op) {
		for _, op := range ops {
			parts := make([]string, len(op.Args))
			for i, a := range op.Args {
				parts[i] = string(a)
			}
			got = append(got, fmt.Sprintf("%d %s", op.DB, strings.Join(parts, " ")))
		}
	})
	// "+N" in a wanted operation is the command's own clock plus N ms.
	abs := func(ms int64) string { return fmt.Sprint("+", ms) }
	resolve := func(ops []string) []string {
		var out []string
		for _, op := range ops {
			f := strings.Fields(op)
			for i, w := range f {
				var n int64
				if _, err := fmt.Sscanf(w, "+%d", &n); err == nil {
					f[i] = fmt.Sprint(s.KS.NowMs + n)
				}
			}
			out = append(out, strings.Join(f, " "))
		}
		return out
	}
	steps := []struct {
		cmd  string
		want []string
	}{
		{"set k v", []string{"0 set k v"}},
		{"get k", nil},
		{"set k v ex 10", []string{"0 SET k v PXAT " + abs(10000)}},
		{"set k v px 10 get", []string{"0 SET k v PXAT " + abs(10)}},
		{"set k w get", []string{"0 set k w"}},
		{"set k w nx", nil},
		{"set k v pxat 99999999999999", []string{"0 set k v pxat 99999999999999"}},
		{"setex k 5 v", []string{"0 SET k v PXAT " + abs(5000)}},
		{"expire k 7", []string{"0 PEXPIREAT k " + abs(7000)}},
		{"expire k 8 gt", []string{"0 PEXPIREAT k " + abs(8000) + " gt"}},
		{"pexpireat k 99999999999998", []string{"0 pexpireat k 99999999999998"}},
		{"getex k persist", []string{"0 PERSIST k"}},
		{"getex k ex 3", []string{"0 PEXPIREAT k " + abs(3000)}},
		{"incrbyfloat f 1.5", []string{"0 SET f 1.5 KEEPTTL"}},
		{"getdel f", []string{"0 DEL f"}},
		{"expire k -1", []string{"0 DEL k"}},
		{"del k", nil},
		{"flushdb", []string{"0 flushdb"}},
		{"select 1", nil},
		{"incr n", []string{"1 incr n"}},
		{"multi", nil},
		{"incr n", nil},
		{"get n", nil},
		{"select 2", nil},
		{"set x y", nil},
		{"exec", []string{"1 MULTI", "1 incr n", "2 set x y", "2 EXEC"}},
		{"set gone v px 1", []string{"2 SET gone v PXAT " + abs(1)}},
		{"rpush l a b c", []string{"2 rpush l a b c"}},
		{"lmpop 2 nol l right count 5", []string{"2 RPOP l 3"}},
		{"lmpop 1 l left", nil},
		{"lpop l", nil},
	}
	for _, st := range steps {
		got = nil
		do(s, c, strings.Fields(st.cmd)...)
		if want := resolve(st.want); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s propagated %q; want %q", st.cmd, got, want)
		}
	}
	// A key that expires under a command goes first as DEL, and the two
	// are one unit.
	got = nil
	c.Args = [][]byte{[]byte("set"), []byte("gone"), []byte("w")}
	c.Out = c.Out[:0]
	s.call(c, s.table.Get("set"), (s.KS.NowMs+5)*1e6-s.wallOff) // 5 ms after the last command
	want := []string{"2 MULTI", "2 DEL gone", "2 set gone w", "2 EXEC"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("expired then set propagated %q; want %q", got, want)
	}
}
