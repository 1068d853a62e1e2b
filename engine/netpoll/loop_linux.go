//go:build linux

package netpoll

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/netip"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// Loop states.
const (
	stateNew int32 = iota
	stateRunning
	stateStopped
)

// Loop is one epoll event loop serving one or more listeners.
type Loop struct {
	cfg    Config
	h      Handler
	logf   func(format string, args ...any)
	maxOut int
	keepIn int // largest leftover buffer kept once empty

	epfd  int
	evfd  int
	lnfds []int    // listening sockets, in the order of Config.Addrs
	addrs []string // their bound addresses, "host:port"
	// addrMu guards addrs, which Relisten changes on the loop goroutine
	// while Addr and Addrs may be called from any goroutine.
	addrMu sync.RWMutex

	conns     []*Conn // indexed by fd
	nconns    atomic.Int64
	seq       uint32
	events    []unix.EpollEvent
	buf       []byte
	dirty     []*Conn // conns with new output, flushed at the end of the turn
	ready     []*Conn // conns whose leftover input is offered again
	spare     []*Conn // the other half of dirty/ready, swapped each turn
	nextTick  time.Time
	acceptOn  bool
	fdBackoff bool // accept paused because the process ran out of fds

	state    atomic.Int32
	stopping atomic.Bool
	woken    atomic.Int32 // 1 while an eventfd write is pending

	// fdMu guards evfd against Wake/Stop writing to it while the loop closes it.
	fdMu     sync.RWMutex
	fdClosed bool
}

// New creates the epoll instance, the eventfd and a non-blocking listener
// for each address of Config.Addrs (or Config.Addr). An optional address
// ("-host:port") that is not available on this machine is skipped with a log
// line; any other failure, or no listener opened at all, fails New. On
// failure New closes whatever it already opened.
func New(cfg Config, h Handler) (_ *Loop, err error) {
	if h == nil {
		return nil, errors.New("netpoll: nil handler")
	}
	if cfg.Backlog <= 0 {
		cfg.Backlog = defaultBacklog
	}
	if cfg.ReadBufSize <= 0 {
		cfg.ReadBufSize = defaultReadBufSize
	}
	if cfg.MaxPendingOut <= 0 {
		cfg.MaxPendingOut = defaultMaxPendingOut
	}
	if cfg.TickInterval < 0 {
		cfg.TickInterval = 0
	}
	l := &Loop{
		cfg:    cfg,
		h:      h,
		logf:   cfg.Logf,
		maxOut: cfg.MaxPendingOut,
		keepIn: max(keepInCap, 2*cfg.ReadBufSize),
		epfd:   -1,
		evfd:   -1,
		events: make([]unix.EpollEvent, initialEvents),
		buf:    make([]byte, cfg.ReadBufSize),
	}
	if l.logf == nil {
		l.logf = log.Printf
	}
	defer func() {
		if err != nil {
			l.closeFds()
		}
	}()

	if l.epfd, err = unix.EpollCreate1(unix.EPOLL_CLOEXEC); err != nil {
		l.epfd = -1
		return nil, os.NewSyscallError("epoll_create1", err)
	}
	if l.evfd, err = unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC); err != nil {
		l.evfd = -1
		return nil, os.NewSyscallError("eventfd", err)
	}
	if err = l.ctl(unix.EPOLL_CTL_ADD, l.evfd, 0, unix.EPOLLIN); err != nil {
		return nil, err
	}
	addrs := cfg.Addrs
	if len(addrs) == 0 {
		addrs = []string{cfg.Addr}
	}
	if l.lnfds, l.addrs, err = l.openListeners(addrs); err != nil {
		return nil, err
	}
	for _, fd := range l.lnfds {
		if err = l.ctl(unix.EPOLL_CTL_ADD, fd, 0, unix.EPOLLIN); err != nil {
			return nil, err
		}
	}
	l.acceptOn = true
	return l, nil
}

// openListeners opens a listener for each address (see Config.Addrs), not
// yet registered in epoll, and returns them with their bound addresses. An
// optional address that is not available here is skipped with a log line;
// any other failure, or no listener at all, closes what was opened.
func (l *Loop) openListeners(addrs []string) (fds []int, bound []string, err error) {
	defer func() {
		if err != nil {
			for _, fd := range fds {
				unix.Close(fd)
			}
			fds, bound = nil, nil
		}
	}()
	firstPort := 0 // port of the first listener opened, for later port-0 entries
	for _, s := range addrs {
		la, err := parseListenAddr(s)
		if err != nil {
			return fds, nil, err
		}
		if la.port == 0 {
			la.port = firstPort
		}
		name := net.JoinHostPort(la.host, strconv.Itoa(la.port))
		fd, addr, port, err := listen(la.host, la.port, l.cfg.Backlog)
		if err != nil {
			err = fmt.Errorf("netpoll: could not create server TCP listening socket %s: %w", name, err)
			if la.optional && notAvailable(err) {
				l.logf("%v (optional address, skipped)", err)
				continue
			}
			return fds, nil, err
		}
		fds = append(fds, fd)
		bound = append(bound, addr)
		if firstPort == 0 {
			firstPort = port
		}
	}
	if len(fds) == 0 {
		return nil, nil, fmt.Errorf("netpoll: no listening socket could be opened (addresses: %s)", strings.Join(addrs, " "))
	}
	return fds, bound, nil
}

// Relisten replaces the listeners with new ones on addrs (as Config.Addrs),
// as Redis does on CONFIG SET port: the new listeners are opened first, and
// only when all of them are open are the old ones closed; on failure the
// old listeners stay and nothing changes. Connections already accepted are
// not touched. Call it on the loop goroutine.
func (l *Loop) Relisten(addrs []string) error {
	fds, bound, err := l.openListeners(addrs)
	if err != nil {
		return err
	}
	if l.acceptOn {
		for i, fd := range fds {
			if err := l.ctl(unix.EPOLL_CTL_ADD, fd, 0, unix.EPOLLIN); err != nil {
				for _, added := range fds[:i] {
					l.ctl(unix.EPOLL_CTL_DEL, added, 0, 0)
				}
				for _, fd := range fds {
					unix.Close(fd)
				}
				return err
			}
		}
	}
	for _, fd := range l.lnfds {
		if l.acceptOn {
			l.ctl(unix.EPOLL_CTL_DEL, fd, 0, 0)
		}
		unix.Close(fd)
	}
	l.addrMu.Lock()
	l.lnfds, l.addrs = fds, bound
	l.addrMu.Unlock()
	return nil
}

// SetTickInterval changes the OnTick period (0 stops the ticks); the next
// tick comes one new period from now. Call it on the loop goroutine.
func (l *Loop) SetTickInterval(d time.Duration) {
	if d < 0 {
		d = 0
	}
	l.cfg.TickInterval = d
	if d > 0 {
		l.nextTick = time.Now().Add(d)
	}
}

// listenAddr is one parsed entry of Config.Addrs.
type listenAddr struct {
	host     string // "" and "0.0.0.0": all IPv4 addresses; "::": all IPv6 addresses
	port     int
	optional bool // "-" prefix: skipped when not available here
}

// parseListenAddr parses "host:port" ("[host]:port" for IPv6), where host
// may start with "-" (optional), "*" means 0.0.0.0 and "::*" means ::.
func parseListenAddr(s string) (listenAddr, error) {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return listenAddr{}, fmt.Errorf("netpoll: bad listen address %q: %w", s, err)
	}
	p, err := net.LookupPort("tcp", port)
	if err != nil {
		return listenAddr{}, fmt.Errorf("netpoll: bad listen address %q: %w", s, err)
	}
	la := listenAddr{port: p}
	if rest, ok := strings.CutPrefix(host, "-"); ok {
		la.optional = true
		host = rest
	}
	switch host {
	case "*":
		host = "0.0.0.0"
	case "::*":
		host = "::"
	}
	la.host = host
	return la, nil
}

// notAvailable reports whether a listen error means the address does not
// exist on this machine (or its family is off), which skips an optional
// address.
func notAvailable(err error) bool {
	return errors.Is(err, unix.EADDRNOTAVAIL) || errors.Is(err, unix.EAFNOSUPPORT) ||
		errors.Is(err, unix.EPROTONOSUPPORT)
}

// listen opens a non-blocking TCP listener with SO_REUSEADDR on host:port
// (IPv6 when host contains ':', as in Redis; IPv6 sockets are IPV6_V6ONLY so
// that 0.0.0.0 and :: can share a port) and returns it with the address and
// port it is bound to.
func listen(host string, port, backlog int) (fd int, bound string, boundPort int, err error) {
	network := "tcp4"
	if strings.Contains(host, ":") {
		network = "tcp6"
	}
	ta, err := net.ResolveTCPAddr(network, net.JoinHostPort(host, strconv.Itoa(port)))
	if err != nil {
		return -1, "", 0, fmt.Errorf("cannot resolve %q: %w", host, err)
	}
	var sa unix.Sockaddr
	family := unix.AF_INET
	if ip4 := ta.IP.To4(); ta.IP == nil || ip4 != nil {
		s := &unix.SockaddrInet4{Port: ta.Port}
		if ip4 != nil {
			copy(s.Addr[:], ip4)
		}
		sa = s
	} else {
		family = unix.AF_INET6
		s := &unix.SockaddrInet6{Port: ta.Port}
		copy(s.Addr[:], ta.IP.To16())
		if ta.Zone != "" {
			if ifi, zerr := net.InterfaceByName(ta.Zone); zerr == nil {
				s.ZoneId = uint32(ifi.Index)
			}
		}
		sa = s
	}
	fd, err = unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, unix.IPPROTO_TCP)
	if err != nil {
		return -1, "", 0, os.NewSyscallError("socket", err)
	}
	fail := func(op string, e error) (int, string, int, error) {
		unix.Close(fd)
		return -1, "", 0, os.NewSyscallError(op, e)
	}
	if err = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
		return fail("setsockopt SO_REUSEADDR", err)
	}
	if family == unix.AF_INET6 {
		if err = unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, 1); err != nil {
			return fail("setsockopt IPV6_V6ONLY", err)
		}
	}
	if err = unix.Bind(fd, sa); err != nil {
		return fail("bind", err)
	}
	if err = unix.Listen(fd, backlog); err != nil {
		return fail("listen", err)
	}
	lsa, err := unix.Getsockname(fd)
	if err != nil {
		return fail("getsockname", err)
	}
	switch a := lsa.(type) {
	case *unix.SockaddrInet4:
		boundPort = a.Port
	case *unix.SockaddrInet6:
		boundPort = a.Port
	}
	return fd, sockaddrString(lsa), boundPort, nil
}

// sockaddrString formats an inet sockaddr as "ip:port" ("[ip6]:port").
func sockaddrString(sa unix.Sockaddr) string {
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		return netip.AddrPortFrom(netip.AddrFrom4(a.Addr), uint16(a.Port)).String()
	case *unix.SockaddrInet6:
		ip := netip.AddrFrom16(a.Addr)
		if a.ZoneId != 0 {
			if ifi, err := net.InterfaceByIndex(int(a.ZoneId)); err == nil {
				ip = ip.WithZone(ifi.Name)
			}
		}
		return netip.AddrPortFrom(ip, uint16(a.Port)).String()
	case *unix.SockaddrUnix:
		return a.Name
	}
	return ""
}

func (l *Loop) ctl(op, fd int, id uint32, events uint32) error {
	ev := unix.EpollEvent{Events: events, Fd: int32(fd), Pad: int32(id)}
	if err := unix.EpollCtl(l.epfd, op, fd, &ev); err != nil {
		name := "epoll_ctl add"
		switch op {
		case unix.EPOLL_CTL_MOD:
			name = "epoll_ctl mod"
		case unix.EPOLL_CTL_DEL:
			name = "epoll_ctl del"
		}
		return os.NewSyscallError(name, err)
	}
	return nil
}

// closeFds closes the listeners, the eventfd and the epoll fd.
func (l *Loop) closeFds() {
	l.fdMu.Lock()
	l.fdClosed = true
	if l.evfd >= 0 {
		unix.Close(l.evfd)
		l.evfd = -1
	}
	l.fdMu.Unlock()
	for _, fd := range l.lnfds {
		unix.Close(fd)
	}
	l.lnfds = nil
	if l.epfd >= 0 {
		unix.Close(l.epfd)
		l.epfd = -1
	}
}

// Addr returns the address the first listener is bound to, "host:port".
// Safe from any goroutine.
func (l *Loop) Addr() string {
	l.addrMu.RLock()
	defer l.addrMu.RUnlock()
	if len(l.addrs) == 0 {
		return ""
	}
	return l.addrs[0]
}

// Addrs returns the addresses of all listeners, "host:port", in the order
// of Config.Addrs (skipped optional addresses left out). Safe from any
// goroutine.
func (l *Loop) Addrs() []string {
	l.addrMu.RLock()
	defer l.addrMu.RUnlock()
	return slices.Clone(l.addrs)
}

// NumConns returns the number of open connections. Safe from any goroutine.
func (l *Loop) NumConns() int { return int(l.nconns.Load()) }

// Conns calls fn for each open connection until fn returns false.
func (l *Loop) Conns(fn func(c *Conn) bool) {
	for _, c := range l.conns {
		if c != nil && !c.closed {
			if !fn(c) {
				return
			}
		}
	}
}

// Wake makes the loop call OnWake soon. Safe from any goroutine; wakes
// requested before the loop gets to OnWake are merged into one call.
func (l *Loop) Wake() {
	if l.woken.CompareAndSwap(0, 1) {
		l.signal()
	}
}

// signal writes to the eventfd unless the loop has closed it.
func (l *Loop) signal() {
	var one [8]byte
	binary.NativeEndian.PutUint64(one[:], 1)
	l.fdMu.RLock()
	if !l.fdClosed {
		// EAGAIN means the counter is already non-zero: the loop wakes anyway.
		unix.Write(l.evfd, one[:])
	}
	l.fdMu.RUnlock()
}

// Stop makes Run return after the current turn. Safe from any goroutine.
// Stopping a loop that never ran closes its fds.
func (l *Loop) Stop() {
	if l.state.CompareAndSwap(stateNew, stateStopped) {
		l.closeFds()
		return
	}
	if l.stopping.CompareAndSwap(false, true) {
		l.signal()
	}
}

// PauseAccept stops (true) or resumes (false) accepting connections on
// every listener.
func (l *Loop) PauseAccept(pause bool) {
	l.fdBackoff = false
	if len(l.lnfds) == 0 || pause != l.acceptOn {
		return
	}
	for _, fd := range l.lnfds {
		if pause {
			if err := l.ctl(unix.EPOLL_CTL_DEL, fd, 0, 0); err != nil && !errors.Is(err, unix.ENOENT) {
				l.logf("netpoll: pause accept: %v", err)
			}
		} else if err := l.ctl(unix.EPOLL_CTL_ADD, fd, 0, unix.EPOLLIN); err != nil && !errors.Is(err, unix.EEXIST) {
			l.logf("netpoll: resume accept: %v", err)
		}
	}
	l.acceptOn = !pause
}

// Run runs the loop on the calling goroutine, locked to its OS thread, until
// Stop. Before returning it writes pending outputs (best effort, without
// blocking), closes every connection (OnClose gets ErrStopped) and closes the
// loop's fds.
func (l *Loop) Run() error {
	if !l.state.CompareAndSwap(stateNew, stateRunning) {
		if l.state.Load() == stateRunning {
			return ErrRunning
		}
		return ErrStopped
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	defer l.shutdown()
	rawWait := runtime.GOMAXPROCS(0) >= 2 // see rawsys_linux.go

	if tick := l.cfg.TickInterval; tick > 0 {
		l.nextTick = time.Now().Add(tick)
	}
	for {
		l.runReady()
		l.h.BeforeSleep()
		l.flushDirty()
		if l.stopping.Load() {
			return nil
		}

		tick := l.cfg.TickInterval // SetTickInterval may change it in a handler
		timeout := -1
		if len(l.ready) > 0 {
			timeout = 0
		} else if tick > 0 {
			d := time.Until(l.nextTick)
			if d <= 0 {
				timeout = 0
			} else {
				timeout = int((d + time.Millisecond - 1) / time.Millisecond)
			}
		}
		// Under load the first, non-blocking poll finds events; only an
		// idle loop pays for the blocking wait.
		n, err := epollPoll(l.epfd, l.events)
		if err == nil && n == 0 && timeout != 0 {
			if rawWait {
				n, err = epollWaitRaw(l.epfd, l.events, timeout)
			} else {
				n, err = unix.EpollWait(l.epfd, l.events, timeout)
			}
		}
		if err != nil {
			if err == unix.EINTR {
				continue
			}
			return os.NewSyscallError("epoll_wait", err)
		}
		for i := 0; i < n; i++ {
			ev := &l.events[i]
			fd := int(ev.Fd)
			switch {
			case fd == l.evfd:
				l.drainWake()
			case slices.Contains(l.lnfds, fd):
				l.accept(fd)
			default:
				l.handleConn(fd, uint32(ev.Pad), ev.Events)
			}
		}
		if n == len(l.events) {
			l.events = make([]unix.EpollEvent, 2*len(l.events))
		} else if n < len(l.events)/2 && len(l.events) > initialEvents {
			l.events = make([]unix.EpollEvent, len(l.events)/2)
		}

		if tick := l.cfg.TickInterval; tick > 0 {
			if now := time.Now(); !now.Before(l.nextTick) {
				l.retryAccept()
				l.h.OnTick()
				l.nextTick = l.nextTick.Add(tick)
				if !l.nextTick.After(now) {
					l.nextTick = now.Add(tick)
				}
			}
		}
	}
}

// shutdown closes every connection and the loop's fds.
func (l *Loop) shutdown() {
	for _, c := range l.conns {
		if c == nil || c.closed {
			continue
		}
		if c.OutLen() > 0 {
			l.flush(c) // best effort: stops at EAGAIN
		}
		if !c.closed {
			l.closeConn(c, ErrStopped)
		}
	}
	l.closeFds()
	l.state.Store(stateStopped)
}

// retryAccept resumes accepting after running out of fds.
func (l *Loop) retryAccept() {
	if l.fdBackoff {
		l.PauseAccept(false)
	}
}

// drainWake clears the eventfd and calls OnWake.
func (l *Loop) drainWake() {
	var b [8]byte
	for {
		_, err := unix.Read(l.evfd, b[:])
		if err != unix.EINTR {
			break
		}
	}
	// Clear the flag before OnWake so that a Wake during OnWake is not lost.
	l.woken.Store(0)
	if l.stopping.Load() {
		return
	}
	l.h.OnWake()
}

// accept takes every pending connection off listener lnfd.
func (l *Loop) accept(lnfd int) {
	for {
		nfd, sa, err := unix.Accept4(lnfd, unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC)
		if err != nil {
			switch err {
			case unix.EINTR, unix.ECONNABORTED:
				continue
			case unix.EAGAIN:
			case unix.EMFILE, unix.ENFILE:
				// Out of fds: the listener stays readable, so stop polling
				// the listeners until a conn closes or the next tick.
				l.logf("netpoll: %v", os.NewSyscallError("accept4", err))
				if l.acceptOn {
					l.PauseAccept(true)
					l.fdBackoff = true
				}
			default:
				l.logf("netpoll: %v", os.NewSyscallError("accept4", err))
			}
			return
		}
		if err := unix.SetsockoptInt(nfd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1); err != nil {
			// Not fatal: the conn works, only with Nagle's algorithm.
			l.logf("netpoll: %v", os.NewSyscallError("setsockopt TCP_NODELAY", err))
		}
		l.seq++
		c := &Conn{Fd: nfd, RemoteAddr: sockaddrString(sa), loop: l, id: l.seq, events: unix.EPOLLIN}
		if lsa, err := unix.Getsockname(nfd); err == nil {
			c.LocalAddr = sockaddrString(lsa)
		}
		if err := l.ctl(unix.EPOLL_CTL_ADD, nfd, c.id, c.events); err != nil {
			l.logf("netpoll: %v", err)
			unix.Close(nfd)
			continue
		}
		for nfd >= len(l.conns) {
			l.conns = append(l.conns, make([]*Conn, len(l.conns)+64)...)
		}
		l.conns[nfd] = c
		l.nconns.Add(1)
		if !l.h.OnOpen(c) {
			l.CloseAfterFlush(c)
		}
	}
}

// handleConn handles the events of one connection: error and hang-up first,
// then write, then read.
func (l *Loop) handleConn(fd int, id uint32, events uint32) {
	var c *Conn
	if fd >= 0 && fd < len(l.conns) {
		c = l.conns[fd]
	}
	if c == nil || c.closed || c.id != id {
		if c == nil {
			// An fd we do not know: drop it from the interest list.
			if err := l.ctl(unix.EPOLL_CTL_DEL, fd, 0, 0); err == nil {
				l.logf("netpoll: removed stale fd %d from epoll", fd)
			}
		}
		// Otherwise the event is for an earlier conn that had this fd
		// and was closed earlier in this turn.
		return
	}
	if events&unix.EPOLLERR != 0 {
		l.closeConn(c, sockError(fd))
		return
	}
	if events&unix.EPOLLRDHUP != 0 && c.held && !c.closing {
		// The peer of a held conn shut down: the input it would still
		// offer is never read, so the conn closes now, as a reader
		// would close it at end of input.
		l.closeConn(c, io.EOF)
		return
	}
	if events&unix.EPOLLHUP != 0 && (events&unix.EPOLLIN == 0 || c.paused || c.held || c.closing) {
		// Both directions are shut: nothing more can be written, and the
		// hang-up would be reported on every turn.
		l.closeConn(c, io.EOF)
		return
	}
	if events&unix.EPOLLOUT != 0 {
		l.flush(c)
		if c.closed {
			return
		}
	}
	if events&(unix.EPOLLIN|unix.EPOLLHUP) != 0 {
		l.read(c)
	}
}

// sockError returns the pending error of a socket.
func sockError(fd int) error {
	n, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ERROR)
	if err != nil {
		return os.NewSyscallError("getsockopt SO_ERROR", err)
	}
	if n == 0 {
		return io.EOF
	}
	return os.NewSyscallError("read", unix.Errno(n))
}

// read reads once from c into the shared buffer and offers the input to
// OnData. With level-triggered epoll, more input is read on the next turn.
func (l *Loop) read(c *Conn) {
	if c.closing || c.paused || c.held {
		return
	}
	if len(c.sink) > 0 {
		l.readSink(c)
		return
	}
	// With leftover input, read straight behind it (one copy less for
	// large arguments); otherwise into the shared buffer.
	dst := l.buf
	if len(c.in) > 0 {
		if cap(c.in)-len(c.in) < len(l.buf) {
			c.in = slices.Grow(c.in, len(l.buf))
		}
		dst = c.in[len(c.in) : len(c.in)+len(l.buf)]
	}
	n, ok := l.readConn(c, dst)
	if !ok {
		return
	}
	if len(c.in) > 0 {
		c.in = c.in[:len(c.in)+n]
		c.fresh = n
		l.dispatch(c, c.in, true)
	} else {
		l.dispatch(c, l.buf[:n], false)
	}
}

// readSink reads once into c's ReadInto buffer.
func (l *Loop) readSink(c *Conn) {
	dst := c.sink
	if len(dst) > maxSinkRead {
		dst = dst[:maxSinkRead]
	}
	n, ok := l.readConn(c, dst)
	if !ok {
		return
	}
	c.sink = c.sink[n:]
	if len(c.sink) == 0 {
		c.sink = nil
	}
}

// readConn reads once from c into dst. ok is false when nothing was read:
// no data yet (EAGAIN), or the peer is gone or failed and c is closed.
func (l *Loop) readConn(c *Conn, dst []byte) (n int, ok bool) {
	var err error
	for {
		n, err = rawRead(c.Fd, dst)
		if err != unix.EINTR {
			break
		}
	}
	switch {
	case err == unix.EAGAIN:
		return 0, false
	case err != nil:
		l.closeConn(c, os.NewSyscallError("read", err))
		return 0, false
	case n == 0:
		l.closeConn(c, io.EOF)
		return 0, false
	}
	return n, true
}

// dispatch calls OnData and keeps what it did not consume. inOwn says data
// is c.in rather than the shared read buffer.
func (l *Loop) dispatch(c *Conn, data []byte, inOwn bool) {
	consumed := l.h.OnData(c, data)
	c.fresh = 0
	if c.closed {
		return
	}
	if consumed < 0 {
		consumed = 0
	} else if consumed > len(data) {
		consumed = len(data)
	}
	rest := data[consumed:]
	if len(c.sink) > 0 && len(rest) > 0 {
		panic("netpoll: ReadInto from an OnData call that did not consume all of its data")
	}
	switch {
	case len(rest) == 0:
		if cap(c.in) > l.keepIn {
			c.in = nil
		} else {
			c.in = c.in[:0]
		}
	case inOwn:
		if consumed > 0 {
			c.in = c.in[:copy(c.in, rest)]
		}
	default:
		c.in = append(c.in[:0], rest...)
	}
	l.pressure(c)
}

// pressure pauses or resumes reading c by its pending output.
func (l *Loop) pressure(c *Conn) {
	out := c.OutLen()
	switch {
	case !c.paused && out > l.maxOut:
		c.paused = true
		l.syncInterest(c)
	case c.paused && out <= l.maxOut/2:
		c.paused = false
		l.syncInterest(c)
		if len(c.in) > 0 && !c.ready && !c.closing {
			c.ready = true
			l.ready = append(l.ready, c)
		}
	}
}

// Hold stops reading c and offering it input, until Release: the handler
// uses it to postpone a client's commands (what OnData did not consume
// stays buffered). Call it from handler code only.
func (l *Loop) Hold(c *Conn) {
	if c.closed || c.held {
		return
	}
	c.held = true
	l.syncInterest(c)
}

// Release undoes Hold: reading resumes and the buffered input is offered
// again in this loop turn.
func (l *Loop) Release(c *Conn) {
	if c.closed || !c.held {
		return
	}
	c.held = false
	l.syncInterest(c)
	if len(c.in) > 0 && !c.ready && !c.closing {
		c.ready = true
		l.ready = append(l.ready, c)
	}
}

// syncInterest registers the epoll events c currently wants.
func (l *Loop) syncInterest(c *Conn) {
	if c.closed {
		return
	}
	var want uint32
	if !c.closing && !c.paused && !c.held {
		want |= unix.EPOLLIN
	}
	if c.held && !c.closing {
		// A held conn is not read, but its peer going away must still be
		// seen (a client blocked in BLPOP that disconnects).
		want |= unix.EPOLLRDHUP
	}
	if c.writeArmed {
		want |= unix.EPOLLOUT
	}
	if want == c.events {
		return
	}
	if err := l.ctl(unix.EPOLL_CTL_MOD, c.Fd, c.id, want); err != nil {
		l.closeConn(c, err)
		return
	}
	c.events = want
}

// runReady offers leftover input again to conns whose back-pressure lifted.
func (l *Loop) runReady() {
	if len(l.ready) == 0 {
		return
	}
	ready := l.ready
	l.ready = l.spare[:0]
	for i, c := range ready {
		ready[i] = nil
		c.ready = false
		if !c.closed && !c.closing && !c.paused && !c.held && len(c.in) > 0 {
			l.dispatch(c, c.in, true)
		}
	}
	l.spare = ready[:0]
}

// flushDirty writes the pending output of every conn that got some this turn.
func (l *Loop) flushDirty() {
	// flush can queue nothing new (markDirty runs only from handler code), but
	// iterate by index in case a future change does.
	for i := 0; i < len(l.dirty); i++ {
		c := l.dirty[i]
		l.dirty[i] = nil
		c.dirty = false
		if !c.closed {
			l.flush(c)
		}
	}
	l.dirty = l.dirty[:0]
}

// flush writes c's pending output until it is empty or the socket is full.
func (l *Loop) flush(c *Conn) {
	for c.outPos < len(c.out) {
		// One write never takes more than the socket's send buffer, so
		// bounding the slice costs nothing and keeps the race detector's
		// per-call range check small.
		p := c.out[c.outPos:]
		if len(p) > maxWrite {
			p = p[:maxWrite]
		}
		n, err := rawWrite(c.Fd, p)
		if err != nil {
			if err == unix.EINTR {
				continue
			}
			if err == unix.EAGAIN {
				break
			}
			l.closeConn(c, os.NewSyscallError("write", err))
			return
		}
		c.outPos += n
	}
	if c.outPos == len(c.out) {
		if cap(c.out) > keepOutCap {
			c.out = nil
		} else {
			c.out = c.out[:0]
		}
		c.outPos = 0
		c.writeArmed = false
		if c.closing {
			l.closeConn(c, nil)
			return
		}
	} else {
		c.writeArmed = true
		// Move the rest to the front once most of the buffer is written, so
		// the buffer does not grow forever and the copy is amortized.
		if c.outPos > len(c.out)/2 {
			c.out = c.out[:copy(c.out, c.out[c.outPos:])]
			c.outPos = 0
		}
	}
	l.syncInterest(c)
	if !c.closed {
		l.pressure(c)
	}
}

// Close closes c now, dropping its pending output, and calls OnClose with a
// nil error.
func (l *Loop) Close(c *Conn) {
	if c == nil || c.closed {
		return
	}
	l.closeConn(c, nil)
}

// CloseAfterFlush stops reading c, writes its pending output and then closes
// it (OnClose gets a nil error, or the write error).
func (l *Loop) CloseAfterFlush(c *Conn) {
	if c == nil || c.closed || c.closing {
		return
	}
	c.closing = true
	l.syncInterest(c)
	if c.closed {
		return
	}
	if !c.writeArmed && !c.dirty {
		c.dirty = true
		l.dirty = append(l.dirty, c)
	}
}

// closeConn closes c's fd, forgets it and calls OnClose.
func (l *Loop) closeConn(c *Conn, err error) {
	if c.closed {
		return
	}
	c.closed = true
	// Closing the fd removes it from the epoll set.
	if cerr := unix.Close(c.Fd); cerr != nil {
		l.logf("netpoll: %v", os.NewSyscallError("close", cerr))
	}
	if c.Fd < len(l.conns) && l.conns[c.Fd] == c {
		l.conns[c.Fd] = nil
	}
	l.nconns.Add(-1)
	l.retryAccept()
	c.in = nil
	c.sink = nil
	c.out = nil
	c.outPos = 0
	l.h.OnClose(c, err)
}
