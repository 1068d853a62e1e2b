package command

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"rundb/engine/config"
	"rundb/engine/db"
	"rundb/engine/mem"
	"rundb/variants/arena"
	"rundb/variants/cmalloc"
	"rundb/variants/goheap"
)

// BenchmarkPairs runs the lab's T4 and T5 command streams through Execute
// on each backend the test process can open (malloc only without a
// preload): T4 is LPUSH then LPOP of one of 10,000 lists, each pair creating
// and deleting the list; T5 is SADD then SISMEMBER of random members of
// W1's keyspace on one of 10,000 sets, which start with 50 members each.
// 100,000 strings are loaded first, as the lab loads W1's keyspace.
// P=16 runs the commands in batches of 16 (BatchClock), as the engine
// runs the commands of one read of a client pipelining 16. One op is one
// command; allocs/cmd reports the allocator's Alloc calls
// per command and frees/cmd its Free calls (each one a cgo call on the C
// backends). Instruction counts: run the test binary under
// `valgrind --tool=callgrind --toggle-collect='*runPairs'` (with
// GOMAXPROCS=1 GODEBUG=asyncpreemptoff=1 GOGC=off, and
// RUNDB_ARENA_RESERVE=4G for arena) and divide by -test.benchtime's count.
func BenchmarkPairs(b *testing.B) {
	backends := []struct {
		name string
		open func() (mem.Allocator, error)
	}{
		{"goheap", func() (mem.Allocator, error) { return goheap.New(), nil }},
		{"arena", func() (mem.Allocator, error) { return arena.New() }},
		{"malloc", func() (mem.Allocator, error) { return cmalloc.New(cmalloc.Libc) }},
	}
	const conts, keyspace, cmds = 10000, 1000000, 1 << 16
	for _, be := range backends {
		for _, bw := range []struct {
			w string
			p int
		}{{"T4", 1}, {"T4", 16}, {"T5", 1}, {"T5", 16}} {
			w := bw.w
			b.Run(fmt.Sprintf("%s/P=%d/%s", w, bw.p, be.name), func(b *testing.B) {
				a, err := be.open()
				if err != nil {
					b.Skip(err)
				}
				cfg := config.Default()
				ks := db.NewKeyspace(a, int(cfg.Databases))
				s := NewServer(cfg, ks)
				c := s.NewClient("1.2.3.4:5", "127.0.0.1:7379", -1)
				rng := rand.New(rand.NewPCG(1, 2))
				member := func() string { return fmt.Sprintf("member:%09d", rng.IntN(keyspace)) }
				var argv [][][]byte
				add := func(args ...string) {
					var v [][]byte
					for _, s := range args {
						v = append(v, []byte(s))
					}
					argv = append(argv, v)
				}
				for len(argv) < cmds {
					k := rng.IntN(conts)
					if w == "T4" {
						key := fmt.Sprintf("tlist:%06d", k)
						add("LPUSH", key, fmt.Sprintf("elem:%011d", len(argv)))
						add("LPOP", key)
					} else {
						key := fmt.Sprintf("tset:%06d", k)
						add("SADD", key, member())
						add("SISMEMBER", key, member())
					}
				}
				for k := 0; k < 100000; k++ {
					do(s, c, "SET", fmt.Sprintf("key:%012d", k), "value:0000000001")
				}
				if w == "T5" {
					for k := 0; k < conts; k++ {
						for j := 0; j < 50; j++ {
							do(s, c, "SADD", fmt.Sprintf("tset:%06d", k), member())
						}
					}
				}
				c.Out = make([]byte, 0, 256)
				st0 := a.Stats()
				b.ReportAllocs()
				b.ResetTimer()
				runPairs(s, c, argv, b.N, bw.p)
				b.StopTimer()
				st1 := a.Stats()
				b.ReportMetric(float64(st1.Allocs-st0.Allocs)/float64(b.N), "allocs/cmd")
				b.ReportMetric(float64(st1.Frees-st0.Frees)/float64(b.N), "frees/cmd")
			})
		}
	}
}

// runPairs executes n commands of argv in turn, in batches of p as the
// engine runs the commands of one read of a client pipelining p; it is its
// own function so that callgrind can count the instructions of the timed
// loop alone.
//
//go:noinline
func runPairs(s *Server, c *Client, argv [][][]byte, n, p int) {
	for i := 0; i < n; i++ {
		if i%p == 0 {
			s.BatchClock(false)
			s.BatchClock(true)
		}
		c.Args = argv[i%len(argv)]
		c.Out = c.Out[:0]
		s.Execute(c)
	}
	s.BatchClock(false)
}
