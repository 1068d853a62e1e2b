package command

import (
	"crypto/sha256"
	"crypto/subtle"
	"rundb/engine/ds"
	"rundb/engine/resp"
	"strconv"
	"time"
)

// Connection commands: PING, ECHO, QUIT, SELECT, HELLO, AUTH, RESET and
// the CLIENT container (ID, SETNAME, GETNAME, LIST, INFO, SETINFO, KILL,
// NO-EVICT, HELP).

func init() {
	handle(map[string]func(c *Client){
		"ping":            pingCommand,
		"echo":            echoCommand,
		"quit":            quitCommand,
		"select":          selectCommand,
		"hello":           helloCommand,
		"auth":            authCommand,
		"reset":           resetCommand,
		"client|id":       clientIDCommand,
		"client|setname":  clientSetNameCommand,
		"client|getname":  clientGetNameCommand,
		"client|list":     clientListCommand,
		"client|info":     clientInfoCommand,
		"client|setinfo":  clientSetInfoCommand,
		"client|kill":     clientKillCommand,
		"client|pause":    clientPauseCommand,
		"client|unpause":  clientUnpauseCommand,
		"client|unblock":  clientUnblockCommand,
		"client|reply":    clientReplyCommand,
		"client|no-evict": clientNoEvictCommand,
		"client|help":     clientHelpCommand,
	})
}

func pingCommand(c *Client) {
	if len(c.Args) > 2 {
		c.ReplyArityErr("ping")
		return
	}
	if len(c.Args) == 2 {
		c.ReplyBulk(c.Args[1])
		return
	}
	c.Out = append(c.Out, "+PONG\r\n"...)
}

func echoCommand(c *Client) { c.ReplyBulk(c.Args[1]) }

func quitCommand(c *Client) {
	c.ReplyOK()
	c.CloseAfterReply = true
}

func selectCommand(c *Client) {
	d, ok := keysDB(c, 1)
	if !ok {
		return
	}
	c.DB = d
	c.ReplyOK()
}

// Authentication: rundb has one user, "default", whose password is
// requirepass (no password: any password is accepted for "default").

const (
	errWrongPass  = "WRONGPASS invalid username-password pair or user is disabled."
	errAuthNoPass = "ERR AUTH <password> called without any password configured for the default user. " +
		"Are you sure your configuration is correct?"
	errHelloNoAuth = "NOAUTH HELLO must be called with the client already authenticated, otherwise the " +
		"HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP " +
		"protocol version at the same time"
)

// checkPassword reports whether user/pass authenticate as the default user.
func (s *Server) checkPassword(user, pass []byte) bool {
	if string(user) != "default" {
		return false
	}
	return s.Config.RequirePass == "" || samePassword(pass, s.Config.RequirePass)
}

// samePassword compares in time independent of where the two differ and of
// their lengths: it compares SHA-256 digests.
func samePassword(pass []byte, want string) bool {
	a, b := sha256.Sum256(pass), sha256.Sum256([]byte(want))
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}

func authCommand(c *Client) {
	if len(c.Args) > 3 {
		c.ReplySyntaxErr()
		return
	}
	if len(c.Args) == 2 {
		if c.srv.Config.RequirePass == "" {
			c.ReplyError(errAuthNoPass)
			return
		}
		if !c.srv.checkPassword([]byte("default"), c.Args[1]) {
			c.ReplyError(errWrongPass)
			return
		}
	} else if !c.srv.checkPassword(c.Args[1], c.Args[2]) {
		c.ReplyError(errWrongPass)
		return
	}
	c.Authenticated = true
	c.ReplyOK()
}

func helloCommand(c *Client) {
	if len(c.Args) >= 2 {
		ver, ok := ds.ParseInt(c.Args[1])
		if !ok {
			c.ReplyError("ERR Protocol version is not an integer or out of range")
			return
		}
		// Only RESP2 is spoken.
		if ver != 2 {
			c.ReplyError("NOPROTO unsupported protocol version")
			return
		}
	}
	var user, pass []byte
	for j := 2; j < len(c.Args); j++ {
		more := len(c.Args) - 1 - j
		opt := c.Args[j]
		switch {
		case EqualFold(opt, "auth") && more >= 2:
			user, pass = c.Args[j+1], c.Args[j+2]
			j += 2
		case EqualFold(opt, "setname") && more >= 1:
			if !c.setName(c.Args[j+1]) {
				return
			}
			j++
		default:
			c.ReplyError("ERR Syntax error in HELLO option '" + string(opt) + "'")
			return
		}
	}
	if user == nil && !c.Authenticated {
		c.ReplyError(errHelloNoAuth)
		return
	}
	if user != nil {
		if !c.srv.checkPassword(user, pass) {
			c.ReplyError(errWrongPass)
			return
		}
		c.Authenticated = true
	}
	c.Resp = 2
	c.ReplyArrayLen(14)
	c.ReplyBulkString("server")
	c.ReplyBulkString("redis")
	c.ReplyBulkString("version")
	c.ReplyBulkString(RedisVersion)
	c.ReplyBulkString("proto")
	c.ReplyInt(2)
	c.ReplyBulkString("id")
	c.ReplyInt(c.ID)
	c.ReplyBulkString("mode")
	c.ReplyBulkString("standalone")
	c.ReplyBulkString("role")
	c.ReplyBulkString("master")
	c.ReplyBulkString("modules")
	c.ReplyArrayLen(0)
}

func resetCommand(c *Client) {
	s := c.srv
	if c.InMulti || len(c.Watched) > 0 {
		s.discardTransaction(c)
	}
	c.DB = s.KS.DBs[0]
	c.Name = ""
	c.Resp = 2
	c.Authenticated = s.Config.RequirePass == ""
	c.ReplySimple("RESET")
}

// validName reports whether b may be used as a client name or library
// attribute: printable ASCII without spaces.
func validName(b []byte) bool {
	for _, ch := range b {
		if ch < '!' || ch > '~' {
			return false
		}
	}
	return true
}

// setName sets the client's name, or replies the error and reports false.
func (c *Client) setName(b []byte) bool {
	if !validName(b) {
		c.ReplyError("ERR Client names cannot contain spaces, newlines or special characters.")
		return false
	}
	c.Name = string(b)
	return true
}

func clientIDCommand(c *Client) { c.ReplyInt(c.ID) }

func clientSetNameCommand(c *Client) {
	if c.setName(c.Args[2]) {
		c.ReplyOK()
	}
}

func clientGetNameCommand(c *Client) {
	if c.Name == "" {
		c.ReplyNull()
		return
	}
	c.ReplyBulkString(c.Name)
}

func clientSetInfoCommand(c *Client) {
	attr := Lower(c.Args[2])
	if attr != "lib-name" && attr != "lib-ver" {
		c.ReplyError("ERR Unrecognized option '" + string(c.Args[2]) + "'")
		return
	}
	if !validName(c.Args[3]) {
		c.ReplyError("ERR " + attr + " cannot contain spaces, newlines or special characters.")
		return
	}
	if attr == "lib-name" {
		c.LibName = string(c.Args[3])
	} else {
		c.LibVer = string(c.Args[3])
	}
	c.ReplyOK()
}

func clientNoEvictCommand(c *Client) {
	if !EqualFold(c.Args[2], "on") && !EqualFold(c.Args[2], "off") {
		c.ReplySyntaxErr()
		return
	}
	c.ReplyOK()
}

// clientTypeValid reports whether name is a client type of CLIENT LIST and
// CLIENT KILL; every rundb client is of type normal.
func clientTypeValid(name []byte) (normal, ok bool) {
	switch Lower(name) {
	case "normal":
		return true, true
	case "master", "replica", "slave", "pubsub":
		return false, true
	}
	return false, false
}

func clientListCommand(c *Client) {
	s := c.srv
	var ids []int64
	switch {
	case len(c.Args) == 2:
	case len(c.Args) == 4 && EqualFold(c.Args[2], "type"):
		normal, ok := clientTypeValid(c.Args[3])
		if !ok {
			c.ReplyError("ERR Unknown client type '" + string(c.Args[3]) + "'")
			return
		}
		if !normal {
			c.ReplyBulkString("")
			return
		}
	case len(c.Args) >= 4 && EqualFold(c.Args[2], "id"):
		for _, a := range c.Args[3:] {
			id, ok := ds.ParseInt(a)
			if !ok {
				c.ReplyError("ERR Invalid client ID")
				return
			}
			ids = append(ids, id)
		}
	default:
		c.ReplySyntaxErr()
		return
	}
	var b []byte
	if ids != nil {
		for _, id := range ids {
			if o := s.clients[id]; o != nil {
				b = c.appendClientInfo(b, o)
			}
		}
	} else {
		for _, o := range s.SortedClients() {
			b = c.appendClientInfo(b, o)
		}
	}
	c.ReplyBulk(b)
}

func clientInfoCommand(c *Client) {
	c.ReplyBulk(c.appendClientInfo(nil, c))
}

// Approximate buffer figures for CLIENT LIST: rundb's connections do not
// have Redis's query and reply buffers, so these are the usual sizes.
const (
	clientQueryBufSize = 20474
	clientReplyBufSize = 16384
	clientBaseMem      = 1024
)

// appendClientInfo appends o's CLIENT LIST line (ending in "\n") as seen by
// the executing client c.
func (c *Client) appendClientInfo(b []byte, o *Client) []byte {
	now := time.Now()
	self := o == c
	qbuf := 0
	if o.InBufLen != nil {
		qbuf = o.InBufLen()
	}
	argvMem := 0
	if self {
		for _, a := range c.Args {
			argvMem += len(a)
		}
		if qbuf == 0 {
			qbuf = respLen(c.Args)
		}
	}
	qbufFree := 0
	if qbuf > 0 && qbuf < clientQueryBufSize {
		qbufFree = clientQueryBufSize - qbuf
	}
	omem := 0
	if o.OutBufLen != nil {
		omem = o.OutBufLen()
	}
	multiMem := 0
	for _, q := range o.Queue {
		for _, a := range q.args {
			multiMem += len(a)
		}
	}
	flags := ""
	if o.InMulti {
		flags += "x"
	}
	if o.Held || o.blocked != nil {
		flags += "b"
	}
	if flags == "" {
		flags = "N"
	}
	multi := -1
	if o.InMulti {
		multi = len(o.Queue)
	}
	events := "r"
	if omem > 0 {
		events = "rw"
	}
	cmd := o.LastCmdName
	if self && c.Cmd != nil {
		cmd = c.Cmd.Name
	}
	if cmd == "" {
		cmd = "NULL"
	}
	totMem := clientBaseMem + qbuf + qbufFree + argvMem + multiMem + omem + clientReplyBufSize
	age := int64(now.Sub(o.Created) / time.Second)
	idle := int64(o.Idle() / time.Second)

	b = append(b, "id="...)
	b = strconv.AppendInt(b, o.ID, 10)
	b = append(b, " addr="...)
	b = append(b, o.Addr...)
	b = append(b, " laddr="...)
	b = append(b, o.LAddr...)
	b = append(b, " fd="...)
	b = strconv.AppendInt(b, int64(o.Fd), 10)
	b = append(b, " name="...)
	b = append(b, o.Name...)
	b = appendField(b, " age=", age)
	b = appendField(b, " idle=", idle)
	b = append(b, " flags="...)
	b = append(b, flags...)
	b = appendField(b, " db=", int64(o.DB.ID))
	b = append(b, " sub=0 psub=0 ssub=0"...)
	b = appendField(b, " multi=", int64(multi))
	b = appendField(b, " qbuf=", int64(qbuf))
	b = appendField(b, " qbuf-free=", int64(qbufFree))
	b = appendField(b, " argv-mem=", int64(argvMem))
	b = appendField(b, " multi-mem=", int64(multiMem))
	b = appendField(b, " rbs=", clientReplyBufSize)
	b = appendField(b, " rbp=", clientReplyBufSize)
	b = append(b, " obl=0 oll=0"...)
	b = appendField(b, " omem=", int64(omem))
	b = appendField(b, " tot-mem=", int64(totMem))
	b = append(b, " events="...)
	b = append(b, events...)
	b = append(b, " cmd="...)
	b = append(b, cmd...)
	b = append(b, " user=default redir=-1"...)
	b = appendField(b, " resp=", int64(o.Resp))
	return append(b, '\n')
}

func appendField(b []byte, name string, v int64) []byte {
	b = append(b, name...)
	return strconv.AppendInt(b, v, 10)
}

// respLen is the size of args encoded as a multibulk request.
func respLen(args [][]byte) int {
	n := 1 + len(strconv.Itoa(len(args))) + 2
	for _, a := range args {
		n += 1 + len(strconv.Itoa(len(a))) + 2 + len(a) + 2
	}
	return n
}

// killFilter is the set of CLIENT KILL conditions; empty fields match all.
type killFilter struct {
	id       int64
	typeSet  bool
	normal   bool
	user     string
	addr     string
	laddr    string
	skipMe   bool
	hasAddr  bool
	hasLAddr bool
}

func (f *killFilter) match(c, o *Client) bool {
	if f.id != 0 && o.ID != f.id {
		return false
	}
	if f.typeSet && !f.normal {
		return false
	}
	if f.hasAddr && o.Addr != f.addr {
		return false
	}
	if f.hasLAddr && o.LAddr != f.laddr {
		return false
	}
	if f.skipMe && o == c {
		return false
	}
	return true
}

func clientKillCommand(c *Client) {
	if len(c.Args) == 3 {
		// Old form: CLIENT KILL ip:port, which may kill the caller.
		f := killFilter{addr: string(c.Args[2]), hasAddr: true}
		if n := c.killClients(&f); n == 0 {
			c.ReplyError("ERR No such client")
			return
		}
		c.ReplyOK()
		return
	}
	f := killFilter{skipMe: true}
	for i := 2; i < len(c.Args); i += 2 {
		if i+1 >= len(c.Args) {
			c.ReplySyntaxErr()
			return
		}
		opt, val := c.Args[i], c.Args[i+1]
		switch {
		case EqualFold(opt, "id"):
			id, ok := ds.ParseInt(val)
			if !ok || id < 1 {
				c.ReplyError("ERR client-id should be greater than 0")
				return
			}
			f.id = id
		case EqualFold(opt, "type"):
			normal, ok := clientTypeValid(val)
			if !ok {
				c.ReplyError("ERR Unknown client type '" + string(val) + "'")
				return
			}
			f.typeSet, f.normal = true, normal
		case EqualFold(opt, "user"):
			if string(val) != "default" {
				c.ReplyError("ERR No such user '" + string(val) + "'")
				return
			}
		case EqualFold(opt, "addr"):
			f.addr, f.hasAddr = string(val), true
		case EqualFold(opt, "laddr"):
			f.laddr, f.hasLAddr = string(val), true
		case EqualFold(opt, "skipme"):
			switch {
			case EqualFold(val, "yes"):
				f.skipMe = true
			case EqualFold(val, "no"):
				f.skipMe = false
			default:
				c.ReplySyntaxErr()
				return
			}
		default:
			c.ReplySyntaxErr()
			return
		}
	}
	c.ReplyInt(int64(c.killClients(&f)))
}

// killClients marks the clients matching f to be closed. The caller itself
// is closed after its reply is written.
func (c *Client) killClients(f *killFilter) int {
	s := c.srv
	n := 0
	for _, o := range s.SortedClients() {
		if !f.match(c, o) {
			continue
		}
		n++
		if o == c {
			c.CloseAfterReply = true
			continue
		}
		o.Killed = true
		s.killPending = true
	}
	return n
}

// replyHelp replies a HELP text: the header line, then the given lines,
// then the HELP entry, as status replies.
func (c *Client) replyHelp(name string, lines ...string) {
	c.ReplyArrayLen(len(lines) + 3)
	c.ReplySimple(name + " <subcommand> [<arg> [value] [opt] ...]. Subcommands are:")
	for _, l := range lines {
		c.ReplySimple(l)
	}
	c.ReplySimple("HELP")
	c.ReplySimple("    Prints this help.")
}

// clientPauseCommand pauses the clients' commands (all, or those that may
// write) for timeout milliseconds. A pause already in force is only ever
// made longer or stricter.
func clientPauseCommand(c *Client) {
	ms, ok := ds.ParseInt(c.Args[2])
	if !ok {
		c.ReplyError("ERR timeout is not an integer or out of range")
		return
	}
	if ms < 0 {
		c.ReplyError("ERR timeout is negative")
		return
	}
	typ := PauseAll
	switch {
	case len(c.Args) > 4:
		c.replySubSyntaxErr("CLIENT")
		return
	case len(c.Args) == 4 && EqualFold(c.Args[3], "write"):
		typ = PauseWrite
	case len(c.Args) == 4 && !EqualFold(c.Args[3], "all"):
		c.ReplyError("ERR CLIENT PAUSE mode must be WRITE or ALL")
		return
	}
	ms = min(ms, int64(100*365*24*time.Hour/time.Millisecond)) // a century is forever
	s := c.srv
	now := time.Now()
	end := now.Add(time.Duration(ms) * time.Millisecond)
	s.Paused(now)
	s.pauseType = max(s.pauseType, typ)
	if end.After(s.pauseEnd) {
		s.pauseEnd = end
	}
	s.KS.ExpiryPaused = true
	c.ReplyOK()
}

func clientUnpauseCommand(c *Client) {
	c.srv.Unpause()
	c.ReplyOK()
}

// clientUnblockCommand unblocks a client waiting in a blocking command,
// as if it timed out (TIMEOUT, the default) or with an error (ERROR). A
// client a CLIENT PAUSE holds back is not unblockable, as in Redis.
func clientUnblockCommand(c *Client) {
	id, ok := ds.ParseInt(c.Args[2])
	if !ok {
		c.ReplyNotInt()
		return
	}
	if len(c.Args) > 4 {
		c.replySubSyntaxErr("CLIENT")
		return
	}
	if len(c.Args) == 4 && !EqualFold(c.Args[3], "timeout") && !EqualFold(c.Args[3], "error") {
		c.ReplyError("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR")
		return
	}
	s := c.srv
	t := s.clients[id]
	if t == nil || t.blocked == nil {
		c.ReplyInt(0)
		return
	}
	if len(c.Args) == 4 && EqualFold(c.Args[3], "error") {
		t.Out = resp.AppendError(t.Out, "UNBLOCKED client unblocked via CLIENT UNBLOCK")
		s.CountError("UNBLOCKED client unblocked via CLIENT UNBLOCK")
	} else {
		replyTimeout(t)
	}
	s.unblock(t)
	s.blk.unblocked = append(s.blk.unblocked, t)
	c.ReplyInt(1)
}

// clientReplyCommand: OFF mutes every reply until ON, SKIP the next
// command's; only ON answers.
func clientReplyCommand(c *Client) {
	switch a := c.Args[2]; {
	case EqualFold(a, "on"):
		c.replyOff, c.replySkip, c.replySkipNext = false, false, false
		c.unmuteAt = len(c.Out)
		c.ReplyOK()
	case EqualFold(a, "off"):
		c.replyOff = true
	case EqualFold(a, "skip"):
		if !c.replyOff {
			c.replySkipNext = true
		}
	default:
		c.ReplySyntaxErr()
	}
}

func clientHelpCommand(c *Client) {
	c.replyHelp("CLIENT",
		"CACHING (YES|NO)",
		"    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
		"GETREDIR",
		"    Return the client ID we are redirecting to when tracking is enabled.",
		"GETNAME",
		"    Return the name of the current connection.",
		"ID",
		"    Return the ID of the current connection.",
		"INFO",
		"    Return information about the current client connection.",
		"KILL <ip:port>",
		"    Kill connection made from <ip:port>.",
		"KILL <option> <value> [<option> <value> [...]]",
		"    Kill connections. Options are:",
		"    * ADDR (<ip:port>|<unixsocket>:0)",
		"      Kill connections made from the specified address",
		"    * LADDR (<ip:port>|<unixsocket>:0)",
		"      Kill connections made to specified local address",
		"    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
		"      Kill connections by type.",
		"    * USER <username>",
		"      Kill connections authenticated by <username>.",
		"    * SKIPME (YES|NO)",
		"      Skip killing current connection (default: yes).",
		"LIST [options ...]",
		"    Return information about client connections. Options:",
		"    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
		"      Return clients of specified type.",
		"UNPAUSE",
		"    Stop the current client pause, resuming traffic.",
		"PAUSE <timeout> [WRITE|ALL]",
		"    Suspend all, or just write, clients for <timeout> milliseconds.",
		"REPLY (ON|OFF|SKIP)",
		"    Control the replies sent to the current connection.",
		"SETNAME <name>",
		"    Assign the name <name> to the current connection.",
		"UNBLOCK <clientid> [TIMEOUT|ERROR]",
		"    Unblock the specified blocked client.",
		"TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
		"         [OPTIN] [OPTOUT] [NOLOOP]",
		"    Control server assisted client side caching.",
		"TRACKINGINFO",
		"    Report tracking status for the current connection.",
		"NO-EVICT (ON|OFF)",
		"    Protect current client connection from eviction.",
	)
}
