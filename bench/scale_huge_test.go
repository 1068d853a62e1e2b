package bench

import (
	"errors"
	"strings"
	"testing"
)

func w1Row(backend string, n int, rss float64) Row {
	return Row{Workload: "W1", Param: nParam(n), Backend: backend, Status: StatusOK,
		Metrics: map[string]Stat{MBytesRSS: {Median: rss}, MBytesUsed: {Median: rss - 2}}}
}

// TestPickHuge: H1 goes to the leanest rundb backend by W1 bytes/key by
// RSS at the largest N a rundb backend reached, among the run's backends;
// without such rows to the default, else the first rundb backend.
func TestPickHuge(t *testing.T) {
	backends := []string{Redis, "arena", "jemalloc", "arena/dash", "arena/chained"}
	rows := []Row{
		w1Row(Redis, 1000, 100), w1Row(Redis, 10000, 120),
		// At N=1000 jemalloc is the leanest, but N=10000 decides.
		w1Row("arena", 1000, 60), w1Row("jemalloc", 1000, 40), w1Row("arena/dash", 1000, 70),
		w1Row("arena", 10000, 55), w1Row("jemalloc", 10000, 62), w1Row("arena/dash", 10000, 51.5),
		// A failed row and a row of a backend outside the run do not count.
		{Workload: "W1", Param: nParam(10000), Backend: "arena/chained", Status: StatusFailed},
		w1Row("tcmalloc", 10000, 20),
		// Nor do a larger N on Redis alone, or another workload.
		w1Row(Redis, 50000, 130),
		{Workload: "W2", Param: nParam(10000), Backend: "arena", Status: StatusOK, Metrics: map[string]Stat{MBytesRSS: {Median: 5}}},
	}
	b, why := PickHuge(rows, backends)
	if b != "arena/dash" || !strings.Contains(why, "N=10,000") || !strings.Contains(why, "51.5") {
		t.Errorf("picked %q (%s); want arena/dash at N=10,000", b, why)
	}
	cands, red := W1RSSAt(rows, backends)
	var order []string
	for _, c := range cands {
		order = append(order, c.Backend)
	}
	if strings.Join(order, ",") != "arena/dash,arena,jemalloc" || red.PerKey != 120 || red.N != 10000 {
		t.Errorf("candidates %v, redis %+v", order, red)
	}
	if r, ok := RedisW1RSS(rows); !ok || r.N != 50000 || r.PerKey != 130 {
		t.Errorf("RedisW1RSS: %+v %v; want Redis's largest N", r, ok)
	}

	if b, why := PickHuge(nil, backends); b != DefaultHugeBackend || !strings.Contains(why, "default") {
		t.Errorf("no rows: %q (%s); want %s", b, why, DefaultHugeBackend)
	}
	if b, _ := PickHuge(nil, []string{Redis, "jemalloc", "arena"}); b != "jemalloc" {
		t.Errorf("no rows, no default: %q; want the first rundb backend", b)
	}
	if b, why := PickHuge(rows, []string{Redis}); b != "" || why == "" {
		t.Errorf("Redis only: %q (%s); want nothing", b, why)
	}
}

func TestHugeFitsAndMemInfo(t *testing.T) {
	// 5,000 keys cost 300,000 B: 100,000 keys need 6 MB, 7.8 MB with headroom.
	if err := hugeFits(300_000, 5_000, 100_000, 8_000_000); err != nil {
		t.Errorf("fits: %v", err)
	}
	err := hugeFits(300_000, 5_000, 100_000, 7_000_000)
	if !errors.Is(err, errTooBig) || !strings.Contains(err.Error(), "100,000 keys") {
		t.Errorf("does not fit: got %v", err)
	}
	text := "MemTotal:       24576000 kB\nMemFree:  100 kB\nMemAvailable:   20000000 kB\n"
	if v, err := parseMemInfo(text, "MemAvailable"); err != nil || v != 20000000*1024 {
		t.Errorf("MemAvailable: %d %v", v, err)
	}
	if _, err := parseMemInfo(text, "SwapTotal"); err == nil {
		t.Error("missing field parsed")
	}
}

// TestHugeReport: the section shows the measured row, Redis's projection
// from its own W1 figure with the verdict against MemTotal, and the pick.
func TestHugeReport(t *testing.T) {
	const n = 100_000_000
	r := &Results{
		Profile: "large", Sizes: Sizes{Huge: n}, Backends: []string{Redis, "arena", "arena/dash"},
		Machine:   Machine{MemTotalMiB: 24 * 1024},
		Workloads: []WorkloadInfo{{Name: "W1", Title: "strings-small", Kind: KindMemory}, {Name: "H1", Title: "strings-huge", Kind: KindHuge, Doc: "doc"}},
		Rows: []Row{
			w1Row(Redis, 10_000_000, 300), w1Row("arena", 10_000_000, 55), w1Row("arena/dash", 10_000_000, 48),
			{Workload: "H1", Param: nParam(n), Backend: "arena/dash", Status: StatusOK, Metrics: map[string]Stat{
				MPopulateSec: {Median: 200}, MH1KeysPerSec: {Median: 500_000}, MBytesRSS: {Median: 50}, MBytesUsed: {Median: 47},
				MRSSBaseMB: {Median: 10}, MRSSLoadedMB: {Median: 4778}, MUsedLoadedMB: {Median: 4500}, MH1FlushSec: {Median: 9},
				MRSSFlushMB: {Median: 20},
			}},
		},
	}
	out := RenderReport(r, nil)
	for _, want := range []string{
		"## H1 `strings-huge` (N=100,000,000)",
		"| arena/dash | 100,000,000 | 200.0 | 500.0k | 4.66 | 4.67 | 4.39 | 47.0 | 50.0 | 9.00 | 0.02 |",
		// 50 B × 1e8 = 4.66 GiB, 0.19 of 24 GiB; 24 GiB / 50 B = 515M keys.
		"| arena/dash (measured) | 50.0 | H1, this run | 4.66 | 0.19 | 515M |",
		"| redis (projected) | 300.0 | W1 at N=10,000,000, this run | 27.94 | 1.16 | 86M |",
		"That projection, 27.9 GiB, exceeds this machine's MemTotal of 24.0 GiB",
		"leanest first: **arena/dash 48.0**, arena 55.0.",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	// A lean Redis fits: the report says so rather than claim it does not.
	setMedian(r, "W1", nParam(10_000_000), Redis, MBytesRSS, 130)
	if out := RenderReport(r, nil); !strings.Contains(out, "12.1 GiB, would fit within this machine's MemTotal") {
		t.Errorf("report: want the fitting verdict:\n%s", out)
	}
	// Without Redis there is no projection.
	r.Rows = r.Rows[1:]
	if out := RenderReport(r, nil); !strings.Contains(out, "No Redis W1 row in this run") || strings.Contains(out, "redis (projected)") {
		t.Error("report without Redis: want no projection")
	}
}

// TestHugePlan: H1 is planned only when Sizes.Huge is set, once, after
// every other workload, on a backend chosen when it runs.
func TestHugePlan(t *testing.T) {
	ws, err := SelectWorkloads([]string{"H1", "W1"})
	if err != nil {
		t.Fatal(err)
	}
	s := Profiles["quick"]
	cfg := Config{Sizes: s, Backends: []string{Redis, "arena", "arena/dash"}, Workloads: ws}
	if runs, _ := PlanCost(cfg); runs != 3*len(sweepSizes(s)) {
		t.Errorf("Huge 0: %d runs; want W1's only", runs)
	}
	cfg.Sizes.Huge = 1000
	cfg.Sizes.MemRepeats = 3
	st := &runState{cfg: cfg, samples: map[string]*rowSamples{}}
	tasks := st.plan()
	last := tasks[len(tasks)-1]
	if len(tasks) != 3*3*len(sweepSizes(s))+1 || last.backend != "(picked)" || !strings.HasPrefix(last.label, "H1 ") {
		t.Errorf("%d tasks, last %q on %q; want H1 once, last, picked", len(tasks), last.label, last.backend)
	}
	if Profiles["large"].Huge != 100_000_000 || Profiles["default"].Huge != 0 || Profiles["quick"].Huge != 0 {
		t.Error("Huge: 100M in the large profile only")
	}
}
