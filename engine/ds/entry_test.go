package ds

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"

	"rundb/engine/mem"
)

// checkEntry loads e's block afresh and compares every accessor with want.
func checkEntry(t testing.TB, a mem.Allocator, e Entry, typ, enc uint8, key string, hasTTL bool, deadline int64, lru uint32) Entry {
	t.Helper()
	l := Load(a, e.Ref())
	if l.Size() != e.Size() {
		t.Fatalf("Size: loaded %d; built %d", l.Size(), e.Size())
	}
	if l.Type() != typ || l.Enc() != enc {
		t.Fatalf("type/enc: got %d/%d; want %d/%d", l.Type(), l.Enc(), typ, enc)
	}
	if string(l.Key()) != key {
		t.Fatalf("Key: got %q; want %q", l.Key(), key)
	}
	if got := KeyOf(a)(e.Ref()); string(got) != key {
		t.Fatalf("KeyOf: got %q; want %q", got, key)
	}
	if l.HasTTL() != hasTTL || l.Deadline() != deadline {
		t.Fatalf("TTL: got %v/%d; want %v/%d", l.HasTTL(), l.Deadline(), hasTTL, deadline)
	}
	if l.LRU() != lru&lruMax {
		t.Fatalf("LRU: got %#x; want %#x", l.LRU(), lru&lruMax)
	}
	if !bytes.Equal(l.Str(), e.Str()) || l.RawCap() != e.RawCap() {
		t.Fatalf("Str: loaded %q cap %d; built %q cap %d", l.Str(), l.RawCap(), e.Str(), e.RawCap())
	}
	return l
}

func TestEntryExamples(t *testing.T) {
	a := newExact()
	for _, tc := range []struct {
		e    Entry
		want string
	}{
		{NewString(a, []byte("foo"), []byte("bar"), EncEmbstr, 0, false, 0x000102), "01020100 03666f6f 03626172"},
		{NewString(a, []byte("n"), []byte("42"), EncInt, 1700000000000, true, 0), "08000000 016e 0068e5cf8b010000 2a00000000000000"},
		{NewContainer(a, TypeSet, EncIntset, []byte("s"), 0x0102030405060708, 0, false, 0), "25000000 0173 0807060504030201"},
	} {
		got := hex.EncodeToString(tc.e.block())
		if want := strings.ReplaceAll(tc.want, " ", ""); got != want {
			t.Errorf("got %s; want %s", got, want)
		}
	}
	r := NewRawCap(a, []byte("k"), []byte("hello"), 200, 0, false, 0)
	got := hex.EncodeToString(r.block())
	want := fmt.Sprintf("02000000016b8500c801%02x00000000000000", uint64(r.rawRef()))
	if got != want {
		t.Errorf("raw: got %s; want %s", got, want)
	}
}

func TestParseInt(t *testing.T) {
	for _, s := range []string{"0", "1", "-1", "9223372036854775807", "-9223372036854775808", "10", "-10", "123456"} {
		n, ok := ParseInt([]byte(s))
		if !ok || strconv.FormatInt(n, 10) != s {
			t.Errorf("ParseInt(%q) = %d, %v", s, n, ok)
		}
		if StringEncoding([]byte(s)) != EncInt {
			t.Errorf("StringEncoding(%q) not int", s)
		}
	}
	for _, s := range []string{"", "-", "+1", "01", "-0", "00", " 1", "1 ", "1a", "9223372036854775808",
		"-9223372036854775809", "18446744073709551616", "99999999999999999999", "123456789012345678901", "1.5"} {
		if n, ok := ParseInt([]byte(s)); ok {
			t.Errorf("ParseInt(%q) = %d, true; want false", s, n)
		}
	}
	if got := StringEncoding([]byte(strings.Repeat("x", 44))); got != EncEmbstr {
		t.Errorf("44 bytes: got %s; want embstr", EncodingName(got))
	}
	if got := StringEncoding([]byte(strings.Repeat("x", 45))); got != EncRaw {
		t.Errorf("45 bytes: got %s; want raw", EncodingName(got))
	}
	if got := StringEncoding([]byte("01")); got != EncEmbstr {
		t.Errorf("01: got %s; want embstr", EncodingName(got))
	}
}

func TestEntryRoundTrip(t *testing.T) {
	keys := []string{"", "k", strings.Repeat("K", 127), strings.Repeat("L", 128), strings.Repeat("M", 20000)}
	vals := []string{"", "v", "-5", "0", "9223372036854775807", "-9223372036854775808", "007",
		strings.Repeat("e", 44), strings.Repeat("r", 45), strings.Repeat("R", 300), strings.Repeat("Z", 70000)}
	forBackends(t, func(t *testing.T, a mem.Allocator) {
		for _, key := range keys {
			for _, val := range vals {
				for _, ttl := range []bool{false, true} {
					dl := int64(0)
					if ttl {
						dl = 1700000000123
					}
					lru := uint32(0xABCDEF)
					enc := StringEncoding([]byte(val))
					e := NewString(a, []byte(key), []byte(val), enc, dl, ttl, lru)
					l := checkEntry(t, a, e, TypeString, enc, key, ttl, dl, lru)
					if got := string(l.AppendStr(nil)); got != val {
						t.Fatalf("AppendStr: got %q; want %q", got, val)
					}
					if l.StrLen() != len(val) {
						t.Fatalf("StrLen: got %d; want %d", l.StrLen(), len(val))
					}
					if enc == EncInt {
						want, _ := strconv.ParseInt(val, 10, 64)
						if l.Int() != want || l.Str() != nil {
							t.Fatalf("Int: got %d; want %d", l.Int(), want)
						}
					}
					// Raw forced for any value, with spare capacity.
					r := NewRawCap(a, []byte(key), []byte(val), len(val)+17, dl, ttl, lru)
					lr := checkEntry(t, a, r, TypeString, EncRaw, key, ttl, dl, lru)
					if string(lr.Str()) != val || lr.RawCap() != len(val)+17 {
						t.Fatalf("raw: got %q cap %d", lr.Str(), lr.RawCap())
					}
					e.Free(a)
					lr.Free(a)
				}
			}
		}
		checkLive(t, a, 0)
	})
}

func TestEntryContainers(t *testing.T) {
	// The refs here are not blocks: a stand-in container records what
	// Entry.Free asks it to free.
	var freed []mem.Ref
	for _, enc := range []uint8{EncQuicklist, EncHashtable, EncListpack} {
		old := RegisterContainer(enc, ContainerOps{Free: func(a mem.Allocator, c mem.Ref) { freed = append(freed, c) }})
		defer RegisterContainer(enc, old)
	}
	forBackends(t, func(t *testing.T, a mem.Allocator) {
		freed = nil
		for typ, enc := range map[uint8]uint8{TypeList: EncQuicklist, TypeSet: EncHashtable, TypeZSet: EncListpack, TypeHash: EncListpack} {
			for _, ttl := range []bool{false, true} {
				e := NewContainer(a, typ, enc, []byte("c"), 42, 99, ttl, 7)
				dl := int64(0)
				if ttl {
					dl = 99
				}
				l := checkEntry(t, a, e, typ, enc, "c", ttl, dl, 7)
				if l.Container() != 42 || l.Str() != nil {
					t.Fatalf("Container: got %d", l.Container())
				}
				l.SetContainer(43)
				if Load(a, e.Ref()).Container() != 43 {
					t.Fatal("SetContainer lost")
				}
				l.Free(a)
				if len(freed) == 0 || freed[len(freed)-1] != 43 {
					t.Fatalf("Free freed containers %v; want the last to be 43", freed)
				}
			}
		}
		checkLive(t, a, 0)
	})
}

// TestEntryCopyAndRekey: Copy deep-copies strings and containers (through
// the encoding's ContainerOps.Copy), Rekey moves the value section as it is.
func TestEntryCopyAndRekey(t *testing.T) {
	live := 0
	old := RegisterContainer(EncQuicklist, ContainerOps{
		Free: func(a mem.Allocator, c mem.Ref) { a.Free(mem.PurposeContainer, c, 8); live-- },
		Copy: func(a mem.Allocator, c mem.Ref) mem.Ref {
			r := a.Alloc(mem.PurposeContainer, 8)
			copy(a.Bytes(r, 8), a.Bytes(c, 8))
			live++
			return r
		},
	})
	defer RegisterContainer(EncQuicklist, old)
	forBackends(t, func(t *testing.T, a mem.Allocator) {
		c := a.Alloc(mem.PurposeContainer, 8)
		copy(a.Bytes(c, 8), "12345678")
		live = 1
		l := NewContainer(a, TypeList, EncQuicklist, []byte("l"), c, 500, true, 3)
		cp, ok := l.Copy(a, []byte("l2"), 9)
		if !ok || cp.Container() == c || string(a.Bytes(cp.Container(), 8)) != "12345678" || live != 2 {
			t.Fatalf("Copy: ok %v, container %d (orig %d), live %d", ok, cp.Container(), c, live)
		}
		checkEntry(t, a, cp, TypeList, EncQuicklist, "l2", true, 500, 9)
		mv := l.Rekey(a, []byte("moved"))
		if mv.Container() != c || live != 2 {
			t.Fatalf("Rekey copied the container: %d vs %d", mv.Container(), c)
		}
		checkEntry(t, a, mv, TypeList, EncQuicklist, "moved", true, 500, 3)
		noCopy := RegisterContainer(EncIntset, ContainerOps{}) // a stand-in without Copy
		s := NewContainer(a, TypeSet, EncIntset, []byte("s"), 0, 0, false, 0)
		_, ok = s.Copy(a, []byte("s2"), 0)
		RegisterContainer(EncIntset, noCopy)
		if ok {
			t.Fatal("Copy of an encoding without ContainerOps.Copy succeeded")
		}
		s.Free(a)
		mv.Free(a)
		cp.Free(a)
		if live != 0 {
			t.Fatalf("%d containers still live", live)
		}
		for _, val := range []string{"42", "short", strings.Repeat("r", 100)} {
			e := NewString(a, []byte("k"), []byte(val), StringEncoding([]byte(val)), 0, false, 1)
			cp, _ := e.Copy(a, []byte("k2"), 2)
			if string(cp.AppendStr(nil)) != val || cp.Enc() != e.Enc() || (e.Enc() == EncInt && !cp.Own()) {
				t.Fatalf("Copy of %q: %q enc %d own %v", val, cp.AppendStr(nil), cp.Enc(), cp.Own())
			}
			cp.Free(a)
			e.Rekey(a, []byte("k3")).Free(a)
		}
	})
}

func TestEntryInPlace(t *testing.T) {
	forBackends(t, func(t *testing.T, a mem.Allocator) {
		e := NewString(a, []byte("key"), []byte("abc"), EncEmbstr, 0, false, 1)
		e.SetLRU(0x1234567) // only 24 bits are kept
		if got := Load(a, e.Ref()).LRU(); got != 0x234567 {
			t.Fatalf("LRU: got %#x; want %#x", got, 0x234567)
		}
		// Add a TTL, change it, drop it.
		e = e.WithTTL(a, true, 5000)
		checkEntry(t, a, e, TypeString, EncEmbstr, "key", true, 5000, 0x234567)
		e.SetDeadline(6000)
		e2 := e.WithTTL(a, true, 7000)
		if e2.Ref() != e.Ref() || Load(a, e.Ref()).Deadline() != 7000 {
			t.Fatal("WithTTL with a TTL already present should rewrite in place")
		}
		e = e.WithTTL(a, false, 0)
		l := checkEntry(t, a, e, TypeString, EncEmbstr, "key", false, 0, 0x234567)
		if string(l.Str()) != "abc" {
			t.Fatalf("got %q; want %q", l.Str(), "abc")
		}
		l.Free(a)

		// APPEND in place in a raw block, crossing the 1-byte varint limit.
		r := NewRawCap(a, []byte("k"), []byte("hello"), 300, 0, false, 0)
		raw := r.rawRef()
		r = r.WithTTL(a, true, 123) // the value block moves over
		if r.rawRef() != raw || string(r.Str()) != "hello" {
			t.Fatalf("WithTTL moved the raw block: %d vs %d, %q", r.rawRef(), raw, r.Str())
		}
		buf := r.RawBuf()
		if len(buf) != 300 {
			t.Fatalf("RawBuf len %d; want 300", len(buf))
		}
		n := copy(buf[5:], strings.Repeat("!", 200))
		r.SetRawLen(5 + n)
		l = checkEntry(t, a, r, TypeString, EncRaw, "k", true, 123, 0)
		if want := "hello" + strings.Repeat("!", 200); string(l.Str()) != want || l.StrLen() != 205 {
			t.Fatalf("after SetRawLen: got %q", l.Str())
		}
		l.SetRawLen(0)
		if Load(a, r.Ref()).StrLen() != 0 {
			t.Fatal("SetRawLen(0) lost")
		}
		l.Free(a)

		// An empty raw string has no value block.
		z := NewString(a, []byte("z"), nil, EncRaw, 0, false, 0)
		if z.RawCap() != 0 || z.Str() == nil || len(z.Str()) != 0 {
			t.Fatalf("empty raw: cap %d str %v", z.RawCap(), z.Str())
		}
		checkEntry(t, a, z, TypeString, EncRaw, "z", false, 0, 0).Free(a)
		checkLive(t, a, 0)
	})
}

func TestStrLenInt(t *testing.T) {
	a := newExact()
	for _, n := range []int64{0, 9, 10, -1, -9, -10, 99, 100, math.MaxInt64, math.MinInt64} {
		e := NewInt(a, []byte("i"), n, 0, false, 0)
		if want := len(strconv.FormatInt(n, 10)); e.StrLen() != want {
			t.Errorf("StrLen(%d) = %d; want %d", n, e.StrLen(), want)
		}
		e.Free(a)
	}
}

// TestTableWithEntries runs the table over real entry blocks with KeyOf.
func TestTableWithEntries(t *testing.T) {
	forBackends(t, func(t *testing.T, a mem.Allocator) {
		tb := NewTable(a, mem.PurposeSlots, KeyOf(a))
		const n = 5000
		for i := 0; i < n; i++ {
			k := []byte(fmt.Sprintf("key:%d", i))
			v := []byte(fmt.Sprint(i * 7))
			if i%3 == 0 {
				v = []byte(strings.Repeat("x", i%100))
			}
			e := NewString(a, k, v, StringEncoding(v), 0, false, 0)
			if prev := tb.Put(k, e.Ref()); prev != 0 {
				t.Fatalf("put %q: prev %d", k, prev)
			}
		}
		mustCheck(t, tb)
		for i := 0; i < n; i += 2 {
			k := []byte(fmt.Sprintf("key:%d", i))
			r := tb.Delete(k)
			if r == 0 {
				t.Fatalf("delete %q: missing", k)
			}
			Load(a, r).Free(a)
		}
		mustCheck(t, tb)
		for i := 1; i < n; i += 2 {
			k := fmt.Sprintf("key:%d", i)
			r := tb.Get([]byte(k))
			if r == 0 {
				t.Fatalf("get %q: missing", k)
			}
			if got, want := string(Load(a, r).AppendStr(nil)), fmt.Sprint(i*7); i%3 != 0 && got != want {
				t.Fatalf("get %q: got %q; want %q", k, got, want)
			}
		}
		tb.Clear(func(r mem.Ref) { Load(a, r).Free(a) })
		checkLive(t, a, 0)
	})
}

// FuzzEntry builds entries from fuzzed keys and values in every string
// encoding that accepts them and checks that Load decodes them back.
func FuzzEntry(f *testing.F) {
	f.Add([]byte("k"), []byte("v"), int64(0), uint32(0), false, 0)
	f.Add([]byte(strings.Repeat("k", 200)), []byte("-123"), int64(-1), uint32(1<<24), true, 100)
	f.Add([]byte(""), []byte(strings.Repeat("v", 45)), int64(1<<62), uint32(5), true, 1000)
	f.Fuzz(func(t *testing.T, key, val []byte, deadline int64, lru uint32, ttl bool, extra int) {
		a := newExact()
		if !ttl {
			deadline = 0
		}
		encs := []uint8{EncRaw}
		if _, ok := ParseInt(val); ok {
			encs = append(encs, EncInt)
		}
		if len(val) <= EmbstrMax {
			encs = append(encs, EncEmbstr)
		}
		for _, enc := range encs {
			e := NewString(a, key, val, enc, deadline, ttl, lru)
			l := checkEntry(t, a, e, TypeString, enc, string(key), ttl, deadline, lru)
			if got := l.AppendStr(nil); !bytes.Equal(got, val) {
				t.Fatalf("%s: got %q; want %q", EncodingName(enc), got, val)
			}
			if l.StrLen() != len(val) {
				t.Fatalf("%s: StrLen %d; want %d", EncodingName(enc), l.StrLen(), len(val))
			}
			l = l.WithTTL(a, !ttl, 77)
			dl := int64(0)
			if !ttl {
				dl = 77
			}
			l = checkEntry(t, a, l, TypeString, enc, string(key), !ttl, dl, lru)
			if got := l.AppendStr(nil); !bytes.Equal(got, val) {
				t.Fatalf("%s after WithTTL: got %q; want %q", EncodingName(enc), got, val)
			}
			l.Free(a)
		}
		c := len(val) + int(uint(extra)%4096)
		r := NewRawCap(a, key, val, c, deadline, ttl, lru)
		if l := checkEntry(t, a, r, TypeString, EncRaw, string(key), ttl, deadline, lru); l.RawCap() != c || !bytes.Equal(l.Str(), val) {
			t.Fatalf("raw cap %d: got cap %d, %q", c, l.RawCap(), l.Str())
		}
		r.SetRawLen(c)
		if Load(a, r.Ref()).StrLen() != c {
			t.Fatal("SetRawLen to capacity lost")
		}
		r.Free(a)
		checkLive(t, a, 0)
	})
}

func TestEntrySetInt(t *testing.T) {
	a := newExact()
	e := NewInt(a, []byte("counter"), 41, 1234, true, 7)
	e.SetInt(-1 << 62)
	got := Load(a, e.Ref())
	if got.Int() != -1<<62 || string(got.Key()) != "counter" || got.Deadline() != 1234 || got.LRU() != 7 {
		t.Errorf("after SetInt: got int=%d key=%q deadline=%d lru=%d", got.Int(), got.Key(), got.Deadline(), got.LRU())
	}
	e.Free(a)
}

// TestEntryAllocatedBytes: an entry's allocated bytes are its entry block,
// a raw string's value block and its container's blocks (ContainerOps.Bytes,
// given the samples), each at the backend's BlockSize; together they are
// what the entries, values and containers purposes hold.
func TestEntryAllocatedBytes(t *testing.T) {
	var gotSamples int
	old := RegisterContainer(EncQuicklist, ContainerOps{
		Free: func(a mem.Allocator, c mem.Ref) { a.Free(mem.PurposeContainer, c, 24) },
		Bytes: func(a mem.Allocator, c mem.Ref, samples int) int {
			gotSamples = samples
			return mem.BlockSize(a, c, 24)
		},
	})
	defer RegisterContainer(EncQuicklist, old)
	forBackends(t, func(t *testing.T, a mem.Allocator) {
		es := []Entry{
			NewString(a, []byte("i"), []byte("42"), EncInt, 0, false, 0),
			NewString(a, []byte("e"), []byte("short"), EncEmbstr, 7, true, 0),
			NewRawCap(a, []byte("r"), []byte(strings.Repeat("r", 100)), 300, 0, false, 0),
			NewContainer(a, TypeList, EncQuicklist, []byte("l"), a.Alloc(mem.PurposeContainer, 24), 0, false, 0),
		}
		sum := 0
		for _, e := range es {
			sum += e.AllocatedBytes(a, 7)
		}
		st := a.Stats()
		want := st.Purposes[mem.PurposeEntry].Allocated + st.Purposes[mem.PurposeValue].Allocated + st.Purposes[mem.PurposeContainer].Allocated
		if uint64(sum) != want || sum == 0 {
			t.Errorf("AllocatedBytes add up to %d; the purposes hold %d", sum, want)
		}
		if gotSamples != 7 {
			t.Errorf("ContainerOps.Bytes got samples %d; want 7", gotSamples)
		}
		if raw := es[2].AllocatedBytes(a, 0); raw < 300+es[2].Size() {
			t.Errorf("raw entry: %d bytes; want at least its 300-byte value block and its entry block", raw)
		}
		for _, e := range es {
			e.Free(a)
		}
		checkLive(t, a, 0)
	})
}

func TestNewRawOwnedAndGrowRaw(t *testing.T) {
	a := newExact()
	val := bytes.Repeat([]byte("v"), 100)
	r := a.Alloc(mem.PurposeValue, len(val))
	copy(a.Bytes(r, len(val)), val)
	e := NewRawOwned(a, []byte("key"), r, len(val), 1700000000000, true, 7)
	if l := Load(a, e.Ref()); !bytes.Equal(l.Str(), val) || l.RawCap() != 100 || l.Deadline() != 1700000000000 || string(l.Key()) != "key" {
		t.Fatalf("NewRawOwned: got %q cap %d deadline %d", l.Str(), l.RawCap(), l.Deadline())
	}
	if &e.Str()[0] != &a.Bytes(r, 1)[0] {
		t.Fatal("NewRawOwned copied the block")
	}
	// 100 -> 120: the capacity's width (1 byte) holds; same entry block.
	ref := e.Ref()
	e = GrowRaw(a, &e, 120)
	if e.Ref() != ref || e.RawCap() != 120 || !bytes.Equal(e.Str(), val) {
		t.Fatalf("GrowRaw in place: ref %v->%v cap %d", ref, e.Ref(), e.RawCap())
	}
	if l := Load(a, ref); l.RawCap() != 120 || !bytes.Equal(l.Str(), val) {
		t.Fatalf("after GrowRaw in place, Load: cap %d %q", l.RawCap(), l.Str())
	}
	// 120 -> 20000: the width grows (1 -> 3 bytes), a new entry block; the
	// old one then frees only itself.
	old := e
	e = GrowRaw(a, &old, 20000)
	if e.Ref() == ref || e.RawCap() != 20000 || !bytes.Equal(e.Str(), val) || e.Deadline() != 1700000000000 || e.LRU() != 7 {
		t.Fatalf("GrowRaw with a wider capacity: cap %d deadline %d lru %d", e.RawCap(), e.Deadline(), e.LRU())
	}
	old.Free(a) // exactAlloc panics if this freed the value block too
	buf := e.RawBuf()
	copy(buf[100:], "tail")
	e.SetRawLen(104)
	if l := Load(a, e.Ref()); string(l.Str()[96:]) != "vvvvtail" || l.RawCap() != 20000 {
		t.Fatalf("after growth and append: %q cap %d", l.Str()[90:], l.RawCap())
	}
	e.Free(a)
	if st := a.Stats(); st.Live() != 0 || st.Requested != 0 {
		t.Fatalf("leak: %+v", st)
	}
}
