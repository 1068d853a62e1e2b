package bench

import (
	"math"
	"slices"

	"github.com/montanaflynn/stats"
)

// Summarize reduces repeats of one figure to its median, min and max.
// NaN values (a repeat that did not produce the figure) are dropped.
func Summarize(xs []float64) Stat {
	var ok []float64
	for _, x := range xs {
		if !math.IsNaN(x) && !math.IsInf(x, 0) {
			ok = append(ok, x)
		}
	}
	if len(ok) == 0 {
		return Stat{Median: math.NaN(), Min: math.NaN(), Max: math.NaN()}
	}
	med, _ := stats.Median(ok)
	lo, _ := stats.Min(ok)
	hi, _ := stats.Max(ok)
	return Stat{Median: med, Min: lo, Max: hi, Repeats: ok}
}

// Latency holds percentiles of a latency sample, in milliseconds.
type Latency struct {
	P50, P99, P999, Max float64
	Count               int
}

// Percentiles computes p50, p99, p99.9 and max from every sample (in
// milliseconds), not from averages: nearest-rank percentiles, picked by
// selection from one copy (a T run at pipeline 16 has 800,000 samples;
// sorting them once per percentile took longer than half the run).
func Percentiles(samples []float64) Latency {
	n := len(samples)
	if n == 0 {
		return Latency{math.NaN(), math.NaN(), math.NaN(), math.NaN(), 0}
	}
	if slices.ContainsFunc(samples, math.IsNaN) {
		return percentilesNaN(samples)
	}
	// The nearest rank of q: the smallest sample with at least q% of the
	// samples at or below it, as an index into the sorted samples.
	rank := func(q float64) int { return max(int(math.Ceil(float64(n)*q/100)), 1) - 1 }
	c := slices.Clone(samples)
	i999, i99, i50 := rank(99.9), rank(99), rank(50)
	// Each selection leaves the samples at or below its value before its
	// index, so the next, lower rank is found among those alone (which
	// leaves the higher ranks' places alone).
	l := Latency{Max: slices.Max(samples), Count: n}
	selectNth(c, i999)
	l.P999 = c[i999]
	if i99 < i999 {
		selectNth(c[:i999], i99)
	}
	l.P99 = c[i99]
	if i50 < i99 {
		selectNth(c[:i99], i50)
	}
	l.P50 = c[i50]
	return l
}

// selectNth reorders a so that a[k] is the value sorting would put there,
// with no larger value before it and no smaller one after it (a
// quickselect with three-way partitions, so runs of equal samples cost
// nothing extra).
func selectNth(a []float64, k int) {
	lo, hi := 0, len(a) // the k-th value lies in a[lo:hi]
	for hi-lo > 16 {
		// Median of three of the first, middle and last as the pivot.
		x, y, z := a[lo], a[lo+(hi-lo)/2], a[hi-1]
		p := max(min(x, y), min(max(x, y), z))
		// a[lo:lt] < p, a[lt:i] == p, a[gt:hi] > p.
		lt, i, gt := lo, lo, hi
		for i < gt {
			switch v := a[i]; {
			case v < p:
				a[lt], a[i] = a[i], a[lt]
				lt++
				i++
			case v > p:
				gt--
				a[gt], a[i] = a[i], a[gt]
			default:
				i++
			}
		}
		switch {
		case k < lt:
			hi = lt
		case k >= gt:
			lo = gt
		default:
			return
		}
	}
	slices.Sort(a[lo:hi])
}

// percentilesNaN is Percentiles of samples holding a NaN, as the stats
// package has it: NaN percentiles (a NaN has no rank).
func percentilesNaN(samples []float64) Latency {
	data := stats.Float64Data(samples)
	p := func(q float64) float64 {
		v, err := stats.PercentileNearestRank(data, q)
		if err != nil {
			return math.NaN()
		}
		return v
	}
	mx, _ := stats.Max(data)
	return Latency{P50: p(50), P99: p(99), P999: p(99.9), Max: mx, Count: len(samples)}
}

// ThroughputRatio is row's requests per second against ref's, both
// throughput rows of one run: the median of the per-repeat ratios, each
// repeat of row against ref's repeat of the same round. The driver runs the
// repeats of the fixture groups round by round (every backend's first
// repeat, then every backend's second), so the two repeats of a pair ran
// minutes apart at most and a slow spell of a shared machine tends to
// land on both. When the repeats cannot be paired (a repeat failed, so
// the rounds no longer line up, or the counts differ) it is the ratio of
// the medians. 0 when either row has no figure.
func ThroughputRatio(row, ref Row) float64 {
	v, ok1 := row.Get(MRPS)
	r, ok2 := ref.Get(MRPS)
	if !ok1 || !ok2 || r <= 0 {
		return 0
	}
	a, b := row.Metrics[MRPS].Repeats, ref.Metrics[MRPS].Repeats
	if len(a) < 2 || len(a) != len(b) || row.Error != "" || ref.Error != "" {
		return v / r
	}
	rs := make([]float64, len(a))
	for i := range a {
		if b[i] <= 0 {
			return v / r
		}
		rs[i] = a[i] / b[i]
	}
	med, _ := stats.Median(rs)
	return med
}
