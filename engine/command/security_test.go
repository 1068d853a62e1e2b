package command

import (
	"strings"
	"testing"
	"time"

	"rundb/engine/config"
	"rundb/engine/db"
	"rundb/variants/goheap"
)

// TestDebugCommandGate: DEBUG is refused by default, as Redis 7.0 refuses
// it, after the arity check and before authentication; "local" lets
// loopback clients only; "yes" everyone.
func TestDebugCommandGate(t *testing.T) {
	errNo := "-" + errDebugNotAllowed + "\r\n"
	for _, tc := range []struct {
		value, addr, want string
	}{
		{"no", "127.0.0.1:5000", errNo},
		{"no", "10.1.2.3:5000", errNo},
		{"local", "10.1.2.3:5000", errNo},
		{"local", "[2001:db8::1]:5000", errNo},
		{"local", "127.0.0.1:5000", "+OK\r\n"},
		{"local", "[::1]:5000", "+OK\r\n"},
		{"local", "/tmp/rundb.sock", "+OK\r\n"},
		{"yes", "10.1.2.3:5000", "+OK\r\n"},
	} {
		cfg := config.Default()
		if err := config.Lookup("enable-debug-command").Set(cfg, tc.value); err != nil {
			t.Fatal(err)
		}
		ks := db.NewKeyspace(goheap.New(), int(cfg.Databases))
		s := NewServer(cfg, ks)
		ks.Tick(time.Now().UnixMilli())
		c := s.NewClient(tc.addr, "127.0.0.1:7379", -1)
		if got := do(s, c, "DEBUG", "SLEEP", "0"); got != tc.want {
			t.Errorf("enable-debug-command %s from %s: %q; want %q", tc.value, tc.addr, got, tc.want)
		}
	}
	// Arity first, then the gate, then authentication; in MULTI the
	// refusal discards the transaction.
	cfg := config.Default()
	cfg.RequirePass = "pw"
	ks := db.NewKeyspace(goheap.New(), int(cfg.Databases))
	s := NewServer(cfg, ks)
	c := s.NewClient("127.0.0.1:5000", "127.0.0.1:7379", -1)
	for _, step := range [][2]string{
		{"DEBUG", "-ERR wrong number of arguments for 'debug' command\r\n"},
		{"DEBUG SLEEP 0", errNo},
		{"GET k", "-NOAUTH Authentication required.\r\n"},
		{"AUTH pw", "+OK\r\n"},
		{"MULTI", "+OK\r\n"},
		{"DEBUG SLEEP 0", errNo},
		{"EXEC", "-EXECABORT Transaction discarded because of previous errors.\r\n"},
	} {
		if got := do(s, c, strings.Fields(step[0])...); got != step[1] {
			t.Errorf("%s: %q; want %q", step[0], got, step[1])
		}
	}
}

// TestProtectedConfigs: dir is refused by CONFIG SET unless
// enable-protected-configs allows the client; the enable-* parameters are
// immutable.
func TestProtectedConfigs(t *testing.T) {
	refused := "-ERR CONFIG SET failed (possibly related to argument 'dir') - can't set protected config\r\n"
	dir := t.TempDir()
	for _, tc := range []struct{ value, addr, want string }{
		{"no", "127.0.0.1:5000", refused},
		{"local", "10.0.0.1:5000", refused},
		{"local", "127.0.0.1:5000", "+OK\r\n"},
		{"yes", "10.0.0.1:5000", "+OK\r\n"},
	} {
		cfg := config.Default()
		cfg.EnableProtectedConfigs = tc.value
		ks := db.NewKeyspace(goheap.New(), int(cfg.Databases))
		s := NewServer(cfg, ks)
		c := s.NewClient(tc.addr, "127.0.0.1:7379", -1)
		if got := do(s, c, "CONFIG", "SET", "dir", dir); got != tc.want {
			t.Errorf("enable-protected-configs %s from %s: %q; want %q", tc.value, tc.addr, got, tc.want)
		}
	}
	s, c := testServer(nil)
	for _, name := range []string{"enable-protected-configs", "enable-debug-command"} {
		want := "-ERR CONFIG SET failed (possibly related to argument '" + name + "') - can't set immutable config\r\n"
		if got := do(s, c, "CONFIG", "SET", name, "yes"); got != want {
			t.Errorf("CONFIG SET %s: %q; want %q", name, got, want)
		}
	}
	if got := do(s, c, "CONFIG", "GET", "protected-mode"); got != "*2\r\n$14\r\nprotected-mode\r\n$3\r\nyes\r\n" {
		t.Errorf("CONFIG GET protected-mode: %q", got)
	}
}

// TestPasswordCompare: the constant-time comparison still tells equal
// from different passwords, including prefixes and empty ones.
func TestPasswordCompare(t *testing.T) {
	for _, tc := range []struct {
		pass, want string
		ok         bool
	}{{"pw", "pw", true}, {"p", "pw", false}, {"pwx", "pw", false}, {"", "pw", false}, {"PW", "pw", false}} {
		if got := samePassword([]byte(tc.pass), tc.want); got != tc.ok {
			t.Errorf("samePassword(%q, %q) = %v", tc.pass, tc.want, got)
		}
	}
}
