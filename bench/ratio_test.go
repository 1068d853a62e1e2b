package bench

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/montanaflynn/stats"
)

func rpsRow(backend string, repeats ...float64) Row {
	return Row{Workload: "T2", Param: "P=1", Backend: backend, Status: StatusOK,
		Metrics: map[string]Stat{MRPS: Summarize(repeats)}}
}

// The per-round ratio and the ratio of medians part ways when a slow
// round hits both servers: round 2 is slow for both, arena keeps its 1.1×
// in every round, yet its median falls on a different round than Redis's.
func TestThroughputRatioPairsRounds(t *testing.T) {
	redis := rpsRow(Redis, 100, 60, 140)
	arena := rpsRow("arena", 110, 66, 154)
	if got := ThroughputRatio(arena, redis); math.Abs(got-1.1) > 1e-12 {
		t.Errorf("paired ratio %v; want 1.1", got)
	}
	// Redis's median is 100 (round 1), arena's 110 (round 1): the
	// estimators agree here; shuffle the slow round so they do not.
	redis = rpsRow(Redis, 100, 130, 60)  // median 100
	arena = rpsRow("arena", 90, 150, 70) // median 90; per round 0.9, 1.154, 1.167
	med := 90.0 / 100
	got := ThroughputRatio(arena, redis)
	if want := 150.0 / 130; math.Abs(got-want) > 1e-12 {
		t.Errorf("paired ratio %v; want the median round's %v", got, want)
	}
	if math.Abs(got-med) < 0.1 {
		t.Fatalf("test data does not separate the estimators: %v vs %v", got, med)
	}
	// Four rounds: the median of the two middle ratios.
	redis = rpsRow(Redis, 100, 100, 100, 100)
	arena = rpsRow("arena", 80, 90, 110, 200)
	if got := ThroughputRatio(arena, redis); math.Abs(got-1.0) > 1e-12 {
		t.Errorf("even count: %v; want 1.0", got)
	}
}

// Rows whose repeats cannot be paired round by round fall back to the
// ratio of the medians.
func TestThroughputRatioUnpaired(t *testing.T) {
	redis := rpsRow(Redis, 100, 130, 60)
	short := rpsRow("arena", 90, 150) // a repeat missing: rounds unknown
	if got, want := ThroughputRatio(short, redis), 120.0/100; math.Abs(got-want) > 1e-12 {
		t.Errorf("unequal counts: %v; want %v", got, want)
	}
	failed := rpsRow("arena", 90, 150, 70)
	failed.Error = "1 of 4 repeats failed: server died"
	if got, want := ThroughputRatio(failed, redis), 90.0/100; math.Abs(got-want) > 1e-12 {
		t.Errorf("a failed repeat: %v; want %v", got, want)
	}
	one := rpsRow("arena", 90)
	if got, want := ThroughputRatio(one, rpsRow(Redis, 120)), 0.75; math.Abs(got-want) > 1e-12 {
		t.Errorf("one repeat: %v; want %v", got, want)
	}
	if got := ThroughputRatio(Row{Status: StatusFailed}, redis); got != 0 {
		t.Errorf("failed row: %v; want 0", got)
	}
}

// The report's × Redis and bench-compare's ratio are the same estimator.
func TestThroughputRatioInReportAndCompare(t *testing.T) {
	r := &Results{Profile: "quick", Backends: []string{Redis, "arena"},
		Workloads: []WorkloadInfo{{Name: "T2", Title: "get", Kind: KindThroughput}},
		Rows:      []Row{rpsRow(Redis, 100, 130, 60), rpsRow("arena", 90, 150, 70)}}
	if got := throughputTable(r, "T2"); !strings.Contains(got, "1.15×") || strings.Contains(got, "0.90×") {
		t.Errorf("throughput table does not show the per-round ratio 1.15×:\n%s", got)
	}
	if got := HeadlineThroughput(r); !strings.Contains(got, "(1.15×)") {
		t.Errorf("headline does not show the per-round ratio:\n%s", got)
	}
	cur := clone(r)
	cur.Rows[1] = rpsRow("arena", 90, 150, 70)
	cmp := Compare(r, cur, DefaultTolerance)
	found := false
	for _, l := range cmp.Lines {
		if l.Workload == "T2" && l.Backend == "arena" {
			found = true
			if math.Abs(l.Base-150.0/130) > 1e-12 || l.Verdict != VerdictOK {
				t.Errorf("compare line %+v; want base %v, ok", l, 150.0/130)
			}
		}
	}
	if !found {
		t.Errorf("no compare line for T2 arena:\n%s", cmp.Format())
	}
}

// Percentiles from one sort are the nearest-rank percentiles the stats
// package computes one sort each, on every size around the ranks' edges.
func TestPercentilesMatchNearestRank(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1, 2, 3, 99, 100, 101, 999, 1000, 1001, 12345} {
		xs := make([]float64, n)
		for i := range xs {
			xs[i] = math.Round(rng.ExpFloat64()*1000) / 1000 // ties too
		}
		got := Percentiles(xs)
		want := Latency{Count: n}
		for q, dst := range map[float64]*float64{50: &want.P50, 99: &want.P99, 99.9: &want.P999} {
			*dst, _ = stats.PercentileNearestRank(xs, q)
		}
		want.Max, _ = stats.Max(xs)
		if got != want {
			t.Errorf("n=%d: got %+v; want %+v", n, got, want)
		}
	}
	l := Percentiles([]float64{1, math.NaN(), 3})
	if !math.IsNaN(l.P50) || !math.IsNaN(l.P999) || l.Count != 3 {
		t.Errorf("with a NaN: got %+v; want NaN percentiles", l)
	}
}

// selectNth puts the value sorting would put at k there, the smaller ones
// before it and the larger after, on inputs with ties, sorted and reversed.
func TestSelectNth(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	inputs := map[string]func(n int) []float64{
		"random": func(n int) []float64 {
			xs := make([]float64, n)
			for i := range xs {
				xs[i] = rng.Float64()
			}
			return xs
		},
		"ties": func(n int) []float64 {
			xs := make([]float64, n)
			for i := range xs {
				xs[i] = float64(rng.IntN(5))
			}
			return xs
		},
		"sorted": func(n int) []float64 {
			xs := make([]float64, n)
			for i := range xs {
				xs[i] = float64(i)
			}
			return xs
		},
		"reversed": func(n int) []float64 {
			xs := make([]float64, n)
			for i := range xs {
				xs[i] = float64(n - i)
			}
			return xs
		},
	}
	for name, gen := range inputs {
		for _, n := range []int{1, 2, 17, 100, 1000, 5001} {
			for _, k := range []int{0, n / 2, n - 1, (n * 99) / 100} {
				xs := gen(n)
				sorted := slices.Sorted(slices.Values(xs))
				selectNth(xs, k)
				if xs[k] != sorted[k] {
					t.Fatalf("%s n=%d k=%d: got %v; want %v", name, n, k, xs[k], sorted[k])
				}
				for i, v := range xs {
					if (i < k && v > xs[k]) || (i > k && v < xs[k]) {
						t.Fatalf("%s n=%d k=%d: a[%d]=%v on the wrong side of %v", name, n, k, i, v, xs[k])
					}
				}
			}
		}
	}
}
