//go:build rundb_ready || difftest_self

package difftest

import "testing"

// TestScriptsRundbVsRedis replays every script against rundb and
// redis-server and requires identical replies.
func TestScriptsRundbVsRedis(t *testing.T) {
	got, stop := startRundb(t)
	defer stop()
	want := StartRedis(t)
	RunScripts(t, scriptDir, got, want)
}
