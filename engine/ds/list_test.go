package ds

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"strconv"
	"testing"

	"rundb/engine/mem"
)

// The header comment's worked example, and entry.go's list entry on it.
func TestListWorkedExample(t *testing.T) {
	a := newExact()
	l := NewList(a, -2, 0)
	l.PushTail([]byte("a"))
	l.PushTail([]byte("7"))
	if !l.Bare() || l.Nodes() != 1 || l.Len() != 2 {
		t.Fatalf("bare %v, nodes %d, len %d", l.Bare(), l.Nodes(), l.Len())
	}
	if got, want := hex.EncodeToString(a.Bytes(l.r, 16)), "feff"+"0000"+"0c000000"+"0200"+"816102"+"0701"+"ff"; got != want {
		t.Fatalf("block: got %s; want %s", got, want)
	}
	e := NewContainer(a, TypeList, EncListpack, []byte("l"), l.r, 0, false, 0)
	ref := hex.EncodeToString(binary.LittleEndian.AppendUint64(nil, uint64(l.r)))
	if got, want := hex.EncodeToString(a.Bytes(e.Ref(), e.Size())), "13"+"000000"+"01"+"6c"+ref; got != want || e.Size() != 14 {
		t.Fatalf("entry: got %s (%d bytes); want %s", got, e.Size(), want)
	}
	if OpenList(a, e.ContainerOf()).Len() != 2 || e.ContainerOf().Len(a) != 2 {
		t.Fatal("entry's list")
	}
	e.Free(a) // frees the list with it
	checkLive(t, a, 0)
}

// A small list is two blocks (entry aside: one), a list past one node a
// quicklist; shrinking to half a node's fill makes it bare again, and not
// before (no conversion each time at the boundary).
func TestListForms(t *testing.T) {
	a := newExact()
	v := []byte("abcdefghijklmnop") // 18 listpack bytes: 454 fit 8 KB
	l := NewList(a, -2, 0)
	for i := 0; i < 454; i++ {
		l.PushTail(v)
	}
	if !l.Bare() {
		t.Fatal("454 elements: want bare")
	}
	checkLive(t, a, 1)
	l.PushTail(v)
	if l.Bare() || l.Nodes() != 2 {
		t.Fatalf("455 elements: bare %v, %d nodes; want a quicklist of 2", l.Bare(), l.Nodes())
	}
	checkLive(t, a, 3)
	l.PushHead(v) // a third node at the head
	if _, ok := l.Pop(false, nil); !ok || l.Bare() {
		t.Fatal("popping below the boundary must not convert back")
	}
	for l.Len() > 228 {
		l.Pop(true, nil)
		if msg := l.check(); msg != "" {
			t.Fatal(msg)
		}
	}
	if l.Bare() {
		t.Fatal("228 elements (4111 bytes): still above half of 8 KB")
	}
	l.Pop(true, nil)
	if !l.Bare() || l.Len() != 227 {
		t.Fatalf("227 elements (4093 bytes): bare %v len %d; want bare", l.Bare(), l.Len())
	}
	checkLive(t, a, 1)
	c := l.Copy()
	l.Free()
	if c.Len() != 227 || c.check() != "" || c.Fill() != -2 {
		t.Fatal("copy")
	}
	for c.Len() > 0 {
		c.Pop(false, nil)
	}
	if c.Container() != (Container{}) {
		t.Fatal("an emptied list has no block")
	}
	checkLive(t, a, 0)
	// A positive fill counts entries; fill and compress follow the list
	// through both forms.
	l = NewList(a, 3, 7)
	l.Push(false, [][]byte{[]byte("1"), []byte("2"), []byte("3"), []byte("4"), []byte("5")})
	if l.Bare() || l.Nodes() != 2 || l.Fill() != 3 || l.Compress() != 7 {
		t.Fatalf("fill 3, 5 elements: bare %v, %d nodes, fill %d, compress %d", l.Bare(), l.Nodes(), l.Fill(), l.Compress())
	}
	l.Delete(0, 4)
	if !l.Bare() || l.Fill() != 3 || l.Compress() != 7 {
		t.Fatalf("fill 3, 1 element: bare %v, fill %d, compress %d", l.Bare(), l.Fill(), l.Compress())
	}
	l.Free()
	checkLive(t, a, 0)
}

func FuzzList(f *testing.F) {
	f.Add([]byte{3, 0, 1, 2, 0, 3, 1, 0, 0, 2, 1, 1, 8, 3, 7})
	both := []byte{7} // fill 3 entries per node: crosses to a quicklist and back
	for i := 0; i < 12; i++ {
		both = append(both, 0, byte(i*37), byte(i*6))
	}
	for i := 0; i < 12; i++ {
		both = append(both, 3, 0, byte(i))
	}
	both = append(both, 8, 5, 6, 2, 1, 1, 4, 0, 2, 6, 0, 6, 1, 7, 1)
	f.Add(both)
	f.Fuzz(func(t *testing.T, data []byte) { fuzzList(t, newExact(), data) })
}

func TestListModelGoheap(t *testing.T) {
	for seed := 0; seed < 30; seed++ {
		data := []byte{byte(seed)}
		x := uint32(seed*2654435761 + 1)
		for i := 0; i < 3*400; i++ {
			x = x*1664525 + 1013904223
			data = append(data, byte(x>>24))
		}
		fuzzList(t, newGoheap(), data)
	}
}

// fuzzList is fuzzQuicklist's op stream on a List (data[0] the fill), with
// multi-value pushes, checking both forms' invariants after each op and
// that both forms were seen when the stream crosses between them.
func fuzzList(t *testing.T, a mem.Allocator, data []byte) {
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
	l := NewList(a, fill, 0)
	var model [][]byte
	value := func(x byte) []byte {
		switch x % 6 {
		case 0:
			return []byte(strconv.Itoa(int(x) % 7))
		case 1:
			return bytes.Repeat([]byte{'a' + x%5}, int(x)*16)
		case 2:
			return []byte(strconv.FormatInt(int64(x)<<30, 10))
		}
		return []byte{'v', '0' + x%4}
	}
	for len(data) >= 3 {
		op, x, y := data[0], int(data[1]), data[2]
		data = data[3:]
		switch op % 9 {
		case 0:
			v := value(y)
			l.PushTail(v)
			model = append(model, v)
		case 1:
			v := value(y)
			l.PushHead(v)
			model = append([][]byte{v}, model...)
		case 2:
			i := x % (len(model) + 1)
			v := value(y)
			l.Insert(i, v)
			model = append(model[:i], append([][]byte{v}, model[i:]...)...)
		case 3:
			got, ok := l.Pop(y%2 == 0, nil)
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
		case 4:
			if len(model) == 0 {
				continue
			}
			i := x % len(model)
			n := 1 + int(y)%(len(model)-i)
			l.Delete(i, n)
			model = append(model[:i], model[i+n:]...)
		case 5:
			if len(model) == 0 {
				continue
			}
			i := x % len(model)
			v := value(y)
			l.Replace(i, v)
			model[i] = v
		case 6:
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
			if got := l.Remove(v, max); got != want {
				t.Fatalf("remove %q %d: got %d; want %d", v, max, got, want)
			}
		case 7:
			if len(model) == 0 {
				continue
			}
			i := x % len(model)
			e, ok := l.Index(i - len(model)*(int(y)%2))
			if !ok || !bytes.Equal(e.Append(nil), model[i]) {
				t.Fatalf("index %d: got %q; want %q", i, e.Append(nil), model[i])
			}
			j := i
			l.Range(0, i, true, func(e Elem) bool {
				if !bytes.Equal(e.Append(nil), model[j]) {
					t.Fatalf("reverse range at %d: got %q; want %q", j, e.Append(nil), model[j])
				}
				j--
				return true
			})
			if j != -1 {
				t.Fatalf("reverse range stopped at %d", j)
			}
		case 8: // push several at once
			var vals [][]byte
			for k := 0; k < 1+x%6; k++ {
				vals = append(vals, value(y+byte(k*13)))
			}
			head := y%2 == 0
			l.Push(head, vals)
			for _, v := range vals {
				if head {
					model = append([][]byte{v}, model...)
				} else {
					model = append(model, v)
				}
			}
		}
		if msg := l.check(); msg != "" {
			t.Fatalf("after op %d: %s", op%9, msg)
		}
		if l.Len() != len(model) {
			t.Fatalf("len: got %d; want %d", l.Len(), len(model))
		}
		if (len(model) == 0) != (l.Container() == Container{}) {
			t.Fatalf("empty list %v, container %v", len(model) == 0, l.Container())
		}
		if l.Fill() != fill {
			t.Fatalf("fill: got %d; want %d", l.Fill(), fill)
		}
		if len(model) > 0 {
			i := 0
			l.Range(0, len(model)-1, false, func(e Elem) bool {
				if !bytes.Equal(e.Append(nil), model[i]) {
					t.Fatalf("element %d: got %q; want %q", i, e.Append(nil), model[i])
				}
				i++
				return true
			})
		}
	}
	c := l.Copy()
	l.Free()
	if c.check() != "" || c.Len() != len(model) {
		t.Fatalf("copy: %s", c.check())
	}
	c.Free()
	checkLive(t, a, 0)
}
