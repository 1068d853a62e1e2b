package bench

import (
	"fmt"
	"strconv"
	"time"
)

// X1 measures active expiry: W1's keys, half of them with a TTL of 1 s
// each, and then no client reads any key. The keys without TTL are written
// first, which times the server's populate rate; the other half follow
// with SET ... PX 1000, so each key's deadline is 1 s after it is written
// (as WORKLOADS.md says: a TTL per key, not one shared deadline), and the
// first ones expire while the last are still being written. The time
// until the server has deleted every expired key (DBSIZE, which reads no
// key, polled every 2 ms) is counted from the last key's deadline (the
// reply to its SET plus 1 s, which is no earlier than the server's
// deadline); from the end of the populate to then, a second client sends
// PING in a loop, and its longest round trip is the stall the expiry
// cycle caused. The memory loaded is used_memory_peak (expiry frees keys
// before the last ones are written, so used_memory never holds them all).

// Metric names of X1.
const (
	MX1PopulateSec = "x1_populate_s"     // loading the keys, seconds
	MX1ReclaimSec  = "x1_reclaim_s"      // from the last deadline to DBSIZE = N/2
	MX1PingMaxMs   = "x1_ping_max_ms"    // longest PING round trip meanwhile
	MX1UsedFreedMB = "x1_used_freed_mb"  // used_memory given back (from the peak), MiB
	MX1UsedLoaded  = "x1_used_loaded_mb" // used_memory_peak, MiB
	MX1CycleMaxMs  = "x1_cycle_max_ms"   // longest expire-cycle LATENCY event meanwhile, ms
)

// x1TTL is how long each key of the expiring half lives after it is
// written (the PX argument).
const x1TTL = time.Second

var x1PX = []byte(strconv.FormatInt(x1TTL.Milliseconds(), 10))

// x1Poll is how often DBSIZE is read while waiting.
const x1Poll = 2 * time.Millisecond

var bPX = []byte("PX")

func x1Keys(s Sizes) int { return s.Strings }

func runX1(e *Env) (Metrics, error) {
	srv := e.Server
	n := x1Keys(e.Sizes)
	c, err := Dial(srv.Addr, 2*time.Second)
	if err != nil {
		return nil, srv.Check(err)
	}
	defer c.Close()
	used := func(field string) (int64, error) {
		info, err := c.Info("memory")
		if err != nil {
			return 0, err
		}
		return strconv.ParseInt(info[field], 10, 64)
	}
	pop, err := Dial(srv.Addr, 2*time.Second)
	if err != nil {
		return nil, srv.Check(err)
	}
	defer pop.Close()
	half := n / 2 // odd keys: no TTL; even keys: 1 s each
	t0 := time.Now()
	err = Populate(pop, half, e.Sizes, func(b []byte, i int, s Sizes, sc *scratch) []byte {
		return popW1(b, 2*i+1, s, sc)
	}, func(f float64) { e.Progress(f / 4) })
	if err != nil {
		return nil, srv.Check(err)
	}
	err = Populate(pop, n-half, e.Sizes, func(b []byte, i int, _ Sizes, sc *scratch) []byte {
		return AppendCommand(b, bSET, StringKey(sc.k[:0], 2*i), StringVal(sc.v[:0], 2*i), bPX, x1PX)
	}, func(f float64) { e.Progress(0.25 + f/4) })
	loaded := time.Now()
	if err != nil {
		return nil, srv.Check(err)
	}
	// The last key's deadline: its SET's reply came after the server set
	// it, so this is no earlier than the server's deadline.
	deadline := loaded.Add(x1TTL)
	if v, err := c.Do("DBSIZE"); err != nil || v.Integer() < half || v.Integer() > n {
		return nil, fmt.Errorf("DBSIZE %d after writing %d keys, %d of them without TTL (%v)", v.Integer(), n, half, err)
	}
	// The server's own account of the stall: LATENCY records each
	// expiry cycle (Redis: a whole cycle; rundb: a fast cycle or a slice
	// of a slow one) of 1 ms or more as an expire-cycle event.
	if _, err := c.Do("CONFIG", "SET", "latency-monitor-threshold", "1"); err != nil {
		return nil, srv.Check(err)
	}
	if _, err := c.Do("LATENCY", "RESET"); err != nil {
		return nil, srv.Check(err)
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
	cycleMax, err := latencyMax(c, "expire-cycle")
	if err != nil {
		return nil, srv.Check(err)
	}
	usedDone, err := used("used_memory")
	if err != nil {
		return nil, srv.Check(err)
	}
	usedLoaded, err := used("used_memory_peak")
	if err != nil {
		return nil, srv.Check(err)
	}
	return Metrics{
		MX1PopulateSec: loaded.Sub(t0).Seconds(),
		MX1ReclaimSec:  max(0, done.Sub(deadline).Seconds()),
		MX1PingMaxMs:   ping,
		MX1UsedFreedMB: mib(usedLoaded - usedDone),
		MX1UsedLoaded:  mib(usedLoaded),
		MX1CycleMaxMs:  cycleMax,
	}, srv.Alive()
}

// latencyMax is the all-time maximum (ms) of LATENCY event name, 0 when
// none was recorded.
func latencyMax(c *Client, name string) (float64, error) {
	v, err := c.Do("LATENCY", "LATEST")
	if err != nil {
		return 0, err
	}
	for _, e := range v.Array() {
		if f := e.Array(); len(f) == 4 && f[0].String() == name {
			return float64(f[3].Integer()), nil
		}
	}
	return 0, nil
}

func init() {
	Register(&Workload{
		Name: "X1", Title: "expire-cycle", Kind: KindLarge,
		Doc: "W1's keys, every other one with a TTL of 1 s from when it is written (SET ... PX 1000), then no reads: seconds from " +
			"the last key's deadline until every expired key is deleted (DBSIZE polled every 2 ms), used_memory given back from " +
			"used_memory_peak, and the longest PING round trip of a second client from the end of the writes on (the expiry cycle's stall), " +
			"beside the longest expire-cycle event LATENCY recorded meanwhile (Redis: a whole cycle; rundb: a fast cycle or one slice of a slow one)",
		Cost: func(s Sizes, _ string) float64 { return 2 * float64(x1Keys(s)) },
		Run:  runX1,
	})
}
