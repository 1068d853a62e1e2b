package persist

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"rundb/engine/ds"
)

// TestSnapshotIntoRedis: a snapshot taken under writes, piped into
// redis-server 7.0 with redis-cli --pipe, gives Redis the model's
// data at the instant: every key, type, value, element order, member and
// deadline. Skipped when redis-server is not installed.
func TestSnapshotIntoRedis(t *testing.T) {
	bin, err := exec.LookPath("redis-server")
	cliBin, err2 := exec.LookPath("redis-cli")
	if err != nil || err2 != nil || testing.Short() {
		t.Skip("redis-server or redis-cli not installed, or -short")
	}
	h := newHarness(t, rand.New(rand.NewPCG(11, 5)), 800)
	// The keyspace's clock an hour ahead: no deadline of the snapshot
	// (all after the instant) passes while Redis holds the keys.
	h.now = time.Now().UnixMilli() + 3_600_000
	h.ks.Tick(h.now)
	h.slice = 20
	w, _ := runModel(t, h, 4000, 3)

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	dir := t.TempDir()
	srv := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--dir", dir, "--databases", strconv.Itoa(testDBs))
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { srv.Process.Kill(); srv.Wait() }()
	var c net.Conn
	for try := 0; ; try++ {
		if c, err = net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
			break
		}
		if try > 100 {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	defer c.Close()
	r := bufio.NewReader(c)
	cli := exec.Command(cliBin, "-p", strconv.Itoa(port), "--pipe")
	cli.Stdin = bytes.NewReader(w.buf)
	out, err := cli.CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte("errors: 0, replies: ")) {
		t.Fatalf("redis-cli --pipe: %v\n%s", err, out)
	}
	call := func(args ...string) reply {
		b := []byte{}
		b = fmt.Appendf(b, "*%d\r\n", len(args))
		for _, a := range args {
			b = fmt.Appendf(b, "$%d\r\n%s\r\n", len(a), a)
		}
		if _, err := c.Write(b); err != nil {
			t.Fatal(err)
		}
		return readReply(t, r)
	}
	exp := h.instant
	checked := 0
	defer func() { t.Logf("%d keys checked in Redis", checked) }()
	for i := range exp {
		call("SELECT", strconv.Itoa(i))
		if n := call("DBSIZE").n; n != int64(len(exp[i])) {
			t.Fatalf("db %d: Redis holds %d keys; want %d", i, n, len(exp[i]))
		}
		for k, v := range exp[i] {
			got := &val{}
			switch typ := call("TYPE", k).s; typ {
			case "string":
				got.typ, got.str = ds.TypeString, call("GET", k).s
			case "list":
				got.typ = ds.TypeList
				for _, e := range call("LRANGE", k, "0", "-1").arr {
					got.list = append(got.list, e.s)
				}
			case "set":
				got.typ, got.set = ds.TypeSet, map[string]bool{}
				for _, e := range call("SMEMBERS", k).arr {
					got.set[e.s] = true
				}
			default:
				t.Fatalf("db %d key %q: Redis has type %q; want %v", i, k, typ, v)
			}
			if ms := call("PEXPIRETIME", k).n; ms >= 0 {
				got.ttl, got.deadline = true, ms
			}
			if !equalVal(got, v) {
				t.Fatalf("db %d key %q: Redis has %v; want %v", i, k, got, v)
			}
			checked++
		}
	}
}

type reply struct {
	s   string
	n   int64
	err string
	arr []reply
}

// readReply reads one RESP2 reply.
func readReply(t *testing.T, r *bufio.Reader) reply {
	t.Helper()
	line, err := r.ReadString('\n')
	if err != nil || len(line) < 3 {
		t.Fatalf("reading a reply: %q, %v", line, err)
	}
	body := line[1 : len(line)-2]
	switch line[0] {
	case '+':
		return reply{s: body}
	case '-':
		return reply{err: body}
	case ':':
		n, _ := strconv.ParseInt(body, 10, 64)
		return reply{n: n}
	case '$':
		n, _ := strconv.Atoi(body)
		if n < 0 {
			return reply{n: -1}
		}
		b := make([]byte, n+2)
		if _, err := io.ReadFull(r, b); err != nil {
			t.Fatal(err)
		}
		return reply{s: string(b[:n])}
	case '*':
		n, _ := strconv.Atoi(body)
		rep := reply{}
		for ; n > 0; n-- {
			rep.arr = append(rep.arr, readReply(t, r))
		}
		return rep
	}
	t.Fatalf("unexpected reply %q", line)
	return reply{}
}
