package command

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"rundb/engine/mem"
)

// INFO: the sections, their rendering, and the samples behind the rates
// and the memory peak. Each section is a function that adds its lines to an
// infoSection; the server around the command layer extends INFO server and
// INFO memory through Hooks.ServerInfo and Hooks.MemoryInfo.

func init() {
	handle(map[string]func(c *Client){
		"info": infoCommand,
	})
}

// infoState is what INFO keeps between calls (Server.info): the memory
// peak and the samples behind the instantaneous rates.
type infoState struct {
	peak uint64

	lastSample               time.Time
	lastOps, lastIn, lastOut uint64
	ops, in, out             [infoSamples]float64 // per-second rates
	n                        int
}

const infoSamples = 16

// usedMemory is used_memory: the allocator's live bytes (keys, values and
// tables) plus the clients' buffers.
func (s *Server) usedMemory() uint64 { return mem.Allocated(s.KS.Alloc) + s.clientMemory() }

// infoCron samples the counters INFO reports as rates and tracks the
// memory peak; the server calls it from its cron (every 100ms or more is
// enough).
func (s *Server) infoCron() {
	st := &s.info
	if m := s.usedMemory(); m > st.peak {
		st.peak = m
	}
	now := time.Now()
	if st.lastSample.IsZero() {
		st.lastSample = now
		st.lastOps, st.lastIn, st.lastOut = s.stats.CommandsProcessed, s.stats.NetInputBytes, s.stats.NetOutputBytes
		return
	}
	dt := now.Sub(st.lastSample).Seconds()
	if dt < 0.1 {
		return
	}
	i := st.n % infoSamples
	st.ops[i] = float64(s.stats.CommandsProcessed-st.lastOps) / dt
	st.in[i] = float64(s.stats.NetInputBytes-st.lastIn) / dt
	st.out[i] = float64(s.stats.NetOutputBytes-st.lastOut) / dt
	st.n++
	st.lastSample = now
	st.lastOps, st.lastIn, st.lastOut = s.stats.CommandsProcessed, s.stats.NetInputBytes, s.stats.NetOutputBytes
}

func (st *infoState) mean(v *[infoSamples]float64) float64 {
	n := st.n
	if n > infoSamples {
		n = infoSamples
	}
	if n == 0 {
		return 0
	}
	sum := 0.0
	for i := 0; i < n; i++ {
		sum += v[i]
	}
	return sum / float64(n)
}

// BytesToHuman formats a byte count as INFO does: 999B, 1.05K, 3.20M...
func BytesToHuman(n uint64) string {
	d := float64(n)
	switch {
	case n < 1024:
		return strconv.FormatUint(n, 10) + "B"
	case n < 1<<20:
		return fmt.Sprintf("%.2fK", d/(1<<10))
	case n < 1<<30:
		return fmt.Sprintf("%.2fM", d/(1<<20))
	case n < 1<<40:
		return fmt.Sprintf("%.2fG", d/(1<<30))
	case n < 1<<50:
		return fmt.Sprintf("%.2fT", d/(1<<40))
	case n < 1<<60:
		return fmt.Sprintf("%.2fP", d/(1<<50))
	}
	return strconv.FormatUint(n, 10) + "B"
}

// infoSection is one "# Name" block of INFO: its lines in order.
type infoSection struct {
	lines [][2]string
}

func (sec *infoSection) add(name, value string) {
	sec.lines = append(sec.lines, [2]string{name, value})
}
func (sec *infoSection) addInt(name string, v int64) {
	sec.add(name, strconv.FormatInt(v, 10))
}
func (sec *infoSection) addUint(name string, v uint64) {
	sec.add(name, strconv.FormatUint(v, 10))
}

// merge replaces the values of lines already present and appends others.
func (sec *infoSection) merge(extra [][2]string) {
outer:
	for _, kv := range extra {
		for i := range sec.lines {
			if sec.lines[i][0] == kv[0] {
				sec.lines[i][1] = kv[1]
				continue outer
			}
		}
		sec.lines = append(sec.lines, kv)
	}
}

func (sec *infoSection) get(name string) (string, bool) {
	for _, kv := range sec.lines {
		if kv[0] == name {
			return kv[1], true
		}
	}
	return "", false
}

// infoSections lists the sections in output order; the bool says whether
// a plain INFO (default) includes it.
var infoSections = []struct {
	name, title string
	dflt        bool
}{
	{"server", "Server", true},
	{"clients", "Clients", true},
	{"memory", "Memory", true},
	{"persistence", "Persistence", true},
	{"stats", "Stats", true},
	{"replication", "Replication", true},
	{"cpu", "CPU", true},
	{"modules", "Modules", true},
	{"commandstats", "Commandstats", false},
	{"errorstats", "Errorstats", true},
	{"latencystats", "Latencystats", false},
	{"cluster", "Cluster", true},
	{"keyspace", "Keyspace", true},
}

func infoCommand(c *Client) {
	want := map[string]bool{}
	if len(c.Args) == 1 {
		want["default"] = true
	}
	for _, a := range c.Args[1:] {
		want[Lower(a)] = true
	}
	c.ReplyBulkString(c.srv.GenInfo(want))
}

// GenInfo builds the INFO text for the requested section names (which may
// include "default", "all" and "everything").
func (s *Server) GenInfo(want map[string]bool) string {
	var b strings.Builder
	all := want["all"] || want["everything"]
	for _, sec := range infoSections {
		if !(want[sec.name] || all || (want["default"] && sec.dflt)) {
			continue
		}
		if b.Len() > 0 {
			b.WriteString("\r\n")
		}
		b.WriteString("# ")
		b.WriteString(sec.title)
		b.WriteString("\r\n")
		for _, kv := range s.infoLines(sec.name) {
			b.WriteString(kv[0])
			b.WriteByte(':')
			b.WriteString(kv[1])
			b.WriteString("\r\n")
		}
	}
	return b.String()
}

func (s *Server) infoLines(section string) [][2]string {
	var sec infoSection
	switch section {
	case "server":
		s.infoServer(&sec)
	case "clients":
		s.infoClients(&sec)
	case "memory":
		s.infoMemory(&sec)
	case "persistence":
		s.infoPersistence(&sec)
	case "stats":
		s.infoStats(&sec)
	case "replication":
		sec.add("role", "master")
		sec.add("connected_slaves", "0")
		sec.add("master_failover_state", "no-failover")
		sec.add("master_replid", s.runID[:40])
		sec.add("master_replid2", strings.Repeat("0", 40))
		sec.add("master_repl_offset", "0")
		sec.add("second_repl_offset", "-1")
		sec.add("repl_backlog_active", "0")
		sec.add("repl_backlog_size", "1048576")
		sec.add("repl_backlog_first_byte_offset", "0")
		sec.add("repl_backlog_histlen", "0")
	case "cpu":
		s.infoCPU(&sec)
	case "commandstats":
		s.infoCommandStats(&sec)
	case "latencystats":
		s.infoLatencyStats(&sec)
	case "errorstats":
		kinds := make([]string, 0, len(s.stats.Errors))
		for k := range s.stats.Errors {
			kinds = append(kinds, k)
		}
		sort.Strings(kinds)
		for _, k := range kinds {
			sec.add("errorstat_"+k, "count="+strconv.FormatUint(s.stats.Errors[k], 10))
		}
	case "cluster":
		sec.add("cluster_enabled", "0")
	case "keyspace":
		for _, d := range s.KS.DBs {
			if n := d.Len(); n > 0 {
				sec.add("db"+strconv.Itoa(d.ID), fmt.Sprintf("keys=%d,expires=%d,avg_ttl=0", n, d.ExpiresLen()))
			}
		}
	}
	return sec.lines
}

func (s *Server) infoServer(sec *infoSection) {
	now := time.Now()
	up := int64(now.Sub(s.startTime) / time.Second)
	sec.add("redis_version", RedisVersion)
	sec.add("redis_git_sha1", "00000000")
	sec.add("redis_git_dirty", "0")
	sec.add("redis_build_id", "0")
	sec.add("redis_mode", "standalone")
	osName := runtime.GOOS
	if s.hooks.Host != nil {
		osName = s.hooks.Host().OS
	}
	sec.add("os", osName)
	sec.add("arch_bits", "64")
	sec.add("monotonic_clock", "POSIX clock_gettime")
	sec.add("multiplexing_api", "epoll")
	sec.add("rundb_version", Version)
	sec.add("go_version", runtime.Version())
	sec.addInt("process_id", int64(os.Getpid()))
	sec.add("process_supervised", "no")
	sec.add("run_id", s.runID)
	sec.addInt("tcp_port", s.Config.Port)
	sec.addInt("server_time_usec", now.UnixMicro())
	sec.addInt("uptime_in_seconds", up)
	sec.addInt("uptime_in_days", up/86400)
	sec.addInt("hz", s.Config.Hz)
	sec.addInt("configured_hz", s.Config.Hz)
	sec.addInt("lru_clock", int64(uint32(now.Unix())&(1<<24-1)))
	exe, _ := os.Executable()
	sec.add("executable", exe)
	cf := s.Config.ConfigFile
	if cf != "" {
		if abs, err := filepath.Abs(cf); err == nil {
			cf = abs
		}
	}
	sec.add("config_file", cf)
	sec.add("io_threads_active", "0")
	if s.hooks.ServerInfo != nil {
		sec.merge(s.hooks.ServerInfo())
	}
}

func (s *Server) infoClients(sec *infoSection) {
	maxIn, maxOut := 0, 0
	for _, c := range s.clients {
		if c.InBufLen != nil {
			maxIn = max(maxIn, c.InBufLen())
		}
		if c.OutBufLen != nil {
			maxOut = max(maxOut, c.OutBufLen())
		}
	}
	sec.addInt("connected_clients", int64(len(s.clients)))
	sec.add("cluster_connections", "0")
	sec.addInt("maxclients", s.Config.MaxClients)
	sec.addInt("client_recent_max_input_buffer", int64(maxIn))
	sec.addInt("client_recent_max_output_buffer", int64(maxOut))
	sec.add("blocked_clients", strconv.Itoa(s.postponed+s.blk.count))
	sec.add("tracking_clients", "0")
	sec.add("clients_in_timeout_table", "0")
}

// host is what the engine reports of the machine (zero without the hook).
func (s *Server) host() HostInfo {
	if s.hooks.Host == nil {
		return HostInfo{}
	}
	return s.hooks.Host()
}

func (s *Server) infoMemory(sec *infoSection) {
	o := s.memOverview()
	st, used := o.st, o.used
	var extra infoSection
	if s.hooks.MemoryInfo != nil {
		extra.lines = s.hooks.MemoryInfo()
	}
	rss := o.rss
	sec.addUint("used_memory", used)
	sec.add("used_memory_human", BytesToHuman(used))
	sec.addUint("used_memory_rss", rss)
	sec.add("used_memory_rss_human", BytesToHuman(rss))
	sec.addUint("used_memory_peak", o.peak)
	sec.add("used_memory_peak_human", BytesToHuman(o.peak))
	perc := 100.0
	if o.peak > 0 {
		perc = float64(used) * 100 / float64(o.peak)
	}
	sec.add("used_memory_peak_perc", fmt.Sprintf("%.2f%%", perc))
	sec.addUint("used_memory_overhead", o.overhead)
	sec.addUint("used_memory_startup", o.startup)
	sec.addUint("used_memory_dataset", o.dataset())
	dsPerc := 0.0
	if used > o.startup {
		dsPerc = float64(o.dataset()) * 100 / float64(used-o.startup)
	}
	sec.add("used_memory_dataset_perc", fmt.Sprintf("%.2f%%", dsPerc))
	sec.addUint("allocator_allocated", st.Allocated)
	sec.addUint("allocator_active", st.Allocated)
	sec.addUint("allocator_resident", o.resident())
	tot := s.host().TotalMemory
	sec.addUint("total_system_memory", tot)
	sec.add("total_system_memory_human", BytesToHuman(tot))
	sec.addInt("maxmemory", s.Config.MaxMemory)
	sec.add("maxmemory_human", BytesToHuman(uint64(s.Config.MaxMemory)))
	sec.add("maxmemory_policy", s.Config.MaxMemoryPolicy)
	frag := 0.0
	if used > 0 {
		frag = float64(rss) / float64(used)
	}
	sec.add("mem_fragmentation_ratio", fmt.Sprintf("%.2f", frag))
	sec.addInt("mem_fragmentation_bytes", int64(rss)-int64(used))
	sec.addUint("mem_not_counted_for_evict", s.memNotCountedForEvict())
	sec.addUint("mem_clients_normal", o.clients)
	sec.add("mem_allocator", s.KS.Alloc.Name())
	perKey := uint64(0)
	if o.keys > 0 {
		perKey = used / o.keys
	}
	sec.addUint("used_memory_per_key", perKey)
	sec.addUint("allocator_requested", st.Requested)
	sec.addUint("allocator_mapped", st.Mapped)
	sec.addUint("allocator_live_blocks", st.Live())
	for p := mem.Purpose(0); p < mem.NumPurposes; p++ {
		sec.addUint("mem_purpose_"+p.String(), o.purposes[p])
	}
	for p := mem.Purpose(0); p < mem.NumPurposes; p++ {
		sec.addUint("mem_purpose_"+p.String()+"_blocks", st.Purposes[p].Blocks)
	}
	sec.merge(extra.lines)
}

func (s *Server) infoStats(sec *infoSection) {
	is := &s.info
	ks := s.KS.Stats
	sec.addUint("total_connections_received", s.stats.ConnectionsReceived)
	sec.addUint("total_commands_processed", s.stats.CommandsProcessed)
	sec.addInt("instantaneous_ops_per_sec", int64(is.mean(&is.ops)+0.5))
	sec.addUint("total_net_input_bytes", s.stats.NetInputBytes)
	sec.addUint("total_net_output_bytes", s.stats.NetOutputBytes)
	sec.add("instantaneous_input_kbps", fmt.Sprintf("%.2f", is.mean(&is.in)/1024))
	sec.add("instantaneous_output_kbps", fmt.Sprintf("%.2f", is.mean(&is.out)/1024))
	sec.addUint("rejected_connections", s.stats.RejectedConnections)
	sec.addUint("expired_keys", ks.ExpiredKeys)
	xs := s.expiry.Stats
	sec.add("expired_stale_perc", fmt.Sprintf("%.2f", xs.StalePerc*100))
	sec.addUint("expired_time_cap_reached_count", xs.TimeCapReached)
	sec.addInt("expire_cycle_cpu_milliseconds", xs.CycleTimeUs/1000)
	sec.addUint("evicted_keys", ks.EvictedKeys)
	total, current := s.evictionExceeded(time.Now())
	sec.addInt("total_eviction_exceeded_time", total.Milliseconds())
	sec.addInt("current_eviction_exceeded_time", current.Milliseconds())
	sec.addUint("keyspace_hits", ks.KeyspaceHits)
	sec.addUint("keyspace_misses", ks.KeyspaceMisses)
	sec.add("pubsub_channels", "0")
	sec.add("pubsub_patterns", "0")
	sec.addUint("total_error_replies", s.stats.ErrorReplies)
	sec.addUint("client_output_buffer_limit_disconnections", s.stats.ClientsKilledOutput)
}

func (s *Server) infoCPU(sec *infoSection) {
	tv := func(d time.Duration) string {
		return fmt.Sprintf("%d.%06d", d/time.Second, d%time.Second/time.Microsecond)
	}
	h := s.host()
	sec.add("used_cpu_sys", tv(h.Sys))
	sec.add("used_cpu_user", tv(h.User))
	sec.add("used_cpu_sys_children", tv(h.SysChildren))
	sec.add("used_cpu_user_children", tv(h.UserChildren))
	sec.add("used_cpu_sys_main_thread", tv(h.SysThread))
	sec.add("used_cpu_user_main_thread", tv(h.UserThread))
}

func (s *Server) infoCommandStats(sec *infoSection) {
	add := func(cmd *Command) {
		if cmd.Calls == 0 && cmd.Rejected == 0 && cmd.Failed == 0 {
			return
		}
		per := 0.0
		if cmd.Calls > 0 {
			per = float64(cmd.Usec) / float64(cmd.Calls)
		}
		sec.add("cmdstat_"+cmd.Name, fmt.Sprintf("calls=%d,usec=%d,usec_per_call=%.2f,rejected_calls=%d,failed_calls=%d",
			cmd.Calls, cmd.Usec, per, cmd.Rejected, cmd.Failed))
	}
	for _, cmd := range s.table.Sorted() {
		add(cmd)
		for _, sub := range cmd.SortedSubs() {
			add(sub)
		}
	}
}

// infoLatencyStats lists each command's latency percentiles in
// microseconds, as latency-tracking-info-percentiles asks.
func (s *Server) infoLatencyStats(sec *infoSection) {
	add := func(cmd *Command) {
		if cmd.latency == nil {
			return
		}
		var b []byte
		for i, p := range s.Config.LatencyPercentiles {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, 'p')
			b = strconv.AppendFloat(b, p, 'f', -1, 64)
			b = append(b, '=')
			b = strconv.AppendFloat(b, float64(cmd.latency.Percentile(p))/1000, 'f', 3, 64)
		}
		sec.add("latency_percentiles_usec_"+cmd.Name, string(b))
	}
	for _, cmd := range s.table.Sorted() {
		add(cmd)
		for _, sub := range cmd.SortedSubs() {
			add(sub)
		}
	}
}
