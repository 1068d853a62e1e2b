package persist

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeDir makes an append directory by hand: a base and increments with
// the given contents.
func writeDir(t *testing.T, base string, incrs ...string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "appendonlydir")
	os.MkdirAll(dir, 0o755)
	m := &Manifest{Base: &FileInfo{Name: BaseName("appendonly.aof", 1), Seq: 1, Type: TypeBase}}
	os.WriteFile(filepath.Join(dir, m.Base.Name), []byte(base), 0o644)
	for i, c := range incrs {
		fi := FileInfo{Name: IncrName("appendonly.aof", int64(i+1)), Seq: int64(i + 1), Type: TypeIncr}
		m.Incrs = append(m.Incrs, fi)
		os.WriteFile(filepath.Join(dir, fi.Name), []byte(c), 0o644)
	}
	os.WriteFile(filepath.Join(dir, "appendonly.aof.manifest"), m.Marshal(), 0o644)
	return dir
}

// TestTruncatedEveryOffset cuts the last file at every byte offset: with
// truncatedOK the load gives the commands up to the last whole one (a
// transaction counts as one) and the file is cut there; without it the
// load is refused and the file left as it was.
func TestTruncatedEveryOffset(t *testing.T) {
	base := cmdText(args("SELECT", "0"), args("SET", "base", "1"))
	cmds := [][][]byte{
		args("SELECT", "0"), args("SET", "a", "1"), args("SET", "b", "22"),
		args("MULTI"), args("SET", "c", "3"), args("DEL", "a"), args("EXEC"),
		args("SELECT", "5"), args("SET", "d", ""),
	}
	// units: the byte offsets where a whole unit (command, or transaction)
	// ends, and the kvModel state after it.
	type unit struct {
		end  int64
		dump string
	}
	var units []unit
	full := ""
	m := newKVModel()
	m.apply(args("SET", "base", "1"))
	inTx := false
	for _, c := range cmds {
		full += cmdText(c)
		m.apply(c)
		switch strings.ToUpper(string(c[0])) {
		case "MULTI":
			inTx = true
		case "EXEC":
			inTx = false
		}
		if !inTx {
			units = append(units, unit{int64(len(full)), m.dump()})
		}
	}
	for cut := 0; cut <= len(full); cut++ {
		var want unit // the last whole unit at or before cut
		for _, u := range units {
			if u.end <= int64(cut) {
				want = u
			}
		}
		if want.end == 0 {
			want.dump = "0/base=1 "
		}
		whole := want.end == int64(cut)
		for _, ok := range []bool{false, true} {
			dir := writeDir(t, base, full[:cut])
			incr := filepath.Join(dir, "appendonly.aof.1.incr.aof")
			a := openAOF(t, dir, FsyncNo)
			lm := newKVModel()
			st, err := a.Load(lm.apply, ok, nil)
			switch {
			case whole || ok:
				if err != nil {
					t.Fatalf("cut %d ok=%v: %v", cut, ok, err)
				}
				if lm.dump() != want.dump {
					t.Fatalf("cut %d: got %q; want %q", cut, lm.dump(), want.dump)
				}
				if st.Truncated != !whole {
					t.Fatalf("cut %d: Truncated %v", cut, st.Truncated)
				}
				if got := readFile(t, incr); got != full[:want.end] {
					t.Fatalf("cut %d: file after load %q; want %q", cut, got, full[:want.end])
				}
				if sz := a.Status().CurrentSize; sz != int64(len(base))+want.end {
					t.Fatalf("cut %d: CurrentSize %d", cut, sz)
				}
			default:
				var le *LoadError
				if !errors.As(err, &le) || !le.Truncated || le.File != incr || le.Offset != want.end {
					t.Fatalf("cut %d: got %v; want a truncation error at %d", cut, err, want.end)
				}
				if got := readFile(t, incr); got != full[:cut] {
					t.Fatalf("cut %d: refused file was modified", cut)
				}
			}
		}
	}
}

// A cut-off file that is not the last one is corruption, even with
// truncatedOK, and nothing is modified.
func TestTruncatedNotLast(t *testing.T) {
	whole := cmdText(args("SET", "a", "1"))
	dir := writeDir(t, whole[:len(whole)-3], whole)
	_, err := openAOF(t, dir, FsyncNo).Load(newKVModel().apply, true, nil)
	var le *LoadError
	if !errors.As(err, &le) || !strings.Contains(le.Msg, "not the last file") || le.Offset != 0 {
		t.Fatalf("got %v", err)
	}
	if got := readFile(t, filepath.Join(dir, "appendonly.aof.1.base.aof")); got != whole[:len(whole)-3] {
		t.Fatal("base modified")
	}
}

// Bytes that are not commands are refused with the offset, and the file is
// never modified.
func TestLoadCorrupt(t *testing.T) {
	good := cmdText(args("SET", "a", "1"))
	for _, c := range []struct {
		tail string
		off  int
		msg  string
	}{
		{"garbage\r\n", 0, "expected '*'"},
		{"*2\r\n$3\r\nGET\r\n:1\r\n", 13, "expected '$'"},
		{"*x\r\n", 0, "invalid multibulk length"},
		{"*0\r\n", 0, "invalid multibulk length"},
		{"*1\r\n$-1\r\n", 4, "invalid bulk length"},
		{"*1\r\n$3\r\nGETxx", 11, "not followed by CRLF"},
		{"*1\r\n$3x\r\nGET\r\n", 4, "invalid bulk length"},
		{"*1\n$3\r\nGET\r\n", 0, "invalid multibulk length"},
		{"\r\n", 0, "expected '*'"},
	} {
		dir := writeDir(t, good, good+c.tail)
		incr := filepath.Join(dir, "appendonly.aof.1.incr.aof")
		_, err := openAOF(t, dir, FsyncNo).Load(newKVModel().apply, true, nil)
		var le *LoadError
		if !errors.As(err, &le) || le.Truncated || le.File != incr || le.Offset != int64(len(good)+c.off) || !strings.Contains(le.Msg, c.msg) {
			t.Errorf("%q: got %v; want %q at %d", c.tail, err, c.msg, len(good)+c.off)
		}
		if got := readFile(t, incr); got != good+c.tail {
			t.Errorf("%q: file modified", c.tail)
		}
	}
}

func TestLoadApplyError(t *testing.T) {
	good := cmdText(args("SET", "a", "1"))
	dir := writeDir(t, "", good+cmdText(args("BOGUS", "x")))
	_, err := openAOF(t, dir, FsyncNo).Load(newKVModel().apply, true, nil)
	var le *LoadError
	if !errors.As(err, &le) || le.Offset != int64(len(good)) || !strings.Contains(err.Error(), "unknown command 'BOGUS'") ||
		!strings.Contains(err.Error(), "appendonly.aof.1.incr.aof") {
		t.Fatalf("got %v", err)
	}
}

func TestLoadAnnotationsAndProgress(t *testing.T) {
	big := strings.Repeat("v", 3<<20)
	base := "#TS:1700000000\r\n" + cmdText(args("SET", "a", big), args("SET", "b", big))
	dir := writeDir(t, base, cmdText(args("SET", "c", "1")), "")
	var calls [][2]int64
	m := newKVModel()
	st, err := openAOF(t, dir, FsyncNo).Load(m.apply, false, func(done, total int64) { calls = append(calls, [2]int64{done, total}) })
	if err != nil {
		t.Fatal(err)
	}
	total := int64(len(base) + len(cmdText(args("SET", "c", "1"))))
	if st.Commands != 3 || st.Files != 3 || st.Bytes != total || st.Truncated {
		t.Fatalf("stats %+v", st)
	}
	if len(calls) < 2 || calls[len(calls)-1] != [2]int64{total, total} || calls[0][0] >= total {
		t.Fatalf("progress calls %v", calls)
	}
	if m.data["0/a"] != big || m.data["0/c"] != "1" {
		t.Fatal("wrong data")
	}
}

func TestLoadRefusals(t *testing.T) {
	// A file the manifest lists is missing.
	dir := writeDir(t, "", "")
	os.Remove(filepath.Join(dir, "appendonly.aof.1.incr.aof"))
	if _, err := openAOF(t, dir, FsyncNo).Load(newKVModel().apply, true, nil); err == nil || !strings.Contains(err.Error(), "appendonly.aof.1.incr.aof") {
		t.Fatalf("missing file: %v", err)
	}
	// An RDB preamble.
	dir = writeDir(t, "REDIS0010\xfa\x09redis-ver")
	if _, err := openAOF(t, dir, FsyncNo).Load(newKVModel().apply, true, nil); err == nil || !strings.Contains(err.Error(), "RDB") {
		t.Fatalf("RDB preamble: %v", err)
	}
	// A malformed manifest: Open names the file and line.
	dir = writeDir(t, "")
	os.WriteFile(filepath.Join(dir, "appendonly.aof.manifest"), []byte("file x seq 1 type q\n"), 0o644)
	if _, err := Open(Options{Dir: dir, Filename: "appendonly.aof"}); err == nil || !strings.Contains(err.Error(), "appendonly.aof.manifest, line 1") {
		t.Fatalf("bad manifest: %v", err)
	}
	if _, err := Open(Options{Dir: dir, Filename: "../x"}); err == nil {
		t.Fatal("a path as appendfilename")
	}
	// No manifest: nothing to load.
	a := openAOF(t, filepath.Join(t.TempDir(), "none"), FsyncNo)
	if st, err := a.Load(newKVModel().apply, false, nil); err != nil || st.Files != 0 || a.Exists() {
		t.Fatalf("empty: %+v %v", st, err)
	}
}

// BenchmarkLoad replays a base of 100,000 SETs into an apply that does
// nothing: the parsing and reading cost of a load.
func BenchmarkLoad(b *testing.B) {
	var base []byte
	for i := 0; i < 100000; i++ {
		base = appendCmd(base, args("SET", "key:"+itoa(i), "value-value-value-"+itoa(i)))
	}
	dir := filepath.Join(b.TempDir(), "appendonlydir")
	os.MkdirAll(dir, 0o755)
	m := &Manifest{Base: &FileInfo{Name: BaseName("appendonly.aof", 1), Seq: 1, Type: TypeBase}}
	os.WriteFile(filepath.Join(dir, m.Base.Name), base, 0o644)
	os.WriteFile(filepath.Join(dir, "appendonly.aof.manifest"), m.Marshal(), 0o644)
	a := openAOF(b, dir, FsyncNo)
	b.SetBytes(int64(len(base)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		st, err := a.Load(func([][]byte) error { return nil }, false, nil)
		if err != nil || st.Commands != 100000 {
			b.Fatal(st, err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/100000, "ns/cmd")
}

// FuzzLoad loads arbitrary bytes as the last increment: Load never panics;
// a refused file is left as it was; a file it loads (truncating it if cut
// off) loads again, untouched, with the same commands.
func FuzzLoad(f *testing.F) {
	f.Add([]byte(cmdText(args("SET", "a", "1"), args("MULTI"), args("DEL", "a"), args("EXEC"))))
	f.Add([]byte("#TS:1\r\n*1\r\n$4\r\nPING\r\n*2\r\n$3"))
	f.Add([]byte("*1\r\n$-1\r\n"))
	f.Add([]byte("*3\r\n$3\r\nSET\r\n$1\r\na\r\n$10000000000\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := writeDir(t, "", string(data))
		incr := filepath.Join(dir, "appendonly.aof.1.incr.aof")
		var got []string
		apply := func(a [][]byte) error {
			got = append(got, string(appendCmd(nil, a)))
			return nil
		}
		st, err := openAOF(t, dir, FsyncNo).Load(apply, true, nil)
		after := readFile(t, incr)
		if err != nil {
			if after != string(data) {
				t.Fatalf("refused (%v) and modified", err)
			}
			return
		}
		if !strings.HasPrefix(string(data), after) || st.Truncated != (after != string(data)) {
			t.Fatalf("loaded: file %q from %q, Truncated %v", after, data, st.Truncated)
		}
		first := got
		got = nil
		st2, err := openAOF(t, dir, FsyncNo).Load(apply, false, nil)
		if err != nil || st2.Truncated || readFile(t, incr) != after || strings.Join(got, "") != strings.Join(first, "") {
			t.Fatalf("second load: %v %+v", err, st2)
		}
	})
}
