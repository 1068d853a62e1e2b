// Package scripts holds the tests of the shell scripts in this directory.
package scripts

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"rundb/variants/cmalloc"
)

// run runs a script of this directory from the repository root (as the
// Makefile does) with env added to a clean environment, and returns its
// exit code, stdout and stderr.
func run(t *testing.T, env []string, script string, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command("bash", append([]string{"scripts/" + script}, args...)...)
	cmd.Dir = ".."
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "RUNDB_DEPS_") && !strings.HasPrefix(kv, "RUNDB_LIB_DIRS=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, env...)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("%s: %v", script, err)
		}
		code = ee.ExitCode()
	}
	return code, stdout.String(), stderr.String()
}

// writeScript writes an executable shell script.
func writeScript(t *testing.T, path, body string) {
	t.Helper()
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
}

// fakeMachine is a machine in a temp dir: a bin dir on PATH, a library dir
// found through a glob as the Makefile's /usr/lib/*-linux-gnu, and a setup
// command that records being run and installs what install says.
type fakeMachine struct {
	bin, lib, setup, marker string
	vars                    map[string]string
}

func newFakeMachine(t *testing.T, uid, install string) *fakeMachine {
	root := t.TempDir()
	m := &fakeMachine{
		bin:    filepath.Join(root, "bin"),
		lib:    filepath.Join(root, "lib", "x86_64-linux-gnu"),
		setup:  filepath.Join(root, "setup"),
		marker: filepath.Join(root, "setup-ran"),
	}
	for _, d := range []string{m.bin, m.lib} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	writeScript(t, filepath.Join(m.bin, "tool-a"), "exit 0")
	if err := os.WriteFile(filepath.Join(m.lib, "liba.so.1"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	install = strings.NewReplacer("LIB", m.lib, "BIN", m.bin).Replace(install)
	writeScript(t, m.setup, "touch "+m.marker+"\n"+install)
	m.vars = map[string]string{
		"PATH":             m.bin + ":" + os.Getenv("PATH"),
		"RUNDB_LIB_DIRS":   "/nonexistent:" + filepath.Join(root, "lib", "*-linux-gnu"),
		"RUNDB_DEPS_CC":    "",
		"RUNDB_DEPS_SETUP": m.setup,
		"RUNDB_DEPS_UID":   uid,
	}
	return m
}

// env is the machine's environment with kv ("NAME=value", "NAME=" for an
// empty value, "NAME" to unset) applied.
func (m *fakeMachine) env(kv ...string) []string {
	vars := map[string]string{}
	for k, v := range m.vars {
		vars[k] = v
	}
	for _, s := range kv {
		if k, v, ok := strings.Cut(s, "="); ok {
			vars[k] = v
		} else {
			delete(vars, s)
		}
	}
	var out []string
	for k, v := range vars {
		out = append(out, k+"="+v)
	}
	return out
}

func (m *fakeMachine) setupRan() bool {
	_, err := os.Stat(m.marker)
	return err == nil
}

func TestEnsureDepsAllPresent(t *testing.T) {
	m := newFakeMachine(t, "0", "")
	env := m.env("RUNDB_DEPS_TOOLS=tool-a:pkg-a", "RUNDB_DEPS_LIBS=libz.so.3|liba.so.1:pkg-l")
	code, out, errs := run(t, env, "ensure-deps.sh")
	if code != 0 || out != "" || errs != "" {
		t.Errorf("exit %d, stdout %q, stderr %q; want 0 and no output", code, out, errs)
	}
	if m.setupRan() {
		t.Error("the setup command ran although nothing was missing")
	}
}

func TestEnsureDepsMissingNotRoot(t *testing.T) {
	m := newFakeMachine(t, "1000", "")
	env := m.env("RUNDB_DEPS_TOOLS=tool-a:pkg-a tool-m:pkg-m", "RUNDB_DEPS_LIBS=liba.so.1:pkg-l libm.so.9:pkg-lm")
	code, _, errs := run(t, env, "ensure-deps.sh")
	if code == 0 {
		t.Error("exit 0 with a tool and a library missing")
	}
	for _, want := range []string{"missing tool-m, libm.so.9 ", "pkg-m pkg-lm", "sudo " + m.setup} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr %q lacks %q", errs, want)
		}
	}
	if strings.Contains(errs, "tool-a") || strings.Contains(errs, "pkg-l ") {
		t.Errorf("stderr %q names what is present", errs)
	}
	if m.setupRan() {
		t.Error("the setup command ran without root")
	}

	// The real setup command is named (never run: the user is not root).
	env = m.env("RUNDB_DEPS_SETUP", "RUNDB_DEPS_TOOLS=tool-m:pkg-m", "RUNDB_DEPS_LIBS=")
	code, _, errs = run(t, env, "ensure-deps.sh")
	if want := "install them as root with: sudo scripts/setup-deps.sh\n"; code == 0 || !strings.Contains(errs, want) {
		t.Errorf("exit %d, stderr %q; want non-zero and %q", code, errs, want)
	}
}

func TestEnsureDepsMissingRoot(t *testing.T) {
	// The setup command installs what was missing: checked again, exit 0.
	m := newFakeMachine(t, "0", "touch LIB/libm.so.9; printf '#!/bin/sh\\n' > BIN/tool-m; chmod +x BIN/tool-m")
	env := m.env("RUNDB_DEPS_TOOLS=tool-a:pkg-a tool-m:pkg-m", "RUNDB_DEPS_LIBS=libm.so.9:pkg-lm")
	code, _, errs := run(t, env, "ensure-deps.sh")
	if code != 0 || !m.setupRan() {
		t.Errorf("exit %d, setup ran %v, stderr %q; want the setup run and exit 0", code, m.setupRan(), errs)
	}
	if !strings.Contains(errs, "installing with "+m.setup) {
		t.Errorf("stderr %q does not say it installs", errs)
	}
	// Run again: all present now, nothing to do.
	os.Remove(m.marker)
	if code, _, errs := run(t, env, "ensure-deps.sh"); code != 0 || errs != "" || m.setupRan() {
		t.Errorf("second run: exit %d, stderr %q, setup ran %v", code, errs, m.setupRan())
	}

	// A setup command that installs nothing: still missing, exit non-zero.
	m = newFakeMachine(t, "0", "")
	env = m.env("RUNDB_DEPS_TOOLS=tool-m:pkg-m", "RUNDB_DEPS_LIBS=")
	code, _, errs = run(t, env, "ensure-deps.sh")
	if code == 0 || !m.setupRan() || !strings.Contains(errs, "still missing") {
		t.Errorf("exit %d, setup ran %v, stderr %q; want the setup run, then a failure", code, m.setupRan(), errs)
	}
}

func TestEnsureDepsCHeaders(t *testing.T) {
	m := newFakeMachine(t, "1000", "")
	cc := filepath.Join(m.bin, "fake-cc")
	for _, c := range []struct {
		body string
		ok   bool
	}{{"cat >/dev/null; exit 0", true}, {"cat >/dev/null; echo 'malloc.h: No such file' >&2; exit 1", false}} {
		writeScript(t, cc, c.body)
		env := m.env("RUNDB_DEPS_CC=fake-cc", "RUNDB_DEPS_TOOLS=", "RUNDB_DEPS_LIBS=")
		code, _, errs := run(t, env, "ensure-deps.sh")
		if c.ok && (code != 0 || errs != "") {
			t.Errorf("headers present: exit %d, stderr %q", code, errs)
		}
		if !c.ok && (code == 0 || !strings.Contains(errs, "libc6-dev")) {
			t.Errorf("headers missing: exit %d, stderr %q; want non-zero naming libc6-dev", code, errs)
		}
	}
}

// TestEnsureDepsChecksWhatSetupInstalls: every package the check names is
// one setup-deps.sh installs, and the check covers the programs the tests
// and the lab run and every preloaded allocator library.
func TestEnsureDepsChecksWhatSetupInstalls(t *testing.T) {
	_, list, _ := run(t, nil, "ensure-deps.sh", "--list")
	_, setup, _ := run(t, nil, "setup-deps.sh", "--list")
	installed := map[string]bool{}
	for _, p := range strings.Fields(setup) {
		installed[p] = true
	}
	checked := map[string]string{} // tool or library file -> package
	for _, line := range strings.Split(strings.TrimSpace(list), "\n") {
		f := strings.Fields(line)
		if len(f) != 3 {
			t.Fatalf("--list line %q", line)
		}
		if !installed[f[2]] {
			t.Errorf("%s %s: package %s is not in setup-deps.sh", f[0], f[1], f[2])
		}
		for _, name := range strings.Split(f[1], "|") {
			checked[name] = f[2]
		}
	}
	for _, tool := range []string{"redis-server", "redis-cli", "redis-benchmark", "gcc"} {
		if _, ok := checked[tool]; !ok {
			t.Errorf("%s is not checked", tool)
		}
	}
	for _, k := range cmalloc.Kinds {
		files, pkg := k.Library()
		for _, f := range files {
			if checked[f] != pkg {
				t.Errorf("%s: library %s (package %s) is not checked; checked as %q", k, f, pkg, checked[f])
			}
		}
	}
}

// TestEnsureDepsThisMachine: under CI (where make test ran ensure-deps.sh
// first) everything is present. Acts as a non-root user, so it never installs.
func TestEnsureDepsThisMachine(t *testing.T) {
	code, _, errs := run(t, []string{"RUNDB_DEPS_UID=1000"}, "ensure-deps.sh")
	if code != 0 {
		if os.Getenv("CI") == "true" {
			t.Fatalf("exit %d: %s", code, errs)
		}
		t.Skipf("this machine lacks packages: %s", errs)
	}
}
