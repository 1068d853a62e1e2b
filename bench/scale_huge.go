package bench

import (
	"errors"
	"fmt"
	"image/color"
	"math"
	"os"
	"sort"
	"strings"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
)

// H1 strings-huge writes W1's key and value shapes at Sizes.Huge keys
// (100,000,000 in the large profile; 0 elsewhere skips it) into one rundb
// server: the leanest combination of allocator and layout by the same
// run's W1 bytes per key by RSS at the largest N (DefaultHugeBackend
// without such rows; -huge-backend forces one). It runs last, once, on a
// fresh server, populating with W1's one pipelined connection, and records
// populate time, keys per second, RSS (growth and total), used_memory,
// bytes per key both ways, and the FLUSHALL that gives it all back.
// Redis is not run at that size: the report projects what it would need
// from its own W1 bytes per key by RSS, measured in the same run, against
// the machine's MemTotal.
//
// Before the bulk of the keys, a probe of HugeProbeShare of them is
// written and the RSS it cost projected to the whole keyspace; when that
// projection (with hugeHeadroom) exceeds the MemAvailable the run started
// with, the run stops there with an error rather than push a shared
// machine into the OOM killer.

// DefaultHugeBackend is H1's backend when the run has no W1 row of a rundb
// backend to pick from.
const DefaultHugeBackend = "arena/dash"

// HugeProbeShare is the share of H1's keys written before the memory check.
const HugeProbeShare = 0.05

// hugeHeadroom covers what the probe cannot see yet: the keyspace table's
// later growth steps.
const hugeHeadroom = 1.3

// Metric names of H1 (with MPopulateSec, MBytesUsed, MBytesRSS,
// MRSSBaseMB, MRSSLoadedMB, MRSSFlushMB and MUsedLoadedMB).
const (
	MH1KeysPerSec = "keys_per_s"        // keys written per second
	MH1FlushSec   = "flush_s"           // FLUSHALL of the whole keyspace, seconds
	MH1AvailMB    = "mem_available_mb"  // MemAvailable when the run started, MiB
	MH1ProbeRSSMB = "probe_rss_grow_mb" // RSS growth after the probe, MiB
)

// W1Basis is one backend's W1 bytes per key by RSS at N.
type W1Basis struct {
	Backend string
	N       int
	PerKey  float64
}

// W1RSSAt lists the W1 rows at the largest N where a rundb backend (one of
// backends) measured bytes per key by RSS, leanest first (ties keep row
// order); Redis's row at that N is returned apart (PerKey 0 without one).
func W1RSSAt(rows []Row, backends []string) (rundb []W1Basis, redis W1Basis) {
	in := map[string]bool{}
	for _, b := range backends {
		in[b] = true
	}
	largest := 0
	for _, r := range rows {
		n, ok := ParamInt(r.Param, "N")
		if _, has := r.Get(MBytesRSS); r.Workload == "W1" && ok && has && r.Backend != Redis && in[r.Backend] && n > largest {
			largest = n
		}
	}
	if largest == 0 {
		return nil, W1Basis{}
	}
	for _, r := range rows {
		v, has := r.Get(MBytesRSS)
		if r.Workload != "W1" || r.Param != nParam(largest) || !has || !in[r.Backend] {
			continue
		}
		if r.Backend == Redis {
			redis = W1Basis{Redis, largest, v}
			continue
		}
		rundb = append(rundb, W1Basis{r.Backend, largest, v})
	}
	sort.SliceStable(rundb, func(i, j int) bool { return rundb[i].PerKey < rundb[j].PerKey })
	return rundb, redis
}

// RedisW1RSS is Redis's W1 bytes per key by RSS at the largest N it was
// measured at in rows; ok is false without one.
func RedisW1RSS(rows []Row) (W1Basis, bool) {
	var best W1Basis
	for _, r := range rows {
		n, ok := ParamInt(r.Param, "N")
		v, has := r.Get(MBytesRSS)
		if r.Workload == "W1" && r.Backend == Redis && ok && has && n > best.N {
			best = W1Basis{Redis, n, v}
		}
	}
	return best, best.N > 0
}

// PickHuge is H1's Workload.Pick: the leanest rundb backend by W1 bytes
// per key by RSS at the largest N measured, else DefaultHugeBackend when
// the run has it, else the run's first rundb backend.
func PickHuge(done []Row, backends []string) (string, string) {
	if c, _ := W1RSSAt(done, backends); len(c) > 0 {
		return c[0].Backend, fmt.Sprintf("the leanest of %d rundb backends by W1 bytes/key by RSS at N=%s in this run (%.1f B/key)",
			len(c), commas(c[0].N), c[0].PerKey)
	}
	var first string
	for _, b := range backends {
		if b == DefaultHugeBackend {
			return b, "no W1 row of a rundb backend in this run to pick from: the default " + DefaultHugeBackend
		}
		if b != Redis && first == "" {
			first = b
		}
	}
	if first != "" {
		return first, "no W1 row of a rundb backend in this run and " + DefaultHugeBackend + " not in it: the first rundb backend"
	}
	return "", "no rundb backend in this run"
}

// MemInfo reads a /proc/meminfo figure ("MemAvailable") in bytes.
func MemInfo(field string) (int64, error) {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0, err
	}
	return parseMemInfo(string(b), field)
}

func parseMemInfo(text, field string) (int64, error) {
	for _, line := range strings.Split(text, "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok || k != field {
			continue
		}
		var kb int64
		if _, err := fmt.Sscanf(strings.TrimSpace(v), "%d kB", &kb); err != nil {
			return 0, fmt.Errorf("/proc/meminfo %s: %q", field, v)
		}
		return kb * 1024, nil
	}
	return 0, fmt.Errorf("/proc/meminfo has no %s", field)
}

// errTooBig is the probe's verdict that the keyspace does not fit.
var errTooBig = errors.New("would not fit")

// hugeFits checks the probe: grow bytes of RSS for probe of n keys,
// projected with hugeHeadroom, against avail bytes.
func hugeFits(grow int64, probe, n int, avail int64) error {
	if probe <= 0 || avail <= 0 {
		return nil
	}
	need := float64(grow) / float64(probe) * float64(n) * hugeHeadroom
	if need > float64(avail) {
		return fmt.Errorf("H1 %w: %s keys cost %.1f MiB of RSS, so %s keys would need about %.1f GiB (with %.0f%% headroom) and %.1f GiB were available; stopped",
			errTooBig, commas(probe), mib(grow), commas(n), need/(1<<30), 100*(hugeHeadroom-1), float64(avail)/(1<<30))
	}
	return nil
}

func runH1(e *Env) (Metrics, error) {
	n, ok := ParamInt(e.Param, "N")
	if !ok || n <= 0 {
		return nil, fmt.Errorf("H1: bad parameter %q", e.Param)
	}
	avail, err := MemInfo("MemAvailable")
	if err != nil {
		return nil, err
	}
	srv := e.Server
	probe := max(1, min(n, int(float64(n)*HugeProbeShare)))
	progress := func(from, to float64) func(float64) {
		return func(f float64) {
			if e.Progress != nil {
				e.Progress(from + (to-from)*f)
			}
		}
	}
	share := float64(probe) / float64(n)
	var dt time.Duration
	var rssProbe int64
	mr, err := measureMem(e, func(pop *Client, r *memRun) error {
		t0 := time.Now()
		if err := Populate(pop, probe, e.Sizes, popW1, progress(0, share)); err != nil {
			return err
		}
		rss, err := srv.RSS()
		if err != nil {
			return err
		}
		rssProbe = rss
		if err := hugeFits(rssProbe-r.rssBase, probe, n, avail); err != nil {
			return err
		}
		rest := func(b []byte, i int, s Sizes, sc *scratch) []byte { return popW1(b, probe+i, s, sc) }
		err = Populate(pop, n-probe, e.Sizes, rest, progress(share, 1))
		dt = time.Since(t0)
		return err
	}, func(c *Client) error {
		if v, err := c.Do("DBSIZE"); err != nil || v.Integer() != n {
			return fmt.Errorf("H1: DBSIZE %v after writing %d keys (%v)", v.Integer(), n, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	m := mr.metrics(n)
	delete(m, MReturnedPct)
	m[MPopulateSec] = dt.Seconds()
	m[MH1KeysPerSec] = float64(n) / dt.Seconds()
	m[MH1FlushSec] = mr.flush.Seconds()
	m[MH1AvailMB] = mib(avail)
	m[MH1ProbeRSSMB] = mib(rssProbe - mr.rssBase)
	return m, srv.Alive()
}

func init() {
	Register(&Workload{
		Name: "H1", Title: "strings-huge", Kind: KindHuge,
		Doc: "W1's keys and values (SET key:%012d → val:%012d) at the huge size (100M in the large profile), written with one pipelined " +
			"connection into the leanest rundb combination by this run's W1 bytes/key by RSS at the largest N; run last, once; " +
			"Redis's need at that size is projected from its own W1 figure, not measured",
		Params: func(s Sizes) []string {
			if s.Huge <= 0 {
				return nil
			}
			return []string{nParam(s.Huge)}
		},
		// A populate command and, at the end, one key freed by FLUSHALL.
		Cost:       func(s Sizes, _ string) float64 { return 1.2 * float64(s.Huge) },
		Pick:       PickHuge,
		MinTimeout: 45 * time.Minute,
		Run:        runH1,
	})
}

// hugeSection renders H1's report section: the measured row, what Redis
// would need at the same N projected from its W1 figure, the machine's
// MemTotal, and the W1 figures the backend was picked from.
func hugeSection(r *Results, w WorkloadInfo) string {
	var b strings.Builder
	ps := r.Params(w.Name)
	if len(ps) == 0 {
		return ""
	}
	p := ps[0]
	n, _ := ParamInt(p, "N")
	fmt.Fprintf(&b, "## %s `%s` (N=%s)\n\n%s.\n\n", w.Name, w.Title, commas(n), w.Doc)
	var row Row
	found := false
	for _, x := range r.Rows {
		if x.Workload == w.Name && x.Param == p {
			row, found = x, true
		}
	}
	if !found {
		b.WriteString("Not run.\n\n")
		return b.String()
	}
	gib := func(mb float64) string { return fmt.Sprintf("%.2f", mb/1024) }
	if row.Status != StatusOK {
		fmt.Fprintf(&b, "On `%s`: %s (%s).\n\n", row.Backend, statusCell(row), firstLine(row.Error))
	} else {
		v := func(m string) float64 { x, _ := row.Get(m); return x }
		b.WriteString("| backend | keys | populate s | keys/s | RSS growth GiB | RSS total GiB | used_memory GiB | bytes/key used | bytes/key RSS | FLUSHALL s | RSS after FLUSHALL GiB |\n")
		b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
		fmt.Fprintf(&b, "| %s | %s | %.1f | %s | %s | %s | %s | %.1f | %.1f | %.2f | %s |\n\n", row.Backend, commas(n),
			v(MPopulateSec), kfmt(v(MH1KeysPerSec)), gib(v(MRSSLoadedMB)-v(MRSSBaseMB)), gib(v(MRSSLoadedMB)),
			gib(v(MUsedLoadedMB)), v(MBytesUsed), v(MBytesRSS), v(MH1FlushSec), gib(v(MRSSFlushMB)))
	}
	b.WriteString(hugeProjection(r, row, n))
	cands, _ := W1RSSAt(r.Rows, r.Backends)
	if len(cands) > 0 {
		fmt.Fprintf(&b, "Picked from W1's bytes/key by RSS at N=%s in this run, leanest first: ", commas(cands[0].N))
		var parts []string
		for _, c := range cands {
			s := fmt.Sprintf("%s %.1f", c.Backend, c.PerKey)
			if c.Backend == row.Backend {
				s = "**" + s + "**"
			}
			parts = append(parts, s)
		}
		b.WriteString(strings.Join(parts, ", ") + ".\n\n")
	}
	return b.String()
}

// hugeProjection is the table of RSS at N keys: rundb measured, Redis
// projected from its own W1 bytes per key by RSS, against MemTotal.
func hugeProjection(r *Results, row Row, n int) string {
	total := float64(r.Machine.MemTotalMiB) * (1 << 20)
	var b strings.Builder
	b.WriteString("| at N keys | bytes/key by RSS | from | RSS GiB | × MemTotal | keys that fit in MemTotal |\n|---|---:|---|---:|---:|---:|\n")
	line := func(who string, perKey float64, from string) {
		need := perKey * float64(n)
		share, fit := "—", "—"
		if total > 0 && perKey > 0 {
			share = fmt.Sprintf("%.2f", need/total)
			fit = humanKeys(total / perKey)
		}
		fmt.Fprintf(&b, "| %s | %.1f | %s | %.2f | %s | %s |\n", who, perKey, from, need/(1<<30), share, fit)
	}
	if v, ok := row.Get(MBytesRSS); ok {
		line(row.Backend+" (measured)", v, "H1, this run")
	}
	red, ok := RedisW1RSS(r.Rows)
	if ok {
		line("redis (projected)", red.PerKey, fmt.Sprintf("W1 at N=%s, this run", commas(red.N)))
	}
	b.WriteString("\n")
	switch {
	case !ok:
		b.WriteString("No Redis W1 row in this run: no projection for Redis.\n\n")
	case total <= 0:
		b.WriteString("The machine's MemTotal is unknown: no verdict.\n\n")
	default:
		need := red.PerKey * float64(n)
		verdict := "would fit within"
		if need > total {
			verdict = "exceeds"
		}
		fmt.Fprintf(&b, "Redis was not run at %s keys: its line is a projection, its own W1 bytes/key by RSS at N=%s times %s. "+
			"That projection, %.1f GiB, %s this machine's MemTotal of %.1f GiB (before the OS, the other processes and a fork's copy-on-write for a snapshot take their share).\n\n",
			commas(n), commas(red.N), commas(n), need/(1<<30), verdict, total/(1<<30))
	}
	return b.String()
}

// humanKeys formats a key count as 412M or 3.1G.
func humanKeys(k float64) string {
	if k >= 1e9 {
		return fmt.Sprintf("%.2fG", k/1e9)
	}
	return fmt.Sprintf("%.0fM", k/1e6)
}

// PlotHuge is H1's plot: RSS at N keys, rundb measured beside Redis
// projected, under the machine's MemTotal.
const PlotHuge = "huge_rss.png"

func plotHuge(r *Results, file string) (bool, error) {
	var row Row
	found := false
	for _, x := range r.Rows {
		if x.Workload == "H1" && x.Status == StatusOK {
			row, found = x, true
		}
	}
	perKey, ok := row.Get(MBytesRSS)
	if !found || !ok {
		return false, nil
	}
	n, _ := ParamInt(row.Param, "N")
	gib := func(perKey float64) float64 { return perKey * float64(n) / (1 << 30) }
	p := newPlot("", "GiB")
	names := []string{row.Backend + " (measured)"}
	if err := backendBar(p, r, 0, row.Backend, gib(perKey), "%.1f GiB"); err != nil {
		return false, err
	}
	top := gib(perKey)
	if red, ok := RedisW1RSS(r.Rows); ok {
		names = append(names, "redis (projected)")
		if err := backendBar(p, r, 1, Redis, gib(red.PerKey), "%.1f GiB"); err != nil {
			return false, err
		}
		top = math.Max(top, gib(red.PerKey))
	}
	if total := float64(r.Machine.MemTotalMiB) / 1024; total > 0 {
		hline(p, -0.5, float64(len(names))-0.5, total, color.Gray{Y: 0x60})
		barLabel(p, float64(len(names)-1)/2, total, fmt.Sprintf("MemTotal %.1f GiB", total))
		top = math.Max(top, total)
	}
	p.NominalX(names...)
	p.Y.Min, p.Y.Max = 0, top*1.15
	title := fmt.Sprintf("H1 strings-huge: RSS of %s keys (Redis: its W1 bytes/key × N, not run)", humanN(n))
	return true, saveGridTitled([][]*plot.Plot{titleRow(title, 1), {p}}, 7*vg.Inch, 5*vg.Inch, file)
}
