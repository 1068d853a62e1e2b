package bench

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"time"
)

// Config is one lab run.
type Config struct {
	Profile   string
	Sizes     Sizes
	Backends  []string // Redis and/or rundb --alloc names, in row order
	Workloads []*Workload
	Tools     Tools
	// CPUs splits the CPUs between the servers and the lab; the zero plan
	// pins nothing.
	CPUs     CPUPlan
	TmpDir   string    // parent of the servers' data directories
	Progress io.Writer // progress lines; nil: silent
	// StopTimeout bounds each stage of stopping a server.
	StopTimeout time.Duration
	// PickBackend, when set, is the backend of the workloads that pick
	// theirs (Workload.Pick: H1) instead of their own choice.
	PickBackend string
}

// BackendsFromHelp reads the allocator backends listed by `rundb --help`,
// so a backend registered in the server shows up in the lab unchanged.
func BackendsFromHelp(help string) []string {
	var out []string
	in := false
	sc := bufio.NewScanner(strings.NewReader(help))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "Allocator backends") {
			in = true
			continue
		}
		if !in {
			continue
		}
		if strings.TrimSpace(line) == "" || !strings.HasPrefix(line, " ") {
			if len(out) > 0 {
				break
			}
			continue
		}
		out = append(out, strings.Fields(line)[0])
	}
	return out
}

// LayoutsFromHelp reads the keyspace layouts `rundb --help` lists, and the
// default one (the --keyspace-layout parameter's, in brackets).
func LayoutsFromHelp(help string) (layouts []string, def string) {
	sc := bufio.NewScanner(strings.NewReader(help))
	for sc.Scan() {
		line := sc.Text()
		if rest, ok := strings.CutPrefix(line, "Keyspace layouts (--keyspace-layout):"); ok {
			for _, l := range strings.Split(rest, ",") {
				if l = strings.TrimSpace(l); l != "" {
					layouts = append(layouts, l)
				}
			}
		}
		if f := strings.Fields(line); len(f) > 1 && f[0] == "--keyspace-layout" {
			last := f[len(f)-1]
			def = strings.Trim(last, "[]")
		}
	}
	return layouts, def
}

// LayoutAllocs are the allocators the lab measures every keyspace layout
// on; the others run the default layout only.
var LayoutAllocs = []string{"arena", "jemalloc"}

// LayoutBackend names an allocator with a keyspace layout other than the
// default ("arena/dash"); SplitBackend takes such a name apart.
func LayoutBackend(alloc, layout string) string { return alloc + "/" + layout }

// SplitBackend returns a backend's allocator and layout ("" for the
// default layout).
func SplitBackend(b string) (alloc, layout string) {
	alloc, layout, _ = strings.Cut(b, "/")
	return alloc, layout
}

// RundbBackends runs `rundb --help` and returns its backends: every
// allocator on the default layout, then LayoutAllocs on each other layout.
func RundbBackends(rundb string) ([]string, error) {
	out, err := exec.Command(rundb, "--help").CombinedOutput()
	names := BackendsFromHelp(string(out))
	if len(names) == 0 {
		if err == nil {
			err = errors.New("no \"Allocator backends\" section")
		}
		return nil, fmt.Errorf("cannot list backends of %s: %v", rundb, err)
	}
	layouts, def := LayoutsFromHelp(string(out))
	for _, a := range LayoutAllocs {
		if !slices.Contains(names, a) {
			continue
		}
		for _, l := range layouts {
			if l != def {
				names = append(names, LayoutBackend(a, l))
			}
		}
	}
	return names, nil
}

// ResolveBackends turns a comma list ("all", "redis", "goheap,arena") into
// backend names, Redis first; an unknown name is an error listing the known.
func ResolveBackends(spec string, rundb []string) ([]string, error) {
	known := append([]string{Redis}, rundb...)
	if spec == "" || spec == "all" {
		return known, nil
	}
	var out []string
	seen := map[string]bool{}
	for _, n := range strings.Split(spec, ",") {
		n = strings.TrimSpace(n)
		if n == "" || seen[n] {
			continue
		}
		ok := false
		for _, k := range known {
			ok = ok || k == n
		}
		if !ok {
			return nil, fmt.Errorf("unknown backend %q (known: %s)", n, strings.Join(known, ", "))
		}
		seen[n] = true
		out = append(out, n)
	}
	// Keep Redis first: it is the reference row.
	for i, n := range out {
		if n == Redis && i > 0 {
			copy(out[1:i+1], out[:i])
			out[0] = Redis
		}
	}
	return out, nil
}

// task is one unit of the run plan, for progress.
type task struct {
	backend string
	label   string
	cost    float64
	run     func(progress func(float64))
}

type runState struct {
	cfg       Config
	samples   map[string]*rowSamples
	order     []string
	total     float64
	done      float64
	started   time.Time
	lastPrint time.Time
	tty       bool
	notes     []string // added to the results' notes
	// setup is the current group task's time to start its server and run
	// its fixture, for Results.Tasks.
	setup time.Duration
}

type rowSamples struct {
	row     Row
	metrics []Metrics
	errs    []string
	unsupp  int
	dur     time.Duration // wall time of the row's runs
}

// Run executes every workload on every backend and returns the results.
// A backend that fails to start, dies or errors gets failed rows; the run
// goes on.
func Run(cfg Config) *Results {
	if cfg.StopTimeout == 0 {
		cfg.StopTimeout = 5 * time.Second
	}
	st := &runState{cfg: cfg, samples: map[string]*rowSamples{}, started: time.Now()}
	if f, ok := cfg.Progress.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			st.tty = true
		}
	}
	res := &Results{Profile: cfg.Profile, Started: st.started, Sizes: cfg.Sizes,
		Backends: cfg.Backends, Workloads: Info(cfg.Workloads), Machine: DescribeMachine(cfg.Tools)}
	if cfg.CPUs.Pinned() {
		if err := cfg.CPUs.PinSelf(); err != nil {
			res.Notes = append(res.Notes, "CPU pinning failed, nothing pinned: "+err.Error())
			cfg.CPUs = CPUPlan{}
		}
		cfg.Tools.ServerCPUs = cfg.CPUs.Server
		st.cfg = cfg
	}
	res.Machine.CPUs = cfg.CPUs.String()
	if cfg.Tools.RedisServer == "" {
		res.Notes = append(res.Notes, "redis-server is not installed: the Redis reference row is missing and ratios to Redis are not computed")
	}
	if cfg.Tools.RedisBenchmark == "" {
		res.Notes = append(res.Notes, "redis-benchmark is not installed: only the lab's Go load generator measured T1-T5")
	}
	tasks := st.plan()
	for _, t := range tasks {
		st.total += t.cost
	}
	for _, t := range tasks {
		base := st.done
		st.report(t, 0)
		st.setup = 0
		t0 := time.Now()
		t.run(func(f float64) {
			st.done = base + t.cost*math.Min(math.Max(f, 0), 1)
			st.report(t, f)
		})
		res.Tasks = append(res.Tasks, TaskTime{Backend: t.backend, Label: t.label,
			Seconds: roundS(time.Since(t0)), SetupS: roundS(st.setup)})
		if !st.tty {
			st.progressf("%23s %-9s %-32s took %.1fs\n", "", t.backend, t.label, time.Since(t0).Seconds())
		}
		st.done = base + t.cost
	}
	if st.tty {
		fmt.Fprintln(cfg.Progress)
	}
	for _, k := range st.order {
		res.Rows = append(res.Rows, st.samples[k].finish())
	}
	st.progressf("%s", TimeBreakdown(res.Rows, res.Tasks))
	st.progressf("done in %s\n", time.Since(st.started).Round(time.Second))
	res.Notes = append(res.Notes, st.notes...)
	res.Finished = time.Now()
	return res
}

func (st *runState) progressf(format string, a ...any) {
	if st.cfg.Progress != nil {
		fmt.Fprintf(st.cfg.Progress, format, a...)
	}
}

func (st *runState) report(t task, frac float64) {
	if st.cfg.Progress == nil {
		return
	}
	now := time.Now()
	if frac > 0 && frac < 1 && now.Sub(st.lastPrint) < 500*time.Millisecond {
		return
	}
	if !st.tty && frac > 0 && now.Sub(st.lastPrint) < 10*time.Second {
		return
	}
	st.lastPrint = now
	pct := 100 * st.done / math.Max(st.total, 1)
	eta := "?"
	if el := now.Sub(st.started); st.done > 0 && el > 2*time.Second {
		eta = (time.Duration(float64(el) * (st.total - st.done) / st.done)).Round(time.Second).String()
	}
	line := fmt.Sprintf("[%5.1f%% ETA %-7s] %-9s %-32s %3.0f%%", pct, eta, t.backend, t.label, 100*frac)
	if st.tty {
		fmt.Fprintf(st.cfg.Progress, "\r\033[K%s", line)
	} else {
		fmt.Fprintln(st.cfg.Progress, line)
	}
}

func (st *runState) sample(w *Workload, param, backend string) *rowSamples {
	k := w.Name + "|" + param + "|" + backend
	s := st.samples[k]
	if s == nil {
		s = &rowSamples{row: Row{Workload: w.Name, Param: param, Backend: backend}}
		st.samples[k] = s
		st.order = append(st.order, k)
	}
	return s
}

func (s *rowSamples) add(m Metrics, err error) {
	switch {
	case err == nil:
		s.metrics = append(s.metrics, m)
	case errors.Is(err, ErrUnsupported):
		s.unsupp++
		s.errs = append(s.errs, err.Error())
	default:
		s.errs = append(s.errs, err.Error())
	}
}

func (s *rowSamples) finish() Row {
	r := s.row
	r.DurationS = roundS(s.dur)
	switch {
	case len(s.metrics) > 0:
		r.Status = StatusOK
		if len(s.errs) > 0 {
			r.Error = fmt.Sprintf("%d of %d repeats failed: %s", len(s.errs), len(s.errs)+len(s.metrics), s.errs[0])
		}
		names := map[string]bool{}
		for _, m := range s.metrics {
			for k := range m {
				names[k] = true
			}
		}
		r.Metrics = map[string]Stat{}
		for _, name := range sortedKeys(names) {
			var xs []float64
			for _, m := range s.metrics {
				if v, ok := m[name]; ok {
					xs = append(xs, v)
				}
			}
			if st := Summarize(xs); !math.IsNaN(st.Median) {
				r.Metrics[name] = st
			}
		}
	case s.unsupp > 0 && s.unsupp == len(s.errs):
		r.Status = StatusUnsupported
		r.Error = s.errs[0]
	case len(s.errs) > 0 && strings.Contains(s.errs[0], "not installed"):
		r.Status = StatusMissing
		r.Error = s.errs[0]
	default:
		r.Status = StatusFailed
		if len(s.errs) > 0 {
			r.Error = s.errs[0]
		}
	}
	return r
}

// plan builds the task list. First the fresh-server workloads (one server
// per parameter and repeat), backend by backend. Then the fixture groups
// (one server per repeat running the group's workloads in sequence), with
// the repeats outermost: every backend's first repeat, then every
// backend's second, so a slow minute on a shared machine lands on all rows
// alike rather than on one backend's median.
func (st *runState) plan() []task {
	cfg := st.cfg
	var tasks []task
	groups := map[string][]*Workload{}
	var groupOrder []string
	for _, b := range cfg.Backends {
		for _, w := range cfg.Workloads {
			if w.Fixture != "" || w.Pick != nil || !runsOn(w, b) {
				continue
			}
			for _, p := range w.params(cfg.Sizes) {
				for r := 0; r < cfg.Sizes.Repeats(w.Kind); r++ {
					tasks = append(tasks, st.freshTask(b, w, p, r))
				}
			}
		}
	}
	for _, w := range cfg.Workloads {
		if w.Fixture == "" {
			continue
		}
		if groups[w.Fixture] == nil {
			groupOrder = append(groupOrder, w.Fixture)
		}
		groups[w.Fixture] = append(groups[w.Fixture], w)
	}
	for _, f := range groupOrder {
		ws := groups[f]
		reps := 1
		for _, w := range ws {
			reps = max(reps, cfg.Sizes.Repeats(w.Kind))
		}
		for r := 0; r < reps; r++ {
			for _, b := range cfg.Backends {
				var on []*Workload
				for _, w := range ws {
					if runsOn(w, b) {
						on = append(on, w)
					}
				}
				if len(on) > 0 {
					tasks = append(tasks, st.groupTask(b, f, on, r, reps))
				}
			}
		}
	}
	// Last, the workloads that pick their backend from what ran before.
	for _, w := range cfg.Workloads {
		if w.Pick == nil {
			continue
		}
		for _, p := range w.params(cfg.Sizes) {
			for r := 0; r < cfg.Sizes.Repeats(w.Kind); r++ {
				tasks = append(tasks, st.pickTask(w, p, r))
			}
		}
	}
	return tasks
}

// pickTask runs w once on the backend its Pick chooses (or
// Config.PickBackend) from the rows measured before it.
func (st *runState) pickTask(w *Workload, p string, r int) task {
	cfg := st.cfg
	t := st.freshTask("(picked)", w, p, r)
	t.run = func(progress func(float64)) {
		b, why := cfg.PickBackend, "set by the run's configuration (-huge-backend)"
		if b == "" {
			var done []Row
			for _, k := range st.order {
				done = append(done, st.samples[k].finish())
			}
			b, why = w.Pick(done, cfg.Backends)
		}
		nl := ""
		if st.tty {
			nl = "\n"
		}
		if b == "" {
			st.notes = append(st.notes, fmt.Sprintf("%s did not run: %s.", w.Name, why))
			st.progressf("%s%s: not run: %s\n", nl, w.Name, why)
			return
		}
		st.notes = append(st.notes, fmt.Sprintf("%s ran on %s: %s.", w.Name, b, why))
		st.progressf("%s%s runs on %s: %s\n", nl, w.Name, b, why)
		st.freshTask(b, w, p, r).run(progress)
	}
	return t
}

// runsOn reports whether workload w is measured on backend b: every
// workload on the default layout, the Layouts ones on the others too.
func runsOn(w *Workload, b string) bool {
	_, layout := SplitBackend(b)
	return layout == "" || w.Layouts
}

func (st *runState) freshTask(b string, w *Workload, p string, r int) task {
	cfg := st.cfg
	label := w.Name + " " + w.Title
	if p != "" {
		label += " " + p
	}
	if n := cfg.Sizes.Repeats(w.Kind); n > 1 {
		label += fmt.Sprintf(" rep %d/%d", r+1, n)
	}
	return task{backend: b, label: label, cost: w.cost(cfg.Sizes, p) + 20000, run: func(progress func(float64)) {
		rs := st.sample(w, p, b)
		t0 := time.Now()
		defer func() { rs.dur += time.Since(t0) }()
		srv, err := StartServer(cfg.Tools, b, cfg.TmpDir)
		if err != nil {
			rs.add(nil, err)
			return
		}
		defer srv.Stop(cfg.StopTimeout)
		guard := watchdog(srv, max(cfg.Sizes.runTimeout(), w.MinTimeout))
		m, err := w.Run(&Env{Server: srv, Tools: cfg.Tools, Sizes: cfg.Sizes, Param: p, Repeat: r, Progress: progress})
		rs.add(m, guard(err))
	}}
}

func (st *runState) groupTask(b, fixture string, ws []*Workload, r, reps int) task {
	cfg := st.cfg
	fx := fixtures[fixture]
	cost := 20000.0
	if fx != nil && fx.Cost != nil {
		cost += fx.Cost(cfg.Sizes)
	}
	var names []string
	for _, w := range ws {
		names = append(names, w.Name)
		for _, p := range w.params(cfg.Sizes) {
			cost += w.cost(cfg.Sizes, p)
		}
	}
	label := strings.Join(names, ",")
	if reps > 1 {
		label += fmt.Sprintf(" rep %d/%d", r+1, reps)
	}
	return task{backend: b, label: label, cost: cost, run: func(progress func(float64)) {
		fail := func(err error) {
			for _, w := range ws {
				for _, p := range w.params(cfg.Sizes) {
					st.sample(w, p, b).add(nil, err)
				}
			}
		}
		t0 := time.Now()
		defer func() {
			if st.setup == 0 {
				st.setup = time.Since(t0)
			}
		}()
		srv, err := StartServer(cfg.Tools, b, cfg.TmpDir)
		if err != nil {
			fail(err)
			return
		}
		defer srv.Stop(cfg.StopTimeout)
		done := 0.0
		sub := func(c float64) func(float64) {
			base := done
			done += c
			return func(f float64) { progress((base + c*f) / cost) }
		}
		env := &Env{Server: srv, Tools: cfg.Tools, Sizes: cfg.Sizes, Repeat: r}
		if fx != nil {
			env.Progress = sub(fx.Cost(cfg.Sizes))
			guard := watchdog(srv, cfg.Sizes.runTimeout())
			if err := guard(fx.Setup(env)); err != nil {
				fail(fmt.Errorf("fixture %s: %w", fixture, err))
				return
			}
		}
		st.setup = time.Since(t0)
		for _, w := range ws {
			for _, p := range w.params(cfg.Sizes) {
				rs := st.sample(w, p, b)
				t1 := time.Now()
				if dead := srv.Alive(); dead != nil {
					rs.add(nil, fmt.Errorf("server died: %w", dead))
					continue
				}
				env.Param = p
				env.Progress = sub(w.cost(cfg.Sizes, p))
				guard := watchdog(srv, cfg.Sizes.runTimeout())
				m, err := w.Run(env)
				rs.add(m, guard(err))
				rs.dur += time.Since(t1)
			}
		}
	}}
}

// watchdog kills srv if the run is not over within d. The returned
// function ends the watch and turns the run's error into a timeout error
// when the watchdog fired.
func watchdog(srv *Server, d time.Duration) func(error) error {
	var fired atomic.Bool
	t := time.AfterFunc(d, func() {
		fired.Store(true)
		srv.Kill()
	})
	return func(err error) error {
		t.Stop()
		if fired.Load() {
			return fmt.Errorf("timed out after %s (server killed)", d)
		}
		return err
	}
}

// DescribeMachine gathers the machine description for the results.
func DescribeMachine(t Tools) Machine {
	m := Machine{Cores: runtime.NumCPU(), Go: runtime.Version()}
	m.Hostname, _ = os.Hostname()
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int64
		if _, err := fmt.Sscanf(string(b), "MemTotal: %d kB", &kb); err == nil {
			m.MemTotalMiB = kb / 1024
		}
	}
	if out, err := exec.Command("go", "version").Output(); err == nil {
		m.Go = strings.TrimPrefix(strings.TrimSpace(string(out)), "go version ")
	}
	if t.RedisServer != "" {
		if out, err := exec.Command(t.RedisServer, "--version").Output(); err == nil {
			m.Redis = strings.TrimSpace(string(out))
		}
	}
	if t.RedisBenchmark != "" {
		if out, err := exec.Command(t.RedisBenchmark, "--version").Output(); err == nil {
			m.RedisBench = strings.TrimSpace(string(out))
		}
	}
	if out, err := exec.Command("git", "describe", "--always", "--dirty").Output(); err == nil {
		m.Commit = strings.TrimSpace(string(out))
	}
	return m
}

// PlanCost is the number of server runs cfg's plan holds and the sum of
// their Cost estimates (the progress ETA's units), without running them.
func PlanCost(cfg Config) (runs int, cost float64) {
	st := &runState{cfg: cfg, samples: map[string]*rowSamples{}}
	for _, t := range st.plan() {
		runs++
		cost += t.cost
	}
	return runs, cost
}

func roundS(d time.Duration) float64 { return math.Round(d.Seconds()*1000) / 1000 }

// TimeBreakdown says where a run's time went: each workload's runs summed
// over its rows, the fixture groups' setups (server start and keyspace
// load), and the rest (stopping the groups' servers).
func TimeBreakdown(rows []Row, tasks []TaskTime) string {
	by := map[string]float64{}
	var order []string
	add := func(k string, v float64) {
		if _, ok := by[k]; !ok {
			order = append(order, k)
		}
		by[k] += v
	}
	var total, accounted float64
	for _, t := range tasks {
		total += t.Seconds
		if t.SetupS > 0 {
			add("fixture setups", t.SetupS)
			accounted += t.SetupS
		}
	}
	for _, r := range rows {
		add(r.Workload, r.DurationS)
		accounted += r.DurationS
	}
	if rest := total - accounted; rest > 0.0005 {
		add("other", rest)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "time by part (%d server runs, %.0f s):", len(tasks), total)
	for _, k := range order {
		fmt.Fprintf(&b, " %s %.0fs", k, by[k])
	}
	b.WriteString("\n")
	return b.String()
}
