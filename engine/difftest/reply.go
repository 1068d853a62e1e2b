package difftest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
)

// maxBulk bounds the bulk length ReadReply accepts, so a corrupt stream
// cannot make the reader allocate without limit.
const maxBulk = 1 << 30

// ErrMalformed reports a reply that is not valid RESP.
var ErrMalformed = errors.New("difftest: malformed reply")

// ReadReply reads exactly one complete reply from r and returns its raw
// bytes. It understands the RESP2 types (+ - : $ *), null bulk strings and
// arrays, nested arrays, and the RESP3 types a HELLO 3 connection may see.
func ReadReply(r *bufio.Reader) ([]byte, error) {
	var out []byte
	if err := readInto(r, &out); err != nil {
		return out, err
	}
	return out, nil
}

func readLine(r *bufio.Reader, out *[]byte) ([]byte, error) {
	line, err := r.ReadBytes('\n')
	*out = append(*out, line...)
	if err != nil {
		if err == io.EOF && len(line) > 0 {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	if len(line) < 2 || line[len(line)-2] != '\r' {
		return nil, fmt.Errorf("%w: line %q not ended by CRLF", ErrMalformed, line)
	}
	return line[:len(line)-2], nil
}

func readInto(r *bufio.Reader, out *[]byte) error {
	line, err := readLine(r, out)
	if err != nil {
		return err
	}
	if len(line) == 0 {
		return fmt.Errorf("%w: empty line", ErrMalformed)
	}
	kind, body := line[0], line[1:]
	switch kind {
	case '+', '-', ':', '_', ',', '#', '(':
		return nil
	case '$', '=', '!':
		n, err := strconv.ParseInt(string(body), 10, 64)
		if err != nil || n < -1 || n > maxBulk {
			return fmt.Errorf("%w: bulk length %q", ErrMalformed, body)
		}
		if n == -1 {
			return nil
		}
		start := len(*out)
		*out = append(*out, make([]byte, n+2)...)
		if _, err := io.ReadFull(r, (*out)[start:]); err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return err
		}
		if !bytes.HasSuffix(*out, []byte("\r\n")) {
			return fmt.Errorf("%w: bulk not ended by CRLF", ErrMalformed)
		}
		return nil
	case '*', '~', '>', '%', '|':
		n, err := strconv.ParseInt(string(body), 10, 64)
		if err != nil || n < -1 || n > maxBulk {
			return fmt.Errorf("%w: aggregate length %q", ErrMalformed, body)
		}
		if kind == '%' || kind == '|' {
			n *= 2
		}
		for i := int64(0); i < n; i++ {
			if err := readInto(r, out); err != nil {
				return err
			}
		}
		if kind == '|' {
			// An attribute precedes the reply it describes.
			return readInto(r, out)
		}
		return nil
	}
	return fmt.Errorf("%w: unknown type byte %q", ErrMalformed, kind)
}

// Elements splits the raw bytes of an array reply into the raw bytes of its
// elements. It fails if raw is not a single, non-null array.
func Elements(raw []byte) ([][]byte, error) {
	r := bufio.NewReader(bytes.NewReader(raw))
	var head []byte
	line, err := readLine(r, &head)
	if err != nil {
		return nil, err
	}
	if len(line) == 0 || (line[0] != '*' && line[0] != '~') {
		return nil, fmt.Errorf("%w: not an array: %q", ErrMalformed, raw)
	}
	n, err := strconv.Atoi(string(line[1:]))
	if err != nil || n < 0 {
		return nil, fmt.Errorf("%w: not a non-null array: %q", ErrMalformed, raw)
	}
	elems := make([][]byte, 0, min(n, 1024))
	for i := 0; i < n; i++ {
		e, err := ReadReply(r)
		if err != nil {
			return nil, err
		}
		elems = append(elems, e)
	}
	if r.Buffered() != 0 {
		return nil, fmt.Errorf("%w: trailing bytes after array", ErrMalformed)
	}
	return elems, nil
}

// Canonical returns raw with the elements of every array in it sorted by
// their own canonical bytes, so that two replies listing the same members
// in different orders (KEYS, SCAN) become equal. Non-array replies are
// returned unchanged.
func Canonical(raw []byte) []byte {
	if len(raw) == 0 || (raw[0] != '*' && raw[0] != '~') {
		return raw
	}
	elems, err := Elements(raw)
	if err != nil {
		return raw
	}
	for i, e := range elems {
		elems[i] = Canonical(e)
	}
	sort.Slice(elems, func(i, j int) bool { return bytes.Compare(elems[i], elems[j]) < 0 })
	out := fmt.Appendf(nil, "%c%d\r\n", raw[0], len(elems))
	for _, e := range elems {
		out = append(out, e...)
	}
	return out
}

// AppendCommand appends args to b as a RESP multibulk request.
func AppendCommand(b []byte, args ...[]byte) []byte {
	b = fmt.Appendf(b, "*%d\r\n", len(args))
	for _, a := range args {
		b = fmt.Appendf(b, "$%d\r\n", len(a))
		b = append(b, a...)
		b = append(b, '\r', '\n')
	}
	return b
}
