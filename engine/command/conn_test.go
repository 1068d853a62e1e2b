package command

import (
	"fmt"
	"regexp"
	"rundb/engine/config"
	"strconv"
	"strings"
	"testing"
)

type connStep struct {
	args []string
	want string
}

func cs(want string, args ...string) connStep { return connStep{args, want} }

func connRun(t *testing.T, s *Server, c *Client, steps []connStep) {
	t.Helper()
	for _, st := range steps {
		if got := do(s, c, st.args...); got != st.want {
			t.Errorf("%q: got %q; want %q", st.args, got, st.want)
		}
	}
}

const wrongPass = "-WRONGPASS invalid username-password pair or user is disabled.\r\n"

func helloReply(id string) string {
	return "*14\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n$5\r\nproto\r\n:2\r\n" +
		"$2\r\nid\r\n:" + id + "\r\n$4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n"
}

func TestConnBasic(t *testing.T) {
	s, c := testServer(nil)
	connRun(t, s, c, []connStep{
		cs("+PONG\r\n", "PING"),
		cs("$2\r\nhi\r\n", "ping", "hi"),
		cs("-ERR wrong number of arguments for 'ping' command\r\n", "ping", "a", "b"),
		cs("$1\r\nx\r\n", "ECHO", "x"),
		cs("-ERR wrong number of arguments for 'echo' command\r\n", "echo"),
		cs("-ERR DB index is out of range\r\n", "select", "16"),
		cs("-ERR DB index is out of range\r\n", "select", "-1"),
		cs("-ERR value is not an integer or out of range\r\n", "select", "a"),
		cs("-ERR value is out of range, value must between -2147483648 and 2147483647\r\n", "select", "99999999999"),
		cs("-ERR value is not an integer or out of range\r\n", "select", "99999999999999999999"),
		cs("+OK\r\n", "select", "3"),
		cs(helloReply("1"), "hello"),
		cs(helloReply("1"), "hello", "2"),
		cs("-NOPROTO unsupported protocol version\r\n", "hello", "3"),
		cs("-NOPROTO unsupported protocol version\r\n", "hello", "1"),
		cs("-ERR Protocol version is not an integer or out of range\r\n", "hello", "x"),
		cs("-ERR Syntax error in HELLO option 'b'\r\n", "hello", "2", "setname", "a", "b"),
		cs("$1\r\na\r\n", "client", "getname"),
		cs("-ERR Syntax error in HELLO option 'setname'\r\n", "hello", "2", "setname"),
		cs("-ERR Client names cannot contain spaces, newlines or special characters.\r\n", "hello", "2", "setname", "a b"),
		cs(wrongPass, "hello", "2", "auth", "a", "b"),
		cs(helloReply("1"), "hello", "2", "auth", "default", "anything"),
		cs("-ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?\r\n", "auth", "x"),
		cs(wrongPass, "auth", "a", "b"),
		cs("+OK\r\n", "auth", "default", "b"),
		cs("-ERR syntax error\r\n", "auth", "a", "b", "c"),
	})
	if c.DB.ID != 3 {
		t.Fatalf("db after SELECT 3: %d", c.DB.ID)
	}
	connRun(t, s, c, []connStep{cs("+RESET\r\n", "reset")})
	if c.DB.ID != 0 || c.Name != "" {
		t.Fatalf("after RESET: db %d name %q", c.DB.ID, c.Name)
	}
	connRun(t, s, c, []connStep{cs("+OK\r\n", "quit")})
	if !c.CloseAfterReply {
		t.Fatal("QUIT did not ask to close")
	}
}

func TestConnAuth(t *testing.T) {
	cfg := config.Default()
	cfg.RequirePass = "pw"
	s, c := testServer(cfg)
	noAuthHello := "-NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time\r\n"
	connRun(t, s, c, []connStep{
		cs("-NOAUTH Authentication required.\r\n", "ping"),
		cs(noAuthHello, "hello", "2"),
		cs(noAuthHello, "hello"),
		cs(wrongPass, "auth", "x"),
		cs(wrongPass, "auth", "foo", "pw"),
		cs("+OK\r\n", "auth", "pw"),
		cs("+PONG\r\n", "ping"),
		cs("+RESET\r\n", "reset"),
		cs("-NOAUTH Authentication required.\r\n", "ping"),
		cs(wrongPass, "hello", "2", "auth", "default", "nope"),
		cs(helloReply("1"), "hello", "2", "auth", "default", "pw", "setname", "n"),
		cs("$1\r\nn\r\n", "client", "getname"),
		cs("+OK\r\n", "auth", "default", "pw"),
	})
}

func TestConnResetDiscardsMulti(t *testing.T) {
	s, c := testServer(nil)
	connRun(t, s, c, []connStep{
		cs("+OK\r\n", "select", "2"),
		cs("+OK\r\n", "client", "setname", "x"),
		cs("+OK\r\n", "watch", "k"),
		cs("+OK\r\n", "multi"),
		cs("+QUEUED\r\n", "ping"),
		cs("+RESET\r\n", "reset"),
		cs("-ERR EXEC without MULTI\r\n", "exec"),
		cs("$-1\r\n", "client", "getname"),
	})
	if len(c.Watched) != 0 || c.DB.ID != 0 {
		t.Fatalf("RESET left watched=%d db=%d", len(c.Watched), c.DB.ID)
	}
}

func TestClientCommands(t *testing.T) {
	s, c := testServer(nil)
	other := s.NewClient("10.0.0.1:1000", "127.0.0.1:7379", 9)
	connRun(t, s, c, []connStep{
		cs(":1\r\n", "client", "id"),
		cs("$-1\r\n", "client", "getname"),
		cs("+OK\r\n", "client", "setname", "conn1"),
		cs("$5\r\nconn1\r\n", "CLIENT", "GETNAME"),
		cs("-ERR Client names cannot contain spaces, newlines or special characters.\r\n", "client", "setname", "a b"),
		cs("-ERR Client names cannot contain spaces, newlines or special characters.\r\n", "client", "setname", "a\nb"),
		cs("+OK\r\n", "client", "setname", ""),
		cs("$-1\r\n", "client", "getname"),
		cs("-ERR wrong number of arguments for 'client' command\r\n", "client"),
		cs("-ERR unknown subcommand 'foo'. Try CLIENT HELP.\r\n", "client", "foo"),
		cs("-ERR wrong number of arguments for 'client|setname' command\r\n", "client", "setname"),
		cs("+OK\r\n", "client", "setinfo", "lib-name", "go-redis(,go1.26)"),
		cs("+OK\r\n", "client", "setinfo", "LIB-VER", "9.0"),
		cs("-ERR Unrecognized option 'foo'\r\n", "client", "setinfo", "foo", "x"),
		cs("-ERR lib-name cannot contain spaces, newlines or special characters.\r\n", "client", "setinfo", "lib-name", "a b"),
		cs("+OK\r\n", "client", "no-evict", "on"),
		cs("-ERR syntax error\r\n", "client", "no-evict", "x"),
		cs("-ERR Unknown client type 'foo'\r\n", "client", "list", "type", "foo"),
		cs("$0\r\n\r\n", "client", "list", "type", "pubsub"),
		cs("-ERR Invalid client ID\r\n", "client", "list", "id", "x"),
		cs("$0\r\n\r\n", "client", "list", "id", "0"),
		cs("-ERR syntax error\r\n", "client", "list", "foo"),
		cs("-ERR syntax error\r\n", "client", "list", "type", "normal", "id", "1"),
		cs("-ERR No such client\r\n", "client", "kill", "1.2.3.4:6"),
		cs("-ERR No such client\r\n", "client", "kill", "id"),
		cs("-ERR client-id should be greater than 0\r\n", "client", "kill", "id", "x"),
		cs("-ERR client-id should be greater than 0\r\n", "client", "kill", "id", "0"),
		cs(":0\r\n", "client", "kill", "id", "999"),
		cs("-ERR Unknown client type 'foo'\r\n", "client", "kill", "type", "foo"),
		cs("-ERR syntax error\r\n", "client", "kill", "foo", "bar"),
		cs("-ERR syntax error\r\n", "client", "kill", "skipme", "maybe"),
		cs("-ERR syntax error\r\n", "client", "kill", "id", "2", "type"),
		cs("-ERR No such user 'bob'\r\n", "client", "kill", "user", "bob"),
		cs(":0\r\n", "client", "kill", "addr", "1.2.3.4:5", "laddr", "x"),
		cs(":0\r\n", "client", "kill", "addr", "1.2.3.4:5"), // skipme yes by default
		cs(":0\r\n", "client", "kill", "type", "master"),
	})
	if c.CloseAfterReply || other.Killed {
		t.Fatal("a failed kill closed something")
	}

	// CLIENT LIST and INFO lines.
	line := `^id=%d addr=%s laddr=127\.0\.0\.1:7379 fd=%d name=%s age=\d+ idle=\d+ flags=N db=0 sub=0 psub=0 ssub=0 ` +
		`multi=-1 qbuf=\d+ qbuf-free=\d+ argv-mem=\d+ multi-mem=0 rbs=\d+ rbp=\d+ obl=0 oll=0 omem=0 tot-mem=\d+ ` +
		`events=r cmd=%s user=default redir=-1 resp=2$`
	do(s, c, "client", "setname", "me")
	r := do(s, c, "client", "list")
	body := bulkBody(t, r)
	lines := strings.Split(strings.TrimSuffix(body, "\n"), "\n")
	if len(lines) != 2 || !strings.HasSuffix(body, "\n") {
		t.Fatalf("CLIENT LIST: %q", body)
	}
	for i, want := range []string{
		fmt.Sprintf(line, 1, `1\.2\.3\.4:5`, -1, "me", `client\|list`),
		fmt.Sprintf(line, 2, `10\.0\.0\.1:1000`, 9, "", "NULL"),
	} {
		if !regexp.MustCompile(want).MatchString(lines[i]) {
			t.Errorf("CLIENT LIST line %d: got %q; want /%s/", i, lines[i], want)
		}
	}
	if !strings.Contains(lines[0], " argv-mem=10 ") {
		t.Errorf("argv-mem of 'client list': %q", lines[0])
	}
	body = bulkBody(t, do(s, c, "client", "list", "id", "2", "7"))
	if !strings.HasPrefix(body, "id=2 ") || strings.Count(body, "\n") != 1 {
		t.Errorf("CLIENT LIST ID 2: %q", body)
	}
	body = bulkBody(t, do(s, c, "client", "list", "type", "NORMAL"))
	if strings.Count(body, "\n") != 2 {
		t.Errorf("CLIENT LIST TYPE normal: %q", body)
	}
	body = bulkBody(t, do(s, c, "client", "info"))
	if !regexp.MustCompile(fmt.Sprintf(line, 1, `1\.2\.3\.4:5`, -1, "me", `client\|info`)).MatchString(strings.TrimSuffix(body, "\n")) {
		t.Errorf("CLIENT INFO: %q", body)
	}

	// Kills.
	connRun(t, s, c, []connStep{cs("+OK\r\n", "client", "kill", "10.0.0.1:1000")})
	if !other.Killed || !s.killPending {
		t.Fatal("CLIENT KILL addr did not mark the target")
	}
	other.Killed, s.killPending = false, false
	connRun(t, s, c, []connStep{cs(":1\r\n", "client", "kill", "id", "2", "skipme", "yes")})
	if !other.Killed {
		t.Fatal("CLIENT KILL ID did not mark the target")
	}
	other.Killed = false
	connRun(t, s, c, []connStep{cs(":2\r\n", "client", "kill", "type", "normal", "skipme", "no")})
	if !other.Killed || !c.CloseAfterReply || c.Killed {
		t.Fatalf("CLIENT KILL TYPE normal SKIPME no: other=%v self close=%v killed=%v", other.Killed, c.CloseAfterReply, c.Killed)
	}
	c.CloseAfterReply = false
	connRun(t, s, c, []connStep{cs("+OK\r\n", "client", "kill", "1.2.3.4:5")})
	if !c.CloseAfterReply {
		t.Fatal("old-form CLIENT KILL of self must close after reply")
	}

	help := do(s, c, "client", "help")
	if !strings.HasPrefix(help, "*48\r\n+CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n+CACHING (YES|NO)\r\n") ||
		!strings.HasSuffix(help, "+HELP\r\n+    Prints this help.\r\n") {
		t.Errorf("CLIENT HELP: %q", help)
	}
}

// bulkBody returns the content of a bulk string reply.
func bulkBody(t *testing.T, r string) string {
	t.Helper()
	if !strings.HasPrefix(r, "$") {
		t.Fatalf("not a bulk reply: %q", r)
	}
	i := strings.Index(r, "\r\n")
	body := r[i+2 : len(r)-2]
	if want := "$" + strconv.Itoa(len(body)) + "\r\n"; r[:i+2] != want {
		t.Fatalf("bulk header %q for %d bytes", r[:i+2], len(body))
	}
	return body
}
