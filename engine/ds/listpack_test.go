package ds

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"rundb/engine/mem"
)

// The header comment's worked example, byte for byte.
func TestListpackWorkedExample(t *testing.T) {
	a := newExact()
	l := NewListpack(a)
	for i, v := range []string{"hi", "5", "-100", "5000"} {
		l.Insert(a, i, []byte(v))
	}
	got := hex.EncodeToString(l.Bytes(a))
	want := "14000000" + "0400" + "82686903" + "0501" + "df9c02" + "f1881303" + "ff"
	if got != want {
		t.Fatalf("got %s; want %s", got, want)
	}
	l.Free(a)
	checkLive(t, a, 0)
}

// Every integer width and string length form round-trips, at its
// boundaries, and validates.
func TestListpackEncodings(t *testing.T) {
	a := newExact()
	l := NewListpack(a)
	var vals []string
	for _, n := range []int64{0, 127, 128, -1, -4096, 4095, 4096, -4097, 32767, -32768, 32768,
		1<<23 - 1, -1 << 23, 1 << 23, 1<<31 - 1, -1 << 31, 1 << 31, 1<<63 - 1, -1 << 63} {
		vals = append(vals, strconv.FormatInt(n, 10))
	}
	for _, n := range []int{0, 1, 63, 64, 127, 128, 4095, 4096, 16383, 16384, 70000} {
		vals = append(vals, strings.Repeat("x", n))
	}
	vals = append(vals, "007", "-0", "+1", "1 ", "18446744073709551616")
	for i, v := range vals {
		l.Insert(a, i, []byte(v))
	}
	b := l.Bytes(a)
	if !lpValidate(b) {
		t.Fatalf("invalid listpack")
	}
	for i, v := range vals {
		if got := l.Get(a, i).Append(nil); string(got) != v {
			t.Fatalf("entry %d: got %q; want %q", i, got, v)
		}
		if !l.Get(a, i).Equal([]byte(v)) {
			t.Fatalf("entry %d: not Equal to %q", i, v)
		}
	}
	// Backwards too.
	off, i := lpLast(b), len(vals)-1
	for ; off >= 0; off, i = lpPrev(b, off), i-1 {
		if got := lpGet(b, off).Append(nil); string(got) != vals[i] {
			t.Fatalf("backwards %d: got %q; want %q", i, got, vals[i])
		}
	}
	if i != -1 {
		t.Fatalf("backwards walk stopped at %d", i)
	}
	l.Free(a)
	checkLive(t, a, 0)
}

func FuzzListpack(f *testing.F) {
	f.Add([]byte{0, 1, 2, 0, 3, 1, 0, 0, 2, 1, 1})
	f.Add([]byte{0, 200, 0, 0, 250, 1, 1, 2, 3, 0, 9, 9})
	f.Fuzz(func(t *testing.T, data []byte) { fuzzListpack(t, newExact(), data) })
}

// fuzzListpack decodes data into {op, index, value} triples and applies them
// to a listpack and to a [][]byte model, comparing after each.
func fuzzListpack(t *testing.T, a mem.Allocator, data []byte) {
	if len(data) > 3*500 {
		data = data[:3*500]
	}
	l := NewListpack(a)
	var model [][]byte
	value := func(x byte) []byte {
		switch x % 8 {
		case 0:
			return []byte(strconv.Itoa(int(x) - 128))
		case 1:
			return []byte(strconv.FormatInt(int64(x)<<40-1, 10))
		case 2:
			return bytes.Repeat([]byte{'a' + x%26}, int(x)*20) // up to 5100: 12-bit and 32-bit lengths
		case 3:
			return []byte("0" + strconv.Itoa(int(x)))
		case 4:
			return []byte(strconv.Itoa(int(x) * 1000))
		case 5:
			return nil
		}
		return []byte(fmt.Sprintf("s%d", x))
	}
	for len(data) >= 3 {
		op, x, y := data[0], int(data[1]), data[2]
		data = data[3:]
		switch op % 4 {
		case 0, 1: // insert
			i := x % (len(model) + 1)
			v := value(y)
			l.Insert(a, i, v)
			model = append(model[:i], append([][]byte{v}, model[i:]...)...)
		case 2: // delete a run
			if len(model) == 0 {
				continue
			}
			i := x % len(model)
			n := 1 + int(y)%min(3, len(model)-i)
			l.Delete(a, i, n)
			model = append(model[:i], model[i+n:]...)
		case 3: // replace
			if len(model) == 0 {
				continue
			}
			i := x % len(model)
			v := value(y)
			l.Replace(a, i, v)
			model[i] = v
		}
		b := l.Bytes(a)
		if !lpValidate(b) {
			t.Fatalf("invalid listpack after op %d", op)
		}
		if got := l.Len(a); got != len(model) {
			t.Fatalf("len: got %d; want %d", got, len(model))
		}
		i := 0
		for off := lpFirst(b); off >= 0; off = lpNext(b, off) {
			if got := lpGet(b, off).Append(nil); !bytes.Equal(got, model[i]) {
				t.Fatalf("entry %d: got %q; want %q", i, got, model[i])
			}
			i++
		}
	}
	l.Free(a)
	checkLive(t, a, 0)
}
