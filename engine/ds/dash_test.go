package ds

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"testing"

	"rundb/engine/mem"
	"rundb/variants/goheap"
)

func (s *keyStore) dash(a mem.Allocator) *Dash { return NewDash(a, mem.PurposeSlots, s.keyOf) }

// checkInvariants walks the whole dash table and reports the first broken
// invariant: the directory names each live segment exactly at the entries
// of its pattern, every key sits in its segment (pattern), in its home, its
// neighbour (home has no empty slot) or the stash (neither has one and
// the stash bit is set), its tag is its H2,
// counts add up, and no key is stored twice. O(n), for tests.
func (d *Dash) checkInvariants() error {
	if d.dir == nil {
		if d.n != 0 || d.segBytes != 0 {
			return fmt.Errorf("no directory but n=%d segBytes=%d", d.n, d.segBytes)
		}
		return nil
	}
	if len(d.dir) != 1<<d.depth {
		return fmt.Errorf("directory of %d entries at depth %d", len(d.dir), d.depth)
	}
	live, bytesSum := 0, 0
	patterns := map[uint32]uint64{}
	for e, dw := range d.dir {
		si := d.segAt(uint64(e))
		if int(si) >= len(d.segs) {
			return fmt.Errorf("entry %d names segment %d of %d", e, si, len(d.segs))
		}
		s := &d.segs[si]
		if s.base == nil {
			return fmt.Errorf("entry %d names a freed segment %d", e, si)
		}
		if dw != d.dirWord(si) {
			return fmt.Errorf("entry %d is %#x, segment %d's word is %#x", e, dw, si, d.dirWord(si))
		}
		if s.depth > d.depth {
			return fmt.Errorf("segment %d depth %d > %d", si, s.depth, d.depth)
		}
		p := uint64(e) & (1<<s.depth - 1)
		if q, ok := patterns[si]; ok && q != p {
			return fmt.Errorf("segment %d at entries of patterns %b and %b", si, q, p)
		}
		patterns[si] = p
	}
	seen := map[string]bool{}
	total := 0
	for si := range d.segs {
		s := &d.segs[si]
		if s.base == nil {
			continue
		}
		live++
		bytesSum += len(s.words()) * 8
		p, ok := patterns[uint32(si)]
		if !ok {
			return fmt.Errorf("segment %d is in no directory entry", si)
		}
		sh := d.shapes[s.shape]
		if s.nb != uint32(sh.nb) || s.ns != uint32(sh.ns) || len(s.words())*8 != d.segSize(sh) {
			return fmt.Errorf("segment %d: shape %d but nb=%d ns=%d words=%d", si, s.shape, s.nb, s.ns, len(s.words()))
		}
		count := 0
		for l := 1; l <= int(s.nb+s.ns); l++ {
			w := s.words()[d.c(l)]
			for i := 0; i < groupSlots; i++ {
				c := uint8(w >> (8 * i))
				if c == ctrlEmpty || c == ctrlDeleted {
					continue
				}
				if c&0x80 != 0 {
					return fmt.Errorf("segment %d line %d slot %d: control byte %#x", si, l, i, c)
				}
				r := d.ref(s.words(), l, i)
				k := d.keyOf(r)
				h := hashKey(k)
				if uint8(h&0x7F) != c {
					return fmt.Errorf("key %q: tag %#x, H2 %#x", k, c, h&0x7F)
				}
				if (h>>7)&(1<<s.depth-1) != p {
					return fmt.Errorf("key %q in segment %d of pattern %b", k, si, p)
				}
				home := dashHome(h, s.nb)
				lh, ln := 1+int(home), 1+int((home+1)%s.nb)
				hasEmpty := func(l int) bool { return matchEmpty(s.words()[d.c(l)]) != 0 }
				switch {
				case l == lh:
				case l == ln && !hasEmpty(lh):
				case l > int(s.nb) && !hasEmpty(lh) && !hasEmpty(ln) && stashed(s.words(), home):
				default:
					return fmt.Errorf("key %q (home %d) unreachable in line %d of segment %d", k, home, l, si)
				}
				if seen[string(k)] {
					return fmt.Errorf("key %q stored twice", k)
				}
				seen[string(k)] = true
				count++
			}
		}
		if uint64(count) != s.words()[dashHdrCount] {
			return fmt.Errorf("segment %d: count %d, header says %d", si, count, s.words()[dashHdrCount])
		}
		total += count
	}
	if total != d.n {
		return fmt.Errorf("%d keys; Len %d", total, d.n)
	}
	if live != len(patterns) || bytesSum != d.segBytes {
		return fmt.Errorf("%d live segments (%d bytes), %d in the directory (segBytes %d)", live, bytesSum, len(patterns), d.segBytes)
	}
	return nil
}

func mustCheckDash(t testing.TB, d *Dash) {
	t.Helper()
	if err := d.checkInvariants(); err != nil {
		t.Fatal(err)
	}
}

// TestDashModel: random Put/Get/Delete/Clear against a Go map while the
// table grows past 100k keys through many splits, then shrinks to empty.
func TestDashModel(t *testing.T) {
	forBackends(t, func(t *testing.T, a mem.Allocator) {
		var s keyStore
		d := s.dash(a)
		model := map[string]mem.Ref{}
		rnd := rand.New(rand.NewPCG(7, 11))
		const space = 250_000
		splits, most := 0, 0
		for op := 0; op < 500_000; op++ {
			k := fmt.Sprintf("k%d", rnd.IntN(space))
			switch x := rnd.IntN(10); {
			case x < 6:
				segs := len(d.segs) - len(d.free)
				r := s.ref(k)
				if prev := d.Put([]byte(k), r); prev != model[k] {
					t.Fatalf("Put(%q) = %d; want %d", k, prev, model[k])
				}
				model[k] = r
				if len(d.segs)-len(d.free) > segs {
					splits++
				}
			case x < 8:
				if got := d.Get([]byte(k)); got != model[k] {
					t.Fatalf("Get(%q) = %d; want %d", k, got, model[k])
				}
			default:
				if prev := d.Delete([]byte(k)); prev != model[k] {
					t.Fatalf("Delete(%q) = %d; want %d", k, prev, model[k])
				}
				delete(model, k)
			}
			if d.Len() != len(model) {
				t.Fatalf("op %d: Len %d; want %d", op, d.Len(), len(model))
			}
			most = max(most, len(model))
			if op%50_000 == 0 {
				mustCheckDash(t, d)
			}
			if op == 350_000 {
				n := 0
				d.Clear(func(r mem.Ref) { n++ })
				if n != len(model) || d.Len() != 0 || d.MemBytes() != 0 {
					t.Fatalf("Clear freed %d of %d; Len %d, %d bytes left", n, len(model), d.Len(), d.MemBytes())
				}
				checkLive(t, a, 0)
				clear(model)
			}
		}
		mustCheckDash(t, d)
		if splits < 100 || most < 100_000 {
			t.Fatalf("only %d splits, %d keys at most", splits, most)
		}
		for k, r := range model {
			if got := d.Get([]byte(k)); got != r {
				t.Fatalf("final Get(%q) = %d; want %d", k, got, r)
			}
		}
		for k := range model {
			d.Delete([]byte(k))
		}
		if d.Len() != 0 || d.MemBytes() != 0 {
			t.Fatalf("emptied: Len %d, %d bytes", d.Len(), d.MemBytes())
		}
		checkLive(t, a, 0)
	})
}

// TestDashScan: a scan with inserts and deletes between its steps returns
// every key present throughout at least once, while segments split.
func TestDashScan(t *testing.T) {
	var s keyStore
	d := s.dash(newGoheap())
	rnd := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 20_000; i++ {
		k := fmt.Sprintf("k%d", i)
		d.Put([]byte(k), s.ref(k))
	}
	stay := map[string]bool{}
	for i := 0; i < 20_000; i += 2 {
		stay[fmt.Sprintf("k%d", i)] = true
	}
	got := map[string]bool{}
	live := func() int { return len(d.segs) - len(d.free) }
	segs0 := live()
	cursor, extra, steps := uint64(0), 0, 0
	for {
		cursor = d.Scan(cursor, func(r mem.Ref) { got[string(s.keyOf(r))] = true })
		steps++
		if cursor == 0 {
			break
		}
		for j := 0; j < 400; j++ {
			k := fmt.Sprintf("x%d", extra)
			extra++
			d.Put([]byte(k), s.ref(k))
			d.Delete([]byte(fmt.Sprintf("k%d", 1+2*rnd.IntN(10_000))))
		}
	}
	for k := range stay {
		if !got[k] {
			t.Fatalf("scan missed %q", k)
		}
	}
	if live() < 2*segs0 {
		t.Fatalf("segments did not split during the scan: %d, were %d", live(), segs0)
	}
	mustCheckDash(t, d)
	t.Logf("%d steps, %d segments", steps, live())
}

// TestDashScanPos: after each Scan step the original keys returned so far
// are exactly those with ScanPos < CursorPos(cursor), while the table grows
// between steps and, under SetNoShrink, while keys are deleted down to none.
func TestDashScanPos(t *testing.T) {
	for _, phase := range []string{"still", "grow", "delete"} {
		t.Run(phase, func(t *testing.T) {
			var s keyStore
			d := s.dash(newGoheap())
			d.SetNoShrink(true)
			rnd := rand.New(rand.NewPCG(5, uint64(len(phase))))
			const n = 5000
			orig := map[string]bool{}
			for i := 0; i < n; i++ {
				k := fmt.Sprintf("k%d", i)
				d.Put([]byte(k), s.ref(k))
				orig[k] = true
			}
			seen := map[string]bool{}
			cursor, extra := uint64(0), 0
			for steps := 0; ; steps++ {
				cursor = d.Scan(cursor, func(r mem.Ref) {
					k := string(s.keyOf(r))
					if orig[k] {
						if seen[k] {
							t.Fatalf("key %q returned twice", k)
						}
						seen[k] = true
					}
				})
				if cursor == 0 {
					break
				}
				pos := d.CursorPos(cursor)
				for k := range orig {
					if below := d.ScanPos([]byte(k)) < pos; below != seen[k] {
						t.Fatalf("step %d: key %q: ScanPos below cursor %v, returned %v", steps, k, below, seen[k])
					}
				}
				switch phase {
				case "grow":
					for j := 0; j < 300 && d.Len() < 40_000; j++ { // bounded, so that the scan ends
						k := fmt.Sprintf("x%d", extra)
						extra++
						d.Put([]byte(k), s.ref(k))
					}
				case "delete":
					for j := 0; j < 300; j++ {
						k := fmt.Sprintf("k%d", rnd.IntN(n))
						if d.Delete([]byte(k)) != 0 {
							delete(orig, k)
							delete(seen, k)
						}
					}
				}
			}
			for k := range orig {
				if !seen[k] {
					t.Fatalf("key %q never returned", k)
				}
			}
			mustCheckDash(t, d)
			if phase == "grow" && extra < 10_000 {
				t.Fatalf("grew by only %d keys", extra)
			}
		})
	}
}

// TestDashNoShrink: deleting every key under SetNoShrink keeps the blocks;
// without it the table gives them all back.
func TestDashNoShrink(t *testing.T) {
	a := newGoheap()
	var s keyStore
	d := s.dash(a)
	for i := 0; i < 3000; i++ {
		k := fmt.Sprint(i)
		d.Put([]byte(k), s.ref(k))
	}
	size := d.MemBytes()
	d.SetNoShrink(true)
	if !d.NoShrink() {
		t.Fatal("NoShrink false after SetNoShrink(true)")
	}
	for i := 0; i < 3000; i++ {
		d.Delete([]byte(fmt.Sprint(i)))
	}
	if d.Len() != 0 || d.MemBytes() != size {
		t.Fatalf("Len %d, %d bytes; want 0, %d", d.Len(), d.MemBytes(), size)
	}
	if d.Scan(0, func(mem.Ref) { t.Fatal("scan of an empty table emitted") }) != 0 {
		t.Fatal("scan of an empty table did not end")
	}
	mustCheckDash(t, d)
	d.SetNoShrink(false)
	d.Put([]byte("a"), s.ref("a"))
	d.Delete([]byte("a"))
	if d.MemBytes() != 0 {
		t.Fatalf("an emptied table holds %d bytes", d.MemBytes())
	}
	checkLive(t, a, 0)
}

// TestDashSampleUniform: after a churn leaves segments and buckets unevenly
// filled, Sample picks each of 1,000 keys within half and twice its share
// over 200,000 draws; Random returns only stored keys.
func TestDashSampleUniform(t *testing.T) {
	a := goheap.New()
	keyOf := func(r mem.Ref) []byte { return a.Bytes(r, 8) }
	d := NewDash(a, mem.PurposeSlots, keyOf)
	refs := map[mem.Ref]int{}
	var order []mem.Ref
	for i := uint64(0); i < 5000; i++ {
		r := a.Alloc(mem.PurposeEntry, 8)
		binary.LittleEndian.PutUint64(a.Bytes(r, 8), i)
		d.Put(a.Bytes(r, 8), r)
		order = append(order, r)
	}
	for i, r := range order {
		if i%5 != 0 {
			d.Delete(a.Bytes(r, 8))
		} else {
			refs[r] = 0
		}
	}
	if d.depth < 2 {
		t.Fatalf("depth %d: too few segments to test", d.depth)
	}
	const draws = 200_000
	for x := uint64(0); x < draws; x++ {
		r := d.Sample(x*0x2545f4914f6cdd1d + 1)
		if _, ok := refs[r]; !ok {
			t.Fatalf("Sample returned %d, not a stored Ref", r)
		}
		refs[r]++
		if r := d.Random(x); r == 0 || refs[r] == 0 && !contains(refs, r) {
			t.Fatalf("Random returned %d, not a stored Ref", r)
		}
	}
	want := draws / len(refs)
	for r, n := range refs {
		if n < want/2 || n > want*2 {
			t.Fatalf("Ref %d drawn %d times; want about %d", r, n, want)
		}
	}
}

func contains(m map[mem.Ref]int, r mem.Ref) bool { _, ok := m[r]; return ok }

// TestDashMemory: the segments and directory are the allocator's blocks of
// the table's purpose, exactly MemBytes of them, and no other purpose's.
func TestDashMemory(t *testing.T) {
	for _, p := range []mem.Purpose{mem.PurposeSlots, mem.PurposeExpires} {
		a := newExact()
		var s keyStore
		d := NewDash(a, p, s.keyOf)
		for i := 0; i < 50_000; i++ {
			k := fmt.Sprint(i)
			d.Put([]byte(k), s.ref(k))
			if i%9973 == 0 || i == 49_999 {
				st := a.Stats()
				if got := int(st.Purposes[p].Requested); got != d.MemBytes() {
					t.Fatalf("%s: %d keys: allocator holds %d bytes; MemBytes %d", p, i+1, got, d.MemBytes())
				}
				if st.Requested != st.Purposes[p].Requested {
					t.Fatalf("%s: blocks of other purposes: %+v", p, st.Purposes)
				}
				if d.AllocatedBytes() != d.MemBytes() {
					t.Fatalf("AllocatedBytes %d; MemBytes %d on an exact allocator", d.AllocatedBytes(), d.MemBytes())
				}
			}
		}
		if perKey := float64(d.MemBytes()) / 50_000; perKey > 14 {
			t.Fatalf("%.1f table bytes per key", perKey)
		}
		d.Clear(nil)
		checkLive(t, a, 0)
	}
}

// FuzzDash runs an op stream against a Dash and a Go map; the encoding is
// FuzzTable's (byte 0 the key space, then [op][a][b] triples), with op 4 a
// Sample instead of a RehashStep. A scan runs across the other ops; when it
// ends, every key present for the whole of it must have been returned.
func FuzzDash(f *testing.F) {
	f.Add([]byte{0, 0, 1, 2, 0, 3, 4, 2, 1, 2, 3, 0, 0})
	grow := []byte{255}
	for i := 0; i < 40; i++ {
		grow = append(grow, 5, 255, byte(i*7), 3, 0, 0)
	}
	for i := 0; i < 40; i++ {
		grow = append(grow, 6, 255, byte(i*7), 3, 0, 0, 4, 1, 0)
	}
	f.Add(grow)
	f.Fuzz(func(t *testing.T, data []byte) { fuzzDash(t, newExact(), data) })
}

func fuzzDash(t *testing.T, a mem.Allocator, data []byte) {
	if len(data) == 0 {
		return
	}
	space := 8 + int(data[0])*64
	data = data[1:]
	if len(data) > 3*2000 {
		data = data[:3*2000]
	}
	var s keyStore
	d := s.dash(a)
	model := map[string]mem.Ref{}
	key := func(x, y byte) string { return fmt.Sprintf("k%d", (int(x)<<8|int(y))%space) }
	scanning := false
	var cursor uint64
	var atStart, touched, got map[string]bool
	put := func(k string) {
		r := s.ref(k)
		if prev := d.Put([]byte(k), r); prev != model[k] {
			t.Fatalf("Put(%q) = %d; want %d", k, prev, model[k])
		}
		model[k] = r
	}
	del := func(k string) {
		if prev := d.Delete([]byte(k)); prev != model[k] {
			t.Fatalf("Delete(%q) = %d; want %d", k, prev, model[k])
		}
		delete(model, k)
		if scanning {
			touched[k] = true
		}
	}
	stored := func(op string, r mem.Ref) {
		if r == 0 {
			if len(model) != 0 {
				t.Fatalf("%s = 0 with %d keys", op, len(model))
			}
		} else if model[string(s.keyOf(r))] != r {
			t.Fatalf("%s = %d (%q), not stored", op, r, s.keyOf(r))
		}
	}
	for n := 0; len(data) >= 3; n++ {
		op, x, y := data[0]%8, data[1], data[2]
		data = data[3:]
		switch op {
		case 0:
			put(key(x, y))
		case 1:
			k := key(x, y)
			if r := d.Get([]byte(k)); r != model[k] {
				t.Fatalf("Get(%q) = %d; want %d", k, r, model[k])
			}
		case 2:
			del(key(x, y))
		case 3:
			if !scanning {
				scanning, cursor = true, 0
				atStart, touched, got = map[string]bool{}, map[string]bool{}, map[string]bool{}
				for k := range model {
					atStart[k] = true
				}
			}
			cursor = d.Scan(cursor, func(r mem.Ref) { got[string(s.keyOf(r))] = true })
			if cursor == 0 {
				scanning = false
				for k := range atStart {
					if !touched[k] && !got[k] {
						t.Fatalf("scan missed %q", k)
					}
				}
			}
		case 4:
			stored("Sample", d.Sample(uint64(x)<<8|uint64(y)))
		case 5:
			for i := 0; i < int(x)*4; i++ {
				put(key(byte(i>>8)+y, byte(i)))
			}
		case 6:
			for i := 0; i < int(x)*4; i++ {
				del(key(byte(i>>8)+y, byte(i)))
			}
		case 7:
			stored("Random", d.Random(uint64(x)<<8|uint64(y)))
		}
		if d.Len() != len(model) {
			t.Fatalf("op %d: Len() = %d; want %d", n, d.Len(), len(model))
		}
		if len(model) < 256 || n%64 == 0 {
			mustCheckDash(t, d)
		}
	}
	mustCheckDash(t, d)
	for k, r := range model {
		if got := d.Get([]byte(k)); got != r {
			t.Fatalf("final Get(%q) = %d; want %d", k, got, r)
		}
	}
	freed := 0
	d.Clear(func(mem.Ref) { freed++ })
	if freed != len(model) {
		t.Fatalf("Clear freed %d; want %d", freed, len(model))
	}
	checkLive(t, a, 0)
}

// TestDashShrink: deleting most keys merges buddy segments back (the
// table's bytes fall with its keys), a scan running meanwhile still returns
// every key that stays, and SetNoShrink keeps every block.
func TestDashShrink(t *testing.T) {
	for _, hold := range []bool{false, true} {
		t.Run(fmt.Sprintf("noShrink=%v", hold), func(t *testing.T) {
			a := newExact()
			var s keyStore
			d := s.dash(a)
			const n = 100_000
			for i := 0; i < n; i++ {
				k := fmt.Sprintf("k%d", i)
				d.Put([]byte(k), s.ref(k))
			}
			full := d.MemBytes()
			d.SetNoShrink(hold)
			got := map[string]bool{}
			cursor := d.Scan(0, func(r mem.Ref) { got[string(s.keyOf(r))] = true })
			for i := 0; i < n; i++ {
				if i%50 != 0 {
					d.Delete([]byte(fmt.Sprintf("k%d", i)))
				}
				if i%1000 == 0 && cursor != 0 {
					cursor = d.Scan(cursor, func(r mem.Ref) { got[string(s.keyOf(r))] = true })
				}
			}
			for cursor != 0 {
				cursor = d.Scan(cursor, func(r mem.Ref) { got[string(s.keyOf(r))] = true })
			}
			for i := 0; i < n; i += 50 {
				if k := fmt.Sprintf("k%d", i); !got[k] || d.Get([]byte(k)) == 0 {
					t.Fatalf("key %q: returned by the scan %v, stored %v", k, got[k], d.Get([]byte(k)) != 0)
				}
			}
			mustCheckDash(t, d)
			if hold {
				if d.MemBytes() != full {
					t.Fatalf("under SetNoShrink the table went from %d to %d bytes", full, d.MemBytes())
				}
			} else if perKey := float64(d.MemBytes()) / float64(d.Len()); perKey > 40 {
				t.Fatalf("%d keys left in %d bytes (%.1f per key; %d when full)", d.Len(), d.MemBytes(), perKey, full)
			}
			if int(a.Stats().Requested) != d.MemBytes() {
				t.Fatalf("allocator holds %d bytes; MemBytes %d", a.Stats().Requested, d.MemBytes())
			}
			d.Clear(nil)
			checkLive(t, a, 0)
		})
	}
}

// boundAlloc is goheap with a RefBound, to make the dash table store Refs
// in fewer bytes.
type boundAlloc struct {
	mem.Allocator
	bound uint64
}

func (b boundAlloc) RefBound() uint64 { return b.bound }

// TestDashRefWidths: with Refs of 3, 5, 6 and 7 bytes whose every byte is
// in use (the keys' Refs sit just below the bound), every key is found,
// replaced and deleted as a Go map says, and the table's slots are 1+rb
// bytes.
func TestDashRefWidths(t *testing.T) {
	for _, c := range []struct {
		bound uint64
		rb    int
	}{{1 << 24, 3}, {1 << 40, 5}, {1 << 48, 6}, {1 << 56, 7}} {
		t.Run(fmt.Sprint("rb=", c.rb), func(t *testing.T) {
			a := boundAlloc{newGoheap(), c.bound}
			keys := map[mem.Ref][]byte{}
			keyOf := func(r mem.Ref) []byte { return keys[r] }
			d := NewDash(a, mem.PurposeSlots, keyOf)
			if d.rb != c.rb || d.bw != 1+c.rb {
				t.Fatalf("rb %d, bw %d; want %d, %d", d.rb, d.bw, c.rb, 1+c.rb)
			}
			base := mem.Ref(c.bound - 1<<20)
			const n = 60_000
			for i := 0; i < n; i++ {
				r := base + mem.Ref(i*7)
				keys[r] = []byte(fmt.Sprint("w", i))
				if prev := d.Put(keys[r], r); prev != 0 {
					t.Fatalf("Put of a new key returned %#x", prev)
				}
			}
			mustCheckDash(t, d)
			if per := float64(d.MemBytes()) / float64(d.Len()); per > 1.5*float64(1+c.rb) {
				t.Fatalf("%.1f table bytes per key with %d-byte Refs", per, c.rb)
			}
			for i := 0; i < n; i++ {
				r := base + mem.Ref(i*7)
				if got := d.Get(keys[r]); got != r {
					t.Fatalf("Get(%q) = %#x; want %#x", keys[r], got, r)
				}
				if i%2 == 0 {
					if got := d.Delete(keys[r]); got != r {
						t.Fatalf("Delete(%q) = %#x; want %#x", keys[r], got, r)
					}
				} else {
					// Replace with a Ref that differs in every byte.
					r2 := mem.Ref(c.bound-1) - mem.Ref(i)
					keys[r2] = keys[r]
					if got := d.Put(keys[r], r2); got != r {
						t.Fatalf("Put(%q) replaced %#x; want %#x", keys[r], got, r)
					}
				}
			}
			mustCheckDash(t, d)
			for i := 1; i < n; i += 2 {
				r2 := mem.Ref(c.bound-1) - mem.Ref(i)
				if got := d.Get(keys[r2]); got != r2 {
					t.Fatalf("Get(%q) = %#x; want %#x", keys[r2], got, r2)
				}
			}
			d.Clear(nil)
		})
	}
}
