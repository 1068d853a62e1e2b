package command

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"rundb/engine/db"
	"rundb/engine/ds"
	"rundb/engine/mem"
)

// MEMORY (USAGE, STATS, DOCTOR, MALLOC-STATS, PURGE, HELP): the allocator's
// accounting, per key, per structure and per purpose.

func init() {
	handle(map[string]func(c *Client){
		"memory|usage":        memoryUsageCommand,
		"memory|stats":        memoryStatsCommand,
		"memory|doctor":       memoryDoctorCommand,
		"memory|malloc-stats": memoryMallocStatsCommand,
		"memory|purge":        memoryPurgeCommand,
		"memory|help":         memoryHelpCommand,
	})
}

var memoryHelp = []string{
	"DOCTOR",
	"    Return memory problems reports.",
	"MALLOC-STATS",
	"    Return internal statistics report from the memory allocator.",
	"PURGE",
	"    Attempt to purge dirty pages for reclamation by the allocator.",
	"STATS",
	"    Return information about the memory usage of the server.",
	"USAGE <key> [SAMPLES <count>]",
	"    Return memory in bytes used by <key> and its value. Nested values are",
	"    sampled up to <count> times (default: 5, 0 means sample all).",
}

func memoryHelpCommand(c *Client) { c.replyHelp("MEMORY", memoryHelp...) }

// memoryUsageCommand replies the bytes a key costs the allocator: its entry
// block, its raw value block, and its share of the slot arrays of the
// keyspace table (and of the expires table when it has a deadline), each
// block counted at its allocated (class-rounded) size. The shares are the
// arrays' bytes divided by the keys they hold, so the usage of every key
// adds up to the slots, expires, entries and values purposes. A container
// counts its blocks as its encoding says (ds.ContainerOps.Bytes), sampling
// up to SAMPLES elements (default 5, 0: all) where it estimates. Like
// Redis, the lookup does not expire the key.
func memoryUsageCommand(c *Client) {
	samples := int64(memoryUsageSamples)
	for j := 3; j < len(c.Args); j++ {
		if !EqualFold(c.Args[j], "samples") || j+1 >= len(c.Args) {
			c.ReplySyntaxErr()
			return
		}
		n, ok := ds.ParseInt(c.Args[j+1])
		if !ok {
			c.ReplyNotInt()
			return
		}
		if n < 0 {
			c.ReplySyntaxErr()
			return
		}
		samples = n
		j++
	}
	e, ok := c.DB.Peek(c.Args[2])
	if !ok {
		c.ReplyNull()
		return
	}
	c.ReplyInt(int64(keyUsage(c.DB, e, int(min(samples, math.MaxInt32)))))
}

// memoryUsageSamples is MEMORY USAGE's default SAMPLES.
const memoryUsageSamples = 5

// keyUsage is MEMORY USAGE's figure for entry e of d.
func keyUsage(d *db.DB, e ds.Entry, samples int) int {
	n := e.AllocatedBytes(d.Alloc(), samples)
	keys, expires := d.TableBytes()
	n += share(keys, d.Len())
	if e.HasTTL() {
		n += share(expires, d.ExpiresLen())
	}
	return n
}

// share divides bytes among n keys, rounding to the nearest byte.
func share(bytes, n int) int {
	if n <= 0 {
		return 0
	}
	return (bytes + n/2) / n
}

// memOverview is what MEMORY STATS, MEMORY DOCTOR and INFO memory report,
// taken at one instant.
type memOverview struct {
	st       mem.Stats
	used     uint64 // allocator bytes plus client buffers: used_memory
	peak     uint64
	startup  uint64 // used_memory when the server started
	clients  uint64 // client query and output buffers (normal clients)
	nclients int
	dbs      []dbOverhead
	overhead uint64 // startup, clients and table slot arrays
	keys     uint64
	rss      uint64
	// purposes is the allocator's bytes per purpose, with the client
	// buffers added to mem.PurposeClient: they add up to used.
	purposes [mem.NumPurposes]uint64
}

type dbOverhead struct {
	id            int
	main, expires uint64 // slot arrays
}

// clientMemory is what the clients' buffers hold (the server counts them:
// they live on the Go heap, not in the allocator).
func (s *Server) clientMemory() uint64 {
	if s.hooks.ClientMemory == nil {
		return 0
	}
	return s.hooks.ClientMemory()
}

func (s *Server) memOverview() memOverview {
	var o memOverview
	o.st = s.KS.Alloc.Stats()
	// Client buffers are Go slices the server counts, plus the allocator
	// blocks of large arguments being read (the clients purpose), which
	// Allocated already holds.
	goBufs := s.clientMemory()
	o.clients = goBufs + o.st.Purposes[mem.PurposeClient].Allocated
	o.nclients = len(s.clients)
	o.used = o.st.Allocated + goBufs
	is := &s.info
	if o.used > is.peak {
		is.peak = o.used
	}
	o.peak = is.peak
	o.startup = s.startupMemory
	o.overhead = o.startup + o.clients
	for _, d := range s.KS.DBs {
		o.keys += uint64(d.Len())
		if d.Len() == 0 {
			continue
		}
		k, e := d.TableBytes()
		o.dbs = append(o.dbs, dbOverhead{id: d.ID, main: uint64(k), expires: uint64(e)})
		o.overhead += uint64(k + e)
	}
	for p, ps := range o.st.Purposes {
		o.purposes[p] = ps.Allocated
	}
	o.purposes[mem.PurposeClient] = o.clients
	o.rss = s.rss()
	return o
}

// rss is the process's resident set size, as the server reports it
// (Hooks.MemoryInfo's used_memory_rss; 0 without the hook).
func (s *Server) rss() uint64 {
	if s.hooks.MemoryInfo != nil {
		for _, kv := range s.hooks.MemoryInfo() {
			if kv[0] == "used_memory_rss" {
				n, _ := strconv.ParseUint(kv[1], 10, 64)
				return n
			}
		}
	}
	return 0
}

// dataset is used memory less the overhead: keys and values alone.
func (o *memOverview) dataset() uint64 {
	if o.overhead > o.used {
		return 0
	}
	return o.used - o.overhead
}

// resident is the allocator's resident bytes (its mapped bytes, or the
// allocated ones when it cannot tell).
func (o *memOverview) resident() uint64 {
	if o.st.Mapped != 0 {
		return o.st.Mapped
	}
	return o.st.Allocated
}

func ratio(a, b uint64) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// replyFloat replies a ratio as Redis replies MEMORY STATS' (a bulk string
// of the single-precision value).
func (c *Client) replyFloat(f float64) {
	c.ReplyBulkString(strconv.FormatFloat(float64(float32(f)), 'g', 17, 64))
}

// memStat is one MEMORY STATS field: an integer, a ratio, or (for db.N) a
// nested list of fields.
type memStat struct {
	name  string
	n     int64
	f     float64
	float bool
	sub   []memStat
}

func (c *Client) replyMemStats(stats []memStat) {
	c.ReplyArrayLen(2 * len(stats))
	for _, m := range stats {
		c.ReplyBulkString(m.name)
		switch {
		case m.sub != nil:
			c.replyMemStats(m.sub)
		case m.float:
			c.replyFloat(m.f)
		default:
			c.ReplyInt(m.n)
		}
	}
}

// memoryStatsCommand replies Redis 7.0's MEMORY STATS fields, in its order,
// then rundb's bytes per allocation purpose (purpose.<name>), which add up
// to total.allocated.
func memoryStatsCommand(c *Client) {
	o := c.srv.memOverview()
	c.replyMemStats(o.stats())
}

func (o *memOverview) stats() []memStat {
	n := func(name string, v int64) memStat { return memStat{name: name, n: v} }
	f := func(name string, v float64) memStat { return memStat{name: name, f: v, float: true} }
	net := int64(o.used) - int64(o.startup)
	out := []memStat{
		n("peak.allocated", int64(o.peak)),
		n("total.allocated", int64(o.used)),
		n("startup.allocated", int64(o.startup)),
		n("replication.backlog", 0),
		n("clients.slaves", 0),
		n("clients.normal", int64(o.clients)),
		n("cluster.links", 0),
		n("aof.buffer", 0),
		n("lua.caches", 0),
		n("functions.caches", 0),
	}
	for _, d := range o.dbs {
		out = append(out, memStat{name: "db." + strconv.Itoa(d.id), sub: []memStat{
			n("overhead.hashtable.main", int64(d.main)),
			n("overhead.hashtable.expires", int64(d.expires)),
			n("overhead.hashtable.slot-to-keys", 0),
		}})
	}
	perKey, dsPerc := int64(0), 0.0
	if o.keys > 0 {
		perKey = net / int64(o.keys)
	}
	if net > 0 {
		dsPerc = float64(o.dataset()) * 100 / float64(net)
	}
	alloc, res := o.st.Allocated, o.resident()
	out = append(out,
		n("overhead.total", int64(o.overhead)),
		n("keys.count", int64(o.keys)),
		n("keys.bytes-per-key", perKey),
		n("dataset.bytes", int64(o.dataset())),
		f("dataset.percentage", dsPerc),
		f("peak.percentage", ratio(o.used, o.peak)*100),
		n("allocator.allocated", int64(alloc)),
		n("allocator.active", int64(alloc)),
		n("allocator.resident", int64(res)),
		f("allocator-fragmentation.ratio", ratio(alloc, alloc)),
		n("allocator-fragmentation.bytes", 0),
		f("allocator-rss.ratio", ratio(res, alloc)),
		n("allocator-rss.bytes", int64(res)-int64(alloc)),
		f("rss-overhead.ratio", ratio(o.rss, res)),
		n("rss-overhead.bytes", int64(o.rss)-int64(res)),
		f("fragmentation", ratio(o.rss, o.used)),
		n("fragmentation.bytes", int64(o.rss)-int64(o.used)),
	)
	for p := mem.Purpose(0); p < mem.NumPurposes; p++ {
		out = append(out, n("purpose."+p.String(), int64(o.purposes[p])))
	}
	return out
}

// Thresholds of MEMORY DOCTOR.
const (
	doctorMinUsed      = 5 << 20 // below this, the instance counts as empty
	doctorPeakRatio    = 1.5     // peak over current use
	doctorFragRatio    = 1.4     // RSS over used memory...
	doctorFragBytes    = 10 << 20
	doctorAllocRSS     = 1.1 // allocator resident over allocated...
	doctorAllocRSSMin  = 10 << 20
	doctorClientBufAvg = 200000 // average client buffers
)

const doctorEmpty = "Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in these conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and I will be back to our programming as soon as I finished rebooting.\n"

const doctorHealthy = "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.\n"

// memoryDoctorCommand reports, in Redis's words, the memory problems it can
// see: a past peak, RSS well above used memory, an allocator holding much
// more than it hands out, big client buffers.
func memoryDoctorCommand(c *Client) {
	o := c.srv.memOverview()
	if o.used < doctorMinUsed {
		c.ReplyBulkString(doctorEmpty)
		return
	}
	var issues []string
	if ratio(o.peak, o.used) > doctorPeakRatio {
		issues = append(issues, " * Peak memory: In the past this instance used more than 150% the memory that is currently using. The allocator is normally not able to release memory after a peak, so you can expect to see a big fragmentation ratio, however this is actually harmless and is only due to the memory peak, and if the Redis instance Resident Set Size (RSS) is currently bigger than expected, the memory will be used as soon as you fill the Redis instance with more data. If the memory peak was only occasional and you want to try to reclaim memory, please try the MEMORY PURGE command, otherwise the only other option is to shutdown and restart the instance.\n\n")
	}
	if ratio(o.rss, o.used) > doctorFragRatio && o.rss > o.used+doctorFragBytes {
		issues = append(issues, fmt.Sprintf(" * High total RSS: This instance has a memory fragmentation and RSS overhead greater than 1.4 (this means that the Resident Set Size of the Redis process is much larger than the sum of the logical allocations Redis performed). This problem is usually due either to a large peak memory (check if there is a peak memory entry above in the report) or may result from a workload that causes the allocator to fragment memory a lot. If the problem is a large peak memory, then there is no issue. Otherwise, make sure you are using the Jemalloc allocator and not the default libc malloc. Note: The currently used allocator is \"%s\".\n\n", c.srv.KS.Alloc.Name()))
	}
	if res, alloc := o.resident(), o.st.Allocated; ratio(res, alloc) > doctorAllocRSS && res > alloc+doctorAllocRSSMin {
		issues = append(issues, " * High allocator RSS overhead: This instance has an RSS memory overhead is greater than 1.1 (this means that the Resident Set Size of the allocator is much larger than the sum what the allocator actually holds). This problem is usually due to a large peak memory (check if there is a peak memory entry above in the report), you can try the MEMORY PURGE command to reclaim it.\n\n")
	}
	if o.nclients > 0 && o.clients/uint64(o.nclients) > doctorClientBufAvg {
		issues = append(issues, " * Big client buffers: The clients output buffers in this instance are greater than 200K per client (on average). This may result from different causes, like Pub/Sub clients subscribed to channels bot not receiving data fast enough, so that data piles on the Redis instance output buffer, or clients sending commands with large replies or very large sequences of commands in the same pipeline. Please use the CLIENT LIST command in order to investigate the issue if it causes problems in your instance, or to understand better why certain clients are using a big amount of memory.\n\n")
	}
	if len(issues) == 0 {
		c.ReplyBulkString(doctorHealthy)
		return
	}
	c.ReplyBulkString("Sam, I detected a few issues in this Redis instance memory implants:\n\n" +
		strings.Join(issues, "") + "I'm here to keep you safe, Sam. I want to help you.\n")
}

// memoryMallocStatsCommand replies the backend's own statistics text
// (mem.StatsWriter).
func memoryMallocStatsCommand(c *Client) {
	c.ReplyBulkString(mem.MallocStats(c.srv.KS.Alloc))
}

// memoryPurgeCommand asks the backend to give free memory back to the OS
// (mem.Trimmer); a backend that cannot has nothing to purge.
func memoryPurgeCommand(c *Client) {
	mem.Trim(c.srv.KS.Alloc)
	c.ReplyOK()
}
