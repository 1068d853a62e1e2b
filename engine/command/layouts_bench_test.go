package command

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"os"
	"sort"
	"testing"
	"time"

	"rundb/engine/config"
	"rundb/engine/db"
	"rundb/variants"
)

// BenchmarkLayoutsPaired runs the lab's T1 (SET) and T2 (GET) command
// streams through Execute on two servers on one allocator (arena, or the
// backend RUNDB_ALLOC names, with its library preloaded), one per keyspace
// layout (open and dash), each holding W1's 1M keys. Rounds of 200,000
// commands alternate between the two, so a noisy machine slows both alike;
// it reports each layout's median ns per command and the median over
// rounds of open's ns / dash's ns (above 1: dash is faster), in batches of
// 16 as a client pipelining 16 is run. b.N is ignored; run with
// -benchtime 1x.
func BenchmarkLayoutsPaired(b *testing.B) {
	const keys, cmds, per, rounds, p = 1_000_000, 1 << 16, 200_000, 11, 16
	name := cmp.Or(os.Getenv("RUNDB_ALLOC"), "arena")
	a, err := variants.New(name)
	if err != nil {
		b.Skip(err)
	}
	type srv struct {
		s *Server
		c *Client
	}
	var srvs []srv
	for _, layout := range []string{"open", "dash"} {
		ks, err := db.NewKeyspaceLayout(a, 16, layout)
		if err != nil {
			b.Fatal(err)
		}
		s := NewServer(config.Default(), ks)
		c := s.NewClient("1.2.3.4:5", "127.0.0.1:7379", -1)
		for k := 0; k < keys; k++ {
			do(s, c, "SET", fmt.Sprintf("key:%012d", k), fmt.Sprintf("val:%012d", k))
		}
		c.Out = make([]byte, 0, 256)
		srvs = append(srvs, srv{s, c})
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, w := range []string{"T1", "T2"} {
		argv := make([][][]byte, cmds)
		for i := range argv {
			key := []byte(fmt.Sprintf("key:%012d", rng.IntN(keys)))
			if w == "T1" {
				argv[i] = [][]byte{[]byte("SET"), key, []byte(fmt.Sprintf("val:%012d", i))}
			} else {
				argv[i] = [][]byte{[]byte("GET"), key}
			}
		}
		var on, dn, ratio []float64
		for round := 0; round < rounds; round++ {
			var ns [2]float64
			for j, sv := range srvs {
				t0 := time.Now()
				runPairs(sv.s, sv.c, argv, per, p)
				ns[j] = float64(time.Since(t0).Nanoseconds()) / per
			}
			on, dn, ratio = append(on, ns[0]), append(dn, ns[1]), append(ratio, ns[0]/ns[1])
		}
		median := func(xs []float64) float64 {
			sort.Float64s(xs)
			return xs[len(xs)/2]
		}
		b.ReportMetric(median(on), w+"-open-ns")
		b.ReportMetric(median(dn), w+"-dash-ns")
		b.ReportMetric(median(ratio), w+"-dash-vs-open")
	}
}
