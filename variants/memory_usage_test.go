package variants_test

import (
	"context"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"rundb/engine"
	"rundb/engine/config"
	"rundb/variants"
)

// usedMemory reads used_memory from INFO memory.
func usedMemory(t *testing.T, c *redis.Client) int64 {
	t.Helper()
	info, err := c.Info(context.Background(), "memory").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, "used_memory:"); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				t.Fatalf("used_memory:%s", v)
			}
			return n
		}
	}
	t.Fatalf("no used_memory in %q", info)
	return 0
}

// TestMemoryUsageMatchesUsedMemory loads W1 keys (key:%012d -> val:%012d)
// into a server on each backend this process can build, and checks that
// MEMORY USAGE of a key is within 5% of used_memory's growth per key, and
// that MEMORY STATS' purposes add up to total.allocated. Run the test
// binary under LD_PRELOAD to check jemalloc, mimalloc or tcmalloc.
func TestMemoryUsageMatchesUsedMemory(t *testing.T) {
	n := 100000
	if testing.Short() {
		n = 20000
	}
	for _, name := range variants.Names() {
		t.Run(name, func(t *testing.T) {
			a, err := variants.New(name)
			if err != nil {
				t.Skip(err)
			}
			if c, ok := a.(io.Closer); ok {
				defer c.Close()
			}
			cfg := config.Default()
			cfg.Port = 0
			srv, err := engine.NewServer(cfg, a)
			if err != nil {
				t.Fatal(err)
			}
			go srv.Serve()
			defer func() { srv.Stop(); <-srv.Done() }()
			ctx := context.Background()
			c := redis.NewClient(&redis.Options{Addr: srv.Addr(), PoolSize: 1, Protocol: 2})
			defer c.Close()

			before := usedMemory(t, c)
			const batch = 1000
			for i := 0; i < n; i += batch {
				p := c.Pipeline()
				for j := i; j < min(i+batch, n); j++ {
					p.Set(ctx, fmt.Sprintf("key:%012d", j), fmt.Sprintf("val:%012d", j), 0)
				}
				if _, err := p.Exec(ctx); err != nil {
					t.Fatal(err)
				}
			}
			after := usedMemory(t, c)
			growth := float64(after-before) / float64(n)

			var sum int64
			const samples = 100
			for i := 0; i < samples; i++ {
				u, err := c.MemoryUsage(ctx, fmt.Sprintf("key:%012d", i*(n/samples))).Result()
				if err != nil {
					t.Fatal(err)
				}
				sum += u
			}
			usage := float64(sum) / samples
			t.Logf("%s: %d keys, used_memory growth %.2f B/key, MEMORY USAGE %.2f B (%+.2f%%)",
				a.Name(), n, growth, usage, 100*(usage-growth)/growth)
			if math.Abs(usage-growth) > 0.05*growth {
				t.Errorf("MEMORY USAGE %.2f is more than 5%% off used_memory growth %.2f per key", usage, growth)
			}

			// MEMORY STATS: the purposes add up to total.allocated.
			st, err := c.Do(ctx, "MEMORY", "STATS").Slice()
			if err != nil {
				t.Fatal(err)
			}
			var total, purposes int64
			for i := 0; i+1 < len(st); i += 2 {
				k, _ := st[i].(string)
				v, _ := st[i+1].(int64)
				switch {
				case k == "total.allocated":
					total = v
				case strings.HasPrefix(k, "purpose."):
					purposes += v
				}
			}
			if total == 0 || purposes != total {
				t.Errorf("MEMORY STATS: purposes add up to %d; total.allocated %d", purposes, total)
			}
		})
	}
}
