package bench

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// L1 measures what large values cost the other clients: while one client
// grows a string by APPEND or sets one huge value, a second client sends PING
// in a loop, and the longest PING round trip is the stall the big requests
// caused. It is opt-in (-workloads L1): it moves about 1.5 GB through each
// server and needs a few GB of memory.

// Metric names of L1.
const (
	MAppendSec     = "append_s"           // the APPEND phase, seconds
	MAppendMaxMs   = "append_max_call_ms" // the slowest single APPEND
	MAppendPingMs  = "append_ping_max_ms" // the longest PING during the APPENDs
	MBigSetSec     = "bigset_s"           // the big SET, from first byte sent to reply
	MBigSetPingMs  = "bigset_ping_max_ms" // the longest PING during the big SET
	MBigSetRSSMB   = "bigset_rss_mb"      // RSS growth from the big SET, MiB
	MBigGetSec     = "bigget_s"           // reading the big value back whole
	MBigGetPingMs  = "bigget_ping_max_ms" // the longest PING during that read
	MAbandonRSSMB  = "abandon_rss_mb"     // RSS left 1 s after a client dropped mid-bulk, MiB
	MAbandonFreeMs = "abandon_free_ms"    // until RSS was back within 16 MiB of before (-1: not within 5 s)
)

// Sizes of L1's phases.
const (
	l1Appends   = 400
	l1AppendLen = 1 << 20
	l1BigSet    = 512 << 20 // Redis's default proto-max-bulk-len, the most it accepts
	l1Abandon   = 100 << 20 // the bulk a client announces, sends half of and drops
)

// pinger sends PING in a loop on its own connection and keeps the longest
// round trip since the last reset.
type pinger struct {
	max  atomic.Int64 // ns
	stop atomic.Bool
	err  error
	wg   sync.WaitGroup
}

func startPinger(addr string) (*pinger, error) {
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return nil, err
	}
	p := &pinger{}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		defer c.Close()
		rd := bufio.NewReader(c)
		ping := []byte("PING\r\n")
		for !p.stop.Load() {
			t := time.Now()
			if _, err := c.Write(ping); err != nil {
				p.err = err
				return
			}
			line, err := rd.ReadSlice('\n')
			if err != nil {
				p.err = err
				return
			}
			if string(line) != "+PONG\r\n" {
				p.err = fmt.Errorf("PING: got %q", line)
				return
			}
			d := int64(time.Since(t))
			for {
				m := p.max.Load()
				if d <= m || p.max.CompareAndSwap(m, d) {
					break
				}
			}
		}
	}()
	return p, nil
}

// take returns the longest round trip since the last take, in ms.
func (p *pinger) take() float64 { return float64(p.max.Swap(0)) / 1e6 }

func (p *pinger) close() error {
	p.stop.Store(true)
	p.wg.Wait()
	return p.err
}

// bigConn is a plain connection for requests too large for Client's buffers.
type bigConn struct {
	c  net.Conn
	rd *bufio.Reader
}

func dialBig(addr string) (*bigConn, error) {
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return nil, err
	}
	return &bigConn{c: c, rd: bufio.NewReaderSize(c, 1<<20)}, nil
}

// send writes a command whose last argument is payload, without building it
// in one buffer.
func (b *bigConn) send(payload []byte, args ...string) error {
	h := []byte("*" + strconv.Itoa(len(args)+1) + "\r\n")
	for _, a := range args {
		h = AppendBulkArg(h, a)
	}
	h = append(h, "$"+strconv.Itoa(len(payload))+"\r\n"...)
	if _, err := b.c.Write(h); err != nil {
		return err
	}
	for len(payload) > 0 {
		k := min(len(payload), ioChunk)
		if _, err := b.c.Write(payload[:k]); err != nil {
			return err
		}
		payload = payload[k:]
		runtime.Gosched()
	}
	_, err := b.c.Write([]byte("\r\n"))
	return err
}

// ioChunk is what the big client writes or reads between yields. The lab
// runs on one CPU: a goroutine streaming hundreds of megabytes to a server
// that keeps up would otherwise hold it for a whole scheduler time slice
// (10 ms), and the PING client's wait would measure that, not the server.
const ioChunk = 1 << 20

// readFull is io.ReadFull in ioChunk pieces, yielding between them.
func readFull(r io.Reader, b []byte) error {
	for len(b) > 0 {
		k := min(len(b), ioChunk)
		if _, err := io.ReadFull(r, b[:k]); err != nil {
			return err
		}
		b = b[k:]
		runtime.Gosched()
	}
	return nil
}

// line reads a one-line reply; an error reply becomes an error.
func (b *bigConn) line() (string, error) {
	l, err := b.rd.ReadString('\n')
	if err != nil {
		return "", err
	}
	if len(l) > 0 && l[0] == '-' {
		return "", replyError(l[1 : len(l)-2])
	}
	return l[:len(l)-2], nil
}

// AppendBulkArg appends one bulk string to a command being built.
func AppendBulkArg(b []byte, a string) []byte {
	b = append(b, '$')
	b = strconv.AppendInt(b, int64(len(a)), 10)
	b = append(b, '\r', '\n')
	b = append(b, a...)
	return append(b, '\r', '\n')
}

func runL1(e *Env) (Metrics, error) {
	addr := e.Server.Addr
	m := Metrics{}
	png, err := startPinger(addr)
	if err != nil {
		return nil, err
	}
	defer png.close()
	bc, err := dialBig(addr)
	if err != nil {
		return nil, err
	}
	defer bc.c.Close()
	rng := rand.New(rand.NewPCG(1, 2))
	chunk := make([]byte, l1AppendLen)
	for i := range chunk {
		chunk[i] = 'a' + byte(rng.IntN(26))
	}
	total := 5 * l1Appends
	step := func(done float64) { e.Progress(done / float64(total)) }

	// APPEND growth: 400 × 1 MB onto one key.
	png.take()
	t0 := time.Now()
	var slowest time.Duration
	for i := 0; i < l1Appends; i++ {
		t := time.Now()
		if err := bc.send(chunk, "APPEND", "l1:append"); err != nil {
			return nil, err
		}
		l, err := bc.line()
		if err != nil {
			return nil, fmt.Errorf("APPEND: %w", err)
		}
		if want := ":" + strconv.Itoa((i+1)*l1AppendLen); l != want {
			return nil, fmt.Errorf("APPEND: got %q, want %q", l, want)
		}
		slowest = max(slowest, time.Since(t))
		step(float64(i))
	}
	m[MAppendSec] = time.Since(t0).Seconds()
	m[MAppendMaxMs] = float64(slowest) / 1e6
	m[MAppendPingMs] = png.take()
	if _, err := bc.c.Write(AppendCommand(nil, "DEL", "l1:append")); err != nil {
		return nil, err
	}
	if _, err := bc.line(); err != nil {
		return nil, err
	}

	// One 512 MB SET, then reading it back whole.
	big := make([]byte, l1BigSet)
	for off := 0; off < len(big); off += len(chunk) {
		copy(big[off:], chunk)
	}
	time.Sleep(200 * time.Millisecond) // let the DEL's freeing settle
	rss0, err := e.Server.RSS()
	if err != nil {
		return nil, err
	}
	png.take()
	t0 = time.Now()
	if err := bc.send(big, "SET", "l1:big"); err != nil {
		return nil, err
	}
	if l, err := bc.line(); err != nil || l != "+OK" {
		return nil, fmt.Errorf("SET of %d bytes: %q %v", len(big), l, err)
	}
	m[MBigSetSec] = time.Since(t0).Seconds()
	m[MBigSetPingMs] = png.take()
	rss1, err := e.Server.RSS()
	if err != nil {
		return nil, err
	}
	m[MBigSetRSSMB] = float64(rss1-rss0) / (1 << 20)
	step(2 * l1Appends)

	t0 = time.Now()
	if _, err := bc.c.Write(AppendCommand(nil, "GET", "l1:big")); err != nil {
		return nil, err
	}
	l, err := bc.line()
	if err != nil {
		return nil, fmt.Errorf("GET: %w", err)
	}
	if l != "$"+strconv.Itoa(len(big)) {
		return nil, fmt.Errorf("GET: header %q, want $%d", l, len(big))
	}
	back := make([]byte, len(big)+2)
	if err := readFull(bc.rd, back); err != nil {
		return nil, fmt.Errorf("GET: reading the value back: %w", err)
	}
	if string(back[:len(big)]) != string(big) {
		return nil, errors.New("GET: the value read back differs")
	}
	m[MBigGetSec] = time.Since(t0).Seconds()
	m[MBigGetPingMs] = png.take()
	back = nil
	if _, err := bc.c.Write(AppendCommand(nil, "DEL", "l1:big")); err != nil {
		return nil, err
	}
	if _, err := bc.line(); err != nil {
		return nil, err
	}
	step(4 * l1Appends)

	// A client announces a 100 MB bulk, sends half of it and disconnects.
	time.Sleep(200 * time.Millisecond)
	rss0, err = e.Server.RSS()
	if err != nil {
		return nil, err
	}
	ac, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return nil, err
	}
	h := AppendBulkArg([]byte("*3\r\n"), "SET")
	h = AppendBulkArg(h, "l1:abandoned")
	h = append(h, "$"+strconv.Itoa(l1Abandon)+"\r\n"...)
	if _, err := ac.Write(h); err != nil {
		return nil, err
	}
	for off := 0; off < l1Abandon/2; off += ioChunk {
		if _, err := ac.Write(big[off : off+ioChunk]); err != nil {
			return nil, err
		}
		runtime.Gosched()
	}
	time.Sleep(100 * time.Millisecond) // the server reads them meanwhile
	ac.Close()
	tc := time.Now()
	m[MAbandonFreeMs] = -1
	for time.Since(tc) < 5*time.Second {
		r, err := e.Server.RSS()
		if err != nil {
			return nil, err
		}
		if r-rss0 < 16<<20 {
			m[MAbandonFreeMs] = float64(time.Since(tc)) / 1e6
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(time.Until(tc.Add(time.Second)))
	r, err := e.Server.RSS()
	if err != nil {
		return nil, err
	}
	m[MAbandonRSSMB] = float64(r-rss0) / (1 << 20)
	step(float64(total))
	if err := png.close(); err != nil {
		return nil, fmt.Errorf("PING client: %w", err)
	}
	return m, e.Server.Alive()
}

func init() {
	Register(&Workload{
		Name: "L1", Title: "large-values", Kind: KindLarge, OptIn: true,
		Doc: "400 × 1 MB APPEND onto one key, one 512 MB SET read back with GET, a client dropping a 100 MB bulk halfway; " +
			"a second client PINGs throughout (its longest round trip is the stall); opt-in: -workloads L1",
		Cost:       func(Sizes, string) float64 { return 2e6 },
		MinTimeout: 5 * time.Minute, // a slow backend takes a minute or more
		Run:        runL1,
	})
}
