package persist

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"

	"rundb/engine/db"
	"rundb/engine/ds"
	"rundb/variants/goheap"
)

// The model test: a keyspace and a Go model of it are changed by the same
// random operations, through the db write path; a snapshot taken at one
// instant runs while they go on, and the RESP it produced, replayed into a
// fresh keyspace, must equal the model as it was at that instant.

const testDBs = 4

// val is the model of one key.
type val struct {
	typ      uint8 // ds.TypeString, TypeList or TypeSet
	str      string
	list     []string
	set      map[string]bool
	ttl      bool
	deadline int64
}

func (v *val) clone() *val {
	c := *v
	c.list = slices.Clone(v.list)
	c.set = maps.Clone(v.set)
	return &c
}

func (v *val) String() string {
	s := fmt.Sprintf("type %d", v.typ)
	switch v.typ {
	case ds.TypeString:
		s += fmt.Sprintf(" %q", v.str)
	case ds.TypeList:
		s += fmt.Sprintf(" %q", v.list)
	case ds.TypeSet:
		s += fmt.Sprintf(" %q", slices.Sorted(maps.Keys(v.set)))
	}
	if v.ttl {
		s += fmt.Sprintf(" pxat %d", v.deadline)
	}
	return s
}

func equalVal(a, b *val) bool {
	return a.typ == b.typ && a.str == b.str && slices.Equal(a.list, b.list) &&
		maps.Equal(a.set, b.set) && a.ttl == b.ttl && (!a.ttl || a.deadline == b.deadline)
}

// model is the keyspace as a Go value; a key past its deadline is absent.
type model [testDBs]map[string]*val

// at is m's live keys at nowMs, deep-copied.
func (m *model) at(nowMs int64) model {
	var c model
	for i := range m {
		c[i] = map[string]*val{}
		for k, v := range m[i] {
			if !v.ttl || v.deadline > nowMs {
				c[i][k] = v.clone()
			}
		}
	}
	return c
}

func diffModels(t testing.TB, what string, got, want model) {
	t.Helper()
	for i := range want {
		for k, w := range want[i] {
			g, ok := got[i][k]
			if !ok {
				t.Fatalf("%s: db %d key %q missing; want %v", what, i, k, w)
			}
			if !equalVal(g, w) {
				t.Fatalf("%s: db %d key %q: got %v; want %v", what, i, k, g, w)
			}
		}
		for k, g := range got[i] {
			if _, ok := want[i][k]; !ok {
				t.Fatalf("%s: db %d key %q should not be there (got %v)", what, i, k, g)
			}
		}
	}
}

// dump reads ks's live keys at its NowMs into a model.
func dump(ks *db.Keyspace) model {
	var m model
	a := ks.Alloc
	for i, d := range ks.DBs {
		m[i] = map[string]*val{}
		d.ForEach(func(e ds.Entry) bool {
			if e.HasTTL() && e.Deadline() <= ks.NowMs {
				return true
			}
			v := &val{typ: e.Type(), ttl: e.HasTTL()}
			if v.ttl {
				v.deadline = e.Deadline()
			}
			switch e.Type() {
			case ds.TypeString:
				v.str = string(e.AppendStr(nil))
			case ds.TypeList:
				q := ds.OpenList(a, e.ContainerOf())
				for j := 0; j < q.Len(); j++ {
					el, _ := q.Index(j)
					v.list = append(v.list, string(el.Append(nil)))
				}
			case ds.TypeSet:
				v.set = map[string]bool{}
				ds.SetForEach(a, e.ContainerOf(), func(mb []byte) bool { v.set[string(mb)] = true; return true })
			}
			m[i][string(e.Key())] = v
			return true
		})
	}
	return m
}

// source gives the choices of a harness: random, or read from fuzz bytes.
type source interface{ IntN(n int) int }

type byteSource struct{ b []byte }

func (s *byteSource) IntN(n int) int {
	if len(s.b) == 0 || n <= 1 {
		return 0
	}
	x := int(s.b[0])
	s.b = s.b[1:]
	if n > 256 && len(s.b) > 0 {
		x = x<<8 | int(s.b[0])
		s.b = s.b[1:]
	}
	return x % n
}

// harness changes a keyspace and its model together.
type harness struct {
	t     testing.TB
	ks    *db.Keyspace
	m     model
	src   source
	now   int64
	nKeys int // the key space: k0 .. k(nKeys-1)
	grown int // keys g0 .. made by grow
	// rare counts the flushes, swaps and grows done (a test checks that
	// some happened while a snapshot ran).
	rare [3]int
	// instant is the model at the instant of runModel's snapshot.
	instant model
	// slice, when not 0, is the snapshot's sliceElems in runModel.
	slice int
}

const maxIntset = 8 // small, so that sets convert to hashtables often

func newHarness(t testing.TB, src source, nKeys int) *harness {
	return newHarnessLayout(t, src, nKeys, ds.DefaultLayout)
}

// newHarnessLayout is newHarness over tables of the named keyspace layout.
func newHarnessLayout(t testing.TB, src source, nKeys int, layout string) *harness {
	ks, err := db.NewKeyspaceLayout(goheap.New(), testDBs, layout)
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, ks: ks, src: src, now: 1_000_000, nKeys: nKeys}
	h.ks.Tick(h.now)
	for i := range h.m {
		h.m[i] = map[string]*val{}
	}
	return h
}

func (h *harness) key() []byte { return []byte("k" + strconv.Itoa(h.src.IntN(h.nKeys))) }

func (h *harness) value() string {
	switch h.src.IntN(4) {
	case 0:
		return strconv.Itoa(h.src.IntN(2000) - 1000) // int encoded
	case 1:
		return ""
	case 2:
		return string(bytes.Repeat([]byte{'a' + byte(h.src.IntN(26))}, 45+h.src.IntN(100))) // raw
	}
	return "v" + strconv.Itoa(h.src.IntN(100))
}

func (h *harness) member() string {
	if h.src.IntN(3) == 0 {
		return "m" + strconv.Itoa(h.src.IntN(20))
	}
	return strconv.Itoa(h.src.IntN(20))
}

// live is key's model value if it is live now.
func (h *harness) live(i int, key []byte) (*val, bool) {
	v, ok := h.m[i][string(key)]
	if ok && v.ttl && v.deadline <= h.now {
		delete(h.m[i], string(key))
		return nil, false
	}
	return v, ok
}

// expiry picks a deadline: none mostly, else one within a few seconds
// (before the present now and then, to leave expired keys in the tables).
func (h *harness) expiry(allowPast bool) (bool, int64) {
	switch h.src.IntN(4) {
	case 0:
		d := h.now + 1 + int64(h.src.IntN(3000))
		if allowPast && h.src.IntN(3) == 0 {
			d = h.now - int64(h.src.IntN(100))
		}
		return true, d
	}
	return false, 0
}

func (h *harness) setString(i int, key []byte) {
	v := h.value()
	has, dl := h.expiry(true)
	x := db.Expiry{}
	if has {
		x = db.At(dl)
	}
	h.ks.DBs[i].SetString(key, []byte(v), x)
	h.m[i][string(key)] = &val{typ: ds.TypeString, str: v, ttl: has, deadline: dl}
}

// editList pushes or pops; editSet adds or removes.
func (h *harness) editList(i int, key []byte) {
	d := h.ks.DBs[i]
	e, found := d.LookupWrite(key)
	mv, _ := h.live(i, key)
	if found && e.Type() != ds.TypeList {
		return
	}
	push := !found || h.src.IntN(3) > 0
	head := h.src.IntN(2) == 0
	var pushed []string
	if push {
		for n := 1 + h.src.IntN(3); n > 0; n-- {
			if h.src.IntN(8) == 0 {
				pushed = append(pushed, string(bytes.Repeat([]byte("x"), 1+h.src.IntN(300))))
			} else {
				pushed = append(pushed, h.member())
			}
		}
		if h.src.IntN(10) == 0 {
			for n := 70 + h.src.IntN(100); n > 0; n-- { // more than one RPUSH batch
				pushed = append(pushed, strconv.Itoa(n))
			}
		}
	}
	exists := d.EditContainer(key, e, found, ds.TypeList, func(ct ds.Container) (ds.Container, int) {
		var q ds.List
		if ct.Ref == 0 {
			q = ds.NewList(d.Alloc(), -2, 0)
		} else {
			q = ds.OpenList(d.Alloc(), ct)
		}
		if !push {
			_, ok := q.Pop(head, nil)
			return q.Container(), map[bool]int{true: 1}[ok]
		}
		for _, v := range pushed {
			if head {
				q.PushHead([]byte(v))
			} else {
				q.PushTail([]byte(v))
			}
		}
		return q.Container(), len(pushed)
	})
	if mv == nil {
		mv = &val{typ: ds.TypeList}
	}
	switch {
	case !push && head:
		mv.list = mv.list[1:]
	case !push:
		mv.list = mv.list[:len(mv.list)-1]
	case head:
		for _, v := range pushed {
			mv.list = append([]string{v}, mv.list...)
		}
	default:
		mv.list = append(mv.list, pushed...)
	}
	if len(mv.list) == 0 {
		delete(h.m[i], string(key))
	} else {
		h.m[i][string(key)] = mv
	}
	if exists != (len(mv.list) > 0) {
		h.t.Fatalf("list %q exists %v; model has %d elements", key, exists, len(mv.list))
	}
}

func (h *harness) editSet(i int, key []byte) {
	d := h.ks.DBs[i]
	e, found := d.LookupWrite(key)
	mv, _ := h.live(i, key)
	if found && e.Type() != ds.TypeSet {
		return
	}
	add := !found || h.src.IntN(3) > 0
	var ms []string
	for n := 1 + h.src.IntN(3); n > 0; n-- {
		ms = append(ms, h.member())
	}
	if add && h.src.IntN(10) == 0 {
		for n := 70 + h.src.IntN(100); n > 0; n-- {
			ms = append(ms, "big"+strconv.Itoa(n))
		}
	}
	d.EditContainer(key, e, found, ds.TypeSet, func(ct ds.Container) (ds.Container, int) {
		changed := 0
		for _, m := range ms {
			var ok bool
			if add {
				ct, ok = ds.SetAdd(d.Alloc(), ct, []byte(m), maxIntset)
			} else if ct.Ref != 0 { // an emptied intset is gone
				ct, ok = ds.SetRemove(d.Alloc(), ct, []byte(m))
			}
			if ok {
				changed++
			}
		}
		return ct, changed
	})
	if mv == nil {
		mv = &val{typ: ds.TypeSet, set: map[string]bool{}}
	}
	for _, m := range ms {
		if add {
			mv.set[m] = true
		} else {
			delete(mv.set, m)
		}
	}
	if len(mv.set) == 0 {
		delete(h.m[i], string(key))
	} else {
		h.m[i][string(key)] = mv
	}
}

// op makes one random change.
func (h *harness) op() {
	i := h.src.IntN(testDBs)
	d := h.ks.DBs[i]
	key := h.key()
	switch h.src.IntN(20) {
	case 0, 1, 2:
		h.setString(i, key)
	case 3:
		d.Delete(key)
		delete(h.m[i], string(key))
	case 4:
		if e, ok := d.LookupWrite(key); ok && e.Type() == ds.TypeString {
			suf := h.value()
			d.Append(e, []byte(suf))
			h.m[i][string(key)].str += suf
		}
	case 5:
		e, found := d.LookupWrite(key)
		if !found || e.Type() == ds.TypeString {
			n := int64(h.src.IntN(1000))
			d.SetInt(key, e, found, n)
			if mv, ok := h.live(i, key); ok {
				mv.str = strconv.FormatInt(n, 10)
			} else {
				h.m[i][string(key)] = &val{typ: ds.TypeString, str: strconv.FormatInt(n, 10)}
			}
		}
	case 6, 7, 8:
		h.editList(i, key)
	case 9, 10, 11:
		h.editSet(i, key)
	case 12:
		if e, ok := d.LookupWrite(key); ok {
			has, dl := h.expiry(false)
			d.SetDeadline(e, has, dl)
			mv := h.m[i][string(key)]
			mv.ttl, mv.deadline = has, dl
		}
	case 13:
		if e, ok := d.LookupWrite(key); ok {
			dst := h.key()
			if !bytes.Equal(dst, key) {
				d.Rename(key, e, dst)
				h.m[i][string(dst)] = h.m[i][string(key)]
				delete(h.m[i], string(key))
			}
		}
	case 14:
		j := (i + 1 + h.src.IntN(testDBs-1)) % testDBs
		if e, ok := d.LookupWrite(key); ok && !h.ks.DBs[j].Exists(key) {
			d.MoveTo(key, e, h.ks.DBs[j])
			h.m[j][string(key)] = h.m[i][string(key)]
			delete(h.m[i], string(key))
		}
	case 15:
		h.now += int64(h.src.IntN(200))
		h.ks.Tick(h.now)
	case 16:
		if e, ok := d.RandomExpiring(uint64(h.src.IntN(1 << 30))); ok {
			d.ExpireIfDue(e)
		}
	case 17:
		if h.src.IntN(10) == 0 {
			h.rare[0]++
			d.Flush()
			h.m[i] = map[string]*val{}
		}
	case 18:
		if h.src.IntN(5) == 0 {
			h.rare[1]++
			j := h.src.IntN(testDBs)
			h.ks.Swap(i, j)
			h.m[i], h.m[j] = h.m[j], h.m[i]
		}
	case 19:
		if h.src.IntN(5) == 0 {
			h.rare[2]++
			h.grow(i, 50+h.src.IntN(400))
		}
	}
}

// grow inserts n new string keys into database i.
func (h *harness) grow(i, n int) {
	for ; n > 0; n-- {
		k := "g" + strconv.Itoa(h.grown)
		h.grown++
		h.ks.DBs[i].SetString([]byte(k), []byte(k), db.Expiry{})
		h.m[i][k] = &val{typ: ds.TypeString, str: k}
	}
}

func (h *harness) install(s *Snapshot) {
	h.ks.Hooks = db.Hooks{BeforeWrite: s.BeforeWrite, BeforeFlush: s.BeforeFlush, BeforeSwap: s.BeforeSwap}
}

// replay runs the commands of a snapshot file into a fresh keyspace at
// nowMs, failing on anything a snapshot must not contain (a key written
// twice, an unknown command, a truncated command).
func replay(t testing.TB, file []byte, nowMs int64) *db.Keyspace {
	ks := db.NewKeyspace(goheap.New(), testDBs)
	ks.Tick(nowMs)
	var d *db.DB
	var open [testDBs]map[string]bool   // lists and sets that may go on
	var last [testDBs]map[string]string // each key's previous command
	for i := range open {
		open[i], last[i] = map[string]bool{}, map[string]string{}
	}
	for len(file) > 0 {
		args, rest, err := parseCommand(file)
		if err != nil {
			t.Fatalf("replay at byte %d: %v", len(file), err)
		}
		file = rest
		name := string(args[0])
		if name == "SELECT" {
			n, err := strconv.Atoi(string(args[1]))
			if err != nil || n < 0 || n >= testDBs || len(args) != 2 {
				t.Fatalf("bad SELECT %q", args)
			}
			d = ks.DBs[n]
			continue
		}
		if d == nil || len(args) < 3 {
			t.Fatalf("%q before SELECT or too short", args)
		}
		key := args[1]
		e, found := d.Lookup(key)
		// A large list or set comes in slices, between which other keys
		// may be written; its deadline comes after its last slice.
		ok := open[d.ID][string(key)]
		switch name {
		case "SET":
			ok = !found
		case "RPUSH", "SADD":
			ok = !found || ok && name == last[d.ID][string(key)]
			open[d.ID][string(key)] = true
		case "PEXPIREAT":
			ok = found && (ok || last[d.ID][string(key)] == "SET")
			delete(open[d.ID], string(key))
		}
		if !ok {
			t.Fatalf("key %q written twice, or a %s out of place", key, name)
		}
		last[d.ID][string(key)] = name
		switch name {
		case "SET":
			if len(args) != 3 {
				t.Fatalf("bad SET %q", args)
			}
			d.SetString(key, args[2], db.Expiry{})
		case "RPUSH":
			if len(args) > 2+itemsPerCmd {
				t.Fatalf("RPUSH of %d elements", len(args)-2)
			}
			d.EditContainer(key, e, found, ds.TypeList, func(ct ds.Container) (ds.Container, int) {
				q := ds.NewList(d.Alloc(), -2, 0)
				if ct.Ref != 0 {
					q = ds.OpenList(d.Alloc(), ct)
				}
				for _, v := range args[2:] {
					q.PushTail(v)
				}
				return q.Container(), len(args) - 2
			})
		case "SADD":
			if len(args) > 2+itemsPerCmd {
				t.Fatalf("SADD of %d members", len(args)-2)
			}
			d.EditContainer(key, e, found, ds.TypeSet, func(ct ds.Container) (ds.Container, int) {
				for _, m := range args[2:] {
					ct, _ = ds.SetAdd(d.Alloc(), ct, m, maxIntset)
				}
				return ct, len(args) - 2
			})
		case "PEXPIREAT":
			ms, err := strconv.ParseInt(string(args[2]), 10, 64)
			if err != nil || len(args) != 3 {
				t.Fatalf("bad PEXPIREAT %q", args)
			}
			d.SetDeadline(e, true, ms)
		default:
			t.Fatalf("unexpected command %q", args)
		}
	}
	return ks
}

// parseCommand reads one RESP array of bulk strings.
func parseCommand(b []byte) (args [][]byte, rest []byte, err error) {
	line := func() (int, error) {
		i := bytes.Index(b, []byte("\r\n"))
		if i < 1 {
			return 0, errors.New("no line")
		}
		n, err := strconv.Atoi(string(b[1:i]))
		b = b[i+2:]
		return n, err
	}
	if b[0] != '*' {
		return nil, nil, fmt.Errorf("want '*', got %q", b[0])
	}
	n, err := line()
	if err != nil || n < 1 {
		return nil, nil, fmt.Errorf("bad array header: %v", err)
	}
	for ; n > 0; n-- {
		if len(b) == 0 || b[0] != '$' {
			return nil, nil, errors.New("want a bulk")
		}
		l, err := line()
		if err != nil || l < 0 || len(b) < l+2 || string(b[l:l+2]) != "\r\n" {
			return nil, nil, errors.New("bad bulk")
		}
		args = append(args, b[:l])
		b = b[l+2:]
	}
	return args, b, nil
}

// chunkWriter records the chunks it is handed, copying them.
type chunkWriter struct {
	buf    []byte
	chunks int
	max    int
}

func (w *chunkWriter) Write(p []byte) (int, error) {
	w.buf = append(w.buf, p...)
	w.chunks++
	w.max = max(w.max, len(p))
	return len(p), nil
}

// runModel populates a keyspace, snapshots it while ops() runs between
// tiny steps, and checks the replayed file against the model at the
// instant. It returns the harness for further checks.
func runModel(t testing.TB, h *harness, populate, opsPerStep int) (*chunkWriter, *Snapshot) {
	for n := 0; n < populate; n++ {
		h.op()
	}
	// Some expired keys stay in the tables (none of them may be written).
	for i := 0; i < testDBs && populate > 0; i++ {
		for j := 0; j < 5; j++ {
			k := []byte("dead" + strconv.Itoa(j))
			h.ks.DBs[i].SetString(k, []byte("x"), db.At(h.now-1))
		}
	}
	instant := h.m.at(h.now)
	h.instant = instant
	instantMs := h.now
	w := &chunkWriter{}
	s := NewSnapshot(h.ks, w, h.now)
	if h.slice != 0 {
		s.sliceElems = h.slice // lists and sets of tests are written in slices
	}
	h.install(s)
	h.rare = [3]int{}
	for steps := 0; ; steps++ {
		done, err := s.Step(0)
		if err != nil {
			t.Fatal(err)
		}
		if done {
			break
		}
		if steps > 1_000_000 {
			t.Fatal("the snapshot does not end")
		}
		for n := h.src.IntN(opsPerStep + 1); n > 0; n-- {
			h.op()
		}
	}
	for i, d := range h.ks.DBs {
		if d.NoShrink() {
			t.Fatalf("db %d still kept from shrinking after the snapshot", i)
		}
	}
	// The driver's own check: the keyspace is the model now.
	h.ks.Hooks = db.Hooks{}
	diffModels(t, "keyspace after the ops", dump(h.ks), h.m.at(h.now))

	got := replay(t, w.buf, instantMs)
	diffModels(t, "replayed snapshot", dump(got), instant)
	written, total, nbytes := s.Progress()
	want := 0
	for i := range instant {
		want += len(instant[i])
	}
	if written != int64(want) || nbytes != int64(len(w.buf)) || total < written {
		t.Fatalf("progress: written %d of %d, %d bytes; want %d keys written, %d bytes", written, total, nbytes, want, len(w.buf))
	}
	return w, s
}

func TestSnapshotModel(t *testing.T) {
	var rare [3]int
	// The walk's positions are each layout's own (ScanPos, CursorPos).
	for _, layout := range ds.Layouts() {
		for seed := uint64(1); seed <= 8; seed++ {
			t.Run(fmt.Sprintf("layout=%s/seed=%d", layout, seed), func(t *testing.T) {
				h := newHarnessLayout(t, rand.New(rand.NewPCG(seed, 42)), 2000, layout)
				h.slice = int(seed) * 8
				w, s := runModel(t, h, 6000, 2*int(seed))
				written, total, _ := s.Progress()
				t.Logf("%d of %d keys, %d bytes in %d chunks; flushes, swaps, grows during it: %v", written, total, len(w.buf), w.chunks, h.rare)
				for i := range rare {
					rare[i] += h.rare[i]
				}
			})
		}
	}
	if rare[0] == 0 || rare[1] == 0 || rare[2] == 0 {
		t.Fatalf("flushes, swaps, grows during the snapshots: %v; want some of each", rare)
	}
}

// TestSnapshotUnchanged: without writes, the file is the keyspace, written
// in chunks of about chunkSize, each database after one SELECT, as Redis
// writes its base file.
func TestSnapshotUnchanged(t *testing.T) {
	h := newHarness(t, rand.New(rand.NewPCG(7, 7)), 5000)
	for n := 0; n < 20000; n++ {
		h.op()
	}
	w, _ := runModel(t, h, 0, 0)
	if w.chunks < 2 || w.max > chunkSize+chunkSize/2 {
		t.Fatalf("%d bytes in %d chunks of at most %d", len(w.buf), w.chunks, w.max)
	}
	if n := bytes.Count(w.buf, []byte("$6\r\nSELECT\r\n")); n != testDBs {
		t.Fatalf("%d SELECTs for %d databases", n, testDBs)
	}
	var whole chunkWriter
	if err := WriteAll(h.ks, &whole, h.now); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(whole.buf, w.buf) {
		t.Fatal("WriteAll wrote other bytes than the stepped snapshot")
	}
}

// TestSerializeForm: the commands of each type, byte for byte as Redis
// 7.0's BGREWRITEAOF writes them (aof-use-rdb-preamble no).
func TestSerializeForm(t *testing.T) {
	ks := db.NewKeyspace(goheap.New(), 3)
	ks.Tick(1000)
	d := ks.DBs[2]
	d.SetString([]byte("n"), []byte("12345"), db.Expiry{})
	d.SetString([]byte("s"), []byte("hello"), db.At(5000))
	d.EditContainer([]byte("l"), ds.Entry{}, false, ds.TypeList, func(ds.Container) (ds.Container, int) {
		q := ds.NewList(d.Alloc(), -2, 0)
		for i := 1; i <= 66; i++ {
			q.PushTail([]byte(strconv.Itoa(i)))
		}
		return q.Container(), 66
	})
	var w chunkWriter
	if err := WriteAll(ks, &w, 1000); err != nil {
		t.Fatal(err)
	}
	list := "*66\r\n$5\r\nRPUSH\r\n$1\r\nl\r\n"
	for i := 1; i <= 64; i++ {
		list += fmt.Sprintf("$%d\r\n%d\r\n", len(strconv.Itoa(i)), i)
	}
	list += "*4\r\n$5\r\nRPUSH\r\n$1\r\nl\r\n$2\r\n65\r\n$2\r\n66\r\n"
	want := map[string]string{
		"n": "*3\r\n$3\r\nSET\r\n$1\r\nn\r\n$5\r\n12345\r\n",
		"s": "*3\r\n$3\r\nSET\r\n$1\r\ns\r\n$5\r\nhello\r\n*3\r\n$9\r\nPEXPIREAT\r\n$1\r\ns\r\n$4\r\n5000\r\n",
		"l": list,
	}
	got := string(w.buf)
	const sel = "*2\r\n$6\r\nSELECT\r\n$1\r\n2\r\n"
	if len(got) < len(sel) || got[:len(sel)] != sel {
		t.Fatalf("got %q; want it to start with %q", got, sel)
	}
	rest := got[len(sel):]
	for _, k := range []string{"n", "s", "l"} {
		if !bytes.Contains([]byte(rest), []byte(want[k])) {
			t.Fatalf("got %q; want it to hold %q", rest, want[k])
		}
	}
	if len(rest) != len(want["n"])+len(want["s"])+len(want["l"]) {
		t.Fatalf("got %q; want only the three keys", rest)
	}
}

// TestSnapshotAbort: an aborted snapshot lets the tables shrink and its
// hooks do nothing.
func TestSnapshotAbort(t *testing.T) {
	h := newHarness(t, rand.New(rand.NewPCG(9, 9)), 2000)
	h.grow(0, 3000)
	var w chunkWriter
	s := NewSnapshot(h.ks, &w, h.now)
	h.install(s)
	s.Step(0)
	if !h.ks.DBs[0].NoShrink() {
		t.Fatal("a walked table may shrink")
	}
	s.Abort()
	n := len(w.buf)
	for k := 0; k < 3000; k++ {
		h.ks.DBs[0].Delete([]byte("g" + strconv.Itoa(k)))
	}
	if h.ks.DBs[0].NoShrink() || len(w.buf) != n {
		t.Fatalf("after Abort: no-shrink %v, %d bytes written by hooks", h.ks.DBs[0].NoShrink(), len(w.buf)-n)
	}
	if done, err := s.Step(0); !done || err != nil {
		t.Fatalf("Step after Abort: %v, %v", done, err)
	}
}

type failWriter struct{ after int }

func (w *failWriter) Write(p []byte) (int, error) {
	if w.after--; w.after < 0 {
		return 0, errors.New("disk full")
	}
	return len(p), nil
}

// TestSnapshotWriteError: a failing writer ends the snapshot with its error.
func TestSnapshotWriteError(t *testing.T) {
	h := newHarness(t, rand.New(rand.NewPCG(3, 3)), 2000)
	h.grow(1, 20000)
	s := NewSnapshot(h.ks, &failWriter{after: 2}, h.now)
	h.install(s)
	var err error
	for done := false; !done; {
		done, err = s.Step(0)
	}
	if err == nil || err.Error() != "disk full" {
		t.Fatalf("got %v; want disk full", err)
	}
	if h.ks.DBs[1].NoShrink() {
		t.Fatal("a failed snapshot keeps a table from shrinking")
	}
}

// FuzzSnapshot drives the model test with the fuzzer's bytes: they choose
// the population, the operations between steps and their arguments.
func FuzzSnapshot(f *testing.F) {
	f.Add([]byte{})
	f.Add(bytes.Repeat([]byte{6, 1, 0, 9, 2, 3, 0, 5}, 64))
	grow := []byte{}
	for i := 0; i < 40; i++ {
		grow = append(grow, byte(i%4), 0, 19, 0, 200) // many grows
	}
	f.Add(grow)
	f.Fuzz(func(t *testing.T, b []byte) {
		src := &byteSource{b: b}
		h := newHarness(t, src, 24)
		h.slice = 1 + src.IntN(100)
		populate := src.IntN(200)
		runModel(t, h, populate, 4)
	})
}

// TestSnapshotLargeKeys: a list or set larger than a slice is written over
// several Steps; a write that reaches it meanwhile (a push, an add, a
// delete, a rename, an expiry, a flush, a swap then a delete) first writes
// the rest of it as it was.
func TestSnapshotLargeKeys(t *testing.T) {
	writes := map[string]func(h *harness, key []byte){
		"edit": func(h *harness, key []byte) {
			e, _ := h.ks.DBs[0].LookupWrite(key)
			if e.Type() == ds.TypeList {
				h.ks.DBs[0].EditContainer(key, e, true, ds.TypeList, func(ct ds.Container) (ds.Container, int) {
					q := ds.OpenList(h.ks.Alloc, ct)
					q.PushTail([]byte("new"))
					q.Pop(true, nil)
					return q.Container(), 2
				})
				return
			}
			h.ks.DBs[0].EditContainer(key, e, true, ds.TypeSet, func(ct ds.Container) (ds.Container, int) {
				ct, _ = ds.SetAdd(h.ks.Alloc, ct, []byte("new"), maxIntset)
				ct, _ = ds.SetRemove(h.ks.Alloc, ct, []byte("m1"))
				return ct, 2
			})
		},
		"delete": func(h *harness, key []byte) { h.ks.DBs[0].Delete(key) },
		"rename": func(h *harness, key []byte) {
			e, _ := h.ks.DBs[0].LookupWrite(key)
			h.ks.DBs[0].Rename(key, e, []byte("renamed"))
		},
		"expire": func(h *harness, key []byte) {
			e, _ := h.ks.DBs[0].LookupWrite(key)
			h.ks.DBs[0].SetDeadline(e, true, h.now+1)
			h.now += 2
			h.ks.Tick(h.now)
			h.ks.DBs[0].Lookup(key)
		},
		"flush": func(h *harness, key []byte) { h.ks.DBs[0].Flush() },
		"swap": func(h *harness, key []byte) {
			h.ks.Swap(0, 1)
			h.ks.DBs[1].Delete(key)
		},
	}
	for name, write := range writes {
		// A list of 1000 short elements is a bare listpack with fill -2
		// and a quicklist of 250 nodes with fill 4: both forms are walked
		// over several steps.
		for _, kind := range []struct {
			typ  uint8
			fill int
		}{{ds.TypeList, -2}, {ds.TypeList, 4}, {ds.TypeSet, 0}} {
			typ := kind.typ
			t.Run(fmt.Sprintf("%s/type=%d/fill=%d", name, typ, kind.fill), func(t *testing.T) {
				h := newHarness(t, rand.New(rand.NewPCG(1, 1)), 10)
				d := h.ks.DBs[0]
				big := &val{typ: typ, set: map[string]bool{}}
				d.EditContainer([]byte("big"), ds.Entry{}, false, typ, func(ct ds.Container) (ds.Container, int) {
					q := ds.NewList(d.Alloc(), kind.fill, 0)
					for i := 0; i < 1000; i++ {
						m := "m" + strconv.Itoa(i)
						if typ == ds.TypeList {
							q.PushTail([]byte(m))
							big.list = append(big.list, m)
						} else {
							ct, _ = ds.SetAdd(d.Alloc(), ct, []byte(m), maxIntset)
							big.set[m] = true
						}
					}
					if typ == ds.TypeList {
						if q.Bare() != (kind.fill == -2) {
							t.Fatalf("fill %d: bare %v", kind.fill, q.Bare())
						}
						return q.Container(), 1000
					}
					q.Free()
					return ct, 1000
				})
				if typ == ds.TypeList {
					big.set = nil
				}
				h.grow(0, 200)
				instant := h.m.at(h.now)
				instant[0]["big"] = big
				instantMs := h.now
				var w chunkWriter
				s := NewSnapshot(h.ks, &w, h.now)
				s.sliceElems = 100
				h.install(s)
				for len(s.pending) == 0 {
					if done, _ := s.Step(0); done {
						t.Fatal("the snapshot ended without a pending key")
					}
				}
				s.Step(0) // one more slice
				write(h, []byte("big"))
				if len(s.pending) != 0 {
					t.Fatal("the write left the key pending")
				}
				for done := false; !done; done, _ = s.Step(0) {
				}
				got := replay(t, w.buf, instantMs)
				diffModels(t, "replayed snapshot", dump(got), instant)
			})
		}
	}
}
