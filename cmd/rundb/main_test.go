package main

import (
	"bufio"
	"bytes"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"rundb/engine/config"
)

func TestConfigFileAndFlags(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "rundb.conf")
	conf := "# a comment\nport 7400\nmaxmemory 1mb\nrequirepass \"se cret\"\n\nclient-output-buffer-limit normal 10mb 5mb 30\n"
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	if err := loadConfig(cfg, []string{path, "--port", "7401", "--hz", "20"}); err != nil {
		t.Fatal(err)
	}
	if cfg.Port != 7401 || cfg.Hz != 20 || cfg.MaxMemory != 1<<20 || cfg.RequirePass != "se cret" {
		t.Errorf("got port=%d hz=%d maxmemory=%d requirepass=%q", cfg.Port, cfg.Hz, cfg.MaxMemory, cfg.RequirePass)
	}
	if cfg.ClientOutputHard != 10<<20 || cfg.ClientOutputSoft != 5<<20 || cfg.ClientOutputSoftSeconds != 30 {
		t.Errorf("client-output-buffer-limit: got %d %d %d", cfg.ClientOutputHard, cfg.ClientOutputSoft, cfg.ClientOutputSoftSeconds)
	}
	if cfg.ConfigFile != path {
		t.Errorf("ConfigFile: got %q; want %q", cfg.ConfigFile, path)
	}
}

// Config file values are split as redis.conf lines are (\xHH and the other
// escapes in double quotes, \' in single quotes), and command-line values
// reach the parameter byte for byte.
func TestConfigQuoting(t *testing.T) {
	path := filepath.Join(t.TempDir(), "q.conf")
	conf := "requirepass \"p w\\x7f\"\nlogfile 'it\\'s.log'\n"
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	if err := loadConfig(cfg, []string{path}); err != nil {
		t.Fatal(err)
	}
	if cfg.RequirePass != "p w\x7f" || cfg.LogFile != "it's.log" {
		t.Errorf("from the file: requirepass %q logfile %q", cfg.RequirePass, cfg.LogFile)
	}
	for _, v := range []string{`p w\x7f`, "p w\x7f", `a"b'c\`, "", "\u2028é"} {
		cfg := config.Default()
		if err := loadConfig(cfg, []string{"--requirepass", v}); err != nil {
			t.Fatal(err)
		}
		if cfg.RequirePass != v {
			t.Errorf("--requirepass %q: got %q", v, cfg.RequirePass)
		}
	}
	os.WriteFile(path, []byte("requirepass \"abc\"d\n"), 0o644)
	if err := loadConfig(config.Default(), []string{path}); err == nil || !strings.Contains(err.Error(), "Unbalanced quotes") {
		t.Errorf("bad quotes: %v", err)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, args := range [][]string{
		{"--nosuchparam", "1"},
		{"--port", "notanumber"},
		{"--port", "70000"},
		{"--appendonly", "maybe"},
		{"--aof-use-rdb-preamble", "yes"}, // base files are commands: refused, not ignored
		{"--daemonize", "yes"},
		{"--save", "3600 1"},
		{"--slowlog-max-len", "10"}, // no slow log: not a parameter
		{"stray"},
	} {
		cfg := config.Default()
		if err := loadConfig(cfg, args); err == nil {
			t.Errorf("%q: got no error", args)
		}
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "bad.conf")
	os.WriteFile(path, []byte("port 7400\nbogus directive\n"), 0o644)
	err := loadConfig(config.Default(), []string{path})
	if err == nil || !strings.Contains(err.Error(), "line 2") || !strings.Contains(err.Error(), "Bad directive") {
		t.Errorf("got %v; want a FATAL CONFIG FILE ERROR naming line 2", err)
	}
}

func TestHelpListsBackendsAndParams(t *testing.T) {
	var out bytes.Buffer
	if code := run([]string{"--help"}, &out, &out); code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{"goheap", "--maxclients", "--alloc"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("--help output lacks %q", want)
		}
	}
	// The default backend is arena (goheap stays the lab's baseline).
	if !regexp.MustCompile(`(?m)^  --alloc .*\[arena\]$`).MatchString(out.String()) {
		t.Errorf("--help does not show arena as the --alloc default:\n%s", out.String())
	}
	var errb bytes.Buffer
	if code := run([]string{"--alloc", "nosuch"}, &out, &errb); code == 0 || !strings.Contains(errb.String(), "nosuch") {
		t.Errorf("unknown backend: exit %d, stderr %q", code, errb.String())
	}
}

// TestSignalExit builds the binary, serves, and checks that SIGTERM lets
// the server finish and exit 0.
func TestSignalExit(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary; skipped in -short mode")
	}
	bin := filepath.Join(t.TempDir(), "rundb")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		cmd := exec.Command(bin, "--port", "0")
		stdout, _ := cmd.StdoutPipe()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(stdout)
		var addr string
		for sc.Scan() {
			line := sc.Text()
			if i := strings.Index(line, "listening on "); i >= 0 {
				if !strings.Contains(line, "backend=arena ") {
					t.Errorf("banner %q: want the default backend arena", line)
				}
				addr = strings.Fields(line[i+len("listening on "):])[0]
				break
			}
		}
		if addr == "" {
			cmd.Process.Kill()
			t.Fatal("no banner with the listen address")
		}
		go func() {
			for sc.Scan() {
			}
		}()
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		c.Write([]byte("SET k v\r\nGET k\r\n"))
		buf := make([]byte, 64)
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		n, _ := c.Read(buf)
		if !strings.HasPrefix(string(buf[:n]), "+OK\r\n") {
			t.Errorf("reply %q", buf[:n])
		}
		cmd.Process.Signal(sig)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("%v: exit: %v; want 0", sig, err)
			}
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			t.Fatalf("%v: server did not exit", sig)
		}
		c.Close()
	}
}
