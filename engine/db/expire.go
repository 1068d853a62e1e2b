package db

// Active expiry: keys whose deadline passed are deleted even when no client
// reads them, by an adaptive cycle that samples each database's expires
// table, as Redis 7.0 does.
//
// One pass over a database samples up to KeysPerLoop keys with a TTL,
// deletes the expired ones (through DB.expire, the write path's expiry: the
// before- and after-write hooks run, the entry's blocks go back to the
// allocator), and goes on with another pass while more than AcceptableStale
// percent of the sample had expired: a database full of expired keys is
// cleaned quickly, one with few costs one pass.
//
// Sampling follows a scan cursor over the expires table, kept per database
// between cycles (ds.Table.Scan's cursor, which survives resizes): each
// pass starts where the last one stopped, so every key with a TTL is looked
// at within a bounded number of passes, and a pass never walks the whole
// table. A pass visits at most 20 home groups per key it wants, so a sparse
// table costs a bounded amount of work too.
//
// Two kinds of cycle share that code:
//
//   - the slow cycle runs in the server cron, hz times a second, within
//     25% of the cron period at effort 1 (25 ms at hz 10), of which it
//     leaves 1/25 to the rest of the cron (a 24 ms budget);
//   - the fast cycle runs before the event loop sleeps, with a budget of
//     1 ms at effort 1, only when the last cycle ran out of time or the
//     moving average of expired keys per sample is at or above the
//     acceptable share (10% at effort 1), at most once per two of its
//     durations, and never right after another cycle: one of its durations
//     of serving clients separates them. A slow cycle that starts within
//     that time of a fast one (the cron runs after the turn's commands,
//     whose replies are written at the next turn) takes the fast one's
//     time off its budget, so the loop's longest stall is one slow budget.
//
// The budget is checked after every pass (a pass is at most KeysPerLoop
// deletions), so a cycle overshoots it by one pass at most. A cycle that
// stops on its budget counts in TimeCapReached and makes the next slow
// cycle visit every database. While expiry is paused (CLIENT PAUSE), a
// cycle does nothing.

import "rundb/engine/mem"

// Tuning of the cycle at active-expire-effort 1, the default; each step of
// effort above 1 adds a quarter of the keys per pass and of the fast
// cycle's duration, two points of CPU percentage, and accepts one point
// less of stale keys.
const (
	expireKeysPerLoop     = 20   // keys sampled per pass
	expireFastDurationUs  = 1000 // budget of a fast cycle, µs
	expireSlowTimePerc    = 25   // budget of a slow cycle, % of the cron period
	expireAcceptableStale = 10   // % of expired keys per sample that ends the passes
	// expireDBsPerCycle is how many databases a slow cycle visits when the
	// last cycle finished within its budget.
	expireDBsPerCycle = 16
	// expireGroupsPerKey bounds the home groups a pass scans per key it
	// wants to sample.
	expireGroupsPerKey = 20
)

// ExpireKind selects the slow (cron) or the fast (before sleep) cycle.
type ExpireKind uint8

const (
	ExpireSlow ExpireKind = iota
	ExpireFast
)

// ExpireStats are the cycle's counters for INFO stats.
type ExpireStats struct {
	// StalePerc is the moving average of the fraction of sampled keys
	// that had expired (0..1): each cycle weighs 5%.
	StalePerc float64
	// TimeCapReached counts the cycles that stopped on their budget.
	TimeCapReached uint64
	// CycleTimeUs is the time spent in cycles, in microseconds.
	CycleTimeUs int64
	// Cycles counts the cycles that ran (not skipped by their conditions),
	// Passes their passes, Sampled the keys those passes looked at.
	Cycles, Passes, Sampled uint64
}

// ActiveExpiry is the state of the active expiry cycle of a keyspace.
type ActiveExpiry struct {
	ks *Keyspace
	// Clock returns a monotonic time in microseconds; the cycle reads it to
	// keep to its budget. Tests inject a fake one.
	Clock func() int64
	// Effort is active-expire-effort, 1..10.
	Effort int
	// Hz is the cron frequency: a slow cycle's budget is a share of 1/Hz.
	Hz int

	Stats ExpireStats

	cursors  []uint64  // scan cursor of each database's expires table
	nextDB   int       // the database the next cycle starts with
	capped   bool      // the last cycle stopped on its budget
	lastFast int64     // start of the last fast cycle, µs
	lastEnd  int64     // end of the last cycle, µs
	lastDur  int64     // how long the last cycle took, µs
	refs     []mem.Ref // scratch: the refs one scan step found
}

// NewActiveExpiry makes the cycle of ks, timed by clock (µs).
func NewActiveExpiry(ks *Keyspace, clock func() int64) *ActiveExpiry {
	return &ActiveExpiry{ks: ks, Clock: clock, Effort: 1, Hz: 10}
}

// expireTuning is the cycle's tuning at an effort of 1..10.
type expireTuning struct {
	keysPerLoop     int
	fastDurationUs  int64
	slowTimePerc    int64
	acceptableStale int
}

func tuningFor(effort int) expireTuning {
	e := min(max(effort, 1), 10) - 1
	return expireTuning{
		keysPerLoop:     expireKeysPerLoop + expireKeysPerLoop/4*e,
		fastDurationUs:  expireFastDurationUs + expireFastDurationUs/4*int64(e),
		slowTimePerc:    expireSlowTimePerc + 2*int64(e),
		acceptableStale: expireAcceptableStale - e,
	}
}

// Budget is the time limit of a cycle of kind k, in microseconds.
func (x *ActiveExpiry) Budget(k ExpireKind) int64 {
	t := tuningFor(x.Effort)
	if k == ExpireFast {
		return t.fastDurationUs
	}
	share := t.slowTimePerc * 1_000_000 / int64(max(x.Hz, 1)) / 100
	return max(share-share/slowReserve, 1)
}

// budgetAt is the budget of a cycle of kind k starting at start (µs).
func (x *ActiveExpiry) budgetAt(k ExpireKind, start int64) int64 {
	budget := x.Budget(k)
	if k == ExpireSlow && x.lastDur > 0 && start-x.lastEnd < tuningFor(x.Effort).fastDurationUs {
		// A cycle just ended: the replies it held back may still be
		// unwritten, so this cycle's budget includes it.
		budget = max(budget-x.lastDur, 1)
	}
	return budget
}

// slowReserve: a slow cycle keeps 1/slowReserve of its share of the cron
// period (1 ms of 25 at hz 10) for the rest of the cron's turn, so that
// the whole turn, not only the cycle, stays within the share, and a client
// waiting on it waits no longer than the share.
const slowReserve = 25

// Run runs one cycle of kind k over the keyspace's databases, deciding
// expiry at the keyspace's NowMs (the caller Ticks it first). It returns
// the number of keys it deleted.
func (x *ActiveExpiry) Run(k ExpireKind) int {
	ks := x.ks
	if ks.ExpiryPaused {
		return 0
	}
	t := tuningFor(x.Effort)
	start := x.Clock()
	if k == ExpireFast {
		// Nothing suggests many expired keys are waiting.
		if !x.capped && x.Stats.StalePerc*100 < float64(t.acceptableStale) {
			return 0
		}
		if start < x.lastFast+2*t.fastDurationUs || start < x.lastEnd+t.fastDurationUs {
			return 0
		}
		x.lastFast = start
	}
	budget := x.budgetAt(k, start)
	dbs := len(ks.DBs)
	if len(x.cursors) != dbs {
		x.cursors = append(x.cursors[:0], make([]uint64, dbs)...)
	}
	perCycle := dbs
	if !x.capped {
		perCycle = min(dbs, expireDBsPerCycle)
	}
	x.capped = false
	x.Stats.Cycles++
	totalSampled, totalExpired := 0, 0
	for i := 0; i < perCycle && !x.capped; i++ {
		id := x.nextDB % dbs
		x.nextDB = (x.nextDB + 1) % dbs
		d := ks.DBs[id]
		if d.expires.Len() == 0 {
			continue
		}
		for {
			sampled, expired := x.pass(d, t.keysPerLoop)
			x.Stats.Passes++
			x.Stats.Sampled += uint64(sampled)
			totalSampled += sampled
			totalExpired += expired
			if x.Clock()-start > budget {
				x.capped = true
				x.Stats.TimeCapReached++
				break
			}
			if d.expires.Len() == 0 || !passAgain(sampled, expired, t.acceptableStale) {
				break
			}
		}
	}
	x.lastEnd = x.Clock()
	x.lastDur = x.lastEnd - start
	x.Stats.CycleTimeUs += x.lastDur
	cur := 0.0
	if totalSampled > 0 {
		cur = float64(totalExpired) / float64(totalSampled)
	}
	x.Stats.StalePerc = cur*0.05 + x.Stats.StalePerc*0.95
	return totalExpired
}

// passAgain is the adaptive rule: another pass follows one that found more
// than acceptable percent of its sample expired, or that sampled nothing
// (it met only empty groups of a sparse table).
func passAgain(sampled, expired, acceptable int) bool {
	return sampled == 0 || expired*100/sampled > acceptable
}

// pass samples up to want keys of d's expires table from d's scan cursor
// on and deletes the expired ones; it returns how many keys it looked at
// and how many it deleted.
func (x *ActiveExpiry) pass(d *DB, want int) (sampled, expired int) {
	n := d.expires.Len()
	if n == 0 {
		return 0, 0
	}
	want = min(want, n)
	cur := &x.cursors[d.ID]
	for groups := 0; sampled < want && groups < want*expireGroupsPerKey; groups++ {
		// Scan must not see the table change: collect the step's refs,
		// then expire.
		x.refs = x.refs[:0]
		*cur = d.expires.Scan(*cur, func(r mem.Ref) { x.refs = append(x.refs, r) })
		for _, r := range x.refs {
			sampled++
			if d.ExpireIfDue(d.Load(r)) {
				expired++
			}
		}
		if d.expires.Len() == 0 {
			break
		}
	}
	return sampled, expired
}

// FastWanted reports whether a fast cycle may have work: the last cycle ran
// out of time, or the share of expired keys in recent samples is above
// what the effort accepts. Run checks it again, with the time conditions.
func (x *ActiveExpiry) FastWanted() bool {
	return !x.ks.ExpiryPaused && (x.capped || x.Stats.StalePerc*100 >= float64(tuningFor(x.Effort).acceptableStale))
}
