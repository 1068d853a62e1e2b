package difftest

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// infoInt reads one integer field of INFO section.
func infoInt(t testing.TB, c *redis.Client, section, field string) int64 {
	t.Helper()
	s, err := c.Info(context.Background(), section).Result()
	if err != nil {
		t.Fatalf("INFO %s: %v", section, err)
	}
	for _, line := range strings.Split(s, "\r\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				t.Fatalf("INFO %s: %q", field, line)
			}
			return n
		}
	}
	t.Fatalf("INFO %s has no %s", section, field)
	return 0
}

// TestEvictionStorm: many clients write strings, sets (and lists, when the
// server has them) past maxmemory under each policy. Under an eviction
// policy every write succeeds and used_memory stays within one write's
// growth (plus the keyspace table's doubling, which no eviction undoes
// at once) of the limit; under noeviction writes get -OOM and nothing is
// evicted; throughout, PING on another connection keeps answering. It runs
// on the backend RUNDB_ALLOC names (make test-backends: goheap, arena,
// jemalloc).
func TestEvictionStorm(t *testing.T) {
	addr, stop := startRundb(t)
	defer stop()
	ctx := context.Background()
	admin := newClient(t, addr)
	// Lists join the storm once the server has them (COMMAND INFO
	// answers a null for an unknown command).
	v, _ := admin.Do(ctx, "COMMAND", "INFO", "lpush").Val().([]any)
	hasLists := len(v) == 1 && v[0] != nil
	const (
		clients   = 16
		perClient = 2500
		batch     = 50
		headroom  = 8 << 20
	)
	for _, policy := range []string{"allkeys-lru", "allkeys-lfu", "allkeys-random", "volatile-lru", "volatile-ttl", "volatile-random", "volatile-lfu", "simple-first", "noeviction"} {
		t.Run(policy, func(t *testing.T) {
			admin.ConfigSet(ctx, "maxmemory", "0")
			if err := admin.FlushAll(ctx).Err(); err != nil {
				t.Fatal(err)
			}
			base := infoInt(t, admin, "memory", "used_memory")
			limit := base + headroom
			evicted0 := infoInt(t, admin, "stats", "evicted_keys")
			if err := admin.ConfigSet(ctx, "maxmemory-policy", policy).Err(); err != nil {
				t.Fatal(err)
			}
			if err := admin.ConfigSet(ctx, "maxmemory", strconv.FormatInt(limit, 10)).Err(); err != nil {
				t.Fatal(err)
			}
			volatile := strings.HasPrefix(policy, "volatile-")

			// The watcher: PING round trips and used_memory samples.
			watch := newClient(t, addr)
			done := make(chan struct{})
			var maxPing time.Duration
			var maxUsed int64
			var wwg sync.WaitGroup
			wwg.Add(1)
			go func() {
				defer wwg.Done()
				for {
					select {
					case <-done:
						return
					case <-time.After(2 * time.Millisecond):
					}
					t0 := time.Now()
					if err := watch.Ping(ctx).Err(); err != nil {
						t.Errorf("PING: %v", err)
						return
					}
					maxPing = max(maxPing, time.Since(t0))
					maxUsed = max(maxUsed, infoInt(t, watch, "memory", "used_memory"))
				}
			}()

			var ok, oom, other atomic.Int64
			var wg sync.WaitGroup
			for w := 0; w < clients; w++ {
				wg.Add(1)
				go func(w int) {
					defer wg.Done()
					c := newClient(t, addr)
					val := strings.Repeat("v", 300+w*40) // 300..900 bytes
					for i := 0; i < perClient; i += batch {
						cmds, _ := c.Pipelined(ctx, func(p redis.Pipeliner) error {
							for j := i; j < i+batch; j++ {
								ttl := time.Duration(0)
								if volatile {
									ttl = time.Hour + time.Duration(j)*time.Second
								}
								switch j % 4 {
								case 0, 1:
									p.Set(ctx, fmt.Sprintf("s:%d:%d", w, j), val, ttl)
								case 2:
									k := fmt.Sprintf("set:%d:%d", w, j/40)
									p.SAdd(ctx, k, fmt.Sprintf("m%d", j), j)
									if volatile {
										p.Expire(ctx, k, ttl)
									}
								case 3:
									if hasLists {
										k := fmt.Sprintf("list:%d:%d", w, j/40)
										p.LPush(ctx, k, val[:100])
										if volatile {
											p.Expire(ctx, k, ttl)
										}
									} else {
										p.Set(ctx, fmt.Sprintf("n:%d:%d", w, j), j, ttl)
									}
								}
							}
							return nil
						})
						for _, cmd := range cmds {
							switch err := cmd.Err(); {
							case err == nil:
								ok.Add(1)
							case strings.HasPrefix(err.Error(), "OOM "):
								oom.Add(1)
							default:
								other.Add(1)
								t.Errorf("%v: %v", cmd.Args(), err)
							}
						}
					}
				}(w)
			}
			wg.Wait()
			close(done)
			wwg.Wait()

			used := infoInt(t, admin, "memory", "used_memory")
			evicted := infoInt(t, admin, "stats", "evicted_keys") - evicted0
			keys, _ := admin.DBSize(ctx).Result()
			t.Logf("%s: %d ok, %d OOM; %d keys, %d evicted; used %d of limit %d (max seen %+d over); longest PING %v",
				policy, ok.Load(), oom.Load(), keys, evicted, used, limit, maxUsed-limit, maxPing)
			// One write grows memory by at most a string entry, a set's
			// member or a list node; the keyspace table doubling adds its
			// new slot array while the old one drains.
			const slack = 64 << 10
			tableSlack := int64(keys)*2*8*2 + slack
			final := int64(slack)
			if policy == "noeviction" {
				// Nothing can be evicted to pay back the table's growth.
				final = tableSlack
			}
			if used > limit+final {
				t.Errorf("used_memory %d after the storm; limit %d", used, limit)
			}
			if maxUsed > limit+tableSlack {
				t.Errorf("used_memory reached %d during the storm; limit %d (+%d slack)", maxUsed, limit, tableSlack)
			}
			if maxPing > time.Second {
				t.Errorf("a PING took %v during the storm", maxPing)
			}
			if policy == "noeviction" {
				if oom.Load() == 0 || evicted != 0 {
					t.Errorf("noeviction: %d OOM replies, %d evicted; want some OOM, none evicted", oom.Load(), evicted)
				}
			} else {
				if oom.Load() != 0 || evicted == 0 {
					t.Errorf("%s: %d OOM replies, %d evicted; want none refused, some evicted", policy, oom.Load(), evicted)
				}
			}
			admin.ConfigSet(ctx, "maxmemory", "0")
			admin.ConfigSet(ctx, "maxmemory-policy", "noeviction")
		})
	}
}
