package bench

import (
	"fmt"
	"math"
	"sort"
	"strings"
)

// Plot file names; RenderReport embeds those it is given.
const (
	PlotBytesPerKey   = "bytes_per_key.png"
	PlotRSSPerKey     = "rss_per_key.png"
	PlotSweepBytes    = "sweep_bytes_per_key.png"
	PlotSweepPopulate = "sweep_populate.png"
	PlotRPS           = "rps.png"
	PlotLatency       = "latency.png"
	PlotExpiry        = "expire_cycle.png"
	PlotSnapshot      = "snapshot_stall.png"
	PlotRestart       = "restart.png"
	PlotGrowth        = "growth_stall.png"
)

// RenderReport renders REPORT.md from results alone; plots lists the PNG
// files written beside it.
func RenderReport(r *Results, plots []string) string {
	var b strings.Builder
	has := map[string]bool{}
	for _, p := range plots {
		has[p] = true
	}
	img := func(name, alt string) {
		if has[name] {
			fmt.Fprintf(&b, "![%s](%s)\n\n", alt, name)
		}
	}
	fmt.Fprintf(&b, "# rundb lab report\n\n")
	fmt.Fprintf(&b, "Profile `%s`, run %s → %s (%s). Every rundb backend and redis-server ran the same named workloads "+
		"(`../shared/WORKLOADS.md`), one server process at a time, each on a fresh data directory. "+
		"Figures are the median of repeats; ratios are against Redis measured in the same run "+
		"(below 1 is less memory / less time / fewer requests per second than Redis). "+
		"A throughput ratio is the median of per-round ratios: the repeats run round by round (every backend's first, "+
		"then every backend's second), and each repeat is set against Redis's repeat of the same round, "+
		"so a slow spell of the machine that hits both cancels out.\n\n",
		r.Profile, r.Started.UTC().Format("2006-01-02 15:04 UTC"), r.Finished.UTC().Format("15:04 UTC"),
		r.Finished.Sub(r.Started).Round(1e9))
	b.WriteString(MachineTable(r))
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "> **Note:** %s\n\n", n)
	}
	if !hasRedis(r) {
		b.WriteString("> **Note:** no Redis reference row in this run: ratio columns are blank.\n\n")
	}

	b.WriteString("## Headline\n\n")
	b.WriteString(HeadlineMemory(r))
	b.WriteString(HeadlineThroughput(r))
	img(PlotBytesPerKey, "bytes per key by backend")
	img(PlotRPS, "requests per second at each pipeline depth")

	b.WriteString("## Memory workloads\n\n")
	b.WriteString("Bytes per key (per element for W4–W6) by the server's own accounting (`INFO memory` `used_memory` growth) " +
		"and by RSS growth (`/proc/PID/status` VmRSS); populate time with one pipelined connection (batches of 1000); " +
		"RSS after `FLUSHALL` and the share of the growth given back.\n\n")
	img(PlotRSSPerKey, "RSS growth per key by backend")
	for _, w := range r.Workloads {
		if w.Kind != KindMemory {
			continue
		}
		p := HeadlineParam(w.Name, r.Sizes)
		fmt.Fprintf(&b, "### %s `%s` (%s)\n\n%s\n\n", w.Name, w.Title, p, w.Doc)
		b.WriteString(memoryTable(r, w.Name, p))
	}

	if ps := r.Params("W1"); len(ps) > 1 {
		b.WriteString("## W1 scale sweep\n\nBytes per key should stay flat and populate time grow linearly with N.\n\n")
		b.WriteString(sweepTable(r))
		img(PlotSweepBytes, "bytes per key against N")
		img(PlotSweepPopulate, "populate time against N")
	}
	for _, w := range r.Workloads {
		if w.Kind == KindHuge {
			b.WriteString(hugeSection(r, w))
			img(PlotHuge, "H1 RSS at the huge size, rundb measured, Redis projected, against MemTotal")
		}
	}

	var tws []WorkloadInfo
	for _, w := range r.Workloads {
		if w.Kind == KindThroughput {
			tws = append(tws, w)
		}
	}
	if len(tws) > 0 {
		fmt.Fprintf(&b, "## Throughput and latency\n\nAfter W1's keyspace (%s keys) is loaded; %d connections; "+
			"the lab's Go load generator sends each connection's share in pipelined batches and records the latency of every "+
			"command (batch write to reply read), percentiles from all samples. `redis-benchmark rps` is redis-benchmark's "+
			"own figure for the same test, where it has one.\n\n", commas(r.Sizes.TKeys), r.Sizes.Conns)
		img(PlotLatency, "latency percentiles")
		for _, w := range tws {
			fmt.Fprintf(&b, "### %s `%s`\n\n%s\n\n", w.Name, w.Title, w.Doc)
			b.WriteString(throughputTable(r, w.Name))
		}
	}
	for _, w := range r.Workloads {
		if w.Kind == KindQuality {
			fmt.Fprintf(&b, "## %s `%s`\n\n%s\n\n", w.Name, w.Title, w.Doc)
			b.WriteString(qualityTable(r, w.Name))
			img(PlotE1, "E1 hit ratio per policy")
		}
	}
	for _, w := range r.Workloads {
		if w.Kind == KindLarge {
			fmt.Fprintf(&b, "## %s `%s`\n\n%s\n\n", w.Name, w.Title, w.Doc)
			b.WriteString(largeTable(r, w.Name))
			if w.Name == "X1" {
				img(PlotExpiry, "X1 reclaim time and longest stall by backend")
			}
			if w.Name == "S1" {
				img(PlotSnapshot, "S1 rewrite time, T1 p99.9 meanwhile and peak PSS by backend")
			}
			if w.Name == "R1" {
				img(PlotRestart, "R1 load time by backend")
			}
			if w.Name == "G1" {
				img(PlotGrowth, "G1 populate time and longest PING while the keyspace grows, by backend and layout")
			}
		}
	}
	b.WriteString(failureList(r))
	b.WriteString("Regenerate with `make bench`; raw figures with every repeat are in `results.json`.\n")
	return b.String()
}

// MachineTable describes the machine and versions.
func MachineTable(r *Results) string {
	m := r.Machine
	var b strings.Builder
	b.WriteString("| machine | |\n|---|---|\n")
	row := func(k, v string) {
		if v == "" {
			v = "—"
		}
		fmt.Fprintf(&b, "| %s | %s |\n", k, v)
	}
	row("CPU", fmt.Sprintf("%s, %d cores", m.CPU, m.Cores))
	if m.CPUs != "" {
		row("pinning", m.CPUs)
	}
	if m.MemTotalMiB > 0 {
		row("memory", fmt.Sprintf("%d MiB", m.MemTotalMiB))
	}
	row("kernel", m.Kernel)
	row("Go", m.Go)
	redis := m.Redis
	if redis == "" {
		redis = "not installed"
	}
	row("redis-server", redis)
	rb := m.RedisBench
	if rb == "" {
		rb = "not installed"
	}
	row("redis-benchmark", rb)
	row("rundb commit", m.Commit)
	b.WriteString("\n")
	return b.String()
}

func hasRedis(r *Results) bool {
	for _, row := range r.Rows {
		if row.Backend == Redis && row.Status == StatusOK {
			return true
		}
	}
	return false
}

// cell renders a row's metric, or its status when it has none.
func cell(row Row, found bool, m string, format func(float64) string) string {
	if !found {
		return "—"
	}
	if row.Status != StatusOK {
		return statusCell(row)
	}
	s, ok := row.Metrics[m]
	if !ok {
		return "—"
	}
	return format(s.Median)
}

func statusCell(row Row) string {
	switch row.Status {
	case StatusUnsupported:
		return "unsupported"
	case StatusMissing:
		return "not installed"
	}
	return "**failed**"
}

// ratioCell is row/ref for metric m, "" when either is missing; for
// requests per second, ThroughputRatio (the median of per-round ratios).
func ratioCell(r *Results, row Row, workload, param, m string) string {
	ref, ok := r.Find(workload, param, Redis)
	if !ok || row.Backend == Redis {
		return ""
	}
	if m == MRPS {
		if q := ThroughputRatio(row, ref); q > 0 {
			return fmt.Sprintf("%.2f×", q)
		}
		return ""
	}
	v, ok1 := row.Get(m)
	rv, ok2 := ref.Get(m)
	if !ok1 || !ok2 || rv == 0 {
		return ""
	}
	return fmt.Sprintf("%.2f×", v/rv)
}

// HeadlineMemory is one table: backends × memory workloads, bytes per key
// by used_memory with the ratio to Redis.
func HeadlineMemory(r *Results) string {
	var cols []headCol
	for _, w := range r.Workloads {
		if w.Kind == KindMemory {
			cols = append(cols, headCol{w.Name, HeadlineParam(w.Name, r.Sizes), w.Name + " " + w.Title})
		}
	}
	return headlineTable(r, "**Bytes per key** (per element for lists and sets), by `used_memory`; ratio to Redis below each figure.",
		cols, MBytesUsed, f1)
}

// HeadlineThroughput is one table: backends × (throughput workload,
// pipeline), requests per second with the ratio to Redis.
func HeadlineThroughput(r *Results) string {
	var cols []headCol
	for _, w := range r.Workloads {
		if w.Kind != KindThroughput {
			continue
		}
		for _, p := range r.Params(w.Name) {
			cols = append(cols, headCol{w.Name, p, w.Name + " " + p})
		}
	}
	return headlineTable(r, "**Requests per second** (thousands; Go load generator, 50 connections) at each pipeline depth; ratio to Redis in brackets.",
		cols, MRPS, func(v float64) string { return fmt.Sprintf("%.0fk", v/1000) })
}

// headCol is one column of a headline table: a workload's row at param.
type headCol struct{ w, p, label string }

// headlineTable renders backends × cols of metric (formatted by f), each
// with its ratio to Redis; "" when there are no columns.
func headlineTable(r *Results, intro string, cols []headCol, metric string, f func(float64) string) string {
	if len(cols) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString(intro + "\n\n| backend |")
	for _, c := range cols {
		fmt.Fprintf(&b, " %s |", c.label)
	}
	b.WriteString("\n|---|")
	b.WriteString(strings.Repeat("---:|", len(cols)))
	b.WriteString("\n")
	for _, be := range r.Backends {
		fmt.Fprintf(&b, "| %s |", backendLabel(be))
		for _, c := range cols {
			row, ok := r.Find(c.w, c.p, be)
			s := cell(row, ok, metric, f)
			if rc := ratioCell(r, row, c.w, c.p, metric); rc != "" {
				s += " (" + rc + ")"
			}
			fmt.Fprintf(&b, " %s |", s)
		}
		b.WriteString("\n")
	}
	b.WriteString("\n")
	return b.String()
}

func backendLabel(b string) string {
	if b == Redis {
		return "**redis** (reference)"
	}
	return b
}

func f1(v float64) string { return fmt.Sprintf("%.1f", v) }
func f2(v float64) string { return fmt.Sprintf("%.2f", v) }
func f3(v float64) string { return fmt.Sprintf("%.3f", v) }

func memoryTable(r *Results, w, p string) string {
	var b strings.Builder
	b.WriteString("| backend | bytes/key used | × Redis | bytes/key RSS | × Redis | populate s (min–max) | × Redis | RSS loaded MiB | RSS after FLUSHALL MiB | given back |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, be := range r.Backends {
		row, ok := r.Find(w, p, be)
		if ok && row.Status != StatusOK {
			fmt.Fprintf(&b, "| %s | %s | | | | | | | | |\n", backendLabel(be), statusCell(row))
			continue
		}
		pop := cell(row, ok, MPopulateSec, f3)
		if s, has := row.Metrics[MPopulateSec]; ok && has && len(s.Repeats) > 1 {
			pop += fmt.Sprintf(" (%.3f–%.3f)", s.Min, s.Max)
		}
		back := cell(row, ok, MReturnedPct, func(v float64) string { return fmt.Sprintf("%.0f%%", v) })
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", backendLabel(be),
			cell(row, ok, MBytesUsed, f1), ratioCell(r, row, w, p, MBytesUsed),
			cell(row, ok, MBytesRSS, f1), ratioCell(r, row, w, p, MBytesRSS),
			pop, ratioCell(r, row, w, p, MPopulateSec),
			cell(row, ok, MRSSLoadedMB, f1), cell(row, ok, MRSSFlushMB, f1), back)
	}
	b.WriteString("\n")
	return b.String()
}

// sweepNs returns W1's N values, ascending.
func sweepNs(r *Results) []int {
	var ns []int
	for _, p := range r.Params("W1") {
		if n, ok := ParamInt(p, "N"); ok {
			ns = append(ns, n)
		}
	}
	sort.Ints(ns)
	return ns
}

func sweepTable(r *Results) string {
	ns := sweepNs(r)
	var b strings.Builder
	b.WriteString("bytes/key by used_memory · bytes/key by RSS · populate seconds\n\n| backend |")
	for _, n := range ns {
		fmt.Fprintf(&b, " N=%s |", commas(n))
	}
	b.WriteString("\n|---|" + strings.Repeat("---:|", len(ns)) + "\n")
	for _, be := range r.Backends {
		fmt.Fprintf(&b, "| %s |", backendLabel(be))
		for _, n := range ns {
			row, ok := r.Find("W1", nParam(n), be)
			if ok && row.Status != StatusOK {
				fmt.Fprintf(&b, " %s |", statusCell(row))
				continue
			}
			fmt.Fprintf(&b, " %s · %s · %s |", cell(row, ok, MBytesUsed, f1), cell(row, ok, MBytesRSS, f1), cell(row, ok, MPopulateSec, f3))
		}
		b.WriteString("\n")
	}
	b.WriteString("\n")
	return b.String()
}

func throughputTable(r *Results, w string) string {
	var b strings.Builder
	b.WriteString("| backend | pipeline | rps (min–max) | × Redis | p50 ms | p99 ms | p99.9 ms | max ms | redis-benchmark rps |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, p := range r.Params(w) {
		for _, be := range r.Backends {
			row, ok := r.Find(w, p, be)
			pp := strings.TrimPrefix(p, "P=")
			if ok && row.Status != StatusOK {
				fmt.Fprintf(&b, "| %s | %s | %s | | | | | | |\n", backendLabel(be), pp, statusCell(row))
				continue
			}
			rps := cell(row, ok, MRPS, kfmt)
			if s, has := row.Metrics[MRPS]; ok && has && len(s.Repeats) > 1 {
				rps += fmt.Sprintf(" (%s–%s)", kfmt(s.Min), kfmt(s.Max))
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", backendLabel(be), pp, rps,
				ratioCell(r, row, w, p, MRPS), cell(row, ok, MP50, f2), cell(row, ok, MP99, f2),
				cell(row, ok, MP999, f2), cell(row, ok, MMax, f2), cell(row, ok, MRBRPS, kfmt))
		}
	}
	b.WriteString("\n")
	return b.String()
}

// largeTable shows a large-value workload: per phase its time and the
// longest PING another client saw, with ratios to Redis.
func largeTable(r *Results, w string) string {
	cols := []struct{ head, m string }{
		{"APPEND 400×1MB s", MAppendSec}, {"slowest APPEND ms", MAppendMaxMs}, {"PING max ms (APPENDs)", MAppendPingMs},
		{"SET 512MB s", MBigSetSec}, {"PING max ms (SET)", MBigSetPingMs}, {"RSS +MiB (SET)", MBigSetRSSMB},
		{"GET 512MB s", MBigGetSec}, {"PING max ms (GET)", MBigGetPingMs},
		{"RSS +MiB 1 s after a dropped 100MB bulk", MAbandonRSSMB},
	}
	switch w {
	case "S1":
		cols = []struct{ head, m string }{
			{"rewrite s", MS1RewriteSec}, {"T1 p99.9 ms meanwhile", MS1P999Ms}, {"T1 max ms", MS1MaxMs},
			{"T1 rps", MS1RPS}, {"PSS MiB before", MS1BaseMB}, {"peak PSS MiB", MS1PeakMB}, {"base file MiB", MS1FileMB},
		}
	case "R1":
		cols = []struct{ head, m string }{{"start to PONG s", MR1LoadSec}, {"keys/s", MR1KeysPerSec}}
	case "G1":
		cols = []struct{ head, m string }{{"populate s", MG1PopulateSec}, {"PING max ms meanwhile", MG1PingMaxMs}}
	}
	if w == "X1" {
		cols = []struct{ head, m string }{
			{"populate s", MX1PopulateSec}, {"used_memory_peak MiB", MX1UsedLoaded},
			{"s from the last deadline to all expired keys gone", MX1ReclaimSec},
			{"used_memory MiB given back", MX1UsedFreedMB}, {"PING max ms after the writes", MX1PingMaxMs},
			{"expire-cycle max ms (LATENCY)", MX1CycleMaxMs},
		}
	}
	var b strings.Builder
	b.WriteString("Figure, and its ratio to Redis in the same run below it.\n\n| backend |")
	for _, c := range cols {
		b.WriteString(" " + c.head + " |")
	}
	b.WriteString("\n|---|" + strings.Repeat("---:|", len(cols)) + "\n")
	for _, be := range r.Backends {
		row, ok := r.Find(w, "", be)
		if !ok {
			continue
		}
		if row.Status != StatusOK {
			fmt.Fprintf(&b, "| %s | %s |%s\n", backendLabel(be), statusCell(row), strings.Repeat(" |", len(cols)-1))
			continue
		}
		fmt.Fprintf(&b, "| %s |", backendLabel(be))
		for _, c := range cols {
			v := cell(row, ok, c.m, f2)
			if x := ratioCell(r, row, w, "", c.m); x != "" {
				v += " (" + x + ")"
			}
			b.WriteString(" " + v + " |")
		}
		b.WriteString("\n")
	}
	b.WriteString("\n")
	return b.String()
}

func kfmt(v float64) string {
	if math.Abs(v) >= 1000 {
		return fmt.Sprintf("%.1fk", v/1000)
	}
	return fmt.Sprintf("%.0f", v)
}

func failureList(r *Results) string {
	var b strings.Builder
	for _, row := range r.Rows {
		if row.Error == "" {
			continue
		}
		if b.Len() == 0 {
			b.WriteString("## Rows that failed or are unsupported\n\n| workload | param | backend | status | error |\n|---|---|---|---|---|\n")
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", row.Workload, row.Param, row.Backend, row.Status,
			strings.ReplaceAll(firstLine(row.Error), "|", "\\|"))
	}
	if b.Len() > 0 {
		b.WriteString("\n")
	}
	return b.String()
}

// commas formats n with thousands separators.
func commas(n int) string {
	s := fmt.Sprint(n)
	var out []byte
	for i := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out)
}

// Markers around the part of the README that `make bench` rewrites.
const (
	ReadmeBegin = "<!-- lab:headline:begin (generated by make bench) -->"
	ReadmeEnd   = "<!-- lab:headline:end -->"
)

// ReadmeHeadline is the README's generated part: the headline tables and
// the two main plots, linked from reportDir.
func ReadmeHeadline(r *Results, reportDir string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "From `%s/REPORT.md` (profile `%s`, %s, %d cores, rundb %s, %s):\n\n", reportDir, r.Profile,
		r.Machine.CPU, r.Machine.Cores, r.Machine.Commit, r.Finished.UTC().Format("2006-01-02"))
	b.WriteString(HeadlineMemory(r))
	b.WriteString(HeadlineThroughput(r))
	fmt.Fprintf(&b, "![bytes per key by backend](%s/%s)\n\n![requests per second](%s/%s)\n", reportDir, PlotBytesPerKey, reportDir, PlotRPS)
	return b.String()
}

// ReplaceBetween swaps the text between the begin and end markers of doc
// for body; ok is false when the markers are missing.
func ReplaceBetween(doc, begin, end, body string) (string, bool) {
	i := strings.Index(doc, begin)
	if i < 0 {
		return doc, false
	}
	j := strings.Index(doc[i:], end)
	if j < 0 {
		return doc, false
	}
	j += i
	return doc[:i+len(begin)] + "\n" + body + doc[j:], true
}
