package resp

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math/rand"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	tresp "github.com/tidwall/resp"
)

// These tests use a real redis-server as the oracle. Without one they skip,
// except under CI=true, where they fail.

func startRedis(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("redis-server not found: %v", err)
		}
		t.Skip("redis-server not found")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--daemonize", "no", "--logfile", "")
	if err := cmd.Start(); err != nil {
		t.Fatalf("start redis-server: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	addr := "127.0.0.1:" + strconv.Itoa(port)
	for range 100 {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			return addr
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("redis-server did not start on %s", addr)
	return ""
}

// rawExchange sends in on a fresh connection and returns everything read
// until the server closes the connection (closed=true) or goes quiet.
func rawExchange(t *testing.T, addr string, in []byte, quiet time.Duration) (out []byte, closed bool) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Error(err) // called from several goroutines: no Fatal
		return nil, false
	}
	defer c.Close()
	if _, err := c.Write(in); err != nil {
		t.Error(err)
		return nil, false
	}
	buf := make([]byte, 4096)
	for {
		c.SetReadDeadline(time.Now().Add(quiet))
		n, err := c.Read(buf)
		out = append(out, buf[:n]...)
		if err == io.EOF {
			return out, true
		}
		if err != nil {
			return out, false
		}
	}
}

// TestRedisProtocolErrors sends every table input to the server: inputs the
// parser rejects must get exactly ProtocolError.Reply() as the last reply,
// followed by the close; the others must get no protocol error.
func TestRedisProtocolErrors(t *testing.T) {
	addr := startRedis(t)
	var wg sync.WaitGroup
	var mu sync.Mutex
	for _, tc := range parseTests {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, closed := rawExchange(t, addr, []byte(tc.in), 300*time.Millisecond)
			mu.Lock()
			defer mu.Unlock()
			name := tc.in
			if len(name) > 40 {
				name = name[:40]
			}
			if tc.want.err != "" {
				want := string((&ProtocolError{tc.want.err}).Reply())
				if !closed || !strings.HasSuffix(string(out), want) ||
					strings.Count(string(out), "Protocol error") != 1 {
					t.Errorf("%q: server sent %q closed=%v; want suffix %q and close", name, out, closed, want)
				}
				return
			}
			if closed || bytes.Contains(out, []byte("Protocol error")) {
				t.Errorf("%q: server sent %q closed=%v; want no protocol error", name, out, closed)
			}
		}()
	}
	wg.Wait()
}

// TestRedisInlineSplit sends random inline lines as RPUSH arguments and reads
// the list back: the server's split must equal the parser's.
func TestRedisInlineSplit(t *testing.T) {
	addr := startRedis(t)
	rng := rand.New(rand.NewSource(7))
	pieces := []string{"a", "b", "x", "4", "F", "n", " ", "  ", "\t", "\r", "\v", "\f",
		`"`, `'`, `\`, `\x`, `\x4`, `\x41`, `\n`, `\'`, `\"`, `""`, `''`, "\xff"}
	var conn net.Conn
	var rd *tresp.Reader
	dial := func() {
		var err error
		if conn, err = net.Dial("tcp", addr); err != nil {
			t.Fatal(err)
		}
		rd = tresp.NewReader(conn)
	}
	dial()
	defer func() { conn.Close() }()
	for iter := range 3000 {
		var line strings.Builder
		for range rng.Intn(8) + 1 {
			line.WriteString(pieces[rng.Intn(len(pieces))])
		}
		in := []byte("RPUSH l " + line.String() + "\r\n")
		var p Parser
		_, args, perr := p.Next(in, nil)
		conn.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := conn.Write(append(in, "LRANGE l 0 -1\r\nDEL l\r\n"...)); err != nil {
			t.Fatal(err)
		}
		if perr != nil {
			want := string(perr.(*ProtocolError).Reply())
			got, _ := io.ReadAll(conn)
			if string(got) != want {
				t.Fatalf("iter %d %q: server %q; parser %q", iter, in, got, want)
			}
			conn.Close()
			dial()
			continue
		}
		var vals []tresp.Value
		for range 3 {
			v, _, err := rd.ReadValue()
			if err != nil {
				t.Fatalf("iter %d %q: %v", iter, in, err)
			}
			vals = append(vals, v)
		}
		var got []string
		for _, v := range vals[1].Array() {
			got = append(got, v.String())
		}
		var want []string
		for _, a := range args[2:] {
			want = append(want, string(a))
		}
		if len(args) < 3 {
			if vals[0].Type() != tresp.Error {
				t.Fatalf("iter %d %q: server accepted %v; parser split %q", iter, in, vals[0], args)
			}
			continue
		}
		if fmt.Sprintf("%q", got) != fmt.Sprintf("%q", want) {
			t.Fatalf("iter %d %q: server %q; parser %q", iter, in, got, want)
		}
	}
}

// client is a minimal pipelining client over the parser's own encoder.
type client struct {
	c  net.Conn
	w  *bufio.Writer
	rd *tresp.Reader
	n  int
}

func dialClient(t *testing.T, addr string) *client {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &client{c: c, w: bufio.NewWriter(c), rd: tresp.NewReader(c)}
}

func (c *client) send(args ...string) {
	c.w.WriteString(encode(args...))
	c.n++
}

func (c *client) replies(t *testing.T) []tresp.Value {
	if err := c.w.Flush(); err != nil {
		t.Fatal(err)
	}
	var out []tresp.Value
	for ; c.n > 0; c.n-- {
		v, _, err := c.rd.ReadValue()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	return out
}

// randDecimal returns a decimal string with up to maxDigits significant
// digits in a few notations.
func randDecimal(rng *rand.Rand, maxDigits int) string {
	b := make([]byte, rng.Intn(maxDigits)+1)
	for i := range b {
		b[i] = byte('0' + rng.Intn(10))
	}
	s := strings.TrimLeft(string(b), "0")
	if s == "" {
		s = "0"
	}
	switch rng.Intn(4) {
	case 0:
		pt := rng.Intn(len(s) + 1)
		s = s[:pt] + "." + s[pt:]
		if s == "." {
			s = "0."
		}
	case 1:
		s += "e" + strconv.Itoa(rng.Intn(40)-20)
	case 2:
		s = "0." + strings.Repeat("0", rng.Intn(6)) + s
	}
	if rng.Intn(3) == 0 {
		s = "-" + s
	}
	return s
}

// TestRedisIncrByFloat compares the long double emulation with INCRBYFLOAT
// on random operand pairs, and FormatLongDouble with increments from 0.
func TestRedisIncrByFloat(t *testing.T) {
	addr := startRedis(t)
	c := dialClient(t, addr)
	rng := rand.New(rand.NewSource(3))
	type pair struct{ a, b string }
	var pairs []pair
	fixed := []pair{{"10.5", "0.1"}, {"5.0e3", "2.0e2"}, {"0", "1e20"}, {"0", "1e-5"},
		{"0.1", "0.2"}, {"0", "1000.1"}, {"0", "1e30"}, {"-0.0", "0"}, {"0", "1e-20"},
		{"0x10", "0x1.8p1"}, {"1e4000", "1e4000"}, {"1e4932", "1e4932"}, {"inf", "1"},
		{"1", "nan"}, {"1", " 1"}, {"1e-5000", "1"}, {"0e99999", "5."}, {"+1.5", ".5"},
		{"1e5100", "1e5100"}, {"3", "-3"}, {"-1e-30", "0"}, {"99999999.99", "0"}}
	pairs = append(pairs, fixed...)
	for range 2000 {
		pairs = append(pairs, pair{randDecimal(rng, 19), randDecimal(rng, 19)})
	}
	for _, p := range pairs {
		c.send("SET", "k", p.a)
		c.send("INCRBYFLOAT", "k", p.b)
	}
	replies := c.replies(t)
	for i, p := range pairs {
		got := replies[2*i+1]
		var want string
		a, ok1 := ParseLongDouble([]byte(p.a))
		b, ok2 := ParseLongDouble([]byte(p.b))
		if !ok1 || !ok2 {
			want = "-ERR value is not a valid float"
		} else if sum, ok := AddLongDouble(a, b); !ok {
			want = "-ERR increment would produce NaN or Infinity"
		} else {
			want = "$" + FormatBigLongDouble(sum)
		}
		var gotS string
		if got.Type() == tresp.Error {
			gotS = "-" + got.String()
		} else {
			gotS = "$" + got.String()
		}
		if gotS != want {
			t.Errorf("%s + %s: server %q; emulation %q", p.a, p.b, gotS, want)
		}
	}

	// FormatLongDouble on float64 increments from 0 with up to 15 digits,
	// where the shortest form of the float64 is the decimal sent.
	var incs []string
	for range 2000 {
		incs = append(incs, randDecimal(rng, 15))
	}
	incs = append(incs, "10.6", "5000", "1e20", "1e-5", "1000.1", "123456.789", "1e300")
	for _, v := range incs {
		c.send("SET", "k", "0")
		c.send("INCRBYFLOAT", "k", v)
	}
	replies = c.replies(t)
	for i, v := range incs {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := FormatLongDouble(f), replies[2*i+1].String(); got != want {
			t.Errorf("FormatLongDouble(%s): got %q; want %q", v, got, want)
		}
	}
}
