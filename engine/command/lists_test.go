package command

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"rundb/engine/config"
	"rundb/engine/db"
	"rundb/variants/arena"
)

// BenchmarkLists runs T4's pair (LPUSH then LPOP of a 16-byte element on
// one of many lists, each created and deleted by the pair) and a push onto
// and pop off a long list, on the arena backend.
func BenchmarkLists(b *testing.B) {
	cfg := config.Default()
	a, err := arena.New()
	if err != nil {
		b.Skip(err)
	}
	ks := db.NewKeyspace(a, int(cfg.Databases))
	s := NewServer(cfg, ks)
	c := s.NewClient("1.2.3.4:5", "127.0.0.1:7379", -1)
	for i := 0; i < 1000; i++ {
		do(s, c, "RPUSH", "long", fmt.Sprintf("elem:%011d", i))
	}
	run := func(b *testing.B, cmds ...[]string) {
		var argv [][][]byte
		for _, cmd := range cmds {
			var a [][]byte
			for _, w := range cmd {
				a = append(a, []byte(w))
			}
			argv = append(argv, a)
		}
		c.Out = make([]byte, 0, 256)
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			c.Args = argv[i%len(argv)]
			c.Out = c.Out[:0]
			s.Execute(c)
		}
	}
	b.Run("LPUSH-LPOP-new", func(b *testing.B) {
		run(b, []string{"LPUSH", "tlist:000001", "elem:00000000001"}, []string{"LPOP", "tlist:000001"})
	})
	b.Run("LPUSH-LPOP-10k-keys", func(b *testing.B) {
		var cmds [][]string
		for i := 0; i < 10000; i++ {
			k := fmt.Sprintf("tlist:%06d", (i*7919)%10000)
			cmds = append(cmds, []string{"LPUSH", k, "elem:00000000001"}, []string{"LPOP", k})
		}
		run(b, cmds...)
	})
	b.Run("RPUSH-W4", func(b *testing.B) {
		var cmds [][]string
		for i := 0; i < 100000; i++ {
			cmds = append(cmds, []string{"RPUSH", fmt.Sprintf("list:%06d", i%1000), fmt.Sprintf("elem:%011d", i)})
		}
		run(b, cmds...)
		b.StopTimer()
		do(s, c, "FLUSHALL")
	})
	b.Run("SET-DEL-10k-keys", func(b *testing.B) {
		var cmds [][]string
		for i := 0; i < 10000; i++ {
			k := fmt.Sprintf("tstr:%06d", (i*7919)%10000)
			cmds = append(cmds, []string{"SET", k, "elem:00000000001"}, []string{"DEL", k})
		}
		run(b, cmds...)
	})
	b.Run("LPUSH-LPOP-long", func(b *testing.B) {
		run(b, []string{"LPUSH", "long", "elem:00000000001"}, []string{"LPOP", "long"})
	})
	b.Run("RPUSH-RPOP-long", func(b *testing.B) {
		run(b, []string{"RPUSH", "long", "elem:00000000001"}, []string{"RPOP", "long"})
	})
	b.Run("LRANGE-10", func(b *testing.B) {
		run(b, []string{"LRANGE", "long", "0", "9"})
	})
}

// A new list takes list-max-listpack-size as it is when the list is
// created (DEBUG OBJECT shows its nodes); lists made before keep theirs.
func TestListFillFromConfig(t *testing.T) {
	s, c := testServer(nil)
	do(s, c, "RPUSH", "before", "1", "2", "3", "4", "5")
	if got := do(s, c, "CONFIG", "SET", "list-max-ziplist-size", "2"); got != "+OK\r\n" {
		t.Fatalf("config set: %q", got)
	}
	do(s, c, "RPUSH", "after", "1", "2", "3", "4", "5")
	do(s, c, "RPUSH", "before", "6")
	for _, tc := range []struct{ key, want string }{
		{"before", "encoding:quicklist serializedlength:0 lru:"},
		{"before", " ql_nodes:1 ql_avg_node:6.00 ql_listpack_max:-2 ql_compressed:0 ql_uncompressed_size:19"},
		{"after", " ql_nodes:3 ql_avg_node:1.67 ql_listpack_max:2 ql_compressed:0 ql_uncompressed_size:31"},
	} {
		if got := do(s, c, "DEBUG", "OBJECT", tc.key); !strings.Contains(got, tc.want) {
			t.Errorf("DEBUG OBJECT %s: got %q; want it to contain %q", tc.key, got, tc.want)
		}
	}
	do(s, c, "CONFIG", "SET", "list-max-listpack-size", "-100")
	do(s, c, "RPUSH", "clamped", "x")
	if got := do(s, c, "DEBUG", "OBJECT", "clamped"); !strings.Contains(got, "ql_listpack_max:-5 ") {
		t.Errorf("fill -100: got %q; want it clamped to -5", got)
	}
}

// Blocked clients: waiting, CLIENT LIST flag b and INFO blocked_clients,
// CLIENT UNBLOCK (TIMEOUT and ERROR), timeouts through Cron, serving by a
// push with the pop propagated as LPOP, and a client going away.
func TestBlockingPops(t *testing.T) {
	s, c1 := testServer(nil)
	c2 := s.NewClient("1.2.3.4:6", "127.0.0.1:7379", -1)
	var ops []string
	s.SetPropagate(func(o []Op) {
		for _, op := range o {
			var parts []string
			for _, a := range op.Args {
				parts = append(parts, string(a))
			}
			ops = append(ops, strings.Join(parts, " "))
		}
	})
	id := fmt.Sprint(c1.ID)
	block := func(args ...string) {
		t.Helper()
		if got := do(s, c1, args...); got != "" || !c1.Blocked() {
			t.Fatalf("%v: got %q, blocked %v; want no reply yet", args, got, c1.Blocked())
		}
	}
	block("BLPOP", "k", "0")
	if got := do(s, c2, "CLIENT", "LIST", "ID", id); !strings.Contains(got, " flags=b ") {
		t.Errorf("CLIENT LIST of a blocked client: %q", got)
	}
	if got := do(s, c2, "INFO", "clients"); !strings.Contains(got, "blocked_clients:1\r\n") {
		t.Errorf("INFO clients: %q", got)
	}
	if got := do(s, c2, "CLIENT", "UNBLOCK", id); got != ":1\r\n" || c1.Blocked() || string(c1.Out) != "*-1\r\n" {
		t.Fatalf("CLIENT UNBLOCK: got %q, c1 out %q", got, c1.Out)
	}
	if u := s.TakeUnblocked(); len(u) != 1 || u[0] != c1 {
		t.Fatalf("TakeUnblocked: %v", u)
	}
	if got := do(s, c2, "CLIENT", "UNBLOCK", id); got != ":0\r\n" {
		t.Errorf("CLIENT UNBLOCK of a client not blocked: %q", got)
	}
	block("BRPOPLPUSH", "k", "d", "0")
	do(s, c2, "CLIENT", "UNBLOCK", id, "ERROR")
	if string(c1.Out) != "-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n" {
		t.Errorf("CLIENT UNBLOCK ERROR: c1 got %q", c1.Out)
	}
	block("BLMPOP", "0.02", "1", "k", "LEFT")
	time.Sleep(30 * time.Millisecond)
	s.Cron()
	if c1.Blocked() || string(c1.Out) != "*-1\r\n" {
		t.Errorf("timeout: blocked %v, out %q", c1.Blocked(), c1.Out)
	}
	block("BLPOP", "other", "k", "0")
	ops = nil
	if got := do(s, c2, "RPUSH", "k", "a", "b"); got != ":2\r\n" {
		t.Fatalf("RPUSH: %q", got)
	}
	if string(c1.Out) != "*2\r\n$1\r\nk\r\n$1\r\na\r\n" || c1.Blocked() {
		t.Errorf("served: out %q, blocked %v", c1.Out, c1.Blocked())
	}
	if got := strings.Join(ops, "; "); got != "RPUSH k a b; LPOP k" {
		t.Errorf("propagated: %s", got)
	}
	block("BLPOP", "gone", "0")
	s.FreeClient(c1)
	if s.BlockedClients() != 0 {
		t.Errorf("a freed client still counts as blocked")
	}
	do(s, c2, "RPUSH", "gone", "x")
	if got := do(s, c2, "LLEN", "gone"); got != ":1\r\n" {
		t.Errorf("a push after the waiting client left: LLEN %q", got)
	}
}

// TestEmptiedContainerFreesEveryBlock: each way of emptying a list or a
// set deletes the key and gives back every block it held (the pops free
// the list inside their edit).
func TestEmptiedContainerFreesEveryBlock(t *testing.T) {
	s, c := testServer(nil)
	for _, tc := range []struct {
		fill  [][]string
		empty []string
	}{
		{[][]string{{"LPUSH", "l", "a"}}, []string{"LPOP", "l"}},
		{[][]string{{"RPUSH", "l", "a", "7", "b"}}, []string{"RPOP", "l", "3"}},
		{[][]string{{"RPUSH", "l", "a", "b"}}, []string{"LMPOP", "1", "l", "LEFT", "COUNT", "5"}},
		{[][]string{{"RPUSH", "l", "a"}}, []string{"BLPOP", "l", "0"}},
		{[][]string{{"RPUSH", "l", "a"}}, []string{"LMOVE", "l", "l2", "LEFT", "RIGHT"}},
		{[][]string{{"RPUSH", "l", "a", "a"}}, []string{"LREM", "l", "0", "a"}},
		{[][]string{{"RPUSH", "l", "a", "b"}}, []string{"LTRIM", "l", "5", "9"}},
		{[][]string{{"SADD", "s", "a", "b"}}, []string{"SREM", "s", "a", "b"}},
		{[][]string{{"SADD", "s", "1", "2"}}, []string{"SREM", "s", "1", "2"}},
		{[][]string{{"SADD", "s", "a"}}, []string{"SMOVE", "s", "s2", "a"}},
	} {
		do(s, c, "FLUSHALL")
		base := s.KS.Alloc.Stats().Live()
		for _, f := range tc.fill {
			do(s, c, f...)
		}
		do(s, c, tc.empty...)
		do(s, c, "DEL", "l2", "s2")
		if got := do(s, c, "DBSIZE"); got != ":0\r\n" {
			t.Errorf("%q: DBSIZE %q; want the emptied key deleted", tc.empty, got)
		}
		if live := s.KS.Alloc.Stats().Live(); live != base {
			t.Errorf("%q: %d live blocks; want %d", tc.empty, live, base)
		}
	}
}
