package bench

import (
	"bufio"
	"context"
	"errors"
	"net"
	"strings"
	"testing"
)

// TestFrameReply checks the generator's framing of every reply type, whole
// and cut short at each byte.
func TestFrameReply(t *testing.T) {
	for _, r := range []string{
		"+OK\r\n", "-ERR unknown command 'x'\r\n", ":12345\r\n", ":-1\r\n",
		"$5\r\nhello\r\n", "$0\r\n\r\n", "$-1\r\n", "*-1\r\n", "*0\r\n",
		"*3\r\n$1\r\na\r\n:7\r\n*2\r\n+x\r\n$-1\r\n",
		"$12\r\nab\r\ncd\r\nefgh\r\n", // CRLF inside a bulk
	} {
		more := r + "+NEXT\r\n"
		n, ok, err := frameReply([]byte(more))
		if err != nil || !ok || n != len(r) {
			t.Errorf("frameReply(%q) = %d, %v, %v; want %d, true", more, n, ok, err, len(r))
		}
		for cut := 0; cut < len(r); cut++ {
			if n, ok, err := frameReply([]byte(r[:cut])); err != nil || ok {
				t.Errorf("frameReply(%q) = %d, %v, %v; want incomplete", r[:cut], n, ok, err)
			}
		}
	}
	if _, _, err := frameReply([]byte("?what\r\n")); err == nil || !strings.Contains(err.Error(), "unexpected reply") {
		t.Errorf("bad type byte: err %v", err)
	}
}

// genFakeServer answers each command it reads with reply (one per '*'
// header line), or closes every connection after `after` commands.
func genFakeServer(t *testing.T, reply string, after int) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				rd := bufio.NewReader(c)
				seen := 0
				for {
					line, err := rd.ReadString('\n')
					if err != nil {
						return
					}
					if !strings.HasPrefix(line, "*") {
						continue
					}
					if seen++; after > 0 && seen > after {
						return
					}
					if _, err := c.Write([]byte(reply)); err != nil {
						return
					}
				}
			}()
		}
	}()
	return ln.Addr().String()
}

func TestRunLoad(t *testing.T) {
	addr := genFakeServer(t, "$3\r\nabc\r\n", 0)
	res, err := RunLoad(context.Background(), Load{Addr: addr, Conns: 4, Pipeline: 16, Requests: 1000, Op: opT4, Conts: 10})
	if err != nil {
		t.Fatal(err)
	}
	if res.Requests != 1000 || len(res.Latencies) != 1000 || res.Errors != 0 || res.Elapsed <= 0 {
		t.Fatalf("requests %d, latencies %d, errors %d, elapsed %v", res.Requests, len(res.Latencies), res.Errors, res.Elapsed)
	}

	addr = genFakeServer(t, "-ERR unknown command 'LPUSH', with args beginning with: \r\n", 0)
	if _, err := RunLoad(context.Background(), Load{Addr: addr, Conns: 2, Pipeline: 1, Requests: 100, Op: opT4, Conts: 10}); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("unknown command: err %v; want ErrUnsupported", err)
	}

	addr = genFakeServer(t, "-WRONGTYPE x\r\n", 0)
	res, err = RunLoad(context.Background(), Load{Addr: addr, Conns: 2, Pipeline: 4, Requests: 100, Op: opT4, Conts: 10})
	if err != nil || res.Errors != 100 || res.FirstErr != "WRONGTYPE x" {
		t.Fatalf("error replies: err %v, errors %d, first %q", err, res.Errors, res.FirstErr)
	}

	addr = genFakeServer(t, "+OK\r\n", 30)
	if _, err := RunLoad(context.Background(), Load{Addr: addr, Conns: 2, Pipeline: 1, Requests: 1000, Op: opT4, Conts: 10}); err == nil {
		t.Fatal("a server that closes the connection: no error")
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	addr = genFakeServer(t, "+OK\r\n", 0)
	if _, err := RunLoad(ctx, Load{Addr: addr, Conns: 2, Pipeline: 1, Requests: 1 << 30, Op: opT4, Conts: 10}); !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled: err %v", err)
	}
}
