package persist

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestNames(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{ManifestName("appendonly.aof"), "appendonly.aof.manifest"},
		{BaseName("appendonly.aof", 1), "appendonly.aof.1.base.aof"},
		{IncrName("appendonly.aof", 12), "appendonly.aof.12.incr.aof"},
		{tempManifestName("x.aof"), "temp-x.aof.manifest"},
	} {
		if c.got != c.want {
			t.Errorf("got %q; want %q", c.got, c.want)
		}
	}
}

func TestManifestRoundTrip(t *testing.T) {
	m := &Manifest{
		Base:    &FileInfo{Name: "appendonly.aof.3.base.aof", Seq: 3, Type: TypeBase},
		History: []FileInfo{{Name: "appendonly.aof.2.base.aof", Seq: 2, Type: TypeHistory}},
		Incrs: []FileInfo{
			{Name: "appendonly.aof.4.incr.aof", Seq: 4, Type: TypeIncr},
			{Name: "my log \"x\"\\\n\x01é.5.incr.aof", Seq: 5, Type: TypeIncr},
		},
	}
	text := m.Marshal()
	want := "file appendonly.aof.3.base.aof seq 3 type b\n" +
		"file appendonly.aof.2.base.aof seq 2 type h\n" +
		"file appendonly.aof.4.incr.aof seq 4 type i\n" +
		"file \"my log \\\"x\\\"\\\\\\n\\x01\\xc3\\xa9.5.incr.aof\" seq 5 type i\n"
	if string(text) != want {
		t.Fatalf("got %q; want %q", text, want)
	}
	got, err := ParseManifest(strings.NewReader(string(text)), "m")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, m) {
		t.Fatalf("got %+v; want %+v", got, m)
	}
}

// TestManifestTolerant: comments, single and double quotes, unknown keys,
// keys in any order, CRLF and a last line without newline.
func TestManifestTolerant(t *testing.T) {
	text := "# written by hand\n" +
		"file 'appendonly.aof.1.base.aof' seq 1 type b\r\n" +
		"\n" +
		"type i seq 1 file \"appendonly.aof.1.incr.aof\" startoffset 10 endoffset 20\n" +
		"FILE appendonly.aof.2.incr.aof SEQ 2 TYPE i"
	m, err := ParseManifest(strings.NewReader(text), "m")
	if err != nil {
		t.Fatal(err)
	}
	want := &Manifest{
		Base: &FileInfo{Name: "appendonly.aof.1.base.aof", Seq: 1, Type: TypeBase},
		Incrs: []FileInfo{
			{Name: "appendonly.aof.1.incr.aof", Seq: 1, Type: TypeIncr},
			{Name: "appendonly.aof.2.incr.aof", Seq: 2, Type: TypeIncr},
		},
	}
	if !reflect.DeepEqual(m, want) {
		t.Fatalf("got %+v; want %+v", m, want)
	}
}

func TestManifestRefused(t *testing.T) {
	ok := "file a.1.base.aof seq 1 type b\n"
	for _, c := range []struct {
		text string
		line int
		msg  string
	}{
		{"", 0, "empty AOF manifest"},
		{"# only a comment\n", 0, "empty AOF manifest"},
		{ok + "file a.1.incr.aof seq 1\n", 2, "invalid AOF manifest file format"},
		{ok + "file a.1.incr.aof seq 1 type i extra\n", 2, "invalid AOF manifest file format"},
		{ok + "file a.1.incr.aof seq 1 kind i\n", 2, "invalid AOF manifest file format"},
		{ok + "file a.1.incr.aof seq x type i\n", 2, "invalid sequence number"},
		{ok + "file a.1.incr.aof seq 1 type z\n", 2, "unknown AOF file type"},
		{ok + "file a.1.incr.aof seq 1 type ii\n", 2, "unknown AOF file type"},
		{ok + ok, 2, "duplicate base"},
		{"file a.2.incr.aof seq 2 type i\nfile a.1.incr.aof seq 1 type i\n", 2, "non-monotonic"},
		{"file a.2.incr.aof seq 2 type i\nfile a.2.incr.aof seq 2 type i\n", 2, "non-monotonic"},
		{"file ../../etc/passwd seq 1 type b\n", 1, "can't be a path"},
		{"file \"/tmp/x\" seq 1 type i\n", 1, "can't be a path"},
		{"file .. seq 1 type i\n", 1, "can't be a path"},
		{"file \"a.1.incr.aof seq 1 type i\n", 1, "unbalanced quotes"},
		{"file \"a\"b seq 1 type i\n", 1, "unbalanced quotes"},
		{"file " + strings.Repeat("x", 2000) + " seq 1 type i\n", 1, "too long"},
	} {
		_, err := ParseManifest(strings.NewReader(c.text), "/d/appendonly.aof.manifest")
		var me *ManifestError
		if !errors.As(err, &me) {
			t.Errorf("%q: got %v; want a *ManifestError", c.text, err)
			continue
		}
		if me.Line != c.line || !strings.Contains(me.Msg, c.msg) || me.Path != "/d/appendonly.aof.manifest" {
			t.Errorf("%q: got line %d %q; want line %d %q", c.text, me.Line, me.Msg, c.line, c.msg)
		}
		if !strings.Contains(err.Error(), "/d/appendonly.aof.manifest") {
			t.Errorf("error %q does not name the file", err)
		}
	}
}

func TestSplitArgs(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string
	}{
		{"  a  b\tc ", []string{"a", "b", "c"}},
		{`"a b" 'c d'`, []string{"a b", "c d"}},
		{`"\x41\x4a\n" 'it\'s'`, []string{"AJ\n", "it's"}},
		{`""`, []string{""}},
	} {
		got, ok := splitArgs(c.in)
		if !ok || !reflect.DeepEqual(got, c.want) {
			t.Errorf("splitArgs(%q) = %q, %v; want %q", c.in, got, ok, c.want)
		}
	}
}

// TestOpenRemovesStaleTemps: a temp base file a crash left is deleted when
// the directory is opened; the manifest's files are not touched.
func TestOpenRemovesStaleTemps(t *testing.T) {
	dir := t.TempDir()
	stale := filepath.Join(dir, "temp-rewriteaof-123-1.aof")
	keep := filepath.Join(dir, "appendonly.aof.1.base.aof")
	os.WriteFile(stale, []byte("*1\r\n$4\r\nPING\r\n"), 0o644)
	os.WriteFile(keep, nil, 0o644)
	os.WriteFile(filepath.Join(dir, "appendonly.aof.manifest"), []byte("file appendonly.aof.1.base.aof seq 1 type b\n"), 0o644)
	if _, err := Open(Options{Dir: dir, Filename: "appendonly.aof"}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("stale temp file still there: %v", err)
	}
	if _, err := os.Stat(keep); err != nil {
		t.Errorf("base file gone: %v", err)
	}
}
