package command

import "math/bits"

// latencyHistogram records command durations in nanoseconds, from 1 ns to
// 1 s, with two significant decimal digits: a log-linear layout where each
// power of two past 256 ns is split into 128 equal sub-buckets, so a value
// is known to within 1/128 of itself. INFO latencystats and LATENCY
// HISTOGRAM read it. The layout (and so every reported bucket edge, such as
// 2.007 us or 12.031 us) is the HDR histogram's at that precision, which is
// what Redis's own figures are made of.
type latencyHistogram struct {
	counts []uint64
	total  uint64
	min    int64
	max    int64
}

const (
	histMinValue = 1
	histMaxValue = 1_000_000_000 // 1 s
	histSubHalf  = 128           // sub-buckets per half bucket (2 significant digits)
	histSubBits  = 8             // log2 of the full sub-bucket count (256)
	histBuckets  = 23            // buckets to reach histMaxValue: 256<<22 > 1e9
)

func newLatencyHistogram() *latencyHistogram {
	return &latencyHistogram{counts: make([]uint64, (histBuckets+1)*histSubHalf), min: histMaxValue}
}

// histIndex splits v into its bucket and sub-bucket.
func histIndex(v int64) (bucket, sub int) {
	pow2 := 64 - bits.LeadingZeros64(uint64(v)|(1<<histSubBits-1))
	bucket = pow2 - histSubBits
	sub = int(v >> uint(bucket))
	return bucket, sub
}

func histCountsIndex(v int64) int {
	b, s := histIndex(v)
	return (b+1)<<7 + s - histSubHalf
}

// lowestEquivalent and highestEquivalent bound the values recorded in the
// same slot as v.
func lowestEquivalent(v int64) int64 {
	b, s := histIndex(v)
	return int64(s) << uint(b)
}

func highestEquivalent(v int64) int64 {
	b, s := histIndex(v)
	if s >= 2*histSubHalf {
		b++
	}
	return lowestEquivalent(v) + int64(1)<<uint(b) - 1
}

// histValueAt is the value of counts slot i (its lowest equivalent).
func histValueAt(i int) int64 {
	if i < 2*histSubHalf {
		return int64(i) // bucket 0 counts every value below 256
	}
	b := i>>7 - 1
	return int64(i&(histSubHalf-1)+histSubHalf) << uint(b)
}

// Record adds one duration, clamped to [1 ns, 1 s].
func (h *latencyHistogram) Record(ns int64) {
	ns = min(max(ns, histMinValue), histMaxValue)
	h.counts[histCountsIndex(ns)]++
	h.total++
	h.min = min(h.min, ns)
	h.max = max(h.max, ns)
}

// Percentile is the value below which p percent of the durations fall, as
// the highest value of its slot (the lowest, for p = 0).
func (h *latencyHistogram) Percentile(p float64) int64 {
	if h.total == 0 {
		return 0
	}
	if p <= 0 {
		return lowestEquivalent(h.min)
	}
	want := uint64(min(p, 100)/100*float64(h.total) + 0.5)
	want = max(want, 1)
	var seen uint64
	for i, n := range h.counts {
		seen += n
		if seen >= want {
			return highestEquivalent(histValueAt(i))
		}
	}
	return highestEquivalent(h.max)
}

// Cumulative walks power-of-two levels from 1024 ns, calling fn with the
// highest value of each level's slot and the count of durations up to it,
// for each level that adds durations, until every duration is counted.
func (h *latencyHistogram) Cumulative(fn func(upTo int64, count uint64)) {
	var prev uint64
	i := 0
	for level := int64(1024); prev < h.total; level *= 2 {
		top := highestEquivalent(level)
		cum := prev
		for ; i < len(h.counts) && histValueAt(i) <= top; i++ {
			cum += h.counts[i]
		}
		if cum > prev {
			fn(top, cum)
		}
		prev = cum
		if level >= histMaxValue {
			break
		}
	}
}
