package engine_test

import (
	"fmt"
	"strings"
	"testing"

	"rundb/engine"
	"rundb/engine/config"
)

// Every registered layout serves a keyspace that grows, shrinks and
// scans, INFO server names it, and an unknown name stops the start.
func TestKeyspaceLayout(t *testing.T) {
	if got := engine.Layouts(); len(got) == 0 || !contains(got, config.Default().KeyspaceLayout) {
		t.Fatalf("layouts %q do not hold the default %q", got, config.Default().KeyspaceLayout)
	}
	for _, name := range engine.Layouts() {
		t.Run(name, func(t *testing.T) {
			srv := start(t, func(c *config.Config) { c.KeyspaceLayout = name })
			c := dial(t, srv)
			if got := infoField(t, c, "server", "rundb_keyspace_layout"); got != name {
				t.Fatalf("rundb_keyspace_layout %q; want %q", got, name)
			}
			const n = 2000
			for i := 0; i < n; i++ {
				if got := c.do(t, fmt.Sprintf("SET k%d v%d PX 100000", i, i)); got != "+OK" {
					t.Fatalf("SET: %q", got)
				}
			}
			if got := c.do(t, "DBSIZE"); got != fmt.Sprintf(":%d", n) {
				t.Fatalf("DBSIZE %q; want :%d", got, n)
			}
			for i := 0; i < n; i += 2 {
				if got := c.do(t, fmt.Sprintf("DEL k%d", i)); got != ":1" {
					t.Fatalf("DEL k%d: %q", i, got)
				}
			}
			if got := c.do(t, "DBSIZE"); got != fmt.Sprintf(":%d", n/2) {
				t.Fatalf("DBSIZE %q; want :%d", got, n/2)
			}
			if got := infoField(t, c, "keyspace", "db0"); !strings.HasPrefix(got, fmt.Sprintf("keys=%d,expires=%d,", n/2, n/2)) {
				t.Fatalf("db0 %q", got)
			}
		})
	}
	cfg := config.Default()
	cfg.Port = 0
	cfg.KeyspaceLayout = "no-such-layout"
	if srv, err := engine.NewServer(cfg, &heap{}); err == nil {
		srv.Stop()
		t.Fatal("NewServer accepted an unknown keyspace layout")
	} else if !strings.Contains(err.Error(), "no-such-layout") {
		t.Fatalf("error %q does not name the layout", err)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
