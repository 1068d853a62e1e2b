package command

import (
	"time"

	"rundb/engine/db"
)

// Active expiry: the slow cycle runs in Cron, the fast one in BeforeSleep
// (see engine/db/expire.go for the cycle itself). Both follow hz and
// active-expire-effort as they are now, and do nothing while a CLIENT
// PAUSE holds expiry.

// newActiveExpiry builds the cycle of s's keyspace on the monotonic clock.
func (s *Server) newActiveExpiry() *db.ActiveExpiry {
	base := time.Now()
	return db.NewActiveExpiry(s.KS, func() int64 { return int64(time.Since(base) / time.Microsecond) })
}

// Expiry is the server's active expiry cycle (its counters, and a Clock
// tests may replace).
func (s *Server) Expiry() *db.ActiveExpiry { return s.expiry }

// activeExpire runs one cycle of kind k at now.
func (s *Server) activeExpire(k db.ExpireKind, now time.Time) {
	x := s.expiry
	x.Effort = int(s.Config.ActiveExpireEffort)
	x.Hz = int(s.Config.Hz)
	if k == db.ExpireFast && !x.FastWanted() {
		return
	}
	s.Paused(now) // ends a pause whose time is up
	s.KS.Tick(now.UnixMilli())
	start := time.Now()
	x.Run(k)
	s.expireLatency(start)
}

// expireLatency records, for LATENCY, the expiry work that began at start
// (a fast cycle or one slice of a slow one: what held the loop) as an
// "expire-cycle" event when it reached latency-monitor-threshold.
func (s *Server) expireLatency(start time.Time) {
	if t := s.Config.LatencyMonitorThreshold; t > 0 {
		if d := time.Since(start); d.Milliseconds() >= t {
			s.latencyMon.Add("expire-cycle", start, d)
		}
	}
}

// BeforeSleep runs the next slice of a slow expiry cycle under way (one
// slice per loop turn, the cron's included), or else the fast cycle when the last cycles left expired keys behind; the
// engine calls it once per loop turn, before replies are written and the
// loop waits, and keeps the loop awake while ExpiryRunning.
func (s *Server) BeforeSleep() {
	x := s.expiry
	if s.cronSliced {
		// The cron started a slow cycle in this turn: its first slice
		// ran, the clients' turn comes before the next.
		s.cronSliced = false
		return
	}
	if x.SlowRunning() {
		now := time.Now()
		s.Paused(now) // ends a pause whose time is up
		s.KS.Tick(now.UnixMilli())
		x.Continue()
		s.expireLatency(now)
		return
	}
	if x.FastWanted() {
		s.activeExpire(db.ExpireFast, time.Now())
	}
}

// ExpiryRunning reports whether a slow expiry cycle has slices left to run:
// the loop must not sleep until it is done.
func (s *Server) ExpiryRunning() bool { return s.expiry.SlowRunning() }

// touchWatchedExpired flags the clients watching key in d, which expiry
// just deleted, unless the key had already expired when they watched it
// (its deletion then changes nothing they saw).
func (s *Server) touchWatchedExpired(d *db.DB, key []byte) {
	if len(s.watchers) == 0 {
		return
	}
	for _, c := range s.watchers[watchID{db: d.ID, key: string(key)}] {
		for _, w := range c.Watched {
			if w.db == d.ID && w.key == string(key) && !w.expired {
				c.DirtyCAS = true
			}
		}
	}
}
