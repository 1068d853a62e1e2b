//go:build linux

package netpoll

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

const deadline = 10 * time.Second

type closeEvent struct {
	fd  int
	err error
}

// lineHandler is a line protocol: each "\n"-terminated line is a command.
//
//	BIG n      reply n pattern bytes
//	R...       reply replySize pattern bytes
//	QUIT       reply "BYE\n", then close after flush
//	QUITBIG n  reply n pattern bytes, then close after flush
//	KILL       close now
//	SINK n     the next n bytes go into a buffer of their own (ReadInto)
//	anything   echo the line
//
// It stops consuming while the conn is back-pressured.
type lineHandler struct {
	l         *Loop
	calls     chan func()
	closes    chan closeEvent
	ticks     atomic.Int64
	wakes     atomic.Int64
	opened    atomic.Int64
	refuse    bool        // OnOpen writes an error and returns false
	onOpen    func(*Conn) // extra OnOpen work
	replySize int

	// loop goroutine only
	maxOut   int
	consumed int
	sleeps   int
	newBytes int // sum of len(data)-InLen() over OnData calls
	outCaps  []int
	sinks    [][]byte // SINK buffers, in order
}

func newLineHandler() *lineHandler {
	return &lineHandler{calls: make(chan func(), 16), closes: make(chan closeEvent, 4096), replySize: 2048}
}

// slab holds the reply pattern "abc...z" repeated; byte i of a pattern reply
// is 'a'+i%26.
var slab = bytes.Repeat([]byte("abcdefghijklmnopqrstuvwxyz"), 2600)

// pattern appends n pattern bytes to b.
func pattern(b []byte, n int) []byte {
	for n > 0 {
		k := min(n, len(slab)-26)
		b = append(b, slab[:k]...)
		n -= k
	}
	return b
}

func (h *lineHandler) OnOpen(c *Conn) bool {
	h.opened.Add(1)
	if h.onOpen != nil {
		h.onOpen(c)
	}
	if h.refuse {
		c.Write([]byte("-ERR max number of clients reached\n"))
		return false
	}
	return true
}

func (h *lineHandler) OnData(c *Conn, data []byte) int {
	h.newBytes += len(data) - c.InLen()
	consumed := 0
	for !c.Closing() && !c.Backpressured() {
		i := bytes.IndexByte(data[consumed:], '\n')
		if i < 0 {
			break
		}
		line := string(data[consumed : consumed+i])
		consumed += i + 1
		h.consumed += i + 1
		if n, ok := strings.CutPrefix(line, "SINK "); ok {
			// What data already holds of the payload is copied, the rest
			// is read straight into the buffer.
			size, _ := strconv.Atoi(n)
			buf := make([]byte, size)
			have := copy(buf, data[consumed:])
			consumed += have
			h.sinks = append(h.sinks, buf)
			if have < size {
				c.ReadInto(buf[have:])
				return consumed
			}
			continue
		}
		h.command(c, line)
		if n := c.OutLen(); n > h.maxOut {
			h.maxOut = n
		}
	}
	return consumed
}

func (h *lineHandler) command(c *Conn, line string) {
	switch {
	case strings.HasPrefix(line, "BIG "):
		n, _ := strconv.Atoi(line[4:])
		c.AppendOut(func(b []byte) []byte { return pattern(b, n) })
	case strings.HasPrefix(line, "QUITBIG "):
		n, _ := strconv.Atoi(line[8:])
		c.AppendOut(func(b []byte) []byte { return pattern(b, n) })
		h.l.CloseAfterFlush(c)
	case strings.HasPrefix(line, "R"):
		c.AppendOut(func(b []byte) []byte { return pattern(b, h.replySize) })
	case line == "QUIT":
		c.Write([]byte("BYE\n"))
		h.l.CloseAfterFlush(c)
	case line == "KILL":
		h.l.Close(c)
	case line == "CAP":
		h.outCaps = append(h.outCaps, cap(c.out))
		c.Write([]byte("OK\n"))
	default:
		c.Write([]byte(line))
		c.Write([]byte{'\n'})
	}
}

func (h *lineHandler) OnClose(c *Conn, err error) {
	h.closes <- closeEvent{c.Fd, err}
}

func (h *lineHandler) OnTick() { h.ticks.Add(1) }

func (h *lineHandler) OnWake() {
	h.wakes.Add(1)
	for {
		select {
		case f := <-h.calls:
			f()
		default:
			return
		}
	}
}

func (h *lineHandler) BeforeSleep() { h.sleeps++ }

// do runs f on the loop goroutine and waits for it.
func (h *lineHandler) do(t *testing.T, f func()) {
	t.Helper()
	done := make(chan struct{})
	h.calls <- func() { f(); close(done) }
	h.l.Wake()
	select {
	case <-done:
	case <-time.After(deadline):
		t.Fatal("loop did not run the call")
	}
}

// start creates and runs a loop; the test's cleanup stops it.
func start(t *testing.T, cfg Config, h *lineHandler) *Loop {
	t.Helper()
	if cfg.Addr == "" && len(cfg.Addrs) == 0 {
		cfg.Addr = "127.0.0.1:0"
	}
	l, err := New(cfg, h)
	if err != nil {
		t.Fatal(err)
	}
	h.l = l
	done := make(chan error, 1)
	go func() { done <- l.Run() }()
	t.Cleanup(func() {
		l.Stop()
		select {
		case err := <-done:
			// ErrStopped: Stop came before Run started.
			if err != nil && err != ErrStopped {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(deadline):
			t.Error("Run did not return after Stop")
		}
	})
	return l
}

func dial(t *testing.T, l *Loop) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", l.Addr(), deadline)
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(deadline))
	t.Cleanup(func() { c.Close() })
	return c
}

func waitClose(t *testing.T, h *lineHandler) closeEvent {
	t.Helper()
	select {
	case ev := <-h.closes:
		return ev
	case <-time.After(deadline):
		t.Fatal("OnClose not called")
	}
	return closeEvent{}
}

func readLine(t *testing.T, r *bufio.Reader) string {
	t.Helper()
	s, err := r.ReadString('\n')
	if err != nil {
		t.Fatalf("read: %v (got %q)", err, s)
	}
	return s
}

// checkPattern checks that got is the pattern starting at offset off.
func checkPattern(t *testing.T, got []byte, off int) {
	t.Helper()
	for len(got) > 0 {
		k := min(len(got), len(slab)-26)
		if want := slab[off%26 : off%26+k]; !bytes.Equal(got[:k], want) {
			t.Fatalf("pattern differs in bytes %d..%d", off, off+k)
		}
		got, off = got[k:], off+k
	}
}

func TestEchoAndEOF(t *testing.T) {
	h := newLineHandler()
	l := start(t, Config{}, h)
	c := dial(t, l)
	r := bufio.NewReader(c)
	for _, s := range []string{"hello", "", "world"} {
		fmt.Fprintf(c, "%s\n", s)
		if got := readLine(t, r); got != s+"\n" {
			t.Fatalf("got %q; want %q", got, s+"\n")
		}
	}
	var local, remote string
	h.do(t, func() {
		l.Conns(func(cc *Conn) bool { local, remote = cc.LocalAddr, cc.RemoteAddr; return true })
	})
	if local != l.Addr() || remote != c.LocalAddr().String() {
		t.Fatalf("addrs got %q %q; want %q %q", local, remote, l.Addr(), c.LocalAddr())
	}
	if n := l.NumConns(); n != 1 {
		t.Fatalf("NumConns got %d; want 1", n)
	}
	c.Close()
	if ev := waitClose(t, h); ev.err != io.EOF {
		t.Fatalf("OnClose err got %v; want io.EOF", ev.err)
	}
	if n := l.NumConns(); n != 0 {
		t.Fatalf("NumConns got %d; want 0", n)
	}
}

func TestReadInto(t *testing.T) {
	h := newLineHandler()
	l := start(t, Config{}, h)
	c := dial(t, l)
	r := bufio.NewReader(c)
	const size = 3*maxSinkRead + 12345
	payload := pattern(nil, size)
	var sleeps0 int
	h.do(t, func() { sleeps0 = h.sleeps })
	// The payload goes in pieces, so the sink fills over several reads.
	msg := append([]byte("SINK "+strconv.Itoa(size)+"\n"), payload...)
	msg = append(msg, "after\n"...)
	for len(msg) > 0 {
		k := min(len(msg), 1+rand.Intn(700<<10))
		if _, err := c.Write(msg[:k]); err != nil {
			t.Fatal(err)
		}
		msg = msg[k:]
	}
	if got := readLine(t, r); got != "after\n" {
		t.Fatalf("got %q; want the line after the payload", got)
	}
	h.do(t, func() {
		if len(h.sinks) != 1 {
			t.Fatalf("%d sinks", len(h.sinks))
		}
		checkPattern(t, h.sinks[0], 0)
		// OnData saw the two lines and at most one read's share of the
		// payload, never the bytes read into the sink.
		if h.newBytes > len("SINK "+strconv.Itoa(size)+"\nafter\n")+defaultReadBufSize {
			t.Fatalf("OnData was offered %d bytes", h.newBytes)
		}
		// At most maxSinkRead bytes a turn: at least 3 turns.
		if h.sleeps-sleeps0 < 3 {
			t.Fatalf("the payload took %d loop turns; want at least 3", h.sleeps-sleeps0)
		}
	})
}

func TestReadIntoPeerGone(t *testing.T) {
	h := newLineHandler()
	l := start(t, Config{}, h)
	c := dial(t, l)
	if _, err := c.Write(append([]byte("SINK 1000000\n"), pattern(nil, 400000)...)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	c.Close()
	if ev := waitClose(t, h); ev.err != io.EOF {
		t.Fatalf("OnClose error %v; want EOF", ev.err)
	}
	h.do(t, func() {
		b := h.sinks[0]
		n := bytes.IndexByte(b, 0)
		if n != 400000 {
			t.Fatalf("sink filled to %d bytes; want 400000", n)
		}
		checkPattern(t, b[:n], 0)
	})
}

func TestManyClients(t *testing.T) {
	h := newLineHandler()
	l := start(t, Config{}, h)
	const clients, lines = 64, 200
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for i := 0; i < clients; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			c, err := net.DialTimeout("tcp", l.Addr(), deadline)
			if err != nil {
				errs <- err
				return
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(deadline))
			r := bufio.NewReader(c)
			// Send in batches to pipeline a little.
			for j := 0; j < lines; j += 10 {
				var b []byte
				for k := j; k < j+10; k++ {
					b = fmt.Appendf(b, "c%d-l%d\n", i, k)
				}
				if _, err := c.Write(b); err != nil {
					errs <- err
					return
				}
				for k := j; k < j+10; k++ {
					s, err := r.ReadString('\n')
					if want := fmt.Sprintf("c%d-l%d\n", i, k); err != nil || s != want {
						errs <- fmt.Errorf("got %q, %v; want %q", s, err, want)
						return
					}
				}
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for i := 0; i < clients; i++ {
		waitClose(t, h)
	}
	if n := l.NumConns(); n != 0 {
		t.Fatalf("NumConns got %d; want 0", n)
	}
	if h.opened.Load() != clients {
		t.Fatalf("opened %d; want %d", h.opened.Load(), clients)
	}
}

// TestPipelineCut sends a pipeline in random pieces to a loop whose read
// buffer is 7 bytes, so commands are cut at every possible point and the
// leftover path carries them across reads.
func TestPipelineCut(t *testing.T) {
	h := newLineHandler()
	l := start(t, Config{ReadBufSize: 7}, h)
	c := dial(t, l)
	rng := rand.New(rand.NewSource(1))
	var want bytes.Buffer
	var pipeline []byte
	for i := 0; i < 2000; i++ {
		s := strings.Repeat(string(rune('a'+i%26)), rng.Intn(40)) + strconv.Itoa(i)
		pipeline = append(pipeline, s...)
		pipeline = append(pipeline, '\n')
	}
	want.Write(pipeline)
	go func() {
		p := pipeline
		for len(p) > 0 {
			n := 1 + rng.Intn(64)
			if n > len(p) {
				n = len(p)
			}
			if _, err := c.Write(p[:n]); err != nil {
				return
			}
			p = p[n:]
		}
	}()
	got := make([]byte, want.Len())
	if _, err := io.ReadFull(c, got); err != nil {
		t.Fatal(err)
	}
	var newBytes int
	h.do(t, func() { newBytes = h.newBytes })
	if newBytes != len(pipeline) {
		t.Errorf("new bytes by InLen: got %d; want %d", newBytes, len(pipeline))
	}
	if !bytes.Equal(got, want.Bytes()) {
		for i := range got {
			if got[i] != want.Bytes()[i] {
				t.Fatalf("echo differs at %d: got %q; want %q", i, got[max(0, i-20):i+20], want.Bytes()[max(0, i-20):i+20])
			}
		}
	}
}

// TestLargeReplySlowReader writes a 64MB reply to a client that reads slowly
// at first: the writes hit EAGAIN, the rest waits for EPOLLOUT, and the whole
// reply arrives intact. The big output buffer is dropped once drained.
func TestLargeReplySlowReader(t *testing.T) {
	h := newLineHandler()
	l := start(t, Config{}, h)
	c := dial(t, l)
	size := 64 << 20
	if raceEnabled {
		size = 16 << 20
	}
	fmt.Fprintf(c, "BIG %d\nafter\n", size)
	// Read nothing until a write has hit EAGAIN and waits for EPOLLOUT.
	for armed := false; !armed; {
		h.do(t, func() {
			l.Conns(func(cc *Conn) bool { armed = cc.writeArmed && cc.OutLen() > 0; return true })
		})
		time.Sleep(time.Millisecond)
	}
	buf := make([]byte, 64<<10)
	got := 0
	for reads := 0; got < size; reads++ {
		if reads < 20 {
			time.Sleep(time.Millisecond)
		}
		n, err := c.Read(buf[:min(len(buf), size-got)])
		checkPattern(t, buf[:n], got)
		got += n
		if err != nil {
			t.Fatalf("read after %d bytes: %v", got, err)
		}
	}
	r := bufio.NewReader(c)
	if s := readLine(t, r); s != "after\n" {
		t.Fatalf("got %q; want %q", s, "after\n")
	}
	fmt.Fprintf(c, "CAP\n")
	readLine(t, r)
	var caps []int
	h.do(t, func() { caps = h.outCaps })
	if len(caps) != 1 || caps[0] > keepOutCap {
		t.Errorf("output buffer cap after drain: %v; want <= %d", caps, keepOutCap)
	}
}

// TestBackpressure: a client sends far more requests than it reads replies
// for. The loop stops reading it, so the server's pending output stays
// bounded; once the client reads, every request is answered.
func TestBackpressure(t *testing.T) {
	h := newLineHandler()
	const maxOut = 256 << 10
	h.replySize = 4096
	h.onOpen = func(c *Conn) {
		// A small receive buffer keeps the bytes in flight small.
		unix.SetsockoptInt(c.Fd, unix.SOL_SOCKET, unix.SO_RCVBUF, 64<<10)
	}
	l := start(t, Config{MaxPendingOut: maxOut}, h)
	c := dial(t, l)
	c.(*net.TCPConn).SetWriteBuffer(64 << 10)
	c.(*net.TCPConn).SetReadBuffer(64 << 10)
	line := append(bytes.Repeat([]byte{'R'}, 1023), '\n')
	const cmds = 8 << 10 // 8MB of requests, 32MB of replies
	sent := make(chan error, 1)
	go func() {
		var err error
		for i := 0; i < cmds && err == nil; i++ {
			_, err = c.Write(line)
		}
		sent <- err
	}()

	// Wait until the loop has stopped reading and consumption stalls.
	var paused bool
	var consumed, maxSeen int
	last := -1
	for start := time.Now(); time.Since(start) < 2*time.Second; {
		time.Sleep(50 * time.Millisecond)
		h.do(t, func() {
			consumed, maxSeen = h.consumed, h.maxOut
			paused = false
			l.Conns(func(cc *Conn) bool { paused = cc.paused; return true })
		})
		if paused && consumed == last {
			break
		}
		last = consumed
	}
	t.Logf("paused after consuming %d bytes; pending output peaked at %d", consumed, maxSeen)
	if !paused {
		t.Fatal("loop did not pause reading")
	}
	if consumed >= cmds*len(line) {
		t.Fatalf("server consumed all %d bytes without the client reading", consumed)
	}
	if bound := 2*maxOut + h.replySize; maxSeen > bound {
		t.Fatalf("pending output reached %d; want <= %d", maxSeen, bound)
	}

	// Now read everything: the loop resumes and answers every request.
	buf := make([]byte, 256<<10)
	total := cmds * h.replySize
	for got := 0; got < total; {
		n, err := c.Read(buf)
		got += n
		if err != nil {
			t.Fatalf("read after %d of %d bytes: %v", got, total, err)
		}
	}
	if err := <-sent; err != nil {
		t.Fatal(err)
	}
	h.do(t, func() { maxSeen = h.maxOut })
	if bound := 2*maxOut + h.replySize; maxSeen > bound {
		t.Fatalf("pending output reached %d; want <= %d", maxSeen, bound)
	}
}

func TestStopFromOtherGoroutine(t *testing.T) {
	h := newLineHandler()
	l, err := New(Config{Addr: "127.0.0.1:0"}, h)
	if err != nil {
		t.Fatal(err)
	}
	h.l = l
	done := make(chan error, 1)
	go func() { done <- l.Run() }()
	var conns []net.Conn
	for i := 0; i < 3; i++ {
		c := dial(t, l)
		fmt.Fprintf(c, "x\n")
		bufio.NewReader(c).ReadString('\n')
		conns = append(conns, c)
	}
	go l.Stop()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(deadline):
		t.Fatal("Run did not return")
	}
	for i := 0; i < 3; i++ {
		if ev := waitClose(t, h); ev.err != ErrStopped {
			t.Fatalf("OnClose err got %v; want ErrStopped", ev.err)
		}
	}
	for _, c := range conns {
		if _, err := c.Read(make([]byte, 1)); err != io.EOF {
			t.Fatalf("client read got %v; want EOF", err)
		}
	}
	if err := l.Run(); err != ErrStopped {
		t.Fatalf("second Run got %v; want ErrStopped", err)
	}
	l.Stop() // no-op
	l.Wake() // no-op, must not write to a closed fd
	// The port is free again.
	ln, err := net.Listen("tcp", l.Addr())
	if err != nil {
		t.Fatalf("listen on the stopped loop's address: %v", err)
	}
	ln.Close()
}

func TestStopBeforeRun(t *testing.T) {
	h := newLineHandler()
	l, err := New(Config{Addr: "127.0.0.1:0"}, h)
	if err != nil {
		t.Fatal(err)
	}
	l.Stop()
	if err := l.Run(); err != ErrStopped {
		t.Fatalf("Run got %v; want ErrStopped", err)
	}
	ln, err := net.Listen("tcp", l.Addr())
	if err != nil {
		t.Fatalf("listener not closed: %v", err)
	}
	ln.Close()
}

func TestNewErrors(t *testing.T) {
	h := newLineHandler()
	l := start(t, Config{}, h)
	if _, err := New(Config{Addr: l.Addr()}, h); err == nil || !errors.Is(err, unix.EADDRINUSE) {
		t.Fatalf("New on a used port: got %v; want EADDRINUSE", err)
	}
	if _, err := New(Config{Addr: "no-port"}, h); err == nil {
		t.Fatal("New with a bad address succeeded")
	}
}

func TestWake(t *testing.T) {
	h := newLineHandler()
	l := start(t, Config{}, h)
	const goroutines, each = 8, 500
	var total atomic.Int64
	var wg sync.WaitGroup
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				h.calls <- func() { total.Add(1) }
				l.Wake()
			}
		}()
	}
	wg.Wait()
	h.do(t, func() {})
	if got := total.Load(); got != goroutines*each {
		t.Fatalf("calls run %d; want %d", got, goroutines*each)
	}
	if w := h.wakes.Load(); w < 1 || w > goroutines*each+1 {
		t.Fatalf("OnWake calls %d", w)
	}
}

func TestTicks(t *testing.T) {
	h := newLineHandler()
	start(t, Config{TickInterval: 5 * time.Millisecond}, h)
	for start := time.Now(); h.ticks.Load() < 10; {
		if time.Since(start) > deadline {
			t.Fatalf("only %d ticks", h.ticks.Load())
		}
		time.Sleep(5 * time.Millisecond)
	}
	h2 := newLineHandler()
	start(t, Config{}, h2)
	time.Sleep(20 * time.Millisecond)
	if n := h2.ticks.Load(); n != 0 {
		t.Fatalf("ticks without TickInterval: %d", n)
	}
}

func TestCloseAfterFlush(t *testing.T) {
	h := newLineHandler()
	l := start(t, Config{}, h)

	c := dial(t, l)
	fmt.Fprintf(c, "hi\nQUIT\nignored\n")
	got, err := io.ReadAll(c)
	if err != nil || string(got) != "hi\nBYE\n" {
		t.Fatalf("got %q, %v; want %q", got, err, "hi\nBYE\n")
	}
	if ev := waitClose(t, h); ev.err != nil {
		t.Fatalf("OnClose err %v; want nil", ev.err)
	}

	// A reply larger than the socket buffers is delivered before the close.
	c = dial(t, l)
	const size = 8 << 20
	fmt.Fprintf(c, "QUITBIG %d\n", size)
	got, err = io.ReadAll(c)
	if err != nil || len(got) != size {
		t.Fatalf("got %d bytes, %v; want %d", len(got), err, size)
	}
	checkPattern(t, got, 0)
	waitClose(t, h)
}

func TestRefuseOnOpen(t *testing.T) {
	h := newLineHandler()
	h.refuse = true
	l := start(t, Config{}, h)
	c := dial(t, l)
	got, err := io.ReadAll(c)
	if want := "-ERR max number of clients reached\n"; err != nil || string(got) != want {
		t.Fatalf("got %q, %v; want %q", got, err, want)
	}
	waitClose(t, h)
	if n := l.NumConns(); n != 0 {
		t.Fatalf("NumConns %d; want 0", n)
	}
}

func TestCloseFromHandler(t *testing.T) {
	h := newLineHandler()
	l := start(t, Config{}, h)
	c := dial(t, l)
	fmt.Fprintf(c, "a\nKILL\nb\n")
	got, _ := io.ReadAll(c)
	// The echo of "a" is dropped by Close (it was never flushed) or arrives;
	// "b" must never be processed.
	if s := string(got); s != "" && s != "a\n" {
		t.Fatalf("got %q", s)
	}
	if ev := waitClose(t, h); ev.err != nil {
		t.Fatalf("OnClose err %v; want nil", ev.err)
	}
	// Close another conn from the loop.
	c1 := dial(t, l)
	c2 := dial(t, l)
	fmt.Fprintf(c1, "1\n")
	fmt.Fprintf(c2, "2\n")
	bufio.NewReader(c1).ReadString('\n')
	bufio.NewReader(c2).ReadString('\n')
	h.do(t, func() {
		l.Conns(func(cc *Conn) bool { l.Close(cc); return false })
	})
	waitClose(t, h)
	if n := l.NumConns(); n != 1 {
		t.Fatalf("NumConns %d; want 1", n)
	}
}

func TestPeerReset(t *testing.T) {
	h := newLineHandler()
	l := start(t, Config{}, h)

	// Reset while idle.
	c := dial(t, l)
	fmt.Fprintf(c, "x\n")
	bufio.NewReader(c).ReadString('\n')
	c.(*net.TCPConn).SetLinger(0)
	c.Close()
	if ev := waitClose(t, h); ev.err == nil {
		t.Fatal("OnClose err nil after reset")
	}

	// Reset while the server has a large reply pending.
	c = dial(t, l)
	fmt.Fprintf(c, "BIG %d\n", 32<<20)
	io.ReadFull(c, make([]byte, 1024))
	c.(*net.TCPConn).SetLinger(0)
	c.Close()
	if ev := waitClose(t, h); ev.err == nil {
		t.Fatal("OnClose err nil after reset")
	}

	// The loop still serves.
	c = dial(t, l)
	fmt.Fprintf(c, "still\n")
	if s := readLine(t, bufio.NewReader(c)); s != "still\n" {
		t.Fatalf("got %q", s)
	}
	if n := l.NumConns(); n != 1 {
		t.Fatalf("NumConns %d; want 1", n)
	}
}

func TestPauseAccept(t *testing.T) {
	h := newLineHandler()
	l := start(t, Config{}, h)
	checkPausedAccept(t, h, l, l.Addr())
}

// checkPausedAccept pauses accepting, connects to addr (the connection
// completes in the kernel backlog), checks that the loop did not take it,
// then resumes and checks that it is served.
func checkPausedAccept(t *testing.T, h *lineHandler, l *Loop, addr string) {
	t.Helper()
	before := h.opened.Load()
	h.do(t, func() { l.PauseAccept(true) })
	c, err := net.DialTimeout("tcp", addr, deadline)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(deadline))
	fmt.Fprintf(c, "queued\n")
	time.Sleep(30 * time.Millisecond)
	if n := h.opened.Load(); n != before {
		t.Fatalf("accepted on %s while paused (opened %d, was %d)", addr, n, before)
	}
	h.do(t, func() { l.PauseAccept(false) })
	if s := readLine(t, bufio.NewReader(c)); s != "queued\n" {
		t.Fatalf("got %q", s)
	}
}

// TestLeftoverGrows: a handler that consumes nothing until a whole large
// line has arrived sees the leftover grow across many reads.
func TestLeftoverGrows(t *testing.T) {
	h := newLineHandler()
	l := start(t, Config{ReadBufSize: 4096}, h)
	c := dial(t, l)
	big := strings.Repeat("z", 1<<20)
	go fmt.Fprintf(c, "%s\n", big)
	got := make([]byte, len(big)+1)
	if _, err := io.ReadFull(c, got); err != nil {
		t.Fatal(err)
	}
	if string(got) != big+"\n" {
		t.Fatal("echo of large line differs")
	}
	var inCap int
	h.do(t, func() { l.Conns(func(cc *Conn) bool { inCap = cap(cc.in); return true }) })
	if inCap > l.keepIn {
		t.Fatalf("input buffer cap %d kept after use; want <= %d", inCap, l.keepIn)
	}
}

// TestAcceptOutOfFds: when accept4 fails with EMFILE the loop stops polling
// the listener instead of spinning, and accepts again at the next tick.
func TestAcceptOutOfFds(t *testing.T) {
	h := newLineHandler()
	l := start(t, Config{TickInterval: 20 * time.Millisecond, Logf: func(string, ...any) {}}, h)
	h.do(t, func() { l.PauseAccept(true) })
	var clients []net.Conn
	for i := 0; i < 3; i++ {
		clients = append(clients, dial(t, l))
	}
	var old unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &old); err != nil {
		t.Fatal(err)
	}
	// Lower the limit to the lowest free fd, and fill any holes below it
	// (fds other tests' conns released late), so accept4 gets EMFILE.
	probe, err := unix.Dup(0)
	if err != nil {
		t.Fatal(err)
	}
	unix.Close(probe)
	lim := old
	lim.Cur = uint64(probe)
	var fillers []int
	defer func() {
		for _, fd := range fillers {
			unix.Close(fd)
		}
	}()
	var turns int
	h.do(t, func() {
		if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
			t.Error(err)
		}
		for {
			fd, err := unix.Dup(0)
			if err != nil {
				break
			}
			fillers = append(fillers, fd)
		}
		l.PauseAccept(false)
		turns = h.sleeps
	})
	if t.Failed() {
		return
	}
	time.Sleep(60 * time.Millisecond)
	var opened int64
	h.do(t, func() {
		turns = h.sleeps - turns
		opened = h.opened.Load()
		if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &old); err != nil {
			t.Error(err)
		}
	})
	if opened != 0 {
		t.Fatalf("accepted %d conns with no fd left", opened)
	}
	if turns > 100 {
		t.Errorf("%d loop turns in 60ms while out of fds: the loop spins", turns)
	}
	for _, c := range clients {
		fmt.Fprintf(c, "back\n")
		if s := readLine(t, bufio.NewReader(c)); s != "back\n" {
			t.Fatalf("got %q", s)
		}
	}
}

// hasIPv6Loopback reports whether ::1 can be bound here.
func hasIPv6Loopback() bool {
	ln, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		return false
	}
	ln.Close()
	return true
}

// echoOn dials addr and checks one echoed line.
func echoOn(t *testing.T, addr, line string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, deadline)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(deadline))
	fmt.Fprintf(c, "%s\n", line)
	if got := readLine(t, bufio.NewReader(c)); got != line+"\n" {
		t.Fatalf("%s: got %q; want %q", addr, got, line+"\n")
	}
}

// startDualStack starts a loop on an IPv4 and an IPv6 address (skipping
// the test on a machine without IPv6 loopback) and checks it has both.
func startDualStack(t *testing.T, v4, v6 string) (*Loop, *lineHandler, []string) {
	t.Helper()
	if !hasIPv6Loopback() {
		t.Skip("no IPv6 loopback (::1) on this machine")
	}
	h := newLineHandler()
	l := start(t, Config{Addrs: []string{v4, v6}}, h)
	addrs := l.Addrs()
	if len(addrs) != 2 {
		t.Fatalf("Addrs %q; want 2 addresses", addrs)
	}
	return l, h, addrs
}

// TestMultipleListeners: a loop bound to 127.0.0.1 and ::1 accepts and
// serves on both, on the port the first listener picked.
func TestMultipleListeners(t *testing.T) {
	l, h, addrs := startDualStack(t, "127.0.0.1:0", "[::1]:0")
	if l.Addr() != addrs[0] {
		t.Fatalf("Addr %q; want the first of %q", l.Addr(), addrs)
	}
	_, p4, _ := net.SplitHostPort(addrs[0])
	h6, p6, _ := net.SplitHostPort(addrs[1])
	if h6 != "::1" || p4 != p6 || p4 == "0" {
		t.Fatalf("Addrs %q; want 127.0.0.1 and ::1 on one port", addrs)
	}
	echoOn(t, addrs[0], "four")
	echoOn(t, addrs[1], "six")
	// Both conns were accepted and served, then closed.
	waitClose(t, h)
	waitClose(t, h)
	if n := h.opened.Load(); n != 2 {
		t.Fatalf("opened %d; want 2", n)
	}
	// Accept pausing covers every listener.
	checkPausedAccept(t, h, l, addrs[1])
}

// TestWildcardListeners: "*" and "::*" are 0.0.0.0 and ::, and coexist on
// one port (the IPv6 socket is IPV6_V6ONLY).
func TestWildcardListeners(t *testing.T) {
	_, _, addrs := startDualStack(t, "*:0", "[::*]:0")
	_, port, _ := net.SplitHostPort(addrs[0])
	if want := []string{"0.0.0.0:" + port, "[::]:" + port}; addrs[0] != want[0] || addrs[1] != want[1] {
		t.Fatalf("Addrs %q; want %q", addrs, want)
	}
	echoOn(t, net.JoinHostPort("127.0.0.1", port), "v4")
	echoOn(t, net.JoinHostPort("::1", port), "v6")
}

// TestOptionalAddress: an address prefixed with "-" that is not available
// here (192.0.2.1, TEST-NET-1) is skipped with a log line; without the
// prefix it fails New with an error naming it; with nothing else to listen
// on, New fails too.
func TestOptionalAddress(t *testing.T) {
	var logs []string
	var mu sync.Mutex
	logf := func(format string, args ...any) {
		mu.Lock()
		logs = append(logs, fmt.Sprintf(format, args...))
		mu.Unlock()
	}
	h := newLineHandler()
	l := start(t, Config{Addrs: []string{"-192.0.2.1:0", "127.0.0.1:0"}, Logf: logf}, h)
	if addrs := l.Addrs(); len(addrs) != 1 || addrs[0] != l.Addr() {
		t.Fatalf("Addrs %q; want only the 127.0.0.1 listener", addrs)
	}
	echoOn(t, l.Addr(), "up")
	mu.Lock()
	logged := strings.Join(logs, "\n")
	mu.Unlock()
	if !strings.Contains(logged, "192.0.2.1") || !strings.Contains(logged, "skipped") {
		t.Fatalf("no log line for the skipped address: %q", logged)
	}

	// Not optional: New fails and names the address.
	_, err := New(Config{Addrs: []string{"127.0.0.1:0", "192.0.2.1:0"}, Logf: logf}, h)
	if err == nil {
		t.Fatal("New with an unavailable address succeeded")
	}
	if !errors.Is(err, unix.EADDRNOTAVAIL) || !strings.Contains(err.Error(), "192.0.2.1") {
		t.Fatalf("New: got %v; want EADDRNOTAVAIL naming 192.0.2.1", err)
	}

	// Optional, but nothing else: no listener at all.
	if _, err := New(Config{Addrs: []string{"-192.0.2.1:0"}, Logf: logf}, h); err == nil {
		t.Fatal("New with no available address succeeded")
	}

	// Optional does not hide other failures: a port in use is fatal.
	host, port, _ := net.SplitHostPort(l.Addr())
	if _, err := New(Config{Addrs: []string{net.JoinHostPort("-"+host, port)}, Logf: logf}, h); err == nil ||
		!errors.Is(err, unix.EADDRINUSE) {
		t.Fatalf("New on a used port with \"-\": got %v; want EADDRINUSE", err)
	}
}

// TestPortZeroShared: with port 0, the first listener picks a free port and
// the others use the same one.
func TestPortZeroShared(t *testing.T) {
	h := newLineHandler()
	l := start(t, Config{Addrs: []string{"127.0.0.1:0", "127.0.0.2:0"}}, h)
	addrs := l.Addrs()
	if len(addrs) != 2 {
		t.Fatalf("Addrs %q; want 2 addresses", addrs)
	}
	h1, p1, _ := net.SplitHostPort(addrs[0])
	h2, p2, _ := net.SplitHostPort(addrs[1])
	if h1 != "127.0.0.1" || h2 != "127.0.0.2" || p1 != p2 || p1 == "0" {
		t.Fatalf("Addrs %q; want 127.0.0.1 and 127.0.0.2 on one free port", addrs)
	}
	echoOn(t, addrs[0], "one")
	echoOn(t, addrs[1], "two")
}

// BenchmarkEcho measures round trips through the loop: one client,
// pipelines of 1 and 64 lines.
func BenchmarkEcho(b *testing.B) {
	for _, depth := range []int{1, 64} {
		b.Run(fmt.Sprintf("pipeline=%d", depth), func(b *testing.B) {
			h := newLineHandler()
			l, err := New(Config{Addr: "127.0.0.1:0"}, h)
			if err != nil {
				b.Fatal(err)
			}
			h.l = l
			done := make(chan error, 1)
			go func() { done <- l.Run() }()
			defer func() { l.Stop(); <-done }()
			c, err := net.Dial("tcp", l.Addr())
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			req := bytes.Repeat([]byte("ping-ping\n"), depth)
			resp := make([]byte, len(req))
			b.SetBytes(int64(len(req)))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := c.Write(req); err != nil {
					b.Fatal(err)
				}
				if _, err := io.ReadFull(c, resp); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// SetTickInterval changes the tick rate of a running loop: from none to
// every 5ms, then back to none.
func TestSetTickInterval(t *testing.T) {
	h := newLineHandler()
	l := start(t, Config{}, h)
	time.Sleep(20 * time.Millisecond)
	if n := h.ticks.Load(); n != 0 {
		t.Fatalf("ticks before SetTickInterval: %d", n)
	}
	h.do(t, func() { l.SetTickInterval(5 * time.Millisecond) })
	for start := time.Now(); h.ticks.Load() < 10; {
		if time.Since(start) > deadline {
			t.Fatalf("only %d ticks after SetTickInterval(5ms)", h.ticks.Load())
		}
		time.Sleep(5 * time.Millisecond)
	}
	h.do(t, func() { l.SetTickInterval(0) })
	n := h.ticks.Load()
	time.Sleep(30 * time.Millisecond)
	if m := h.ticks.Load(); m != n {
		t.Fatalf("%d ticks after SetTickInterval(0)", m-n)
	}
}

// Relisten moves the listener to a new port: the new port accepts, the old
// one refuses, a connection accepted before stays served; a port in use
// fails and leaves the listener where it was.
func TestRelisten(t *testing.T) {
	h := newLineHandler()
	l := start(t, Config{}, h)
	old := l.Addr()
	before := dial(t, l)
	echoOn(t, old, "one")

	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	var rerr error
	h.do(t, func() { rerr = l.Relisten([]string{busy.Addr().String()}) })
	if rerr == nil || !strings.Contains(rerr.Error(), "address already in use") {
		t.Fatalf("Relisten on a busy port: %v", rerr)
	}
	if l.Addr() != old {
		t.Fatalf("after a failed Relisten: addr %s; want %s", l.Addr(), old)
	}
	echoOn(t, old, "two")

	h.do(t, func() { rerr = l.Relisten([]string{"127.0.0.1:0"}) })
	if rerr != nil {
		t.Fatal(rerr)
	}
	if l.Addr() == old {
		t.Fatalf("Relisten kept %s", old)
	}
	echoOn(t, l.Addr(), "three")
	if c, err := net.DialTimeout("tcp", old, time.Second); err == nil {
		c.Close()
		t.Fatalf("old address %s still accepts", old)
	}
	fmt.Fprintf(before, "still here\n")
	if got := readLine(t, bufio.NewReader(before)); strings.TrimSpace(got) != "still here" {
		t.Fatalf("connection from before Relisten: got %q", got)
	}

	// While accepting is paused, the new listener is not polled either.
	h.do(t, func() { l.PauseAccept(true) })
	h.do(t, func() { rerr = l.Relisten([]string{"127.0.0.1:0"}) })
	if rerr != nil {
		t.Fatal(rerr)
	}
	h.do(t, func() { l.PauseAccept(false) })
	echoOn(t, l.Addr(), "four")
}
