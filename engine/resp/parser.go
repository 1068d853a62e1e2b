// Package resp reads client requests in the RESP2 wire format and appends
// replies in it.
//
// The parser accepts the two request forms a Redis 7.0 server accepts:
//
//	multibulk:  *<count>\r\n $<len>\r\n <bytes>\r\n ...   (first byte '*')
//	inline:     SET key "quoted value"\r\n               (any other first byte)
//
// It is zero-copy: the arguments it returns are sub-slices of the caller's
// buffer, except for inline arguments that contain quotes glued to other
// text or escape sequences, which are decoded into a scratch buffer owned by
// the Parser. It keeps the progress of a partial request in the Parser, so a
// request that arrives a byte at a time costs O(n) in total.
//
// The writer half is a set of Append functions that append one reply to a
// caller-owned []byte and never allocate when the buffer has room.
package resp

import "math"

// Limits taken from the reference server.
const (
	// MaxInlineSize bounds an inline request line, and the header line
	// (*<count> or $<len>) of a multibulk request, that has no terminator yet:
	// once more than this many unconsumed bytes are buffered without one the
	// request is rejected.
	MaxInlineSize = 64 * 1024
	// DefaultMaxBulkLen is the default proto-max-bulk-len (512MB).
	DefaultMaxBulkLen = 512 * 1024 * 1024
	// maxMultibulkLen is the largest accepted *<count> (INT_MAX).
	maxMultibulkLen = math.MaxInt32
	// maxPrealloc caps the argument slots reserved from the *<count> header
	// alone, so that a huge count sent without payload costs nothing.
	maxPrealloc = 1024
	// maxIntLen is the longest digit string accepted as a length (string2ll
	// rejects 21 characters or more).
	maxIntLen = 20
)

// ProtocolError is a malformed request. The connection must reply with
// Reply() and then be closed.
type ProtocolError struct {
	Msg string // e.g. "invalid bulk length"
}

func (e *ProtocolError) Error() string { return "Protocol error: " + e.Msg }

// Reply returns the exact error reply line, e.g.
// "-ERR Protocol error: invalid bulk length\r\n".
func (e *ProtocolError) Reply() []byte {
	return AppendError(nil, "ERR Protocol error: "+e.Msg)
}

// Protocol errors with a fixed message.
var (
	ErrInvalidMultibulkLength = &ProtocolError{"invalid multibulk length"}
	ErrInvalidBulkLength      = &ProtocolError{"invalid bulk length"}
	// Limits for clients that have not authenticated yet.
	ErrUnauthenticatedMultibulkLength = &ProtocolError{"unauthenticated multibulk length"}
	ErrUnauthenticatedBulkLength      = &ProtocolError{"unauthenticated bulk length"}
	ErrTooBigInline                   = &ProtocolError{"too big inline request"}
	ErrTooBigMbulkCount               = &ProtocolError{"too big mbulk count string"}
	ErrTooBigBulkCount                = &ProtocolError{"too big bulk count string"}
	ErrUnbalancedQuotes               = &ProtocolError{"unbalanced quotes in request"}
)

// expectedDollar builds the "expected '$', got 'c'" error. A CR or LF is
// reported as a space, as in any error reply.
func expectedDollar(c byte) *ProtocolError {
	if c == '\r' || c == '\n' {
		c = ' '
	}
	return &ProtocolError{"expected '$', got '" + string([]byte{c}) + "'"}
}

// Request kinds of the frame in progress.
const (
	kindNone = iota
	kindInline
	kindMultibulk
)

// Parser holds the progress of the request being parsed. The zero value is
// ready to use. A Parser is not safe for concurrent use.
type Parser struct {
	// MaxBulkLen is proto-max-bulk-len: the largest accepted $<len>.
	// Zero means DefaultMaxBulkLen.
	MaxBulkLen int64
	// Unauthenticated applies the tighter limits for a client that has
	// not authenticated yet (at most 10 arguments of at most 16 KB), so
	// an unauthenticated peer cannot make the server buffer much.
	Unauthenticated bool

	kind uint8
	// nul is set when a NUL byte precedes the terminator of the current
	// line: the terminator search stops at NUL (as a C string search does),
	// so that line can only end with a "too big" error.
	nul bool
	// scan is where the terminator search of the current line resumes.
	scan int
	// pos is the offset of the next unparsed element of a multibulk frame.
	pos int
	// left is the number of bulks still expected; 0 while the *<count>
	// header has not been parsed.
	left int
	// bulk is the length of the bulk whose payload is awaited, or -1 while
	// its $<len> header has not been parsed.
	bulk int64
	// offs holds (start, len) pairs of the arguments parsed so far. A
	// negative start s refers to scratch[-s-1:], otherwise to buf[s:]; a
	// negative len means the whole of ext[start].
	offs []int
	// scratch holds decoded inline arguments, and the arguments of a
	// multibulk request that Detach moved out of the caller's buffer.
	scratch []byte
	// ext holds the payloads of detached bulks (see Detach), in order.
	ext [][]byte
	// extCRLF is set while the bulk in progress is detached: its payload is
	// in ext, and buf resumes at the two bytes that follow it.
	extCRLF bool
}

// keepScratch is the largest scratch buffer kept between requests.
const keepScratch = 64 << 10

// Reset drops the partial request, if any. Buffers are kept for reuse.
func (p *Parser) Reset() {
	p.kind = kindNone
	p.nul = false
	p.scan = 0
	p.pos = 0
	p.left = 0
	p.bulk = -1
	p.offs = p.offs[:0]
	p.extCRLF = false
	if len(p.ext) > 0 {
		// After a detached request: drop its buffers and copied arguments.
		clear(p.ext)
		p.ext = p.ext[:0]
		if cap(p.scratch) > keepScratch {
			p.scratch = nil
		}
		p.scratch = p.scratch[:0]
	}
}

// Next parses one request from buf. buf must start where the previous
// complete request ended (or where the bytes Detach consumed end) and hold
// every byte not consumed yet, including the bytes already seen by earlier
// calls that returned n == 0; it may have moved in memory between calls.
//
// It returns n == 0, out == nil, err == nil when the request is incomplete.
// On success n is the number of bytes consumed and out holds the arguments,
// appended to args[:0]. An empty request (*0, *-1, or a blank inline line)
// yields n > 0 and len(out) == 0; the caller skips it.
//
// Lifetime: arguments alias buf and stay valid while those bytes of buf are
// unchanged; inline arguments that needed decoding live in the Parser's
// scratch buffer and stay valid until the next call to Next or Reset.
//
// On a *ProtocolError the parser is reset; the caller replies with
// err.Reply() and closes the connection.
func (p *Parser) Next(buf []byte, args [][]byte) (n int, out [][]byte, err error) {
	if len(buf) == 0 {
		return 0, nil, nil
	}
	if p.kind == kindNone {
		if buf[0] == '*' && len(p.ext) == 0 {
			if n, out, ok := p.whole(buf, args); ok {
				return n, out, nil
			}
		}
		p.Reset()
		if buf[0] == '*' {
			p.kind = kindMultibulk
			p.scan = 1
		} else {
			p.kind = kindInline
		}
	}
	if p.kind == kindInline {
		n, out, err = p.nextInline(buf, args)
	} else {
		n, out, err = p.nextMultibulk(buf, args)
	}
	if err != nil {
		p.Reset()
		return 0, nil, err
	}
	if n > 0 {
		p.kind = kindNone
	}
	return n, out, nil
}

// whole parses a multibulk request that buf holds whole and that keeps to
// the common shape: a count and bulk lengths of plain decimal digits
// within the limits. It touches no parser state, so when it reports false
// (anything else: an incomplete request, a sign, a NUL, an error to report)
// the general parser starts over on the same bytes. Like it, it skips the
// byte after each '\r' and the two after each payload unchecked.
func (p *Parser) whole(buf []byte, args [][]byte) (int, [][]byte, bool) {
	count, i, ok := wholeLen(buf, 1)
	if !ok || count == 0 || count > maxPrealloc || p.Unauthenticated && count > 10 {
		return 0, nil, false
	}
	maxBulk := p.maxBulk()
	if p.Unauthenticated {
		maxBulk = min(maxBulk, 16384)
	}
	out := args[:0]
	for ; count > 0; count-- {
		if i >= len(buf) || buf[i] != '$' {
			return 0, nil, false
		}
		var l int64
		if l, i, ok = wholeLen(buf, i+1); !ok || l > maxBulk || int64(len(buf)-i)-2 < l {
			return 0, nil, false
		}
		end := i + int(l)
		out = append(out, buf[i:end:end])
		i = end + 2
	}
	return i, out, true
}

// wholeLen parses the digits of a length line from buf[i:], up to 18 of
// them with no leading zero (or "0"), and returns the length and where the
// next line starts (past '\r' and the byte after it).
func wholeLen(buf []byte, i int) (int64, int, bool) {
	start := i
	var v int64
	for ; i < len(buf) && i-start <= 18; i++ {
		c := buf[i]
		if c == '\r' {
			if i == start || i+1 >= len(buf) || buf[start] == '0' && i-start > 1 {
				return 0, 0, false
			}
			return v, i + 2, true
		}
		if c < '0' || c > '9' {
			return 0, 0, false
		}
		v = v*10 + int64(c-'0')
	}
	return 0, 0, false
}

// findLine looks for the terminator c of the line that started at start,
// resuming at p.scan. The search stops at a NUL byte. It returns the index
// of c, or -1.
func (p *Parser) findLine(buf []byte, start int, c byte) int {
	if p.nul {
		return -1
	}
	i := p.scan
	if i < start {
		i = start
	}
	for ; i < len(buf); i++ {
		b := buf[i]
		if b == c {
			p.scan = i
			return i
		}
		if b == 0 {
			p.nul = true
			return -1
		}
	}
	p.scan = i
	return -1
}

func (p *Parser) maxBulk() int64 {
	if p.MaxBulkLen > 0 {
		return p.MaxBulkLen
	}
	return DefaultMaxBulkLen
}

func (p *Parser) nextMultibulk(buf []byte, args [][]byte) (int, [][]byte, error) {
	if p.left == 0 {
		i := p.findLine(buf, 0, '\r')
		if i < 0 {
			if len(buf) > MaxInlineSize {
				return 0, nil, ErrTooBigMbulkCount
			}
			return 0, nil, nil
		}
		// The byte after '\r' must be present; it is skipped unchecked.
		if i+1 >= len(buf) {
			return 0, nil, nil
		}
		ll, ok := parseLen(buf[1:i])
		if !ok || ll > maxMultibulkLen {
			return 0, nil, ErrInvalidMultibulkLength
		}
		if p.Unauthenticated && ll > 10 {
			return 0, nil, ErrUnauthenticatedMultibulkLength
		}
		p.pos = i + 2
		if ll <= 0 {
			return p.pos, args[:0], nil
		}
		p.left = int(ll)
		p.bulk = -1
		p.nul = false
		p.scan = p.pos
		if want := 2 * min(p.left, maxPrealloc); cap(p.offs) < want {
			p.offs = make([]int, 0, want)
		}
	}
	for p.left > 0 {
		if p.extCRLF {
			// A detached payload: only its terminator is in buf.
			if len(buf)-p.pos < 2 {
				return 0, nil, nil
			}
			p.pos += 2
			p.extCRLF = false
			p.bulk = -1
			p.left--
			p.scan = p.pos
			continue
		}
		if p.bulk < 0 {
			i := p.findLine(buf, p.pos, '\r')
			if i < 0 {
				if len(buf)-p.pos > MaxInlineSize {
					return 0, nil, ErrTooBigBulkCount
				}
				return 0, nil, nil
			}
			if i+1 >= len(buf) {
				return 0, nil, nil
			}
			if buf[p.pos] != '$' {
				return 0, nil, expectedDollar(buf[p.pos])
			}
			ll, ok := parseLen(buf[p.pos+1 : i])
			if p.Unauthenticated && ok && ll > 16384 {
				return 0, nil, ErrUnauthenticatedBulkLength
			}
			if !ok || ll < 0 || ll > p.maxBulk() {
				return 0, nil, ErrInvalidBulkLength
			}
			p.bulk = ll
			p.pos = i + 2
		}
		// The payload is followed by two bytes that are skipped unchecked.
		if int64(len(buf)-p.pos)-2 < p.bulk {
			return 0, nil, nil
		}
		p.offs = append(p.offs, p.pos, int(p.bulk))
		p.pos += int(p.bulk) + 2
		p.bulk = -1
		p.left--
		p.nul = false
		p.scan = p.pos
	}
	return p.pos, p.collect(buf, args), nil
}

// collect turns p.offs into argument slices appended to args[:0].
func (p *Parser) collect(buf []byte, args [][]byte) [][]byte {
	out := args[:0]
	if cap(out) < len(p.offs)/2 {
		out = make([][]byte, 0, len(p.offs)/2)
	}
	for i := 0; i < len(p.offs); i += 2 {
		s, l := p.offs[i], p.offs[i+1]
		if l < 0 {
			out = append(out, p.ext[s])
		} else if s >= 0 {
			out = append(out, buf[s:s+l:s+l])
		} else {
			s = -s - 1
			out = append(out, p.scratch[s:s+l:s+l])
		}
	}
	return out
}

// Awaiting reports the bulk whose payload an incomplete multibulk request
// waits for: after a call to Next that returned n == 0, buf being what was
// passed to it, size is the bulk's length and have how many of its payload
// bytes buf holds (at most size). ok is false when the request is not
// inside a bulk payload (its header or a $<len> line is incomplete).
func (p *Parser) Awaiting(buf []byte) (size, have int, ok bool) {
	if p.kind != kindMultibulk || p.left == 0 || p.bulk < 0 || p.extCRLF {
		return 0, 0, false
	}
	return int(p.bulk), min(max(len(buf)-p.pos, 0), int(p.bulk)), true
}

// Detach moves the request in progress out of buf, so that a large bulk can
// be read straight into its final buffer instead of through buf. It must
// follow a call to Next with the same buf that returned n == 0 and for which
// Awaiting reports ok; ext must be exactly the awaited bulk's length.
//
// The arguments parsed so far are copied into the parser, and the payload
// bytes buf holds are copied into ext. Detach returns how many bytes of buf
// it consumed and have, how many payload bytes it copied. When have <
// len(ext), consumed is len(buf): the caller drops buf, writes the next
// len(ext)-have bytes of the stream into ext[have:], and then passes the
// bytes that follow the payload (its CRLF first) to Next as usual. When buf
// already held the whole payload (and part of its CRLF), the caller keeps
// buf[consumed:] for Next instead.
//
// ext is not copied: the argument it becomes aliases it, so it must stay
// unchanged until that argument has been used. Reset drops the parser's
// reference to it.
func (p *Parser) Detach(buf, ext []byte) (consumed, have int) {
	if p.kind != kindMultibulk || p.left == 0 || p.bulk < 0 || p.extCRLF || int64(len(ext)) != p.bulk {
		panic("resp: Detach without an awaited bulk of that length")
	}
	for i := 0; i < len(p.offs); i += 2 {
		if s, l := p.offs[i], p.offs[i+1]; l >= 0 && s >= 0 {
			p.offs[i] = -len(p.scratch) - 1
			p.scratch = append(p.scratch, buf[s:s+l]...)
		}
	}
	have = copy(ext, buf[min(p.pos, len(buf)):])
	consumed = min(p.pos, len(buf)) + have
	p.offs = append(p.offs, len(p.ext), -1)
	p.ext = append(p.ext, ext)
	p.pos, p.scan, p.nul = 0, 0, false
	p.extCRLF = true
	return consumed, have
}

// parseLen parses a length the way string2ll does: optional '-', no '+',
// no leading zeros, no spaces, fewer than 21 characters, fits in int64.
func parseLen(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > maxIntLen {
		return 0, false
	}
	if len(b) == 1 && b[0] == '0' {
		return 0, true
	}
	neg := false
	if b[0] == '-' {
		neg = true
		b = b[1:]
		if len(b) == 0 {
			return 0, false
		}
	}
	if b[0] < '1' || b[0] > '9' {
		return 0, false
	}
	var v uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if v > (math.MaxUint64-d)/10 {
			return 0, false
		}
		v = v*10 + d
	}
	if neg {
		if v > 1<<63 {
			return 0, false
		}
		return int64(-v), true
	}
	if v > math.MaxInt64 {
		return 0, false
	}
	return int64(v), true
}

// CloneArgs copies args (which alias a read buffer) into one new backing
// array, so they outlive the buffer: a queued MULTI command, a propagated
// one, a transaction being loaded.
func CloneArgs(args [][]byte) [][]byte {
	n := 0
	for _, a := range args {
		n += len(a)
	}
	buf := make([]byte, 0, n)
	out := make([][]byte, len(args))
	for i, a := range args {
		buf = append(buf, a...)
		out[i] = buf[len(buf)-len(a) : len(buf) : len(buf)]
	}
	return out
}
