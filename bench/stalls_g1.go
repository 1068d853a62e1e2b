package bench

import (
	"time"
)

// G1 measures what growing the keyspace costs a client: W1's keys are
// written from an empty server (pipelined batches of 1000 on one
// connection) while a second client sends PING in a loop; the longest PING
// round trip is the worst wait any single command saw while the keyspace
// table grew (a layout that doubles its whole table shows a spike there,
// one that splits a segment at a time should not). Run on every layout.

// Metric names of G1.
const (
	MG1PopulateSec = "g1_populate_s"  // writing the keys, seconds
	MG1PingMaxMs   = "g1_ping_max_ms" // longest PING round trip meanwhile
)

func runG1(e *Env) (Metrics, error) {
	srv := e.Server
	pop, err := Dial(srv.Addr, 2*time.Second)
	if err != nil {
		return nil, srv.Check(err)
	}
	defer pop.Close()
	pop.conn.SetDeadline(time.Now().Add(e.Sizes.runTimeout()))
	png, err := startPinger(srv.Addr)
	if err != nil {
		return nil, srv.Check(err)
	}
	defer png.close()
	png.take()
	t0 := time.Now()
	if err := Populate(pop, e.Sizes.Strings, e.Sizes, popW1, e.Progress); err != nil {
		return nil, srv.Check(err)
	}
	took := time.Since(t0)
	ping := png.take()
	if err := png.close(); err != nil {
		return nil, err
	}
	return Metrics{MG1PopulateSec: took.Seconds(), MG1PingMaxMs: ping}, srv.Alive()
}

func init() {
	Register(&Workload{
		Name: "G1", Title: "growth-stall", Kind: KindLarge, Layouts: true,
		Doc: "W1's keys written into an empty server (pipelined, one connection) while a second client sends PING in a loop: " +
			"the populate time and the longest PING round trip (the worst single-command wait while the keyspace table grew)",
		Cost: func(s Sizes, _ string) float64 { return float64(s.Strings) },
		Run:  runG1,
	})
}
