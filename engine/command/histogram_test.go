package command

import (
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// Slot edges at two significant digits, as INFO latencystats prints them
// (value in ns: lowest and highest value of its slot).
func TestLatencyHistogramSlots(t *testing.T) {
	for _, c := range []struct{ v, lo, hi int64 }{
		{1, 1, 1}, {255, 255, 255}, {256, 256, 257}, {1000, 1000, 1003},
		{2000, 2000, 2007}, {6000, 5984, 6015}, {12000, 11968, 12031},
		{585000, 581632, 585727}, {1_000_000_000, 998244352, 1002438655},
	} {
		if lo, hi := lowestEquivalent(c.v), highestEquivalent(c.v); lo != c.lo || hi != c.hi {
			t.Errorf("%d: slot [%d, %d]; want [%d, %d]", c.v, lo, hi, c.lo, c.hi)
		}
		if i := histCountsIndex(c.v); histValueAt(i) != c.lo {
			t.Errorf("%d: slot %d starts at %d; want %d", c.v, i, histValueAt(i), c.lo)
		}
	}
}

// Percentiles against sorting the samples: the reported value is the top
// of the slot holding the sample of that rank, so it is within 1/128 above it.
func TestLatencyHistogramPercentiles(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	h := newLatencyHistogram()
	var xs []int64
	for range 10000 {
		v := int64(rng.ExpFloat64() * 20000)
		h.Record(v)
		xs = append(xs, min(max(v, 1), histMaxValue))
	}
	slices.Sort(xs)
	for _, p := range []float64{1, 50, 90, 99, 99.9, 100} {
		rank := int(p/100*float64(len(xs))+0.5) - 1
		want := xs[max(rank, 0)]
		got := h.Percentile(p)
		if got < want || float64(got-want) > float64(want)/128+1 {
			t.Errorf("p%v = %d; sample of that rank %d", p, got, want)
		}
	}
	if got := h.Percentile(0); got != lowestEquivalent(xs[0]) {
		t.Errorf("p0 = %d; want %d", got, lowestEquivalent(xs[0]))
	}
	// The cumulative levels end with every sample counted.
	var last uint64
	levels := 0
	h.Cumulative(func(upTo int64, n uint64) {
		if n <= last {
			t.Errorf("level %d: count %d not above %d", upTo, n, last)
		}
		last = n
		levels++
	})
	if last != 10000 || levels < 5 {
		t.Errorf("cumulative ends at %d after %d levels; want 10000", last, levels)
	}
}

func TestLatencyHistogramCommandAndInfo(t *testing.T) {
	s, c := testServer(nil)
	do(s, c, "set", "k", "v")
	do(s, c, "get", "k")
	do(s, c, "get", "k")
	do(s, c, "config", "get", "hz")
	info := do(s, c, "info", "latencystats")
	for _, name := range []string{"set", "get", `config\|get`} {
		re := regexp.MustCompile(`\r\nlatency_percentiles_usec_` + name + `:p50=\d+\.\d{3},p99=\d+\.\d{3},p99\.9=\d+\.\d{3}\r\n`)
		if !re.MatchString(info) {
			t.Errorf("no latencystats line for %s in %q", name, info)
		}
	}
	h := do(s, c, "latency", "histogram", "GET", "nosuch", "config")
	if !regexp.MustCompile(`^\*4\r\n\$3\r\nget\r\n\*4\r\n\$5\r\ncalls\r\n:2\r\n\$14\r\nhistogram_usec\r\n\*(2|4)\r\n(:\d+\r\n)+\$10\r\nconfig\|get\r\n\*4\r\n\$5\r\ncalls\r\n:1\r\n`).MatchString(h) {
		t.Errorf("LATENCY HISTOGRAM GET nosuch config = %q", h)
	}
	do(s, c, "config", "set", "latency-tracking-info-percentiles", "0 100")
	if info := do(s, c, "info", "latencystats"); !strings.Contains(info, "latency_percentiles_usec_get:p0=") || !strings.Contains(info, ",p100=") {
		t.Errorf("percentiles not applied: %q", info)
	}
	do(s, c, "config", "resetstat")
	do(s, c, "config", "set", "latency-tracking", "no")
	do(s, c, "get", "k")
	// RESETSTAT ran with tracking on, after clearing; nothing since was kept.
	if got := do(s, c, "latency", "histogram"); !strings.HasPrefix(got, "*2\r\n$16\r\nconfig|resetstat\r\n") {
		t.Errorf("after RESETSTAT with tracking off: %q", got)
	}
}
