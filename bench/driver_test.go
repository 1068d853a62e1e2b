package bench

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"strings"
	"testing"

	"github.com/tidwall/resp"
)

// The test binary doubles as a fake server when BENCH_FAKE_SERVER is set:
// it answers PING, INFO and FLUSHALL, calls RPUSH an unknown command, and
// dies on the first SET, so the driver's failure paths run without a real
// server.
func TestMain(m *testing.M) {
	if os.Getenv("BENCH_FAKE_SERVER") != "" {
		fakeServer()
		return
	}
	os.Exit(m.Run())
}

func fakeServer() {
	port := ""
	for i, a := range os.Args {
		if a == "--port" && i+1 < len(os.Args) {
			port = os.Args[i+1]
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:"+port)
	if err != nil {
		fmt.Println("fake: listen:", err)
		os.Exit(1)
	}
	for {
		c, err := l.Accept()
		if err != nil {
			os.Exit(1)
		}
		go func() {
			defer c.Close()
			rd := resp.NewReader(bufio.NewReader(c))
			for {
				v, _, _, err := rd.ReadMultiBulk()
				if err != nil {
					return
				}
				args := v.Array()
				switch strings.ToUpper(args[0].String()) {
				case "PING":
					c.Write([]byte("+PONG\r\n"))
				case "INFO":
					body := "# Memory\r\nused_memory:1000\r\n"
					fmt.Fprintf(c, "$%d\r\n%s\r\n", len(body), body)
				case "FLUSHALL":
					c.Write([]byte("+OK\r\n"))
				case "SHUTDOWN":
					os.Exit(0)
				case "SET":
					fmt.Println("fake: dying on SET")
					os.Exit(3)
				default:
					fmt.Fprintf(c, "-ERR unknown command '%s', with args beginning with: \r\n", args[0].String())
				}
			}
		}()
	}
}

func tinySizes() Sizes {
	return Sizes{Strings: 50, Big: 10, Containers: 5, Elems: 10, TKeys: 50, TRequests: 100,
		Conns: 2, Pipelines: []int{1}, MemRepeats: 1, TRepeats: 1, RunTimeout: 10}
}

func statusOf(t *testing.T, r *Results, w, p, b string) Row {
	t.Helper()
	row, ok := r.Find(w, p, b)
	if !ok {
		t.Fatalf("no row %s %s %s in %+v", w, p, b, r.Rows)
	}
	return row
}

func TestRunMarksFailuresAndGoesOn(t *testing.T) {
	t.Setenv("BENCH_FAKE_SERVER", "1")
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	var ws []*Workload
	for _, n := range []string{"W1", "W4", "T1"} {
		ws = append(ws, LookupWorkload(n))
	}
	var progress strings.Builder
	res := Run(Config{Profile: "test", Sizes: tinySizes(), Backends: []string{Redis, "fake"}, Workloads: ws,
		Tools: Tools{Rundb: exe}, TmpDir: t.TempDir(), Progress: &progress})

	// No redis-server: the Redis rows say so.
	if row := statusOf(t, res, "W1", "N=50", Redis); row.Status != StatusMissing || !strings.Contains(row.Error, "not installed") {
		t.Errorf("redis row: got %+v; want missing", row)
	}
	// The server dies on SET: failed, with the reason.
	if row := statusOf(t, res, "W1", "N=50", "fake"); row.Status != StatusFailed || !strings.Contains(row.Error, "server died") {
		t.Errorf("W1 fake: got %+v; want failed, server died", row)
	}
	// RPUSH is unknown: unsupported. The run went on after W1's death.
	if row := statusOf(t, res, "W4", "N=50", "fake"); row.Status != StatusUnsupported {
		t.Errorf("W4 fake: got %+v; want unsupported", row)
	}
	// The W1 fixture of T1 populates with SET: the group fails.
	if row := statusOf(t, res, "T1", "P=1", "fake"); row.Status != StatusFailed || !strings.Contains(row.Error, "fixture") {
		t.Errorf("T1 fake: got %+v; want failed in the fixture", row)
	}
	if !strings.Contains(progress.String(), "fake") || !strings.Contains(progress.String(), "done in") ||
		!strings.Contains(progress.String(), "time by part") {
		t.Errorf("progress output: %q", progress.String())
	}
	// Every server run of the plan is timed, and the group's setup (the
	// fixture that failed) is part of its task.
	if runs, _ := PlanCost(Config{Sizes: tinySizes(), Backends: []string{Redis, "fake"}, Workloads: ws}); len(res.Tasks) != runs {
		t.Errorf("%d timed tasks; the plan has %d", len(res.Tasks), runs)
	}
	for _, tk := range res.Tasks {
		if tk.Seconds < 0 || tk.SetupS > tk.Seconds {
			t.Errorf("task %+v: want 0 <= setup <= seconds", tk)
		}
	}
	if row := statusOf(t, res, "W4", "N=50", "fake"); row.DurationS <= 0 {
		t.Errorf("W4 fake: no duration: %+v", row)
	}
	if len(res.Notes) == 0 || !strings.Contains(res.Notes[0], "redis-server is not installed") {
		t.Errorf("notes: %q", res.Notes)
	}
	// The report renders these rows as such.
	md := RenderReport(res, nil)
	for _, want := range []string{"not installed", "**failed**", "unsupported", "server died"} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q", want)
		}
	}
}

func TestStartServerFailure(t *testing.T) {
	_, err := StartServer(Tools{Rundb: "/nonexistent/rundb"}, "goheap", t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "cannot start goheap") {
		t.Errorf("got %v; want cannot start", err)
	}
	// A program that exits at once: the error carries its output.
	script := t.TempDir() + "/rundb"
	os.WriteFile(script, []byte("#!/bin/sh\necho 'unknown allocator'\nexit 1\n"), 0o755)
	_, err = StartServer(Tools{Rundb: script}, "nosuch", t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "exited") || !strings.Contains(err.Error(), "unknown allocator") {
		t.Errorf("got %v; want exited with its output", err)
	}
}

func TestRenderReport(t *testing.T) {
	r := synthetic()
	r.Notes = []string{"redis-benchmark is not installed: only the lab's Go load generator measured T1-T5"}
	md := RenderReport(r, []string{PlotBytesPerKey, PlotRPS})
	for _, want := range []string{
		"# rundb lab report",
		"| CPU | Test CPU, 2 cores |",
		"| redis-server | Redis server v=7.0.15 |",
		"redis-benchmark is not installed",
		// headline: W1 at the profile's N, ratio to Redis
		"| goheap | 60.0 (0.50×) | unsupported |",
		"| **redis** (reference) | 120.0 | 22.0 |",
		// throughput headline, ratio to Redis
		"| arena | 90k (0.90×) | 1440k (0.90×) |",
		"## W1 scale sweep",
		"| goheap | 60.0 · 72.0 · 0.010 | 60.0 · 72.0 · 0.100 |",
		"![bytes per key by backend](bytes_per_key.png)",
		"| arena | 16 | 1440.0k (1296.0k–1584.0k) | 0.90× | 0.50 | 2.00 | 5.00 | 9.00 | — |",
		"## Rows that failed or are unsupported",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if strings.Contains(md, "latency.png") {
		t.Error("report embeds a plot it was not given")
	}
	// Without a Redis row, ratio cells stay empty and the report says so.
	noRedis := clone(r)
	for i := range noRedis.Rows {
		if noRedis.Rows[i].Backend == Redis {
			noRedis.Rows[i].Status, noRedis.Rows[i].Metrics = StatusMissing, nil
		}
	}
	md = RenderReport(noRedis, nil)
	if strings.Contains(md, "0.50×") || !strings.Contains(md, "no Redis reference row") {
		t.Errorf("report without redis shows ratios or lacks the note")
	}
}

func TestWritePlots(t *testing.T) {
	dir := t.TempDir()
	names, err := WritePlots(synthetic(), dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{PlotBytesPerKey, PlotRSSPerKey, PlotSweepBytes, PlotSweepPopulate, PlotRPS, PlotLatency}
	if strings.Join(names, ",") != strings.Join(want, ",") {
		t.Errorf("got %q; want %q", names, want)
	}
	for _, n := range names {
		b, err := os.ReadFile(dir + "/" + n)
		if err != nil || len(b) < 1000 || string(b[1:4]) != "PNG" {
			t.Errorf("%s: not a PNG (%d bytes, %v)", n, len(b), err)
		}
	}
}

func TestReadmeHeadline(t *testing.T) {
	doc := "# x\n\nintro\n" + ReadmeBegin + "\nold table\n" + ReadmeEnd + "\ntail\n"
	body := ReadmeHeadline(synthetic(), "reports")
	got, ok := ReplaceBetween(doc, ReadmeBegin, ReadmeEnd, body)
	if !ok || strings.Contains(got, "old table") || !strings.HasSuffix(got, ReadmeEnd+"\ntail\n") ||
		!strings.Contains(got, "| goheap | 60.0 (0.50×)") || !strings.Contains(got, "(reports/bytes_per_key.png)") {
		t.Errorf("got:\n%s", got)
	}
	if _, ok := ReplaceBetween("no markers", ReadmeBegin, ReadmeEnd, body); ok {
		t.Error("replaced without markers")
	}
}
