package variants

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"rundb/variants/cmalloc"
)

func TestPreloadFor(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"libjemalloc.so.2", "libmimalloc.so.2", "libtcmalloc_minimal.so.4"} {
		if err := os.WriteFile(filepath.Join(dir, f), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	dirs := []string{"/nonexistent", dir}
	je := filepath.Join(dir, "libjemalloc.so.2")
	cases := []struct {
		k       cmalloc.Kind
		cur     string
		want    string
		changed bool
	}{
		{cmalloc.Libc, "", "", false},
		{cmalloc.Libc, "/x/libfoo.so", "/x/libfoo.so", false},
		{cmalloc.Libc, "/x/libjemalloc.so.2:/y/libfoo.so", "/y/libfoo.so", true},
		{cmalloc.Libc, "/x/libtcmalloc_minimal.so.4.5.10", "", true},
		{cmalloc.Jemalloc, "", je, true},
		{cmalloc.Jemalloc, "/opt/libjemalloc.so.2", "/opt/libjemalloc.so.2", false},
		{cmalloc.Jemalloc, "/y/libfoo.so /x/libtcmalloc_minimal.so.4", je + ":/y/libfoo.so", true},
		{cmalloc.Jemalloc, "/opt/libjemalloc.so.2:/x/libmimalloc.so.2", je, true},
		{cmalloc.Mimalloc, "", filepath.Join(dir, "libmimalloc.so.2"), true},
		{cmalloc.Tcmalloc, "/y/libfoo.so", filepath.Join(dir, "libtcmalloc_minimal.so.4") + ":/y/libfoo.so", true},
	}
	for _, c := range cases {
		got, changed, err := preloadFor(c.k, c.cur, dirs)
		if err != nil || got != c.want || changed != c.changed {
			t.Errorf("preloadFor(%s, %q) = %q, %v, %v; want %q, %v", c.k, c.cur, got, changed, err, c.want, c.changed)
		}
	}
}

// TestPrepareMissingLibrary simulates a machine without the libraries by
// pointing the search at an empty directory.
func TestPrepareMissingLibrary(t *testing.T) {
	t.Setenv("RUNDB_LIB_DIRS", t.TempDir())
	t.Setenv("LD_PRELOAD", "")
	want := map[string]string{
		"jemalloc": "--alloc jemalloc needs libjemalloc.so.2: install the Debian package libjemalloc2",
		"mimalloc": "--alloc mimalloc needs libmimalloc.so.2: install the Debian package libmimalloc2.0",
		"tcmalloc": "--alloc tcmalloc needs libtcmalloc_minimal.so.4: install the Debian package libtcmalloc-minimal4",
	}
	for name, msg := range want {
		k, _ := cmallocKind(name)
		_, _, err := preloadFor(k, "", libDirs())
		if err == nil || !strings.HasPrefix(err.Error(), msg) {
			t.Errorf("preloadFor(%s) = %v; want %q", name, err, msg)
		}
		if !cmalloc.Cgo {
			continue
		}
		if err := Prepare(name); err == nil || !strings.HasPrefix(err.Error(), msg) {
			t.Errorf("Prepare(%s) = %v; want %q", name, err, msg)
		}
	}
	for _, name := range []string{"goheap", "malloc", "nope"} {
		if err := Prepare(name); err != nil {
			t.Errorf("Prepare(%s) = %v; want nil", name, err)
		}
	}
}

// TestPrepareChild is the re-executed side of TestPrepareReexec.
func TestPrepareChild(t *testing.T) {
	name := os.Getenv("RUNDB_TEST_PREPARE")
	if name == "" {
		t.Skip("run by TestPrepareReexec")
	}
	if err := Prepare(name); err != nil {
		t.Fatalf("Prepare(%s) = %v", name, err)
	}
	a, err := New(name)
	if err != nil {
		t.Fatalf("New(%s) = %v", name, err)
	}
	t.Logf("ALLOC=%s PRELOAD=%s MARKER=%q", a.Name(), os.Getenv("LD_PRELOAD"), os.Getenv(execMarker))
}

// TestPrepareReexec runs this test binary as a child that calls Prepare:
// the child re-executes itself with the right LD_PRELOAD and the backend
// then finds the expected allocator answering.
func TestPrepareReexec(t *testing.T) {
	if !cmalloc.Cgo {
		t.Skip("built without cgo")
	}
	cases := []struct{ name, preload, want string }{
		{"jemalloc", "", "ALLOC=jemalloc-5."},
		{"mimalloc", "", "ALLOC=mimalloc-2."},
		{"tcmalloc", "", "ALLOC=tcmalloc-2."},
		{"malloc", "libjemalloc.so.2", "ALLOC=libc "},
	}
	for _, c := range cases {
		k, _ := cmallocKind(c.name)
		if files, pkg := k.Library(); len(files) > 0 && findLib(files, LibDirs) == "" {
			t.Logf("%s: %s not installed (Debian package %s), skipped", c.name, files[0], pkg)
			continue
		}
		cmd := exec.Command(os.Args[0], "-test.run=^TestPrepareChild$", "-test.v", "-test.count=1")
		cmd.Env = append(os.Environ(), "RUNDB_TEST_PREPARE="+c.name, "LD_PRELOAD="+c.preload, "RUNDB_LIB_DIRS=")
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), c.want) || !strings.Contains(string(out), `MARKER=""`) {
			t.Errorf("%s: %v\n%s\nwant %q", c.name, err, out, c.want)
		}
	}
}
