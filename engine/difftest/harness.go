package difftest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// ReplyTimeout bounds the wait for one reply.
var ReplyTimeout = 5 * time.Second

// MaxMismatches is how many mismatches Compare reports per script before
// it gives up.
const MaxMismatches = 20

// RedisServerPath is the oracle binary.
const RedisServerPath = "/usr/bin/redis-server"

// StartRedis starts redis-server on a free local port with persistence off
// and a fresh working directory, waits until it answers PING, and stops it
// when t ends. Without the binary it skips t, or fails it when the
// environment says CI=true.
func StartRedis(t testing.TB) string {
	t.Helper()
	bin, err := exec.LookPath(RedisServerPath)
	if err != nil {
		if bin, err = exec.LookPath("redis-server"); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("redis-server not found: %v", err)
			}
			t.Skipf("redis-server not found (install redis-server 7.0): %v", err)
		}
	}
	var lastErr error
	for attempt := 0; attempt < 5; attempt++ {
		addr, err := startRedisOnce(t, bin)
		if err == nil {
			return addr
		}
		lastErr = err
	}
	t.Fatalf("cannot start redis-server: %v", lastErr)
	return ""
}

func startRedisOnce(t testing.TB, bin string) (string, error) {
	port, err := FreePort()
	if err != nil {
		return "", err
	}
	dir := t.TempDir()
	cmd := exec.Command(bin,
		"--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", dir,
		"--daemonize", "no", "--logfile", filepath.Join(dir, "redis.log"),
		"--enable-debug-command", "local")
	if err := cmd.Start(); err != nil {
		return "", err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop := func() {
		_ = cmd.Process.Kill()
		<-exited
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	deadline := time.Now().Add(10 * time.Second)
	for {
		select {
		case err := <-exited:
			log, _ := os.ReadFile(filepath.Join(dir, "redis.log"))
			return "", fmt.Errorf("redis-server exited: %v: %s", err, lastLines(log, 5))
		default:
		}
		if err := Ping(addr); err == nil {
			t.Cleanup(stop)
			return addr, nil
		}
		if time.Now().After(deadline) {
			stop()
			return "", fmt.Errorf("redis-server on %s did not answer PING", addr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func lastLines(b []byte, n int) []byte {
	lines := bytes.Split(bytes.TrimSpace(b), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return bytes.Join(lines, []byte("\n"))
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Ping sends PING to addr on a new connection and checks for +PONG.
func Ping(addr string) error {
	c, err := Dial(addr)
	if err != nil {
		return err
	}
	defer c.Close()
	r, err := c.Do("PING")
	if err != nil {
		return err
	}
	if string(r) != "+PONG\r\n" {
		return fmt.Errorf("PING replied %q", r)
	}
	return nil
}

// Conn is a raw RESP connection.
type Conn struct {
	net.Conn
	R *bufio.Reader
}

// Dial opens a Conn to addr.
func Dial(addr string) (*Conn, error) {
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return nil, err
	}
	return &Conn{Conn: c, R: bufio.NewReader(c)}, nil
}

// Send writes a request built from args.
func (c *Conn) Send(args ...[]byte) error {
	_, err := c.Write(AppendCommand(nil, args...))
	return err
}

// Read reads one reply, waiting at most ReplyTimeout.
func (c *Conn) Read() ([]byte, error) {
	_ = c.SetReadDeadline(time.Now().Add(ReplyTimeout))
	return ReadReply(c.R)
}

// Do sends a command given as strings and reads its reply.
func (c *Conn) Do(args ...string) ([]byte, error) {
	bs := make([][]byte, len(args))
	for i, a := range args {
		bs[i] = []byte(a)
	}
	if err := c.Send(bs...); err != nil {
		return nil, err
	}
	return c.Read()
}

// ReadUntilClose reads everything the peer sends until it closes the
// connection. It fails if the connection stays open for ReplyTimeout.
func (c *Conn) ReadUntilClose() ([]byte, error) {
	_ = c.SetReadDeadline(time.Now().Add(ReplyTimeout))
	b, err := io.ReadAll(c.R)
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return b, fmt.Errorf("connection still open after %v", ReplyTimeout)
		}
		if !errors.Is(err, net.ErrClosed) && !isReset(err) {
			return b, err
		}
	}
	return b, nil
}

func isReset(err error) bool {
	var oe *net.OpError
	return errors.As(err, &oe) && oe.Op == "read"
}

// Mismatch is one difference between the two servers.
type Mismatch struct {
	Script string
	Line   int
	Text   string
	Got    []byte // rundb (or the server under test)
	Want   []byte // redis
	Why    string
}

func (m *Mismatch) Error() string {
	why := ""
	if m.Why != "" {
		why = " (" + m.Why + ")"
	}
	return fmt.Sprintf("%s:%d: %s%s: got %q; want %q", m.Script, m.Line, m.Text, why, m.Got, m.Want)
}

// side is one server's set of connections.
type side struct {
	addr  string
	conns map[int]*Conn
}

func (s *side) conn(n int) (*Conn, error) {
	if c, ok := s.conns[n]; ok {
		return c, nil
	}
	c, err := Dial(s.addr)
	if err != nil {
		return nil, err
	}
	s.conns[n] = c
	return c, nil
}

func (s *side) close() {
	for _, c := range s.conns {
		c.Close()
	}
}

// reset empties every database of addr.
func reset(addr string) error {
	c, err := Dial(addr)
	if err != nil {
		return err
	}
	defer c.Close()
	if r, err := c.Do("FLUSHALL"); err != nil || string(r) != "+OK\r\n" {
		return fmt.Errorf("FLUSHALL on %s: %q %v", addr, r, err)
	}
	return nil
}

// Compare runs script s against the server under test at gotAddr and the
// oracle at wantAddr and returns the differences (at most MaxMismatches).
// A non-nil error means the run itself could not continue.
func Compare(s *Script, gotAddr, wantAddr string) ([]*Mismatch, error) {
	if err := reset(gotAddr); err != nil {
		return nil, err
	}
	if err := reset(wantAddr); err != nil {
		return nil, err
	}
	got := &side{addr: gotAddr, conns: map[int]*Conn{}}
	want := &side{addr: wantAddr, conns: map[int]*Conn{}}
	defer got.close()
	defer want.close()
	// Every connection starts in database 0 on both sides.
	for _, sd := range []*side{got, want} {
		c, err := sd.conn(1)
		if err != nil {
			return nil, err
		}
		if r, err := c.Do("SELECT", "0"); err != nil || string(r) != "+OK\r\n" {
			return nil, fmt.Errorf("SELECT 0 on %s: %q %v", sd.addr, r, err)
		}
	}
	var out []*Mismatch
	for i := range s.Steps {
		st := &s.Steps[i]
		if st.Kind == StepSleep {
			time.Sleep(st.Sleep)
			continue
		}
		g, gerr := runStep(got, st)
		w, werr := runStep(want, st)
		mm := &Mismatch{Script: s.Name, Line: st.Line, Text: st.Text, Got: g, Want: w}
		if werr != nil {
			return out, fmt.Errorf("%s:%d: %s: oracle failed: %v (got %q)", s.Name, st.Line, st.Text, werr, w)
		}
		if gerr != nil {
			mm.Why = gerr.Error()
			out = append(out, mm)
			return out, nil // the connection state is unknown now
		}
		if why := compareReplies(st, g, w); why != "" {
			mm.Why = why
			out = append(out, mm)
			if len(out) >= MaxMismatches {
				return out, nil
			}
		}
	}
	return out, nil
}

func runStep(sd *side, st *Step) ([]byte, error) {
	c, err := sd.conn(st.Conn)
	if err != nil {
		return nil, err
	}
	if st.Kind == StepRecv {
		return c.Read()
	}
	if st.Kind == StepRaw {
		_, err = c.Write(st.Raw)
	} else {
		err = c.Send(st.Args...)
	}
	if err != nil {
		return nil, err
	}
	if st.NoReply {
		return nil, nil
	}
	if st.CloseExpected {
		b, err := c.ReadUntilClose()
		c.Close()
		delete(sd.conns, st.Conn)
		return b, err
	}
	return c.Read()
}

// compareReplies returns why got and want differ under st's rules, or "".
func compareReplies(st *Step, got, want []byte) string {
	switch {
	case st.Ignore:
		if len(got) == 0 || len(want) == 0 || got[0] != want[0] {
			return "reply types differ"
		}
		return ""
	case st.Sorted:
		if !bytes.Equal(Canonical(got), Canonical(want)) {
			return "sorted"
		}
		return ""
	case st.Approx:
		if bytes.Equal(got, want) {
			return ""
		}
		gi, gok := intReply(got)
		wi, wok := intReply(want)
		if gok && wok && gi-wi <= 1 && wi-gi <= 1 {
			return ""
		}
		return "approx"
	}
	if !bytes.Equal(got, want) {
		return "differ"
	}
	return ""
}

func intReply(b []byte) (int64, bool) {
	if len(b) < 4 || b[0] != ':' || !bytes.HasSuffix(b, []byte("\r\n")) {
		return 0, false
	}
	v, err := strconv.ParseInt(string(b[1:len(b)-2]), 10, 64)
	return v, err == nil
}

// RunScripts runs every script in dir as a subtest of t, comparing the
// server at gotAddr with the oracle at wantAddr.
func RunScripts(t *testing.T, dir, gotAddr, wantAddr string) {
	t.Helper()
	scripts, err := LoadScripts(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(scripts) == 0 {
		t.Fatalf("no scripts in %s", dir)
	}
	for _, s := range scripts {
		t.Run(s.Name, func(t *testing.T) {
			mms, err := Compare(s, gotAddr, wantAddr)
			for _, m := range mms {
				t.Error(m)
			}
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}
