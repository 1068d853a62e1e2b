package resp

import (
	"bytes"
	"fmt"
	"math/rand"
	"strings"
	"testing"
)

// cmds is the expected outcome of parsing a stream: the commands it holds
// (empty requests included, as nil) and the error that ends it, if any.
type result struct {
	cmds [][]string
	err  string // ProtocolError.Msg; "" for none
	rest int    // bytes left unconsumed (incomplete tail)
}

// parseAll runs Next over in, carrying leftover bytes, with the input cut at
// the given chunk boundaries (nil: all at once).
func parseAll(t testing.TB, in []byte, cuts []int) result {
	var p Parser
	var res result
	var pending []byte // bytes received but not consumed
	var args [][]byte
	feed := func(chunk []byte) bool {
		pending = append(pending, chunk...)
		for {
			n, out, err := p.Next(pending, args)
			if err != nil {
				pe, ok := err.(*ProtocolError)
				if !ok {
					t.Fatalf("error %T %v is not a *ProtocolError", err, err)
				}
				res.err = pe.Msg
				return false
			}
			if n == 0 {
				if out != nil {
					t.Fatalf("incomplete request returned args %q", out)
				}
				return true
			}
			cmd := []string{}
			for _, a := range out {
				cmd = append(cmd, string(a))
			}
			res.cmds = append(res.cmds, cmd)
			args = out
			// Move the leftover to the front, as a connection buffer does,
			// so that buf changes address between calls.
			pending = append(pending[:0], pending[n:]...)
		}
	}
	prev := 0
	for _, c := range cuts {
		if !feed(in[prev:c]) {
			return res
		}
		prev = c
	}
	if feed(in[prev:]) {
		res.rest = len(pending)
	}
	return res
}

func (r result) String() string {
	return fmt.Sprintf("cmds=%q err=%q rest=%d", r.cmds, r.err, r.rest)
}

var big64k = strings.Repeat("1", MaxInlineSize)

var parseTests = []struct {
	in   string
	want result
}{
	// multibulk
	{"*1\r\n$4\r\nPING\r\n", result{cmds: [][]string{{"PING"}}}},
	{"*3\r\n$3\r\nSET\r\n$1\r\na\r\n$0\r\n\r\n", result{cmds: [][]string{{"SET", "a", ""}}}},
	{"*2\r\n$3\r\nGET\r\n$4\r\na\x00\r\n\r\n", result{cmds: [][]string{{"GET", "a\x00\r\n"}}}},
	{"*0\r\n*-1\r\n*-5\r\n", result{cmds: [][]string{{}, {}, {}}}},
	{"*1\r\n$4\r\nPINGxx*1\r\n$1\r\nA\r\n", result{cmds: [][]string{{"PING"}, {"A"}}}},
	{"*1\rX$4\rYPINGxx", result{cmds: [][]string{{"PING"}}}},
	{"*1\r", result{rest: 3}},
	{"*1\r\n$4\r\nPING\r", result{rest: 13}},
	{"*1\r\n$4\r\nPING", result{rest: 12}},
	{"*1\r\nx", result{rest: 5}},
	{"*1\r\n$4\r\nPING\r\n\r\n", result{cmds: [][]string{{"PING"}, {}}}},
	{"*2147483648\r\n", result{err: "invalid multibulk length"}},
	{"*2147483647\r\n", result{rest: 13}},
	{"*abc\r\n", result{err: "invalid multibulk length"}},
	{"*01\r\n", result{err: "invalid multibulk length"}},
	{"*-0\r\n", result{err: "invalid multibulk length"}},
	{"*+1\r\n", result{err: "invalid multibulk length"}},
	{"*\r\n", result{err: "invalid multibulk length"}},
	{"*1 \r\n", result{err: "invalid multibulk length"}},
	{"*1\r\nx\r\n", result{err: "expected '$', got 'x'"}},
	{"*1\r\n\r\n", result{err: "expected '$', got ' '"}},
	{"*1\r\n\nab\r\n", result{err: "expected '$', got ' '"}},
	{"*1\r\n*1\r\n", result{err: "expected '$', got '*'"}},
	{"*1\r\n\xff\r\n", result{err: "expected '$', got '\xff'"}},
	{"*1\r\n$-1\r\n", result{err: "invalid bulk length"}},
	{"*1\r\n$-0\r\n", result{err: "invalid bulk length"}},
	{"*1\r\n$\r\n", result{err: "invalid bulk length"}},
	{"*1\r\n$04\r\n", result{err: "invalid bulk length"}},
	{"*1\r\n$ 4\r\n", result{err: "invalid bulk length"}},
	{"*1\r\n$4 \r\n", result{err: "invalid bulk length"}},
	{"*1\r\n$536870913\r\n", result{err: "invalid bulk length"}},
	{"*1\r\n$536870912\r\n", result{rest: 16}},
	{"*1\r\n$9223372036854775807\r\n", result{err: "invalid bulk length"}},
	{"*1\r\n$99999999999999999999\r\n", result{err: "invalid bulk length"}},
	// header lines without terminator
	{"*" + big64k[1:], result{rest: MaxInlineSize}},
	{"*" + big64k, result{err: "too big mbulk count string"}},
	{"*1\x00\r\n" + big64k, result{err: "too big mbulk count string"}},
	{"*1\x00\r\n", result{rest: 5}},
	{"*1\r\n$" + big64k[1:], result{rest: MaxInlineSize + 4}},
	{"*1\r\n$" + big64k, result{err: "too big bulk count string"}},
	{"*1\r\n$4\x00\r\n" + big64k, result{err: "too big bulk count string"}},
	{"*1\r\n$4\r\nPING\r\n*1\r\n$" + big64k[5:], result{cmds: [][]string{{"PING"}}, rest: MaxInlineSize}},
	{"*1\r\n$" + big64k[:20] + "\r\n", result{err: "invalid bulk length"}},
	// inline
	{"PING\r\n", result{cmds: [][]string{{"PING"}}}},
	{"PING\n", result{cmds: [][]string{{"PING"}}}},
	{"PING\r\r\n", result{cmds: [][]string{{"PING"}}}},
	{"PING", result{rest: 4}},
	{"PING\r", result{rest: 5}},
	{"\r\n\n   \r\nPING\n", result{cmds: [][]string{{}, {}, {}, {"PING"}}}},
	{"  SET  a\tb  \r\n", result{cmds: [][]string{{"SET", "a", "b"}}}},
	{`SET a ""` + "\r\n", result{cmds: [][]string{{"SET", "a", ""}}}},
	{`echo "a\x41\n\q"` + "\r\n", result{cmds: [][]string{{"echo", "aA\nq"}}}},
	{`echo "\x4"` + "\r\n", result{cmds: [][]string{{"echo", "x4"}}}},
	{`echo "\xfF\t\r\b\a\\\""` + "\n", result{cmds: [][]string{{"echo", "\xff\t\r\b\a\\\""}}}},
	{`echo 'a\'b\n'` + "\r\n", result{cmds: [][]string{{"echo", `a'b\n`}}}},
	{`echo a"b c" d` + "\r\n", result{cmds: [][]string{{"echo", "ab c", "d"}}}},
	{`echo a'b c'` + "\r\n", result{cmds: [][]string{{"echo", "ab c"}}}},
	{"echo a\rb\r\n", result{cmds: [][]string{{"echo", "a", "b"}}}},
	{"echo a\vb\r\n", result{cmds: [][]string{{"echo", "a\vb"}}}},
	{"echo \v\fa\r\n", result{cmds: [][]string{{"echo", "a"}}}},
	{"echo \"a\"\vb\r\n", result{cmds: [][]string{{"echo", "a", "b"}}}},
	{"echo \"a b\"\r\n", result{cmds: [][]string{{"echo", "a b"}}}},
	{" *1\r\n", result{cmds: [][]string{{"*1"}}}},
	{`echo "abc"def` + "\r\n", result{err: "unbalanced quotes in request"}},
	{`echo "abc` + "\r\n", result{err: "unbalanced quotes in request"}},
	{`echo "abc\"` + "\r\n", result{err: "unbalanced quotes in request"}},
	{`echo 'abc` + "\r\n", result{err: "unbalanced quotes in request"}},
	{`echo 'abc'd` + "\r\n", result{err: "unbalanced quotes in request"}},
	{`echo a"b c"d` + "\r\n", result{err: "unbalanced quotes in request"}},
	{"echo a\x00b\r\nPING\r\n", result{rest: 16}},
	{"echo a\x00b\r\n" + big64k, result{err: "too big inline request"}},
	{"a" + big64k[1:], result{rest: MaxInlineSize}},
	{"a" + big64k, result{err: "too big inline request"}},
	{"*1\r\n$4\r\nPING\r\na" + big64k, result{cmds: [][]string{{"PING"}}, err: "too big inline request"}},
	{"a" + big64k + "\n", result{cmds: [][]string{{"a" + big64k}}}},
}

func TestParseTable(t *testing.T) {
	for _, tc := range parseTests {
		name := tc.in
		if len(name) > 40 {
			name = name[:40]
		}
		got := parseAll(t, []byte(tc.in), nil)
		if got.String() != tc.want.String() {
			t.Errorf("%q: got %v; want %v", name, got, tc.want)
		}
		// One byte at a time. A "too big" error can fire earlier than with
		// the whole input only when a later terminator would have rescued
		// the line, which no case here has.
		cuts := make([]int, 0, len(tc.in))
		for i := 1; i < len(tc.in); i++ {
			cuts = append(cuts, i)
		}
		if len(tc.in) < 1000 {
			got = parseAll(t, []byte(tc.in), cuts)
			if got.String() != tc.want.String() {
				t.Errorf("%q byte by byte: got %v; want %v", name, got, tc.want)
			}
		}
	}
}

func TestProtocolErrorReply(t *testing.T) {
	for _, tc := range []struct {
		err  *ProtocolError
		want string
	}{
		{ErrInvalidBulkLength, "-ERR Protocol error: invalid bulk length\r\n"},
		{ErrUnbalancedQuotes, "-ERR Protocol error: unbalanced quotes in request\r\n"},
		{expectedDollar('\n'), "-ERR Protocol error: expected '$', got ' '\r\n"},
		{expectedDollar('x'), "-ERR Protocol error: expected '$', got 'x'\r\n"},
	} {
		if got := string(tc.err.Reply()); got != tc.want {
			t.Errorf("got %q; want %q", got, tc.want)
		}
	}
	if got := ErrTooBigInline.Error(); got != "Protocol error: too big inline request" {
		t.Errorf("got %q", got)
	}
}

// encode builds a multibulk frame.
func encode(args ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	return b.String()
}

// randCommands builds a random pipeline of multibulk and inline commands and
// the args each must parse to.
func randCommands(rng *rand.Rand, n int) ([]byte, [][]string) {
	var in []byte
	var want [][]string
	word := func() string {
		const alpha = "abcdefghijklmnopqrstuvwxyz0123456789"
		b := make([]byte, rng.Intn(12)+1)
		for i := range b {
			b[i] = alpha[rng.Intn(len(alpha))]
		}
		return string(b)
	}
	for range n {
		var args []string
		for range rng.Intn(5) + 1 {
			args = append(args, word())
		}
		switch rng.Intn(4) {
		case 0: // inline, plain words
			in = append(in, strings.Join(args, " ")+"\r\n"...)
		case 1: // inline, quoted with escapes
			line := ""
			for i, a := range args {
				if i > 0 {
					line += "  "
				}
				switch i % 3 {
				case 0:
					line += a
				case 1:
					line += `"` + a + `\n"`
					args[i] = a + "\n"
				case 2:
					line += `'` + a + `\''`
					args[i] = a + "'"
				}
			}
			in = append(in, line+"\n"...)
		default: // multibulk with binary payloads
			if rng.Intn(3) == 0 {
				b := make([]byte, rng.Intn(300))
				rng.Read(b)
				args = append(args, string(b))
			}
			in = append(in, encode(args...)...)
		}
		want = append(want, args)
	}
	return in, want
}

func TestPipelineRandomCuts(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for iter := range 200 {
		in, want := randCommands(rng, 50)
		var cuts []int
		for i := 1; i < len(in); i++ {
			if rng.Intn(20) == 0 || iter%50 == 0 {
				cuts = append(cuts, i)
			}
		}
		got := parseAll(t, in, cuts)
		if got.err != "" || got.rest != 0 {
			t.Fatalf("iter %d: err=%q rest=%d", iter, got.err, got.rest)
		}
		if fmt.Sprintf("%q", got.cmds) != fmt.Sprintf("%q", want) {
			t.Fatalf("iter %d: got %q; want %q", iter, got.cmds, want)
		}
	}
}

// TestOneByteHugeBulkLinear feeds a large bulk a byte at a time and checks
// that the parser does not rescan it: the work is bounded by counting how far
// it looks, via the time of a much larger run staying proportional.
func TestOneByteHugeBulkLinear(t *testing.T) {
	payload := bytes.Repeat([]byte("x"), 1<<20)
	frame := []byte(encode("SET", "k", string(payload)))
	var p Parser
	var args [][]byte
	for i := 1; i < len(frame); i++ {
		n, _, err := p.Next(frame[:i], args)
		if err != nil || n != 0 {
			t.Fatalf("prefix %d: n=%d err=%v", i, n, err)
		}
		// The header scan must not go back to the frame start.
		if p.scan > i {
			t.Fatalf("scan %d past buffer %d", p.scan, i)
		}
	}
	n, out, err := p.Next(frame, args)
	if err != nil || n != len(frame) || len(out) != 3 || !bytes.Equal(out[2], payload) {
		t.Fatalf("n=%d err=%v len=%d", n, err, len(out))
	}
}

func TestInlineLineByteByByteIsLinear(t *testing.T) {
	// A long inline line fed a byte at a time: the newline search resumes
	// where it stopped, so p.scan tracks the buffer end.
	line := []byte(strings.Repeat("a", 60000) + "\n")
	var p Parser
	for i := 1; i < len(line); i++ {
		if n, _, err := p.Next(line[:i], nil); n != 0 || err != nil {
			t.Fatalf("prefix %d: n=%d err=%v", i, n, err)
		}
		if p.scan != i {
			t.Fatalf("prefix %d: scan=%d", i, p.scan)
		}
	}
	n, out, err := p.Next(line, nil)
	if n != len(line) || err != nil || len(out) != 1 || len(out[0]) != 60000 {
		t.Fatalf("n=%d err=%v", n, err)
	}
}

func TestArgsAliasInput(t *testing.T) {
	var p Parser
	buf := []byte("*2\r\n$3\r\nGET\r\n$3\r\nkey\r\nSET \"k v\" x\r\n")
	n, out, err := p.Next(buf, nil)
	if err != nil || n != 22 {
		t.Fatalf("n=%d err=%v", n, err)
	}
	if &out[1][0] != &buf[17] {
		t.Fatalf("multibulk arg does not alias the buffer")
	}
	if cap(out[1]) != 3 {
		t.Fatalf("arg cap %d lets an append overwrite the buffer", cap(out[1]))
	}
	rest := buf[n:]
	n, out, err = p.Next(rest, out)
	if err != nil || n != len(rest) || len(out) != 3 {
		t.Fatalf("n=%d err=%v out=%q", n, err, out)
	}
	if &out[1][0] != &rest[5] || string(out[1]) != "k v" {
		t.Fatalf("quoted inline arg without escapes should alias the buffer: %q", out[1])
	}
}

func TestMaxBulkLen(t *testing.T) {
	p := Parser{MaxBulkLen: 10}
	_, _, err := p.Next([]byte("*1\r\n$11\r\n"), nil)
	if err != ErrInvalidBulkLength {
		t.Fatalf("got %v; want %v", err, ErrInvalidBulkLength)
	}
	// The parser is reset after an error and usable again.
	n, out, err := p.Next([]byte("*1\r\n$10\r\n0123456789\r\n"), nil)
	if err != nil || n != 21 || string(out[0]) != "0123456789" {
		t.Fatalf("n=%d out=%q err=%v", n, out, err)
	}
}

func TestPreallocIsBounded(t *testing.T) {
	var p Parser
	if n, _, err := p.Next([]byte("*2000000000\r\n"), nil); n != 0 || err != nil {
		t.Fatalf("n=%d err=%v", n, err)
	}
	if cap(p.offs) > 2*maxPrealloc {
		t.Fatalf("reserved %d slots for an unsent frame", cap(p.offs))
	}
}

func TestParserSteadyStateNoAllocs(t *testing.T) {
	buf := []byte(encode("SET", "key:000001", "value-value-value") + "GET key \"a b\"\r\n" + "SET k \"a\\nb\"\r\n")
	var p Parser
	args := make([][]byte, 0, 8)
	run := func() {
		b := buf
		for len(b) > 0 {
			n, out, err := p.Next(b, args)
			if err != nil || n == 0 {
				t.Fatalf("n=%d err=%v", n, err)
			}
			args = out
			b = b[n:]
		}
	}
	run()
	if a := testing.AllocsPerRun(100, run); a != 0 {
		t.Fatalf("%v allocs per pipeline; want 0", a)
	}
}

func BenchmarkParseMultibulk(b *testing.B) {
	var pipe []byte
	for i := range 100 {
		pipe = append(pipe, encode("SET", fmt.Sprintf("key:%06d", i), "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx")...)
	}
	var p Parser
	args := make([][]byte, 0, 8)
	b.SetBytes(int64(len(pipe)))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		buf := pipe
		for len(buf) > 0 {
			n, out, _ := p.Next(buf, args)
			args = out
			buf = buf[n:]
		}
	}
}

func BenchmarkParseInline(b *testing.B) {
	var pipe []byte
	for i := range 100 {
		pipe = append(pipe, fmt.Sprintf("SET key:%06d \"hello world\"\r\n", i)...)
	}
	var p Parser
	args := make([][]byte, 0, 8)
	b.SetBytes(int64(len(pipe)))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		buf := pipe
		for len(buf) > 0 {
			n, out, _ := p.Next(buf, args)
			args = out
			buf = buf[n:]
		}
	}
}

// TestDetachRandomCuts runs a pipeline through the parser the way the
// server does with large bulks: whenever a request waits for the payload of
// a bulk of at least big bytes that the buffer holds only part of, the
// request is detached, the payload's remaining bytes are taken from the
// stream straight into its own buffer (as netpoll's ReadInto does), and
// parsing resumes after it. The buffer of consumed bytes is overwritten
// each time, so an argument that still aliased it would show.
func TestDetachRandomCuts(t *testing.T) {
	const big = 40
	rng := rand.New(rand.NewSource(7))
	for iter := range 300 {
		var in []byte
		var want [][]string
		for range 20 {
			var args []string
			for range rng.Intn(4) + 1 {
				b := make([]byte, rng.Intn(3*big))
				rng.Read(b)
				args = append(args, string(b))
			}
			in = append(in, encode(args...)...)
			want = append(want, args)
			if rng.Intn(5) == 0 {
				in = append(in, "PING\r\n"...)
				want = append(want, []string{"PING"})
			}
		}
		var p Parser
		var got [][]string
		var pending []byte
		var exts [][]byte // the buffers handed to Detach for the current request
		detached := 0
		pos := 0
		for pos < len(in) {
			// Receive a chunk; into the current ext first, when one waits.
			if len(exts) > 0 && p.extCRLF {
				ext := exts[len(exts)-1]
				if fill := ext[len(ext):cap(ext)]; len(fill) > 0 {
					n := min(len(fill), 1+rng.Intn(2*big), len(in)-pos)
					copy(fill, in[pos:pos+n])
					exts[len(exts)-1] = ext[:len(ext)+n]
					pos += n
					continue
				}
			}
			n := min(1+rng.Intn(2*big), len(in)-pos)
			pending = append(pending, in[pos:pos+n]...)
			pos += n
			for {
				n, out, err := p.Next(pending, nil)
				if err != nil {
					t.Fatalf("iter %d: %v", iter, err)
				}
				if n == 0 {
					size, have, ok := p.Awaiting(pending)
					if ok && size >= big && have < size {
						ext := make([]byte, size)
						consumed, h := p.Detach(pending, ext)
						if h != have || consumed != len(pending) {
							t.Fatalf("iter %d: Detach = %d, %d; want %d, %d", iter, consumed, h, len(pending), have)
						}
						exts = append(exts, ext[:have])
						for i := range pending {
							pending[i] = '#'
						}
						pending = pending[:0]
						detached++
					}
					break
				}
				cmd := []string{}
				aliased := 0
				for _, a := range out {
					cmd = append(cmd, string(a))
					for _, e := range exts {
						if len(a) > 0 && &a[0] == &e[:1][0] {
							if len(a) != cap(e) {
								t.Fatalf("iter %d: argument aliases a detached buffer but has length %d of %d", iter, len(a), cap(e))
							}
							aliased++
						}
					}
				}
				if aliased != len(exts) {
					t.Fatalf("iter %d: %d arguments alias the %d detached buffers (copied?)", iter, aliased, len(exts))
				}
				got = append(got, cmd)
				exts = exts[:0]
				for i := range pending[:n] {
					pending[i] = '#'
				}
				pending = append(pending[:0], pending[n:]...)
			}
		}
		if len(pending) != 0 || p.kind != kindNone {
			t.Fatalf("iter %d: %d bytes left, parser kind %d", iter, len(pending), p.kind)
		}
		if fmt.Sprintf("%q", got) != fmt.Sprintf("%q", want) {
			t.Fatalf("iter %d: got %q; want %q", iter, got, want)
		}
		if iter == 0 && detached == 0 {
			t.Fatal("no request was detached: the test does not exercise Detach")
		}
	}
}

func TestDetachNeedsAnAwaitedBulk(t *testing.T) {
	var p Parser
	buf := []byte("*2\r\n$3\r\nSET\r\n$10\r\nabc")
	if n, _, err := p.Next(buf, nil); n != 0 || err != nil {
		t.Fatalf("Next = %d, %v", n, err)
	}
	if size, have, ok := p.Awaiting(buf); !ok || size != 10 || have != 3 {
		t.Fatalf("Awaiting = %d, %d, %v; want 10, 3, true", size, have, ok)
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Fatal("Detach with a buffer of the wrong length did not panic")
			}
		}()
		p.Detach(buf, make([]byte, 9))
	}()
	// The whole payload present but not its CRLF: Detach copies it all and
	// leaves the '\r' unconsumed.
	var q Parser
	buf = []byte("*2\r\n$3\r\nSET\r\n$3\r\nabc\r")
	q.Next(buf, nil)
	ext := make([]byte, 3)
	consumed, have := q.Detach(buf, ext)
	if have != 3 || consumed != len(buf)-1 || string(ext) != "abc" {
		t.Fatalf("Detach = %d, %d, %q", consumed, have, ext)
	}
	n, out, err := q.Next([]byte("\r\n"), nil)
	if err != nil || n != 2 || len(out) != 2 || string(out[0]) != "SET" || &out[1][0] != &ext[0] {
		t.Fatalf("after Detach: Next = %d, %q, %v", n, out, err)
	}
	// Reset drops the detached state.
	var r Parser
	buf = []byte("*1\r\n$50\r\nxx")
	r.Next(buf, nil)
	r.Detach(buf, make([]byte, 50))
	r.Reset()
	if _, _, ok := r.Awaiting(nil); ok || len(r.ext) != 0 || r.extCRLF {
		t.Fatal("Reset kept the detached bulk")
	}
}
