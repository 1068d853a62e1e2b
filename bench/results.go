package bench

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"time"
)

// Row status values.
const (
	StatusOK          = "ok"
	StatusFailed      = "failed"      // the server failed to start, died, or the workload errored
	StatusUnsupported = "unsupported" // the server does not implement a command the workload needs
	StatusMissing     = "missing"     // the server program is not installed
)

// Metric names used by the built-in workloads.
const (
	MPopulateSec = "populate_s"       // populate wall clock, seconds
	MBytesUsed   = "bytes_per_key"    // used_memory growth / N
	MBytesRSS    = "rss_per_key"      // VmRSS growth / N
	MRSSLoadedMB = "rss_loaded_mb"    // VmRSS after populate, MiB
	MRSSFlushMB  = "rss_flushed_mb"   // VmRSS after FLUSHALL, MiB
	MRSSBaseMB   = "rss_base_mb"      // VmRSS of the empty server, MiB
	MReturnedPct = "rss_returned_pct" // share of the RSS growth given back after FLUSHALL
	MRPS         = "rps"              // requests per second (Go load generator)
	MP50         = "p50_ms"
	MP99         = "p99_ms"
	MP999        = "p999_ms"
	MMax         = "max_ms"
	MErrors      = "errors"
	MRBRPS       = "rb_rps" // redis-benchmark's requests per second
	MRBP50       = "rb_p50_ms"
	MRBP99       = "rb_p99_ms"
)

// MUsedLoadedMB is used_memory after populate, MiB.
const MUsedLoadedMB = "used_loaded_mb"

// Stat is one figure over its repeats: the median, with min and max kept.
type Stat struct {
	Median  float64   `json:"median"`
	Min     float64   `json:"min"`
	Max     float64   `json:"max"`
	Repeats []float64 `json:"repeats"`
}

// Row is one workload (at one parameter) on one backend.
type Row struct {
	Workload string          `json:"workload"`
	Param    string          `json:"param,omitempty"` // "N=10000", "P=16", ...
	Backend  string          `json:"backend"`
	Status   string          `json:"status"`
	Error    string          `json:"error,omitempty"`
	Metrics  map[string]Stat `json:"metrics,omitempty"`
	// DurationS is the wall time the row's runs took over all repeats, in
	// seconds: for a fresh-server workload the whole run (the server's
	// start and stop too); for a fixture group's workload its own run
	// only (the group's setup is in Results.Tasks).
	DurationS float64 `json:"duration_s,omitempty"`
}

// Key identifies a row across runs.
func (r Row) Key() string { return r.Workload + "|" + r.Param + "|" + r.Backend }

// Get is the median of metric m, and whether the row is ok and has it.
func (r Row) Get(m string) (float64, bool) {
	if r.Status != StatusOK {
		return 0, false
	}
	s, ok := r.Metrics[m]
	return s.Median, ok
}

// Machine describes where a run happened.
type Machine struct {
	Hostname    string `json:"hostname"`
	CPU         string `json:"cpu"`
	Cores       int    `json:"cores"`
	Kernel      string `json:"kernel"`
	Go          string `json:"go"`
	Redis       string `json:"redis"`           // redis-server version, "" if missing
	RedisBench  string `json:"redis_benchmark"` // redis-benchmark version, "" if missing
	Commit      string `json:"commit"`
	MemTotalMiB int64  `json:"mem_total_mib"`
	CPUs        string `json:"cpus,omitempty"` // how the server and the load generator shared the CPUs
}

// WorkloadInfo is the registered description of a workload, kept in the
// results so a report can be rendered from the JSON alone.
type WorkloadInfo struct {
	Name  string `json:"name"`
	Title string `json:"title"`
	Kind  string `json:"kind"`
	Doc   string `json:"doc"`
}

// Results is everything one run measured.
type Results struct {
	Profile   string         `json:"profile"`
	Started   time.Time      `json:"started"`
	Finished  time.Time      `json:"finished"`
	Machine   Machine        `json:"machine"`
	Sizes     Sizes          `json:"sizes"`
	Backends  []string       `json:"backends"` // row order; Redis first when present
	Workloads []WorkloadInfo `json:"workloads"`
	Notes     []string       `json:"notes,omitempty"`
	Rows      []Row          `json:"rows"`
	// Tasks is where the run's time went: every server run of the plan in
	// order, with its wall time.
	Tasks []TaskTime `json:"tasks,omitempty"`
}

// TaskTime is one server run of the plan and how long it took.
type TaskTime struct {
	Backend string  `json:"backend"`
	Label   string  `json:"label"`
	Seconds float64 `json:"seconds"`
	// SetupS is the part spent starting the server and loading a fixture
	// group's keyspace, before its workloads ran (fixture groups only).
	SetupS float64 `json:"setup_s,omitempty"`
}

// Find returns the row for workload, param and backend.
func (r *Results) Find(workload, param, backend string) (Row, bool) {
	for _, row := range r.Rows {
		if row.Workload == workload && row.Param == param && row.Backend == backend {
			return row, true
		}
	}
	return Row{}, false
}

// Params lists a workload's parameters in first-seen order.
func (r *Results) Params(workload string) []string {
	var out []string
	seen := map[string]bool{}
	for _, row := range r.Rows {
		if row.Workload == workload && !seen[row.Param] {
			seen[row.Param] = true
			out = append(out, row.Param)
		}
	}
	return out
}

// Workload returns the description of a workload in the results.
func (r *Results) Workload(name string) (WorkloadInfo, bool) {
	for _, w := range r.Workloads {
		if w.Name == name {
			return w, true
		}
	}
	return WorkloadInfo{}, false
}

// WriteJSON writes r to path, indented.
func (r *Results) WriteJSON(path string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// ReadResults reads a results.json.
func ReadResults(path string) (*Results, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r Results
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("cannot parse %q: %w", path, err)
	}
	return &r, nil
}

// sortedKeys returns a map's keys sorted.
func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
