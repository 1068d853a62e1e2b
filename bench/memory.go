package bench

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"time"
)

// Key and value shapes of the memory workloads (see WORKLOADS.md).

// StringKey is W1/W2/W3/W7's key i: "key:%012d", 16 bytes.
func StringKey(b []byte, i int) []byte { return appendPadded(append(b, "key:"...), i, 12) }

// StringVal is W1's value i: "val:%012d", 16 bytes.
func StringVal(b []byte, i int) []byte { return appendPadded(append(b, "val:"...), i, 12) }

// ListKey is W4's list l: "list:%06d".
func ListKey(b []byte, l int) []byte { return appendPadded(append(b, "list:"...), l, 6) }

// SetKey is W5/W6's set s: "set:%06d".
func SetKey(b []byte, s int) []byte { return appendPadded(append(b, "set:"...), s, 6) }

// ListElem is W4's element i: "elem:%011d", 16 bytes.
func ListElem(b []byte, i int) []byte { return appendPadded(append(b, "elem:"...), i, 11) }

// SetMember is W6's member i: "member:%09d", 16 bytes.
func SetMember(b []byte, i int) []byte { return appendPadded(append(b, "member:"...), i, 9) }

// BigValue is W3's 1024-byte value for key i: the digits of i, then filler.
func BigValue(b []byte, i int) []byte {
	start := len(b)
	b = appendPadded(b, i, 12)
	for len(b)-start < 1024 {
		b = append(b, byte('a'+(len(b)-start)%26))
	}
	return b
}

func appendPadded(b []byte, v, width int) []byte {
	var tmp [20]byte
	d := strconv.AppendInt(tmp[:0], int64(v), 10)
	for i := len(d); i < width; i++ {
		b = append(b, '0')
	}
	return append(b, d...)
}

// populator appends command i (of n) to b, using sc for arguments.
type populator func(b []byte, i int, s Sizes, sc *scratch) []byte

// scratch holds argument buffers reused across commands.
type scratch struct{ k, v [1100]byte }

const populateBatch = 1000

// Populate sends n commands built by gen over one connection, in pipelined
// batches of 1000, reading every reply. It fails on the first error reply.
func Populate(c *Client, n int, s Sizes, gen populator, progress func(float64)) error {
	var sc scratch
	for i, batches := 0, 0; i < n; batches++ {
		m := min(populateBatch, n-i)
		for j := 0; j < m; j++ {
			c.out = gen(c.out, i+j, s, &sc)
		}
		if err := c.Pipeline(m); err != nil {
			return err
		}
		if c.Errors > 0 {
			return fmt.Errorf("populate: %d error replies, first: %s", c.Errors, c.FirstError)
		}
		i += m
		if progress != nil && batches%20 == 0 {
			progress(float64(i) / float64(n))
		}
	}
	return nil
}

var (
	bSET   = []byte("SET")
	bRPUSH = []byte("RPUSH")
	bSADD  = []byte("SADD")
	bEX    = []byte("EX")
	b3600  = []byte("3600")
)

func popW1(b []byte, i int, _ Sizes, sc *scratch) []byte {
	return AppendCommand(b, bSET, StringKey(sc.k[:0], i), StringVal(sc.v[:0], i))
}

func popW2(b []byte, i int, _ Sizes, sc *scratch) []byte {
	return AppendCommand(b, bSET, StringKey(sc.k[:0], i), strconv.AppendInt(sc.v[:0], int64(i), 10))
}

func popW3(b []byte, i int, _ Sizes, sc *scratch) []byte {
	return AppendCommand(b, bSET, StringKey(sc.k[:0], i), BigValue(sc.v[:0], i))
}

func popW4(b []byte, i int, s Sizes, sc *scratch) []byte {
	return AppendCommand(b, bRPUSH, ListKey(sc.k[:0], i/s.Elems), ListElem(sc.v[:0], i))
}

func popW5(b []byte, i int, s Sizes, sc *scratch) []byte {
	return AppendCommand(b, bSADD, SetKey(sc.k[:0], i/s.Elems), strconv.AppendInt(sc.v[:0], int64(i), 10))
}

func popW6(b []byte, i int, s Sizes, sc *scratch) []byte {
	return AppendCommand(b, bSADD, SetKey(sc.k[:0], i/s.Elems), SetMember(sc.v[:0], i))
}

func popW7(b []byte, i int, _ Sizes, sc *scratch) []byte {
	return AppendCommand(b, bSET, StringKey(sc.k[:0], i), StringVal(sc.v[:0], i), bEX, b3600)
}

// flushSettle is how long the lab waits after FLUSHALL before reading RSS.
var flushSettle = 300 * time.Millisecond

// clientSettle is how long a closed connection is given to be freed by the
// server before memory is sampled.
var clientSettle = 50 * time.Millisecond

// MeasureMemory populates n items with gen on a fresh server and measures
// populate time, bytes per item by used_memory and by RSS growth, and RSS
// after FLUSHALL.
//
// Memory is sampled on a fresh connection, before the populating one opens
// and after it has closed, so the figures are the data's alone: a server
// counts its clients' buffers in used_memory too (Redis and rundb alike),
// and what a pipelined connection's buffers hold after the last batch is
// noise, not cost per item.
func MeasureMemory(e *Env, n int, gen populator) (Metrics, error) {
	var dt time.Duration
	mr, err := measureMem(e, func(pop *Client, _ *memRun) error {
		t0 := time.Now()
		err := Populate(pop, n, e.Sizes, gen, e.Progress)
		dt = time.Since(t0)
		return err
	}, nil)
	if err != nil {
		return nil, err
	}
	m := mr.metrics(n)
	m[MPopulateSec] = dt.Seconds()
	return m, nil
}

// memRun is what measureMem sampled: the server's used_memory and RSS
// before populating, once loaded and after FLUSHALL, and the FLUSHALL's
// time.
type memRun struct {
	usedBase, rssBase, used, rss, rssFlushed int64
	flush                                    time.Duration
}

// measureMem samples memory on a fresh connection, runs populate on a
// second one (the base samples already in its memRun), samples again on a fresh connection once the populating one
// has closed (after check, if not nil, has looked at the loaded server),
// then times a FLUSHALL and reads RSS after it.
func measureMem(e *Env, populate func(pop *Client, r *memRun) error, check func(c *Client) error) (*memRun, error) {
	srv := e.Server
	c, err := Dial(srv.Addr, 2*time.Second)
	if err != nil {
		return nil, srv.Check(err)
	}
	defer func() { c.Close() }()
	var r memRun
	if r.usedBase, r.rssBase, err = memSample(c, srv); err != nil {
		return nil, srv.Check(err)
	}
	pop, err := Dial(srv.Addr, 2*time.Second)
	if err != nil {
		return nil, srv.Check(err)
	}
	err = populate(pop, &r)
	pop.Close()
	if err != nil {
		if errors.Is(err, ErrUnsupported) {
			return nil, err
		}
		return nil, srv.Check(err)
	}
	// A fresh connection, once the server has seen the populating one go.
	c.Close()
	time.Sleep(clientSettle)
	if c, err = Dial(srv.Addr, 2*time.Second); err != nil {
		return nil, srv.Check(err)
	}
	if check != nil {
		if err := check(c); err != nil {
			return nil, srv.Check(err)
		}
	}
	if r.used, r.rss, err = memSample(c, srv); err != nil {
		return nil, srv.Check(err)
	}
	t1 := time.Now()
	if _, err := c.Do("FLUSHALL"); err != nil {
		return nil, srv.Check(err)
	}
	r.flush = time.Since(t1)
	time.Sleep(flushSettle)
	if r.rssFlushed, err = srv.RSS(); err != nil {
		return nil, srv.Check(err)
	}
	return &r, nil
}

// metrics are the per-item and loaded figures of a run of n items.
func (r *memRun) metrics(n int) Metrics {
	m := Metrics{
		MBytesUsed:    float64(r.used-r.usedBase) / float64(n),
		MBytesRSS:     float64(r.rss-r.rssBase) / float64(n),
		MRSSBaseMB:    mib(r.rssBase),
		MRSSLoadedMB:  mib(r.rss),
		MRSSFlushMB:   mib(r.rssFlushed),
		MUsedLoadedMB: mib(r.used),
	}
	if grow := r.rss - r.rssBase; grow > 0 {
		m[MReturnedPct] = 100 * float64(r.rss-r.rssFlushed) / float64(grow)
	}
	return m
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

func memSample(c *Client, srv *Server) (used, rss int64, err error) {
	info, err := c.Info("memory")
	if err != nil {
		return 0, 0, err
	}
	used, err = strconv.ParseInt(info["used_memory"], 10, 64)
	if err != nil {
		return 0, 0, fmt.Errorf("INFO memory: bad used_memory %q", info["used_memory"])
	}
	rss, err = srv.RSS()
	return used, rss, err
}

func nParam(n int) string { return "N=" + strconv.Itoa(n) }

func memWorkload(name, title, doc string, count func(Sizes) int, gen populator, weight float64) *Workload {
	return &Workload{
		Name: name, Title: title, Kind: KindMemory, Doc: doc,
		Params: func(s Sizes) []string { return []string{nParam(count(s))} },
		Cost:   func(s Sizes, _ string) float64 { return weight * float64(count(s)) },
		Run: func(e *Env) (Metrics, error) {
			n, _ := ParamInt(e.Param, "N")
			return MeasureMemory(e, n, gen)
		},
	}
}

// HeadlineParam is the parameter of a memory workload shown in the headline
// table: W1 runs at every sweep size, the headline is its default N.
func HeadlineParam(workload string, s Sizes) string {
	switch workload {
	case "W3":
		return nParam(s.Big)
	case "W4", "W5", "W6":
		return nParam(s.Containers * s.Elems)
	}
	return nParam(s.Strings)
}

func sweepSizes(s Sizes) []int {
	seen := map[int]bool{s.Strings: true}
	out := []int{s.Strings}
	for _, n := range s.Sweep {
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	sort.Ints(out)
	return out
}

func init() {
	strs := func(s Sizes) int { return s.Strings }
	elems := func(s Sizes) int { return s.Containers * s.Elems }
	w1 := memWorkload("W1", "strings-small", "SET key:%012d → val:%012d (16 B + 16 B); run at every sweep size", strs, popW1, 1)
	w1.Params = func(s Sizes) []string {
		var ps []string
		for _, n := range sweepSizes(s) {
			ps = append(ps, nParam(n))
		}
		return ps
	}
	w1.Cost = func(_ Sizes, p string) float64 { n, _ := ParamInt(p, "N"); return float64(n) }
	w1.Layouts = true
	Register(w1)
	w2 := memWorkload("W2", "strings-int", "SET key:%012d → the integer i (int encoding)", strs, popW2, 1)
	w2.Layouts = true
	Register(w2)
	Register(memWorkload("W3", "strings-1k", "SET key:%012d → 1024 B value (raw encoding, size classes)", func(s Sizes) int { return s.Big }, popW3, 3))
	Register(memWorkload("W4", "lists", "RPUSH list:%06d elem (16 B), 100 per list; per element", elems, popW4, 1))
	Register(memWorkload("W5", "sets-int", "SADD set:%06d i (integers), 100 per set; per member", elems, popW5, 1))
	Register(memWorkload("W6", "sets-str", "SADD set:%06d member (16 B), 100 per set; per member", elems, popW6, 1))
	w7 := memWorkload("W7", "strings-ttl", "W1 with EX 3600 on every key (expires table)", strs, popW7, 1.2)
	w7.Layouts = true
	Register(w7)
}
