package resp

import (
	"math"
	"testing"
)

func TestWriter(t *testing.T) {
	for _, tc := range []struct {
		got  []byte
		want string
	}{
		{AppendSimple(nil, "OK"), "+OK\r\n"},
		{AppendSimple(nil, "a\r\nb"), "+a  b\r\n"},
		{AppendError(nil, "ERR foo"), "-ERR foo\r\n"},
		{AppendError(nil, "ERR bad\nline\r"), "-ERR bad line \r\n"},
		{AppendInt(nil, 0), ":0\r\n"},
		{AppendInt(nil, -42), ":-42\r\n"},
		{AppendInt(nil, math.MinInt64), ":-9223372036854775808\r\n"},
		{AppendBulk(nil, []byte("foo")), "$3\r\nfoo\r\n"},
		{AppendBulk(nil, nil), "$0\r\n\r\n"},
		{AppendBulk(nil, []byte("a\r\nb")), "$4\r\na\r\nb\r\n"},
		{AppendBulkString(nil, "héllo"), "$6\r\nhéllo\r\n"},
		{AppendBulkHeader(nil, 10), "$10\r\n"},
		{AppendNull(nil), "$-1\r\n"},
		{AppendNullArray(nil), "*-1\r\n"},
		{AppendArrayLen(nil, 3), "*3\r\n"},
		{AppendArrayLen(nil, 0), "*0\r\n"},
		{AppendBulkInt(nil, 12345), "$5\r\n12345\r\n"},
		{AppendBulkInt(nil, math.MinInt64), "$20\r\n-9223372036854775808\r\n"},
		{AppendArrayLen(AppendSimple([]byte("x"), "OK"), 1), "x+OK\r\n*1\r\n"},
	} {
		if string(tc.got) != tc.want {
			t.Errorf("got %q; want %q", tc.got, tc.want)
		}
	}
}

func TestWriterNoAllocs(t *testing.T) {
	buf := make([]byte, 0, 4096)
	val := []byte("some value bytes")
	a := testing.AllocsPerRun(1000, func() {
		b := buf[:0]
		b = AppendSimple(b, "OK")
		b = AppendError(b, "ERR wrong number of arguments")
		b = AppendInt(b, -123456789)
		b = AppendBulk(b, val)
		b = AppendBulkString(b, "string value")
		b = AppendBulkHeader(b, 3)
		b = AppendNull(b)
		b = AppendNullArray(b)
		b = AppendArrayLen(b, 7)
		b = AppendBulkInt(b, 987654321)
		buf = b
	})
	if a != 0 {
		t.Fatalf("%v allocs per run; want 0", a)
	}
}

func TestLongDoubleFormat(t *testing.T) {
	for _, tc := range []struct {
		f    float64
		want string
	}{
		{10.5 + 0.1, "10.6"},
		{5.0e3, "5000"},
		{1e20, "100000000000000000000"},
		{1e-5, "0.00001"},
		{1000.1, "1000.09999999999999998"},
		{1e30, "1000000000000000000024696061952"},
		{math.Copysign(0, -1), "0"},
		{-1e-20, "0"},
		{1.2345678901234567, "1.2345678901234567"},
		{math.Inf(1), "inf"},
		{math.Inf(-1), "-inf"},
	} {
		if got := FormatLongDouble(tc.f); got != tc.want {
			t.Errorf("FormatLongDouble(%v): got %q; want %q", tc.f, got, tc.want)
		}
	}
	a, _ := ParseLongDouble([]byte("0.1"))
	b, _ := ParseLongDouble([]byte("0.2"))
	sum, ok := AddLongDouble(a, b)
	if !ok || FormatBigLongDouble(sum) != "0.3" {
		t.Errorf("0.1+0.2: got %v %q; want \"0.3\"", ok, FormatBigLongDouble(sum))
	}
	for _, s := range []string{"", " 1", "1 ", "nan", "1e", ".", "0x", "1/2", "1_0", "1e5000", "1e-5000", "--1"} {
		if _, ok := ParseLongDouble([]byte(s)); ok {
			t.Errorf("ParseLongDouble(%q) accepted", s)
		}
	}
	for s, want := range map[string]string{"0x10": "16", "0x1.8p1": "3", "5.": "5", ".5": "0.5",
		"+1.5": "1.5", "0e99999": "0", "-inf": "-inf", "INFINITY": "inf"} {
		x, ok := ParseLongDouble([]byte(s))
		if !ok || FormatBigLongDouble(x) != want {
			t.Errorf("ParseLongDouble(%q): ok=%v %q; want %q", s, ok, FormatBigLongDouble(x), want)
		}
	}
}

func BenchmarkWriter(b *testing.B) {
	buf := make([]byte, 0, 4096)
	val := []byte("some value bytes of moderate size")
	b.ReportAllocs()
	for range b.N {
		buf = buf[:0]
		buf = AppendArrayLen(buf, 4)
		buf = AppendBulk(buf, val)
		buf = AppendInt(buf, 42)
		buf = AppendSimple(buf, "OK")
		buf = AppendNull(buf)
	}
	b.SetBytes(int64(len(buf)))
}

func TestAppendCommand(t *testing.T) {
	got := string(AppendCommand([]byte("x"), []byte("SET"), []byte("k"), []byte("")))
	if want := "x*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}
