package ds

import (
	"bytes"
	"encoding/hex"
	"strconv"
	"testing"

	"rundb/engine/mem"
)

// The header comment's worked example.
func TestQuicklistWorkedExample(t *testing.T) {
	a := newExact()
	q := NewQuicklist(a, -2, 0)
	q.PushTail([]byte("a"))
	q.PushTail([]byte("7"))
	if got, want := hex.EncodeToString(q.h[qlCount:]), "0200000000000000"+"01000000"+"feff"+"0000"; got != want {
		t.Fatalf("header: got %s; want %s", got, want)
	}
	n := q.get(qlHead)
	if q.get(qlTail) != n {
		t.Fatalf("one node: head %d, tail %d", n, q.get(qlTail))
	}
	if got, want := hex.EncodeToString(a.Bytes(n, 28)), "0000000000000000"+"0000000000000000"+"0c000000"+"0200"+"816102"+"0701"+"ff"; got != want {
		t.Fatalf("node: got %s; want %s", got, want)
	}
	q.Free()
	checkLive(t, a, 0)
}

// A 16-byte element takes 18 listpack bytes: with fill -2 (8 KB) a node
// holds (8192-7)/18 = 454 of them; with fill 5, five.
func TestQuicklistFill(t *testing.T) {
	a := newExact()
	for _, tc := range []struct{ fill, n, nodes int }{{-2, 454, 1}, {-2, 455, 2}, {-1, 227, 1}, {-1, 228, 2}, {5, 5, 1}, {5, 11, 3}} {
		q := NewQuicklist(a, tc.fill, 0)
		for i := 0; i < tc.n; i++ {
			q.PushTail([]byte("abcdefghijklmnop"))
		}
		if q.Nodes() != tc.nodes {
			t.Errorf("fill %d, %d elements: got %d nodes; want %d", tc.fill, tc.n, q.Nodes(), tc.nodes)
		}
		if msg := q.check(); msg != "" {
			t.Fatal(msg)
		}
		c := q.Copy()
		q.Free()
		if c.Len() != tc.n || c.check() != "" {
			t.Fatalf("copy: len %d, %s", c.Len(), c.check())
		}
		c.Free()
	}
	checkLive(t, a, 0)
}

func FuzzQuicklist(f *testing.F) {
	f.Add([]byte{3, 0, 1, 2, 0, 3, 1, 0, 0, 2, 1, 1})
	split := []byte{2} // fill 2 entries per node: splits at once
	for i := 0; i < 30; i++ {
		split = append(split, 0, byte(i*37), byte(i))
	}
	split = append(split, 2, 3, 4, 3, 5, 5, 6, 1, 200, 7, 0, 1)
	f.Add(split)
	f.Fuzz(func(t *testing.T, data []byte) { fuzzQuicklist(t, newExact(), data) })
}

// fuzzQuicklist decodes data[0] into a fill (-5..-1 or 1..6) and the rest
// into {op, x, y} triples applied to a quicklist and a [][]byte model.
func fuzzQuicklist(t *testing.T, a mem.Allocator, data []byte) {
	if len(data) == 0 {
		return
	}
	fill := int(data[0]%11) - 5
	if fill >= 0 {
		fill++
	}
	data = data[1:]
	if len(data) > 3*1000 {
		data = data[:3*1000]
	}
	q := NewQuicklist(a, fill, 0)
	var model [][]byte
	value := func(x byte) []byte {
		switch x % 6 {
		case 0:
			return []byte(strconv.Itoa(int(x) % 7))
		case 1:
			return bytes.Repeat([]byte{'a' + x%5}, int(x)*16) // up to 4 KB: fills nodes fast
		case 2:
			return []byte(strconv.FormatInt(int64(x)<<30, 10))
		}
		return []byte{'v', '0' + x%4}
	}
	for len(data) >= 3 {
		op, x, y := data[0], int(data[1]), data[2]
		data = data[3:]
		switch op % 8 {
		case 0: // push tail
			v := value(y)
			q.PushTail(v)
			model = append(model, v)
		case 1: // push head
			v := value(y)
			q.PushHead(v)
			model = append([][]byte{v}, model...)
		case 2: // insert anywhere
			i := x % (len(model) + 1)
			v := value(y)
			q.Insert(i, v)
			model = append(model[:i], append([][]byte{v}, model[i:]...)...)
		case 3: // pop
			got, ok := q.Pop(y%2 == 0, nil)
			if ok != (len(model) > 0) {
				t.Fatalf("pop: ok %v with %d elements", ok, len(model))
			}
			if !ok {
				continue
			}
			var want []byte
			if y%2 == 0 {
				want, model = model[0], model[1:]
			} else {
				want, model = model[len(model)-1], model[:len(model)-1]
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("pop: got %q; want %q", got, want)
			}
		case 4: // delete a range
			if len(model) == 0 {
				continue
			}
			i := x % len(model)
			n := 1 + int(y)%(len(model)-i)
			q.Delete(i, n)
			model = append(model[:i], model[i+n:]...)
		case 5: // replace
			if len(model) == 0 {
				continue
			}
			i := x % len(model)
			v := value(y)
			q.Replace(i, v)
			model[i] = v
		case 6: // remove matches
			v := value(y)
			max := x%5 - 2
			want := 0
			if max >= 0 {
				var out [][]byte
				for _, m := range model {
					if bytes.Equal(m, v) && (max == 0 || want < max) {
						want++
						continue
					}
					out = append(out, m)
				}
				model = out
			} else {
				for j := len(model) - 1; j >= 0 && want < -max; j-- {
					if bytes.Equal(model[j], v) {
						model = append(model[:j], model[j+1:]...)
						want++
					}
				}
			}
			if got := q.Remove(v, max); got != want {
				t.Fatalf("remove %q %d: got %d; want %d", v, max, got, want)
			}
		case 7: // index and reverse range
			if len(model) == 0 {
				continue
			}
			i := x % len(model)
			e, ok := q.Index(i - len(model)*(int(y)%2))
			if !ok || !bytes.Equal(e.Append(nil), model[i]) {
				t.Fatalf("index %d: got %q; want %q", i, e.Append(nil), model[i])
			}
			j := i
			q.Range(0, i, true, func(e Elem) bool {
				if !bytes.Equal(e.Append(nil), model[j]) {
					t.Fatalf("reverse range at %d: got %q; want %q", j, e.Append(nil), model[j])
				}
				j--
				return true
			})
			if j != -1 {
				t.Fatalf("reverse range stopped at %d", j)
			}
		}
		if msg := q.check(); msg != "" {
			t.Fatalf("after op %d: %s", op%8, msg)
		}
		if q.Len() != len(model) {
			t.Fatalf("len: got %d; want %d", q.Len(), len(model))
		}
		if len(model) > 0 {
			i := 0
			q.Range(0, len(model)-1, false, func(e Elem) bool {
				if !bytes.Equal(e.Append(nil), model[i]) {
					t.Fatalf("element %d: got %q; want %q", i, e.Append(nil), model[i])
				}
				i++
				return true
			})
		}
	}
	c := q.Copy()
	q.Free()
	if c.check() != "" || c.Len() != len(model) {
		t.Fatalf("copy: %s", c.check())
	}
	c.Free()
	checkLive(t, a, 0)
}
