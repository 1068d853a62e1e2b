// Command rundb-bench is the lab driver: it starts every rundb backend and
// redis-server as processes, runs the named workloads, and writes
// results.json, REPORT.md and plots; with -compare it checks the run against
// a baseline and exits 1 on a regression.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"rundb/bench"
)

func main() {
	os.Exit(run())
}

func run() int {
	var (
		profile   = flag.String("profile", "default", "size profile: "+strings.Join(bench.ProfileNames(), ", "))
		out       = flag.String("out", "reports", "directory for results.json, REPORT.md and plots")
		backends  = flag.String("backends", "all", "comma list of backends (redis and rundb --alloc names), or all")
		workloads = flag.String("workloads", "all", "comma list of workloads, or all")
		rundb     = flag.String("rundb", "bin/rundb", "rundb binary")
		redisSrv  = flag.String("redis-server", "redis-server", "redis-server binary (empty: skip the Redis row)")
		redisBen  = flag.String("redis-benchmark", "redis-benchmark", "redis-benchmark binary (empty: Go load generator only)")
		repeats   = flag.Int("repeats", 0, "override the repeat count of every workload")
		sweep     = flag.String("sweep", "", "override the W1 sweep sizes, comma list")
		huge      = flag.Int("huge", -1, "override H1's key count (0 skips H1; the large profile's is 100000000)")
		hugeBack  = flag.String("huge-backend", "auto", "H1's backend: auto (the leanest by this run's W1 bytes/key by RSS, else "+bench.DefaultHugeBackend+") or a rundb backend")
		compare   = flag.String("compare", "", "baseline results.json to compare with; exit 1 on a regression")
		baseline  = flag.String("baseline", "", "also write the results to this baseline file")
		pin       = flag.Bool("pin", true, "pin each server to one CPU and the load generator to the others (with 2 CPUs or more)")
		noPlots   = flag.Bool("no-plots", false, "skip the PNG plots")
		list      = flag.Bool("list", false, "list backends and workloads, then exit")
		readme    = flag.String("readme", "", "rewrite the generated headline part of this README (between its lab markers)")
		from      = flag.String("from", "", "render REPORT.md and plots into -out from this results.json without running (with -compare: compare it)")
	)
	flag.Parse()
	if *from != "" {
		if rc := render(*from, *out, *noPlots); rc != 0 {
			return rc
		}
		res, err := bench.ReadResults(*from)
		if err != nil {
			fmt.Fprintln(os.Stderr, "rundb-bench:", err)
			return 2
		}
		if *readme != "" {
			if err := updateReadme(*readme, *out, res); err != nil {
				fmt.Fprintln(os.Stderr, "rundb-bench:", err)
				return 1
			}
		}
		if *compare == "" {
			return 0
		}
		return compareWith(*compare, res, nil)
	}

	sizes, ok := bench.Profiles[*profile]
	if !ok {
		fmt.Fprintf(os.Stderr, "rundb-bench: unknown profile %q (known: %s)\n", *profile, strings.Join(bench.ProfileNames(), ", "))
		return 2
	}
	if *repeats > 0 {
		sizes.MemRepeats, sizes.TRepeats = *repeats, *repeats
	}
	if *sweep != "" {
		sizes.Sweep = nil
		for _, f := range strings.Split(*sweep, ",") {
			var n int
			if _, err := fmt.Sscan(strings.TrimSpace(f), &n); err != nil || n <= 0 {
				fmt.Fprintf(os.Stderr, "rundb-bench: bad -sweep size %q\n", f)
				return 2
			}
			sizes.Sweep = append(sizes.Sweep, n)
		}
	}

	if *huge >= 0 {
		sizes.Huge = *huge
	}

	tools := bench.Tools{Rundb: *rundb, RedisServer: lookPath(*redisSrv), RedisBenchmark: lookPath(*redisBen)}
	if abs, err := filepath.Abs(tools.Rundb); err == nil {
		tools.Rundb = abs
	}
	if _, err := os.Stat(tools.Rundb); err != nil {
		fmt.Fprintf(os.Stderr, "rundb-bench: rundb binary: %v (build it with: go build -o bin/rundb ./cmd/rundb)\n", err)
		return 2
	}
	rundbNames, err := bench.RundbBackends(tools.Rundb)
	if err != nil {
		fmt.Fprintln(os.Stderr, "rundb-bench:", err)
		return 2
	}
	names, err := bench.ResolveBackends(*backends, rundbNames)
	if err != nil {
		fmt.Fprintln(os.Stderr, "rundb-bench:", err)
		return 2
	}
	ws, err := bench.SelectWorkloads(strings.Split(*workloads, ","))
	if err != nil {
		fmt.Fprintln(os.Stderr, "rundb-bench:", err)
		return 2
	}
	pick := ""
	if *hugeBack != "auto" {
		if !slices.Contains(rundbNames, *hugeBack) {
			fmt.Fprintf(os.Stderr, "rundb-bench: -huge-backend %q is not a rundb backend (known: %s)\n", *hugeBack, strings.Join(rundbNames, ", "))
			return 2
		}
		pick = *hugeBack
	}
	cfg := bench.Config{Profile: *profile, Sizes: sizes, Backends: names, Workloads: ws,
		Tools: tools, PickBackend: pick, Progress: os.Stderr}
	if *list {
		fmt.Println("backends:", strings.Join(names, " "))
		for _, w := range ws {
			fmt.Printf("%-4s %-16s %-10s %s\n", w.Name, w.Title, w.Kind, w.Doc)
		}
		runs, cost := bench.PlanCost(cfg)
		fmt.Printf("plan: %d server runs, %.3g cost units (about one per command sent)\n", runs, cost)
		return 0
	}
	for _, w := range []struct{ name, path string }{{"redis-server", tools.RedisServer}, {"redis-benchmark", tools.RedisBenchmark}} {
		if w.path == "" {
			fmt.Fprintf(os.Stderr, "rundb-bench: %s not found: the report will say so\n", w.name)
		}
	}
	tmp, err := os.MkdirTemp("", "rundb-bench-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "rundb-bench:", err)
		return 1
	}
	defer os.RemoveAll(tmp)
	if err := os.MkdirAll(*out, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "rundb-bench:", err)
		return 1
	}

	fmt.Fprintf(os.Stderr, "rundb-bench: profile %s, backends %s, workloads %d, output %s\n",
		*profile, strings.Join(names, ","), len(ws), *out)
	var cpus bench.CPUPlan
	if *pin {
		if cpus, err = bench.PlanCPUs(); err != nil {
			fmt.Fprintln(os.Stderr, "rundb-bench: CPU affinity:", err, "(not pinning)")
		}
	}
	t0 := time.Now()
	cfg.CPUs, cfg.TmpDir = cpus, tmp
	res := bench.Run(cfg)

	if err := res.WriteJSON(filepath.Join(*out, "results.json")); err != nil {
		fmt.Fprintln(os.Stderr, "rundb-bench:", err)
		return 1
	}
	if *baseline != "" {
		if err := res.WriteJSON(*baseline); err != nil {
			fmt.Fprintln(os.Stderr, "rundb-bench:", err)
			return 1
		}
		fmt.Fprintf(os.Stderr, "rundb-bench: baseline written to %s\n", *baseline)
	}
	var plots []string
	if !*noPlots {
		plots, err = bench.WritePlots(res, *out)
		if err != nil {
			fmt.Fprintln(os.Stderr, "rundb-bench: plots:", err)
		}
	}
	if err := os.WriteFile(filepath.Join(*out, "REPORT.md"), []byte(bench.RenderReport(res, plots)), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "rundb-bench:", err)
		return 1
	}
	if *readme != "" {
		if err := updateReadme(*readme, *out, res); err != nil {
			fmt.Fprintln(os.Stderr, "rundb-bench:", err)
		}
	}
	fmt.Fprintf(os.Stderr, "rundb-bench: wrote %s in %s\n", filepath.Join(*out, "REPORT.md"), time.Since(t0).Round(time.Second))
	failed := 0
	for _, r := range res.Rows {
		if r.Status == bench.StatusFailed {
			failed++
		}
	}
	if failed > 0 {
		fmt.Fprintf(os.Stderr, "rundb-bench: %d rows failed (see the report)\n", failed)
	}

	if *compare != "" {
		// A throughput ratio that fell is measured once more, on the
		// suspect backends and workloads only, before it fails the build.
		rerun := func(backends, workloads []string) (*bench.Results, error) {
			sel, err := bench.SelectWorkloads(workloads)
			if err != nil {
				return nil, err
			}
			fmt.Fprintf(os.Stderr, "rundb-bench: measuring %s on %s again, 5 repeats\n", strings.Join(workloads, ","), strings.Join(backends, ","))
			again := sizes
			again.TRepeats = max(again.TRepeats, 5)
			return bench.Run(bench.Config{Profile: *profile, Sizes: again, Backends: backends, Workloads: sel,
				Tools: tools, CPUs: cpus, TmpDir: tmp, Progress: os.Stderr}), nil
		}
		return compareWith(*compare, res, rerun)
	}
	return 0
}

// compareWith prints the comparison of res with the baseline file and
// returns 1 on a regression, 2 when the baseline cannot be read. With
// rerun, throughput regressions are measured again and count only when the
// second measurement confirms them.
func compareWith(baseline string, res *bench.Results, rerun func(backends, workloads []string) (*bench.Results, error)) int {
	base, err := bench.ReadResults(baseline)
	if err != nil {
		fmt.Fprintln(os.Stderr, "rundb-bench: baseline:", err)
		return 2
	}
	if base.Profile != res.Profile {
		fmt.Printf("bench-compare: note: baseline profile %q, this run %q\n", base.Profile, res.Profile)
	}
	cmp := bench.Compare(base, res, bench.DefaultTolerance)
	if backends, workloads := cmp.ThroughputSuspects(); rerun != nil && len(backends) > 0 {
		again, err := rerun(backends, workloads)
		if err != nil {
			fmt.Fprintln(os.Stderr, "rundb-bench: rerun:", err)
		} else {
			cmp.Recheck(base, again)
		}
	}
	fmt.Print(cmp.Format())
	if cmp.Failed() {
		fmt.Println("bench-compare: REGRESSION")
		return 1
	}
	fmt.Println("bench-compare: ok")
	return 0
}

// updateReadme rewrites the generated headline part of a README.
func updateReadme(path, reportDir string, res *bench.Results) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	rel, err := filepath.Rel(filepath.Dir(path), reportDir)
	if err != nil {
		rel = reportDir
	}
	doc, ok := bench.ReplaceBetween(string(b), bench.ReadmeBegin, bench.ReadmeEnd, bench.ReadmeHeadline(res, filepath.ToSlash(rel)))
	if !ok {
		return fmt.Errorf("%s has no lab headline markers; left as is", path)
	}
	return os.WriteFile(path, []byte(doc), 0o644)
}

// render rewrites the report and plots from an existing results file.
func render(from, out string, noPlots bool) int {
	res, err := bench.ReadResults(from)
	if err != nil {
		fmt.Fprintln(os.Stderr, "rundb-bench:", err)
		return 2
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "rundb-bench:", err)
		return 1
	}
	var plots []string
	if !noPlots {
		if plots, err = bench.WritePlots(res, out); err != nil {
			fmt.Fprintln(os.Stderr, "rundb-bench: plots:", err)
		}
	}
	if err := os.WriteFile(filepath.Join(out, "REPORT.md"), []byte(bench.RenderReport(res, plots)), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "rundb-bench:", err)
		return 1
	}
	return 0
}

func lookPath(name string) string {
	if name == "" {
		return ""
	}
	p, err := exec.LookPath(name)
	if err != nil {
		return ""
	}
	return p
}
