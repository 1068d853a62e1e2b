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
// between cycles (ds.KeyTable.Scan's cursor, which survives resizes): each
// pass starts where the last one stopped, so every key with a TTL is looked
// at within a bounded number of passes, and a pass never walks the whole
// table. A pass visits at most 20 home groups per key it wants, so a sparse
// table costs a bounded amount of work too.
//
// Two kinds of cycle share that code:
//
//   - the slow cycle starts in the server cron, hz times a second, with a
//     budget of 25% of the cron period at effort 1 (25 ms at hz 10), of
//     which it leaves 1/25 to the rest of the cron (a 24 ms budget). It
//     spends that budget in slices of at most 2 ms (expireSliceUs), one
//     per loop turn (Run, then Continue while SlowRunning, the server
//     keeping the loop awake), so clients are served between slices: the
//     CPU share is the whole budget's, the longest wait a slice's;
//   - the fast cycle runs before the event loop sleeps, with a budget of
//     1 ms at effort 1, only when the last cycle ran out of time or the
//     moving average of expired keys per sample is at or above the
//     acceptable share (10% at effort 1), at most once per two of its
//     durations, never while a slow cycle is under way, and never right
//     after another cycle or slice: one of its durations of serving
//     clients separates them. A slow cycle that starts within that time of
//     a fast one (the cron runs after the turn's commands, whose replies
//     are written at the next turn) takes the fast one's time off its
//     budget.
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
	// expireSliceUs is the longest piece of a slow cycle run in one loop
	// turn: the cycle spends its budget (24 ms at hz 10) in slices of at
	// most 2 ms with the clients' turns between them, so the CPU share is
	// the budget's and a client waits at most one slice for expiry.
	expireSliceUs = 2000
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
	lastDur  int64     // how long the last cycle (or slice) took, µs
	refs     []mem.Ref // scratch: the refs one scan step found

	// The cycle under way: slow budget left (µs, 0 when no slow cycle
	// runs), databases still to visit, keys sampled and deleted so far.
	slowLeft               int64
	dbsLeft                int
	cycSampled, cycExpired int
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

// Run runs a cycle of kind k over the keyspace's databases, deciding
// expiry at the keyspace's NowMs (the caller Ticks it first), and returns
// the number of keys it deleted. A fast cycle runs whole. A slow cycle
// runs its first slice here (see Continue); a slow cycle still running
// when the cron starts the next one ends there, as if its budget ran out.
func (x *ActiveExpiry) Run(k ExpireKind) int {
	ks := x.ks
	if ks.ExpiryPaused {
		return 0
	}
	t := tuningFor(x.Effort)
	start := x.Clock()
	if k == ExpireFast {
		if x.slowLeft > 0 {
			// A slow cycle is under way: its slices run instead.
			return 0
		}
		// Nothing suggests many expired keys are waiting.
		if !x.capped && x.Stats.StalePerc*100 < float64(t.acceptableStale) {
			return 0
		}
		if start < x.lastFast+2*t.fastDurationUs || start < x.lastEnd+t.fastDurationUs {
			return 0
		}
		x.lastFast = start
		x.begin()
		n, timeUp := x.work(start, x.budgetAt(k, start))
		x.end(start, timeUp)
		x.Stats.CycleTimeUs += x.lastDur
		return n
	}
	if x.slowLeft > 0 {
		x.end(start, true)
	}
	x.begin()
	x.slowLeft = x.budgetAt(ExpireSlow, start)
	return x.slice(start)
}

// Continue runs the next slice of the slow cycle under way, if any, and
// returns the number of keys it deleted. The server calls it once per
// loop turn while SlowRunning, and keeps the loop from sleeping meanwhile.
func (x *ActiveExpiry) Continue() int {
	if x.slowLeft <= 0 || x.ks.ExpiryPaused {
		return 0
	}
	return x.slice(x.Clock())
}

// SlowRunning reports whether a slow cycle has budget and work left: the
// loop owes it more slices.
func (x *ActiveExpiry) SlowRunning() bool { return x.slowLeft > 0 && !x.ks.ExpiryPaused }

// slice runs the slow cycle under way for at most expireSliceUs of its
// remaining budget, and ends the cycle when its budget is spent or its
// databases are done.
func (x *ActiveExpiry) slice(start int64) int {
	n, timeUp := x.work(start, min(x.slowLeft, expireSliceUs))
	now := x.Clock()
	x.slowLeft -= now - start
	x.Stats.CycleTimeUs += now - start
	switch {
	case !timeUp:
		x.slowLeft = 0
		x.end(start, false)
	case x.slowLeft <= 0:
		x.slowLeft = 0
		x.end(start, true)
	default:
		// A pause between slices: clients are served before the next.
		x.lastEnd, x.lastDur = now, now-start
	}
	return n
}

// begin starts a cycle: the databases it visits, counters.
func (x *ActiveExpiry) begin() {
	dbs := len(x.ks.DBs)
	if len(x.cursors) != dbs {
		x.cursors = append(x.cursors[:0], make([]uint64, dbs)...)
	}
	x.dbsLeft = dbs
	if !x.capped {
		x.dbsLeft = min(dbs, expireDBsPerCycle)
	}
	x.capped = false
	x.cycSampled, x.cycExpired = 0, 0
	x.Stats.Cycles++
}

// end closes a cycle whose last piece of work began at start: timeUp says
// it stopped on its budget.
func (x *ActiveExpiry) end(start int64, timeUp bool) {
	if timeUp {
		x.capped = true
		x.Stats.TimeCapReached++
		// The next cycle starts with the database after the one it
		// was in.
		if dbs := len(x.ks.DBs); dbs > 0 {
			x.nextDB = (x.nextDB + 1) % dbs
		}
	}
	x.lastEnd = x.Clock()
	x.lastDur = x.lastEnd - start
	cur := 0.0
	if x.cycSampled > 0 {
		cur = float64(x.cycExpired) / float64(x.cycSampled)
	}
	x.Stats.StalePerc = cur*0.05 + x.Stats.StalePerc*0.95
}

// work runs passes of the cycle under way from the database it stands at,
// until the cycle's databases are done or budget µs have passed since
// start; it returns the keys it deleted and whether it stopped on time.
// A stop on time leaves the cycle at the database it was in.
func (x *ActiveExpiry) work(start, budget int64) (deleted int, timeUp bool) {
	ks := x.ks
	t := tuningFor(x.Effort)
	dbs := len(ks.DBs)
	for ; x.dbsLeft > 0; x.dbsLeft-- {
		d := ks.DBs[x.nextDB%dbs]
		for d.expires.Len() > 0 {
			sampled, expired := x.pass(d, t.keysPerLoop)
			x.Stats.Passes++
			x.Stats.Sampled += uint64(sampled)
			x.cycSampled += sampled
			x.cycExpired += expired
			deleted += expired
			if x.Clock()-start > budget {
				return deleted, true
			}
			if !passAgain(sampled, expired, t.acceptableStale) {
				break
			}
		}
		x.nextDB = (x.nextDB + 1) % dbs
	}
	return deleted, false
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
