package difftest

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const scriptDir = "../testdata/diff"

// TestScriptsRedisVsRedis runs every script with redis-server on both
// sides: it proves that the scripts are deterministic and the harness
// sound, independently of rundb.
func TestScriptsRedisVsRedis(t *testing.T) {
	a := StartRedis(t)
	b := StartRedis(t)
	RunScripts(t, scriptDir, a, b)
}

// TestHarnessDetectsDifferences checks that Compare reports a mismatch
// with script name, line, command and both replies.
func TestHarnessDetectsDifferences(t *testing.T) {
	a := StartRedis(t)
	b := StartRedis(t)
	// Put state into one side only, behind Compare's back: FLUSHALL runs
	// first, so use a config difference instead.
	c, err := Dial(a)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if r, err := c.Do("CONFIG", "SET", "maxmemory-samples", "7"); err != nil || string(r) != "+OK\r\n" {
		t.Fatalf("CONFIG SET: %q %v", r, err)
	}
	s, err := ParseScript("probe", "SET k v\nCONFIG GET maxmemory-samples\n@ignore\nCONFIG GET maxmemory-samples\nGET k\n")
	if err != nil {
		t.Fatal(err)
	}
	mms, err := Compare(s, a, b)
	if err != nil {
		t.Fatal(err)
	}
	if len(mms) != 1 {
		t.Fatalf("got %d mismatches; want 1: %v", len(mms), mms)
	}
	want := `probe:2: CONFIG GET maxmemory-samples (differ): got "*2\r\n$17\r\nmaxmemory-samples\r\n$1\r\n7\r\n"; want "*2\r\n$17\r\nmaxmemory-samples\r\n$1\r\n5\r\n"`
	if got := mms[0].Error(); got != want {
		t.Fatalf("got %q; want %q", got, want)
	}
}

func TestCloseExpectedAndRaw(t *testing.T) {
	a := StartRedis(t)
	b := StartRedis(t)
	src := "@close-expected\n@raw *1\\r\\n$-2\\r\\n\nPING\n@close-expected\nQUIT\n@conn 2\nECHO still\n"
	s, err := ParseScript("close", src)
	if err != nil {
		t.Fatal(err)
	}
	mms, err := Compare(s, a, b)
	if err != nil || len(mms) != 0 {
		t.Fatalf("got %v %v; want no mismatch", mms, err)
	}
	// A connection that stays open must be reported.
	old := ReplyTimeout
	ReplyTimeout = 300 * time.Millisecond
	defer func() { ReplyTimeout = old }()
	s, _ = ParseScript("open", "@close-expected\nPING\n")
	mms, err = Compare(s, a, b)
	if err == nil {
		t.Fatalf("got %v, nil error; want oracle failure for an open connection", mms)
	}
}

func TestParseScript(t *testing.T) {
	src := "# comment\n\nSET a 1\n@ignore\nINFO\n@conn 2\n@sorted\nKEYS *\n@sleep 10\n@close-expected\n@raw *1\\r\\n$-2\\r\\n\n@approx\nTTL a\n"
	s, err := ParseScript("t", src)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Steps) != 6 {
		t.Fatalf("got %d steps; want 6", len(s.Steps))
	}
	st := s.Steps
	if st[0].Line != 3 || st[0].Conn != 1 || string(bytes.Join(st[0].Args, []byte(" "))) != "SET a 1" {
		t.Errorf("step 0 = %+v", st[0])
	}
	if !st[1].Ignore || st[1].Line != 5 || st[1].Sorted {
		t.Errorf("step 1 = %+v", st[1])
	}
	if !st[2].Sorted || st[2].Conn != 2 || st[2].Ignore {
		t.Errorf("step 2 = %+v", st[2])
	}
	if st[3].Kind != StepSleep || st[3].Sleep != 10*time.Millisecond {
		t.Errorf("step 3 = %+v", st[3])
	}
	if st[4].Kind != StepRaw || !st[4].CloseExpected || string(st[4].Raw) != "*1\r\n$-2\r\n" || st[4].Conn != 2 {
		t.Errorf("step 4 = %+v", st[4])
	}
	if !st[5].Approx || st[5].CloseExpected {
		t.Errorf("step 5 = %+v", st[5])
	}
	for _, bad := range []string{"@ignore\n", "@bogus\nPING\n", "@sleep x\n", "@conn -1\n", "SET \"a\n", "@raw\n"} {
		if _, err := ParseScript("bad", bad); err == nil {
			t.Errorf("ParseScript(%q) succeeded; want error", bad)
		}
	}
}

func TestReadReply(t *testing.T) {
	stream := "+OK\r\n-ERR x\r\n:12\r\n$3\r\nfoo\r\n$-1\r\n*-1\r\n*0\r\n$0\r\n\r\n" +
		"*3\r\n:1\r\n*2\r\n$1\r\na\r\n$-1\r\n+x\r\n" +
		"%1\r\n+k\r\n~1\r\n,1.5\r\n_\r\n#t\r\n=7\r\ntxt:abc\r\n" +
		"$4\r\na\r\nb\r\n"
	want := []string{"+OK\r\n", "-ERR x\r\n", ":12\r\n", "$3\r\nfoo\r\n", "$-1\r\n", "*-1\r\n", "*0\r\n", "$0\r\n\r\n",
		"*3\r\n:1\r\n*2\r\n$1\r\na\r\n$-1\r\n+x\r\n",
		"%1\r\n+k\r\n~1\r\n,1.5\r\n", "_\r\n", "#t\r\n", "=7\r\ntxt:abc\r\n", "$4\r\na\r\nb\r\n"}
	r := bufio.NewReader(strings.NewReader(stream))
	for _, w := range want {
		got, err := ReadReply(r)
		if err != nil || string(got) != w {
			t.Fatalf("got %q, %v; want %q", got, err, w)
		}
	}
	if _, err := ReadReply(r); err != io.EOF {
		t.Fatalf("at end: got %v; want EOF", err)
	}
	for _, bad := range []string{"?x\r\n", "$x\r\n", "+OK\n", "$3\r\nfoobar", "*2\r\n:1\r\n", "$-2\r\n", ""} {
		_, err := ReadReply(bufio.NewReader(strings.NewReader(bad)))
		if err == nil {
			t.Errorf("ReadReply(%q) succeeded; want error", bad)
		}
	}
}

func TestCanonical(t *testing.T) {
	a := "*2\r\n$1\r\n0\r\n*3\r\n$1\r\nc\r\n$1\r\na\r\n$1\r\nb\r\n"
	b := "*2\r\n$1\r\n0\r\n*3\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\na\r\n"
	if got, want := Canonical([]byte(a)), Canonical([]byte(b)); !bytes.Equal(got, want) {
		t.Fatalf("got %q; want %q", got, want)
	}
	c := "*2\r\n$1\r\n0\r\n*3\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n"
	if bytes.Equal(Canonical([]byte(a)), Canonical([]byte(c))) {
		t.Fatalf("different members compare equal")
	}
	if got := Canonical([]byte("$-1\r\n")); string(got) != "$-1\r\n" {
		t.Fatalf("got %q; want null unchanged", got)
	}
}

func TestCompareRules(t *testing.T) {
	cases := []struct {
		st        Step
		got, want string
		same      bool
	}{
		{Step{}, ":1\r\n", ":1\r\n", true},
		{Step{}, ":1\r\n", ":2\r\n", false},
		{Step{Ignore: true}, "$3\r\nabc\r\n", "$2\r\nxy\r\n", true},
		{Step{Ignore: true}, "+OK\r\n", "-ERR\r\n", false},
		{Step{Approx: true}, ":99\r\n", ":100\r\n", true},
		{Step{Approx: true}, ":98\r\n", ":100\r\n", false},
		{Step{Approx: true}, "$1\r\n9\r\n", "$1\r\n8\r\n", false},
		{Step{Sorted: true}, "*2\r\n+a\r\n+b\r\n", "*2\r\n+b\r\n+a\r\n", true},
	}
	for i, c := range cases {
		why := compareReplies(&c.st, []byte(c.got), []byte(c.want))
		if (why == "") != c.same {
			t.Errorf("case %d: compare(%q, %q) = %q; want same=%v", i, c.got, c.want, why, c.same)
		}
	}
}

// TestDumpScript prints the oracle's replies for the scripts named in
// DIFFTEST_DUMP (comma separated), to help write and review scripts.
func TestDumpScript(t *testing.T) {
	names := os.Getenv("DIFFTEST_DUMP")
	if names == "" {
		t.Skip("set DIFFTEST_DUMP=script[,script] to print the oracle's replies")
	}
	addr := StartRedis(t)
	for _, name := range strings.Split(names, ",") {
		src, err := os.ReadFile(filepath.Join(scriptDir, name+".txt"))
		if err != nil {
			t.Fatal(err)
		}
		s, err := ParseScript(name, string(src))
		if err != nil {
			t.Fatal(err)
		}
		if err := reset(addr); err != nil {
			t.Fatal(err)
		}
		sd := &side{addr: addr, conns: map[int]*Conn{}}
		for i := range s.Steps {
			st := &s.Steps[i]
			if st.Kind == StepSleep {
				time.Sleep(st.Sleep)
				continue
			}
			r, err := runStep(sd, st)
			t.Logf("%s:%d [%d] %s -> %q %v", name, st.Line, st.Conn, st.Text, r, err)
			if err != nil {
				break
			}
		}
		sd.close()
	}
}

// TestScriptsExternal compares an already running server (for example the
// rundb binary) with redis-server: RUNDB_ADDR=127.0.0.1:7379 go test
// -run TestScriptsExternal ./engine/difftest/
func TestScriptsExternal(t *testing.T) {
	addr := os.Getenv("RUNDB_ADDR")
	if addr == "" {
		t.Skip("set RUNDB_ADDR=host:port to compare a running server with redis-server")
	}
	if err := Ping(addr); err != nil {
		t.Fatalf("%s: %v", addr, err)
	}
	RunScripts(t, scriptDir, addr, StartRedis(t))
}
