package engine_test

import (
	"io"
	"net"
	"strconv"
	"testing"
	"time"

	"rundb/engine"
	"rundb/engine/command"
	"rundb/engine/config"
)

// nonLoopbackIP returns an IPv4 address of this host off the loopback
// interface, or "" when it has none.
func nonLoopbackIP() string {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return ""
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() && n.IP.To4() != nil {
			return n.IP.String()
		}
	}
	return ""
}

// TestProtectedMode: with protected mode on (the default) and no password,
// a client from a non-loopback address reads Redis's DENIED error and is
// disconnected; a loopback client, a password, or protected-mode no let
// it in.
func TestProtectedMode(t *testing.T) {
	ip := nonLoopbackIP()
	if ip == "" {
		t.Skip("this host has no non-loopback IPv4 address to connect from")
	}
	try := func(srv *engine.Server, host string) string {
		t.Helper()
		c, err := net.Dial("tcp", net.JoinHostPort(host, strconv.Itoa(tcpPortOf(t, srv))))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		// Nothing is sent: unread input would make the close a reset.
		buf, err := io.ReadAll(c)
		if err != nil && len(buf) == 0 {
			return "read: " + err.Error()
		}
		return string(buf)
	}
	denied := "-" + command.ErrDenied + "\r\n"
	open := func(edit func(c *config.Config)) *engine.Server {
		return start(t, func(c *config.Config) {
			c.Bind = "0.0.0.0"
			if edit != nil {
				edit(c)
			}
		})
	}
	srv := open(nil)
	if got := try(srv, ip); got != denied {
		t.Errorf("from %s: %q; want the DENIED error, then EOF", ip, got)
	}
	// Loopback clients are served (QUIT-less: the reply, then our close).
	c, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(tcpPortOf(t, srv))))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	c.Write([]byte("PING\r\n"))
	line := make([]byte, 7)
	if _, err := io.ReadFull(c, line); err != nil || string(line) != "+PONG\r\n" {
		t.Errorf("from loopback: %q %v", line, err)
	}
	for name, edit := range map[string]func(c *config.Config){
		"requirepass":       func(c *config.Config) { c.RequirePass = "pw" },
		"protected-mode no": func(c *config.Config) { c.ProtectedMode = false },
	} {
		srv := open(edit)
		want := "-NOAUTH Authentication required.\r\n"
		if name == "protected-mode no" {
			want = "+PONG\r\n"
		}
		cn, err := net.Dial("tcp", net.JoinHostPort(ip, strconv.Itoa(tcpPortOf(t, srv))))
		if err != nil {
			t.Fatal(err)
		}
		cn.SetDeadline(time.Now().Add(10 * time.Second))
		cn.Write([]byte("PING\r\n"))
		got := make([]byte, len(want))
		io.ReadFull(cn, got)
		cn.Close()
		if string(got) != want {
			t.Errorf("%s, from %s: %q; want %q", name, ip, got, want)
		}
	}
}

func tcpPortOf(t *testing.T, srv *engine.Server) int {
	_, p, err := net.SplitHostPort(srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	n, _ := strconv.Atoi(p)
	return n
}
