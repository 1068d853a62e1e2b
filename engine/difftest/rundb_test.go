//go:build !difftest_self

package difftest

import (
	"testing"
	"time"

	"rundb/engine"
	"rundb/variants/goheap"
)

// startRundb starts an in-process rundb server on a free local port with
// the Go heap backend and returns its address and a function that stops it.
func startRundb(t testing.TB) (addr string, stop func()) {
	t.Helper()
	cfg := engine.DefaultConfig()
	cfg.Port = 0
	cfg.Bind = "127.0.0.1"
	srv, err := engine.NewServer(cfg, goheap.New())
	if err != nil {
		t.Fatalf("cannot start rundb: %v", err)
	}
	go func() { _ = srv.Serve() }()
	addr = srv.Addr()
	if err := waitPing(addr); err != nil {
		srv.Stop()
		t.Fatalf("rundb on %s: %v", addr, err)
	}
	stop = func() {
		srv.Stop()
		select {
		case <-srv.Done():
		case <-time.After(5 * time.Second):
			t.Errorf("rundb did not stop within 5s")
		}
	}
	return addr, stop
}
