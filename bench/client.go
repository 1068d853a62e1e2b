package bench

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/tidwall/resp"
)

// ErrUnsupported marks a command the server does not implement (it replied
// "ERR unknown command"). A workload that meets it reports its row as
// unsupported instead of failed.
var ErrUnsupported = errors.New("unsupported command")

// Client is a minimal pipelining RESP client: commands are appended to an
// output buffer and sent together by Flush; replies are read in order.
type Client struct {
	conn net.Conn
	rd   *resp.Reader
	out  []byte
	// Errors counts error replies seen by Pipeline.
	Errors int
	// FirstError is the text of the first error reply Pipeline saw.
	FirstError string
}

// Dial connects to addr.
func Dial(addr string, timeout time.Duration) (*Client, error) {
	conn, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return nil, err
	}
	return &Client{conn: conn, rd: resp.NewReader(bufio.NewReaderSize(conn, 64<<10))}, nil
}

// Close closes the connection.
func (c *Client) Close() error { return c.conn.Close() }

// AppendCommand appends one command, as a RESP multibulk, to b.
func AppendCommand[S ~string | ~[]byte](b []byte, args ...S) []byte {
	b = append(b, '*')
	b = strconv.AppendInt(b, int64(len(args)), 10)
	b = append(b, '\r', '\n')
	for _, a := range args {
		b = append(b, '$')
		b = strconv.AppendInt(b, int64(len(a)), 10)
		b = append(b, '\r', '\n')
		b = append(b, a...)
		b = append(b, '\r', '\n')
	}
	return b
}

// Queue adds one command to the pending output.
func (c *Client) Queue(args ...string) { c.out = AppendCommand(c.out, args...) }

// Flush sends the pending output.
func (c *Client) Flush() error {
	_, err := c.conn.Write(c.out)
	c.out = c.out[:0]
	return err
}

// Read reads one reply.
func (c *Client) Read() (resp.Value, error) {
	v, _, err := c.rd.ReadValue()
	return v, err
}

// Do sends one command and returns its reply; an error reply is returned as
// an error (ErrUnsupported for an unknown command).
func (c *Client) Do(args ...string) (resp.Value, error) {
	c.Queue(args...)
	if err := c.Flush(); err != nil {
		return resp.Value{}, err
	}
	v, err := c.Read()
	if err != nil {
		return v, err
	}
	if e := v.Error(); e != nil {
		return v, replyError(e.Error())
	}
	return v, nil
}

// Pipeline sends the pending output and reads n replies, counting error
// replies. An unknown-command reply returns ErrUnsupported after all n
// replies are read.
func (c *Client) Pipeline(n int) error {
	if err := c.Flush(); err != nil {
		return err
	}
	var unsupported error
	for i := 0; i < n; i++ {
		v, err := c.Read()
		if err != nil {
			return err
		}
		if e := v.Error(); e != nil {
			c.Errors++
			if c.FirstError == "" {
				c.FirstError = e.Error()
			}
			if isUnknownCommand(e.Error()) && unsupported == nil {
				unsupported = replyError(e.Error())
			}
		}
	}
	return unsupported
}

func isUnknownCommand(msg string) bool { return strings.HasPrefix(msg, "ERR unknown command") }

func replyError(msg string) error {
	if isUnknownCommand(msg) {
		return fmt.Errorf("%w: %s", ErrUnsupported, msg)
	}
	return errors.New(msg)
}

// Info fetches INFO section and parses its "name:value" lines.
func (c *Client) Info(section string) (map[string]string, error) {
	v, err := c.Do("INFO", section)
	if err != nil {
		return nil, err
	}
	return ParseInfo(v.String()), nil
}

// ParseInfo parses INFO output into a map.
func ParseInfo(s string) map[string]string {
	m := make(map[string]string)
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimRight(line, "\r")
		if line == "" || line[0] == '#' {
			continue
		}
		if k, v, ok := strings.Cut(line, ":"); ok {
			m[k] = v
		}
	}
	return m
}
