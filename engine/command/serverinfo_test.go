package command

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"rundb/engine/ds"
)

func TestBytesToHuman(t *testing.T) {
	for _, tt := range []struct {
		n    uint64
		want string
	}{
		{0, "0B"}, {1023, "1023B"}, {1024, "1.00K"}, {1100000, "1.05M"}, {1167720, "1.11M"},
		{25276510208, "23.54G"}, {3 << 40, "3.00T"},
	} {
		if got := BytesToHuman(tt.n); got != tt.want {
			t.Errorf("BytesToHuman(%d) = %q; want %q", tt.n, got, tt.want)
		}
	}
}

// infoSectionsOf returns the section titles of an INFO reply.
func infoSectionsOf(t *testing.T, r string) (titles []string, body string) {
	t.Helper()
	body = bulkBody(t, r)
	for _, l := range strings.Split(body, "\r\n") {
		if strings.HasPrefix(l, "# ") {
			titles = append(titles, l[2:])
		}
	}
	return titles, body
}

func TestInfo(t *testing.T) {
	s, c := testServer(nil)
	d := s.KS.DBs[0]
	e := ds.NewString(s.KS.Alloc, []byte("k"), []byte("v"), ds.StringEncoding([]byte("v")), 0, false, 0)
	d.Put(e)
	e2 := ds.NewString(s.KS.Alloc, []byte("t"), []byte("v"), ds.StringEncoding([]byte("v")), time.Now().UnixMilli()+100000, true, 0)
	s.KS.DBs[2].Put(e2)

	titles, body := infoSectionsOf(t, do(s, c, "info"))
	if got := strings.Join(titles, ","); got != "Server,Clients,Memory,Persistence,Stats,Replication,CPU,Modules,Errorstats,Cluster,Keyspace" {
		t.Errorf("INFO sections: %s", got)
	}
	if !strings.HasSuffix(body, "\r\n# Keyspace\r\ndb0:keys=1,expires=0,avg_ttl=0\r\ndb2:keys=1,expires=1,avg_ttl=0\r\n") {
		t.Errorf("INFO keyspace: %q", body[max(0, len(body)-100):])
	}
	if !strings.HasPrefix(body, "# Server\r\nredis_version:7.0.15\r\n") || strings.Contains(strings.ReplaceAll(body, "\r\n", ""), "\n") {
		t.Errorf("INFO body: %.80q", body)
	}
	for _, re := range []string{
		`\r\nused_memory:[1-9]\d*\r\nused_memory_human:[\d.]+[BKMG]\r\nused_memory_rss:\d+\r\n`,
		`\r\nmem_allocator:goheap\r\n`, `\r\nused_memory_per_key:\d+\r\n`, `\r\nused_memory_peak:[1-9]\d*\r\n`,
		`\r\nrole:master\r\n`, `\r\nconnected_clients:1\r\n`, `\r\nprocess_id:\d+\r\n`, `\r\ntcp_port:7379\r\n`,
		`\r\nrundb_version:`, `\r\nhz:10\r\n`, `\r\nuptime_in_seconds:\d+\r\n`, `\r\nused_cpu_user:\d+\.\d{6}\r\n`,
		`\r\ntotal_commands_processed:\d+\r\n`, `\r\nkeyspace_hits:0\r\n`, `\r\naof_enabled:0\r\n`,
		`\r\n\r\n# Clients\r\n`, `\r\ncluster_enabled:0\r\n`,
	} {
		if !regexp.MustCompile(re).MatchString(body) {
			t.Errorf("INFO lacks /%s/", re)
		}
	}

	connRun(t, s, c, []connStep{
		cs("$0\r\n\r\n", "info", "nosuch"),
		cs("$76\r\n# Keyspace\r\ndb0:keys=1,expires=0,avg_ttl=0\r\ndb2:keys=1,expires=1,avg_ttl=0\r\n\r\n", "info", "KEYSPACE"),
	})
	titles, _ = infoSectionsOf(t, do(s, c, "info", "keyspace", "server"))
	if strings.Join(titles, ",") != "Server,Keyspace" {
		t.Errorf("INFO keyspace server: %v", titles)
	}
	titles, body = infoSectionsOf(t, do(s, c, "info", "everything"))
	if !strings.Contains(strings.Join(titles, ","), "Commandstats") {
		t.Errorf("INFO everything: %v", titles)
	}
	if !regexp.MustCompile(`\r\ncmdstat_info:calls=\d+,usec=\d+,usec_per_call=\d+\.\d\d,rejected_calls=0,failed_calls=0\r\n`).MatchString(body) {
		t.Errorf("commandstats: %q", body)
	}

	// Hooks override and extend.
	s.hooks.MemoryInfo = func() [][2]string { return [][2]string{{"used_memory_rss", "123456"}, {"rundb_x", "1"}} }
	s.hooks.ServerInfo = func() [][2]string { return [][2]string{{"tcp_port", "6000"}} }
	_, body = infoSectionsOf(t, do(s, c, "info", "memory", "server"))
	for _, want := range []string{"\r\nused_memory_rss:123456\r\nused_memory_rss_human:120.56K\r\n", "\r\nrundb_x:1\r\n", "\r\ntcp_port:6000\r\n"} {
		if !strings.Contains(body, want) {
			t.Errorf("INFO with hooks lacks %q", want)
		}
	}
}

func TestConfigCommands(t *testing.T) {
	s, c := testServer(nil)
	var changed []string
	s.hooks.ApplyConfig = func(name string) error {
		changed = append(changed, name)
		if name == "port" && s.Config.Port == 1 {
			return errors.New("Unable to listen on this port. Check server logs.")
		}
		return nil
	}
	connRun(t, s, c, []connStep{
		cs("-ERR wrong number of arguments for 'config|get' command\r\n", "config", "get"),
		cs("*2\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n", "config", "get", "maxmemory"),
		cs("*2\r\n$4\r\nport\r\n$4\r\n7379\r\n", "config", "get", "port", "PORT"),
		cs("*2\r\n$4\r\nPORT\r\n$4\r\n7379\r\n", "config", "get", "PORT", "port"),
		cs("*2\r\n$4\r\nport\r\n$4\r\n7379\r\n", "config", "get", "Port*"),
		cs("*0\r\n", "config", "get", "foo"),
		cs("*8\r\n$16\r\nmaxmemory-policy\r\n$10\r\nnoeviction\r\n$17\r\nmaxmemory-samples\r\n$1\r\n5\r\n$27\r\nmaxmemory-eviction-tenacity\r\n$2\r\n10\r\n$2\r\nhz\r\n$2\r\n10\r\n",
			"config", "get", "maxmemory-*", "hz"),
		cs("-ERR Unknown option or number of arguments for CONFIG SET - 'foo'\r\n", "config", "set", "foo", "bar"),
		cs("-ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be a memory value\r\n", "config", "set", "maxmemory", "abc"),
		cs("-ERR syntax error\r\n", "config", "set", "maxmemory", "10mb", "hz"),
		cs("-ERR CONFIG SET failed (possibly related to argument 'hz') - duplicate parameter\r\n", "config", "set", "hz", "5", "hz", "6"),
		cs("-ERR Unknown option or number of arguments for CONFIG SET - 'foo'\r\n", "config", "set", "hz", "5", "foo", "1"),
		cs("-ERR CONFIG SET failed (possibly related to argument 'hz') - argument couldn't be parsed into an integer\r\n", "config", "set", "hz", "abc"),
		cs("-ERR CONFIG SET failed (possibly related to argument 'maxmemory-policy') - argument(s) must be one of the following: "+
			"volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction, simple-first\r\n",
			"config", "set", "maxmemory-policy", "bad"),
		cs("-ERR CONFIG SET failed (possibly related to argument 'databases') - can't set immutable config\r\n", "config", "set", "databases", "3"),
		cs("-ERR CONFIG SET failed (possibly related to argument 'appendonly') - argument must be 'yes' or 'no'\r\n", "config", "set", "appendonly", "maybe"),
		cs("-ERR CONFIG SET failed (possibly related to argument 'port') - argument must be between 0 and 65535 inclusive\r\n", "config", "set", "port", "70000"),
		// Atomic: hz is restored when maxmemory fails.
		cs("-ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be a memory value\r\n", "config", "set", "hz", "5", "maxmemory", "x"),
		cs("*2\r\n$2\r\nhz\r\n$2\r\n10\r\n", "config", "get", "hz"),
		cs("+OK\r\n", "config", "set", "hz", "20", "MAXMEMORY", "1mb"),
		cs("*4\r\n$9\r\nmaxmemory\r\n$7\r\n1048576\r\n$2\r\nhz\r\n$2\r\n20\r\n", "config", "get", "maxmemory", "hz"),
		// A change the server cannot apply is undone, hz with it.
		cs("-ERR CONFIG SET failed (possibly related to argument 'port') - Unable to listen on this port. Check server logs.\r\n",
			"config", "set", "hz", "7", "port", "1"),
		cs("*4\r\n$4\r\nport\r\n$4\r\n7379\r\n$2\r\nhz\r\n$2\r\n20\r\n", "config", "get", "port", "hz"),
		cs("-ERR CONFIG SET failed (possibly related to argument 'daemonize') - can't set immutable config\r\n", "config", "set", "daemonize", "yes"),
		cs("-ERR CONFIG SET failed (possibly related to argument 'dir') - can't set protected config\r\n", "config", "set", "dir", "/tmp"),
		cs("-ERR CONFIG SET failed (possibly related to argument 'aof-use-rdb-preamble') - rundb writes base files as commands, never RDB: aof-use-rdb-preamble can only be no\r\n",
			"config", "set", "aof-use-rdb-preamble", "yes"),
		cs("+OK\r\n", "config", "set", "appendonly", "no", "save", ""),
		cs("-ERR The server is running without a config file\r\n", "config", "rewrite"),
		cs("+OK\r\n", "config", "resetstat"),
		cs("-ERR unknown subcommand 'foo'. Try CONFIG HELP.\r\n", "config", "foo"),
	})
	// hz,maxmemory; then hz,port refused and hz,port applied again with
	// the old values; then appendonly,save.
	if strings.Join(changed, ",") != "hz,maxmemory,hz,port,hz,port,appendonly,save" {
		t.Errorf("OnChange calls: %v", changed)
	}
	if s.Config.Hz != 20 || s.Config.MaxMemory != 1<<20 {
		t.Errorf("config after SET: hz=%d maxmemory=%d", s.Config.Hz, s.Config.MaxMemory)
	}
	if s.stats.CommandsProcessed != 1 { // RESETSTAT itself is counted after it ran
		t.Errorf("RESETSTAT left commands=%d", s.stats.CommandsProcessed)
	}
	help := do(s, c, "config", "help")
	if help != "*11\r\n+CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n+GET <pattern>\r\n"+
		"+    Return parameters matching the glob-like <pattern> and their values.\r\n+SET <directive> <value>\r\n"+
		"+    Set the configuration <directive> to <value>.\r\n+RESETSTAT\r\n+    Reset statistics reported by the INFO command.\r\n"+
		"+REWRITE\r\n+    Rewrite the configuration file.\r\n+HELP\r\n+    Prints this help.\r\n" {
		t.Errorf("CONFIG HELP: %q", help)
	}

	// REWRITE keeps comments and unknown lines, updates known ones, drops
	// repeats and appends changed parameters.
	dir := t.TempDir()
	path := filepath.Join(dir, "rundb.conf")
	if err := os.WriteFile(path, []byte("# my config\nport 7000\nfoo bar\nhz 1\nhz 2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s.Config.ConfigFile = path
	s.Config.EnableDebugCommand = "no" // testServer's, not part of this test
	connRun(t, s, c, []connStep{
		cs("+OK\r\n", "config", "set", "save", ""),
		cs("+OK\r\n", "config", "set", "requirepass", "a b"),
		cs("+OK\r\n", "config", "rewrite"),
	})
	got, _ := os.ReadFile(path)
	want := "# my config\nport 7379\nfoo bar\nhz 20\n# Generated by CONFIG REWRITE\nrequirepass \"a b\"\nmaxmemory 1048576\n"
	if string(got) != want {
		t.Errorf("rewritten config:\n%s\nwant:\n%s", got, want)
	}
}

func TestLatencyTimeShutdown(t *testing.T) {
	s, c := testServer(nil)
	connRun(t, s, c, []connStep{
		cs("*0\r\n", "latency", "latest"),
		cs("*0\r\n", "latency", "history", "command"),
		cs("-ERR wrong number of arguments for 'latency|history' command\r\n", "latency", "history"),
		cs(":0\r\n", "latency", "reset"),
		cs("$288\r\nI'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. If we weren't in a deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n\r\n", "latency", "doctor"),
		cs("+OK\r\n", "config", "set", "latency-monitor-threshold", "100"),
		cs("$196\r\nDave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. I honestly think you ought to sit down calmly, take a stress pill, and think things over.\n\r\n", "latency", "doctor"),
		cs("-ERR unknown subcommand 'foo'. Try LATENCY HELP.\r\n", "latency", "foo"),
	})
	at := time.Unix(1700000000, 0)
	s.latencyMon.Add("command", at, 250*time.Millisecond)
	s.latencyMon.Add("command", at.Add(5*time.Second), 120*time.Millisecond)
	s.latencyMon.Add("event-loop", at, 300*time.Millisecond)
	connRun(t, s, c, []connStep{
		cs("*2\r\n*4\r\n$7\r\ncommand\r\n:1700000005\r\n:120\r\n:250\r\n*4\r\n$10\r\nevent-loop\r\n:1700000000\r\n:300\r\n:300\r\n", "latency", "latest"),
		cs("*2\r\n*2\r\n:1700000000\r\n:250\r\n*2\r\n:1700000005\r\n:120\r\n", "latency", "history", "command"),
		cs(":1\r\n", "latency", "reset", "command", "nosuch"),
		cs(":1\r\n", "latency", "reset"),
		cs("*0\r\n", "latency", "latest"),
	})
	s.latencyMon.Add("command", at, 250*time.Millisecond)
	if d := do(s, c, "latency", "doctor"); !strings.Contains(d, "\n1. command: 1 latency spikes (average 250ms, mean deviation 0ms). Worst all time event 250ms.\n") {
		t.Errorf("LATENCY DOCTOR: %q", d)
	}
	if h := do(s, c, "latency", "help"); !strings.HasPrefix(h, "*17\r\n+LATENCY <subcommand>") {
		t.Errorf("LATENCY HELP: %q", h)
	}

	r := do(s, c, "time")
	if !regexp.MustCompile(`^\*2\r\n\$10\r\n\d{10}\r\n\$\d\r\n\d{1,6}\r\n$`).MatchString(r) {
		t.Errorf("TIME: %q", r)
	}
	if r := do(s, c, "lastsave"); r != ":"+strconv.FormatInt(s.startTime.Unix(), 10)+"\r\n" {
		t.Errorf("LASTSAVE: %q", r)
	}

	var gotSave, gotNoSave bool
	calls := 0
	s.hooks.Shutdown = func(c *Client, save, nosave bool) error {
		calls++
		gotSave, gotNoSave = save, nosave
		return nil
	}
	connRun(t, s, c, []connStep{
		cs("-ERR syntax error\r\n", "shutdown", "foo"),
		cs("-ERR syntax error\r\n", "shutdown", "save", "nosave"),
		cs("-ERR syntax error\r\n", "shutdown", "abort", "now"),
		cs("-ERR No shutdown in progress.\r\n", "shutdown", "abort"),
	})
	if calls != 0 {
		t.Fatal("SHUTDOWN hook called on a syntax error")
	}
	connRun(t, s, c, []connStep{cs("", "shutdown", "NOSAVE", "now")})
	if calls != 1 || gotSave || !gotNoSave || !s.shutdownAsked || !c.CloseAfterReply {
		t.Errorf("SHUTDOWN NOSAVE: calls=%d save=%v nosave=%v asked=%v", calls, gotSave, gotNoSave, s.shutdownAsked)
	}
}
