package difftest

import (
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"
)

// waitPing waits up to 5s for addr to answer PING.
func waitPing(addr string) error {
	deadline := time.Now().Add(5 * time.Second)
	for {
		err := Ping(addr)
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no PONG: %w", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// needTool returns the path of an external program, skipping t when it is
// missing (failing it when CI=true).
func needTool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s not found: %v", name, err)
		}
		t.Skipf("%s not found (install redis-tools 7.0): %v", name, err)
	}
	return p
}
