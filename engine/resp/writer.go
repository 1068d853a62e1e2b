package resp

import (
	"strconv"
)

// Reply writers. Each appends one RESP2 reply to b and returns the extended
// slice; none allocates when b has enough spare capacity.

// appendLine appends s with every '\r' and '\n' replaced by a space, so that
// a status or error reply stays on one line.
func appendLine(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\r' || c == '\n' {
			c = ' '
		}
		b = append(b, c)
	}
	return append(b, '\r', '\n')
}

// AppendSimple appends a status reply: "+OK\r\n". CR and LF in s become
// spaces.
func AppendSimple(b []byte, s string) []byte {
	return appendLine(append(b, '+'), s)
}

// AppendError appends an error reply. s carries its own prefix: "ERR foo"
// gives "-ERR foo\r\n". CR and LF in s become spaces.
func AppendError(b []byte, s string) []byte {
	return appendLine(append(b, '-'), s)
}

// AppendInt appends an integer reply: ":42\r\n".
func AppendInt(b []byte, n int64) []byte {
	b = strconv.AppendInt(append(b, ':'), n, 10)
	return append(b, '\r', '\n')
}

// AppendBulk appends a bulk string reply: "$3\r\nfoo\r\n". A nil v is an
// empty bulk, not a null; use AppendNull for that.
func AppendBulk(b []byte, v []byte) []byte {
	b = AppendBulkHeader(b, len(v))
	b = append(b, v...)
	return append(b, '\r', '\n')
}

// AppendBulkString is AppendBulk for a string.
func AppendBulkString(b []byte, s string) []byte {
	b = AppendBulkHeader(b, len(s))
	b = append(b, s...)
	return append(b, '\r', '\n')
}

// AppendBulkHeader appends only "$<n>\r\n"; the caller appends the n payload
// bytes and "\r\n" itself (to copy a value straight from its storage).
func AppendBulkHeader(b []byte, n int) []byte {
	b = strconv.AppendInt(append(b, '$'), int64(n), 10)
	return append(b, '\r', '\n')
}

// AppendNull appends the null bulk reply "$-1\r\n".
func AppendNull(b []byte) []byte {
	return append(b, "$-1\r\n"...)
}

// AppendNullArray appends the null array reply "*-1\r\n".
func AppendNullArray(b []byte) []byte {
	return append(b, "*-1\r\n"...)
}

// AppendArrayLen appends an array header "*<n>\r\n"; n elements follow.
func AppendArrayLen(b []byte, n int) []byte {
	b = strconv.AppendInt(append(b, '*'), int64(n), 10)
	return append(b, '\r', '\n')
}

// AppendBulkInt appends n in decimal as a bulk string: "$2\r\n42\r\n".
func AppendBulkInt(b []byte, n int64) []byte {
	var tmp [20]byte
	d := strconv.AppendInt(tmp[:0], n, 10)
	return AppendBulk(b, d)
}

// AppendCommand appends a request: args as an array of bulk strings, the
// form clients send and the append log keeps (`*2\r\n$3\r\nGET\r\n$1\r\nk\r\n`).
func AppendCommand(b []byte, args ...[]byte) []byte {
	b = AppendArrayLen(b, len(args))
	for _, a := range args {
		b = AppendBulk(b, a)
	}
	return b
}
