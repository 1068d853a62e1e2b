package variants

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"rundb/engine/mem"
	"rundb/variants/cmalloc"
	"rundb/variants/conformance"
)

// conformanceEnv names the backend a re-executed child of
// TestCmallocConformance runs the suite on.
const conformanceEnv = "RUNDB_TEST_CONFORMANCE"

func mustNew(t testing.TB, name string) func() mem.Allocator {
	return func() mem.Allocator {
		a, err := New(name)
		if err != nil {
			t.Fatalf("New(%s) = %v", name, err)
		}
		return a
	}
}

// TestCmallocConformance runs the conformance suite on malloc, jemalloc,
// mimalloc and tcmalloc. The allocator answering in this process runs in
// process; each other one runs in a child: this test binary re-executed
// with that allocator's LD_PRELOAD and conformanceEnv naming it.
func TestCmallocConformance(t *testing.T) {
	if !cmalloc.Cgo {
		t.Skip("built without cgo")
	}
	if name := os.Getenv(conformanceEnv); name != "" {
		conformance.Run(t, name, mustNew(t, name))
		return
	}
	here, _, _, _ := cmalloc.Answering()
	for _, k := range cmalloc.Kinds {
		name := k.String()
		t.Run(name, func(t *testing.T) {
			if k == here {
				conformance.Run(t, name, mustNew(t, name))
				return
			}
			preload, _, err := preloadFor(k, os.Getenv("LD_PRELOAD"), LibDirs)
			if err != nil {
				t.Skipf("%v", err)
			}
			args := []string{"-test.run=^TestCmallocConformance$", "-test.v", "-test.count=1"}
			if testing.Short() {
				args = append(args, "-test.short")
			}
			cmd := exec.Command(os.Args[0], args...)
			cmd.Env = append(os.Environ(), "LD_PRELOAD="+preload, conformanceEnv+"="+name)
			out, err := cmd.CombinedOutput()
			if err != nil || !strings.Contains(string(out), "--- PASS: TestCmallocConformance") {
				t.Fatalf("child with LD_PRELOAD=%s: %v\n%s", preload, err, out)
			}
		})
	}
}

// BenchmarkCmalloc measures the allocator answering in this process; run
// it under LD_PRELOAD to measure jemalloc, mimalloc or tcmalloc:
//
//	LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2 go test -run '^$' -bench Cmalloc ./variants/
func BenchmarkCmalloc(b *testing.B) {
	k, _, _, ok := cmalloc.Answering()
	if !ok {
		b.Skip("built without cgo")
	}
	b.Run("alloc="+k.String(), func(b *testing.B) { conformance.Bench(b, mustNew(b, k.String())) })
}

// FuzzCmalloc runs fuzzed op streams on the allocator answering in this
// process (under LD_PRELOAD, the preloaded one).
func FuzzCmalloc(f *testing.F) {
	k, _, _, ok := cmalloc.Answering()
	if !ok {
		f.Skip("built without cgo")
	}
	conformance.FuzzSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		conformance.Ops(t, mustNew(t, k.String())(), data)
	})
}
