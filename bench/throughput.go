package bench

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"math/rand/v2"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// OpState is one load-generator connection's state: its random source and
// a counter of commands generated, so an op can alternate commands.
type OpState struct {
	Rng      *rand.Rand
	Seq      int
	Keyspace int // keys of the W1 keyspace
	Conts    int // lists / sets for T4/T5
	k, v     [64]byte
	last     int
}

// Op appends the next command of a workload to b.
type Op func(b []byte, st *OpState) []byte

var (
	bGET       = []byte("GET")
	bINCR      = []byte("INCR")
	bLPUSH     = []byte("LPUSH")
	bLPOP      = []byte("LPOP")
	bSISMEMBER = []byte("SISMEMBER")
)

// CounterKey is T3's key: "counter:%012d".
func CounterKey(b []byte, i int) []byte { return appendPadded(append(b, "counter:"...), i, 12) }

// TListKey and TSetKey are T4's and T5's keys, apart from W1's keyspace.
func TListKey(b []byte, i int) []byte { return appendPadded(append(b, "tlist:"...), i, 6) }

// TSetKey is T5's set key.
func TSetKey(b []byte, i int) []byte { return appendPadded(append(b, "tset:"...), i, 6) }

func opT1(b []byte, st *OpState) []byte {
	i := st.Rng.IntN(st.Keyspace)
	return AppendCommand(b, bSET, StringKey(st.k[:0], i), StringVal(st.v[:0], st.Seq))
}

func opT2(b []byte, st *OpState) []byte {
	return AppendCommand(b, bGET, StringKey(st.k[:0], st.Rng.IntN(st.Keyspace)))
}

func opT3(b []byte, st *OpState) []byte {
	return AppendCommand(b, bINCR, CounterKey(st.k[:0], st.Rng.IntN(st.Keyspace)))
}

func opT4(b []byte, st *OpState) []byte {
	if st.Seq%2 == 0 {
		st.last = st.Rng.IntN(st.Conts)
		return AppendCommand(b, bLPUSH, TListKey(st.k[:0], st.last), ListElem(st.v[:0], st.Seq))
	}
	return AppendCommand(b, bLPOP, TListKey(st.k[:0], st.last))
}

func opT5(b []byte, st *OpState) []byte {
	if st.Seq%2 == 0 {
		st.last = st.Rng.IntN(st.Conts)
		return AppendCommand(b, bSADD, TSetKey(st.k[:0], st.last), SetMember(st.v[:0], st.Rng.IntN(st.Keyspace)))
	}
	return AppendCommand(b, bSISMEMBER, TSetKey(st.k[:0], st.last), SetMember(st.v[:0], st.Rng.IntN(st.Keyspace)))
}

// Load describes one load-generator run.
type Load struct {
	Addr     string
	Conns    int
	Pipeline int
	Requests int // total commands over all connections
	Keyspace int
	Conts    int
	Op       Op
	Seed     uint64
	Progress func(frac float64)
}

// LoadResult is what a load run measured. Latencies are per command, from
// the write of its pipeline batch to the read of its reply, in ms.
type LoadResult struct {
	Requests  int
	Elapsed   time.Duration
	Errors    int
	FirstErr  string
	Latencies []float64
}

// RPS is requests per second.
func (r LoadResult) RPS() float64 { return float64(r.Requests) / r.Elapsed.Seconds() }

// RedisBenchmark runs redis-benchmark for one test (set, get, incr) and
// returns requests per second, p50 and p99 from its --csv output.
func RedisBenchmark(bin, addr, test string, conns, pipeline, requests, keyspace int) (rps, p50, p99 float64, err error) {
	host, port, _ := strings.Cut(addr, ":")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-h", host, "-p", port, "-c", strconv.Itoa(conns),
		"-P", strconv.Itoa(pipeline), "-n", strconv.Itoa(requests), "-r", strconv.Itoa(keyspace),
		"-t", test, "--csv")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return 0, 0, 0, fmt.Errorf("redis-benchmark: %v: %s", err, strings.TrimSpace(errb.String()))
	}
	return ParseRedisBenchmarkCSV(out.String())
}

// ParseRedisBenchmarkCSV reads the first result line of redis-benchmark
// --csv output (header "test","rps","avg_latency_ms",...,"p50_latency_ms",...).
func ParseRedisBenchmarkCSV(s string) (rps, p50, p99 float64, err error) {
	recs, err := csv.NewReader(strings.NewReader(s)).ReadAll()
	if err != nil {
		return 0, 0, 0, fmt.Errorf("redis-benchmark csv: %w", err)
	}
	if len(recs) < 2 {
		return 0, 0, 0, fmt.Errorf("redis-benchmark csv: no result line in %q", s)
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	get := func(name string) (float64, error) {
		i, ok := col[name]
		if !ok || i >= len(recs[1]) {
			return 0, fmt.Errorf("redis-benchmark csv: no %q column", name)
		}
		return strconv.ParseFloat(recs[1][i], 64)
	}
	if rps, err = get("rps"); err != nil {
		return
	}
	if p50, err = get("p50_latency_ms"); err != nil {
		return
	}
	p99, err = get("p99_latency_ms")
	return
}

func pParam(p int) string { return "P=" + strconv.Itoa(p) }

// tRequests is a run's request count. Pipelining serves about eight times
// as many requests per second, so a pipelined run gets eight times the
// requests and lasts about as long as an unpipelined one: a run of a few
// tenths of a second says more about the machine's hiccups than about the
// server.
func tRequests(s Sizes, p int) int {
	if p > 1 {
		return s.TRequests * 8
	}
	return s.TRequests
}

// FixtureW1 loads W1's keyspace (TKeys keys) before the T workloads.
const FixtureW1 = "w1-loaded"

// crossCheck reports whether a T run also measures its command with
// redis-benchmark: on the first repeat, on the default layout (the check is
// of the Go load generator, not of the server, so once per backend is
// enough and keeps make bench short).
func crossCheck(e *Env, rbTest string) bool {
	_, layout := SplitBackend(e.Server.Backend)
	return rbTest != "" && e.Tools.RedisBenchmark != "" && !e.Sizes.NoRedisBenchmark && e.Repeat == 0 && layout == ""
}

func tWorkload(name, title, doc string, op Op, rbTest string) *Workload {
	return &Workload{
		Name: name, Title: title, Kind: KindThroughput, Doc: doc, Fixture: FixtureW1,
		Params: func(s Sizes) []string {
			var ps []string
			for _, p := range s.Pipelines {
				ps = append(ps, pParam(p))
			}
			return ps
		},
		Cost: func(s Sizes, param string) float64 {
			p, _ := ParamInt(param, "P")
			// A request at pipeline 1 costs about ten populate commands.
			c := float64(tRequests(s, p)) * 10 / float64(max(1, min(p, 8)))
			if rbTest != "" && !s.NoRedisBenchmark {
				c *= 1 + 1/float64(max(1, s.TRepeats)) // the first repeat's cross-check
			}
			return c
		},
		Run: func(e *Env) (Metrics, error) {
			p, _ := ParamInt(e.Param, "P")
			n := tRequests(e.Sizes, p)
			res, err := RunLoad(context.Background(), Load{
				Addr: e.Server.Addr, Conns: e.Sizes.Conns, Pipeline: p, Requests: n,
				Keyspace: e.Sizes.TKeys, Conts: e.Sizes.Containers, Op: op, Seed: 1, Progress: e.Progress,
			})
			if err != nil {
				if errors.Is(err, ErrUnsupported) {
					return nil, err
				}
				return nil, e.Server.Check(err)
			}
			lat := Percentiles(res.Latencies)
			m := Metrics{MRPS: res.RPS(), MP50: lat.P50, MP99: lat.P99, MP999: lat.P999, MMax: lat.Max, MErrors: float64(res.Errors)}
			if crossCheck(e, rbTest) {
				rps, p50, p99, err := RedisBenchmark(e.Tools.RedisBenchmark, e.Server.Addr, rbTest, e.Sizes.Conns, p, n, e.Sizes.TKeys)
				if err != nil {
					if dead := e.Server.Alive(); dead != nil {
						return nil, fmt.Errorf("server died: %w", dead)
					}
				} else {
					m[MRBRPS], m[MRBP50], m[MRBP99] = rps, p50, p99
				}
			}
			return m, nil
		},
	}
}

func init() {
	RegisterFixture(&Fixture{
		Name: FixtureW1,
		Cost: func(s Sizes) float64 { return float64(s.TKeys) },
		Setup: func(e *Env) error {
			c, err := Dial(e.Server.Addr, 2*time.Second)
			if err != nil {
				return e.Server.Check(err)
			}
			defer c.Close()
			if err := Populate(c, e.Sizes.TKeys, e.Sizes, popW1, e.Progress); err != nil {
				return e.Server.Check(err)
			}
			return nil
		},
	})
	t1 := tWorkload("T1", "set", "SET random key of W1's keyspace (16 B value)", opT1, "set")
	t2 := tWorkload("T2", "get", "GET random key of W1's keyspace", opT2, "get")
	t1.Layouts, t2.Layouts = true, true
	Register(t1)
	Register(t2)
	Register(tWorkload("T3", "incr", "INCR counter:%012d, random over W1's keyspace size", opT3, "incr"))
	Register(tWorkload("T4", "lpush-lpop", "LPUSH then LPOP on one of 10,000-ish lists (each pair = 2 requests)", opT4, ""))
	Register(tWorkload("T5", "sadd-sismember", "SADD then SISMEMBER on one of the sets (each pair = 2 requests)", opT5, ""))
}
