package persist

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// kvModel is a tiny engine for loads: SELECT, SET, DEL, MULTI, EXEC over
// string keys in numbered databases.
type kvModel struct {
	db   int
	data map[string]string // "db/key" -> value
	log  []string          // every applied command, space-joined
}

func newKVModel() *kvModel { return &kvModel{data: map[string]string{}} }

func (m *kvModel) apply(args [][]byte) error {
	parts := make([]string, len(args))
	for i, a := range args {
		parts[i] = string(a)
	}
	m.log = append(m.log, strings.Join(parts, " "))
	switch strings.ToUpper(parts[0]) {
	case "SELECT":
		n, err := strconv.Atoi(parts[1])
		if err != nil {
			return fmt.Errorf("ERR invalid DB index")
		}
		m.db = n
	case "SET":
		m.data[strconv.Itoa(m.db)+"/"+parts[1]] = parts[2]
	case "DEL":
		for _, k := range parts[1:] {
			delete(m.data, strconv.Itoa(m.db)+"/"+k)
		}
	case "MULTI", "EXEC":
	default:
		return fmt.Errorf("ERR unknown command '%s'", parts[0])
	}
	return nil
}

func (m *kvModel) dump() string {
	keys := make([]string, 0, len(m.data))
	for k := range m.data {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%s ", k, m.data[k])
	}
	return b.String()
}

func args(s ...string) [][]byte {
	out := make([][]byte, len(s))
	for i, a := range s {
		out[i] = []byte(a)
	}
	return out
}

// testLogf collects log lines.
type testLogf struct {
	mu    sync.Mutex
	lines []string
}

func (l *testLogf) logf(format string, a ...any) {
	l.mu.Lock()
	l.lines = append(l.lines, fmt.Sprintf(format, a...))
	l.mu.Unlock()
}

func (l *testLogf) has(sub string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, s := range l.lines {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

func openAOF(t testing.TB, dir string, f Fsync) *AOF {
	t.Helper()
	a, err := Open(Options{Dir: dir, Filename: "appendonly.aof", Fsync: f, Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func listDir(t testing.TB, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

func readFile(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// waitFor polls cond for up to 5 seconds.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// writeBase runs a whole rewrite with the given snapshot commands.
func writeBase(t testing.TB, a *AOF, cmds ...[][]byte) {
	t.Helper()
	b, err := a.BeginRewrite()
	if err != nil {
		t.Fatal(err)
	}
	finishBase(t, a, b, cmds...)
}

func finishBase(t testing.TB, a *AOF, b *BaseFile, cmds ...[][]byte) {
	t.Helper()
	var buf []byte
	for _, c := range cmds {
		buf = appendCmd(buf, c)
	}
	if _, err := b.Write(buf); err != nil {
		t.Fatal(err)
	}
	b.Close()
	waitFor(t, "base file", func() bool { d, _ := b.Result(); return d })
	if _, err := b.Result(); err != nil {
		t.Fatal(err)
	}
	if err := a.FinishRewrite(b); err != nil {
		t.Fatal(err)
	}
}

func appendCmd(b []byte, c [][]byte) []byte {
	b = append(b, fmt.Sprintf("*%d\r\n", len(c))...)
	for _, a := range c {
		b = append(b, fmt.Sprintf("$%d\r\n", len(a))...)
		b = append(b, a...)
		b = append(b, "\r\n"...)
	}
	return b
}

func cmdText(cmds ...[][]byte) string {
	var b []byte
	for _, c := range cmds {
		b = appendCmd(b, c)
	}
	return string(b)
}

// copyDir copies the regular files of src into a new dir.
func copyDir(t testing.TB, src, dst string) {
	t.Helper()
	if err := os.MkdirAll(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, n := range listDir(t, src) {
		b, err := os.ReadFile(filepath.Join(src, n))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, n), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

var _ = bytes.Equal
