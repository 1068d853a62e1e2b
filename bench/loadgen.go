package bench

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"runtime"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The load generator drives every connection of a run from one goroutine
// locked to its thread, over non-blocking sockets and an epoll set of its
// own: per pipelined batch one write(2) and, once the replies are in, one
// read(2) or a few, through RawSyscall. A goroutine per connection over
// net.Conn costs more per request than the server it measures: each read
// first fails with EAGAIN, parks the goroutine and goes through the
// runtime's poller, and each reply is decoded into an allocated value. At
// pipeline 1 that made the generator, not the server, the slower of the
// two (about 7.5 µs of CPU per request against redis-server's 6.3), so a
// throughput figure measured the generator as much as the server.
//
// Replies are framed, not decoded (frameReply): the generator needs to know
// where each reply ends and whether it is an error; bench.Client, with
// tidwall/resp, decodes replies where their values matter.

// genConn is one connection of a load run.
type genConn struct {
	fd      int
	st      *OpState
	out     []byte
	outOff  int // bytes of out written
	in      []byte
	inLen   int
	pending int   // replies still awaited for the batch in flight
	t0      int64 // when the batch was written (ns since the run began)
	sent    int   // commands of completed batches
	lat     []float64
	done    bool
	errs    int
	first   string
}

// RunLoad drives Conns connections, each sending its share of Requests in
// pipelined batches of Pipeline commands and recording every latency (from
// the write of its batch to the read that completed its reply). An
// unknown-command reply stops the run with ErrUnsupported.
func RunLoad(ctx context.Context, l Load) (LoadResult, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	sa, err := sockaddr(l.Addr)
	if err != nil {
		return LoadResult{}, err
	}
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return LoadResult{}, fmt.Errorf("load generator: epoll_create1: %w", err)
	}
	defer unix.Close(epfd)
	per := max(1, l.Requests/l.Conns)
	per += per % 2 // ops that pair commands stay paired
	conns := make([]*genConn, l.Conns)
	defer func() {
		for _, c := range conns {
			if c != nil {
				unix.Close(c.fd)
			}
		}
	}()
	byFd := map[int]*genConn{}
	for ci := range conns {
		fd, err := dialRaw(sa)
		if err != nil {
			return LoadResult{}, err
		}
		c := &genConn{fd: fd, in: make([]byte, 64<<10), lat: make([]float64, 0, per),
			st: &OpState{Rng: rand.New(rand.NewPCG(l.Seed, uint64(ci))), Keyspace: max(1, l.Keyspace), Conts: max(1, l.Conts)}}
		conns[ci] = c
		byFd[fd] = c
		if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, fd, &unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(fd)}); err != nil {
			return LoadResult{}, fmt.Errorf("load generator: epoll_ctl: %w", err)
		}
	}
	base := time.Now()
	now := func() int64 { return int64(time.Since(base)) }
	var firstErr error
	fail := func(err error) {
		if firstErr == nil || (errors.Is(err, ErrUnsupported) && !errors.Is(firstErr, ErrUnsupported)) {
			firstErr = err
		}
	}
	// send writes c's next batch (or the rest of the one in flight).
	send := func(c *genConn) error {
		if c.pending == 0 {
			m := min(l.Pipeline, per-c.sent)
			c.out, c.outOff = c.out[:0], 0
			for j := 0; j < m; j++ {
				c.out = l.Op(c.out, c.st)
				c.st.Seq++
			}
			c.pending = m
			c.t0 = now()
		}
		for c.outOff < len(c.out) {
			n, err := rawIO(unix.SYS_WRITE, c.fd, c.out[c.outOff:])
			if err == unix.EAGAIN {
				// The socket buffer is full: go on when it drains.
				return unix.EpollCtl(epfd, unix.EPOLL_CTL_MOD, c.fd, &unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLOUT, Fd: int32(c.fd)})
			}
			if err != nil {
				return fmt.Errorf("load generator: write: %w", err)
			}
			c.outOff += n
		}
		return nil
	}
	live := 0
	for _, c := range conns {
		if err := send(c); err != nil {
			return LoadResult{}, err
		}
		live++
	}
	events := make([]unix.EpollEvent, len(conns))
	for live > 0 && firstErr == nil {
		if err := ctx.Err(); err != nil {
			fail(err)
			break
		}
		n, err := epollWait(epfd, events, 100)
		if err != nil {
			if err == unix.EINTR {
				continue
			}
			return LoadResult{}, fmt.Errorf("load generator: epoll_wait: %w", err)
		}
		for i := 0; i < n && firstErr == nil; i++ {
			c := byFd[int(events[i].Fd)]
			if c == nil || c.done {
				continue
			}
			if events[i].Events&unix.EPOLLOUT != 0 && c.outOff < len(c.out) {
				if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_MOD, c.fd, &unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(c.fd)}); err != nil {
					fail(err)
					break
				}
				if err := send(c); err != nil {
					fail(err)
					break
				}
			}
			if events[i].Events&(unix.EPOLLIN|unix.EPOLLERR|unix.EPOLLHUP) == 0 {
				continue
			}
			if err := c.receive(now()); err != nil {
				fail(err)
				break
			}
			if c.pending > 0 {
				continue
			}
			// The batch is complete.
			m := len(c.lat) - c.sent
			c.sent = len(c.lat)
			if c == conns[0] && l.Progress != nil && m > 0 && (c.sent/m)%64 == 0 {
				l.Progress(float64(c.sent) / float64(per))
			}
			if c.sent >= per {
				c.done = true
				live--
				unix.EpollCtl(epfd, unix.EPOLL_CTL_DEL, c.fd, nil)
				continue
			}
			if err := send(c); err != nil {
				fail(err)
			}
		}
	}
	var res LoadResult
	res.Elapsed = time.Since(base)
	for _, c := range conns {
		res.Errors += c.errs
		if res.FirstErr == "" {
			res.FirstErr = c.first
		}
		res.Requests += len(c.lat)
	}
	res.Latencies = make([]float64, 0, res.Requests)
	for _, c := range conns {
		res.Latencies = append(res.Latencies, c.lat...)
	}
	return res, firstErr
}

// receive reads what c's socket holds and takes the complete replies off
// it, recording each one's latency as of t (ns since the run began).
func (c *genConn) receive(t int64) error {
	if c.inLen == len(c.in) {
		c.in = append(c.in, make([]byte, len(c.in))...)
	}
	n, err := rawIO(unix.SYS_READ, c.fd, c.in[c.inLen:])
	if err == unix.EAGAIN {
		return nil
	}
	if err != nil {
		return fmt.Errorf("load generator: read: %w", err)
	}
	if n == 0 {
		return errors.New("load generator: the server closed the connection")
	}
	c.inLen += n
	pos := 0
	lat := float64(t-c.t0) / 1e6
	for c.pending > 0 {
		m, ok, err := frameReply(c.in[pos:c.inLen])
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		if c.in[pos] == '-' {
			msg := string(c.in[pos+1 : pos+m-2])
			c.errs++
			if c.first == "" {
				c.first = msg
			}
			if isUnknownCommand(msg) {
				return replyError(msg)
			}
		}
		c.lat = append(c.lat, lat)
		c.pending--
		pos += m
	}
	c.inLen = copy(c.in, c.in[pos:c.inLen])
	return nil
}

// frameReply returns the length of the RESP2 reply at the start of b, or
// ok false when b holds only part of it.
func frameReply(b []byte) (n int, ok bool, err error) {
	if len(b) == 0 {
		return 0, false, nil
	}
	line := func() (int, int64, bool) {
		for i := 1; i+1 < len(b); i++ {
			if b[i] == '\r' {
				if b[i+1] != '\n' {
					return 0, 0, false
				}
				var v int64
				neg := false
				for j, ch := range b[1:i] {
					if j == 0 && ch == '-' {
						neg = true
						continue
					}
					v = v*10 + int64(ch-'0')
				}
				if neg {
					v = -v
				}
				return i + 2, v, true
			}
		}
		return 0, 0, false
	}
	switch b[0] {
	case '+', '-', ':':
		m, _, ok := line()
		return m, ok, nil
	case '$':
		m, v, ok := line()
		if !ok {
			return 0, false, nil
		}
		if v < 0 {
			return m, true, nil
		}
		if int64(len(b)-m) < v+2 {
			return 0, false, nil
		}
		return m + int(v) + 2, true, nil
	case '*':
		m, v, ok := line()
		if !ok {
			return 0, false, nil
		}
		for k := int64(0); k < v; k++ {
			e, ok, err := frameReply(b[m:])
			if err != nil || !ok {
				return 0, ok, err
			}
			m += e
		}
		return m, true, nil
	}
	return 0, false, fmt.Errorf("load generator: unexpected reply byte %q", b[0])
}

// sockaddr resolves a host:port for a raw socket.
func sockaddr(addr string) (unix.Sockaddr, error) {
	ta, err := net.ResolveTCPAddr("tcp", addr)
	if err != nil {
		return nil, err
	}
	if ip4 := ta.IP.To4(); ip4 != nil {
		sa := &unix.SockaddrInet4{Port: ta.Port}
		copy(sa.Addr[:], ip4)
		return sa, nil
	}
	sa := &unix.SockaddrInet6{Port: ta.Port}
	copy(sa.Addr[:], ta.IP.To16())
	return sa, nil
}

// dialRaw connects a TCP socket to sa (blocking, for at most a few
// seconds), then makes it non-blocking, with Nagle off as net.Dial has it.
func dialRaw(sa unix.Sockaddr) (int, error) {
	family := unix.AF_INET
	if _, ok := sa.(*unix.SockaddrInet6); ok {
		family = unix.AF_INET6
	}
	fd, err := unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("load generator: socket: %w", err)
	}
	tv := unix.Timeval{Sec: 2}
	unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_SNDTIMEO, &tv)
	if err := unix.Connect(fd, sa); err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("load generator: connect: %w", err)
	}
	if err := unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1); err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("load generator: TCP_NODELAY: %w", err)
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("load generator: non-blocking: %w", err)
	}
	return fd, nil
}

var zero uintptr

// rawIO is read(2) or write(2) of p on non-blocking fd, through
// RawSyscall: it never blocks, so the runtime need not know of it.
func rawIO(trap uintptr, fd int, p []byte) (int, error) {
	ptr := unsafe.Pointer(&zero)
	if len(p) > 0 {
		ptr = unsafe.Pointer(&p[0])
	}
	n, _, e := unix.RawSyscall(trap, uintptr(fd), uintptr(ptr), uintptr(len(p)))
	if e != 0 {
		return 0, e
	}
	return int(n), nil
}

// epollWait returns the ready events: first without waiting (raw), and
// only when none is ready with a wait of up to timeout ms.
func epollWait(epfd int, events []unix.EpollEvent, timeout int) (int, error) {
	n, _, e := unix.RawSyscall6(unix.SYS_EPOLL_PWAIT, uintptr(epfd), uintptr(unsafe.Pointer(&events[0])),
		uintptr(len(events)), 0, 0, 0)
	if e != 0 {
		return 0, e
	}
	if n > 0 {
		return int(n), nil
	}
	return unix.EpollWait(epfd, events, timeout)
}
