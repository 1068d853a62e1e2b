package engine_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"rundb/engine"
	"rundb/engine/config"
	"rundb/engine/mem"
)

// heap is a minimal test allocator (engine packages do not import the
// backends under variants/).
type heap struct {
	blocks [][]byte
	free   []mem.Ref
	st     mem.Stats
	trims  int

	mu  sync.Mutex
	big []int // sizes of Allocs of 1 MB or more, negated for their Frees
}

// bigLog returns the sizes logged so far (safe from the test goroutine).
func (h *heap) bigLog() []int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]int(nil), h.big...)
}

func (h *heap) logBig(n int) {
	if n >= 1<<20 || n <= -1<<20 {
		h.mu.Lock()
		h.big = append(h.big, n)
		h.mu.Unlock()
	}
}

func (h *heap) Trim() { h.trims++ }

func (h *heap) Name() string { return "testheap" }
func (h *heap) Alloc(p mem.Purpose, n int) mem.Ref {
	h.logBig(n)
	h.st.Add(p, n, n)
	if k := len(h.free); k > 0 {
		r := h.free[k-1]
		h.free = h.free[:k-1]
		h.blocks[r-1] = make([]byte, n)
		return r
	}
	h.blocks = append(h.blocks, make([]byte, n))
	return mem.Ref(len(h.blocks))
}
func (h *heap) Free(p mem.Purpose, r mem.Ref, n int) {
	h.logBig(-n)
	h.st.Sub(p, n, n)
	h.blocks[r-1] = nil
	h.free = append(h.free, r)
}
func (h *heap) Repurpose(r mem.Ref, n int, from, to mem.Purpose) { h.st.Move(from, to, n, n) }
func (h *heap) Bytes(r mem.Ref, n int) []byte                    { return h.blocks[r-1][:n] }
func (h *heap) Stats() mem.Stats                                 { return h.st }

func start(t *testing.T, edit func(c *config.Config)) *engine.Server {
	t.Helper()
	return startOn(t, &heap{}, edit)
}

func startOn(t *testing.T, h *heap, edit func(c *config.Config)) *engine.Server {
	t.Helper()
	cfg := config.Default()
	cfg.Port = 0
	cfg.EnableDebugCommand = "local"
	if edit != nil {
		edit(cfg)
	}
	srv, err := engine.NewServer(cfg, h)
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve()
	t.Cleanup(func() {
		srv.Stop()
		<-srv.Done()
	})
	return srv
}

type client struct {
	net.Conn
	r *bufio.Reader
}

func dial(t *testing.T, srv *engine.Server) *client {
	t.Helper()
	c, err := net.Dial("tcp", srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(20 * time.Second))
	return &client{c, bufio.NewReader(c)}
}

// do sends an inline command and reads one reply line (simple replies only).
func (c *client) do(t *testing.T, cmd string) string {
	t.Helper()
	if _, err := c.Write([]byte(cmd + "\r\n")); err != nil {
		t.Fatal(err)
	}
	line, err := c.r.ReadString('\n')
	if err != nil {
		t.Fatalf("%s: %v", cmd, err)
	}
	return strings.TrimRight(line, "\r\n")
}

func TestMaxClients(t *testing.T) {
	srv := start(t, func(c *config.Config) { c.MaxClients = 2 })
	a, b := dial(t, srv), dial(t, srv)
	if got := a.do(t, "PING"); got != "+PONG" {
		t.Fatalf("got %q", got)
	}
	b.do(t, "PING")
	c := dial(t, srv)
	line, _ := c.r.ReadString('\n')
	if line != "-ERR max number of clients reached\r\n" {
		t.Errorf("got %q; want the max clients error", line)
	}
	if _, err := c.r.ReadByte(); err != io.EOF {
		t.Errorf("third client not closed: %v", err)
	}
	// Once a client leaves, a new one gets in.
	a.Close()
	time.Sleep(50 * time.Millisecond)
	d := dial(t, srv)
	if got := d.do(t, "PING"); got != "+PONG" {
		t.Errorf("after a slot freed: got %q", got)
	}
}

// A client that asks for a lot and never reads is disconnected once its
// pending output passes the hard limit, and the server stays healthy.
func TestOutputBufferLimit(t *testing.T) {
	srv := start(t, func(c *config.Config) {
		c.ClientOutputHard = 1 << 20
		c.ClientOutputSoft = 0
	})
	c := dial(t, srv)
	big := strings.Repeat("x", 64<<10)
	if got := c.do(t, "SET big "+big); got != "+OK" {
		t.Fatalf("SET: %q", got)
	}
	// 2000 GETs of 64 KB = 128 MB of replies, never read.
	var sb strings.Builder
	for i := 0; i < 2000; i++ {
		sb.WriteString("GET big\r\n")
	}
	go c.Write([]byte(sb.String()))
	other := dial(t, srv)
	deadline := time.Now().Add(10 * time.Second)
	for {
		info := infoField(t, other, "clients", "connected_clients")
		if info == "1" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("greedy client still connected (connected_clients=%s)", info)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func infoField(t *testing.T, c *client, section, field string) string {
	t.Helper()
	v, ok := infoSection(t, c, section)[field]
	if !ok {
		t.Fatalf("INFO %s has no %s", section, field)
	}
	return v
}

// infoSection reads one INFO section as field -> value.
func infoSection(t *testing.T, c *client, section string) map[string]string {
	t.Helper()
	fmt.Fprintf(c, "INFO %s\r\n", section)
	hdr, err := c.r.ReadString('\n')
	if err != nil || hdr[0] != '$' {
		t.Fatalf("INFO: %q %v", hdr, err)
	}
	var n int
	fmt.Sscanf(hdr[1:], "%d", &n)
	body := make([]byte, n+2)
	io.ReadFull(c.r, body)
	m := map[string]string{}
	for _, line := range strings.Split(string(body), "\r\n") {
		if k, v, ok := strings.Cut(line, ":"); ok {
			m[k] = v
		}
	}
	return m
}

func TestQueryBufferLimit(t *testing.T) {
	srv := start(t, func(c *config.Config) { c.ClientQueryBufferLimit = 1 << 20 })
	c := dial(t, srv)
	// A bulk header promising 2 MB, then the bytes, never completing.
	c.Write([]byte("*2\r\n$3\r\nGET\r\n$2097152\r\n"))
	chunk := make([]byte, 64<<10)
	for i := 0; i < 32; i++ {
		if _, err := c.Write(chunk); err != nil {
			break // closed by the server: expected
		}
	}
	if _, err := c.r.ReadByte(); err == nil {
		t.Errorf("client over client-query-buffer-limit was not closed")
	}
}

func TestLatencyMonitorRecordsStalls(t *testing.T) {
	srv := start(t, func(c *config.Config) { c.LatencyMonitorThreshold = 20 })
	c := dial(t, srv)
	if got := c.do(t, "DEBUG SLEEP 0.05"); got != "+OK" {
		t.Fatalf("DEBUG SLEEP: %q", got)
	}
	fmt.Fprintf(c, "LATENCY LATEST\r\n")
	hdr, _ := c.r.ReadString('\n')
	if hdr == "*0\r\n" {
		t.Fatalf("LATENCY LATEST is empty after a 50 ms stall")
	}
	rest := make([]byte, 4096)
	n, _ := c.r.Read(rest)
	if !strings.Contains(string(rest[:n]), "event-loop") && !strings.Contains(string(rest[:n]), "command") {
		t.Errorf("LATENCY LATEST: %q", rest[:n])
	}
}

func TestShutdownCommandStopsServer(t *testing.T) {
	srv := start(t, nil)
	c := dial(t, srv)
	c.do(t, "SET a 1")
	c.Write([]byte("SHUTDOWN NOSAVE\r\n"))
	select {
	case <-srv.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("SHUTDOWN did not stop the server")
	}
}

// FLUSHALL and FLUSHDB that free keys ask the backend to give memory back.
func TestFlushTrims(t *testing.T) {
	h := &heap{}
	srv := startOn(t, h, nil)
	c := dial(t, srv)
	c.do(t, "FLUSHALL") // empty: nothing to give back
	c.do(t, "SET a 1")
	c.do(t, "FLUSHALL")
	c.do(t, "SET a 1")
	c.do(t, "FLUSHDB")
	c.do(t, "PING") // the loop has run the commands above
	srv.Stop()
	<-srv.Done()
	if h.trims != 2 {
		t.Errorf("Trim calls: got %d; want 2", h.trims)
	}
	if live := h.st.Live(); live != 0 {
		t.Errorf("live blocks after FLUSH: got %d; want 0", live)
	}
}

// A bind list with an optional address that is not available here
// (192.0.2.1, TEST-NET-1) starts on the other addresses; without the "-"
// the server does not start and the error names the address.
func TestBindSeveralAddresses(t *testing.T) {
	srv := start(t, func(c *config.Config) { c.Bind = "127.0.0.1 -192.0.2.1" })
	if addrs := srv.Addrs(); len(addrs) != 1 || addrs[0] != srv.Addr() {
		t.Fatalf("Addrs %q; want only the 127.0.0.1 listener", addrs)
	}
	if got := dial(t, srv).do(t, "PING"); got != "+PONG" {
		t.Fatalf("PING: got %q", got)
	}
	cfg := config.Default()
	cfg.Port = 0
	cfg.Bind = "127.0.0.1 192.0.2.1"
	if _, err := engine.NewServer(cfg, &heap{}); err == nil || !strings.Contains(err.Error(), "192.0.2.1") {
		t.Fatalf("NewServer with an unavailable address: got %v; want an error naming 192.0.2.1", err)
	}
}

// TestClientPauseHoldsWrites: under CLIENT PAUSE WRITE a client's SET gets
// no reply and does not run, while reads go on; CLIENT UNPAUSE runs it. A
// held client can still be killed.
func TestClientPauseHoldsWrites(t *testing.T) {
	srv := start(t, nil)
	a, b := dial(t, srv), dial(t, srv)
	if got := a.do(t, "CLIENT PAUSE 60000 WRITE"); got != "+OK" {
		t.Fatalf("CLIENT PAUSE: %q", got)
	}
	fmt.Fprintf(b, "SET x 1\r\nGET x\r\n")
	b.SetReadDeadline(time.Now().Add(150 * time.Millisecond))
	if line, err := b.r.ReadString('\n'); err == nil {
		t.Fatalf("held SET answered %q during the pause", line)
	}
	b.SetReadDeadline(time.Now().Add(20 * time.Second))
	if got := a.do(t, "GET x"); got != "$-1" {
		t.Fatalf("GET x during the pause: %q (the SET ran)", got)
	}
	if got := a.do(t, "INFO clients"); !strings.HasPrefix(got, "$") {
		t.Fatalf("INFO: %q", got)
	}
	info := make([]byte, 4096)
	n, _ := a.r.Read(info)
	if !strings.Contains(string(info[:n]), "blocked_clients:1\r\n") {
		t.Errorf("INFO clients during the pause: %q", info[:n])
	}
	if got := a.do(t, "CLIENT UNPAUSE"); got != "+OK" {
		t.Fatalf("CLIENT UNPAUSE: %q", got)
	}
	if got := b.do(t, "PING"); got != "+OK" {
		t.Fatalf("held SET after UNPAUSE: %q", got)
	}
	for _, want := range []string{"$1", "1", "+PONG"} {
		if line, _ := b.r.ReadString('\n'); strings.TrimRight(line, "\r\n") != want {
			t.Fatalf("after UNPAUSE got %q; want %q", line, want)
		}
	}
	// A held client is killed like any other.
	c := dial(t, srv)
	id := strings.TrimPrefix(c.do(t, "CLIENT ID"), ":")
	a.do(t, "CLIENT PAUSE 60000 WRITE")
	fmt.Fprintf(c, "SET y 1\r\n")
	time.Sleep(50 * time.Millisecond)
	if got := a.do(t, "CLIENT KILL ID "+id); got != ":1" {
		t.Fatalf("CLIENT KILL ID %s: %q", id, got)
	}
	if line, err := c.r.ReadString('\n'); err == nil {
		t.Fatalf("killed held client read %q", line)
	}
	a.do(t, "CLIENT UNPAUSE")
	if got := a.do(t, "EXISTS y"); got != ":0" {
		t.Fatalf("the killed client's SET ran: EXISTS y = %q", got)
	}
}

// infoFields reads every numeric field of one INFO section.
func infoFields(t *testing.T, c *client, section string) map[string]int64 {
	t.Helper()
	m := map[string]int64{}
	for k, v := range infoSection(t, c, section) {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			m[k] = n
		}
	}
	return m
}

// used_memory counts what a client's buffers hold: half a 1 MB bulk sent
// by one client shows up in mem_clients_normal and in the clients purpose,
// and goes away when the client leaves. MEMORY PURGE trims the backend.
func TestUsedMemoryCountsClientBuffers(t *testing.T) {
	h := &heap{}
	srv := startOn(t, h, nil)
	c := dial(t, srv)
	c.do(t, "SET a 1")
	check := func(m map[string]int64) {
		t.Helper()
		// The client buffers the allocator does not hold (Go slices) are
		// what used_memory adds to its figure; a large bulk being read is
		// in an allocator block, counted in both.
		if goBufs := m["used_memory"] - m["allocator_allocated"]; goBufs < 0 || goBufs > m["mem_clients_normal"] {
			t.Errorf("used_memory %d; want allocator_allocated %d + at most mem_clients_normal %d",
				m["used_memory"], m["allocator_allocated"], m["mem_clients_normal"])
		}
		if m["mem_purpose_clients"] != m["mem_clients_normal"] {
			t.Errorf("mem_purpose_clients %d; want mem_clients_normal %d", m["mem_purpose_clients"], m["mem_clients_normal"])
		}
		if m["used_memory_dataset"] != m["used_memory"]-m["used_memory_overhead"] {
			t.Errorf("used_memory_dataset %d is not used_memory less the overhead", m["used_memory_dataset"])
		}
		sum := int64(0)
		for k, v := range m {
			if strings.HasPrefix(k, "mem_purpose_") && !strings.HasSuffix(k, "_blocks") {
				sum += v
			}
		}
		if sum != m["used_memory"] {
			t.Errorf("mem_purpose_* add up to %d; used_memory %d", sum, m["used_memory"])
		}
	}
	check(infoFields(t, c, "memory"))
	half := dial(t, srv)
	half.Write([]byte("*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$1048576\r\n"))
	half.Write(make([]byte, 512<<10))
	var m map[string]int64
	for i := 0; i < 100; i++ {
		if m = infoFields(t, c, "memory"); m["mem_clients_normal"] >= 512<<10 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if m["mem_clients_normal"] < 512<<10 {
		t.Fatalf("mem_clients_normal %d with half a 1 MB bulk pending; want at least 512 KB", m["mem_clients_normal"])
	}
	check(m)
	half.Close()
	for i := 0; i < 100; i++ {
		if m = infoFields(t, c, "memory"); m["mem_clients_normal"] < 512<<10 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if m["mem_clients_normal"] >= 512<<10 {
		t.Errorf("mem_clients_normal %d after the client left", m["mem_clients_normal"])
	}
	if got := c.do(t, "MEMORY PURGE"); got != "+OK" {
		t.Fatalf("MEMORY PURGE: %q", got)
	}
	srv.Stop()
	<-srv.Done()
	if h.trims != 1 {
		t.Errorf("Trim calls: got %d; want 1 (MEMORY PURGE)", h.trims)
	}
}

// CONFIG SET port moves the listener as Redis 7.0 does: the new port
// accepts, the old one no longer does, the client that asked stays
// connected; a port in use is refused and nothing moves.
func TestConfigSetPort(t *testing.T) {
	srv := start(t, nil)
	c := dial(t, srv)
	old := srv.Addr()
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	_, busyPort, _ := net.SplitHostPort(busy.Addr().String())
	if got := c.do(t, "CONFIG SET port "+busyPort); got != "-ERR CONFIG SET failed (possibly related to argument 'port') - Unable to listen on this port. Check server logs." {
		t.Fatalf("busy port: got %q", got)
	}
	if srv.Addr() != old {
		t.Fatalf("after a refused CONFIG SET port: %s; want %s", srv.Addr(), old)
	}
	free, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, newPort, _ := net.SplitHostPort(free.Addr().String())
	free.Close()
	if got := c.do(t, "CONFIG SET port "+newPort); got != "+OK" {
		t.Fatalf("CONFIG SET port %s: got %q", newPort, got)
	}
	if want := net.JoinHostPort("127.0.0.1", newPort); srv.Addr() != want {
		t.Fatalf("listening on %s; want %s", srv.Addr(), want)
	}
	if got := dial(t, srv).do(t, "PING"); got != "+PONG" {
		t.Fatalf("on the new port: got %q", got)
	}
	if nc, err := net.DialTimeout("tcp", old, time.Second); err == nil {
		nc.Close()
		t.Fatalf("old address %s still accepts", old)
	}
	if got := c.do(t, "PING"); got != "+PONG" {
		t.Fatalf("the client that moved the port: got %q", got)
	}
}

// TestActiveExpiry: keys with a 1 ms TTL that nobody reads are deleted by
// the active expiry cycle (polled, without asserting how fast), and INFO
// stats counts them.
func TestActiveExpiry(t *testing.T) {
	srv := start(t, func(c *config.Config) { c.Hz = 100 })
	c := dial(t, srv)
	const n = 5000
	var b []byte
	for i := 0; i < n; i++ {
		b = fmt.Appendf(b, "SET k%d v PX 1\r\n", i)
	}
	b = fmt.Appendf(b, "SET keep v\r\n")
	if _, err := c.Write(b); err != nil {
		t.Fatal(err)
	}
	for i := 0; i <= n; i++ {
		if l, err := c.r.ReadString('\n'); err != nil || l != "+OK\r\n" {
			t.Fatalf("SET %d: %q %v", i, l, err)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		time.Sleep(20 * time.Millisecond)
		if c.do(t, "DBSIZE") == ":1" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("DBSIZE still %s after 10 s", c.do(t, "DBSIZE"))
		}
	}
	st := infoSection(t, c, "stats")
	if st["expired_keys"] != strconv.Itoa(n) {
		t.Fatalf("expired_keys %s; want %d", st["expired_keys"], n)
	}
	for _, f := range []string{"expired_stale_perc", "expired_time_cap_reached_count", "expire_cycle_cpu_milliseconds"} {
		if _, ok := st[f]; !ok {
			t.Errorf("INFO stats has no %s", f)
		}
	}
	if c.do(t, "GET keep") != "$1" {
		t.Fatal("a key without TTL is gone")
	}
}
