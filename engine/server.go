// Package engine wires rundb together: the epoll loop (netpoll), the RESP
// parser (resp), the command table (command) and the databases (db), over
// one allocator backend (mem.Allocator).
//
// One goroutine, locked to its OS thread, runs the loop and owns every byte
// of data; signals and other goroutines talk to it through Loop.Stop and
// Loop.Wake.
package engine

import (
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"rundb/engine/command"
	"rundb/engine/config"
	"rundb/engine/db"
	"rundb/engine/ds"
	"rundb/engine/mem"
	"rundb/engine/netpoll"
	"rundb/engine/resp"
)

// Server is one rundb server: its listeners, its clients and its databases.
type Server struct {
	cfg     *config.Config
	alloc   mem.Allocator
	ks      *db.Keyspace
	cmd     *command.Server
	loop    *netpoll.Loop
	log     *log.Logger
	logFile *os.File // the logfile parameter's file (nil: standard error)
	// port is the port parameter the listeners were opened for (0: a
	// free port was picked), so that CONFIG SET port knows whether to
	// move them.
	port int64

	// persist is the append log and snapshots (persistence.go);
	// shutdownNoSave is set by SHUTDOWN NOSAVE.
	persist        *persistence
	shutdownNoSave bool
	// wakeLoop is loop, for goroutines that start before it exists (the
	// append log's writer).
	wakeLoop atomic.Pointer[netpoll.Loop]

	turnStart time.Time
	// held are the connections whose next command a CLIENT PAUSE holds
	// back; they are read again when the pause ends.
	held     []*conn
	stopOnce sync.Once
	stopped  chan struct{}
}

// maxOutPerTurn is how many reply bytes a client builds before they are
// handed to the connection and back-pressure is checked.
const maxOutPerTurn = 64 << 10

// bigBulkMin is the bulk length from which a request's argument is read
// straight from the socket into an allocator block of exactly its size
// (netpoll's ReadInto), which a command that stores it as a value takes
// over without copying (command.Client.TakeArgBlock). Below it, arguments
// stay zero-copy slices of the read buffer, which is cheaper: a 32 KB bulk
// fits in one 64 KB read, so splitting it off would cost an allocation and a
// copy for nothing. Above it a bulk spans reads and would be copied into the
// connection's growing leftover buffer (and again into the value), which is
// what makes a 512 MB SET stall the loop. 32 KB is also past the longest
// embstr and every small size class, so an adopted block is always a raw
// value's own block.
const bigBulkMin = 32 << 10

// conn is the engine's per-connection state.
type conn struct {
	cl     *command.Client
	parser resp.Parser
	args   [][]byte
	nc     *netpoll.Conn
	overAt time.Time // when output first passed the soft limit (zero: under)
	// sinking is the ReadInto buffer length not yet counted as input.
	sinking int
	// replay is a postponed command whose arguments cannot be parsed again
	// from the input (a large argument was read into a block): it runs
	// when the pause ends.
	replay [][]byte
}

// Layouts are the keyspace layouts the keyspace-layout parameter accepts
// (those registered in engine/ds), sorted.
func Layouts() []string { return ds.Layouts() }

// NewServer builds a server over allocator a (nil: the Go heap backend is
// not linked here, so a is required) and starts listening.
func NewServer(cfg *config.Config, a mem.Allocator) (*Server, error) {
	if a == nil {
		return nil, fmt.Errorf("engine: no allocator")
	}
	if cfg.Databases < 1 {
		return nil, fmt.Errorf("engine: databases must be at least 1")
	}
	s := &Server{cfg: cfg, alloc: a, port: cfg.Port, stopped: make(chan struct{})}
	logOut := io.Writer(os.Stderr)
	if cfg.LogFile != "" {
		f, err := os.OpenFile(cfg.LogFile, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		if err != nil {
			return nil, fmt.Errorf("engine: cannot open logfile: %w", err)
		}
		s.logFile, logOut = f, f
	}
	s.log = log.New(logOut, "", log.LstdFlags)
	ks, err := db.NewKeyspaceLayout(a, int(cfg.Databases), cfg.KeyspaceLayout)
	if err != nil {
		s.closeLog()
		return nil, fmt.Errorf("engine: %w", err)
	}
	s.ks = ks
	s.cmd = command.NewServer(cfg, s.ks)
	s.cmd.SetHooks(command.Hooks{
		Shutdown:     s.shutdownHook,
		MemoryInfo:   s.memoryInfo,
		ClientMemory: s.clientMemory,
		ServerInfo:   s.serverInfo,
		ApplyConfig:  s.applyConfig,
		Host:         hostInfo,
		Logf:         func(format string, args ...any) { s.logf(logWarning, format, args...) },
	})
	// The data is loaded before the port opens.
	if err := s.openPersistence(); err != nil {
		s.logf(logWarning, "%v", err)
		s.closeLog()
		return nil, err
	}
	loop, err := netpoll.New(netpoll.Config{
		Addrs:        bindAddrs(cfg.Bind, cfg.Port),
		Backlog:      int(cfg.TCPBacklog),
		TickInterval: tickInterval(cfg.Hz),
		Logf:         func(format string, args ...any) { s.logf(logWarning, format, args...) },
	}, s)
	if err != nil {
		s.closeLog()
		return nil, err
	}
	s.loop = loop
	s.wakeLoop.Store(loop)
	return s, nil
}

// tickInterval is the cron period for hz (clamped to 1..500 as config does).
func tickInterval(hz int64) time.Duration {
	return time.Second / time.Duration(min(max(hz, 1), 500))
}

// Log levels, as the loglevel parameter names them.
const (
	logDebug = iota
	logVerbose
	logNotice
	logWarning
)

// logf writes a log line if loglevel lets level through.
func (s *Server) logf(level int, format string, args ...any) {
	least := logNotice
	switch s.cfg.LogLevel {
	case "debug":
		least = logDebug
	case "verbose":
		least = logVerbose
	case "warning":
		least = logWarning
	}
	if level >= least {
		s.log.Printf(format, args...)
	}
}

func (s *Server) closeLog() {
	if s.logFile != nil {
		s.logFile.Close()
		s.logFile = nil
	}
}

// applyConfig makes the running server follow a parameter CONFIG SET
// changed. Parameters read where they are used (timeout, maxclients,
// requirepass, the buffer limits, loglevel...) need nothing here.
func (s *Server) applyConfig(name string) error {
	switch name {
	case "hz":
		s.loop.SetTickInterval(tickInterval(s.cfg.Hz))
	case "port":
		if s.cfg.Port == s.port {
			return nil
		}
		if err := s.loop.Relisten(bindAddrs(s.cfg.Bind, s.cfg.Port)); err != nil {
			s.logf(logWarning, "Unable to listen on port %d: %v", s.cfg.Port, err)
			return errors.New("Unable to listen on this port. Check server logs.")
		}
		s.port = s.cfg.Port
		s.logf(logNotice, "Listening on %s (CONFIG SET port)", strings.Join(s.loop.Addrs(), " "))
	case "appendonly":
		return s.persist.setAppendOnly(s.cfg.AppendOnly)
	case "appendfsync":
		s.persist.aof.SetFsync(fsyncOf(s.cfg.AppendFsync))
	case "dir":
		// Only when enable-protected-configs lets the client (config.Set).
		if err := os.Chdir(s.cfg.Dir); err != nil {
			return errors.New(strerror(err))
		}
	}
	return nil
}

// bindAddrs turns the bind parameter (space-separated addresses, as in
// Redis: "*" is every IPv4 address, "::*" every IPv6 address, a "-" prefix
// marks an optional address) into netpoll's "host:port" list, all on port.
// An empty bind listens on 127.0.0.1.
func bindAddrs(bind string, port int64) []string {
	f := strings.Fields(bind)
	if len(f) == 0 {
		f = []string{"127.0.0.1"}
	}
	p := strconv.FormatInt(port, 10)
	addrs := make([]string, len(f))
	for i, h := range f {
		addrs[i] = net.JoinHostPort(h, p)
	}
	return addrs
}

// Addr is the first address the server listens on ("host:port").
func (s *Server) Addr() string { return s.loop.Addr() }

// Addrs are all the addresses the server listens on ("host:port"), in the
// order of the bind parameter; optional addresses that were not available
// are left out.
func (s *Server) Addrs() []string { return s.loop.Addrs() }

// Allocator is the server's backend.
func (s *Server) Allocator() mem.Allocator { return s.alloc }

// Serve runs the event loop until Stop or SHUTDOWN.
func (s *Server) Serve() error {
	defer close(s.stopped)
	defer s.closeLog()
	err := s.loop.Run()
	// Stopped (SHUTDOWN, a signal): the final snapshot when persistence
	// is on, then the log fsynced and closed.
	if perr := s.persist.close(s.cfg.AppendOnly && !s.shutdownNoSave); perr != nil {
		s.logf(logWarning, "Error trying to save the DB, can't exit: %v", perr)
		if err == nil {
			err = fmt.Errorf("the final snapshot failed, the old files are kept: %w", perr)
		}
	}
	return err
}

// Stop asks the loop to finish its current turn and return; safe from any
// goroutine. In-flight commands complete and their replies are flushed.
func (s *Server) Stop() {
	s.stopOnce.Do(func() { s.loop.Stop() })
}

// Done is closed when Serve has returned.
func (s *Server) Done() <-chan struct{} { return s.stopped }

func (s *Server) shutdownHook(c *command.Client, save, nosave bool) error {
	s.logf(logWarning, "User requested shutdown...")
	if !nosave && (save || s.cfg.AppendOnly) {
		s.logf(logNotice, "Saving the final snapshot before exiting.")
		if err := s.persist.Save(); err != nil {
			s.logf(logWarning, "Error trying to save the DB, can't exit: %v", err)
			return err
		}
		s.persist.finalDone = true
	}
	s.shutdownNoSave = nosave
	s.Stop()
	return nil
}

// OnOpen accepts a connection or refuses it past maxclients.
func (s *Server) OnOpen(nc *netpoll.Conn) bool {
	if int64(s.cmd.NumClients()) >= s.cfg.MaxClients {
		s.cmd.ConnectionRejected()
		nc.Write([]byte("-ERR max number of clients reached\r\n"))
		return false
	}
	if s.cfg.ProtectedMode && s.cfg.RequirePass == "" && !command.IsLocalAddr(nc.RemoteAddr) {
		s.cmd.ConnectionRejected()
		nc.Write([]byte("-" + command.ErrDenied + "\r\n"))
		return false
	}
	cl := s.cmd.NewClient(nc.RemoteAddr, nc.LocalAddr, nc.Fd)
	cn := &conn{cl: cl, nc: nc, args: make([][]byte, 0, 8)}
	cn.parser.MaxBulkLen = s.cfg.ProtoMaxBulkLen
	cl.InBufLen = nc.InLen
	cl.OutBufLen = nc.OutLen
	cl.Owner = cn
	nc.Context = cn
	return true
}

// OnData parses and runs every complete command in data.
func (s *Server) OnData(nc *netpoll.Conn, data []byte) int {
	s.markTurn()
	cn, _ := nc.Context.(*conn)
	if cn == nil {
		return len(data)
	}
	cl := cn.cl
	s.cmd.CountNetInput(len(data) - nc.InLen())
	if cn.sinking > 0 {
		s.cmd.CountNetInput(cn.sinking - nc.SinkLen())
		cn.sinking = nc.SinkLen()
	}
	pos := 0
	s.cmd.BatchClock(true)
	defer s.cmd.BatchClock(false)
	for pos < len(data) && !cl.CloseAfterReply && !cl.Killed && !s.cmd.ShutdownAsked() {
		cn.parser.MaxBulkLen = s.cfg.ProtoMaxBulkLen
		cn.parser.Unauthenticated = !cl.Authenticated
		n, args, err := cn.parser.Next(data[pos:], cn.args[:0])
		if err != nil {
			// Under CLIENT REPLY OFF even this reply is muted.
			if pe, ok := err.(*resp.ProtocolError); ok && !cl.Muted() {
				cl.Out = append(cl.Out, pe.Reply()...)
			} else if !cl.Muted() {
				cl.Out = resp.AppendError(cl.Out, "ERR Protocol error: "+err.Error())
			}
			s.cmd.CountError("ERR Protocol error")
			s.freeArgBlocks(cl)
			cl.CloseAfterReply = true
			pos = len(data)
			break
		}
		if n == 0 {
			if size, have, ok := cn.parser.Awaiting(data[pos:]); ok && size >= bigBulkMin && have < size {
				// Consumes all of data, or kills the client.
				s.detachBulk(cn, data[pos:], size)
				pos = len(data)
				break
			}
			if int64(len(data)-pos) > s.cfg.ClientQueryBufferLimit {
				s.logf(logWarning, "Closing client that reached max query buffer length: id=%d addr=%s qbuf=%d", cl.ID, cl.Addr, len(data)-pos)
				cl.Killed = true
				pos = len(data)
			}
			break
		}
		pos += n
		if len(args) == 0 {
			continue
		}
		cn.args = args[:0]
		cl.Args = args
		s.cmd.Execute(cl)
		cl.Args = nil
		s.releaseUnblocked()
		if cl.Blocked() {
			// A blocking command waits: the rest of the input stays
			// buffered, unread, until the client is unblocked.
			s.freeArgBlocks(cl)
			s.loop.Hold(nc)
			break
		}
		if cl.Postponed {
			// CLIENT PAUSE: the command stays in the input, and the
			// connection is not read until the pause ends. A command
			// with an argument read into a block is no longer whole in
			// the input: its arguments are kept instead.
			cl.Postponed, cl.Held = false, true
			if len(cl.ArgBlocks) > 0 {
				cn.replay = keepArgs(args, cl.ArgBlocks)
			} else {
				pos -= n
			}
			s.loop.Hold(nc)
			s.held = append(s.held, cn)
			s.cmd.SetPostponed(len(s.held))
			break
		}
		s.freeArgBlocks(cl)
		// Back-pressure: once this client's unsent replies pass the
		// loop's limit, stop running its commands; the loop offers the
		// rest of the input again when the output has drained.
		if len(cl.Out) > maxOutPerTurn {
			s.flush(cn)
			s.cmd.BatchClock(true) // the write took time: read the clock again
			if nc.Backpressured() || nc.Closing() {
				return pos
			}
		}
	}
	s.flush(cn)
	return pos
}

// detachBulk moves the request in progress, which awaits a bulk of size
// bytes that data (the unconsumed input from the request's start) holds
// only part of, out of the input: the bulk gets an allocator block of its
// own and the loop reads the rest of it straight into that block. It
// kills the client instead when its query buffer limit does not allow it.
func (s *Server) detachBulk(cn *conn, data []byte, size int) {
	cl := cn.cl
	held := int64(size)
	for _, b := range cl.ArgBlocks {
		held += int64(len(b.Buf))
	}
	if held+int64(len(data)) > s.cfg.ClientQueryBufferLimit {
		s.logf(logWarning, "Closing client that reached max query buffer length: id=%d addr=%s qbuf=%d", cl.ID, cl.Addr, held+int64(len(data)))
		cl.Killed = true
		return
	}
	r := s.alloc.Alloc(mem.PurposeClient, size)
	buf := s.alloc.Bytes(r, size)
	cl.ArgBlocks = append(cl.ArgBlocks, command.ArgBlock{Ref: r, Buf: buf})
	_, have := cn.parser.Detach(data, buf)
	cn.nc.ReadInto(buf[have:])
	cn.sinking = cn.nc.SinkLen()
}

// freeArgBlocks frees the argument blocks of the client's last command
// that no handler took over.
func (s *Server) freeArgBlocks(cl *command.Client) {
	for i, b := range cl.ArgBlocks {
		if !b.Taken {
			s.alloc.Free(mem.PurposeClient, b.Ref, len(b.Buf))
		}
		cl.ArgBlocks[i] = command.ArgBlock{}
	}
	cl.ArgBlocks = cl.ArgBlocks[:0]
}

// keepArgs copies a postponed command's arguments, except those held in
// argument blocks, which stay where they are.
func keepArgs(args [][]byte, blocks []command.ArgBlock) [][]byte {
	out := make([][]byte, len(args))
next:
	for i, a := range args {
		for _, b := range blocks {
			if len(a) > 0 && len(b.Buf) == len(a) && &b.Buf[0] == &a[0] {
				out[i] = a
				continue next
			}
		}
		out[i] = append([]byte(nil), a...)
	}
	return out
}

// runReplay runs a postponed command kept by keepArgs, as OnData would.
func (s *Server) runReplay(cn *conn) {
	s.markTurn()
	cl := cn.cl
	cl.Args, cn.replay = cn.replay, nil
	s.cmd.Execute(cl)
	if cl.Postponed {
		cl.Postponed = false
		cn.replay = cl.Args
	} else {
		s.freeArgBlocks(cl)
	}
	cl.Args = nil
	s.flush(cn)
	s.releaseUnblocked()
	if cl.Blocked() {
		s.loop.Hold(cn.nc)
	}
}

// releaseUnblocked hands the replies of clients that a command, a timeout
// or CLIENT UNBLOCK unblocked to their connections, and reads them again.
func (s *Server) releaseUnblocked() {
	for _, cl := range s.cmd.TakeUnblocked() {
		cn, ok := cl.Owner.(*conn)
		if !ok || cn.nc.Closed() {
			continue
		}
		s.flush(cn)
		if !cl.Held {
			s.loop.Release(cn.nc)
		}
	}
}

// flush moves the client's replies to the connection and enforces the
// output buffer limits and close requests.
func (s *Server) flush(cn *conn) {
	cl, nc := cn.cl, cn.nc
	if len(cl.Out) > 0 {
		s.cmd.CountNetOutput(len(cl.Out))
		if cap(cl.Out) > 1<<20 {
			// A large reply (GET of a big value) is handed over, not copied.
			nc.WriteOwned(cl.Out)
			cl.Out = nil
		} else {
			nc.Write(cl.Out)
			cl.Out = cl.Out[:0]
		}
	}
	if cl.Killed {
		s.loop.Close(nc)
		return
	}
	if cl.CloseAfterReply {
		s.loop.CloseAfterFlush(nc)
		return
	}
	s.checkOutputLimit(cn)
}

func (s *Server) checkOutputLimit(cn *conn) {
	out := int64(cn.nc.OutLen())
	hard, soft := s.cfg.ClientOutputHard, s.cfg.ClientOutputSoft
	over := false
	if hard > 0 && out > hard {
		over = true
	} else if soft > 0 && out > soft {
		if cn.overAt.IsZero() {
			cn.overAt = time.Now()
		} else if time.Since(cn.overAt) > time.Duration(s.cfg.ClientOutputSoftSeconds)*time.Second {
			over = true
		}
	} else {
		cn.overAt = time.Time{}
	}
	if over {
		s.logf(logWarning, "Client id=%d addr=%s scheduled to be closed ASAP for overcoming of output buffer limits.", cn.cl.ID, cn.cl.Addr)
		s.cmd.OutputLimitKill()
		s.loop.Close(cn.nc)
	}
}

// OnClose forgets the client.
func (s *Server) OnClose(nc *netpoll.Conn, err error) {
	if cn, ok := nc.Context.(*conn); ok {
		if i := slices.Index(s.held, cn); i >= 0 {
			s.held = slices.Delete(s.held, i, i+1)
			s.cmd.SetPostponed(len(s.held))
		}
		// A request cut off mid-bulk, or a postponed one, gives its
		// argument blocks back now.
		cn.parser.Reset()
		cn.replay = nil
		s.freeArgBlocks(cn.cl)
		s.cmd.FreeClient(cn.cl)
		nc.Context = nil
	}
}

// OnTick is the server cron.
func (s *Server) OnTick() {
	s.markTurn()
	s.cmd.Cron()
	s.releaseUnblocked()
	var kill []*netpoll.Conn
	s.loop.Conns(func(nc *netpoll.Conn) bool {
		cn, ok := nc.Context.(*conn)
		if !ok {
			return true
		}
		if cn.cl.Killed {
			kill = append(kill, nc)
			return true
		}
		if t := s.cfg.Timeout; t > 0 && cn.cl.Idle() > time.Duration(t)*time.Second && !cn.cl.InMulti && !cn.cl.Blocked() {
			kill = append(kill, nc)
			return true
		}
		if nc.OutLen() > 0 {
			s.checkOutputLimit(cn)
		}
		return true
	})
	for _, nc := range kill {
		s.loop.Close(nc)
	}
}

// OnWake handles wake-ups from other goroutines (persistence, later).
func (s *Server) OnWake() { s.markTurn() }

// BeforeSleep runs once per loop turn: releases clients a CLIENT PAUSE
// held, runs the fast active expiry cycle, continues an eviction run,
// records loop stalls for LATENCY.
func (s *Server) BeforeSleep() {
	if len(s.held) > 0 && !s.cmd.Paused(time.Now()) {
		held := s.held
		s.held = nil
		for _, cn := range held {
			if cn.replay != nil && !cn.nc.Closed() {
				s.runReplay(cn)
				if cn.replay != nil {
					// Postponed again by a pause that a command run here began.
					s.held = append(s.held, cn)
					continue
				}
			}
			cn.cl.Held = false
			s.loop.Release(cn.nc)
		}
		s.cmd.SetPostponed(len(s.held))
	}
	s.cmd.BeforeSleep()
	if s.cmd.ExpiryRunning() {
		// A slow expiry cycle spends its budget one slice per turn.
		s.loop.Wake()
	}
	s.persist.step()
	if s.cmd.EvictionRunning() {
		// An eviction run over its time budget goes on one budget per
		// turn; the wake keeps the loop from sleeping until it is done.
		s.cmd.EvictionStep()
		if s.cmd.EvictionRunning() {
			s.loop.Wake()
		}
	}
	if s.turnStart.IsZero() {
		return
	}
	s.cmd.LoopTurn(s.turnStart, time.Since(s.turnStart))
	s.turnStart = time.Time{}
	// Clients killed by CLIENT KILL from another client's command.
	if s.cmd.TakeKillPending() {
		var kill []*netpoll.Conn
		s.loop.Conns(func(nc *netpoll.Conn) bool {
			if cn, ok := nc.Context.(*conn); ok && cn.cl.Killed {
				kill = append(kill, nc)
			}
			return true
		})
		for _, nc := range kill {
			s.loop.Close(nc)
		}
	}
}

func (s *Server) markTurn() {
	if s.turnStart.IsZero() {
		s.turnStart = time.Now()
	}
}

func (s *Server) serverInfo() [][2]string {
	return [][2]string{
		{"rundb_alloc", s.alloc.Name()},
		{"rundb_keyspace_layout", s.ks.Layout()},
		{"tcp_port", strconv.Itoa(tcpPort(s.Addr()))},
	}
}

func tcpPort(addr string) int {
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		return 0
	}
	n, _ := strconv.Atoi(p)
	return n
}

// clientMemory is the memory the clients' buffers hold: each connection's
// input and output buffers and its reply buffer (their capacities). These
// are Go slices, not allocator blocks, so the server accounts them: they
// are used_memory's clients purpose. The loop's one shared read buffer is
// not any client's and is left out.
func (s *Server) clientMemory() uint64 {
	var n uint64
	if s.loop == nil {
		return 0 // loading, before the loop exists
	}
	s.loop.Conns(func(nc *netpoll.Conn) bool {
		n += uint64(nc.BufBytes())
		if cn, ok := nc.Context.(*conn); ok {
			n += uint64(cap(cn.cl.Out))
		}
		return true
	})
	return n
}

// memoryInfo gives INFO memory its process-level figures.
func (s *Server) memoryInfo() [][2]string {
	return [][2]string{{"used_memory_rss", strconv.FormatUint(readRSS(), 10)}}
}

// readRSS returns the process's resident set size in bytes, from
// /proc/self/statm (0 if unavailable).
func readRSS() uint64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseUint(f[1], 10, 64)
	return pages * uint64(os.Getpagesize())
}

// osName and totalMemory do not change while the server runs.
var (
	osName      = netpoll.OSName()
	totalMemory = netpoll.TotalMemory()
)

// hostInfo is INFO's view of the machine (command.Hooks.Host).
func hostInfo() command.HostInfo {
	c := netpoll.CPU()
	return command.HostInfo{OS: osName, TotalMemory: totalMemory,
		Sys: c.Sys, User: c.User, SysChildren: c.SysChildren, UserChildren: c.UserChildren,
		SysThread: c.SysThread, UserThread: c.UserThread}
}
