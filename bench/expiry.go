package bench

import (
	"fmt"
	"strconv"
	"time"
)

// X1 measures active expiry: W1's keys, half of them with a 1 s TTL, and
// then no client reads any key. The time until the server has deleted every
// expired key (DBSIZE, which reads no key, polled every 2 ms) is counted
// from the moment the last TTL passed; meanwhile a second client sends PING
// in a loop, and its longest round trip is the stall the expiry cycle
// caused.

// Metric names of X1.
const (
	MX1PopulateSec = "x1_populate_s"     // loading the keys, seconds
	MX1ReclaimSec  = "x1_reclaim_s"      // from the last deadline to DBSIZE = N/2
	MX1PingMaxMs   = "x1_ping_max_ms"    // longest PING round trip meanwhile
	MX1UsedFreedMB = "x1_used_freed_mb"  // used_memory given back, MiB
	MX1UsedLoaded  = "x1_used_loaded_mb" // used_memory with every key loaded, MiB
)

// x1TTL is the TTL of the expiring half.
const x1TTL = time.Second

// x1Poll is how often DBSIZE is read while waiting.
const x1Poll = 2 * time.Millisecond

var bPX = []byte("PX")

func popX1(b []byte, i int, _ Sizes, sc *scratch) []byte {
	if i%2 == 0 {
		return AppendCommand(b, bSET, StringKey(sc.k[:0], i), StringVal(sc.v[:0], i), bPX, []byte(strconv.Itoa(int(x1TTL/time.Millisecond))))
	}
	return popW1(b, i, Sizes{}, sc)
}

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
	t0 := time.Now()
	err = Populate(pop, n, e.Sizes, popX1, func(f float64) { e.Progress(f / 2) })
	loaded := time.Now()
	pop.Close()
	if err != nil {
		return nil, srv.Check(err)
	}
	usedLoaded, err := used()
	if err != nil {
		return nil, srv.Check(err)
	}
	png, err := startPinger(srv.Addr)
	if err != nil {
		return nil, srv.Check(err)
	}
	defer png.close()
	png.take()
	lastDeadline := loaded.Add(x1TTL)
	want := n - (n+1)/2
	limit := lastDeadline.Add(time.Minute)
	var done time.Time
	for {
		v, err := c.Do("DBSIZE")
		if err != nil {
			return nil, srv.Check(err)
		}
		left := v.Integer() - want
		if left <= 0 && time.Now().After(lastDeadline) {
			done = time.Now()
			break
		}
		if left < 0 {
			return nil, fmt.Errorf("DBSIZE %d before the last deadline: keys without a TTL are gone", v.Integer())
		}
		if time.Now().After(limit) {
			return nil, fmt.Errorf("%d expired keys still there a minute after the last deadline", left)
		}
		e.Progress(0.5 + 0.5*min(1, float64(time.Since(loaded))/float64(x1TTL+time.Second)))
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
		MX1ReclaimSec:  done.Sub(lastDeadline).Seconds(),
		MX1PingMaxMs:   ping,
		MX1UsedFreedMB: mib(usedLoaded - usedDone),
		MX1UsedLoaded:  mib(usedLoaded),
	}, srv.Alive()
}

func init() {
	Register(&Workload{
		Name: "X1", Title: "expire-cycle", Kind: KindLarge,
		Doc: "W1's keys, every other one with PX 1000, then no reads: seconds from the last deadline until every expired key is " +
			"deleted (DBSIZE polled every 2 ms), and the longest PING round trip of a second client meanwhile (the expiry cycle's stall)",
		Cost: func(s Sizes, _ string) float64 { return 2 * float64(x1Keys(s)) },
		Run:  runX1,
	})
}
