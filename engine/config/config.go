// Package config holds rundb's configuration parameters: their names
// (Redis's, plus rundb's own), defaults, value parsing, and the rules of
// CONFIG GET, CONFIG SET and CONFIG REWRITE. It imports nothing of the
// engine: the command layer runs CONFIG over it, the engine and cmd/rundb
// read it, and what a changed parameter does to a running server (a new
// cron rate, a new listening port) is the engine's business.
package config

import (
	"bufio"
	"errors"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
)

// Config is the server configuration. Names are Redis's, plus rundb's own
// (alloc, keyspace-layout, eviction-ratio, eviction-pool-size). Every parameter can be given
// as `--name value`, in a config file, and, unless immutable or protected,
// by CONFIG SET.
type Config struct {
	Port       int64
	Bind       string
	Databases  int64
	MaxClients int64
	Hz         int64
	// ActiveExpireEffort (1..10) scales the active expiry cycle's work:
	// keys per pass, time budgets, and the stale share it accepts.
	ActiveExpireEffort int64
	Timeout            int64
	TCPBacklog         int64

	RequirePass string
	// ProtectedMode: without a password, only loopback clients may connect.
	ProtectedMode bool
	// EnableProtectedConfigs and EnableDebugCommand are "no", "yes" or
	// "local" (loopback and Unix-socket clients only): whether CONFIG SET
	// may change protected parameters (dir) and whether DEBUG runs.
	EnableProtectedConfigs string
	EnableDebugCommand     string

	// Eviction: maxmemory is enforced before every command (engine/command
	// evict.go) by MaxMemoryPolicy; the others tune the policies.
	MaxMemory        int64
	MaxMemoryPolicy  string
	MaxMemorySamples int64
	EvictionRatio    float64 // rundb: fraction of maxmemory below it a random policy's run evicts down to
	EvictionPoolSize int64   // rundb: candidates kept in the eviction pool
	LFULogFactor     int64
	LFUDecayTime     int64

	// MaxMemoryEvictionTenacity (0..100) sets how long one eviction run
	// may take before the rest is left to the following loop turns.
	MaxMemoryEvictionTenacity int64

	// SetMaxIntsetEntries: a set of integers stays an intset up to this
	// many members, then converts to a hashtable.
	SetMaxIntsetEntries int64

	// Persistence (engine/persist): the append log in Dir/AppendDirName,
	// its file names' prefix, its fsync policy, whether a log cut off
	// mid-command loads, and the automatic rewrite's growth triggers.
	// Save stays "": rundb writes no RDB snapshots.
	AppendOnly            bool
	AppendFilename        string
	AppendDirName         string
	AppendFsync           string
	AOFLoadTruncated      bool
	AutoAOFRewritePercent int64
	AutoAOFRewriteMinSize int64
	Dir                   string
	Save                  string

	ProtoMaxBulkLen        int64
	ClientQueryBufferLimit int64
	// Output buffer limit for normal clients: a client whose pending
	// output passes Hard, or stays over Soft for SoftSeconds, is closed.
	ClientOutputHard        int64
	ClientOutputSoft        int64
	ClientOutputSoftSeconds int64
	// The replica and pubsub classes' limits (hard, soft, soft seconds):
	// kept and reported; rundb has no replicas or subscribers yet, so no
	// client is of those classes.
	ClientOutputReplica, ClientOutputPubsub [3]int64

	// Lists: a new list's node bound (negative: 4 KB << (-n-1) of
	// listpack bytes; positive: entries) and compression depth (kept with
	// the list; rundb does not compress nodes).
	ListMaxListpackSize int64
	ListCompressDepth   int64

	LatencyMonitorThreshold int64
	// LatencyTracking keeps a latency histogram per command for INFO
	// latencystats and LATENCY HISTOGRAM, which report the percentiles
	// in LatencyPercentiles.
	LatencyTracking    bool
	LatencyPercentiles []float64

	Alloc string
	// KeyspaceLayout names the layout of every database's keyspace and
	// expires tables (engine/ds: RegisterLayout); the engine checks the
	// name at start, config knows no layouts.
	KeyspaceLayout string
	LogLevel       string
	LogFile        string
	Daemonize      bool

	// ConfigFile is the path of the file the configuration was read from.
	ConfigFile string
}

// Default returns Redis's defaults, with rundb's port 7379.
func Default() *Config {
	return &Config{
		Port: 7379, Bind: "127.0.0.1", ProtectedMode: true, EnableProtectedConfigs: "no", EnableDebugCommand: "no", Databases: 16, MaxClients: 10000, Hz: 10, ActiveExpireEffort: 1,
		TCPBacklog: 511, MaxMemoryPolicy: "noeviction", MaxMemorySamples: 5, MaxMemoryEvictionTenacity: 10,
		EvictionRatio: 0.1, EvictionPoolSize: 16, LFULogFactor: 10, LFUDecayTime: 1,
		SetMaxIntsetEntries: 512,
		AppendFilename:      "appendonly.aof", AppendDirName: "appendonlydir", AppendFsync: "everysec", Dir: ".",
		AOFLoadTruncated: true, AutoAOFRewritePercent: 100, AutoAOFRewriteMinSize: 64 << 20,
		Save: "", ProtoMaxBulkLen: 512 << 20, ClientQueryBufferLimit: 1 << 30,
		ClientOutputHard: 0, ClientOutputSoft: 0, ClientOutputSoftSeconds: 0,
		ClientOutputReplica: [3]int64{256 << 20, 64 << 20, 60}, ClientOutputPubsub: [3]int64{32 << 20, 8 << 20, 60},
		LatencyTracking: true, LatencyPercentiles: []float64{50, 99, 99.9},
		Alloc: "arena", KeyspaceLayout: "open", LogLevel: "notice",
		ListMaxListpackSize: -2,
	}
}

type paramKind int

const (
	kindBool paramKind = iota
	kindInt
	kindMem
	kindEnum
	kindString
	kindFloat
	kindSpecial
)

// Param is one configuration parameter.
type Param struct {
	Name string
	// Alias is another name Lookup finds the parameter by (Redis's older
	// name for it, as list-max-ziplist-size).
	Alias string
	Kind  paramKind
	// Immutable parameters are set only at start (command line, config
	// file); CONFIG SET refuses them, as Redis does.
	Immutable bool
	// Protected parameters are refused by CONFIG SET as Redis 7.0 refuses
	// them under its default enable-protected-configs no.
	Protected bool
	Min, Max  int64
	Enum      []string
	Help      string
	get       func(c *Config) string
	set       func(c *Config, v string) error
}

var maxmemoryPolicies = []string{"volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl",
	"allkeys-lru", "allkeys-lfu", "allkeys-random", "noeviction", "simple-first"}

func intParam(name string, min, max int64, f func(c *Config) *int64, help string) *Param {
	return &Param{Name: name, Kind: kindInt, Min: min, Max: max, Help: help,
		get: func(c *Config) string { return strconv.FormatInt(*f(c), 10) },
		set: func(c *Config, v string) error {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return fmt.Errorf("argument couldn't be parsed into an integer")
			}
			if n < min || n > max {
				return fmt.Errorf("argument must be between %d and %d inclusive", min, max)
			}
			*f(c) = n
			return nil
		}}
}

func memParam(name string, f func(c *Config) *int64, help string) *Param {
	return &Param{Name: name, Kind: kindMem, Help: help,
		get: func(c *Config) string { return strconv.FormatInt(*f(c), 10) },
		set: func(c *Config, v string) error {
			n, ok := ParseMemory(v)
			if !ok {
				return fmt.Errorf("argument must be a memory value")
			}
			*f(c) = n
			return nil
		}}
}

func boolParam(name string, f func(c *Config) *bool, help string) *Param {
	return &Param{Name: name, Kind: kindBool, Help: help,
		get: func(c *Config) string {
			if *f(c) {
				return "yes"
			}
			return "no"
		},
		set: func(c *Config, v string) error {
			switch strings.ToLower(v) {
			case "yes":
				*f(c) = true
			case "no":
				*f(c) = false
			default:
				return fmt.Errorf("argument must be 'yes' or 'no'")
			}
			return nil
		}}
}

func enumParam(name string, values []string, f func(c *Config) *string, help string) *Param {
	return &Param{Name: name, Kind: kindEnum, Enum: values, Help: help,
		get: func(c *Config) string { return *f(c) },
		set: func(c *Config, v string) error {
			lv := strings.ToLower(v)
			for _, e := range values {
				if e == lv {
					*f(c) = e
					return nil
				}
			}
			return fmt.Errorf("argument(s) must be one of the following: %s", strings.Join(values, ", "))
		}}
}

func stringParam(name string, f func(c *Config) *string, help string) *Param {
	return &Param{Name: name, Kind: kindString, Help: help,
		get: func(c *Config) string { return *f(c) },
		set: func(c *Config, v string) error { *f(c) = v; return nil }}
}

func alias(p *Param, name string) *Param { p.Alias = name; return p }

func immutable(p *Param) *Param { p.Immutable = true; return p }

func protected(p *Param) *Param { p.Protected = true; return p }

// only wraps p's parser so that it accepts just the values in ok (the
// others are refused with why): a parameter rundb cannot honour yet is
// accepted only at the value that is true of rundb.
func only(p *Param, why string, ok ...string) *Param {
	inner := p.set
	p.set = func(c *Config, v string) error {
		scratch := *c
		if err := inner(&scratch, v); err != nil {
			return err // a malformed value gets the parser's own reason
		}
		for _, o := range ok {
			if strings.EqualFold(v, o) {
				return inner(c, v)
			}
		}
		return errors.New(why)
	}
	return p
}

// dirParam is dir: protected; reads as the working directory's absolute
// path, as Redis reports it (rundb changes into dir at start, and CONFIG
// SET dir, where allowed, changes into the new one).
func dirParam() *Param {
	p := protected(stringParam("dir", func(c *Config) *string { return &c.Dir }, "working directory (rundb changes into it at start)"))
	p.get = func(c *Config) string {
		if wd, err := os.Getwd(); err == nil {
			return wd
		}
		return c.Dir
	}
	return p
}

// allowValues are the values of the enable-* parameters.
var allowValues = []string{"no", "yes", "local"}

// Allowed reports whether an enable-* value (no, yes, local) lets a client
// act; local says whether it is on the loopback interface or a Unix socket.
func Allowed(value string, local bool) bool {
	return value == "yes" || value == "local" && local
}

// params is the parameter table, in the order CONFIG GET * lists them.
var params = []*Param{
	intParam("port", 0, 65535, func(c *Config) *int64 { return &c.Port }, "TCP port to listen on (0: pick one); CONFIG SET port listens on the new port, then closes the old listeners"),
	immutable(stringParam("bind", func(c *Config) *string { return &c.Bind }, "address to listen on")),
	immutable(intParam("databases", 1, math.MaxInt32, func(c *Config) *int64 { return &c.Databases }, "number of databases")),
	intParam("maxclients", 1, math.MaxInt32, func(c *Config) *int64 { return &c.MaxClients }, "most clients connected at once"),
	hzParam(),
	intParam("active-expire-effort", 1, 10, func(c *Config) *int64 { return &c.ActiveExpireEffort }, "work of the active expiry cycle (1..10)"),
	intParam("timeout", 0, math.MaxInt32, func(c *Config) *int64 { return &c.Timeout }, "close idle clients after this many seconds (0: never)"),
	immutable(intParam("tcp-backlog", 0, math.MaxInt32, func(c *Config) *int64 { return &c.TCPBacklog }, "listen backlog")),
	stringParam("requirepass", func(c *Config) *string { return &c.RequirePass }, "password clients must AUTH with"),
	boolParam("protected-mode", func(c *Config) *bool { return &c.ProtectedMode }, "without requirepass, refuse clients that are not on the loopback interface"),
	immutable(enumParam("enable-protected-configs", allowValues, func(c *Config) *string { return &c.EnableProtectedConfigs }, "whether CONFIG SET may change protected parameters (dir): no, yes, or local (loopback clients only)")),
	immutable(enumParam("enable-debug-command", allowValues, func(c *Config) *string { return &c.EnableDebugCommand }, "whether DEBUG runs: no, yes, or local (loopback clients only)")),
	memParam("maxmemory", func(c *Config) *int64 { return &c.MaxMemory }, "memory limit for used_memory (0: none), checked before every command"),
	enumParam("maxmemory-policy", maxmemoryPolicies, func(c *Config) *string { return &c.MaxMemoryPolicy }, "what to evict at maxmemory (noeviction refuses deny-oom commands; simple-first is rundb's: one random key per check; the -lfu policies switch OBJECT FREQ on)"),
	intParam("maxmemory-samples", 1, math.MaxInt32, func(c *Config) *int64 { return &c.MaxMemorySamples }, "keys sampled per database per eviction pass (-lru, -lfu, volatile-ttl)"),
	intParam("maxmemory-eviction-tenacity", 0, 100, func(c *Config) *int64 { return &c.MaxMemoryEvictionTenacity }, "time limit of one eviction run: 50 µs per step up to 10 (500 µs), then 15% more per step, none at 100"),
	floatParam("eviction-ratio", 0, 1, func(c *Config) *float64 { return &c.EvictionRatio }, "rundb: allkeys-random and volatile-random evict down to maxmemory less this fraction of it"),
	intParam("eviction-pool-size", 1, 1024, func(c *Config) *int64 { return &c.EvictionPoolSize }, "rundb: eviction candidate pool size (-lru, -lfu, volatile-ttl)"),
	intParam("lfu-log-factor", 0, math.MaxInt32, func(c *Config) *int64 { return &c.LFULogFactor }, "LFU counter logarithm factor"),
	intParam("lfu-decay-time", 0, math.MaxInt32, func(c *Config) *int64 { return &c.LFUDecayTime }, "LFU counter decay minutes"),
	intParam("set-max-intset-entries", 0, math.MaxInt64, func(c *Config) *int64 { return &c.SetMaxIntsetEntries }, "largest set kept as an intset (all members integers)"),
	boolParam("appendonly", func(c *Config) *bool { return &c.AppendOnly }, "log every write to the append log and load it at start; CONFIG SET appendonly yes starts a rewrite"),
	immutable(stringParam("appendfilename", func(c *Config) *string { return &c.AppendFilename }, "prefix of the append log's file names")),
	immutable(stringParam("appenddirname", func(c *Config) *string { return &c.AppendDirName }, "directory of the append log's files, inside dir")),
	enumParam("appendfsync", []string{"everysec", "always", "no"}, func(c *Config) *string { return &c.AppendFsync }, "always: a write is acknowledged after fsync; everysec: fsync once a second off the loop; no: the kernel decides"),
	boolParam("aof-load-truncated", func(c *Config) *bool { return &c.AOFLoadTruncated }, "load an append log cut off mid-command up to its last whole command (no: refuse to start)"),
	only(boolParam("aof-use-rdb-preamble", func(c *Config) *bool { return new(bool) }, "base files are RESP commands; only no"),
		"rundb writes base files as commands, never RDB: aof-use-rdb-preamble can only be no", "no"),
	intParam("auto-aof-rewrite-percentage", 0, math.MaxInt32, func(c *Config) *int64 { return &c.AutoAOFRewritePercent }, "rewrite when the log grew this much over the base (0: never)"),
	memParam("auto-aof-rewrite-min-size", func(c *Config) *int64 { return &c.AutoAOFRewriteMinSize }, "no automatic rewrite below this log size"),
	dirParam(),
	only(stringParam("save", func(c *Config) *string { return &c.Save }, "RDB snapshot schedule; only \"\" (rundb writes no RDB snapshots)"),
		"Invalid save parameters: rundb writes no RDB snapshots, only save \"\" is accepted", ""),
	memParam("proto-max-bulk-len", func(c *Config) *int64 { return &c.ProtoMaxBulkLen }, "largest bulk string accepted"),
	memParam("client-query-buffer-limit", func(c *Config) *int64 { return &c.ClientQueryBufferLimit }, "largest unparsed input per client"),
	outputLimitParam(),
	alias(intParam("list-max-listpack-size", math.MinInt32, math.MaxInt32, func(c *Config) *int64 { return &c.ListMaxListpackSize }, "a new list's node bound: -1..-5 is 4..64 KB of listpack bytes, a positive value counts entries (kept between -5 and 32767)"), "list-max-ziplist-size"),
	intParam("list-compress-depth", 0, math.MaxInt32, func(c *Config) *int64 { return &c.ListCompressDepth }, "kept with each new list; rundb does not compress list nodes"),
	intParam("latency-monitor-threshold", 0, math.MaxInt64, func(c *Config) *int64 { return &c.LatencyMonitorThreshold }, "record loop stalls longer than this (ms; 0: off)"),
	boolParam("latency-tracking", func(c *Config) *bool { return &c.LatencyTracking }, "keep per-command latency histograms"),
	percentilesParam(),
	immutable(stringParam("alloc", func(c *Config) *string { return &c.Alloc }, "rundb: allocator backend")),
	immutable(stringParam("keyspace-layout", func(c *Config) *string { return &c.KeyspaceLayout }, "rundb: layout of the keyspace and expires tables (rundb --help lists them)")),
	enumParam("loglevel", []string{"debug", "verbose", "notice", "warning"}, func(c *Config) *string { return &c.LogLevel }, "log verbosity"),
	immutable(stringParam("logfile", func(c *Config) *string { return &c.LogFile }, "log file (empty: standard error)")),
	only(immutable(boolParam("daemonize", func(c *Config) *bool { return &c.Daemonize }, "only no: rundb never daemonizes")),
		"rundb does not daemonize: daemonize can only be no", "no"),
}

// Params returns the parameter table, in the order CONFIG GET * lists it.
func Params() []*Param { return params }

func hzParam() *Param {
	p := intParam("hz", math.MinInt32, math.MaxInt32, func(c *Config) *int64 { return &c.Hz }, "server cron frequency")
	inner := p.set
	p.set = func(c *Config, v string) error {
		if err := inner(c, v); err != nil {
			return err
		}
		if c.Hz < 1 {
			c.Hz = 1
		}
		if c.Hz > 500 {
			c.Hz = 500
		}
		return nil
	}
	return p
}

func floatParam(name string, min, max float64, f func(c *Config) *float64, help string) *Param {
	return &Param{Name: name, Kind: kindFloat, Help: help,
		get: func(c *Config) string { return strconv.FormatFloat(*f(c), 'g', -1, 64) },
		set: func(c *Config, v string) error {
			x, err := strconv.ParseFloat(v, 64)
			if err != nil || x < min || x > max {
				return fmt.Errorf("argument must be between %g and %g inclusive", min, max)
			}
			*f(c) = x
			return nil
		}}
}

func outputLimitParam() *Param {
	return &Param{Name: "client-output-buffer-limit", Kind: kindSpecial,
		Help: "normal <hard> <soft> <soft-seconds>: close clients whose output grows past it (the replica and pubsub classes are kept; no client is of them yet)",
		get: func(c *Config) string {
			r, p := c.ClientOutputReplica, c.ClientOutputPubsub
			return fmt.Sprintf("normal %d %d %d slave %d %d %d pubsub %d %d %d",
				c.ClientOutputHard, c.ClientOutputSoft, c.ClientOutputSoftSeconds, r[0], r[1], r[2], p[0], p[1], p[2])
		},
		set: func(c *Config, v string) error {
			f := strings.Fields(v)
			if len(f)%4 != 0 || len(f) == 0 {
				return fmt.Errorf("Wrong number of arguments in buffer limit configuration.")
			}
			normal := [3]int64{c.ClientOutputHard, c.ClientOutputSoft, c.ClientOutputSoftSeconds}
			replica, pubsub := c.ClientOutputReplica, c.ClientOutputPubsub
			for i := 0; i < len(f); i += 4 {
				class := strings.ToLower(f[i])
				if class != "normal" && class != "slave" && class != "replica" && class != "pubsub" {
					return fmt.Errorf("Invalid client class specified in buffer limit configuration.")
				}
				hard, ok1 := ParseMemory(f[i+1])
				soft, ok2 := ParseMemory(f[i+2])
				secs, err := strconv.ParseInt(f[i+3], 10, 64)
				if !ok1 || !ok2 || err != nil || secs < 0 {
					return fmt.Errorf("Error in hard, soft or soft_seconds setting in buffer limit configuration.")
				}
				switch class {
				case "normal":
					normal = [3]int64{hard, soft, secs}
				case "pubsub":
					pubsub = [3]int64{hard, soft, secs}
				default:
					replica = [3]int64{hard, soft, secs}
				}
			}
			c.ClientOutputHard, c.ClientOutputSoft, c.ClientOutputSoftSeconds = normal[0], normal[1], normal[2]
			c.ClientOutputReplica, c.ClientOutputPubsub = replica, pubsub
			return nil
		}}
}

func percentilesParam() *Param {
	return &Param{Name: "latency-tracking-info-percentiles", Kind: kindSpecial,
		Help: "percentiles INFO latencystats reports",
		get: func(c *Config) string {
			f := make([]string, len(c.LatencyPercentiles))
			for i, p := range c.LatencyPercentiles {
				f[i] = strconv.FormatFloat(p, 'f', -1, 64)
			}
			return strings.Join(f, " ")
		},
		set: func(c *Config, v string) error {
			var ps []float64
			for _, f := range strings.Fields(v) {
				p, err := strconv.ParseFloat(f, 64)
				if err != nil || math.IsNaN(p) {
					return fmt.Errorf("Invalid latency-tracking-info-percentiles parameters")
				}
				if p < 0 || p > 100 {
					return fmt.Errorf("latency-tracking-info-percentiles parameters should sit between [0.0,100.0]")
				}
				ps = append(ps, p)
			}
			c.LatencyPercentiles = ps
			return nil
		}}
}

// Lookup finds a parameter by name, case-insensitively.
func Lookup(name string) *Param {
	name = strings.ToLower(name)
	for _, p := range params {
		if p.Name == name || (p.Alias != "" && p.Alias == name) {
			return p
		}
	}
	return nil
}

// Get returns the parameter's current value as CONFIG GET shows it.
func (p *Param) Get(c *Config) string { return p.get(c) }

// Set parses v into the configuration, returning Redis's reason on failure.
func (p *Param) Set(c *Config, v string) error { return p.set(c, v) }

// ParseMemory parses a memory value: a number with an optional unit
// (k, kb, m, mb, g, gb; k=1000, kb=1024), case-insensitively.
func ParseMemory(s string) (int64, bool) {
	ls := strings.ToLower(s)
	mul := int64(1)
	for _, u := range []struct {
		suffix string
		m      int64
	}{{"gb", 1 << 30}, {"mb", 1 << 20}, {"kb", 1 << 10}, {"g", 1e9}, {"m", 1e6}, {"k", 1e3}, {"b", 1}} {
		if strings.HasSuffix(ls, u.suffix) {
			ls = ls[:len(ls)-len(u.suffix)]
			mul = u.m
			break
		}
	}
	n, err := strconv.ParseInt(ls, 10, 64)
	if err != nil || n < 0 {
		return 0, false
	}
	if mul > 1 && n > math.MaxInt64/mul {
		return 0, false
	}
	return n * mul, true
}

// SetError is a refused CONFIG SET: Error is the reply's text after "ERR ".
type SetError struct{ msg string }

func (e *SetError) Error() string { return e.msg }

func setFailed(arg, why string) *SetError {
	return &SetError{"CONFIG SET failed (possibly related to argument '" + arg + "') - " + why}
}

// Set applies CONFIG SET's name/value pairs (an even number of words) to
// c, all or nothing, with Redis 7.0's rules: an unknown name, an immutable
// or protected parameter or a name given twice refuses the whole command
// before anything changes; then every value is parsed in turn, and a bad
// one restores the values already set. apply, when not nil, is then called
// once per changed parameter to make the running server follow (a new cron
// rate, a new listening port); if it fails, the old values are restored,
// apply runs again for each of them, and the error names the parameter.
// Parameter names in errors are spelled as the client wrote them. local
// says whether the client is on the loopback interface (for protected
// parameters under enable-protected-configs local).
func Set(c *Config, pairs []string, local bool, apply func(p *Param) error) error {
	n := len(pairs) / 2
	ps := make([]*Param, n)
	for i := 0; i < n; i++ {
		name := pairs[2*i]
		p := Lookup(name)
		if p == nil {
			return &SetError{"Unknown option or number of arguments for CONFIG SET - '" + name + "'"}
		}
		if p.Immutable {
			return setFailed(name, "can't set immutable config")
		}
		if p.Protected && !Allowed(c.EnableProtectedConfigs, local) {
			return setFailed(name, "can't set protected config")
		}
		for j := 0; j < i; j++ {
			if ps[j] == p {
				return setFailed(name, "duplicate parameter")
			}
		}
		ps[i] = p
	}
	old := make([]string, n)
	for i, p := range ps {
		old[i] = p.Get(c)
	}
	restore := func(upTo int) {
		for j := upTo; j >= 0; j-- {
			_ = ps[j].Set(c, old[j])
		}
	}
	for i, p := range ps {
		if err := p.Set(c, pairs[2*i+1]); err != nil {
			restore(i)
			return setFailed(pairs[2*i], err.Error())
		}
	}
	if apply == nil {
		return nil
	}
	for i, p := range ps {
		if err := apply(p); err != nil {
			restore(n - 1)
			for _, q := range ps[:i+1] {
				_ = apply(q)
			}
			return setFailed(pairs[2*i], err.Error())
		}
	}
	return nil
}

// Rewrite writes c back to c.ConfigFile (CONFIG REWRITE): lines setting a
// known parameter get its current value (repeats are dropped), other lines
// are kept, and parameters that differ from the defaults but were not in
// the file are appended. The file is replaced atomically.
func Rewrite(c *Config) error {
	path := c.ConfigFile
	var lines []string
	if f, err := os.Open(path); err == nil {
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			lines = append(lines, sc.Text())
		}
		f.Close()
		if err := sc.Err(); err != nil {
			return err
		}
	} else if !os.IsNotExist(err) {
		return err
	}
	done := map[*Param]bool{}
	var out []string
	for _, l := range lines {
		f := strings.Fields(l)
		if len(f) == 0 || strings.HasPrefix(f[0], "#") {
			out = append(out, l)
			continue
		}
		p := Lookup(f[0])
		if p == nil {
			out = append(out, l)
			continue
		}
		if done[p] {
			continue
		}
		done[p] = true
		out = append(out, p.Name+" "+Quote(p.Get(c)))
	}
	def := Default()
	header := false
	for _, p := range params {
		if done[p] || p.Get(c) == p.Get(def) {
			continue
		}
		if !header {
			out = append(out, "# Generated by CONFIG REWRITE")
			header = true
		}
		out = append(out, p.Name+" "+Quote(p.Get(c)))
	}
	tmp := fmt.Sprintf("%s.tmp-%d", path, os.Getpid())
	data := strings.Join(out, "\n") + "\n"
	if err := os.WriteFile(tmp, []byte(data), 0o644); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

// Quote quotes a value that is empty or has spaces, quotes or control
// characters, in the double-quoted form a config file line reads back.
func Quote(v string) string {
	if v != "" && !strings.ContainsAny(v, " \t\r\n\"'\\") && !hasControl(v) {
		return v
	}
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(v); i++ {
		switch ch := v[i]; ch {
		case '"', '\\':
			b.WriteByte('\\')
			b.WriteByte(ch)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			if ch < ' ' || ch > '~' {
				fmt.Fprintf(&b, `\x%02x`, ch)
			} else {
				b.WriteByte(ch)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

func hasControl(v string) bool {
	for i := 0; i < len(v); i++ {
		if v[i] < ' ' || v[i] > '~' {
			return true
		}
	}
	return false
}
