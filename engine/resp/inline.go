package resp

import "bytes"

// Inline requests: one line ended by "\n" (an optional "\r" before it is
// dropped), split into arguments by these rules:
//
//   - arguments are separated by runs of ' ', '\t', '\r', '\n'; leading
//     runs may also contain '\v' and '\f';
//   - "double quotes" take the escapes \n \r \t \b \a \xHH (two hex digits)
//     and \<any other byte> for that byte;
//   - 'single quotes' take only \' as an escape;
//   - a quote may open in the middle of an argument (a"b c" is "ab c"), but
//     a closing quote must be followed by a separator or the end of the line,
//     else the request fails with "unbalanced quotes in request", as does a
//     quote left open at the end of the line.
//
// A line that splits into no arguments is an empty request.
//
// The same rules split config file lines (cmd/rundb) and the difftest
// scripts, through SplitArgs.

// nextInline parses an inline request.
func (p *Parser) nextInline(buf []byte, args [][]byte) (int, [][]byte, error) {
	i := p.findLine(buf, 0, '\n')
	if i < 0 {
		if len(buf) > MaxInlineSize {
			return 0, nil, ErrTooBigInline
		}
		return 0, nil, nil
	}
	end := i
	if end > 0 && buf[end-1] == '\r' {
		end--
	}
	p.scratch = p.scratch[:0]
	p.offs = p.offs[:0]
	if err := p.splitInline(buf[:end]); err != nil {
		return 0, nil, err
	}
	return i + 1, p.collect(buf, args), nil
}

// SplitArgs splits line by the inline rules above (Redis's sdssplitargs:
// the rules of inline requests, redis.conf lines and redis-cli input). The
// line is read as a C string: it ends at its first NUL byte. Arguments
// alias line where no escape or quote made them differ from it. A bad
// quote is ErrUnbalancedQuotes.
func SplitArgs(line []byte) ([][]byte, error) {
	if i := bytes.IndexByte(line, 0); i >= 0 {
		line = line[:i]
	}
	var p Parser
	if err := p.splitInline(line); err != nil {
		return nil, err
	}
	return p.collect(line, nil), nil
}

// isSpace reports the bytes the C locale calls white space.
func isSpace(c byte) bool {
	return c == ' ' || (c >= '\t' && c <= '\r')
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func hexVal(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

// token builds one inline argument. While every byte of the argument is the
// next byte of the line it only records a span of the line (alias); the first
// byte that is not (an escape, or text after a skipped quote) moves the
// argument into the scratch buffer (copying).
type token struct {
	start   int // span start in the line, or in scratch when copying
	n       int // length so far
	copying bool
}

// splitInline splits line (which contains no NUL and no terminator) into
// p.offs.
func (p *Parser) splitInline(line []byte) error {
	// at returns line[i], or 0 past the end (the line is a C string there).
	at := func(i int) byte {
		if i < len(line) {
			return line[i]
		}
		return 0
	}
	var t token
	// emit appends byte c to t; src is the index of c in line, or -1 when c
	// is the product of an escape.
	emit := func(c byte, src int) {
		if !t.copying {
			if src >= 0 && (t.n == 0 || t.start+t.n == src) {
				if t.n == 0 {
					t.start = src
				}
				t.n++
				return
			}
			s := len(p.scratch)
			p.scratch = append(p.scratch, line[t.start:t.start+t.n]...)
			t.start = s
			t.copying = true
		}
		p.scratch = append(p.scratch, c)
		t.n++
	}
	i := 0
	for {
		for i < len(line) && isSpace(line[i]) {
			i++
		}
		if i >= len(line) {
			return nil
		}
		t = token{start: i}
		inq, insq, done := false, false, false
		for !done {
			c := at(i)
			switch {
			case inq:
				switch {
				case c == '\\' && at(i+1) == 'x' && isHex(at(i+2)) && isHex(at(i+3)):
					emit(hexVal(at(i+2))<<4|hexVal(at(i+3)), -1)
					i += 3
				case c == '\\' && at(i+1) != 0:
					i++
					e := line[i]
					switch e {
					case 'n':
						e = '\n'
					case 'r':
						e = '\r'
					case 't':
						e = '\t'
					case 'b':
						e = '\b'
					case 'a':
						e = '\a'
					}
					emit(e, -1)
				case c == '"':
					if n := at(i + 1); n != 0 && !isSpace(n) {
						return ErrUnbalancedQuotes
					}
					done = true
				case c == 0:
					return ErrUnbalancedQuotes
				default:
					emit(c, i)
				}
			case insq:
				switch {
				case c == '\\' && at(i+1) == '\'':
					i++
					emit('\'', -1)
				case c == '\'':
					if n := at(i + 1); n != 0 && !isSpace(n) {
						return ErrUnbalancedQuotes
					}
					done = true
				case c == 0:
					return ErrUnbalancedQuotes
				default:
					emit(c, i)
				}
			default:
				switch c {
				case ' ', '\n', '\r', '\t', 0:
					done = true
				case '"':
					inq = true
				case '\'':
					insq = true
				default:
					emit(c, i)
				}
			}
			if i < len(line) {
				i++
			}
		}
		if t.copying {
			p.offs = append(p.offs, -t.start-1, t.n)
		} else {
			p.offs = append(p.offs, t.start, t.n)
		}
	}
}
