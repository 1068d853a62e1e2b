package bench

import (
	"math"

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
// milliseconds), not from averages.
func Percentiles(samples []float64) Latency {
	if len(samples) == 0 {
		return Latency{math.NaN(), math.NaN(), math.NaN(), math.NaN(), 0}
	}
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
