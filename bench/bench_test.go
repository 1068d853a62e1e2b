package bench

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
)

// synthetic builds a small results set: W1 at two sizes, W4 (unsupported
// on rundb), T1 at P=1 and P=16, for redis, goheap and arena.
func synthetic() *Results {
	r := &Results{
		Profile:  "quick",
		Sizes:    Profiles["quick"],
		Backends: []string{Redis, "goheap", "arena"},
		Machine:  Machine{CPU: "Test CPU", Cores: 2, Kernel: "6.1", Go: "go1.26", Redis: "Redis server v=7.0.15", Commit: "abc123"},
		Workloads: []WorkloadInfo{
			{Name: "W1", Title: "strings-small", Kind: KindMemory, Doc: "small strings"},
			{Name: "W4", Title: "lists", Kind: KindMemory, Doc: "lists"},
			{Name: "T1", Title: "set", Kind: KindThroughput, Doc: "SET"},
		},
	}
	one := func(v float64) Stat {
		return Stat{Median: v, Min: v * 0.9, Max: v * 1.1, Repeats: []float64{v * 0.9, v, v * 1.1}}
	}
	mem := map[string]float64{Redis: 120, "goheap": 60, "arena": 50}
	for _, n := range []int{10000, 100000} {
		for _, b := range r.Backends {
			r.Rows = append(r.Rows, Row{Workload: "W1", Param: nParam(n), Backend: b, Status: StatusOK, Metrics: map[string]Stat{
				MBytesUsed: one(mem[b]), MBytesRSS: one(mem[b] * 1.2), MPopulateSec: one(float64(n) / 1e6),
				MRSSFlushMB: one(10), MRSSLoadedMB: one(20), MRSSBaseMB: one(5),
			}})
		}
	}
	for _, b := range r.Backends {
		row := Row{Workload: "W4", Param: "N=100000", Backend: b, Status: StatusOK, Metrics: map[string]Stat{MBytesUsed: one(22), MPopulateSec: one(0.05)}}
		if b != Redis {
			row = Row{Workload: "W4", Param: "N=100000", Backend: b, Status: StatusUnsupported, Error: "unsupported command: ERR unknown command 'RPUSH'"}
		}
		r.Rows = append(r.Rows, row)
	}
	rps := map[string]float64{Redis: 100000, "goheap": 80000, "arena": 90000}
	for _, p := range []int{1, 16} {
		for _, b := range r.Backends {
			r.Rows = append(r.Rows, Row{Workload: "T1", Param: pParam(p), Backend: b, Status: StatusOK, Metrics: map[string]Stat{
				MRPS: one(rps[b] * float64(p)), MP50: one(0.5), MP99: one(2), MP999: one(5), MMax: one(9),
			}})
		}
	}
	return r
}

// clone deep-copies results so a test can edit one side.
func clone(r *Results) *Results {
	c := *r
	c.Rows = nil
	for _, row := range r.Rows {
		m := map[string]Stat{}
		for k, v := range row.Metrics {
			m[k] = v
		}
		row.Metrics = m
		c.Rows = append(c.Rows, row)
	}
	return &c
}

func setMedian(r *Results, workload, param, backend, metric string, v float64) {
	for i, row := range r.Rows {
		if row.Workload == workload && row.Param == param && row.Backend == backend {
			// Every repeat moves with the median, so the per-round
			// ratios (ThroughputRatio) move as the medians do.
			s := r.Rows[i].Metrics[metric]
			f := v / s.Median
			s.Median, s.Min, s.Max = v, s.Min*f, s.Max*f
			s.Repeats = append([]float64(nil), s.Repeats...)
			for j := range s.Repeats {
				s.Repeats[j] *= f
			}
			r.Rows[i].Metrics[metric] = s
			return
		}
	}
	panic("no row " + workload + param + backend)
}

func TestCompareIdenticalPasses(t *testing.T) {
	base := synthetic()
	cmp := Compare(base, clone(base), DefaultTolerance)
	if cmp.Failed() {
		t.Fatalf("identical runs failed:\n%s", cmp.Format())
	}
	var mem, tp int
	for _, l := range cmp.Lines {
		if l.Backend == Redis {
			t.Errorf("redis row compared: %+v", l)
		}
		switch {
		case l.What == "bytes/key" && l.Verdict == VerdictOK:
			mem++
		case l.What == "rps / redis" && l.Verdict == VerdictOK:
			tp++
		}
	}
	if mem != 4 || tp != 6 {
		t.Errorf("got %d memory and %d throughput ok lines; want 4 and 6 (4 rows, 2 means)\n%s", mem, tp, cmp.Format())
	}
}

func TestCompareMemoryRegression(t *testing.T) {
	base := synthetic()
	cur := clone(base)
	setMedian(cur, "W1", "N=100000", "arena", MBytesUsed, 50*1.04) // +4%: allowed
	if cmp := Compare(base, cur, DefaultTolerance); cmp.Failed() {
		t.Fatalf("+4%% failed:\n%s", cmp.Format())
	}
	setMedian(cur, "W1", "N=100000", "arena", MBytesUsed, 50*1.06) // +6%: regression
	cmp := Compare(base, cur, DefaultTolerance)
	if !cmp.Failed() {
		t.Fatalf("deliberate +6%% memory regression passed:\n%s", cmp.Format())
	}
	out := cmp.Format()
	if !strings.Contains(out, "REGRESSION") || !strings.Contains(out, "arena") || !strings.Contains(out, "+6.0%") {
		t.Errorf("table does not show the regression:\n%s", out)
	}
}

func TestCompareThroughputRatio(t *testing.T) {
	base := synthetic()
	cur := clone(base)
	// The whole machine is 40% slower: ratios hold, no regression.
	for _, b := range base.Backends {
		for _, p := range []string{"P=1", "P=16"} {
			row, _ := base.Find("T1", p, b)
			setMedian(cur, "T1", p, b, MRPS, row.Metrics[MRPS].Median*0.6)
		}
	}
	if cmp := Compare(base, cur, DefaultTolerance); cmp.Failed() {
		t.Fatalf("uniform slowdown failed:\n%s", cmp.Format())
	}
	// One goheap row falls 30% against Redis: within one row's noise, and
	// the mean of its two rows falls 16%.
	cur = clone(base)
	row, _ := base.Find("T1", "P=16", "goheap")
	setMedian(cur, "T1", "P=16", "goheap", MRPS, row.Metrics[MRPS].Median*0.7)
	if cmp := Compare(base, cur, DefaultTolerance); cmp.Failed() {
		t.Fatalf("one row 30%% down failed:\n%s", cmp.Format())
	}
	// The row falls 45%: a regression of the row (the mean falls 26%, a
	// regression too).
	setMedian(cur, "T1", "P=16", "goheap", MRPS, row.Metrics[MRPS].Median*0.55)
	cmp := Compare(base, cur, DefaultTolerance)
	if !cmp.Failed() {
		t.Fatalf("deliberate 45%% throughput regression passed:\n%s", cmp.Format())
	}
	for _, l := range cmp.Lines {
		switch {
		case l.Verdict != VerdictRegression:
		case l.Workload == "T1" && l.Backend == "goheap" && l.Param == "P=16" && math.Abs(l.Change+0.45) < 1e-9:
		case l.Workload == MeanWorkload && l.Backend == "goheap" && math.Abs(l.Change-(math.Sqrt(0.55)-1)) < 1e-9:
		default:
			t.Errorf("unexpected regression line %+v", l)
		}
	}
	// Every arena row falls 25%: no row is a regression, the mean is.
	cur = clone(base)
	for _, p := range []string{"P=1", "P=16"} {
		row, _ := base.Find("T1", p, "arena")
		setMedian(cur, "T1", p, "arena", MRPS, row.Metrics[MRPS].Median*0.75)
	}
	cmp = Compare(base, cur, DefaultTolerance)
	var got []string
	for _, l := range cmp.Lines {
		if l.Verdict == VerdictRegression {
			got = append(got, l.Workload+" "+l.Backend)
		}
	}
	if strings.Join(got, ",") != MeanWorkload+" arena" {
		t.Errorf("regressions %v; want only arena's mean\n%s", got, cmp.Format())
	}
	if out := cmp.Format(); !strings.Contains(out, "regression: T* mean arena: rps / redis") {
		t.Errorf("summary does not name the mean:\n%s", out)
	}
}

func TestCompareRecheck(t *testing.T) {
	base := synthetic()
	cur := clone(base)
	for _, b := range []string{"goheap", "arena"} {
		row, _ := cur.Find("T1", "P=16", b)
		setMedian(cur, "T1", "P=16", b, MRPS, row.Metrics[MRPS].Median*0.5)
	}
	// A memory regression is never measured again.
	setMedian(cur, "W1", "N=10000", "goheap", MBytesUsed, 60*1.10)
	cmp := Compare(base, cur, DefaultTolerance)
	backends, workloads := cmp.ThroughputSuspects()
	if strings.Join(backends, ",") != "redis,goheap,arena" || strings.Join(workloads, ",") != "T1" {
		t.Fatalf("suspects %v %v; want redis,goheap,arena and T1", backends, workloads)
	}
	// The rerun: goheap is back to its baseline ratio, arena still 50% down.
	again := clone(base)
	row, _ := again.Find("T1", "P=16", "arena")
	setMedian(again, "T1", "P=16", "arena", MRPS, row.Metrics[MRPS].Median*0.5)
	cmp.Recheck(base, again)
	if !cmp.Failed() {
		t.Fatalf("confirmed regression passed:\n%s", cmp.Format())
	}
	got := map[string]string{}
	for _, l := range cmp.Lines {
		if l.Verdict == VerdictRegression || strings.Contains(l.Note, "rerun") {
			got[l.Workload+" "+l.Param+" "+l.Backend] = l.Verdict
		}
	}
	want := map[string]string{"T1 P=16 goheap": VerdictOK, "T1 P=16 arena": VerdictRegression, "W1 N=10000 goheap": VerdictRegression,
		MeanWorkload + " mean goheap": VerdictOK, MeanWorkload + " mean arena": VerdictRegression}
	if len(got) != len(want) {
		t.Fatalf("lines %v; want %v\n%s", got, want, cmp.Format())
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %s; want %s\n%s", k, got[k], v, cmp.Format())
		}
	}
	if out := cmp.Format(); !strings.Contains(out, "regression: T1 P=16 arena") || strings.Contains(out, "regression: T1 P=16 goheap") {
		t.Errorf("summary lines wrong:\n%s", out)
	}
}

func TestCompareFallsBackToGoheapWithoutRedis(t *testing.T) {
	base := synthetic()
	cur := clone(base)
	for i, r := range cur.Rows {
		if r.Backend == Redis {
			cur.Rows[i].Status, cur.Rows[i].Metrics = StatusMissing, nil
		}
	}
	setMedian(cur, "T1", "P=1", "arena", MRPS, 90000*0.5)
	cmp := Compare(base, cur, DefaultTolerance)
	if !cmp.Failed() {
		t.Fatalf("regression against goheap passed:\n%s", cmp.Format())
	}
	found := false
	for _, l := range cmp.Lines {
		if l.Backend == "arena" && l.Param == "P=1" && l.Workload == "T1" {
			found = l.What == "rps / goheap" && l.Verdict == VerdictRegression
		}
		if l.Backend == "goheap" && l.Workload == "T1" && l.Verdict != VerdictSkipped {
			t.Errorf("goheap compared with itself: %+v", l)
		}
	}
	if !found {
		t.Errorf("arena T1 P=1 not a regression against goheap:\n%s", cmp.Format())
	}
}

func TestCompareStatusChanges(t *testing.T) {
	base := synthetic()
	cur := clone(base)
	for i, r := range cur.Rows {
		if r.Backend == "arena" && r.Workload == "W1" && r.Param == "N=10000" {
			cur.Rows[i].Status, cur.Rows[i].Error = StatusFailed, "server died: arena exited (signal: killed)"
		}
		if r.Backend == "goheap" && r.Workload == "W4" { // lists landed
			cur.Rows[i] = Row{Workload: "W4", Param: r.Param, Backend: "goheap", Status: StatusOK, Metrics: map[string]Stat{MBytesUsed: {Median: 30}}}
		}
	}
	cur.Rows = append(cur.Rows, Row{Workload: "W1", Param: "N=10000", Backend: "mimalloc", Status: StatusOK})
	cmp := Compare(base, cur, DefaultTolerance)
	if !cmp.Failed() {
		t.Fatalf("a row that died passed:\n%s", cmp.Format())
	}
	verdict := map[string]string{}
	for _, l := range cmp.Lines {
		verdict[l.Workload+l.Param+l.Backend] = l.Verdict
	}
	for k, want := range map[string]string{
		"W1N=10000arena":    VerdictRegression,
		"W4N=100000goheap":  VerdictSkipped,
		"W1N=10000mimalloc": VerdictNew,
	} {
		if verdict[k] != want {
			t.Errorf("%s: got %q; want %q", k, verdict[k], want)
		}
	}
}

func TestSummarize(t *testing.T) {
	s := Summarize([]float64{3, 1, math.NaN(), 2, 10})
	if s.Median != 2.5 || s.Min != 1 || s.Max != 10 || len(s.Repeats) != 4 {
		t.Errorf("got %+v; want median 2.5 min 1 max 10 over 4", s)
	}
	if s := Summarize([]float64{7}); s.Median != 7 || s.Min != 7 || s.Max != 7 {
		t.Errorf("one repeat: got %+v", s)
	}
	if s := Summarize(nil); !math.IsNaN(s.Median) {
		t.Errorf("no repeats: got %+v; want NaN", s)
	}
}

func TestPercentiles(t *testing.T) {
	xs := make([]float64, 10000)
	for i := range xs {
		xs[i] = float64(10000 - i) // 1..10000, reversed
	}
	l := Percentiles(xs)
	if l.P50 != 5000 || l.P99 != 9900 || l.P999 != 9990 || l.Max != 10000 || l.Count != 10000 {
		t.Errorf("got %+v", l)
	}
	if xs[0] != 10000 {
		t.Errorf("Percentiles reordered its input")
	}
	if l := Percentiles(nil); !math.IsNaN(l.P50) {
		t.Errorf("empty: got %+v", l)
	}
}

func TestRowFinish(t *testing.T) {
	ok := &rowSamples{row: Row{Workload: "W1"}}
	ok.add(Metrics{MRPS: 3}, nil)
	ok.add(nil, errors.New("server died: x"))
	ok.add(Metrics{MRPS: 1}, nil)
	r := ok.finish()
	if r.Status != StatusOK || r.Metrics[MRPS].Median != 2 || !strings.Contains(r.Error, "1 of 3 repeats failed") {
		t.Errorf("got %+v", r)
	}
	un := &rowSamples{}
	un.add(nil, fmt.Errorf("%w: ERR unknown command 'RPUSH'", ErrUnsupported))
	if r := un.finish(); r.Status != StatusUnsupported {
		t.Errorf("got %q; want unsupported", r.Status)
	}
	miss := &rowSamples{}
	miss.add(nil, errors.New("redis-server not installed"))
	if r := miss.finish(); r.Status != StatusMissing {
		t.Errorf("got %q; want missing", r.Status)
	}
	bad := &rowSamples{}
	bad.add(nil, errors.New("goheap did not answer PING"))
	if r := bad.finish(); r.Status != StatusFailed || r.Error == "" {
		t.Errorf("got %+v; want failed with error", r)
	}
}

func TestKeyShapes(t *testing.T) {
	for _, c := range []struct {
		got, want string
	}{
		{string(StringKey(nil, 42)), "key:000000000042"},
		{string(StringVal(nil, 42)), "val:000000000042"},
		{string(ListKey(nil, 7)), "list:000007"},
		{string(SetKey(nil, 7)), "set:000007"},
		{string(ListElem(nil, 123)), "elem:00000000123"},
		{string(SetMember(nil, 123)), "member:000000123"},
		{string(CounterKey(nil, 5)), "counter:000000000005"},
		{string(StringKey(nil, 1234567890123)), "key:1234567890123"},
	} {
		if c.got != c.want {
			t.Errorf("got %q; want %q", c.got, c.want)
		}
	}
	for _, n := range []int{0, 999999, 999999999999} {
		if k, v := StringKey(nil, n), StringVal(nil, n); len(k) != 16 || len(v) != 16 {
			t.Errorf("W1 key/value %d: %q %q not 16 bytes", n, k, v)
		}
	}
	if e, m := ListElem(nil, 999999), SetMember(nil, 999999); len(e) != 16 || len(m) != 16 {
		t.Errorf("element/member not 16 bytes: %q %q", e, m)
	}
	v := BigValue(nil, 77)
	if len(v) != 1024 || !strings.HasPrefix(string(v), "000000000077") {
		t.Errorf("BigValue: len %d prefix %q", len(v), v[:12])
	}
}

func TestPopulateCommands(t *testing.T) {
	s := Sizes{Elems: 100}
	var sc scratch
	for _, c := range []struct {
		gen  populator
		i    int
		want string
	}{
		{popW1, 3, "*3\r\n$3\r\nSET\r\n$16\r\nkey:000000000003\r\n$16\r\nval:000000000003\r\n"},
		{popW2, 3, "*3\r\n$3\r\nSET\r\n$16\r\nkey:000000000003\r\n$1\r\n3\r\n"},
		{popW4, 250, "*3\r\n$5\r\nRPUSH\r\n$11\r\nlist:000002\r\n$16\r\nelem:00000000250\r\n"},
		{popW5, 250, "*3\r\n$4\r\nSADD\r\n$10\r\nset:000002\r\n$3\r\n250\r\n"},
		{popW6, 250, "*3\r\n$4\r\nSADD\r\n$10\r\nset:000002\r\n$16\r\nmember:000000250\r\n"},
		{popW7, 3, "*5\r\n$3\r\nSET\r\n$16\r\nkey:000000000003\r\n$16\r\nval:000000000003\r\n$2\r\nEX\r\n$4\r\n3600\r\n"},
	} {
		if got := string(c.gen(nil, c.i, s, &sc)); got != c.want {
			t.Errorf("got %q; want %q", got, c.want)
		}
	}
}

func TestParamsAndRegistry(t *testing.T) {
	s := Profiles["default"]
	w1 := LookupWorkload("w1")
	if w1 == nil {
		t.Fatal("W1 not registered")
	}
	if got := strings.Join(w1.params(s), ","); got != "N=10000,N=100000,N=1000000" {
		t.Errorf("W1 params: got %q", got)
	}
	if got := strings.Join(LookupWorkload("T4").params(s), ","); got != "P=1,P=16" {
		t.Errorf("T4 params: got %q", got)
	}
	if n, ok := ParamInt("N=1000", "N"); !ok || n != 1000 {
		t.Errorf("ParamInt: %d %v", n, ok)
	}
	for _, name := range []string{"W1", "W2", "W3", "W4", "W5", "W6", "W7", "T1", "T2", "T3", "T4", "T5"} {
		if LookupWorkload(name) == nil {
			t.Errorf("%s not registered", name)
		}
	}
	if _, err := SelectWorkloads([]string{"W1", "Z9"}); err == nil || !strings.Contains(err.Error(), "known: W1") {
		t.Errorf("unknown workload: got %v", err)
	}
	defer func() {
		if recover() == nil {
			t.Error("registering W1 twice did not panic")
		}
	}()
	Register(&Workload{Name: "W1", Kind: KindMemory, Run: func(*Env) (Metrics, error) { return nil, nil }})
}

const helpText = `Usage: rundb [/path/to/rundb.conf] [--name value ...]

Allocator backends (--alloc):
  goheap     Go heap, one []byte per block
  arena      mmap'd slabs
  jemalloc   glibc malloc API with libjemalloc preloaded

Parameters (defaults in brackets):
  --port                        TCP port to listen on (0: pick one) [7379]
`

func TestBackendsFromHelp(t *testing.T) {
	got := BackendsFromHelp(helpText)
	if strings.Join(got, ",") != "goheap,arena,jemalloc" {
		t.Errorf("got %q", got)
	}
	if got := BackendsFromHelp("no such section\n"); len(got) != 0 {
		t.Errorf("got %q; want none", got)
	}
}

func TestResolveBackends(t *testing.T) {
	known := []string{"goheap", "arena"}
	all, _ := ResolveBackends("all", known)
	if strings.Join(all, ",") != "redis,goheap,arena" {
		t.Errorf("all: got %q", all)
	}
	some, err := ResolveBackends("arena, redis", known)
	if err != nil || strings.Join(some, ",") != "redis,arena" {
		t.Errorf("got %q, %v; want redis first", some, err)
	}
	_, err = ResolveBackends("goheap,jemaloc", known)
	if err == nil || !strings.Contains(err.Error(), `unknown backend "jemaloc"`) || !strings.Contains(err.Error(), "redis, goheap, arena") {
		t.Errorf("got %v; want an error listing the known backends", err)
	}
}

func TestParseRedisBenchmarkCSV(t *testing.T) {
	out := `"test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
"SET","54794.52","0.603","0.136","0.511","0.807","3.999","8.799"
`
	rps, p50, p99, err := ParseRedisBenchmarkCSV(out)
	if err != nil || rps != 54794.52 || p50 != 0.511 || p99 != 3.999 {
		t.Errorf("got %v %v %v %v", rps, p50, p99, err)
	}
	if _, _, _, err := ParseRedisBenchmarkCSV("ERROR: connection refused\n"); err == nil {
		t.Error("garbage parsed")
	}
}

func TestParseVmRSSAndInfo(t *testing.T) {
	rss, err := parseVmRSS(strings.NewReader("Name:\trundb\nVmPeak:\t  9 kB\nVmRSS:\t   12345 kB\n"))
	if err != nil || rss != 12345*1024 {
		t.Errorf("got %d, %v", rss, err)
	}
	if _, err := parseVmRSS(strings.NewReader("Name: x\n")); err == nil {
		t.Error("no VmRSS line parsed")
	}
	info := ParseInfo("# Memory\r\nused_memory:1024\r\nmem_allocator:goheap\r\n\r\n")
	if info["used_memory"] != "1024" || info["mem_allocator"] != "goheap" {
		t.Errorf("got %v", info)
	}
}

// TestLayoutBackends: rundb --help's layouts become "alloc/layout"
// backends for LayoutAllocs, the default layout excepted, and only the
// Layouts workloads run on them.
func TestLayoutBackends(t *testing.T) {
	help := "Allocator backends (--alloc):\n  goheap  x\n  arena  y\n\nKeyspace layouts (--keyspace-layout): chained, dash, open\n\n" +
		"Parameters (defaults in brackets):\n  --keyspace-layout     rundb: layout [open]\n"
	layouts, def := LayoutsFromHelp(help)
	if strings.Join(layouts, ",") != "chained,dash,open" || def != "open" {
		t.Fatalf("layouts %v, default %q", layouts, def)
	}
	if a, l := SplitBackend("arena/dash"); a != "arena" || l != "dash" {
		t.Errorf("SplitBackend: %q %q", a, l)
	}
	if a, l := SplitBackend("arena"); a != "arena" || l != "" {
		t.Errorf("SplitBackend: %q %q", a, l)
	}
	if !runsOn(LookupWorkload("W1"), "arena/dash") || runsOn(LookupWorkload("W3"), "arena/dash") || !runsOn(LookupWorkload("W3"), "arena") {
		t.Error("runsOn: W1 runs on every layout, W3 on the default one only")
	}
}
