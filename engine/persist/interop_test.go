package persist

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// redisBin finds redis-server: skip without it, fail when CI=true.
func redisBin(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("redis-server not found: %v", err)
		}
		t.Skipf("redis-server not found (install redis-server 7.0): %v", err)
	}
	return bin
}

// startRedisAOF starts redis-server with the append log on in dir, waits
// for PING and returns a client; the server is killed when t ends.
func startRedisAOF(t *testing.T, dir string) (*redis.Client, func()) {
	t.Helper()
	bin := redisBin(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	logPath := filepath.Join(t.TempDir(), "redis.log")
	cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "",
		"--appendonly", "yes", "--aof-use-rdb-preamble", "no", "--dir", dir,
		"--daemonize", "no", "--logfile", logPath)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	stop := func() {
		cmd.Process.Kill()
		<-exited
	}
	t.Cleanup(stop)
	addr := "127.0.0.1:" + strconv.Itoa(port)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if nc, err := net.Dial("tcp", addr); err == nil {
			nc.Close()
			break
		}
		select {
		case <-exited:
			log, _ := os.ReadFile(logPath)
			t.Fatalf("redis-server exited:\n%s", log)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("redis-server does not answer")
		}
		time.Sleep(20 * time.Millisecond)
	}
	c := redis.NewClient(&redis.Options{Addr: addr})
	t.Cleanup(func() { c.Close() })
	for c.Ping(context.Background()).Err() != nil {
		if time.Now().After(deadline) {
			t.Fatal("redis-server does not answer PING")
		}
		time.Sleep(20 * time.Millisecond)
	}
	return c, func() {
		// SHUTDOWN writes and fsyncs the log; the connection drop is the
		// expected answer.
		c.Shutdown(context.Background())
		<-exited
	}
}

// redisDump lists the string keys of databases 0..15 like kvModel.dump.
func redisDump(t *testing.T, c *redis.Client) string {
	t.Helper()
	ctx := context.Background()
	m := newKVModel()
	for db := 0; db < 16; db++ {
		conn := redis.NewClient(&redis.Options{Addr: c.Options().Addr, DB: db})
		keys, err := conn.Keys(ctx, "*").Result()
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range keys {
			v, err := conn.Get(ctx, k).Result()
			if err != nil {
				t.Fatal(err)
			}
			m.data[strconv.Itoa(db)+"/"+k] = v
		}
		conn.Close()
	}
	return m.dump()
}

// A directory rundb wrote loads in redis-server 7.0 with the same data.
func TestRedisLoadsRundbLog(t *testing.T) {
	redisBin(t)
	dir := filepath.Join(t.TempDir(), "appendonlydir")
	a := openAOF(t, dir, FsyncEverysec)
	if err := a.StartLogging(); err != nil {
		t.Fatal(err)
	}
	bin := "bin\r\n\x00\xff" + strings.Repeat("x", 100)
	writeBase(t, a, args("SELECT", "0"), args("SET", "a", "1"), args("SELECT", "3"), args("SET", "bin", bin))
	a.Feed(0, args("SET", "b", "2"))
	a.Feed(3, args("DEL", "bin"))
	a.Feed(3, args("SET", "c", "3"))
	a.Flush()
	b, err := a.BeginRewrite()
	if err != nil {
		t.Fatal(err)
	}
	a.Feed(7, args("MULTI"))
	a.Feed(7, args("SET", "tx", "1"))
	a.Feed(7, args("EXEC"))
	a.Flush()
	finishBase(t, a, b, args("SELECT", "0"), args("SET", "a", "1"), args("SET", "b", "2"), args("SELECT", "3"), args("SET", "c", "3"))
	a.Feed(0, args("SET", "k with space", bin))
	a.Flush()
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	m := newKVModel()
	if _, err := openAOF(t, dir, FsyncNo).Load(m.apply, false, nil); err != nil {
		t.Fatal(err)
	}
	want := m.dump()

	cp := t.TempDir()
	copyDir(t, dir, filepath.Join(cp, "appendonlydir"))
	c, shutdown := startRedisAOF(t, cp)
	if got := redisDump(t, c); got != want {
		t.Fatalf("redis-server loaded %q; want %q", got, want)
	}
	shutdown()
}

// A directory redis-server 7.0 wrote (base, rewrite, increments, MULTI)
// loads in rundb with the same data.
func TestLoadRedisLog(t *testing.T) {
	redisBin(t)
	dir := t.TempDir()
	c, shutdown := startRedisAOF(t, dir)
	ctx := context.Background()
	c.Set(ctx, "a", "1", 0)
	conn := redis.NewClient(&redis.Options{Addr: c.Options().Addr, DB: 2})
	conn.Set(ctx, "b", "2", 0)
	if err := c.BgRewriteAOF(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the rewrite", func() bool {
		info, _ := c.Info(ctx, "persistence").Result()
		return strings.Contains(info, "aof_rewrite_in_progress:0") && strings.Contains(info, "aof_rewrite_scheduled:0")
	})
	conn.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, "c", "3", 0)
		p.Del(ctx, "b")
		return nil
	})
	conn.Close()
	c.Set(ctx, "d", "4", 0)
	want := redisDump(t, c)
	shutdown()

	aofDir := filepath.Join(dir, "appendonlydir")
	t.Logf("redis wrote %q", listDir(t, aofDir))
	a := openAOF(t, aofDir, FsyncNo)
	m := newKVModel()
	st, err := a.Load(m.apply, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := m.dump(); got != want || st.Files < 2 {
		t.Fatalf("rundb loaded %q (%+v); want %q", got, st, want)
	}
	// And rundb appends to it as redis would.
	if err := a.StartLogging(); err != nil {
		t.Fatal(err)
	}
	a.Feed(0, args("SET", "e", "5"))
	a.Flush()
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	c, shutdown = startRedisAOF(t, dir)
	if got := redisDump(t, c); got != strings.Replace(want, "0/d=4 ", "0/d=4 0/e=5 ", 1) {
		t.Fatalf("redis after rundb appended: %q", got)
	}
	shutdown()
}

// quietLogger drops go-redis's own log lines (its pool redials a server
// the test shut down).
type quietLogger struct{}

func (quietLogger) Printf(context.Context, string, ...interface{}) {}

func init() { redis.SetLogger(quietLogger{}) }

// A directory holding only a base (a rewrite with logging off, as SAVE or
// SHUTDOWN write it) loads in redis-server 7.0.
func TestRedisLoadsRundbBase(t *testing.T) {
	redisBin(t)
	dir := t.TempDir()
	a := openAOF(t, filepath.Join(dir, "appendonlydir"), FsyncNo)
	writeBase(t, a, args("SELECT", "0"), args("SET", "a", "1"), args("SELECT", "15"), args("SET", "z", "26"))
	a.Close()
	c, shutdown := startRedisAOF(t, dir)
	if got := redisDump(t, c); got != "0/a=1 15/z=26 " {
		t.Fatalf("redis-server loaded %q", got)
	}
	shutdown()
}
