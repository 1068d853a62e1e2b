//go:build difftest_self

package difftest

import "testing"

// startRundb stands a second redis-server in for rundb, so that the
// rundb-only tests can be checked against the oracle itself:
// go test -tags difftest_self ./engine/difftest/
func startRundb(t testing.TB) (addr string, stop func()) {
	t.Helper()
	return StartRedis(t), func() {}
}
