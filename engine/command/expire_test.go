package command

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"rundb/engine/db"
)

// TestActiveExpiryCommandLayer: the cycle follows active-expire-effort and
// hz, does nothing under CLIENT PAUSE, propagates and flags WATCHers of
// the keys it deletes.
func TestActiveExpiryCommandLayer(t *testing.T) {
	s, c := testServer(nil)
	var props []string
	s.SetPropagate(func(ops []Op) {
		for _, op := range ops {
			props = append(props, string(joinArgs(op.Args)))
		}
	})
	if got := do(s, c, "CONFIG", "SET", "active-expire-effort", "11"); !strings.HasPrefix(got, "-ERR CONFIG SET failed (possibly related to argument 'active-expire-effort') - argument must be between 1 and 10 inclusive") {
		t.Fatalf("CONFIG SET active-expire-effort 11: %q", got)
	}
	do(s, c, "CONFIG", "SET", "active-expire-effort", "3")
	do(s, c, "CONFIG", "SET", "hz", "50")
	do(s, c, "SET", "k", "v", "PX", "100000")
	do(s, c, "SET", "plain", "v")
	w := s.NewClient("1.2.3.4:6", "127.0.0.1:7379", -1)
	do(s, w, "WATCH", "k")
	props = nil

	later := time.Now().Add(time.Hour)
	do(s, c, "CLIENT", "PAUSE", "100000000", "WRITE")
	s.activeExpire(db.ExpireSlow, later)
	if x := s.Expiry(); x.Effort != 3 || x.Hz != 50 {
		t.Fatalf("cycle at effort %d hz %d; want 3 and 50", x.Effort, x.Hz)
	}
	if c.DB.Len() != 2 || w.DirtyCAS {
		t.Fatal("the cycle deleted a key during CLIENT PAUSE")
	}
	do(s, c, "CLIENT", "UNPAUSE")
	s.activeExpire(db.ExpireSlow, later)
	if c.DB.Len() != 1 {
		t.Fatalf("%d keys after the cycle; want 1", c.DB.Len())
	}
	if !w.DirtyCAS {
		t.Fatal("deleting a watched key did not flag its watcher")
	}
	if len(props) != 1 || props[0] != "DEL k" {
		t.Fatalf("propagated %q; want [DEL k]", props)
	}
}

func joinArgs(args [][]byte) []byte {
	var b []byte
	for i, a := range args {
		if i > 0 {
			b = append(b, ' ')
		}
		b = append(b, a...)
	}
	return b
}

// TestInfoStatsExpiryOrder: the expiry fields sit where Redis 7.0 puts
// them, between expired_keys and evicted_keys.
func TestInfoStatsExpiryOrder(t *testing.T) {
	s, c := testServer(nil)
	out := do(s, c, "INFO", "stats")
	var names []string
	for _, l := range strings.Split(out, "\r\n") {
		if k, _, ok := strings.Cut(l, ":"); ok {
			names = append(names, k)
		}
	}
	got := strings.Join(names, ",")
	want := "expired_keys,expired_stale_perc,expired_time_cap_reached_count,expire_cycle_cpu_milliseconds,evicted_keys"
	if !strings.Contains(got, want) {
		t.Fatalf("INFO stats fields %s; want %s in a row", got, want)
	}
	if !strings.Contains(out, "expired_stale_perc:0.00\r\n") {
		t.Fatalf("expired_stale_perc not 0.00 at start: %q", out)
	}
}

// TestExpireSlicesAndLatency: the cron starts a slow cycle and runs its
// first slice; BeforeSleep leaves the next slice to the next turn, then
// runs one per turn while ExpiryRunning; a slice as long as
// latency-monitor-threshold is an "expire-cycle" LATENCY event.
func TestExpireSlicesAndLatency(t *testing.T) {
	s, c := testServer(nil)
	do(s, c, "CONFIG", "SET", "latency-monitor-threshold", "1")
	for i := 0; i < 100_000; i++ {
		do(s, c, "SET", fmt.Sprintf("k%d", i), "v", "PX", "1")
	}
	time.Sleep(5 * time.Millisecond)
	s.Cron()
	if !s.ExpiryRunning() {
		t.Fatal("no slow cycle under way after the cron (100000 keys expired)")
	}
	n := c.DB.Len()
	s.BeforeSleep() // the cron's turn: no second slice
	if c.DB.Len() != n {
		t.Fatal("BeforeSleep ran a second slice in the cron's turn")
	}
	turns := 0
	for s.ExpiryRunning() {
		s.BeforeSleep()
		turns++
	}
	// The 24 ms budget in slices of at most 2 ms: several turns, fewer
	// when a slice overshoots (the race detector slows each key down, and
	// a slice reads the clock every few keys).
	if turns < 2 || c.DB.Len() >= n {
		t.Fatalf("%d turns of slices, %d -> %d keys", turns, n, c.DB.Len())
	}
	if got := do(s, c, "LATENCY", "LATEST"); !strings.Contains(got, "$12\r\nexpire-cycle\r\n") {
		t.Fatalf("LATENCY LATEST: %q; want an expire-cycle event", got)
	}
}
