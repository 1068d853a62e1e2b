//go:build !difftest_self

package difftest

import (
	"io"
	"os"
	"testing"
	"time"

	"rundb/engine"
	"rundb/engine/config"
	"rundb/variants"
)

// startRundb starts an in-process rundb server on a free local port with
// the backend named by RUNDB_ALLOC (default goheap) and the keyspace layout
// named by RUNDB_LAYOUT (default: the keyspace-layout default) and returns
// its address and a function that stops it.
func startRundb(t testing.TB) (addr string, stop func()) {
	t.Helper()
	cfg := config.Default()
	cfg.Port = 0
	cfg.Bind = "127.0.0.1"
	cfg.EnableDebugCommand = "local" // as the Redis the diffs run against
	name := os.Getenv("RUNDB_ALLOC")
	if name == "" {
		name = "goheap"
	}
	if layout := os.Getenv("RUNDB_LAYOUT"); layout != "" {
		cfg.KeyspaceLayout = layout
	}
	alloc, err := variants.New(name)
	if err != nil {
		t.Fatalf("RUNDB_ALLOC=%s: %v", name, err)
	}
	srv, err := engine.NewServer(cfg, alloc)
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
			// The loop is gone: give back an off-heap backend's memory.
			if c, ok := alloc.(io.Closer); ok {
				_ = c.Close()
			}
		case <-time.After(5 * time.Second):
			t.Errorf("rundb did not stop within 5s")
		}
	}
	return addr, stop
}
