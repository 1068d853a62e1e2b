package variants

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"rundb/engine/mem"
	"rundb/variants/cmalloc"
)

// LibDirs are the directories searched for a preloaded allocator library,
// in order. The environment variable RUNDB_LIB_DIRS (a colon-separated
// list) replaces them.
var LibDirs = []string{
	"/usr/lib/x86_64-linux-gnu",
	"/usr/lib/aarch64-linux-gnu",
	"/lib/x86_64-linux-gnu",
	"/lib/aarch64-linux-gnu",
	"/usr/lib",
	"/usr/local/lib",
}

// execMarker is set in the environment of the re-executed process, so a
// preload that does not take effect cannot loop; Prepare removes it again.
const execMarker = "RUNDB_PRELOAD_EXEC"

// libPrefixes names, per allocator, the base names of its shared objects
// (any version, debug builds included) as they appear in LD_PRELOAD.
var libPrefixes = map[cmalloc.Kind][]string{
	cmalloc.Jemalloc: {"libjemalloc.so"},
	cmalloc.Mimalloc: {"libmimalloc.so", "libmimalloc-"},
	cmalloc.Tcmalloc: {"libtcmalloc"},
}

func cmallocKind(name string) (cmalloc.Kind, bool) {
	for _, k := range cmalloc.Kinds {
		if k.String() == name {
			return k, true
		}
	}
	return 0, false
}

// newCmalloc is the registry constructor for one C allocator.
func newCmalloc(k cmalloc.Kind) Constructor {
	return func() (mem.Allocator, error) {
		a, err := cmalloc.New(k)
		if err != nil {
			return nil, err
		}
		return a, nil
	}
}

// allocatorLib reports which allocator a LD_PRELOAD entry is, if any.
func allocatorLib(entry string) (cmalloc.Kind, bool) {
	base := filepath.Base(entry)
	for k, prefixes := range libPrefixes {
		for _, p := range prefixes {
			if strings.HasPrefix(base, p) {
				return k, true
			}
		}
	}
	return 0, false
}

// findLib returns the first of files found in dirs.
func findLib(files, dirs []string) string {
	for _, d := range dirs {
		for _, f := range files {
			p := filepath.Join(d, f)
			if st, err := os.Stat(p); err == nil && !st.IsDir() {
				return p
			}
		}
	}
	return ""
}

// preloadFor computes the LD_PRELOAD the allocator k needs, given the
// current value: k's library first (none for the C library's malloc),
// every other allocator's library removed, other entries kept. changed is
// false when cur already does.
func preloadFor(k cmalloc.Kind, cur string, dirs []string) (preload string, changed bool, err error) {
	entries := strings.FieldsFunc(cur, func(r rune) bool { return r == ':' || r == ' ' })
	var others []string
	var libs []cmalloc.Kind
	for _, e := range entries {
		if lk, ok := allocatorLib(e); ok {
			libs = append(libs, lk)
		} else {
			others = append(others, e)
		}
	}
	files, pkg := k.Library()
	if len(files) == 0 {
		if len(libs) == 0 {
			return cur, false, nil
		}
		return strings.Join(others, ":"), true, nil
	}
	if len(libs) == 1 && libs[0] == k {
		return cur, false, nil
	}
	lib := findLib(files, dirs)
	if lib == "" {
		return "", false, fmt.Errorf("--alloc %s needs %s: install the Debian package %s (searched %s)",
			k, files[0], pkg, strings.Join(dirs, ", "))
	}
	return strings.Join(append([]string{lib}, others...), ":"), true, nil
}

func libDirs() []string {
	if v := os.Getenv("RUNDB_LIB_DIRS"); v != "" {
		return filepath.SplitList(v)
	}
	return LibDirs
}

// Prepare readies the process for the named backend; cmd/rundb calls it
// first, once the --alloc value is known. For jemalloc, mimalloc and
// tcmalloc it re-executes the running binary (/proc/self/exe, same
// arguments) with the library's path prepended to LD_PRELOAD, so the
// library's malloc answers every call and children inherit it; for malloc
// it removes those libraries from LD_PRELOAD the same way. It returns nil
// without re-executing when nothing needs to change, when the backend is
// not a C allocator, or when this process is already the re-executed one
// (the backend's constructor then reports a preload that did not take
// effect). It returns an error naming the Debian package to install when
// the library is missing, or the exec's error.
func Prepare(name string) error {
	again := os.Getenv(execMarker) != ""
	if again {
		os.Unsetenv(execMarker)
	}
	k, ok := cmallocKind(name)
	if !ok || !cmalloc.Cgo {
		return nil // New reports a build without cgo
	}
	preload, changed, err := preloadFor(k, os.Getenv("LD_PRELOAD"), libDirs())
	if err != nil || !changed || again {
		return err
	}
	env := make([]string, 0, len(os.Environ())+2)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "LD_PRELOAD=") {
			env = append(env, kv)
		}
	}
	if preload != "" {
		env = append(env, "LD_PRELOAD="+preload)
	}
	env = append(env, execMarker+"="+name)
	exe := "/proc/self/exe"
	if _, err := os.Stat(exe); err != nil {
		if exe, err = os.Executable(); err != nil {
			return fmt.Errorf("--alloc %s: cannot find the running binary to re-execute: %w", name, err)
		}
	}
	err = syscall.Exec(exe, os.Args, env)
	return fmt.Errorf("--alloc %s: cannot re-execute with LD_PRELOAD=%s: %w", name, preload, err)
}
