package difftest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func newClient(t testing.TB, addr string) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, DisableIdentity: true})
	t.Cleanup(func() { c.Close() })
	return c
}

func TestGoRedisStringsAndKeys(t *testing.T) {
	addr, stop := startRundb(t)
	defer stop()
	ctx := context.Background()
	c := newClient(t, addr)
	if err := c.FlushAll(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if got, err := c.Get(ctx, "k").Result(); err != nil || got != "v" {
		t.Fatalf("GET k: got %q, %v; want %q", got, err, "v")
	}
	if _, err := c.Get(ctx, "missing").Result(); err != redis.Nil {
		t.Fatalf("GET missing: got %v; want redis.Nil", err)
	}
	if n, err := c.Incr(ctx, "n").Result(); err != nil || n != 1 {
		t.Fatalf("INCR: got %d, %v; want 1", n, err)
	}
	if n, err := c.IncrBy(ctx, "n", 41).Result(); err != nil || n != 42 {
		t.Fatalf("INCRBY: got %d, %v; want 42", n, err)
	}
	if f, err := c.IncrByFloat(ctx, "f", 2.5).Result(); err != nil || f != 2.5 {
		t.Fatalf("INCRBYFLOAT: got %v, %v; want 2.5", f, err)
	}
	if err := c.MSet(ctx, "a", "1", "b", "2").Err(); err != nil {
		t.Fatal(err)
	}
	vals, err := c.MGet(ctx, "a", "b", "nope").Result()
	if err != nil || len(vals) != 3 || vals[0] != "1" || vals[1] != "2" || vals[2] != nil {
		t.Fatalf("MGET: got %v, %v", vals, err)
	}
	if n, err := c.Append(ctx, "k", "xyz").Result(); err != nil || n != 4 {
		t.Fatalf("APPEND: got %d, %v; want 4", n, err)
	}
	if s, err := c.GetRange(ctx, "k", 1, -1).Result(); err != nil || s != "xyz" {
		t.Fatalf("GETRANGE: got %q, %v; want %q", s, err, "xyz")
	}
	if n, err := c.Exists(ctx, "a", "b", "a", "nope").Result(); err != nil || n != 3 {
		t.Fatalf("EXISTS: got %d, %v; want 3", n, err)
	}
	if n, err := c.Del(ctx, "a", "b", "nope").Result(); err != nil || n != 2 {
		t.Fatalf("DEL: got %d, %v; want 2", n, err)
	}
	if typ, err := c.Type(ctx, "k").Result(); err != nil || typ != "string" {
		t.Fatalf("TYPE: got %q, %v", typ, err)
	}
	if err := c.Rename(ctx, "k", "k2").Err(); err != nil {
		t.Fatal(err)
	}
	if err := c.Rename(ctx, "k", "k3").Err(); err == nil || err.Error() != "ERR no such key" {
		t.Fatalf("RENAME missing: got %v; want ERR no such key", err)
	}
	if n, err := c.DBSize(ctx).Result(); err != nil || n != 3 {
		t.Fatalf("DBSIZE: got %d, %v; want 3 (n, f, k2)", n, err)
	}
	keys, err := c.Keys(ctx, "*").Result()
	if err != nil || strings.Join(sorted(keys), ",") != "f,k2,n" {
		t.Fatalf("KEYS: got %v, %v", keys, err)
	}
	var scanned []string
	iter := c.Scan(ctx, 0, "*", 2).Iterator()
	for iter.Next(ctx) {
		scanned = append(scanned, iter.Val())
	}
	if err := iter.Err(); err != nil || strings.Join(sorted(scanned), ",") != "f,k2,n" {
		t.Fatalf("SCAN: got %v, %v", scanned, err)
	}
	if err := c.Do(ctx, "GET").Err(); err == nil || err.Error() != "ERR wrong number of arguments for 'get' command" {
		t.Fatalf("GET without key: got %v", err)
	}
	if err := c.Do(ctx, "SELECT", "16").Err(); err == nil || err.Error() != "ERR DB index is out of range" {
		t.Fatalf("SELECT 16: got %v", err)
	}
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

func TestGoRedisExpiry(t *testing.T) {
	addr, stop := startRundb(t)
	defer stop()
	ctx := context.Background()
	c := newClient(t, addr)
	if err := c.Set(ctx, "short", "v", 100*time.Millisecond).Err(); err != nil {
		t.Fatal(err)
	}
	if err := c.Set(ctx, "long", "v", time.Hour).Err(); err != nil {
		t.Fatal(err)
	}
	if ttl, err := c.TTL(ctx, "long").Result(); err != nil || ttl < 3599*time.Second || ttl > time.Hour {
		t.Fatalf("TTL long: got %v, %v", ttl, err)
	}
	if pttl, err := c.PTTL(ctx, "short").Result(); err != nil || pttl <= 0 || pttl > 100*time.Millisecond {
		t.Fatalf("PTTL short: got %v, %v", pttl, err)
	}
	time.Sleep(150 * time.Millisecond)
	if _, err := c.Get(ctx, "short").Result(); err != redis.Nil {
		t.Fatalf("GET expired: got %v; want redis.Nil", err)
	}
	if ok, err := c.Persist(ctx, "long").Result(); err != nil || !ok {
		t.Fatalf("PERSIST: got %v, %v", ok, err)
	}
	if ttl, err := c.TTL(ctx, "long").Result(); err != nil || ttl != -1 {
		t.Fatalf("TTL after PERSIST: got %v, %v; want -1", ttl, err)
	}
	if ok, err := c.ExpireNX(ctx, "long", time.Minute).Result(); err != nil || !ok {
		t.Fatalf("EXPIRE NX: got %v, %v", ok, err)
	}
	if ok, err := c.ExpireGT(ctx, "long", time.Second).Result(); err != nil || ok {
		t.Fatalf("EXPIRE GT smaller: got %v, %v; want false", ok, err)
	}
	at := time.Now().Add(time.Hour).Truncate(time.Second)
	if err := c.ExpireAt(ctx, "long", at).Err(); err != nil {
		t.Fatal(err)
	}
	if et, err := c.ExpireTime(ctx, "long").Result(); err != nil || et != time.Duration(at.Unix())*time.Second {
		t.Fatalf("EXPIRETIME: got %v, %v; want %v", et, err, at.Unix())
	}
	// Many short-lived keys disappear without being touched.
	for i := 0; i < 200; i++ {
		if err := c.Set(ctx, fmt.Sprintf("tmp:%d", i), i, 50*time.Millisecond).Err(); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(100 * time.Millisecond)
	n, err := c.Exists(ctx, "tmp:0", "tmp:99", "tmp:199").Result()
	if err != nil || n != 0 {
		t.Fatalf("EXISTS on expired keys: got %d, %v; want 0", n, err)
	}
}

func TestGoRedisPipeline(t *testing.T) {
	addr, stop := startRundb(t)
	defer stop()
	ctx := context.Background()
	c := newClient(t, addr)
	c.FlushAll(ctx)
	const n = 1000
	cmds, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i := 0; i < n; i++ {
			p.Set(ctx, fmt.Sprintf("p:%d", i), i, 0)
			p.Incr(ctx, "p:count")
		}
		p.Get(ctx, "p:count")
		p.Get(ctx, "nope")
		return nil
	})
	if err != redis.Nil { // the last GET's redis.Nil is reported as the first error
		t.Fatalf("Pipelined: got %v; want redis.Nil from the last GET", err)
	}
	if len(cmds) != 2*n+2 {
		t.Fatalf("got %d replies; want %d", len(cmds), 2*n+2)
	}
	for i := 0; i < n; i++ {
		if got := cmds[2*i+1].(*redis.IntCmd).Val(); got != int64(i+1) {
			t.Fatalf("INCR %d: got %d; want %d", i, got, i+1)
		}
	}
	if got := cmds[2*n].(*redis.StringCmd).Val(); got != strconv.Itoa(n) {
		t.Fatalf("GET p:count: got %q; want %d", got, n)
	}
	vals, err := c.MGet(ctx, "p:0", "p:500", "p:999").Result()
	if err != nil || vals[0] != "0" || vals[1] != "500" || vals[2] != "999" {
		t.Fatalf("MGET: got %v, %v", vals, err)
	}
}

func TestGoRedisTxPipelined(t *testing.T) {
	addr, stop := startRundb(t)
	defer stop()
	ctx := context.Background()
	c := newClient(t, addr)
	c.FlushAll(ctx)
	cmds, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, "tx", "10", 0)
		p.IncrBy(ctx, "tx", 5)
		p.Get(ctx, "tx")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := cmds[2].(*redis.StringCmd).Val(); got != "15" {
		t.Fatalf("GET in tx: got %q; want 15", got)
	}
	// A runtime error inside EXEC does not roll back the other commands.
	cmds, err = c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, "s", "abc", 0)
		p.Incr(ctx, "s")
		p.Set(ctx, "after", "yes", 0)
		return nil
	})
	if err == nil || err.Error() != "ERR value is not an integer or out of range" {
		t.Fatalf("TxPipelined: got %v; want the INCR error", err)
	}
	if got, _ := c.Get(ctx, "after").Result(); got != "yes" {
		t.Fatalf("GET after: got %q; want yes", got)
	}
	_ = cmds
}

// TestGoRedisWatchCounter increments one counter from many clients with
// optimistic locking; no increment may be lost.
func TestGoRedisWatchCounter(t *testing.T) {
	addr, stop := startRundb(t)
	defer stop()
	ctx := context.Background()
	c := newClient(t, addr)
	c.FlushAll(ctx)
	const workers, each = 8, 50
	var wg sync.WaitGroup
	var mu sync.Mutex
	retries := 0
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cl := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, DisableIdentity: true})
			defer cl.Close()
			for i := 0; i < each; i++ {
				for {
					err := cl.Watch(ctx, func(tx *redis.Tx) error {
						n, err := tx.Get(ctx, "counter").Int()
						if err != nil && err != redis.Nil {
							return err
						}
						_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
							p.Set(ctx, "counter", n+1, 0)
							return nil
						})
						return err
					}, "counter")
					if err == redis.TxFailedErr {
						mu.Lock()
						retries++
						mu.Unlock()
						continue
					}
					if err != nil {
						errs <- err
						return
					}
					break
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if n, err := c.Get(ctx, "counter").Int(); err != nil || n != workers*each {
		t.Fatalf("counter: got %d, %v; want %d", n, err, workers*each)
	}
	t.Logf("%d retries", retries)
}

type transfer struct {
	from, to int
	amount   int64
}

// TestTransactionStorm moves money between 10 accounts from 20 clients,
// 200 transactions each, every one WATCHing both accounts it touches. The
// total never changes and each balance equals its start plus the committed
// transfers: a lost update or a half-applied EXEC would show.
func TestTransactionStorm(t *testing.T) {
	addr, stop := startRundb(t)
	defer stop()
	ctx := context.Background()
	c := newClient(t, addr)
	c.FlushAll(ctx)
	const accounts, clients, txs, start = 10, 20, 200, 1000
	key := func(i int) string { return fmt.Sprintf("acct:%d", i) }
	for i := 0; i < accounts; i++ {
		if err := c.Set(ctx, key(i), start, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	logs := make([][]transfer, clients)
	aborts := make([]int, clients)
	errs := make(chan error, clients)
	var wg sync.WaitGroup
	for w := 0; w < clients; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			rng := rand.New(rand.NewSource(int64(w) + 1))
			cl := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, DisableIdentity: true, PoolSize: 2})
			defer cl.Close()
			for i := 0; i < txs; i++ {
				from := rng.Intn(accounts)
				to := (from + 1 + rng.Intn(accounts-1)) % accounts
				amount := int64(1 + rng.Intn(50))
				for {
					err := cl.Watch(ctx, func(tx *redis.Tx) error {
						vals, err := tx.MGet(ctx, key(from), key(to)).Result()
						if err != nil {
							return err
						}
						a, err1 := strconv.ParseInt(vals[0].(string), 10, 64)
						b, err2 := strconv.ParseInt(vals[1].(string), 10, 64)
						if err := errors.Join(err1, err2); err != nil {
							return err
						}
						_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
							p.Set(ctx, key(from), a-amount, 0)
							p.Set(ctx, key(to), b+amount, 0)
							return nil
						})
						return err
					}, key(from), key(to))
					if err == redis.TxFailedErr {
						aborts[w]++
						continue
					}
					if err != nil {
						errs <- fmt.Errorf("client %d tx %d: %w", w, i, err)
						return
					}
					logs[w] = append(logs[w], transfer{from, to, amount})
					break
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	want := make([]int64, accounts)
	for i := range want {
		want[i] = start
	}
	total, aborted := 0, 0
	for w := range logs {
		total += len(logs[w])
		aborted += aborts[w]
		for _, tr := range logs[w] {
			want[tr.from] -= tr.amount
			want[tr.to] += tr.amount
		}
	}
	if total != clients*txs {
		t.Fatalf("committed %d transfers; want %d", total, clients*txs)
	}
	var sum int64
	for i := 0; i < accounts; i++ {
		got, err := c.Get(ctx, key(i)).Int64()
		if err != nil {
			t.Fatal(err)
		}
		sum += got
		if got != want[i] {
			t.Errorf("%s: got %d; want %d", key(i), got, want[i])
		}
	}
	if sum != accounts*start {
		t.Errorf("sum of balances: got %d; want %d", sum, accounts*start)
	}
	t.Logf("%d transfers committed, %d EXECs aborted by WATCH", total, aborted)
}

// TestRawPipelining writes 10,000 commands in one write and reads the
// replies back in order.
func TestRawPipelining(t *testing.T) {
	addr, stop := startRundb(t)
	defer stop()
	c, err := Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if r, err := c.Do("FLUSHALL"); err != nil || string(r) != "+OK\r\n" {
		t.Fatalf("FLUSHALL: %q %v", r, err)
	}
	const n = 10000
	var req []byte
	var want []string
	for i := 0; i < n; i++ {
		k := fmt.Sprintf("key:%d", (i/4)%100)
		switch i % 4 {
		case 0:
			v := fmt.Sprintf("value-%d", i)
			req = AppendCommand(req, []byte("SET"), []byte(k), []byte(v))
			want = append(want, "+OK\r\n")
		case 1:
			v := fmt.Sprintf("value-%d", i-1)
			req = AppendCommand(req, []byte("GET"), []byte(k))
			want = append(want, fmt.Sprintf("$%d\r\n%s\r\n", len(v), v))
		case 2:
			req = AppendCommand(req, []byte("INCR"), []byte("counter"))
			want = append(want, fmt.Sprintf(":%d\r\n", i/4+1))
		case 3:
			msg := strings.Repeat("x", i%64)
			req = AppendCommand(req, []byte("ECHO"), []byte(msg))
			want = append(want, fmt.Sprintf("$%d\r\n%s\r\n", len(msg), msg))
		}
	}
	writeErr := make(chan error, 1)
	go func() {
		_, err := c.Write(req) // one write; the reader below drains replies meanwhile
		writeErr <- err
	}()
	for i, w := range want {
		got, err := c.Read()
		if err != nil {
			t.Fatalf("reply %d: %v", i, err)
		}
		if string(got) != w {
			t.Fatalf("reply %d: got %q; want %q", i, got, w)
		}
	}
	if err := <-writeErr; err != nil {
		t.Fatal(err)
	}
}

// TestByteAtATime sends requests one byte per write, multibulk and inline.
func TestByteAtATime(t *testing.T) {
	addr, stop := startRundb(t)
	defer stop()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.(*net.TCPConn).SetNoDelay(true)
	r := bufio.NewReader(nc)
	req := string(AppendCommand(nil, []byte("SET"), []byte("slow"), []byte("a\r\nb"))) +
		string(AppendCommand(nil, []byte("GET"), []byte("slow"))) +
		"PING\r\n" + "ECHO \"in line\"\r\n" +
		string(AppendCommand(nil, []byte("DEL"), []byte("slow")))
	want := []string{"+OK\r\n", "$4\r\na\r\nb\r\n", "+PONG\r\n", "$7\r\nin line\r\n", ":1\r\n"}
	done := make(chan error, 1)
	go func() {
		for i := 0; i < len(req); i++ {
			if _, err := nc.Write([]byte{req[i]}); err != nil {
				done <- err
				return
			}
			time.Sleep(200 * time.Microsecond)
		}
		done <- nil
	}()
	for i, w := range want {
		_ = nc.SetReadDeadline(time.Now().Add(10 * time.Second))
		got, err := ReadReply(r)
		if err != nil {
			t.Fatalf("reply %d: %v", i, err)
		}
		if string(got) != w {
			t.Fatalf("reply %d: got %q; want %q", i, got, w)
		}
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func portOf(t testing.TB, addr string) string {
	t.Helper()
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	return port
}

func TestRedisCLI(t *testing.T) {
	cli := needTool(t, "redis-cli")
	addr, stop := startRundb(t)
	defer stop()
	port := portOf(t, addr)
	run := func(stdin []byte, args ...string) string {
		t.Helper()
		cmd := exec.Command(cli, append([]string{"-p", port}, args...)...)
		if stdin != nil {
			cmd.Stdin = bytes.NewReader(stdin)
		}
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("redis-cli %v: %v: %s", args, err, out)
		}
		return strings.TrimRight(string(out), "\n")
	}
	run(nil, "FLUSHALL")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"PING"}, "PONG"},
		{[]string{"SET", "foo", "bar"}, "OK"},
		{[]string{"GET", "foo"}, "bar"},
		{[]string{"GET", "nope"}, ""},
		{[]string{"INCR", "n"}, "1"},
		{[]string{"EXISTS", "foo", "foo"}, "2"},
		{[]string{"GET"}, "ERR wrong number of arguments for 'get' command"},
		{[]string{"MGET", "foo", "nope"}, "bar"},
	} {
		if got := run(nil, c.args...); got != c.want {
			t.Errorf("redis-cli %v: got %q; want %q", c.args, got, c.want)
		}
	}
	// --pipe: 100,000 SETs as RESP on stdin.
	const n = 100000
	var buf []byte
	for i := 0; i < n; i++ {
		buf = AppendCommand(buf, []byte("SET"), []byte("pipe:"+strconv.Itoa(i)), []byte(strconv.Itoa(i)))
	}
	out := run(buf, "--pipe")
	if !strings.Contains(out, "errors: 0, replies: 100000") {
		t.Fatalf("redis-cli --pipe: %s", out)
	}
	if got := run(nil, "DBSIZE"); got != strconv.Itoa(n+2) {
		t.Fatalf("DBSIZE: got %q; want %d", got, n+2)
	}
	run(nil, "DEL", "foo", "n")
	if got := run(nil, "DBSIZE"); got != strconv.Itoa(n) {
		t.Fatalf("DBSIZE: got %q; want %d", got, n)
	}
	if got := run(nil, "GET", "pipe:99999"); got != "99999" {
		t.Fatalf("GET pipe:99999: got %q", got)
	}
}

func TestRedisBenchmark(t *testing.T) {
	bench := needTool(t, "redis-benchmark")
	addr, stop := startRundb(t)
	defer stop()
	cmd := exec.Command(bench, "-p", portOf(t, addr), "-t", "set,get,incr,ping", "-n", "20000", "-P", "16", "-q")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("redis-benchmark: %v: %s", err, out)
	}
	lines := 0
	for _, line := range strings.Split(string(out), "\n") {
		l := strings.ToLower(line)
		if strings.Contains(l, "err") || strings.Contains(l, "warn") {
			t.Errorf("redis-benchmark: %s", line)
		}
		if strings.Contains(line, "requests per second") {
			lines++
		}
	}
	if lines < 4 {
		t.Errorf("redis-benchmark printed %d result lines; want at least 4:\n%s", lines, out)
	}
	t.Logf("%s", out)
}
