package bench

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Workload kinds. The kind picks the repeat count and the report section.
const (
	KindMemory     = "memory"
	KindThroughput = "throughput"
	// KindLarge is a large-value workload (L1): stalls and memory of
	// very large requests, each its own report section.
	KindLarge = "large"
	// KindHuge is a keyspace far beyond the others (H1): one run, on one
	// backend the driver picks after the rest of the run (Workload.Pick).
	KindHuge = "huge"
)

// Env is what a workload run sees: one running server and the run's sizes.
type Env struct {
	Server *Server
	Tools  Tools
	Sizes  Sizes
	Param  string // one of the workload's Params
	// Repeat is the run's repeat index (0 for the first).
	Repeat int
	// Progress reports how far the current run is, from 0 to 1.
	Progress func(frac float64)
}

// Metrics is what one run of a workload measured, by metric name.
type Metrics map[string]float64

// Workload is one named, fixed measurement. Registering one is all a new
// workload needs: the driver runs it on every backend, repeats it, and the
// report picks it up by its kind.
type Workload struct {
	Name  string // "W1"
	Title string // "strings-small"
	Kind  string // KindMemory, KindThroughput, KindLarge, KindQuality or KindHuge
	Doc   string // one line for the report
	// OptIn leaves the workload out of "all": it runs only when named.
	OptIn bool
	// Layouts: also measured on the layout backends ("arena/dash"), the
	// lab's second axis; the other workloads run on the default layout only.
	Layouts bool
	// MinTimeout, when longer than the profile's run timeout, replaces it
	// for this workload (fresh-server workloads only).
	MinTimeout time.Duration
	// Fixture names a registered Fixture. Empty: every run gets a fresh
	// server. Otherwise the workloads sharing the fixture run, one after the
	// other, on one server that ran the fixture's setup once per repeat.
	Fixture string
	// Params lists the parameters the workload runs at ("N=10000", "P=16");
	// nil means one run with Param "".
	Params func(s Sizes) []string
	// Cost estimates the work of one run at param, in arbitrary units
	// (roughly commands sent), for the progress ETA.
	Cost func(s Sizes, param string) float64
	// Pick, when set, makes the workload run on one backend only, chosen
	// once every other workload of the run is done: from the rows measured
	// so far and the run's backends it returns the backend and why; ""
	// runs nothing. Config.PickBackend overrides it. Pick workloads take no
	// Fixture.
	Pick func(done []Row, backends []string) (backend, why string)
	// Run measures once. An error wrapping ErrUnsupported marks the row
	// unsupported; any other error marks it failed.
	Run func(e *Env) (Metrics, error)
}

// Fixture is a setup shared by several workloads on one server.
type Fixture struct {
	Name  string
	Cost  func(s Sizes) float64
	Setup func(e *Env) error
}

var (
	workloads []*Workload
	fixtures  = map[string]*Fixture{}
)

// Register adds a workload. Registering a name twice panics.
func Register(w *Workload) {
	if LookupWorkload(w.Name) != nil {
		panic(fmt.Sprintf("bench: workload %q registered twice", w.Name))
	}
	if w.Run == nil || (w.Kind != KindMemory && w.Kind != KindThroughput && w.Kind != KindLarge && w.Kind != KindQuality && w.Kind != KindHuge) {
		panic(fmt.Sprintf("bench: workload %q needs Run and a known Kind", w.Name))
	}
	workloads = append(workloads, w)
}

// RegisterFixture adds a shared setup.
func RegisterFixture(f *Fixture) { fixtures[f.Name] = f }

// Workloads lists the registered workloads in registration order.
func Workloads() []*Workload { return append([]*Workload(nil), workloads...) }

// LookupWorkload finds a workload by name (case-insensitive), nil if none.
func LookupWorkload(name string) *Workload {
	for _, w := range workloads {
		if strings.EqualFold(w.Name, name) {
			return w
		}
	}
	return nil
}

// SelectWorkloads resolves a list of names ("" or "all": every workload
// but the opt-in ones).
func SelectWorkloads(names []string) ([]*Workload, error) {
	if len(names) == 0 || (len(names) == 1 && (names[0] == "" || names[0] == "all")) {
		var out []*Workload
		for _, w := range workloads {
			if !w.OptIn {
				out = append(out, w)
			}
		}
		return out, nil
	}
	var out []*Workload
	for _, n := range names {
		w := LookupWorkload(strings.TrimSpace(n))
		if w == nil {
			var known []string
			for _, w := range workloads {
				known = append(known, w.Name)
			}
			return nil, fmt.Errorf("unknown workload %q (known: %s)", n, strings.Join(known, ", "))
		}
		out = append(out, w)
	}
	return out, nil
}

func (w *Workload) params(s Sizes) []string {
	if w.Params == nil {
		return []string{""}
	}
	return w.Params(s)
}

func (w *Workload) cost(s Sizes, p string) float64 {
	if w.Cost == nil {
		return 1
	}
	return w.Cost(s, p)
}

// ParamInt reads the integer of a "NAME=123" parameter.
func ParamInt(param, name string) (int, bool) {
	v, ok := strings.CutPrefix(param, name+"=")
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(v)
	return n, err == nil
}

// Info returns the descriptions of ws for the results file.
func Info(ws []*Workload) []WorkloadInfo {
	out := make([]WorkloadInfo, len(ws))
	for i, w := range ws {
		out[i] = WorkloadInfo{Name: w.Name, Title: w.Title, Kind: w.Kind, Doc: w.Doc}
	}
	return out
}

// Sizes are the knobs of a run; profiles set them.
type Sizes struct {
	Strings    int   `json:"strings"`    // N of W1, W2, W7
	Big        int   `json:"big"`        // N of W3 (1 KiB values)
	Containers int   `json:"containers"` // lists / sets in W4-W6
	Elems      int   `json:"elems"`      // elements per list / set
	Sweep      []int `json:"sweep"`      // W1 scale sweep
	TKeys      int   `json:"t_keys"`     // keyspace loaded before T1-T5
	TRequests  int   `json:"t_requests"` // requests per T run at pipeline 1 (x8 at higher pipelines)
	Conns      int   `json:"conns"`
	Pipelines  []int `json:"pipelines"`
	MemRepeats int   `json:"mem_repeats"`
	TRepeats   int   `json:"t_repeats"`
	// RunTimeout bounds one run (and a fixture's setup), in seconds: a
	// server still busy then is killed and its row marked failed.
	RunTimeout int `json:"run_timeout_s"`
	// Huge is H1's N, W1's shapes at a keyspace no other workload reaches
	// (100M in the large profile); 0 skips H1.
	Huge int `json:"huge,omitempty"`
	// NoRedisBenchmark skips the redis-benchmark cross-check of T1-T3.
	NoRedisBenchmark bool `json:"no_redis_benchmark,omitempty"`
}

func (s Sizes) runTimeout() time.Duration {
	if s.RunTimeout <= 0 {
		return 5 * time.Minute
	}
	return time.Duration(s.RunTimeout) * time.Second
}

// Repeats is the repeat count for a kind.
func (s Sizes) Repeats(kind string) int {
	if kind == KindQuality || kind == KindHuge {
		// E1's trace is fixed and its figures move by a few hundredths
		// of a percent between runs; one run keeps make bench short.
		// H1 populates 100M keys: once is what a run can afford.
		return 1
	}
	n := s.MemRepeats
	if kind == KindThroughput {
		n = s.TRepeats
	}
	return max(1, n)
}

// Profiles are the named size sets: quick (CI), default (make bench), large.
var Profiles = map[string]Sizes{
	"quick": {
		Strings: 100_000, Big: 10_000, Containers: 1_000, Elems: 100,
		Sweep: []int{10_000, 100_000}, TKeys: 100_000, TRequests: 60_000,
		Conns: 50, Pipelines: []int{1, 16}, MemRepeats: 1, TRepeats: 3, RunTimeout: 30, NoRedisBenchmark: true,
	},
	"default": {
		Strings: 1_000_000, Big: 100_000, Containers: 10_000, Elems: 100,
		Sweep: []int{10_000, 100_000, 1_000_000}, TKeys: 1_000_000, TRequests: 100_000,
		Conns: 50, Pipelines: []int{1, 16}, MemRepeats: 1, TRepeats: 3, RunTimeout: 120,
	},
	"large": {
		Strings: 10_000_000, Big: 1_000_000, Containers: 100_000, Elems: 100,
		Sweep: []int{10_000, 100_000, 1_000_000, 10_000_000}, TKeys: 10_000_000, TRequests: 400_000,
		Conns: 50, Pipelines: []int{1, 16}, MemRepeats: 1, TRepeats: 3, RunTimeout: 1800,
		Huge: 100_000_000,
	},
}

// ProfileNames lists the profiles, sorted.
func ProfileNames() []string {
	var ns []string
	for n := range Profiles {
		ns = append(ns, n)
	}
	sort.Strings(ns)
	return ns
}
