package command

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"rundb/engine/db"
)

func fill(s *Server, c *Client, prefix string, n, size int) {
	v := strings.Repeat("v", size)
	for i := 0; i < n; i++ {
		do(s, c, "set", fmt.Sprintf("%s%d", prefix, i), v)
	}
}

// TestMaxmemoryEviction: over maxmemory under allkeys-lru a write evicts
// keys first (each propagated as DEL, and flagging its watchers), and used
// memory ends within one key of the limit.
func TestMaxmemoryEviction(t *testing.T) {
	s, c := testServer(nil)
	fill(s, c, "k", 200, 100)
	w := s.NewClient("1.2.3.4:6", "127.0.0.1:7379", -1)
	for i := 0; i < 200; i++ {
		do(s, w, "watch", fmt.Sprintf("k%d", i))
	}
	used := s.usedMemory()
	limit := used - 4000
	if got := do(s, c, "config", "set", "maxmemory-policy", "allkeys-lru"); got != "+OK\r\n" {
		t.Fatal(got)
	}
	if got := do(s, c, "config", "set", "maxmemory", strconv.FormatUint(limit, 10)); got != "+OK\r\n" {
		t.Fatal(got)
	}
	var ops []string
	s.SetPropagate(func(o []Op) {
		for _, op := range o {
			ops = append(ops, string(op.Args[0])+" "+string(op.Args[1]))
		}
	})
	if got := do(s, c, "set", "new", strings.Repeat("n", 100)); got != "+OK\r\n" {
		t.Fatalf("SET over maxmemory: %q", got)
	}
	ev := s.KS.Stats.EvictedKeys
	if ev == 0 || len(ops) != int(ev)+1 || ops[len(ops)-1] != "set new" {
		t.Fatalf("evicted %d; propagated %q", ev, ops)
	}
	for _, op := range ops[:ev] {
		if !strings.HasPrefix(op, "DEL k") {
			t.Fatalf("eviction propagated as %q; want DEL", op)
		}
	}
	// One key's entry, plus the slot array of a keyspace table that the
	// write made resize (the old array lives on while the new one fills).
	keys, _ := s.KS.DBs[0].TableBytes()
	if u := s.usedMemory(); u > limit+300+uint64(keys) {
		t.Errorf("used_memory %d; limit %d, table slots %d", u, limit, keys)
	}
	do(s, w, "multi")
	do(s, w, "ping")
	if got := do(s, w, "exec"); got != "*-1\r\n" {
		t.Errorf("EXEC watching evicted keys: %q; want a null array", got)
	}
	info := do(s, c, "info", "stats")
	if n := s.KS.Stats.EvictedKeys; !strings.Contains(info, "evicted_keys:"+strconv.FormatUint(n, 10)+"\r\n") {
		t.Errorf("INFO stats lacks evicted_keys:%d", n)
	}
}

// TestMaxmemoryNoeviction: deny-oom commands get -OOM, others run; INFO
// memory reports the limit and policy in Redis's places.
func TestMaxmemoryNoeviction(t *testing.T) {
	s, c := testServer(nil)
	fill(s, c, "k", 10, 10)
	do(s, c, "config", "set", "maxmemory", "1")
	for _, tc := range []struct{ cmd, want string }{
		{"set a b", "-" + ErrOOM + "\r\n"},
		{"sadd s a", "-" + ErrOOM + "\r\n"},
		{"get k1", "$10\r\nvvvvvvvvvv\r\n"},
		{"del k1", ":1\r\n"},
		{"multi", "+OK\r\n"},
		{"get k2", "-" + ErrOOM + "\r\n"},
		{"exec", "-EXECABORT Transaction discarded because of previous errors.\r\n"},
	} {
		if got := do(s, c, strings.Fields(tc.cmd)...); got != tc.want {
			t.Errorf("%s: %q; want %q", tc.cmd, got, tc.want)
		}
	}
	if s.KS.Stats.EvictedKeys != 0 || s.KS.DBs[0].Len() != 9 {
		t.Errorf("noeviction evicted %d keys", s.KS.Stats.EvictedKeys)
	}
	info := do(s, c, "info", "memory")
	order := []string{"\r\nmaxmemory:1\r\n", "\r\nmaxmemory_human:1B\r\n", "\r\nmaxmemory_policy:noeviction\r\n",
		"\r\nmem_fragmentation_bytes:", "\r\nmem_not_counted_for_evict:0\r\n", "\r\nmem_clients_normal:"}
	at := 0
	for _, f := range order {
		i := strings.Index(info[at:], f)
		if i < 0 {
			t.Fatalf("INFO memory lacks %q after position %d", f, at)
		}
		at += i
	}
}

// TestEvictionContinues: a CONFIG SET maxmemory far below used memory
// starts a run at once that EvictionStep carries on, one time budget per
// loop turn, down to the limit (and, under allkeys-random, eviction-ratio
// below it).
func TestEvictionContinues(t *testing.T) {
	s, c := testServer(nil)
	fill(s, c, "k", 20000, 40)
	used := s.usedMemory()
	do(s, c, "config", "set", "maxmemory-policy", "allkeys-random")
	do(s, c, "config", "set", "maxmemory", strconv.FormatUint(used/2, 10))
	if !s.EvictionRunning() {
		t.Fatal("no eviction run after CONFIG SET maxmemory")
	}
	steps := 0
	for s.EvictionRunning() {
		s.EvictionStep()
		if steps++; steps > 10000 {
			t.Fatal("the run does not end")
		}
	}
	u := s.usedMemory()
	target := used/2 - uint64(float64(used/2)*s.Config.EvictionRatio)
	if u > target || u < target-2000 {
		t.Errorf("used_memory %d after the run; want just under %d", u, target)
	}
	t.Logf("%d steps evicted %d keys", steps, s.KS.Stats.EvictedKeys)
}

// TestObjectFreq: OBJECT FREQ follows the policy, and a new key's
// counter is 5, 6 after its first read.
func TestObjectFreq(t *testing.T) {
	s, c := testServer(nil)
	do(s, c, "set", "a", "1")
	if got := do(s, c, "object", "freq", "a"); !strings.HasPrefix(got, "-ERR An LFU maxmemory policy is not selected") {
		t.Errorf("OBJECT FREQ under noeviction: %q", got)
	}
	do(s, c, "config", "set", "maxmemory-policy", "volatile-lfu")
	do(s, c, "set", "b", "1")
	if got := do(s, c, "object", "freq", "b"); got != ":5\r\n" {
		t.Errorf("OBJECT FREQ of a new key: %q", got)
	}
	do(s, c, "get", "b")
	if got := do(s, c, "object", "freq", "b"); got != ":6\r\n" {
		t.Errorf("OBJECT FREQ after a read: %q", got)
	}
}

// TestEvictionTenacity: maxmemory-eviction-tenacity's time limit follows
// Redis 7.0's formula, CONFIG SET checks its range, and tenacity 0 evicts
// one batch of 16 keys per run, leaving the rest to the loop turns.
func TestEvictionTenacity(t *testing.T) {
	for _, c := range []struct {
		t    int64
		want time.Duration
		inf  bool
	}{{0, 0, false}, {1, 50 * time.Microsecond, false}, {10, 500 * time.Microsecond, false},
		{11, 575 * time.Microsecond, false}, {20, 2022 * time.Microsecond, false}, {100, 0, true}} {
		got, inf := evictTimeLimit(c.t)
		if inf != c.inf || got.Truncate(time.Microsecond) != c.want {
			t.Errorf("tenacity %d: limit %v unlimited %v; want %v %v", c.t, got, inf, c.want, c.inf)
		}
	}
	s, c := testServer(nil)
	if got := do(s, c, "config", "get", "maxmemory-eviction-tenacity"); got != "*2\r\n$27\r\nmaxmemory-eviction-tenacity\r\n$2\r\n10\r\n" {
		t.Fatalf("default: %q", got)
	}
	if got := do(s, c, "config", "set", "maxmemory-eviction-tenacity", "101"); got != "-ERR CONFIG SET failed (possibly related to argument 'maxmemory-eviction-tenacity') - argument must be between 0 and 100 inclusive\r\n" {
		t.Fatalf("tenacity 101: %q", got)
	}
	fill(s, c, "k", 400, 100)
	do(s, c, "config", "set", "maxmemory-eviction-tenacity", "0")
	do(s, c, "config", "set", "maxmemory-policy", "allkeys-lru")
	do(s, c, "config", "set", "maxmemory", strconv.FormatUint(s.usedMemory()-20_000, 10))
	if got := do(s, c, "set", "new", "v"); got != "+OK\r\n" {
		t.Fatalf("SET: %q", got)
	}
	if ev := s.KS.Stats.EvictedKeys; ev != 16 || !s.EvictionRunning() {
		t.Fatalf("tenacity 0: a run evicted %d keys (running %v); want 16 and the rest left to the loop", ev, s.EvictionRunning())
	}
	for i := 0; s.EvictionRunning() && i < 100; i++ {
		s.EvictionStep()
	}
	if s.EvictionRunning() || s.usedMemory() > uint64(s.Config.MaxMemory) {
		t.Fatalf("loop turns left used_memory %d over %d", s.usedMemory(), s.Config.MaxMemory)
	}
	// At 100 one run evicts everything it must.
	do(s, c, "config", "set", "maxmemory-eviction-tenacity", "100")
	do(s, c, "config", "set", "maxmemory", strconv.FormatUint(s.usedMemory()-20_000, 10))
	before := s.KS.Stats.EvictedKeys
	do(s, c, "ping")
	if s.EvictionRunning() || s.KS.Stats.EvictedKeys-before < 100 {
		t.Fatalf("tenacity 100: evicted %d, running %v", s.KS.Stats.EvictedKeys-before, s.EvictionRunning())
	}
}

// TestEvictionExceededTime: INFO's total_ and current_eviction_exceeded_time
// time the spells over maxmemory (noeviction refusing writes), and
// RESETSTAT clears them.
func TestEvictionExceededTime(t *testing.T) {
	s, c := testServer(nil)
	fill(s, c, "k", 100, 100)
	t0 := time.Now()
	if tot, cur := s.evictionExceeded(t0); tot != 0 || cur != 0 {
		t.Fatalf("at start: %v %v", tot, cur)
	}
	do(s, c, "config", "set", "maxmemory", strconv.FormatUint(s.usedMemory()-1000, 10))
	if s.performEvictions(t0) != db.EvictFail {
		t.Fatal("noeviction over the limit did not fail")
	}
	s.performEvictions(t0.Add(time.Second)) // still over: the spell goes on
	if tot, cur := s.evictionExceeded(t0.Add(3 * time.Second)); tot != 3*time.Second || cur != 3*time.Second {
		t.Fatalf("3 s over: total %v current %v", tot, cur)
	}
	do(s, c, "config", "set", "maxmemory", "0")
	s.performEvictions(t0.Add(5 * time.Second))
	if tot, cur := s.evictionExceeded(t0.Add(9 * time.Second)); tot != 5*time.Second || cur != 0 {
		t.Fatalf("back under: total %v current %v; want 5s 0", tot, cur)
	}
	out := do(s, c, "info", "stats")
	if !strings.Contains(out, "evicted_keys:0\r\ntotal_eviction_exceeded_time:5000\r\ncurrent_eviction_exceeded_time:0\r\n") {
		t.Fatalf("INFO stats: %q", out)
	}
	do(s, c, "config", "resetstat")
	if tot, cur := s.evictionExceeded(time.Now()); tot != 0 || cur != 0 {
		t.Fatalf("after RESETSTAT: %v %v", tot, cur)
	}
}
