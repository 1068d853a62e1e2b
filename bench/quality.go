package bench

import (
	"container/list"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"time"

	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// E1 lru-quality: how good each eviction policy's choices are. A server
// whose maxmemory holds a quarter of the N keys (E1Keys) serves a
// cache-aside client (GET; SET on a miss) over a Zipf(0.99) trace of 4N
// accesses; the hit ratio of each policy
// is set against an exact-LRU simulation of the same trace and the same
// number of keys, computed here, and against Redis's row of the same run.
//
// The limit is calibrated on each server: it is used_memory with a quarter
// of the keys stored (keys and values of the trace's sizes) after a churn
// that replaced them twice over, so Redis and rundb hold about the same
// number of keys whatever their bytes per key; the keys each held at the
// end are reported beside the hit ratios. The
// client sends the trace in batches of e1Batch accesses (their GETs
// pipelined, then the SETs of the misses), standing for a few concurrent
// cache-aside clients; the simulation applies the same batches.

// KindQuality is a workload measuring the quality of a choice (E1: hit
// ratios); each gets its own report section.
const KindQuality = "quality"

// E1 metrics: hit ratios (0..1) and the keys each policy held at the end.
const (
	MHitExactLRU  = "hit_exact_lru"
	MHitLRU5      = "hit_allkeys_lru_s5"
	MHitLRU10     = "hit_allkeys_lru_s10"
	MHitLFU       = "hit_allkeys_lfu"
	MHitRandom    = "hit_allkeys_random"
	MKeysLRU5     = "keys_allkeys_lru_s5"
	MKeysLRU10    = "keys_allkeys_lru_s10"
	MKeysLFU      = "keys_allkeys_lfu"
	MKeysRandom   = "keys_allkeys_random"
	ME1Resident   = "resident_target"
	e1Batch       = 16
	e1Skew        = 0.99
	e1ValueBytes  = 32
	e1Seed        = 20260909
	e1KeyPrefix   = "key:"
	e1FillPrefix  = "e1f:" // calibration keys, the same length as the trace's
	e1MaxAttempts = 3
)

var bDEL = []byte("DEL")

// e1Policies are the policies E1 measures, with their metrics.
var e1Policies = []struct {
	policy  string
	samples int
	hit     string
	keys    string
}{
	{"allkeys-lru", 5, MHitLRU5, MKeysLRU5},
	{"allkeys-lru", 10, MHitLRU10, MKeysLRU10},
	{"allkeys-lfu", 5, MHitLFU, MKeysLFU},
	{"allkeys-random", 5, MHitRandom, MKeysRandom},
}

// ZipfTrace returns accesses key numbers in [0, n) drawn from Zipf(s)
// (rank r is drawn with weight 1/r^s, any s > 0) with a fixed seed; ranks
// map to key numbers through a fixed permutation, so popularity is not
// ordered by key.
func ZipfTrace(n, accesses int, s float64, seed uint64) []int32 {
	cdf := make([]float64, n)
	sum := 0.0
	for r := 0; r < n; r++ {
		sum += 1 / math.Pow(float64(r+1), s)
		cdf[r] = sum
	}
	rng := rand.New(rand.NewPCG(seed, seed^0x5bd1e995))
	perm := rng.Perm(n)
	out := make([]int32, accesses)
	for i := range out {
		u := rng.Float64() * sum
		r := sort.SearchFloat64s(cdf, u)
		if r >= n {
			r = n - 1
		}
		out[i] = int32(perm[r])
	}
	return out
}

// ExactLRUHits replays trace through an exact LRU cache of capacity keys,
// batch accesses at a time as E1's client sends them (the batch's lookups,
// then the insertions of its misses), and returns the hits.
func ExactLRUHits(trace []int32, capacity, batch int) int {
	ll := list.New()
	where := make(map[int32]*list.Element, capacity+batch)
	hits := 0
	var misses []int32
	for i := 0; i < len(trace); i += batch {
		misses = misses[:0]
		for _, k := range trace[i:min(i+batch, len(trace))] {
			if el, ok := where[k]; ok {
				hits++
				ll.MoveToFront(el)
			} else {
				misses = append(misses, k)
			}
		}
		for _, k := range misses {
			if el, ok := where[k]; ok {
				ll.MoveToFront(el)
				continue
			}
			where[k] = ll.PushFront(k)
			if ll.Len() > capacity {
				old := ll.Back()
				ll.Remove(old)
				delete(where, old.Value.(int32))
			}
		}
	}
	return hits
}

// e1Calibrate returns used_memory with capacity keys stored on an empty
// server, and leaves the server empty.
func e1Calibrate(c *Client, capacity int) (int64, error) {
	if _, err := c.Do("FLUSHALL"); err != nil {
		return 0, err
	}
	val := make([]byte, e1ValueBytes)
	for i := range val {
		val[i] = 'v'
	}
	var k []byte
	for i := 0; i < capacity; i += 1000 {
		n := min(1000, capacity-i)
		for j := i; j < i+n; j++ {
			k = appendPadded(append(k[:0], e1FillPrefix...), j, 12)
			c.out = AppendCommand(c.out, bSET, k, val)
		}
		if err := c.Pipeline(n); err != nil {
			return 0, err
		}
	}
	// Churn as eviction does (a new key in, an old one out, twice over),
	// so that the tables are in the state the trace keeps them in: a
	// table that leaves tombstones grows under churn at a constant count.
	for i := capacity; i < 3*capacity; i += 500 {
		n := min(500, 3*capacity-i)
		for j := i; j < i+n; j++ {
			k = appendPadded(append(k[:0], e1FillPrefix...), j, 12)
			c.out = AppendCommand(c.out, bSET, k, val)
			k = appendPadded(append(k[:0], e1FillPrefix...), j-capacity, 12)
			c.out = AppendCommand(c.out, bDEL, k)
		}
		if err := c.Pipeline(2 * n); err != nil {
			return 0, err
		}
	}
	info, err := c.Info("memory")
	if err != nil {
		return 0, err
	}
	used, err := strconv.ParseInt(info["used_memory"], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("INFO memory: bad used_memory %q", info["used_memory"])
	}
	_, err = c.Do("FLUSHALL")
	return used, err
}

// e1Replay runs the trace as a cache-aside client and returns the hits.
// The SETs of one batch's misses go out with the next batch's GETs, in
// one write: the server still runs them in the order the batches say.
func e1Replay(c *Client, trace []int32, progress func(float64)) (int, error) {
	val := make([]byte, e1ValueBytes)
	for i := range val {
		val[i] = 'v'
	}
	hits := 0
	var k []byte
	var misses []int32
	pendingSets := 0
	for i := 0; i <= len(trace); i += e1Batch {
		b := trace[min(i, len(trace)):min(i+e1Batch, len(trace))]
		for _, id := range b {
			k = appendPadded(append(k[:0], e1KeyPrefix...), int(id), 12)
			c.out = AppendCommand(c.out, bGET, k)
		}
		if err := c.Flush(); err != nil {
			return 0, err
		}
		for ; pendingSets > 0; pendingSets-- {
			v, err := c.Read()
			if err != nil {
				return 0, err
			}
			if e := v.Error(); e != nil {
				return 0, fmt.Errorf("SET: %v", e)
			}
		}
		misses = misses[:0]
		for _, id := range b {
			v, err := c.Read()
			if err != nil {
				return 0, err
			}
			if e := v.Error(); e != nil {
				return 0, fmt.Errorf("GET: %v", e)
			}
			if v.IsNull() {
				misses = append(misses, id)
			} else {
				hits++
			}
		}
		for _, id := range misses {
			k = appendPadded(append(k[:0], e1KeyPrefix...), int(id), 12)
			c.out = AppendCommand(c.out, bSET, k, val)
		}
		pendingSets = len(misses)
		if progress != nil && i%(64*e1Batch) == 0 {
			progress(float64(i) / float64(len(trace)))
		}
	}
	return hits, nil
}

// E1Keys is E1's keyspace for a profile: a tenth of the T keyspace
// (100,000 keys at the default profile, 10,000 at quick), accessed four
// times over.
func E1Keys(s Sizes) int { return max(10_000, s.TKeys/10) }

func runE1(e *Env) (Metrics, error) {
	c, err := Dial(e.Server.Addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	keys, ok := ParamInt(e.Param, "N")
	if !ok {
		return nil, fmt.Errorf("E1: bad parameter %q", e.Param)
	}
	capacity := keys / 4
	trace := ZipfTrace(keys, 4*keys, e1Skew, e1Seed)
	m := Metrics{
		MHitExactLRU: float64(ExactLRUHits(trace, capacity, e1Batch)) / float64(len(trace)),
		ME1Resident:  float64(capacity),
	}
	steps := float64(len(e1Policies))
	// A first calibration is thrown away: on a fresh Redis it reads a
	// little high (the first run then held ~1.5% fewer keys than the
	// others), and every policy should get the same footing.
	if _, err := e1Calibrate(c, capacity); err != nil {
		return nil, fmt.Errorf("calibrating: %w", err)
	}
	for pi, p := range e1Policies {
		if _, err := c.Do("CONFIG", "SET", "maxmemory", "0"); err != nil {
			return nil, err
		}
		limit, err := e1Calibrate(c, capacity)
		if err != nil {
			return nil, fmt.Errorf("calibrating: %w", err)
		}
		for _, kv := range [][2]string{{"maxmemory-policy", p.policy}, {"maxmemory-samples", strconv.Itoa(p.samples)},
			{"maxmemory", strconv.FormatInt(limit, 10)}} {
			if _, err := c.Do("CONFIG", "SET", kv[0], kv[1]); err != nil {
				return nil, fmt.Errorf("CONFIG SET %s %s: %w", kv[0], kv[1], err)
			}
		}
		hits, err := e1Replay(c, trace, func(f float64) {
			if e.Progress != nil {
				e.Progress((float64(pi) + f) / steps)
			}
		})
		if err != nil {
			return nil, fmt.Errorf("%s samples %d: %w", p.policy, p.samples, err)
		}
		m[p.hit] = float64(hits) / float64(len(trace))
		v, err := c.Do("DBSIZE")
		if err != nil {
			return nil, err
		}
		m[p.keys] = float64(v.Integer())
	}
	for _, kv := range [][2]string{{"maxmemory", "0"}, {"maxmemory-policy", "noeviction"}, {"maxmemory-samples", "5"}} {
		if _, err := c.Do("CONFIG", "SET", kv[0], kv[1]); err != nil {
			return nil, err
		}
	}
	return m, e.Server.Alive()
}

func init() {
	Register(&Workload{
		Name: "E1", Title: "lru-quality", Kind: KindQuality,
		Doc: "maxmemory holds a quarter of N keys (calibrated per server); a cache-aside client (GET, SET on a miss, " +
			"batches of 16) replays 4N Zipf(0.99) accesses; hit ratio per policy vs an exact-LRU simulation of the same trace",
		Params: func(s Sizes) []string { return []string{nParam(E1Keys(s))} },
		Cost: func(s Sizes, _ string) float64 {
			return float64(len(e1Policies)) * float64(4*E1Keys(s)) * 1.3
		},
		Run:        runE1,
		MinTimeout: 5 * time.Minute,
	})
}

// PlotE1 is E1's plot: hit ratio per policy and backend, exact LRU dashed.
const PlotE1 = "e1_hit_ratio.png"

// qualityTable shows E1: per backend the hit ratio of each policy, its
// share of exact LRU's, and the keys the server held at the end.
func qualityTable(r *Results, w string) string {
	var b strings.Builder
	ps := r.Params(w)
	if len(ps) == 0 {
		return "No E1 figures.\n\n"
	}
	param := ps[0]
	n, _ := ParamInt(param, "N")
	exact := 0.0 // the same simulation on every row
	for _, be := range r.Backends {
		if row, ok := r.Find(w, param, be); ok {
			if v, has := row.Get(MHitExactLRU); has {
				exact = v
			}
		}
	}
	if exact == 0 {
		return "No E1 figures.\n\n"
	}
	fmt.Fprintf(&b, "N=%s keys, %s accesses. Exact LRU of the same trace holding %s keys: hit ratio **%.2f%%**. Each cell: hit ratio, "+
		"its share of exact LRU's, keys held at the end; under it the ratio to Redis's hit ratio in the same run.\n\n", commas(n), commas(4*n), commas(n/4), 100*exact)
	b.WriteString("| backend |")
	for _, p := range e1Policies {
		fmt.Fprintf(&b, " %s (samples %d) |", p.policy, p.samples)
	}
	b.WriteString("\n|---|" + strings.Repeat("---:|", len(e1Policies)) + "\n")
	for _, be := range r.Backends {
		row, ok := r.Find(w, param, be)
		if !ok {
			continue
		}
		if row.Status != StatusOK {
			fmt.Fprintf(&b, "| %s | %s |%s\n", backendLabel(be), statusCell(row), strings.Repeat(" |", len(e1Policies)-1))
			continue
		}
		fmt.Fprintf(&b, "| %s |", backendLabel(be))
		for _, p := range e1Policies {
			v, has := row.Get(p.hit)
			if !has {
				b.WriteString(" — |")
				continue
			}
			keys, _ := row.Get(p.keys)
			cellText := fmt.Sprintf("%.2f%% (%.1f%% of exact, %s keys)", 100*v, 100*v/exact, commas(int(keys)))
			if x := ratioCell(r, row, w, param, p.hit); x != "" {
				cellText += "<br>" + x
			}
			b.WriteString(" " + cellText + " |")
		}
		b.WriteString("\n")
	}
	b.WriteString("\n")
	return b.String()
}

// plotE1 draws E1's hit ratios: one group of bars per policy, one bar per
// backend, exact LRU's ratio as a dashed line.
func plotE1(r *Results, file string) (bool, error) {
	var w *WorkloadInfo
	for i := range r.Workloads {
		if r.Workloads[i].Kind == KindQuality && r.Workloads[i].Name == "E1" {
			w = &r.Workloads[i]
		}
	}
	if w == nil {
		return false, nil
	}
	ps := r.Params(w.Name)
	if len(ps) == 0 {
		return false, nil
	}
	n, _ := ParamInt(ps[0], "N")
	p := newPlot(fmt.Sprintf("E1 lru-quality: hit ratio, Zipf(0.99), %s of %s keys (dashed: exact LRU)", commas(n/4), commas(n)), "hit ratio %")
	nb := len(r.Backends)
	width := vg.Points(float64(min(18, 90/max(nb, 1))))
	exact, lo, hi := 0.0, 100.0, 0.0
	any := false
	for bi, be := range r.Backends {
		row, ok := r.Find(w.Name, ps[0], be)
		if !ok || row.Status != StatusOK {
			continue
		}
		if v, has := row.Get(MHitExactLRU); has {
			exact = 100 * v
		}
		vals := make(plotter.Values, len(e1Policies))
		for i, pol := range e1Policies {
			v, _ := row.Get(pol.hit)
			vals[i] = 100 * v
			lo, hi = math.Min(lo, 100*v), math.Max(hi, 100*v)
		}
		bar, err := plotter.NewBarChart(vals, width)
		if err != nil {
			return false, err
		}
		bar.Offset = width * vg.Length(float64(bi)-float64(nb-1)/2)
		bar.Color = backendColor(r, be)
		bar.LineStyle.Width = 0
		p.Add(bar)
		name := be
		if be == Redis {
			name += " (reference)"
		}
		p.Legend.Add(name, bar)
		any = true
	}
	if !any {
		return false, nil
	}
	lo, hi = math.Min(lo, exact), math.Max(hi, exact)
	line, err := plotter.NewLine(plotter.XYs{{X: -0.5, Y: exact}, {X: float64(len(e1Policies)) - 0.5, Y: exact}})
	if err != nil {
		return false, err
	}
	line.Dashes = []vg.Length{vg.Points(6), vg.Points(4)}
	line.Width = vg.Points(1.5)
	p.Add(line)
	var names []string
	for _, pol := range e1Policies {
		names = append(names, fmt.Sprintf("%s s%d", pol.policy, pol.samples))
	}
	p.NominalX(names...)
	p.Y.Min = math.Floor(lo - 2)
	p.Y.Max = math.Ceil(hi + 1)
	p.Legend.Top = true
	return true, p.Save(10*vg.Inch, 5*vg.Inch, file)
}
