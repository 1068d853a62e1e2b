package main

// Persistence end to end, on the built binary: restart round trips of
// every type on three backends, kill -9 under a write load with
// appendfsync always and everysec, a full disk, a corrupt file refused
// without being touched, and a rundb directory loaded by redis-server.

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

var (
	buildOnce sync.Once
	builtBin  string
	buildErr  error
)

// rundbBinary builds cmd/rundb once per test binary.
func rundbBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary; skipped in -short mode")
	}
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "rundb-bin")
		if err != nil {
			buildErr = err
			return
		}
		builtBin = filepath.Join(dir, "rundb")
		if out, err := exec.Command("go", "build", "-o", builtBin, ".").CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return builtBin
}

// proc is a rundb process of a test.
type proc struct {
	cmd  *exec.Cmd
	addr string
	out  *syncBuf
	done chan error
	rdb  *redis.Client
}

type syncBuf struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuf) add(line string) { s.mu.Lock(); s.b.WriteString(line + "\n"); s.mu.Unlock() }
func (s *syncBuf) String() string  { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// startProc runs rundb in dir with args and waits for its banner; it
// fails the test if the server exits first.
func startProc(t *testing.T, dir string, args ...string) *proc {
	t.Helper()
	p, err := tryStart(t, dir, args...)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func tryStart(t *testing.T, dir string, args ...string) (*proc, error) {
	t.Helper()
	bin := rundbBinary(t)
	cmd := exec.Command(bin, append([]string{"--port", "0", "--dir", dir}, args...)...)
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &proc{cmd: cmd, out: &syncBuf{}, done: make(chan error, 1)}
	addrc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		sent := false
		for sc.Scan() {
			line := sc.Text()
			p.out.add(line)
			if i := strings.Index(line, "listening on "); i >= 0 && !sent {
				addrc <- strings.Fields(line[i+len("listening on "):])[0]
				sent = true
			}
		}
		close(addrc)
		p.done <- cmd.Wait()
	}()
	select {
	case addr, ok := <-addrc:
		if !ok {
			return nil, fmt.Errorf("rundb exited before listening: %v\n%s", <-p.done, p.out)
		}
		p.addr = addr
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		return nil, fmt.Errorf("rundb did not listen within 60 s\n%s", p.out)
	}
	p.rdb = redis.NewClient(&redis.Options{Addr: p.addr, MaxRetries: -1})
	t.Cleanup(func() {
		p.rdb.Close()
		if p.cmd.ProcessState == nil {
			p.cmd.Process.Kill()
			<-p.done
		}
	})
	return p, nil
}

// waitExit waits for the process to exit and returns its exit code.
func (p *proc) waitExit(t *testing.T) int {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(60 * time.Second):
		p.cmd.Process.Kill()
		t.Fatalf("rundb did not exit\n%s", p.out)
	}
	return p.cmd.ProcessState.ExitCode()
}

func (p *proc) kill9(t *testing.T) {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGKILL)
	p.waitExit(t)
}

var ctx = context.Background()

// fill writes one of everything: every encoding of strings, lists and
// sets, with and without deadlines, in two databases, plus keys deleted
// and overwritten, and returns the dump of what the server holds.
func fill(t *testing.T, rdb *redis.Client) {
	t.Helper()
	big := strings.Repeat("x", 100_000)
	do := func(args ...any) {
		if err := rdb.Do(ctx, args...).Err(); err != nil && err != redis.Nil {
			t.Fatalf("%v: %v", args, err)
		}
	}
	for _, db := range []int{0, 3} {
		do("SELECT", db)
		do("SET", "int", 12345)
		do("SET", "neg", -7)
		do("SET", "emb", "hello")
		do("SET", "raw", strings.Repeat("r", 200))
		do("SET", "big", big)
		do("SET", "bin", "a\x00b\r\nc")
		do("SET", "ttl", "v", "PX", 3_600_000)
		do("SET", "gone", "v")
		do("DEL", "gone")
		do("SET", "over", "1")
		do("SET", "over", "2")
		do("APPEND", "over", "3")
		do("INCR", "int")
		do("RPUSH", "small", "a", "b", "1", "-2")
		args := []any{"RPUSH", "long"}
		for i := 0; i < 1000; i++ {
			args = append(args, fmt.Sprintf("element-%d", i))
		}
		do(args...)
		do("LPOP", "long")
		do("PEXPIRE", "long", 7_200_000)
		do("SADD", "ints", 1, 2, 3, -4)
		args = []any{"SADD", "hset"}
		for i := 0; i < 700; i++ {
			args = append(args, fmt.Sprintf("m%d", i))
		}
		do(args...)
		do("SREM", "hset", "m1")
		do("SADD", "mixed", "a", 1)
		do("PEXPIRE", "ints", 9_000_000)
	}
}

// dump reads back every key of dbs 0..15: type, value and deadline
// (rounded to the second).
func dump(t *testing.T, addr string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for db := 0; db < 16; db++ {
		c := redis.NewClient(&redis.Options{Addr: addr, DB: db, MaxRetries: -1})
		keys, err := c.Keys(ctx, "*").Result()
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range keys {
			typ := c.Type(ctx, k).Val()
			var v string
			switch typ {
			case "string":
				v = c.Get(ctx, k).Val()
			case "list":
				v = strings.Join(c.LRange(ctx, k, 0, -1).Val(), ",")
			case "set":
				m := c.SMembers(ctx, k).Val()
				sort.Strings(m)
				v = strings.Join(m, ",")
			}
			// A string's encoding is not kept (as in Redis: "23" made
			// by APPEND is raw, loaded back it is an int); a list's and a
			// set's follow from their contents and are.
			enc := "-"
			if typ != "string" {
				enc = c.ObjectEncoding(ctx, k).Val()
			}
			ttl := c.PTTL(ctx, k).Val()
			d := "none"
			if ttl > 0 {
				d = strconv.FormatInt(int64((ttl+30*time.Second)/time.Minute), 10) + "m"
			}
			out[fmt.Sprintf("%d/%s", db, k)] = fmt.Sprintf("%s %s ttl=%s %q", typ, enc, d, clipStr(v))
		}
		c.Close()
	}
	return out
}

func clipStr(s string) string {
	if len(s) > 64 {
		return fmt.Sprintf("%s...(%d bytes)", s[:64], len(s))
	}
	return s
}

func sameDump(t *testing.T, what string, want, got map[string]string) {
	t.Helper()
	if len(want) == 0 {
		t.Fatalf("%s: nothing to compare", what)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %s = %s; want %s", what, k, got[k], v)
		}
	}
	for k, v := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("%s: extra key %s = %s", what, k, v)
		}
	}
}

// TestRestartRoundTrip: on goheap, arena and jemalloc, every type with and
// without deadlines survives (1) SHUTDOWN and a restart (the final
// snapshot), (2) a BGREWRITEAOF, more writes, and kill -9 under
// appendfsync always (base plus increment), (3) SIGTERM, and (4) with
// appendonly no, SAVE then SHUTDOWN NOSAVE.
func TestRestartRoundTrip(t *testing.T) {
	for _, alloc := range []string{"goheap", "arena", "jemalloc"} {
		t.Run(alloc, func(t *testing.T) {
			dir := t.TempDir()
			args := []string{"--alloc", alloc, "--appendonly", "yes", "--appendfsync", "always"}
			p := startProc(t, dir, args...)
			fill(t, p.rdb)
			want := dump(t, p.addr)
			if err := p.rdb.Shutdown(ctx).Err(); err != nil && !isClosed(err) {
				t.Fatalf("SHUTDOWN: %v", err)
			}
			if code := p.waitExit(t); code != 0 {
				t.Fatalf("exit %d after SHUTDOWN\n%s", code, p.out)
			}
			p = startProc(t, dir, args...)
			sameDump(t, "after SHUTDOWN", want, dump(t, p.addr))

			// A rewrite, then writes that only the increment holds.
			if err := p.rdb.BgRewriteAOF(ctx).Err(); err != nil {
				t.Fatal(err)
			}
			waitRewrite(t, p.rdb)
			p.rdb.Do(ctx, "SELECT", 0)
			p.rdb.Set(ctx, "after", "rewrite", 0)
			p.rdb.RPush(ctx, "small", "tail")
			p.rdb.Del(ctx, "emb")
			want = dump(t, p.addr)
			p.kill9(t)
			p = startProc(t, dir, args...)
			sameDump(t, "after kill -9", want, dump(t, p.addr))

			p.cmd.Process.Signal(syscall.SIGTERM)
			if code := p.waitExit(t); code != 0 {
				t.Fatalf("exit %d after SIGTERM\n%s", code, p.out)
			}
			p = startProc(t, dir, args...)
			sameDump(t, "after SIGTERM", want, dump(t, p.addr))
			p.kill9(t)

			// appendonly no: SAVE writes a base that the next start loads.
			dir2 := t.TempDir()
			p = startProc(t, dir2, "--alloc", alloc)
			fill(t, p.rdb)
			want = dump(t, p.addr)
			if err := p.rdb.Save(ctx).Err(); err != nil {
				t.Fatal(err)
			}
			p.rdb.Set(ctx, "unsaved", "1", 0)
			p.rdb.Do(ctx, "SHUTDOWN", "NOSAVE")
			p.waitExit(t)
			p = startProc(t, dir2, "--alloc", alloc)
			sameDump(t, "after SAVE", want, dump(t, p.addr))
		})
	}
}

func isClosed(err error) bool {
	return err != nil && (strings.Contains(err.Error(), "EOF") || strings.Contains(err.Error(), "connection reset"))
}

// waitRewrite waits until no rewrite runs and checks the last one went well.
func waitRewrite(t *testing.T, rdb *redis.Client) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		info := rdb.Info(ctx, "persistence").Val()
		if strings.Contains(info, "aof_rewrite_in_progress:0") && !strings.Contains(info, "aof_rewrite_scheduled:1") {
			if !strings.Contains(info, "aof_last_bgrewrite_status:ok") {
				t.Fatalf("rewrite failed:\n%s", info)
			}
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("rewrite still running after 60 s")
}

// crashLoad runs writers that INCR their own counters under fsync policy,
// kills the server with -9 after a while, restarts it, and returns each
// counter's acknowledged value, the time of that acknowledgement, and the
// value the restarted server holds.
func crashLoad(t *testing.T, fsync string) (acked []int64, ackedAt []time.Time, killedAt time.Time, loaded []int64) {
	t.Helper()
	dir := t.TempDir()
	args := []string{"--appendonly", "yes", "--appendfsync", fsync}
	p := startProc(t, dir, args...)
	const writers = 8
	acked = make([]int64, writers)
	ackedAt = make([]time.Time, writers)
	var stop atomic.Bool
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			c := redis.NewClient(&redis.Options{Addr: p.addr, MaxRetries: -1, PoolSize: 1})
			defer c.Close()
			key := fmt.Sprintf("counter:%d", w)
			for !stop.Load() {
				n, err := c.Incr(ctx, key).Result()
				if err != nil {
					return
				}
				acked[w], ackedAt[w] = n, time.Now()
			}
		}(w)
	}
	time.Sleep(1500 * time.Millisecond)
	killedAt = time.Now()
	p.cmd.Process.Signal(syscall.SIGKILL)
	stop.Store(true)
	wg.Wait()
	p.waitExit(t)
	p = startProc(t, dir, args...)
	loaded = make([]int64, writers)
	for w := range loaded {
		loaded[w], _ = p.rdb.Get(ctx, fmt.Sprintf("counter:%d", w)).Int64()
	}
	return
}

// TestCrashAlways: with appendfsync always no acknowledged INCR is lost.
func TestCrashAlways(t *testing.T) {
	acked, _, _, loaded := crashLoad(t, "always")
	total := int64(0)
	for w := range acked {
		total += acked[w]
		if loaded[w] < acked[w] {
			t.Errorf("counter %d: %d acknowledged, %d after the crash", w, acked[w], loaded[w])
		}
		if loaded[w] > acked[w]+1 {
			t.Errorf("counter %d: %d acknowledged, %d after the crash (at most one in flight)", w, acked[w], loaded[w])
		}
	}
	if total == 0 {
		t.Fatal("no write was acknowledged")
	}
}

// TestCrashEverysec: with appendfsync everysec a crash loses at most
// about a second of acknowledged writes. The counters only grow, so a
// counter's loaded value is when its log stops; what it misses must be
// recent: every INCR acknowledged more than 2 s before the kill is there
// (the fsync runs once a second; 1 s more for a busy machine).
func TestCrashEverysec(t *testing.T) {
	acked, ackedAt, killedAt, loaded := crashLoad(t, "everysec")
	for w := range acked {
		if loaded[w] > acked[w]+1 {
			t.Errorf("counter %d: %d acknowledged, %d after the crash", w, acked[w], loaded[w])
		}
		if loaded[w] < acked[w] && killedAt.Sub(ackedAt[w]) > 2*time.Second {
			t.Errorf("counter %d: lost writes acknowledged %v before the crash", w, killedAt.Sub(ackedAt[w]))
		}
	}
}

// TestCorruptLogRefused: bytes that are not commands in the log make the
// start fail with the file and offset, and the file is left as it was.
func TestCorruptLogRefused(t *testing.T) {
	dir := t.TempDir()
	args := []string{"--appendonly", "yes", "--appendfsync", "always"}
	p := startProc(t, dir, args...)
	p.rdb.Set(ctx, "k", "v", 0)
	p.kill9(t)
	files, _ := filepath.Glob(filepath.Join(dir, "appendonlydir", "*.incr.aof"))
	if len(files) != 1 {
		t.Fatalf("increments %v; want one", files)
	}
	f, err := os.OpenFile(files[0], os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("this is not RESP\r\n")
	f.Close()
	before, _ := os.ReadFile(files[0])
	if _, err := tryStart(t, dir, args...); err == nil {
		t.Fatal("rundb started on a corrupt log")
	} else if !strings.Contains(err.Error(), filepath.Base(files[0])) {
		t.Errorf("the refusal does not name the file: %v", err)
	}
	after, _ := os.ReadFile(files[0])
	if string(before) != string(after) {
		t.Error("the corrupt file was modified")
	}
}

// TestFullDisk: on a full file system (a 1 MiB tmpfs, mostly taken by a
// filler file) a write that cannot reach the log shows in INFO, and writes
// and PING get Redis's MISCONF error while reads go on; once there is room
// again, writes are accepted again, and after a restart every write that
// was acknowledged is there.
func TestFullDisk(t *testing.T) {
	dir := mountSmallTmpfs(t, "1m")
	filler := filepath.Join(dir, "filler")
	if err := os.WriteFile(filler, make([]byte, 700<<10), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"--appendonly", "yes", "--appendfsync", "everysec"}
	p := startProc(t, dir, args...)
	val := strings.Repeat("v", 16<<10)
	var acked []string
	var err error
	for i := 0; i < 200; i++ {
		key := fmt.Sprintf("k%03d", i)
		if err = p.rdb.Set(ctx, key, val, 0).Err(); err != nil {
			break
		}
		acked = append(acked, key)
		time.Sleep(20 * time.Millisecond) // let the writer meet the full disk
	}
	if err == nil || !strings.HasPrefix(err.Error(), "MISCONF Errors writing to the AOF file: No space left on device") {
		t.Fatalf("SET on a full disk: %v; want MISCONF", err)
	}
	if err := p.rdb.Ping(ctx).Err(); err == nil || !strings.HasPrefix(err.Error(), "MISCONF") {
		t.Errorf("PING on a full disk: %v; want MISCONF", err)
	}
	if got := p.rdb.Get(ctx, acked[len(acked)-1]).Val(); got != val {
		t.Errorf("GET %s = %d bytes; reads must go on", acked[len(acked)-1], len(got))
	}
	if info := p.rdb.Info(ctx, "persistence").Val(); !strings.Contains(info, "aof_last_write_status:err") {
		t.Errorf("INFO persistence does not report the error:\n%s", info)
	}
	// Room again: the writes kept in memory reach the log, MISCONF ends.
	os.Remove(filler)
	deadline := time.Now().Add(10 * time.Second)
	for p.rdb.Set(ctx, "after", "room", 0).Err() != nil {
		if time.Now().After(deadline) {
			t.Fatalf("writes still refused 10 s after the disk had room:\n%s", p.rdb.Info(ctx, "persistence").Val())
		}
		time.Sleep(50 * time.Millisecond)
	}
	acked = append(acked, "after")
	time.Sleep(2 * time.Second) // everysec: on disk within about a second
	p.kill9(t)                  // no final snapshot: the log alone must hold them
	p = startProc(t, dir, args...)
	for _, k := range acked {
		if n := p.rdb.Exists(ctx, k).Val(); n != 1 {
			t.Errorf("acknowledged %s lost after the restart", k)
		}
	}
}

// TestRedisLoadsRundbDir: redis-server 7.0 started on a copy of a rundb
// append-log directory (base plus increment) holds the same data.
func TestRedisLoadsRundbDir(t *testing.T) {
	redisBin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("redis-server not installed (CI needs it)")
		}
		t.Skip("redis-server not installed")
	}
	dir := t.TempDir()
	p := startProc(t, dir, "--appendonly", "yes", "--appendfsync", "always")
	fill(t, p.rdb)
	if err := p.rdb.BgRewriteAOF(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	waitRewrite(t, p.rdb)
	p.rdb.Do(ctx, "SELECT", 0)
	p.rdb.Set(ctx, "after", "rewrite", 0)
	p.rdb.SAdd(ctx, "ints", 99)
	want := dump(t, p.addr)
	p.kill9(t)

	rdir := t.TempDir()
	if out, err := exec.Command("cp", "-r", filepath.Join(dir, "appendonlydir"), rdir).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v %s", err, out)
	}
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cmd := exec.Command(redisBin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", rdir,
		"--appendonly", "yes", "--aof-use-rdb-preamble", "no", "--save", "", "--logfile", filepath.Join(rdir, "redis.log"))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	c := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
	defer c.Close()
	deadline := time.Now().Add(20 * time.Second)
	for c.Ping(ctx).Err() != nil {
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(rdir, "redis.log"))
			t.Fatalf("redis-server did not start:\n%s", log)
		}
		time.Sleep(50 * time.Millisecond)
	}
	got := dump(t, addr)
	// Encodings may differ where rundb's and Redis's thresholds do; the
	// data and deadlines may not.
	strip := func(m map[string]string) map[string]string {
		o := map[string]string{}
		for k, v := range m {
			f := strings.SplitN(v, " ", 3)
			o[k] = f[0] + " " + f[2]
		}
		return o
	}
	sameDump(t, "redis-server on rundb's files", strip(want), strip(got))
}

// mountSmallTmpfs mounts a tmpfs of size bytes on a new temp dir, or skips.
func mountSmallTmpfs(t *testing.T, size string) string {
	t.Helper()
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a small tmpfs to fill (needs root): %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
	return dir
}

// TestShutdownSignals: a second SIGTERM while the final snapshot is being
// written is reported and waited out (exit 0, everything saved); a final
// snapshot that cannot be written (a full disk) exits 1, says why, and
// leaves the old files, which still load.
func TestShutdownSignals(t *testing.T) {
	dir := t.TempDir()
	args := []string{"--appendonly", "yes", "--appendfsync", "no"}
	p := startProc(t, dir, args...)
	const n = 1_000_000
	pipe := p.rdb.Pipeline()
	for i := 0; i < n; i += 1000 {
		kv := make([]any, 0, 2000)
		for j := i; j < i+1000; j++ {
			kv = append(kv, fmt.Sprintf("key:%d", j), j)
		}
		pipe.MSet(ctx, kv...)
		if len(pipe.Cmds()) == 50 || i+1000 >= n {
			if _, err := pipe.Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	// While a rewrite of a million keys runs, a second one is refused as
	// Redis refuses it, in EXEC too; after it, EXEC schedules one.
	if got := p.rdb.BgRewriteAOF(ctx).Val(); got != "Background append only file rewriting started" {
		t.Errorf("BGREWRITEAOF: %q", got)
	}
	const running = "ERR Background append only file rewriting already in progress"
	if err := p.rdb.BgRewriteAOF(ctx).Err(); err == nil || err.Error() != running {
		t.Errorf("second BGREWRITEAOF: %v; want %q", err, running)
	}
	tx := p.rdb.TxPipeline()
	tx.BgRewriteAOF(ctx)
	if _, err := tx.Exec(ctx); err == nil || err.Error() != running {
		t.Errorf("BGREWRITEAOF in EXEC during a rewrite: %v; want %q", err, running)
	}
	waitRewrite(t, p.rdb)
	tx = p.rdb.TxPipeline()
	sched := tx.BgRewriteAOF(ctx)
	tx.Exec(ctx)
	if got := sched.Val(); got != "Background append only file rewriting scheduled" {
		t.Errorf("BGREWRITEAOF in EXEC: %q %v", got, sched.Err())
	}
	waitRewrite(t, p.rdb)
	if info := p.rdb.Info(ctx, "persistence").Val(); !strings.Contains(info, "aof_rewrites:2") {
		t.Errorf("the scheduled rewrite did not run:\n%s", info)
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(p.out.String(), "Received") && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	if code := p.waitExit(t); code != 0 {
		t.Fatalf("exit %d\n%s", code, p.out)
	}
	if !strings.Contains(p.out.String(), "again: still writing the final snapshot") {
		t.Errorf("the second signal was not reported:\n%s", p.out)
	}
	p = startProc(t, dir, args...)
	if got := p.rdb.DBSize(ctx).Val(); got != n {
		t.Errorf("%d keys after the restart; want %d", got, n)
	}
	p.kill9(t)

	// A full disk at shutdown.
	dir = mountSmallTmpfs(t, "1m")
	p = startProc(t, dir, args...)
	val := strings.Repeat("v", 10<<10)
	for i := 0; i < 30; i++ {
		p.rdb.Set(ctx, fmt.Sprintf("k%d", i), val, 0)
	}
	p.rdb.Do(ctx, "BGREWRITEAOF")
	waitRewrite(t, p.rdb)
	before, _ := os.ReadFile(filepath.Join(dir, "appendonlydir", "appendonly.aof.manifest"))
	var st syscall.Statfs_t
	syscall.Statfs(dir, &st)
	os.WriteFile(filepath.Join(dir, "filler"), make([]byte, int64(st.Bavail)*st.Bsize), 0o644)
	p.cmd.Process.Signal(syscall.SIGTERM)
	if code := p.waitExit(t); code == 0 {
		t.Fatalf("exit 0 though the final snapshot could not be written\n%s", p.out)
	}
	if !strings.Contains(p.out.String(), "final snapshot failed") || !strings.Contains(p.out.String(), "no space left on device") {
		t.Errorf("the exit does not say why:\n%s", p.out)
	}
	after, _ := os.ReadFile(filepath.Join(dir, "appendonlydir", "appendonly.aof.manifest"))
	if string(before) != string(after) {
		t.Errorf("manifest changed by a failed snapshot:\n%s\nto\n%s", before, after)
	}
	os.Remove(filepath.Join(dir, "filler"))
	p = startProc(t, dir, args...)
	if got := p.rdb.DBSize(ctx).Val(); got != 30 {
		t.Errorf("%d keys from the old files; want 30", got)
	}
}

// TestConfigSetAppendonly: CONFIG SET appendonly yes at run time starts a
// rewrite (the base holds what was there) and logs from then on, as
// Redis's does; CONFIG SET appendonly no stops the logging.
func TestConfigSetAppendonly(t *testing.T) {
	dir := t.TempDir()
	p := startProc(t, dir)
	p.rdb.Set(ctx, "before", "1", 0)
	if info := p.rdb.Info(ctx, "persistence").Val(); !strings.Contains(info, "aof_enabled:0") {
		t.Fatalf("aof_enabled not 0 at start:\n%s", info)
	}
	if err := p.rdb.ConfigSet(ctx, "appendfsync", "always").Err(); err != nil {
		t.Fatal(err)
	}
	if err := p.rdb.ConfigSet(ctx, "appendonly", "yes").Err(); err != nil {
		t.Fatal(err)
	}
	waitRewrite(t, p.rdb)
	info := p.rdb.Info(ctx, "persistence").Val()
	for _, want := range []string{"aof_enabled:1", "aof_rewrites:1", "aof_last_write_status:ok", "aof_current_size:"} {
		if !strings.Contains(info, want) {
			t.Errorf("INFO persistence lacks %s:\n%s", want, info)
		}
	}
	p.rdb.Set(ctx, "after", "2", 0)
	p.kill9(t)
	p = startProc(t, dir, "--appendonly", "yes", "--appendfsync", "always")
	for _, k := range []string{"before", "after"} {
		if p.rdb.Exists(ctx, k).Val() != 1 {
			t.Errorf("%s lost", k)
		}
	}
	if err := p.rdb.ConfigSet(ctx, "appendonly", "no").Err(); err != nil {
		t.Fatal(err)
	}
	p.rdb.Set(ctx, "unlogged", "3", 0)
	p.kill9(t)
	p = startProc(t, dir)
	if p.rdb.Exists(ctx, "unlogged").Val() != 0 || p.rdb.Exists(ctx, "after").Val() != 1 {
		t.Errorf("after appendonly no: unlogged=%d after=%d; want 0 and 1",
			p.rdb.Exists(ctx, "unlogged").Val(), p.rdb.Exists(ctx, "after").Val())
	}
}
