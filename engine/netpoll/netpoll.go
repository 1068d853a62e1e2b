// Package netpoll is rundb's event loop: one epoll instance, one goroutine locked
// to its OS thread, non-blocking listeners, an eventfd for wake-ups and a timer
// for the server's cron. It is the only package in rundb that makes raw
// syscalls.
//
// The loop calls a Handler for every event. The handler (the server) owns all
// data, so nothing on the data path takes a lock: every Handler method and every
// method of Conn and Loop, except Loop.Stop, Loop.Wake and Loop.NumConns, must be
// called on the loop goroutine, that is from inside a Handler method.
//
// One loop turn:
//
//  1. leftover input of connections whose back-pressure was lifted is offered
//     to OnData again;
//  2. BeforeSleep;
//  3. pending output of every connection that got new output is written
//     (a write that hits EAGAIN keeps the rest and arms EPOLLOUT);
//  4. epoll_wait, with a timeout that ends at the next tick;
//  5. events: accept on a ready listener until EAGAIN, OnWake for the eventfd,
//     and per connection: error/hang-up first, then write, then read;
//  6. OnTick when the tick deadline has passed.
//
// Input: one read buffer is shared by the loop. A connection without leftover
// input gets a slice of that buffer directly; the bytes OnData did not consume
// are copied into the connection's own buffer and prepended to the next read.
// The data passed to OnData is only valid during the call: a handler that keeps
// bytes must copy them.
//
// Large input: a handler that learns from a header that the next N bytes of
// the stream are one large payload (a big bulk string) can have them read
// straight into a buffer of its own with Conn.ReadInto, instead of through
// the shared buffer and the connection's leftover buffer: the loop then
// reads at most maxSinkRead bytes a turn into it, so one client's large
// request never keeps the loop from serving the others, and those bytes are
// not offered to OnData. Once the buffer is full, reading goes on as before.
//
// Back-pressure: while a connection's unwritten output exceeds
// Config.MaxPendingOut the loop stops reading from it (EPOLLIN is removed), and
// resumes once the output has drained to half of that. A handler that turns
// small requests into large replies should also stop consuming commands when
// Conn.Backpressured reports true and return the bytes consumed so far: the
// loop offers the leftover again when the output has drained, even if the peer
// sends nothing more. Together this bounds a connection's pending output by
// about MaxPendingOut plus one reply.
package netpoll

import (
	"errors"
	"time"
)

// ErrStopped is passed to OnClose for connections closed because the loop
// stopped, and returned by Run when the loop was already stopped.
var ErrStopped = errors.New("netpoll: loop stopped")

// ErrRunning is returned by Run when the loop is already running.
var ErrRunning = errors.New("netpoll: loop already running")

const (
	defaultBacklog       = 511
	defaultReadBufSize   = 64 << 10
	defaultMaxPendingOut = 4 << 20

	// keepOutCap is the largest output buffer a connection keeps once its
	// output has drained; a larger one is dropped so that a single big reply
	// does not pin its memory for the life of the connection.
	keepOutCap = 64 << 10
	// keepInCap is the same bound for leftover input (at least twice the
	// read buffer, which a read behind leftover bytes may add).
	keepInCap = 64 << 10

	initialEvents = 128

	// maxWrite bounds the bytes passed to one write(2).
	maxWrite = 256 << 10

	// maxSinkRead bounds the bytes read into a ReadInto buffer in one loop
	// turn. Copying 1 MB out of the socket, into pages touched for the
	// first time, takes a few hundred microseconds, so other clients wait
	// well under a millisecond for a turn, while a 512 MB payload needs
	// only 512 turns.
	maxSinkRead = 1 << 20
)

// Config configures a Loop.
type Config struct {
	Addr          string        // "host:port"; port 0 picks a free port; empty host listens on all IPv4 addresses
	Backlog       int           // listen backlog (default 511)
	TickInterval  time.Duration // OnTick period; 0 disables ticks
	ReadBufSize   int           // size of the loop's one read buffer, default 64KB
	MaxPendingOut int           // pending output above which a conn's input is not read; 0 = 4MB
	// Addrs, when not empty, replaces Addr: one listener per entry, each
	// "host:port" ("[host]:port" for IPv6). In Addrs and Addr, a host starting with "-" is
	// optional: skipped (with a log line) when the address is not
	// available here. "*" is 0.0.0.0 and "::*" is ::. An entry with port
	// 0 gets the port of the first listener opened (a free port if none).
	Addrs []string
	// Logf receives the loop's rare diagnostics (stale fds, accept
	// failures); nil means log.Printf.
	Logf func(format string, args ...any)
}

// Handler receives the loop's events. All methods run on the loop goroutine.
type Handler interface {
	// OnOpen is called for each accepted connection. Returning false makes
	// the loop flush c's pending output (an error line, say) and close it.
	OnOpen(c *Conn) bool
	// OnData gets the connection's leftover input followed by newly read
	// bytes, and returns how many bytes it consumed (0..len(data)); the rest
	// is kept for the next call. Replies are appended to c's output. data is
	// valid only during the call.
	OnData(c *Conn, data []byte) int
	// OnClose is called once per connection, after its fd is closed. err is
	// io.EOF when the peer closed, nil when the server closed it through
	// Loop.Close or Loop.CloseAfterFlush, ErrStopped when the loop stopped,
	// and the socket error otherwise.
	OnClose(c *Conn, err error)
	// OnTick is called every Config.TickInterval.
	OnTick()
	// OnWake is called after Loop.Wake was called from any goroutine.
	OnWake()
	// BeforeSleep is called once per loop turn, before pending outputs are
	// written and the loop waits for events.
	BeforeSleep()
}

// Conn is one client connection. Its methods must be called on the loop
// goroutine.
type Conn struct {
	Fd         int
	RemoteAddr string // "ip:port"
	LocalAddr  string // "ip:port"
	Context    any    // the server's per-client state

	loop   *Loop
	id     uint32 // distinguishes this conn from a later one reusing Fd
	in     []byte // leftover input
	sink   []byte // ReadInto: the part of the handler's buffer still to fill
	fresh  int    // during OnData: bytes at the end of in that were just read
	out    []byte // output; out[outPos:] is not yet written
	outPos int
	events uint32 // epoll interest currently registered

	closed     bool // fd closed, OnClose called
	closing    bool // CloseAfterFlush: no more reads, close once output is empty
	dirty      bool // queued in loop.dirty for the end-of-turn flush
	writeArmed bool // last write hit EAGAIN; EPOLLOUT is wanted
	paused     bool // reading stopped by back-pressure
	held       bool // reading stopped by the handler (Loop.Hold) until Loop.Release
	ready      bool // queued in loop.ready to be offered its leftover again
}

// Out returns the output not yet written to the socket. It aliases the
// connection's buffer and is valid until the next write or append.
func (c *Conn) Out() []byte { return c.out[c.outPos:] }

// Write appends b to the pending output, which is written at the end of the
// loop turn. Writes to a closed connection are dropped.
func (c *Conn) Write(b []byte) {
	if c.closed {
		return
	}
	c.out = append(c.out, b...)
	c.markDirty()
}

// WriteOwned is Write for a buffer the caller gives away: when no output is
// pending, b becomes the connection's output buffer instead of being copied
// (a reply of hundreds of megabytes then costs no second copy). The caller
// must not touch b afterwards.
func (c *Conn) WriteOwned(b []byte) {
	if c.closed {
		return
	}
	if c.outPos == len(c.out) {
		c.out, c.outPos = b, 0
	} else {
		c.out = append(c.out, b...)
	}
	c.markDirty()
}

// AppendOut lets f append to the pending output without copying:
// f gets the output buffer and returns it extended, as the append-style reply
// builders do (c.AppendOut(func(b []byte) []byte { return appendBulk(b, v) })).
// f must only append. A closure that does not escape costs no allocation.
func (c *Conn) AppendOut(f func([]byte) []byte) {
	if c.closed {
		return
	}
	c.out = f(c.out)
	c.markDirty()
}

// BufBytes is the memory the connection's input and output buffers hold
// (their capacities), for the server's used_memory.
func (c *Conn) BufBytes() int { return cap(c.in) + cap(c.out) }

// ReadInto makes the loop read the connection's next len(dst) bytes straight
// into dst, at most maxSinkRead bytes a loop turn, without offering them to
// OnData; once dst is full, reading and OnData go on as before. It may only
// be called from OnData, and that call must then consume all of its data
// (the bytes of dst follow it in the stream). dst must stay valid until it
// is full or the connection is closed; SinkLen tells how much is missing.
func (c *Conn) ReadInto(dst []byte) {
	if c.closed || len(dst) == 0 {
		return
	}
	c.sink = dst
}

// SinkLen returns how many bytes of the ReadInto buffer are still to be
// read (0 when there is none).
func (c *Conn) SinkLen() int { return len(c.sink) }

// OutLen returns the number of output bytes not yet written.
func (c *Conn) OutLen() int { return len(c.out) - c.outPos }

// InLen returns the number of buffered input bytes not yet consumed by
// OnData. During OnData it counts the part of data left over from earlier
// calls, so len(data)-InLen() is the number of bytes just read.
func (c *Conn) InLen() int { return len(c.in) - c.fresh }

// Backpressured reports whether the pending output exceeds
// Config.MaxPendingOut; a handler should stop consuming commands then.
func (c *Conn) Backpressured() bool {
	return c.loop != nil && c.OutLen() > c.loop.maxOut
}

// Closed reports whether the connection has been closed.
func (c *Conn) Closed() bool { return c.closed }

// Closing reports whether the connection is closed or will be closed once
// its output is written (CloseAfterFlush).
func (c *Conn) Closing() bool { return c.closed || c.closing }

// markDirty queues c for the end-of-turn flush. A conn waiting for EPOLLOUT
// is flushed by that event instead.
func (c *Conn) markDirty() {
	if c.dirty || c.writeArmed || c.closed || c.loop == nil {
		return
	}
	c.dirty = true
	c.loop.dirty = append(c.loop.dirty, c)
}
