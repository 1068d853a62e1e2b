package bench

import (
	"fmt"
	"strconv"
	"time"
)

// X1 measures active expiry: W1's keys, half of them with a TTL, and then
// no client reads any key. The keys without TTL are written first, which
// times the server's populate rate; the other half follow with SET ... PXAT
// and one shared deadline, 1 s after that half is expected to be written
// (so every key is in place, and used_memory is read, before any expires).
// The time until the server has deleted every expired key (DBSIZE, which
// reads no key, polled every 2 ms) is counted from that deadline;
// meanwhile a second client sends PING in a loop, and its longest round
// trip is the stall the expiry cycle caused.

// Metric names of X1.
const (
	MX1PopulateSec = "x1_populate_s"     // loading the keys, seconds
	MX1ReclaimSec  = "x1_reclaim_s"      // from the deadline to DBSIZE = N/2
	MX1PingMaxMs   = "x1_ping_max_ms"    // longest PING round trip meanwhile
	MX1UsedFreedMB = "x1_used_freed_mb"  // used_memory given back, MiB
	MX1UsedLoaded  = "x1_used_loaded_mb" // used_memory with every key loaded, MiB
)

// x1TTL is how long the expiring half lives after it is written.
const x1TTL = time.Second

// x1Poll is how often DBSIZE is read while waiting.
const x1Poll = 2 * time.Millisecond

var bPXAT = []byte("PXAT")

func x1Keys(s Sizes) int { return s.Strings }

func runX1(e *Env) (Metrics, error) {
	srv := e.Server
	n := x1Keys(e.Sizes)
	c, err := Dial(srv.Addr, 2*time.Second)
	if err != nil {
		return nil, srv.Check(err)
	}
	defer c.Close()
	used := func() (int64, error) {
		info, err := c.Info("memory")
		if err != nil {
			return 0, err
		}
		return strconv.ParseInt(info["used_memory"], 10, 64)
	}
	pop, err := Dial(srv.Addr, 2*time.Second)
	if err != nil {
		return nil, srv.Check(err)
	}
	defer pop.Close()
	half := n / 2 // odd keys: no TTL; even keys: the deadline
	t0 := time.Now()
	err = Populate(pop, half, e.Sizes, func(b []byte, i int, s Sizes, sc *scratch) []byte {
		return popW1(b, 2*i+1, s, sc)
	}, func(f float64) { e.Progress(f / 4) })
	if err != nil {
		return nil, srv.Check(err)
	}
	// The expiring half: a deadline past its expected end by x1TTL (with
	// room for a slower second half).
	deadline := time.Now().Add(2*time.Since(t0) + x1TTL)
	at := []byte(strconv.FormatInt(deadline.UnixMilli(), 10))
	err = Populate(pop, n-half, e.Sizes, func(b []byte, i int, _ Sizes, sc *scratch) []byte {
		return AppendCommand(b, bSET, StringKey(sc.k[:0], 2*i), StringVal(sc.v[:0], 2*i), bPXAT, at)
	}, func(f float64) { e.Progress(0.25 + f/4) })
	loaded := time.Now()
	if err != nil {
		return nil, srv.Check(err)
	}
	usedLoaded, err := used()
	if err != nil {
		return nil, srv.Check(err)
	}
	if v, err := c.Do("DBSIZE"); err != nil || v.Integer() != n || time.Now().After(deadline) {
		return nil, fmt.Errorf("DBSIZE %d of %d keys (%v), %v past the deadline: the populate did not finish in time", v.Integer(), n, err, time.Since(deadline))
	}
	png, err := startPinger(srv.Addr)
	if err != nil {
		return nil, srv.Check(err)
	}
	defer png.close()
	png.take()
	limit := deadline.Add(time.Minute)
	var done time.Time
	for {
		v, err := c.Do("DBSIZE")
		if err != nil {
			return nil, srv.Check(err)
		}
		left := v.Integer() - half
		if left <= 0 {
			done = time.Now()
			break
		}
		if time.Now().After(limit) {
			return nil, fmt.Errorf("%d expired keys still there a minute after the deadline", left)
		}
		e.Progress(0.5 + 0.5*min(1, float64(time.Since(loaded))/float64(time.Until(limit)+time.Since(loaded))))
		time.Sleep(x1Poll)
	}
	ping := png.take()
	if err := png.close(); err != nil {
		return nil, fmt.Errorf("PING client: %w", err)
	}
	usedDone, err := used()
	if err != nil {
		return nil, srv.Check(err)
	}
	return Metrics{
		MX1PopulateSec: loaded.Sub(t0).Seconds(),
		MX1ReclaimSec:  done.Sub(deadline).Seconds(),
		MX1PingMaxMs:   ping,
		MX1UsedFreedMB: mib(usedLoaded - usedDone),
		MX1UsedLoaded:  mib(usedLoaded),
	}, srv.Alive()
}

func init() {
	Register(&Workload{
		Name: "X1", Title: "expire-cycle", Kind: KindLarge,
		Doc: "W1's keys, every other one with one shared deadline 1 s after it is written (SET ... PXAT), then no reads: seconds from " +
			"the deadline until every expired key is deleted (DBSIZE polled every 2 ms), used_memory given back, and the longest PING " +
			"round trip of a second client meanwhile (the expiry cycle's stall)",
		Cost: func(s Sizes, _ string) float64 { return 2 * float64(x1Keys(s)) },
		Run:  runX1,
	})
}
