package command

import (
	"net"
	"net/netip"
	"time"

	"rundb/engine/db"
	"rundb/engine/ds"
	"rundb/engine/mem"
	"rundb/engine/resp"
)

// Local reports whether the client is on the loopback interface or a Unix
// socket (the enable-* parameters' "local", protected mode).
func (c *Client) Local() bool { return IsLocalAddr(c.Addr) }

// IsLocalAddr reports whether a remote address ("ip:port", or a Unix
// socket's path or empty name) is local: a loopback IP or not an IP at all.
func IsLocalAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return true // a Unix socket
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return true
	}
	return ip.Unmap().IsLoopback()
}

// Client is the state of one connection, as the command handlers see it.
// It is owned by the event loop goroutine.
type Client struct {
	srv *Server

	ID      int64
	Addr    string // remote "ip:port"
	LAddr   string // local "ip:port"
	Fd      int
	Name    string
	LibName string
	LibVer  string

	DB   *db.DB
	Args [][]byte // the command being executed; aliases the input buffer
	Cmd  *Command // the command being executed (nil when unknown)

	// ArgBlocks are the allocator blocks that hold large arguments of the
	// command being executed (read from the socket straight into them, see
	// TakeArgBlock); the server frees those no handler took.
	ArgBlocks []ArgBlock

	// Out accumulates replies; the server moves it to the connection.
	Out []byte

	// propArgs, when set, is what the running command propagates instead of
	// Args; propForce propagates it even if it changed nothing.
	propArgs  [][]byte
	propForce bool

	Authenticated bool
	Resp          int // protocol version (2)

	// Transaction state.
	InMulti   bool
	DirtyExec bool // an error while queueing: EXEC answers EXECABORT
	DirtyCAS  bool // a watched key was modified: EXEC answers a null array
	Queue     []queued
	Watched   []watchedKey

	// CLIENT REPLY: replyOff mutes every reply until CLIENT REPLY ON;
	// replySkip mutes the current command's, and replySkipNext the next
	// command's. unmuteAt is where in Out a CLIENT REPLY ON turned replies
	// back on during the current command (-1: it did not).
	replyOff, replySkip, replySkipNext bool
	unmuteAt                           int

	// Postponed is set by Execute when a CLIENT PAUSE holds the command
	// back: the server keeps its input and runs it again later.
	Postponed bool
	// Held is set while the server holds the client's input for a pause
	// (CLIENT LIST flag b).
	Held bool
	// blocked is set while the client waits in a blocking command
	// (blocking.go); serving while serveReady runs its command again for
	// servingKey, and stillBlocked when that found nothing to pop.
	blocked      *blockState
	serving      bool
	servingKey   string
	stillBlocked bool
	// inExec is set while EXEC runs the queued commands.
	inExec bool
	// Owner is the server's own handle on the client's connection.
	Owner any

	// CloseAfterReply asks the server to flush Out and close (QUIT, errors).
	CloseAfterReply bool
	// Killed is set by CLIENT KILL: the server closes it at the next turn.
	Killed bool

	Created time.Time
	// ActiveNs is when the client's last command started, on the
	// server's command clock (see Idle).
	ActiveNs    int64
	LastCmdName string
	InBufLen    func() int // bytes of unparsed input (for CLIENT LIST qbuf)
	OutBufLen   func() int // bytes of output pending in the connection
}

// ArgBlock is one allocator block holding a whole argument.
type ArgBlock struct {
	Ref   mem.Ref
	Buf   []byte // the argument: the block's bytes, exactly
	Taken bool   // a handler took it over
}

// TakeArgBlock hands over the block that holds arg, when arg is a whole
// argument in a block of its own that nothing took yet: the block, of
// len(arg) bytes, moves from the clients purpose to purpose p and the caller
// owns it, so it may keep it (as a value) instead of copying arg. ok is
// false otherwise.
func (c *Client) TakeArgBlock(arg []byte, p mem.Purpose) (r mem.Ref, ok bool) {
	if len(arg) == 0 {
		return 0, false
	}
	for i := range c.ArgBlocks {
		b := &c.ArgBlocks[i]
		if !b.Taken && len(b.Buf) == len(arg) && &b.Buf[0] == &arg[0] {
			b.Taken = true
			return mem.Repurpose(c.srv.KS.Alloc, b.Ref, len(arg), mem.PurposeClient, p), true
		}
	}
	return 0, false
}

// setString stores val as key's whole value (db's SetString), except that a
// large val read into an argument block of its own becomes the value as is,
// without a copy.
func setString(c *Client, key, val []byte, x db.Expiry) {
	if r, ok := c.TakeArgBlock(val, mem.PurposeValue); ok {
		c.DB.SetStringOwned(key, r, len(val), x)
		return
	}
	c.DB.SetString(key, val, x)
}

// Muted reports whether replies written now are dropped (CLIENT REPLY OFF
// or SKIP).
func (c *Client) Muted() bool { return c.replyOff || c.replySkip }

// muteBegin and muteEnd bracket one command: what it wrote while muted is
// dropped, except what follows a CLIENT REPLY ON it ran. They nest, for the
// commands EXEC runs.
func (c *Client) muteBegin() (before int, muted bool, saved int) {
	saved, c.unmuteAt = c.unmuteAt, -1
	return len(c.Out), c.Muted(), saved
}

func (c *Client) muteEnd(before int, muted bool, saved int) {
	if muted {
		if c.unmuteAt >= before {
			c.Out = append(c.Out[:before], c.Out[c.unmuteAt:]...)
			c.unmuteAt = before
		} else {
			c.Out = c.Out[:before]
		}
	}
	c.unmuteAt = max(c.unmuteAt, saved)
}

// replySubSyntaxErr is the error for a subcommand of cmd given the wrong
// arguments.
func (c *Client) replySubSyntaxErr(cmd string) {
	c.ReplyError("ERR unknown subcommand or wrong number of arguments for '" + clip(cstr(c.Args[1]), 128) + "'. Try " + cmd + " HELP.")
}

type queued struct {
	cmd  *Command
	args [][]byte
}

type watchedKey struct {
	db      int
	key     string
	expired bool // the key was logically expired when watched
}

// Server returns the server the client is connected to.
func (c *Client) Server() *Server { return c.srv }

// Reply helpers. All append to c.Out and never allocate on their own.

func (c *Client) ReplyOK()                 { c.Out = append(c.Out, "+OK\r\n"...) }
func (c *Client) ReplySimple(s string)     { c.Out = resp.AppendSimple(c.Out, s) }
func (c *Client) ReplyError(s string)      { c.Out = resp.AppendError(c.Out, s); c.srv.CountError(s) }
func (c *Client) ReplyInt(n int64)         { c.Out = resp.AppendInt(c.Out, n) }
func (c *Client) ReplyBulk(b []byte)       { c.Out = resp.AppendBulk(c.Out, b) }
func (c *Client) ReplyBulkString(s string) { c.Out = resp.AppendBulkString(c.Out, s) }
func (c *Client) ReplyBulkInt(n int64)     { c.Out = resp.AppendBulkInt(c.Out, n) }
func (c *Client) ReplyNull()               { c.Out = resp.AppendNull(c.Out) }
func (c *Client) ReplyNullArray()          { c.Out = resp.AppendNullArray(c.Out) }
func (c *Client) ReplyArrayLen(n int)      { c.Out = resp.AppendArrayLen(c.Out, n) }

// ReplyStrings replies an array of bulk strings.
func (c *Client) ReplyStrings(ss ...string) {
	c.ReplyArrayLen(len(ss))
	for _, s := range ss {
		c.ReplyBulkString(s)
	}
}

// Shared error replies, worded as Redis words them.
const (
	ErrSyntax        = "ERR syntax error"
	ErrWrongType     = "WRONGTYPE Operation against a key holding the wrong kind of value"
	ErrNotInt        = "ERR value is not an integer or out of range"
	ErrNotFloat      = "ERR value is not a valid float"
	ErrOverflow      = "ERR increment or decrement would overflow"
	ErrNoSuchKey     = "ERR no such key"
	ErrDBIndex       = "ERR DB index is out of range"
	ErrInvalidExpire = "ERR invalid expire time in '%s' command"
	ErrNoAuth        = "NOAUTH Authentication required."
	// ErrDenied is what a client off the loopback interface reads, before
	// the connection closes, when protected mode is on and there is no
	// password (Redis 7.0's text, word for word).
	ErrDenied = "DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. " +
		"In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: " +
		"1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. " +
		"2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. " +
		"3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. " +
		"4) Setup a an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside."
	errDebugNotAllowed = "ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run it from a local connection, " +
		"otherwise you need to set this option in the configuration file, and then restart the server."
	// The count and numkeys errors the list and set families share.
	ErrMustBePositive = "ERR value is out of range, must be positive"
	ErrNumkeysZero    = "ERR numkeys should be greater than 0"
)

// lookupTyped returns key's live entry for a reading command (LookupRead:
// a hit or miss is counted) or, when write is set, a writing one
// (LookupWrite). found is false for a missing key; ok is false, after
// replying WRONGTYPE, when the key holds another type than typ.
func lookupTyped(c *Client, key []byte, typ uint8, write bool) (e ds.Entry, found, ok bool) {
	if write {
		e, found = c.DB.LookupWrite(key)
	} else {
		e, found = c.DB.LookupRead(key)
	}
	if found && e.Type() != typ {
		c.ReplyWrongType()
		return e, true, false
	}
	return e, found, true
}

func (c *Client) ReplySyntaxErr() { c.ReplyError(ErrSyntax) }
func (c *Client) ReplyWrongType() { c.ReplyError(ErrWrongType) }
func (c *Client) ReplyNotInt()    { c.ReplyError(ErrNotInt) }

// ReplyArityErr replies the wrong-number-of-arguments error for cmd.
func (c *Client) ReplyArityErr(name string) {
	c.ReplyError("ERR wrong number of arguments for '" + name + "' command")
}

// IntArg parses args[i] as an integer or replies the error and reports false.
func (c *Client) IntArg(i int) (int64, bool) {
	v, ok := ds.ParseInt(c.Args[i])
	if !ok {
		c.ReplyNotInt()
	}
	return v, ok
}

// EqualFold reports whether the option b is the lower-case ASCII word s,
// ignoring case. b is read as a C string, as Redis reads options: a NUL
// ends it, so "nx\x00junk" is NX.
func EqualFold(b []byte, s string) bool {
	if len(b) < len(s) || (len(b) > len(s) && b[len(s)] != 0) {
		return false
	}
	for i := 0; i < len(s); i++ {
		ch := b[i]
		if ch >= 'A' && ch <= 'Z' {
			ch += 'a' - 'A'
		}
		if ch != s[i] {
			return false
		}
	}
	return true
}

// Lower returns a lower-case copy of b as a string.
func Lower(b []byte) string {
	out := make([]byte, len(b))
	for i, ch := range b {
		if ch >= 'A' && ch <= 'Z' {
			ch += 'a' - 'A'
		}
		out[i] = ch
	}
	return string(out)
}

// Idle is the time since the client's last command started.
func (c *Client) Idle() time.Duration { return time.Duration(c.srv.monoNs() - c.ActiveNs) }
