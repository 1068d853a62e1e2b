package bench

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"text/tabwriter"
)

// Tolerance bounds what a run may lose against the baseline.
type Tolerance struct {
	// MemGrowth is how much bytes per key (by used_memory) may grow, as a
	// fraction: 0.05 allows +5%.
	MemGrowth float64
	// RatioDrop is how much one throughput ratio against the run's
	// reference (Redis, or goheap when Redis is absent) may fall: 0.40
	// allows -40%. One row is a half-second run on a shared machine, and
	// the same code measured on two machines of the same size has moved a
	// row by 30%, so a row alone only catches a gross slowdown of one
	// command.
	RatioDrop float64
	// MeanDrop is how much a backend's geometric mean of those ratios over
	// every throughput row may fall: 0.20 allows -20%. The mean is far
	// steadier than any row, so it catches a general slowdown a row's
	// tolerance lets through.
	MeanDrop float64
}

// DefaultTolerance is what bench-compare enforces.
var DefaultTolerance = Tolerance{MemGrowth: 0.05, RatioDrop: 0.40, MeanDrop: 0.20}

// MeanWorkload names the line of a backend's mean throughput ratio.
const MeanWorkload = "T*"

// Verdicts of a comparison line.
const (
	VerdictOK         = "ok"
	VerdictRegression = "REGRESSION"
	VerdictNew        = "new"     // no baseline figure
	VerdictMissing    = "missing" // in the baseline, not in this run
	VerdictSkipped    = "skipped" // nothing comparable (baseline row not ok)
)

// CompareLine is one compared figure.
type CompareLine struct {
	Workload, Param, Backend string
	What                     string  // "bytes/key" or "rps / redis"
	Base, Cur                float64 // the compared figures
	Change                   float64 // Cur/Base - 1
	Verdict                  string
	Note                     string
	// Members are the rows a mean line (Workload MeanWorkload) averages,
	// as workload and param pairs.
	Members [][2]string
}

// Comparison is the outcome of Compare.
type Comparison struct {
	Tol   Tolerance
	Lines []CompareLine
}

// Failed reports whether any line is a regression.
func (c Comparison) Failed() bool {
	for _, l := range c.Lines {
		if l.Verdict == VerdictRegression {
			return true
		}
	}
	return false
}

// Compare checks cur against base: for each rundb backend, memory per key
// (used_memory growth per key) may not grow more than tol.MemGrowth, and
// each throughput ratio against the reference measured in the same run
// (ThroughputRatio, the median of per-round ratios, in both runs) may not
// fall more than tol.RatioDrop. A row that was ok and now failed or
// became unsupported is a regression too. Redis's own rows are the
// reference, not compared.
func Compare(base, cur *Results, tol Tolerance) Comparison {
	cmp := Comparison{Tol: tol}
	kind := map[string]string{}
	for _, w := range append(append([]WorkloadInfo(nil), base.Workloads...), cur.Workloads...) {
		kind[w.Name] = w.Kind
	}
	curRows := map[string]Row{}
	for _, r := range cur.Rows {
		curRows[r.Key()] = r
	}
	baseRows := map[string]bool{}
	for _, b := range base.Rows {
		baseRows[b.Key()] = true
		if b.Backend == Redis {
			continue
		}
		c, inCur := curRows[b.Key()]
		l := CompareLine{Workload: b.Workload, Param: b.Param, Backend: b.Backend}
		switch kind[b.Workload] {
		case KindMemory:
			l.What = "bytes/key"
		case KindThroughput:
			l.What = "rps ratio"
		default:
			continue
		}
		switch {
		case !inCur:
			l.Verdict, l.Note = VerdictMissing, "not run"
		case b.Status != StatusOK:
			l.Verdict, l.Note = VerdictSkipped, "baseline "+b.Status
			if c.Status == StatusOK {
				l.Note += ", now ok"
			}
		case c.Status != StatusOK:
			l.Verdict, l.Note = VerdictRegression, "now "+c.Status+": "+firstLine(c.Error)
		case kind[b.Workload] == KindMemory:
			bv, ok1 := b.Get(MBytesUsed)
			cv, ok2 := c.Get(MBytesUsed)
			if !ok1 || !ok2 || bv <= 0 {
				l.Verdict, l.Note = VerdictSkipped, "no bytes/key figure"
				break
			}
			l.Base, l.Cur, l.Change = bv, cv, cv/bv-1
			l.Verdict = VerdictOK
			if l.Change > tol.MemGrowth {
				l.Verdict = VerdictRegression
				l.Note = fmt.Sprintf("grew more than %.0f%%", 100*tol.MemGrowth)
			}
		default:
			ref := throughputRef(base, cur, b.Workload, b.Param)
			if ref == "" || ref == b.Backend {
				l.Verdict, l.Note = VerdictSkipped, "no reference row in both runs"
				break
			}
			bref, _ := base.Find(b.Workload, b.Param, ref)
			cref, _ := cur.Find(b.Workload, b.Param, ref)
			bv := ThroughputRatio(b, bref)
			cv := ThroughputRatio(c, cref)
			l.What = "rps / " + ref
			if bv <= 0 || cv <= 0 {
				l.Verdict, l.Note = VerdictSkipped, "no rps figure"
				break
			}
			l.Base, l.Cur, l.Change = bv, cv, cv/bv-1
			l.Verdict = VerdictOK
			if l.Change < -tol.RatioDrop {
				l.Verdict = VerdictRegression
				l.Note = fmt.Sprintf("fell more than %.0f%%", 100*tol.RatioDrop)
			}
		}
		cmp.Lines = append(cmp.Lines, l)
	}
	cmp.Lines = append(cmp.Lines, meanLines(cmp.Lines, tol)...)
	for _, c := range cur.Rows {
		if c.Backend == Redis || baseRows[c.Key()] {
			continue
		}
		if k := kind[c.Workload]; k == KindMemory || k == KindThroughput {
			cmp.Lines = append(cmp.Lines, CompareLine{Workload: c.Workload, Param: c.Param, Backend: c.Backend,
				What: "-", Verdict: VerdictNew, Note: "no baseline; " + c.Status})
		}
	}
	sort.SliceStable(cmp.Lines, func(i, j int) bool {
		a, b := cmp.Lines[i], cmp.Lines[j]
		if a.Workload != b.Workload {
			return a.Workload < b.Workload
		}
		return a.Param < b.Param
	})
	return cmp
}

// meanLines adds, for each backend with throughput lines, the line of the
// geometric mean of its ratios in the baseline and now.
func meanLines(lines []CompareLine, tol Tolerance) []CompareLine {
	byBackend := map[string]*CompareLine{}
	var order []string
	sums := map[string][2]float64{}
	for _, l := range lines {
		ref, ok := strings.CutPrefix(l.What, "rps / ")
		if !ok || l.Base <= 0 || l.Cur <= 0 {
			continue
		}
		m := byBackend[l.Backend]
		if m == nil {
			m = &CompareLine{Workload: MeanWorkload, Param: "mean", Backend: l.Backend, What: "rps / " + ref}
			byBackend[l.Backend] = m
			order = append(order, l.Backend)
		}
		m.Members = append(m.Members, [2]string{l.Workload, l.Param})
		s := sums[l.Backend]
		sums[l.Backend] = [2]float64{s[0] + math.Log(l.Base), s[1] + math.Log(l.Cur)}
	}
	var out []CompareLine
	for _, b := range order {
		m := byBackend[b]
		n := float64(len(m.Members))
		m.Base, m.Cur = math.Exp(sums[b][0]/n), math.Exp(sums[b][1]/n)
		m.Change = m.Cur/m.Base - 1
		m.Note = fmt.Sprintf("geometric mean of %d rows", len(m.Members))
		m.Verdict = VerdictOK
		if m.Change < -tol.MeanDrop {
			m.Verdict = VerdictRegression
			m.Note += fmt.Sprintf(", fell more than %.0f%%", 100*tol.MeanDrop)
		}
		out = append(out, *m)
	}
	return out
}

// drop is the tolerance of a throughput line.
func (t Tolerance) drop(l CompareLine) float64 {
	if l.Workload == MeanWorkload {
		return t.MeanDrop
	}
	return t.RatioDrop
}

// ThroughputSuspects lists the rows whose only fault is a throughput ratio
// that fell too far: the backends (with the reference each ratio was taken
// against) and the workloads to measure again before calling it a
// regression. Memory figures and failed rows are deterministic enough to
// stand on one run; a throughput figure on a shared machine is not.
func (c Comparison) ThroughputSuspects() (backends, workloads []string) {
	seenB, seenW := map[string]bool{}, map[string]bool{}
	for _, l := range c.Lines {
		ref, ok := strings.CutPrefix(l.What, "rps / ")
		if l.Verdict != VerdictRegression || !ok || l.Base == 0 {
			continue
		}
		for _, b := range []string{ref, l.Backend} {
			if !seenB[b] {
				seenB[b] = true
				backends = append(backends, b)
			}
		}
		ws := []string{l.Workload}
		if l.Workload == MeanWorkload {
			ws = ws[:0]
			for _, m := range l.Members {
				ws = append(ws, m[0])
			}
		}
		for _, w := range ws {
			if !seenW[w] {
				seenW[w] = true
				workloads = append(workloads, w)
			}
		}
	}
	return backends, workloads
}

// Recheck measures each throughput regression again with a second run
// (made for ThroughputSuspects): a ratio that fell in the first run but not
// in the second was the machine, not the code, and the line turns ok with a
// note; one that fell in both stays a regression.
func (c *Comparison) Recheck(base, again *Results) {
	for i := range c.Lines {
		l := &c.Lines[i]
		ref, ok := strings.CutPrefix(l.What, "rps / ")
		if l.Verdict != VerdictRegression || !ok || l.Base == 0 {
			continue
		}
		v := againRatio(again, l.Workload, l.Param, l.Backend, ref)
		if l.Workload == MeanWorkload {
			// The mean of the rerun over the same members, each against
			// its baseline ratio: v is the mean ratio the rerun implies.
			logs, n := 0.0, 0
			for _, m := range l.Members {
				if r := againRatio(again, m[0], m[1], l.Backend, ref); r > 0 {
					logs += math.Log(r)
					n++
				}
			}
			v = 0
			if n == len(l.Members) {
				v = math.Exp(logs / float64(n))
			}
		}
		switch {
		case v <= 0:
			l.Note += "; the rerun measured nothing"
		case v/l.Base-1 < -c.Tol.drop(*l):
			l.Note += fmt.Sprintf("; rerun %s (%+.1f%%) confirms", fmtFig(v), 100*(v/l.Base-1))
		default:
			l.Note = fmt.Sprintf("first run %s (%+.1f%%), not confirmed by a rerun", fmtFig(l.Cur), 100*l.Change)
			l.Cur, l.Change, l.Verdict = v, v/l.Base-1, VerdictOK
		}
	}
}

// againRatio is a row's throughput ratio against ref in a rerun, or 0.
func againRatio(again *Results, workload, param, backend, ref string) float64 {
	row, ok1 := again.Find(workload, param, backend)
	refRow, ok2 := again.Find(workload, param, ref)
	if ok1 && ok2 && row.Status == StatusOK && refRow.Status == StatusOK {
		return ThroughputRatio(row, refRow)
	}
	return 0
}

// throughputRef picks the reference backend for a throughput row: Redis
// when its row is ok in both runs, else goheap.
func throughputRef(base, cur *Results, workload, param string) string {
	for _, ref := range []string{Redis, "goheap"} {
		b, ok1 := base.Find(workload, param, ref)
		c, ok2 := cur.Find(workload, param, ref)
		if ok1 && ok2 && b.Status == StatusOK && c.Status == StatusOK {
			return ref
		}
	}
	return ""
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 80 {
		s = s[:80] + "..."
	}
	return s
}

// Format renders the comparison as a text table with a summary line.
func (c Comparison) Format() string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "bench-compare: bytes/key may grow %.0f%%, one rps ratio may fall %.0f%%, a backend's mean rps ratio %.0f%%\n",
		100*c.Tol.MemGrowth, 100*c.Tol.RatioDrop, 100*c.Tol.MeanDrop)
	tw := tabwriter.NewWriter(&sb, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "workload\tparam\tbackend\tfigure\tbaseline\tnow\tchange\tverdict\tnote")
	n := map[string]int{}
	for _, l := range c.Lines {
		n[l.Verdict]++
		if l.Verdict == VerdictSkipped {
			continue // counted in the summary
		}
		b, cu, ch := "-", "-", "-"
		if l.Base != 0 || l.Cur != 0 {
			b, cu, ch = fmtFig(l.Base), fmtFig(l.Cur), fmt.Sprintf("%+.1f%%", 100*l.Change)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", l.Workload, l.Param, l.Backend, l.What, b, cu, ch, l.Verdict, l.Note)
	}
	tw.Flush()
	var parts []string
	for _, v := range []string{VerdictOK, VerdictRegression, VerdictNew, VerdictMissing, VerdictSkipped} {
		if n[v] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n[v], v))
		}
	}
	fmt.Fprintf(&sb, "summary: %s\n", strings.Join(parts, ", "))
	for _, l := range c.Lines {
		switch {
		case l.Verdict != VerdictRegression:
		case l.Base == 0 && l.Cur == 0:
			fmt.Fprintf(&sb, "regression: %s %s %s: %s\n", l.Workload, l.Param, l.Backend, l.Note)
		default:
			fmt.Fprintf(&sb, "regression: %s %s %s: %s %s -> %s (%+.1f%%) %s\n", l.Workload, l.Param, l.Backend,
				l.What, fmtFig(l.Base), fmtFig(l.Cur), 100*l.Change, l.Note)
		}
	}
	if n[VerdictSkipped] > 0 {
		fmt.Fprintf(&sb, "(skipped: rows not ok in the baseline, e.g. unsupported commands; not listed)\n")
	}
	return sb.String()
}

func fmtFig(v float64) string {
	if v < 10 {
		return fmt.Sprintf("%.3f", v)
	}
	return fmt.Sprintf("%.1f", v)
}
