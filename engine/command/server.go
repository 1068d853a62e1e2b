package command

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"rundb/engine/resp"
	"sort"
	"strings"
	"time"

	"rundb/engine/config"
	"rundb/engine/db"
	"rundb/engine/mem"
)

// Version is rundb's own version (INFO rundb_version, rundb --version).
const Version = "0.1.0"

// RedisVersion is the Redis version rundb answers as (INFO redis_version,
// HELLO, rundb --version).
const RedisVersion = "7.0.15"

// Stats are the server-wide counters of INFO stats.
type Stats struct {
	ConnectionsReceived uint64
	RejectedConnections uint64
	CommandsProcessed   uint64
	ErrorReplies        uint64
	NetInputBytes       uint64
	NetOutputBytes      uint64
	ClientsKilledOutput uint64 // closed for passing client-output-buffer-limit
	// Errors counts error replies by their first word (ERR, WRONGTYPE,
	// EXECABORT...) for INFO errorstats.
	Errors map[string]uint64
}

// maxErrorKinds bounds INFO errorstats: past it, a new first word is
// counted only in total_error_replies.
const maxErrorKinds = 128

// CountError counts one error reply: in total_error_replies and, by the
// first word of msg (within its first 32 bytes; ERR when there is none),
// in INFO errorstats.
func (s *Server) CountError(msg string) {
	s.stats.ErrorReplies++
	kind := "ERR"
	if i := strings.IndexByte(msg[:min(len(msg), 32)], ' '); i > 0 {
		kind = msg[:i]
	}
	if s.stats.Errors == nil {
		s.stats.Errors = map[string]uint64{}
	}
	if _, ok := s.stats.Errors[kind]; ok || len(s.stats.Errors) < maxErrorKinds {
		s.stats.Errors[kind]++
	}
}

// Hooks are what the command layer asks of the server around it.
type Hooks struct {
	// Shutdown stops the server after the current loop turn; save asks
	// for the dataset to be persisted first. It returns an error to reply
	// when it cannot comply.
	Shutdown func(c *Client, save, nosave bool) error
	// MemoryInfo appends extra "name:value" lines to INFO memory.
	MemoryInfo func() [][2]string
	// ClientMemory is the bytes the clients' query and output buffers
	// hold (they live on the Go heap, so the allocator does not see
	// them); used_memory counts them. May be nil (none).
	ClientMemory func() uint64
	// ServerInfo appends extra lines to INFO server.
	ServerInfo func() [][2]string
	// Host describes the machine and the process's CPU times for INFO
	// (the engine reads them through netpoll, the room that makes system
	// calls). May be nil.
	Host func() HostInfo
	// ApplyConfig makes the running server follow a parameter CONFIG SET
	// changed (the cron rate, the listening port...); an error refuses
	// the change.
	ApplyConfig func(name string) error
	// Logf writes a line to the server log (may be nil).
	Logf func(format string, args ...any)
}

// HostInfo is what INFO reports of the machine and the process's CPU use.
type HostInfo struct {
	OS          string // kernel name, release and machine
	TotalMemory uint64 // RAM in bytes, 0 if unknown
	// CPU times of the process, its children and the loop's thread.
	Sys, User, SysChildren, UserChildren, SysThread, UserThread time.Duration
}

// Server is the state the command handlers share: the keyspace, the
// configuration, the clients and the counters. One event loop owns it.
type Server struct {
	table  *Table
	KS     *db.Keyspace
	Config *config.Config
	stats  Stats
	hooks  Hooks

	blk        blocking
	clients    map[int64]*Client
	nextID     int64
	startTime  time.Time
	runID      string
	latencyMon *LatencyMonitor
	info       infoState

	// watchers maps a watched (db, key) to the clients watching it.
	watchers map[watchID][]*Client

	// shutdownAsked is set by SHUTDOWN; the server stops after the turn.
	shutdownAsked bool

	// persist is the server's persistence (nil: none); dirtyAtSave is
	// the dirty counter when the last snapshot began.
	persist     Persistence
	dirtyAtSave uint64

	// The command clock (see monoNs): epoch is the server's start, read
	// once with its monotonic reading, and wallOff the Unix time in ns
	// at epoch as the wall clock said at the last cron, so a change of
	// the wall clock shows at the next cron.
	epoch   time.Time
	wallOff int64
	// Inside a batch (BatchClock), clockNs is the instant (ns since
	// epoch) the last command ended, read by call, and clockHot says that
	// it may stand for the next command's start (see commandNs).
	inBatch, clockHot bool
	clockNs           int64
	// CLIENT PAUSE: until pauseEnd, pauseType (PauseWrite or PauseAll)
	// postpones the commands it covers; postponed counts the clients
	// waiting (the server keeps them).
	pauseType int
	pauseEnd  time.Time
	postponed int

	// killPending is set when CLIENT KILL marked clients Killed; the
	// server closes them before the loop sleeps.
	killPending bool

	// startupMemory is the allocator's bytes when the server was built
	// (MEMORY STATS startup.allocated, INFO used_memory_startup).
	startupMemory uint64

	rngState uint64

	// propagate consumes what write commands changed (see propagate.go).
	propagate func(ops []Op)
	prop      propagation

	// expiry is the active expiry cycle (expire.go).
	expiry *db.ActiveExpiry
	// cronSliced: the cron of this loop turn ran a slice of the slow
	// expiry cycle, so BeforeSleep leaves the next one to the next turn.
	cronSliced bool

	// evict is the maxmemory state (evict.go).
	evict evictState
}

type watchID struct {
	db  int
	key string
}

// NewServer builds the command table over a keyspace.
func NewServer(cfg *config.Config, ks *db.Keyspace) *Server {
	s := &Server{
		table:      newTable(),
		KS:         ks,
		Config:     cfg,
		clients:    make(map[int64]*Client),
		startTime:  time.Now(),
		watchers:   make(map[watchID][]*Client),
		latencyMon: NewLatencyMonitor(),
	}
	var id [20]byte
	_, _ = rand.Read(id[:])
	s.runID = hex.EncodeToString(id[:])
	s.rngState = uint64(time.Now().UnixNano()) | 1
	s.anchorWall()
	s.wireWriteHooks()
	s.expiry = s.newActiveExpiry()
	s.startupMemory = mem.Allocated(ks.Alloc)
	s.applyLFU()
	return s
}

// NumClients is the number of connected clients.
func (s *Server) NumClients() int { return len(s.clients) }

// ConnectionRejected counts a connection refused at maxclients
// (rejected_connections).
func (s *Server) ConnectionRejected() { s.stats.RejectedConnections++ }

// CountNetInput adds n bytes read from clients (total_net_input_bytes).
func (s *Server) CountNetInput(n int) { s.stats.NetInputBytes += uint64(n) }

// CountNetOutput adds n bytes of replies (total_net_output_bytes).
func (s *Server) CountNetOutput(n int) { s.stats.NetOutputBytes += uint64(n) }

// OutputLimitKill counts a client closed for passing
// client-output-buffer-limit.
func (s *Server) OutputLimitKill() { s.stats.ClientsKilledOutput++ }

// ShutdownAsked reports whether SHUTDOWN ran: the server stops after the
// turn and runs no more commands.
func (s *Server) ShutdownAsked() bool { return s.shutdownAsked }

// SetPostponed says how many clients a CLIENT PAUSE holds (INFO
// blocked_clients).
func (s *Server) SetPostponed(n int) { s.postponed = n }

// TakeKillPending reports whether CLIENT KILL marked clients Killed since
// the last call; the server closes them.
func (s *Server) TakeKillPending() bool {
	k := s.killPending
	s.killPending = false
	return k
}

// LoopTurn records a loop turn that started at start and took d as an
// event-loop latency sample when latency-monitor-threshold asks for it.
func (s *Server) LoopTurn(start time.Time, d time.Duration) {
	if t := s.Config.LatencyMonitorThreshold; t > 0 && d.Milliseconds() >= t {
		s.latencyMon.Add("event-loop", start, d)
	}
}

// SetHooks gives the command layer what it asks of the server around it.
func (s *Server) SetHooks(h Hooks) { s.hooks = h }

// Rand returns a pseudo-random number (xorshift; not for cryptography).
func (s *Server) Rand() uint64 {
	x := s.rngState
	x ^= x << 13
	x ^= x >> 7
	x ^= x << 17
	s.rngState = x
	return x
}

// NewClient registers a client connection.
func (s *Server) NewClient(addr, laddr string, fd int) *Client {
	s.nextID++
	c := &Client{
		srv: s, ID: s.nextID, Addr: addr, LAddr: laddr, Fd: fd,
		DB: s.KS.DBs[0], Resp: 2, Created: time.Now(), ActiveNs: s.monoNs(),
		Authenticated: s.Config.RequirePass == "",
	}
	s.clients[c.ID] = c
	s.stats.ConnectionsReceived++
	return c
}

// FreeClient forgets a closed client.
func (s *Server) FreeClient(c *Client) {
	s.unblock(c)
	s.unwatchAll(c)
	c.Queue = nil
	delete(s.clients, c.ID)
}

// SortedClients returns the clients ordered by ID.
func (s *Server) SortedClients() []*Client {
	out := make([]*Client, 0, len(s.clients))
	for _, c := range s.clients {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Execute runs the command in c.Args, appending its reply to c.Out.
func (s *Server) Execute(c *Client) {
	if len(c.Args) == 0 {
		return
	}
	before, muted, saved := c.muteBegin()
	s.execute(c)
	c.muteEnd(before, muted, saved)
	if len(s.blk.ready) > 0 {
		s.serveReady()
	}
	if c.Postponed {
		return // it runs again, as if just received, when the pause ends
	}
	// A CLIENT REPLY SKIP mutes the command after its own.
	c.replySkip, c.replySkipNext = c.replySkipNext, false
}

func (s *Server) execute(c *Client) {
	ns := s.commandNs()
	c.ActiveNs = ns
	cmd := s.table.Lookup(c.Args[0])
	if cmd == nil {
		s.rejectUnknown(c)
		return
	}
	if cmd.Sub != nil && len(c.Args) >= 2 {
		sub := cmd.Sub[Lower(c.Args[1])]
		if sub == nil {
			s.reject(c, cmd, "ERR unknown subcommand '"+clip(cstr(c.Args[1]), 128)+"'. Try "+strings.ToUpper(cmd.Name)+" HELP.")
			return
		}
		cmd = sub
	}
	if !arityOK(cmd.Arity, len(c.Args)) {
		s.reject(c, cmd, "ERR wrong number of arguments for '"+cmd.Name+"' command")
		return
	}
	if cmd.Name == "debug" && !config.Allowed(s.Config.EnableDebugCommand, c.Local()) {
		s.reject(c, cmd, errDebugNotAllowed)
		return
	}
	if !c.Authenticated && cmd.Flags&FlagNoAuth == 0 {
		s.reject(c, cmd, ErrNoAuth)
		return
	}
	if c.InMulti && cmd.Flags&FlagNoMulti != 0 {
		s.reject(c, cmd, "ERR Command not allowed inside a transaction")
		return
	}
	if s.Config.MaxMemory > 0 && s.oomRefuses(c, cmd, s.timeAt(ns)) {
		s.reject(c, cmd, ErrOOM)
		return
	}
	if msg := s.misconfRefuses(c, cmd); msg != "" {
		s.reject(c, cmd, msg)
		return
	}
	if s.pauseType != PauseNone && s.postpones(c, cmd, s.timeAt(ns)) {
		c.Postponed = true
		c.LastCmdName = cmd.Name
		return
	}
	if c.InMulti && cmd.Flags&FlagRunsInMulti == 0 {
		c.Queue = append(c.Queue, queued{cmd: cmd, args: resp.CloneArgs(c.Args)})
		c.Out = append(c.Out, "+QUEUED\r\n"...)
		return
	}
	s.call(c, cmd, ns)
}

// Pause types of CLIENT PAUSE.
const (
	PauseNone = iota
	PauseWrite
	PauseAll
)

// Paused reports whether a CLIENT PAUSE is in force at now, ending it
// (and the pause of expiry) once its time is up.
func (s *Server) Paused(now time.Time) bool {
	if s.pauseType != PauseNone && !now.Before(s.pauseEnd) {
		s.Unpause()
	}
	return s.pauseType != PauseNone
}

// Unpause ends a CLIENT PAUSE.
func (s *Server) Unpause() {
	s.pauseType, s.pauseEnd = PauseNone, time.Time{}
	s.KS.ExpiryPaused = false
}

// postpones reports whether a CLIENT PAUSE holds cmd back: under ALL
// every command, under WRITE those that may write (an EXEC whose queue
// holds one included, and a write command being queued).
func (s *Server) postpones(c *Client, cmd *Command, now time.Time) bool {
	if !s.Paused(now) {
		return false
	}
	if s.pauseType == PauseAll || cmd.Flags&FlagWrite != 0 {
		return true
	}
	if cmd.Name == "exec" && c.InMulti {
		for _, q := range c.Queue {
			if q.cmd.Flags&FlagWrite != 0 {
				return true
			}
		}
	}
	return false
}

// call runs one command, started at start (monoNs), and keeps its
// statistics.
func (s *Server) call(c *Client, cmd *Command, start int64) {
	s.KS.Tick((s.wallOff + start) / 1e6)
	errs := s.stats.ErrorReplies
	c.Cmd = cmd
	before, muted, saved := c.muteBegin()
	dirty := s.KS.Dirty
	c.propArgs, c.propForce = nil, false
	s.prop.depth++
	cmd.Handler(c)
	s.propagateCall(c, cmd, dirty)
	if s.prop.depth--; s.prop.depth == 0 {
		s.flushOps()
	}
	c.muteEnd(before, muted, saved)
	end := s.monoNs()
	dur := time.Duration(end - start)
	if s.inBatch {
		s.clockNs, s.clockHot = end, true
	}
	cmd.Calls++
	cmd.Usec += uint64(dur.Microseconds())
	if s.stats.ErrorReplies != errs {
		cmd.Failed++
	}
	if s.Config.LatencyTracking {
		if cmd.latency == nil {
			cmd.latency = newLatencyHistogram()
		}
		cmd.latency.Record(dur.Nanoseconds())
	}
	s.stats.CommandsProcessed++
	c.LastCmdName = cmd.Name
	if t := s.Config.LatencyMonitorThreshold; t > 0 && dur.Milliseconds() >= t {
		s.latencyMon.Add("command", s.timeAt(start), dur)
	}
}

func (s *Server) reject(c *Client, cmd *Command, msg string) {
	if cmd != nil {
		cmd.Rejected++
		if cmd.Name == "exec" {
			// A refused EXEC discards the transaction and says why.
			s.discardTransaction(c)
			c.ReplyError("EXECABORT Transaction discarded because of: " + strings.TrimPrefix(msg, "ERR "))
			return
		}
	}
	c.ReplyError(msg)
	if c.InMulti {
		c.DirtyExec = true
	}
}

func (s *Server) rejectUnknown(c *Client) {
	var args strings.Builder
	for _, a := range c.Args[1:] {
		if args.Len() >= 128 {
			break
		}
		args.WriteString("'")
		args.WriteString(clip(cstr(a), 128-args.Len()))
		args.WriteString("' ")
	}
	s.reject(c, nil, "ERR unknown command '"+clip(cstr(c.Args[0]), 128)+"', with args beginning with: "+args.String())
}

// cstr returns b up to its first NUL byte: the unknown-command error
// quotes the name and arguments as C strings.
func cstr(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

func clip(s string, n int) string {
	if n < 0 {
		n = 0
	}
	if len(s) > n {
		return s[:n]
	}
	return s
}

// monoNs is the command clock: nanoseconds since the server's start on the
// monotonic clock, one clock read where time.Now makes two (wall and
// monotonic). Commands carry their instants in it; timeAt turns one into
// a wall-clock time where a time.Time is needed.
func (s *Server) monoNs() int64 { return int64(time.Since(s.epoch)) }

// timeAt is the wall-clock time of command-clock instant ns.
func (s *Server) timeAt(ns int64) time.Time { return time.Unix(0, s.wallOff+ns) }

// anchorWall reads the wall clock again (at start and each cron).
func (s *Server) anchorWall() {
	now := time.Now()
	if s.epoch.IsZero() {
		s.epoch = now
	}
	s.wallOff = now.UnixNano() - int64(now.Sub(s.epoch))
}

// BatchClock(true) starts a batch of commands run back to back, as the
// commands of one read of a pipelining client are, and BatchClock(false)
// ends it. Inside a batch a command starts at the instant the command
// before it ended (the clock read that timed it), so a command costs one
// clock read instead of two; the instant is at most the parsing of one
// command old. The first command of a batch reads the clock.
func (s *Server) BatchClock(on bool) { s.inBatch, s.clockHot = on, false }

// commandNs is the start of the command about to run: the end of the
// previous one inside a batch, else now.
func (s *Server) commandNs() int64 {
	if s.clockHot {
		return s.clockNs
	}
	return s.monoNs()
}

// Cron runs the server's periodic work (called hz times per second): the
// samples behind INFO's rates and memory peak, and incremental rehashing.
func (s *Server) Cron() {
	s.anchorWall()
	s.infoCron()
	s.blockTimeouts(time.Now())
	s.activeExpire(db.ExpireSlow, time.Now())
	s.cronSliced = true
	for _, d := range s.KS.DBs {
		d.RehashStep(16)
	}
}

// applyParam makes the server follow parameter p after CONFIG SET changed
// it: the keyspace caches the LFU settings, the server around the command
// layer applies the rest (Hooks.ApplyConfig).
func (s *Server) applyParam(p *config.Param) error {
	switch p.Name {
	case "maxmemory-policy", "lfu-log-factor", "lfu-decay-time":
		s.applyLFU()
	}
	switch p.Name {
	case "maxmemory", "maxmemory-policy", "maxmemory-samples", "eviction-pool-size", "eviction-ratio":
		s.maxmemoryChanged()
	}
	if s.hooks.ApplyConfig != nil {
		return s.hooks.ApplyConfig(p.Name)
	}
	return nil
}

// applyLFU pushes configuration the keyspace caches (the LFU policy and
// its tuning).
func (s *Server) applyLFU() {
	s.KS.LFU = policyLFU(s.Config)
	s.KS.LFULogFactor = s.Config.LFULogFactor
	s.KS.LFUDecayTime = s.Config.LFUDecayTime
	s.KS.Tick(time.Now().UnixMilli())
}
