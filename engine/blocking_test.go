package engine_test

import (
	"testing"
	"time"
)

// A client blocked in BLPOP keeps its pipelined commands unread until it
// is served; one that disconnects while blocked is forgotten at once, so a
// later push is not popped for nobody.
func TestBlockedClientConnection(t *testing.T) {
	srv := start(t, nil)
	a, b := dial(t, srv), dial(t, srv)
	if _, err := a.Write([]byte("BLPOP k 0\r\nPING\r\n")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	if got := b.do(t, "RPUSH k x"); got != ":1" {
		t.Fatalf("RPUSH: %q", got)
	}
	for _, want := range []string{"*2", "$1", "k", "$1", "x", "+PONG"} {
		line, err := a.r.ReadString('\n')
		if err != nil || line != want+"\r\n" {
			t.Fatalf("blocked client read %q %v; want %q", line, err, want)
		}
	}
	c := dial(t, srv)
	if _, err := c.Write([]byte("BLPOP gone 0\r\n")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	if got := infoField(t, b, "clients", "blocked_clients"); got != "1" {
		t.Fatalf("blocked_clients: %q", got)
	}
	c.Close()
	time.Sleep(50 * time.Millisecond)
	if got := infoField(t, b, "clients", "blocked_clients"); got != "0" {
		t.Fatalf("blocked_clients after the client left: %q", got)
	}
	b.do(t, "RPUSH gone y")
	if got := b.do(t, "LLEN gone"); got != ":1" {
		t.Fatalf("LLEN after a push: %q (popped for a client that left)", got)
	}
}
