package command

import (
	"math"
	"time"

	"rundb/engine/config"
	"rundb/engine/db"
	"rundb/engine/mem"
)

// maxmemory. Before each command, when maxmemory is set and used memory
// (the allocator's bytes plus the clients' buffers, less
// mem_not_counted_for_evict) is over it, the server evicts keys by
// maxmemory-policy (db.Evictor) within evictTimeLimit. A command is
// refused with ErrOOM when the server is still over the limit and nothing
// more can be evicted (always under noeviction) and the command is
// flagged deny-OOM, or is an EXEC whose queue holds one, or is being
// queued inside MULTI (anything but EXEC, DISCARD, QUIT and RESET), as
// Redis 7.0 refuses them. A run that uses up its budget while still over
// the limit lets the command through and goes on at every loop turn
// (EvictionStep) until done, so that neither a large CONFIG SET maxmemory
// drop nor a storm of writes stalls the loop.
//
// The random policies (allkeys-random, volatile-random) evict, once over
// the limit, down to maxmemory less eviction-ratio of it, so that one run
// makes room for many writes. simple-first evicts one random key per
// check; what is left over the limit is evicted by the loop-turn steps.

// ErrOOM is the reply to a deny-OOM command over maxmemory.
const ErrOOM = "OOM command not allowed when used memory > 'maxmemory'."

// evictTimeLimit is how long one eviction run may take at
// maxmemory-eviction-tenacity t (0..100), as in Redis 7.0: 50 µs per step
// up to 10 (500 µs, the default), then 15% more per step (about 2 ms at
// 20, 1.6 s at 99), and no limit at 100. The limit is checked every 16
// keys evicted, so tenacity 0 evicts 16 keys per run.
func evictTimeLimit(t int64) (limit time.Duration, unlimited bool) {
	switch {
	case t <= 10:
		return time.Duration(max(t, 0)) * 50 * time.Microsecond, false
	case t < 100:
		return time.Duration(500 * math.Pow(1.15, float64(t-10)) * float64(time.Microsecond)), false
	}
	return 0, true
}

// clientMemEvery is how often the eviction check walks the connections
// for their buffers' size; between walks it reuses the last figure.
const clientMemEvery = time.Millisecond

// evictState is the server's maxmemory state.
type evictState struct {
	ev *db.Evictor
	// running: a run used up its budget while over target; EvictionStep
	// continues it.
	running bool
	// target is the used memory the current run evicts down to.
	target uint64
	// clientMem caches clientMemory, taken at clientAt.
	clientMem uint64
	clientAt  time.Time
	// exceededSince is when used memory went over maxmemory (zero while
	// under it); exceededTotal sums the past spells over it (INFO's
	// total_eviction_exceeded_time).
	exceededSince time.Time
	exceededTotal time.Duration
}

// evictor returns the server's evictor, following the configuration.
func (s *Server) evictor() *db.Evictor {
	es := &s.evict
	if es.ev == nil {
		es.ev = db.NewEvictor(s.KS)
		es.ev.Seed(s.Rand())
	}
	cfg := s.Config
	p, _ := db.ParsePolicy(cfg.MaxMemoryPolicy)
	if p != es.ev.Policy {
		es.ev.ResetPool()
		es.ev.Policy = p
	}
	es.ev.Samples = int(cfg.MaxMemorySamples)
	es.ev.PoolSize = int(cfg.EvictionPoolSize)
	return es.ev
}

// memNotCountedForEvict is memory used_memory holds that eviction cannot
// free and so does not count: Redis's append-log and replica buffers.
// rundb has neither yet, so it is 0.
func (s *Server) memNotCountedForEvict() uint64 { return 0 }

// evictUsed is used memory as the eviction check counts it at now.
func (s *Server) evictUsed(now time.Time) uint64 {
	es := &s.evict
	if es.clientAt.IsZero() || now.Sub(es.clientAt) >= clientMemEvery || now.Before(es.clientAt) {
		es.clientMem = s.clientMemory()
		es.clientAt = now
	}
	used := mem.Allocated(s.KS.Alloc) + es.clientMem
	if nc := s.memNotCountedForEvict(); used > nc {
		used -= nc
	}
	return used
}

// evictTarget is what a run that starts over maxmemory evicts down to.
func evictTarget(cfg *config.Config, p db.Policy) uint64 {
	limit := uint64(cfg.MaxMemory)
	if p == db.AllKeysRandom || p == db.VolatileRandom {
		return limit - uint64(float64(limit)*cfg.EvictionRatio)
	}
	return limit
}

// performEvictions evicts as maxmemory asks at now (see the top of this
// file) and reports how it ended: EvictFail means over the limit with
// nothing left to evict. It times the spells over maxmemory: one starts
// when a check fails or leaves a run going while over the limit, and ends
// at the first check that finds used memory back under it.
func (s *Server) performEvictions(now time.Time) db.EvictResult {
	res := s.evictOnce(now)
	es := &s.evict
	over := res == db.EvictFail || (es.running && s.Config.MaxMemory > 0 && s.evictUsed(now) > uint64(s.Config.MaxMemory))
	switch {
	case over && es.exceededSince.IsZero():
		es.exceededSince = now
	case !over && !es.exceededSince.IsZero():
		es.exceededTotal += now.Sub(es.exceededSince)
		es.exceededSince = time.Time{}
	}
	return res
}

// evictionExceeded is INFO's total_eviction_exceeded_time (the ongoing
// spell included) and current_eviction_exceeded_time at now.
func (s *Server) evictionExceeded(now time.Time) (total, current time.Duration) {
	es := &s.evict
	if !es.exceededSince.IsZero() {
		current = max(now.Sub(es.exceededSince), 0)
	}
	return es.exceededTotal + current, current
}

// evictOnce is one eviction check of performEvictions.
func (s *Server) evictOnce(now time.Time) db.EvictResult {
	es := &s.evict
	cfg := s.Config
	if cfg.MaxMemory <= 0 {
		es.running = false
		return db.EvictOK
	}
	limit := uint64(cfg.MaxMemory)
	used := s.evictUsed(now)
	if used <= limit && !es.running {
		return db.EvictOK
	}
	ev := s.evictor()
	if ev.Policy == db.NoEviction {
		es.running = false
		if used > limit {
			return db.EvictFail
		}
		return db.EvictOK
	}
	if !es.running {
		es.target = evictTarget(cfg, ev.Policy)
	}
	s.KS.Tick(now.UnixMilli())
	over := func() bool { return s.evictUsed(now) > es.target }
	if ev.Policy == db.SimpleFirst && !es.running {
		if !ev.EvictOne() {
			return db.EvictFail
		}
		es.running = over()
		return db.EvictOK
	}
	start := time.Now()
	runLimit, unlimited := evictTimeLimit(cfg.MaxMemoryEvictionTenacity)
	res := ev.Evict(over, func() bool { return !unlimited && time.Since(start) >= runLimit })
	es.running = res == db.EvictRunning
	if res == db.EvictFail && s.evictUsed(now) <= limit {
		// Under the limit, only not down to a random policy's target.
		res = db.EvictOK
	}
	return res
}

// EvictionRunning reports whether an eviction run is to be continued
// (EvictionStep) at the next loop turn.
func (s *Server) EvictionRunning() bool { return s.evict.running }

// EvictionStep continues an eviction run for one time budget; the server
// calls it at each loop turn while EvictionRunning.
func (s *Server) EvictionStep() {
	if s.evict.running {
		s.performEvictions(time.Now())
	}
}

// oomRefuses runs the eviction check before cmd and reports whether cmd
// is refused with ErrOOM.
func (s *Server) oomRefuses(c *Client, cmd *Command, now time.Time) bool {
	if s.performEvictions(now) != db.EvictFail {
		return false
	}
	if cmd.Flags&FlagDenyOOM != 0 {
		return true
	}
	switch cmd.Name {
	case "exec":
		for _, q := range c.Queue {
			if q.cmd.Flags&FlagDenyOOM != 0 {
				return true
			}
		}
		return false
	case "discard", "quit", "reset":
		return false
	}
	return c.InMulti
}

// maxmemoryChanged follows CONFIG SET of an eviction parameter: the new
// limit or policy takes effect at once, a run starting at the next loop
// turn (and at the next command).
func (s *Server) maxmemoryChanged() {
	s.evictor()
	s.evict.running = false
	if s.Config.MaxMemory > 0 && s.evictUsed(time.Now()) > uint64(s.Config.MaxMemory) {
		s.evict.running = true
		s.evict.target = evictTarget(s.Config, s.evict.ev.Policy)
	}
}
