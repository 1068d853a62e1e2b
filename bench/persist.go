package bench

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/montanaflynn/stats"
)

// S1 and R1 measure persistence. Both load W1's keys first.
//
// S1 snapshot-stall: T1 (SET of random keys, 50 connections, pipeline 1)
// runs while BGREWRITEAOF writes the snapshot: Redis forks and its child
// writes; rundb walks its table a slice per loop turn. Measured: the
// rewrite's time (from the command until INFO persistence shows it done),
// T1's p99.9 and longest latency and its rate over that time, and the peak
// memory of the server and its children meanwhile as PSS (proportional
// set size: pages a fork shares count once, pages copy-on-write duplicated
// count twice), against the PSS before.
//
// R1 restart: the server writes a snapshot (BGREWRITEAOF), is stopped,
// and is started again on the same directory with appendonly yes: the time
// from starting the process until it answers PING, and keys per second.
//
// Redis writes its base as commands too (aof-use-rdb-preamble no), so both
// servers write and read the same kind of file.

// Metric names of S1 and R1.
const (
	MS1RewriteSec = "s1_rewrite_s"     // BGREWRITEAOF until done, seconds
	MS1P999Ms     = "s1_p999_ms"       // T1's p99.9 latency during the rewrite
	MS1MaxMs      = "s1_max_ms"        // T1's longest latency during it
	MS1RPS        = "s1_rps"           // T1's rate during it
	MS1PeakMB     = "s1_peak_pss_mb"   // peak PSS of the server and its children
	MS1BaseMB     = "s1_before_pss_mb" // PSS before the rewrite
	MS1FileMB     = "s1_file_mb"       // size of the base file written
	MR1LoadSec    = "r1_load_s"        // process start to PONG, seconds
	MR1KeysPerSec = "r1_keys_per_s"    // keys loaded per second
)

// s1Warmup is how long T1 runs before BGREWRITEAOF, so its connections are
// open and warm when the rewrite starts.
const s1Warmup = 200 * time.Millisecond

// s1MaxRequests bounds T1 during S1 (the load generator keeps every
// latency): at this machine's rates, far more than a rewrite lasts.
const s1MaxRequests = 4_000_000

// s1Sample is how often the rewrite's progress and PSS are read.
const s1Sample = 5 * time.Millisecond

func persistKeys(s Sizes) int { return s.Strings }

// loadW1 fills the server with W1's keys; Redis is told to write its base
// as commands.
func loadW1(e *Env, c *Client, from, to float64) error {
	if e.Server.Backend == Redis {
		if v, err := c.Do("CONFIG", "SET", "aof-use-rdb-preamble", "no"); err != nil || v.Error() != nil {
			return fmt.Errorf("CONFIG SET aof-use-rdb-preamble no: %v %v", err, v.Error())
		}
	}
	return Populate(c, persistKeys(e.Sizes), e.Sizes, popW1, func(f float64) { e.Progress(from + f*(to-from)) })
}

// rewrite sends BGREWRITEAOF on c and waits until INFO persistence shows
// it finished, calling sample every s1Sample meanwhile; it fails if the
// rewrite failed or takes longer than limit.
func rewrite(c *Client, limit time.Duration, sample func()) (time.Duration, error) {
	t0 := time.Now()
	v, err := c.Do("BGREWRITEAOF")
	if err != nil {
		return 0, err
	}
	if e := v.Error(); e != nil {
		return 0, fmt.Errorf("BGREWRITEAOF: %v", e)
	}
	for {
		if sample != nil {
			sample()
		}
		info, err := c.Info("persistence")
		if err != nil {
			return 0, err
		}
		if info["aof_rewrite_in_progress"] == "0" && info["aof_rewrite_scheduled"] == "0" {
			if st := info["aof_last_bgrewrite_status"]; st != "ok" {
				return 0, fmt.Errorf("the rewrite failed (aof_last_bgrewrite_status:%s)", st)
			}
			return time.Since(t0), nil
		}
		if time.Since(t0) > limit {
			return 0, fmt.Errorf("the rewrite is still running after %v", limit)
		}
		time.Sleep(s1Sample)
	}
}

func runS1(e *Env) (Metrics, error) {
	srv := e.Server
	c, err := Dial(srv.Addr, 2*time.Second)
	if err != nil {
		return nil, srv.Check(err)
	}
	defer c.Close()
	c.conn.SetDeadline(time.Now().Add(e.Sizes.runTimeout()))
	if err := loadW1(e, c, 0, 0.5); err != nil {
		return nil, srv.Check(err)
	}
	before, err := PSSTree(srv.PID())
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var (
		wg   sync.WaitGroup
		res  LoadResult
		lerr error
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		res, lerr = RunLoad(ctx, Load{Addr: srv.Addr, Conns: e.Sizes.Conns, Pipeline: 1, Requests: s1MaxRequests,
			Keyspace: persistKeys(e.Sizes), Op: opT1, Seed: 7})
	}()
	time.Sleep(s1Warmup)
	peak := before
	took, err := rewrite(c, e.Sizes.runTimeout(), func() {
		if v, err := PSSTree(srv.PID()); err == nil {
			peak = max(peak, v)
		}
	})
	cancel()
	wg.Wait()
	if err != nil {
		return nil, srv.Check(err)
	}
	if lerr != nil && !errors.Is(lerr, context.Canceled) {
		return nil, srv.Check(lerr)
	}
	if len(res.Latencies) == 0 {
		return nil, errors.New("T1 completed no request during the rewrite")
	}
	p999, _ := stats.Percentile(res.Latencies, 99.9)
	mx, _ := stats.Max(res.Latencies)
	file, _ := baseFileSize(srv.Dir)
	e.Progress(1)
	return Metrics{
		MS1RewriteSec: took.Seconds(),
		MS1P999Ms:     p999,
		MS1MaxMs:      mx,
		MS1RPS:        res.RPS(),
		MS1PeakMB:     mib(peak),
		MS1BaseMB:     mib(before),
		MS1FileMB:     mib(file),
	}, srv.Alive()
}

func runR1(e *Env) (Metrics, error) {
	srv := e.Server
	c, err := Dial(srv.Addr, 2*time.Second)
	if err != nil {
		return nil, srv.Check(err)
	}
	c.conn.SetDeadline(time.Now().Add(e.Sizes.runTimeout()))
	err = loadW1(e, c, 0, 0.6)
	if err == nil {
		_, err = rewrite(c, e.Sizes.runTimeout(), nil)
	}
	c.Close()
	if err != nil {
		return nil, srv.Check(err)
	}
	e.Progress(0.8)
	again, took, err := srv.Restart(e.Tools, "--appendonly", "yes", "--aof-use-rdb-preamble", "no")
	if err != nil {
		return nil, err
	}
	defer again.Stop(10 * time.Second)
	c, err = Dial(again.Addr, 2*time.Second)
	if err != nil {
		return nil, again.Check(err)
	}
	defer c.Close()
	v, err := c.Do("DBSIZE")
	if err != nil {
		return nil, again.Check(err)
	}
	if n := persistKeys(e.Sizes); v.Integer() != n {
		return nil, fmt.Errorf("%d keys after the restart; want %d", v.Integer(), n)
	}
	e.Progress(1)
	return Metrics{
		MR1LoadSec:    took.Seconds(),
		MR1KeysPerSec: float64(persistKeys(e.Sizes)) / took.Seconds(),
	}, again.Alive()
}

// baseFileSize is the size of the newest base file in dir/appendonlydir.
func baseFileSize(dir string) (int64, error) {
	files, err := filepath.Glob(filepath.Join(dir, "appendonlydir", "*.base.*"))
	if err != nil || len(files) == 0 {
		return 0, fmt.Errorf("no base file in %s", dir)
	}
	var newest os.FileInfo
	for _, f := range files {
		if st, err := os.Stat(f); err == nil && (newest == nil || st.ModTime().After(newest.ModTime())) {
			newest = st
		}
	}
	if newest == nil {
		return 0, errors.New("no readable base file")
	}
	return newest.Size(), nil
}

// PSSTree is the proportional set size, in bytes, of process pid and its
// child processes (a fork's shared pages count once between them).
func PSSTree(pid int) (int64, error) {
	total, err := readPSS(pid)
	if err != nil {
		return 0, err
	}
	for _, child := range children(pid) {
		if v, err := readPSS(child); err == nil { // a child may just have exited
			total += v
		}
	}
	return total, nil
}

// readPSS reads the Pss line of /proc/PID/smaps_rollup.
func readPSS(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/smaps_rollup", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "Pss:"); ok {
			fs := strings.Fields(rest)
			if len(fs) == 0 {
				break
			}
			kb, err := strconv.ParseInt(fs[0], 10, 64)
			return kb * 1024, err
		}
	}
	return 0, fmt.Errorf("no Pss line for pid %d", pid)
}

// children lists the processes whose parent is pid.
func children(pid int) []int {
	var out []int
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	for _, t := range tasks {
		b, err := os.ReadFile(t)
		if err != nil {
			continue
		}
		for _, f := range strings.Fields(string(b)) {
			if n, err := strconv.Atoi(f); err == nil {
				out = append(out, n)
			}
		}
	}
	return out
}

func init() {
	Register(&Workload{
		Name: "S1", Title: "snapshot-stall", Kind: KindLarge,
		Doc: "W1's keys loaded, T1 (SET, 50 connections, pipeline 1) running, then BGREWRITEAOF (Redis: fork, its child writes; " +
			"rundb: no fork, the table walked a slice per loop turn): seconds until the rewrite is done, T1's p99.9 and longest " +
			"latency and its rate meanwhile, and the peak PSS of the server and its children (copy-on-write shows there)",
		Cost: func(s Sizes, _ string) float64 { return 3 * float64(persistKeys(s)) },
		Run:  runS1,
	})
	Register(&Workload{
		Name: "R1", Title: "restart", Kind: KindLarge,
		Doc: "W1's keys loaded and written by BGREWRITEAOF (as commands, aof-use-rdb-preamble no), the server stopped and " +
			"started again on its directory with appendonly yes: seconds from the process's start until it answers PING, and keys per second",
		Cost: func(s Sizes, _ string) float64 { return 2 * float64(persistKeys(s)) },
		Run:  runR1,
	})
}
