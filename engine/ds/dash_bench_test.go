package ds

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"testing"
	"time"

	"rundb/engine/mem"
)

// The dash benchmarks run open and dash (and dash with growInPlace off)
// side by side on the arena backend (benchArena)
// (off the Go heap, so a GC cycle does not land in a table's figures), with
// keys "key:%08d" packed 12 bytes apart in one slice: Ref i+1 names key i.

const layoutKeyLen = 12

type layoutKeys []byte

func makeLayoutKeys(n int) layoutKeys {
	b := make([]byte, 0, n*layoutKeyLen)
	for i := 0; i < n; i++ {
		b = fmt.Appendf(b, "key:%08d", i)
	}
	return b
}

func (k layoutKeys) key(i int) []byte { return k[i*layoutKeyLen : (i+1)*layoutKeyLen] }
func (k layoutKeys) keyOf(r mem.Ref) []byte {
	return k[(int(r)-1)*layoutKeyLen : int(r)*layoutKeyLen]
}

var keyLayouts = []struct {
	name string
	new  func(a mem.Allocator, keyOf KeyFunc) KeyTable
}{
	{"open", func(a mem.Allocator, keyOf KeyFunc) KeyTable { return NewTable(a, mem.PurposeSlots, keyOf) }},
	{"dash", func(a mem.Allocator, keyOf KeyFunc) KeyTable { return NewDash(a, mem.PurposeSlots, keyOf) }},
	{"dash-splitonly", func(a mem.Allocator, keyOf KeyFunc) KeyTable {
		d := NewDash(a, mem.PurposeSlots, keyOf)
		d.growInPlace = false
		return d
	}},
}

var layoutKeys1M = makeLayoutKeys(2 << 20) // 1M stored keys, 1M absent ones

func fillLayout(a mem.Allocator, new func(mem.Allocator, KeyFunc) KeyTable, keys layoutKeys, n int) KeyTable {
	t := new(a, keys.keyOf)
	for i := 0; i < n; i++ {
		t.Put(keys.key(i), mem.Ref(i+1))
	}
	for t.RehashStep(1 << 20) {
	}
	return t
}

// BenchmarkLayoutGet: lookups of present (hit) and absent (miss) keys in a
// table of 1M keys.
func BenchmarkLayoutGet(b *testing.B) {
	const n = 1 << 20
	keys := layoutKeys1M
	for _, kind := range []string{"hit", "miss"} {
		for _, l := range keyLayouts {
			b.Run(kind+"/layout="+l.name, func(b *testing.B) {
				t := fillLayout(benchArena(b), l.new, keys, n)
				off := 0
				if kind == "miss" {
					off = n
				}
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					j := int(uint32(i) * 2654435761 % n) // spread over the table
					if r := t.Get(keys.key(off + j)); (r != 0) != (kind == "hit") {
						b.Fatalf("Get(%s) = %d", keys.key(off+j), r)
					}
				}
			})
		}
	}
}

// BenchmarkLayoutPut: inserts of new keys into a table growing to 1M keys
// (then cleared and refilled), growth included.
func BenchmarkLayoutPut(b *testing.B) {
	const n = 1 << 20
	keys := layoutKeys1M
	for _, l := range keyLayouts {
		b.Run("layout="+l.name, func(b *testing.B) {
			t := l.new(benchArena(b), keys.keyOf)
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				j := i % n
				if j == 0 && i > 0 {
					t.Clear(nil)
				}
				t.Put(keys.key(j), mem.Ref(j+1))
			}
		})
	}
}

// BenchmarkLayoutDelete: deletes from a table of 1M keys (refilled, off the
// clock, when empty).
func BenchmarkLayoutDelete(b *testing.B) {
	const n = 1 << 20
	keys := layoutKeys1M
	for _, l := range keyLayouts {
		b.Run("layout="+l.name, func(b *testing.B) {
			a := benchArena(b)
			t := fillLayout(a, l.new, keys, n)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				j := i % n
				if j == 0 && i > 0 {
					b.StopTimer()
					t = fillLayout(a, l.new, keys, n)
					b.StartTimer()
				}
				if t.Delete(keys.key(j)) == 0 {
					b.Fatal("missing key")
				}
			}
		})
	}
}

// BenchmarkLayoutGrow grows each layout from 0 to 10M keys once (b.N is
// ignored), timing every Put, and reports the worst single Put, the
// 99.999th percentile, the Puts over 1 ms, the most table bytes one Put
// added (a fresh array or segments allocated and initialised within it: the
// noise-free part of the worst Put on a shared machine), and the table's
// bytes per key (MemBytes/N) at 100k, 1M and 10M keys and its spread
// (max/min) over 32 sizes from 100k to 10M. Slow (20 s or so per layout);
// run with -benchtime 1x.
func BenchmarkLayoutGrow(b *testing.B) {
	const n = 10_000_000
	keys := makeLayoutKeys(n)
	checks := map[int]string{100_000: "100k", 1_000_000: "1M", 10_000_000: "10M"}
	var sizes []int
	for k := 0; k < 32; k++ {
		sizes = append(sizes, int(1e5*math.Pow(100, float64(k)/31)+0.5))
	}
	for _, l := range keyLayouts {
		b.Run("layout="+l.name, func(b *testing.B) {
			t := l.new(benchArena(b), keys.keyOf)
			lat := make([]int32, n)
			lo, hi := math.Inf(1), 0.0
			next, mb, maxGrow := 0, 0, 0
			b.ResetTimer()
			for i := 0; i < n; i++ {
				t0 := time.Now()
				t.Put(keys.key(i), mem.Ref(i+1))
				lat[i] = int32(min(time.Since(t0), math.MaxInt32))
				m := t.MemBytes()
				maxGrow, mb = max(maxGrow, m-mb), m
				if name, ok := checks[i+1]; ok {
					b.ReportMetric(float64(t.MemBytes())/float64(i+1), "B/key@"+name)
				}
				if next < len(sizes) && i+1 == sizes[next] {
					next++
					bpk := float64(t.MemBytes()) / float64(i+1)
					lo, hi = min(lo, bpk), max(hi, bpk)
				}
			}
			b.StopTimer()
			sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
			b.ReportMetric(float64(lat[n-1]), "worst-ns")
			b.ReportMetric(float64(lat[n-n/100000]), "p99.999-ns")
			b.ReportMetric(hi/lo, "B/key-max/min")
			over := 0
			for _, x := range lat {
				if x > 1e6 {
					over++
				}
			}
			b.ReportMetric(float64(over), "puts>1ms")
			b.ReportMetric(float64(maxGrow), "max-new-bytes/put")
			if d, ok := t.(*Dash); ok {
				b.ReportMetric(float64(d.moved)/n, "moves/put")
			}
			t.Clear(nil)
		})
	}
}

// BenchmarkLayoutPaired measures the layouts in interleaved rounds and keeps
// each one's fastest round, so that load from other processes on a shared
// machine, which comes and goes, weighs on every layout alike: Get hit and
// miss (200k lookups per round in tables of 1M keys, 15 rounds; also hits
// that each wait for the one before), Put (a
// fill from 0 to 1M keys, 5 rounds) and Delete (1M keys, 5 rounds). It
// reports ns/op per layout and each layout's speed relative to open
// (open's ns / the layout's ns: above 1 is faster). b.N is ignored.
func BenchmarkLayoutPaired(b *testing.B) {
	const n = 1 << 20
	const lookups = 200_000
	keys := layoutKeys1M
	a := benchArena(b)
	best := map[string]float64{}
	keep := func(name string, d time.Duration, ops int) {
		ns := float64(d.Nanoseconds()) / float64(ops)
		if v, ok := best[name]; !ok || ns < v {
			best[name] = ns
		}
	}
	tables := make([]KeyTable, len(keyLayouts))
	for li, l := range keyLayouts {
		tables[li] = fillLayout(a, l.new, keys, n)
	}
	for round := 0; round < 15; round++ {
		for li, l := range keyLayouts {
			t := tables[li]
			for _, kind := range []string{"hit", "miss"} {
				off := 0
				if kind == "miss" {
					off = n
				}
				start := uint32(round * lookups)
				t0 := time.Now()
				for i := uint32(0); i < lookups; i++ {
					j := int((start + i) * 2654435761 % n)
					if r := t.Get(keys.key(off + j)); (r != 0) != (kind == "hit") {
						b.Fatalf("Get(%s) = %d", keys.key(off+j), r)
					}
				}
				keep("get-"+kind+"/"+l.name, time.Since(t0), lookups)
			}
			// Dependent lookups: each key depends on the Ref found before,
			// so lookups do not overlap, as in a server that runs one
			// command at a time: latency rather than throughput.
			j := round
			t0 := time.Now()
			for i := 0; i < lookups; i++ {
				r := t.Get(keys.key(j))
				j = int((uint32(r) + uint32(i)) * 2654435761 % n)
			}
			keep("get-hit-dependent/"+l.name, time.Since(t0), lookups)
		}
	}
	for _, t := range tables {
		t.Clear(nil)
	}
	for round := 0; round < 5; round++ {
		for _, l := range keyLayouts {
			t := l.new(a, keys.keyOf)
			t0 := time.Now()
			for i := 0; i < n; i++ {
				t.Put(keys.key(i), mem.Ref(i+1))
			}
			keep("put/"+l.name, time.Since(t0), n)
			t0 = time.Now()
			for i := 0; i < n; i++ {
				if t.Delete(keys.key(int(uint32(i)*2654435761%n))) == 0 {
					b.Fatal("missing key")
				}
			}
			keep("delete/"+l.name, time.Since(t0), n)
		}
	}
	for name, ns := range best {
		b.ReportMetric(ns, name+"-ns")
		op, layout, _ := strings.Cut(name, "/")
		if layout != "open" {
			b.ReportMetric(best[op+"/open"]/ns, name+"-vs-open")
		}
	}
}

// BenchmarkDashGetPaired prices dash's Get against open's on the arena: 1M
// present keys looked up in the same pseudo-random order, independent
// lookups (they overlap in the CPU: throughput) and dependent ones (each
// key comes from the Ref found before: latency). The layouts run in 15
// interleaved rounds of 200k lookups, so load from other processes weighs
// on both alike; it reports each layout's median ns/op and the median over
// rounds of open's ns / dash's ns (above 1: dash is faster). b.N is
// ignored; run with -benchtime 1x.
func BenchmarkDashGetPaired(b *testing.B) {
	const n = 1 << 20
	const lookups = 200_000
	const rounds = 15
	keys := layoutKeys1M
	a := benchArena(b)
	open := fillLayout(a, keyLayouts[0].new, keys, n)
	dash := fillLayout(a, keyLayouts[1].new, keys, n)
	indep := func(t KeyTable, round int) float64 {
		start := uint32(round * lookups)
		t0 := time.Now()
		for i := uint32(0); i < lookups; i++ {
			j := int((start + i) * 2654435761 % n)
			if t.Get(keys.key(j)) == 0 {
				b.Fatalf("Get(%s) = 0", keys.key(j))
			}
		}
		return float64(time.Since(t0).Nanoseconds()) / lookups
	}
	dep := func(t KeyTable, round int) float64 {
		j := round
		t0 := time.Now()
		for i := 0; i < lookups; i++ {
			r := t.Get(keys.key(j))
			j = int((uint32(r) + uint32(i)) * 2654435761 % n)
		}
		return float64(time.Since(t0).Nanoseconds()) / lookups
	}
	median := func(xs []float64) float64 {
		s := append([]float64(nil), xs...)
		sort.Float64s(s)
		return s[len(s)/2]
	}
	for _, m := range []struct {
		name string
		run  func(KeyTable, int) float64
	}{{"indep", indep}, {"dep", dep}} {
		var on, dn, ratio []float64
		for round := 0; round < rounds; round++ {
			o := m.run(open, round)
			d := m.run(dash, round)
			on, dn, ratio = append(on, o), append(dn, d), append(ratio, o/d)
		}
		b.ReportMetric(median(on), m.name+"-open-ns")
		b.ReportMetric(median(dn), m.name+"-dash-ns")
		b.ReportMetric(median(ratio), m.name+"-dash-vs-open")
	}
	open.Clear(nil)
	dash.Clear(nil)
}
