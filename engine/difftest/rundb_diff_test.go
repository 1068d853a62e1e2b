package difftest

import (
	"os"
	"testing"
)

// pendingScripts need commands rundb does not have yet; they are skipped
// unless DIFFTEST_ALL=1. Remove an entry when its commands land.
var pendingScripts = map[string]string{}

// TestScriptsRundbVsRedis replays every script against rundb and
// redis-server and requires identical replies.
func TestScriptsRundbVsRedis(t *testing.T) {
	got, stop := startRundb(t)
	defer stop()
	want := StartRedis(t)
	scripts, err := LoadScripts(scriptDir)
	if err != nil {
		t.Fatal(err)
	}
	all := os.Getenv("DIFFTEST_ALL") == "1"
	for _, s := range scripts {
		t.Run(s.Name, func(t *testing.T) {
			if why, ok := pendingScripts[s.Name]; ok && !all {
				t.Skip(why)
			}
			mms, err := Compare(s, got, want)
			for _, m := range mms {
				t.Error(m)
			}
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}
