package resp

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"testing"

	tresp "github.com/tidwall/resp"
)

// The fuzz target compares Parser with the multibulk reader of
// github.com/tidwall/resp (Reader.ReadMultiBulk). The two agree on
// well-formed multibulk frames of bulk strings and differ, by design, on:
//
//   - inline requests: the reference reader splits on spaces and knows only
//     "double quotes" without escapes;
//   - number syntax: the reference uses strconv.ParseInt, which accepts
//     "+1", "01" and "-0"; the server rejects them;
//   - header lines: the server ends a header at the first '\r' and skips the
//     byte after it, the reference needs "\r\n";
//   - the two bytes after a bulk payload: skipped by the server, required to
//     be "\r\n" by the reference;
//   - "$-1" (a null bulk for the reference, an error for the server) and a
//     '*', '+', '-' or ':' where a bulk is expected (a nested array, a
//     simple string or an integer for the reference);
//   - multibulk counts over 1024*1024 (the reference rejects them at once,
//     the server waits for the elements), which is also why counts over 4096
//     are left out: the reference allocates the whole array up front.
//
// subsetPrefix walks the input frame by frame and cuts it before the first
// frame that reaches one of these divergences. On what is left both readers
// must accept the same commands and then both end cleanly or both reject
// (an error or an incomplete frame).

// frame outcomes of checkFrame
const (
	frameOK      = iota // complete, inside the subset
	frameReject         // both readers reject (error or incomplete)
	frameOutside        // outside the subset: cut here
)

// checkFrame classifies the frame at the start of b and returns its length
// when frameOK.
func checkFrame(b []byte) (int, int) {
	if b[0] != '*' {
		return 0, frameOutside // inline
	}
	// header parses a header line starting at b[i] (after the type byte).
	header := func(i int) (v int64, next int, outcome int) {
		j := bytes.IndexByte(b[i:], '\r')
		if j < 0 || i+j+1 >= len(b) {
			return 0, 0, frameReject // incomplete for both
		}
		j += i
		if b[j+1] != '\n' {
			return 0, 0, frameOutside
		}
		text := b[i:j]
		ours, ok1 := parseLen(text)
		theirs, err := strconv.ParseInt(string(text), 10, 64)
		switch {
		case !ok1 && err != nil:
			return 0, 0, frameReject
		case !ok1 || err != nil || ours != theirs:
			return 0, 0, frameOutside
		}
		return ours, j + 2, frameOK
	}
	count, i, out := header(1)
	if out != frameOK {
		return 0, out
	}
	if count > 4096 {
		return 0, frameOutside
	}
	for k := int64(0); k < count; k++ {
		if i >= len(b) {
			return 0, frameReject
		}
		switch b[i] {
		case '$':
		case '*', '+', '-', ':':
			return 0, frameOutside
		default:
			return 0, frameReject
		}
		n, next, out := header(i + 1)
		if out != frameOK {
			return 0, out
		}
		if n < 0 {
			return 0, frameOutside
		}
		if n > DefaultMaxBulkLen {
			return 0, frameReject
		}
		if int64(len(b)-next) < n+2 {
			return 0, frameReject
		}
		end := next + int(n)
		if b[end] != '\r' || b[end+1] != '\n' {
			return 0, frameOutside
		}
		i = end + 2
	}
	return i, frameOK
}

// subsetPrefix returns the part of data both readers are specified to agree
// on.
func subsetPrefix(data []byte) []byte {
	pos := 0
	for pos < len(data) {
		n, out := checkFrame(data[pos:])
		switch out {
		case frameOutside:
			return data[:pos]
		case frameReject:
			return data
		}
		pos += n
	}
	return data
}

// outcome is what a reader made of a stream: the commands it accepted and
// whether it then rejected the rest.
type outcome struct {
	cmds     [][]string
	rejected bool
}

func (o outcome) String() string { return fmt.Sprintf("%q rejected=%v", o.cmds, o.rejected) }

func ourOutcome(data []byte, cut int) outcome {
	var o outcome
	var p Parser
	var pending []byte
	feed := func(chunk []byte) bool {
		pending = append(pending, chunk...)
		for {
			n, args, err := p.Next(pending, nil)
			if err != nil {
				o.rejected = true
				return false
			}
			if n == 0 {
				return true
			}
			cmd := []string{}
			for _, a := range args {
				cmd = append(cmd, string(a))
			}
			o.cmds = append(o.cmds, cmd)
			pending = append(pending[:0], pending[n:]...)
		}
	}
	for len(data) > cut {
		if !feed(data[:cut]) {
			return o
		}
		data = data[cut:]
	}
	if feed(data) && len(pending) > 0 {
		o.rejected = true // incomplete
	}
	return o
}

func theirOutcome(t *testing.T, data []byte) outcome {
	var o outcome
	rd := tresp.NewReader(bytes.NewReader(data))
	for {
		v, telnet, _, err := rd.ReadMultiBulk()
		if errors.Is(err, io.EOF) {
			return o
		}
		if err != nil {
			o.rejected = true
			return o
		}
		if telnet {
			t.Fatalf("inline frame left in the compared prefix")
		}
		cmd := []string{}
		for _, a := range v.Array() {
			cmd = append(cmd, string(a.Bytes()))
		}
		o.cmds = append(o.cmds, cmd)
	}
}

func FuzzParser(f *testing.F) {
	for _, tc := range parseTests {
		if len(tc.in) < 1000 {
			f.Add([]byte(tc.in))
		}
	}
	f.Add([]byte(encode("SET", "a", "b") + encode("GET", "a") + "*0\r\n*-1\r\n"))
	f.Add([]byte(encode("SET", "k", "\r\n\x00$*") + "*2\r\n$3\r\nGET\r\n$+1\r\nk\r\n"))
	f.Add([]byte("*1\r\n$3\r\nabc\r\n*1\r\n$3\r\nab"))
	f.Add([]byte("*1\r\n$-1\r\n"))
	f.Add([]byte("*1\r\n*1\r\n$1\r\na\r\n"))
	f.Add([]byte("*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\nbXY"))
	f.Fuzz(func(t *testing.T, data []byte) {
		// Self-consistency on the whole input, inline frames included:
		// cutting the stream anywhere must not change the result, unless a
		// "too big" limit is in play (those depend on the read size).
		whole := ourOutcome(data, len(data)+1)
		if len(data) <= MaxInlineSize {
			for _, cut := range []int{1, 3, 7} {
				if got := ourOutcome(data, cut); got.String() != whole.String() {
					t.Fatalf("cut %d: got %v; want %v", cut, got, whole)
				}
			}
		}
		sub := subsetPrefix(data)
		ours := ourOutcome(sub, len(sub)+1)
		theirs := theirOutcome(t, sub)
		if ours.String() != theirs.String() {
			t.Fatalf("input %q:\nparser    %v\nreference %v", sub, ours, theirs)
		}
	})
}

// FuzzWhole checks the parser's fast path for whole requests against its
// general path: whatever whole accepts, nextMultibulk parses to the same
// arguments and length, with and without the unauthenticated limits.
func FuzzWhole(f *testing.F) {
	f.Add([]byte(encode("SET", "a", "b")), false)
	f.Add([]byte(encode("LPUSH", "tlist:000001", "elem:00000000001")+encode("LPOP", "x")), true)
	f.Add([]byte("*2\r\n$0\r\n\r\n$01\r\nab\r\n"), false)
	f.Add([]byte("*1\r\n$5\r\nab"), false)
	f.Fuzz(func(t *testing.T, data []byte, unauth bool) {
		if len(data) == 0 || data[0] != '*' {
			return
		}
		fast := &Parser{Unauthenticated: unauth, MaxBulkLen: 1 << 20}
		n, out, ok := fast.whole(data, nil)
		if !ok {
			return
		}
		slow := &Parser{Unauthenticated: unauth, MaxBulkLen: 1 << 20}
		slow.Reset()
		slow.kind, slow.scan = kindMultibulk, 1
		sn, sout, err := slow.nextMultibulk(data, nil)
		if err != nil || sn != n || len(sout) != len(out) {
			t.Fatalf("%q: whole %d %q; general %d %q %v", data, n, out, sn, sout, err)
		}
		for i := range out {
			if !bytes.Equal(out[i], sout[i]) {
				t.Fatalf("%q: argument %d: whole %q; general %q", data, i, out[i], sout[i])
			}
		}
	})
}
