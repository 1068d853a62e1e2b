package bench

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Redis is the backend name of the reference row, served by redis-server.
const Redis = "redis"

// Tools locates the programs the lab runs. An empty path means "not installed".
type Tools struct {
	Rundb          string // bin/rundb
	RedisServer    string // redis-server
	RedisBenchmark string // redis-benchmark
	// ServerCPUs are the CPUs each server under test is pinned to once it
	// answers (CPUPlan.Server); empty: not pinned.
	ServerCPUs []int
}

// Server is one server process under measurement, with its own data
// directory and port.
type Server struct {
	Backend string
	Addr    string
	Dir     string

	cmd     *exec.Cmd
	done    chan struct{}
	waitErr error
	log     *tailBuffer
}

// StartServer starts backend (Redis, or a rundb --alloc name) on a free port
// with a fresh data directory under tmp, and waits until it answers PING.
func StartServer(tools Tools, backend, tmp string) (*Server, error) {
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		s, err := startOnce(tools, backend, tmp)
		if err == nil {
			return s, nil
		}
		lastErr = err
		if !strings.Contains(err.Error(), "address already in use") {
			break
		}
	}
	return nil, lastErr
}

func startOnce(tools Tools, backend, tmp string) (*Server, error) {
	dir, err := os.MkdirTemp(tmp, "srv-"+strings.ReplaceAll(backend, "/", "-")+"-")
	if err != nil {
		return nil, err
	}
	return startIn(tools, backend, dir, 15*time.Second)
}

// startIn starts backend with its data directory dir, on a free port, with
// extra arguments after the lab's, and waits up to ready for its PONG.
func startIn(tools Tools, backend, dir string, ready time.Duration, extra ...string) (*Server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	p := strconv.Itoa(port)
	var cmd *exec.Cmd
	if backend == Redis {
		if tools.RedisServer == "" {
			os.RemoveAll(dir)
			return nil, errors.New("redis-server not installed")
		}
		cmd = exec.Command(tools.RedisServer, append([]string{"--port", p, "--bind", "127.0.0.1", "--dir", dir,
			"--save", "", "--appendonly", "no", "--daemonize", "no", "--protected-mode", "no",
			"--logfile", ""}, extra...)...)
	} else {
		if tools.Rundb == "" {
			os.RemoveAll(dir)
			return nil, errors.New("rundb binary not found")
		}
		alloc, layout := SplitBackend(backend)
		args := []string{"--port", p, "--bind", "127.0.0.1", "--dir", dir, "--alloc", alloc, "--appendonly", "no"}
		if layout != "" {
			args = append(args, "--keyspace-layout", layout)
		}
		cmd = exec.Command(tools.Rundb, append(args, extra...)...)
	}
	log := &tailBuffer{max: 8 << 10}
	cmd.Stdout, cmd.Stderr = log, log
	cmd.Dir = dir
	// The server dies with the lab, even when the lab is killed.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("cannot start %s: %w", backend, err)
	}
	s := &Server{Backend: backend, Addr: "127.0.0.1:" + p, Dir: dir, cmd: cmd, done: make(chan struct{}), log: log}
	go func() {
		s.waitErr = cmd.Wait()
		close(s.done)
	}()
	if err := s.waitReady(ready); err != nil {
		s.Stop(2 * time.Second)
		return nil, err
	}
	if len(tools.ServerCPUs) > 0 {
		// Not fatal: an unpinned server is still measured, only noisier.
		if err := PinProcess(s.PID(), tools.ServerCPUs); err != nil {
			fmt.Fprintf(os.Stderr, "rundb-bench: %s runs unpinned: %v\n", backend, err)
		}
	}
	return s, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func (s *Server) waitReady(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if err := s.Alive(); err != nil {
			return err
		}
		c, err := Dial(s.Addr, 200*time.Millisecond)
		if err == nil {
			c.conn.SetDeadline(time.Now().Add(time.Second))
			v, err := c.Do("PING")
			c.Close()
			if err == nil && v.String() == "PONG" {
				return nil
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("%s did not answer PING within %s%s", s.Backend, timeout, s.logTail())
}

// PID is the server's process id (the malloc-family backends re-exec
// themselves in place, so it stays valid).
func (s *Server) PID() int { return s.cmd.Process.Pid }

// Alive returns nil while the process runs, else an error describing its end.
func (s *Server) Alive() error {
	select {
	case <-s.done:
		return fmt.Errorf("%s exited (%v)%s", s.Backend, s.waitErr, s.logTail())
	default:
		return nil
	}
}

// Check turns err from talking to the server into a clearer one when the
// process has died.
func (s *Server) Check(err error) error {
	if err == nil {
		return nil
	}
	select {
	case <-s.done:
	case <-time.After(200 * time.Millisecond):
	}
	if dead := s.Alive(); dead != nil {
		return fmt.Errorf("server died: %w", dead)
	}
	return err
}

func (s *Server) logTail() string {
	t := strings.TrimSpace(s.log.String())
	if t == "" {
		return ""
	}
	if i := strings.LastIndexByte(t[:max(0, len(t)-1)], '\n'); i >= 0 && len(t)-i > 300 {
		t = t[i+1:]
	}
	if len(t) > 300 {
		t = t[len(t)-300:]
	}
	return ": " + strings.ReplaceAll(t, "\n", " | ")
}

// RSS is the resident set size in bytes, from /proc/PID/status.
func (s *Server) RSS() (int64, error) {
	if err := s.Alive(); err != nil {
		return 0, err
	}
	return ReadRSS(s.PID())
}

// ReadRSS reads VmRSS of a process in bytes.
func ReadRSS(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	return parseVmRSS(f)
}

func parseVmRSS(r interface{ Read([]byte) (int, error) }) (int64, error) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "VmRSS:") {
			continue
		}
		f := strings.Fields(line[len("VmRSS:"):])
		if len(f) < 1 {
			break
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0, err
		}
		return kb * 1024, nil
	}
	return 0, errors.New("no VmRSS line")
}

// Restart stops the server, keeping its data directory, and starts the
// same backend again in it with extra arguments (the new process is
// pinned as the first was). It returns the new server and the time from
// starting its process until it answered PING (loading included).
func (s *Server) Restart(tools Tools, extra ...string) (*Server, time.Duration, error) {
	s.halt(10 * time.Second)
	t0 := time.Now()
	n, err := startIn(tools, s.Backend, s.Dir, 30*time.Minute, extra...)
	if err != nil {
		return nil, 0, err
	}
	return n, time.Since(t0), nil
}

// Stop shuts the server down: SHUTDOWN NOSAVE, then SIGTERM, then SIGKILL,
// each after timeout. The data directory is removed.
func (s *Server) Stop(timeout time.Duration) {
	defer os.RemoveAll(s.Dir)
	s.halt(timeout)
}

// halt is Stop without removing the directory.
func (s *Server) halt(timeout time.Duration) {
	if s.Alive() != nil {
		return
	}
	if c, err := Dial(s.Addr, 500*time.Millisecond); err == nil {
		c.conn.SetDeadline(time.Now().Add(timeout))
		c.Queue("SHUTDOWN", "NOSAVE")
		c.Flush()
		c.Read()
		c.Close()
	}
	select {
	case <-s.done:
		return
	case <-time.After(timeout):
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
		return
	case <-time.After(timeout):
	}
	s.cmd.Process.Kill()
	<-s.done
}

// Kill ends the process at once.
func (s *Server) Kill() {
	if s.Alive() == nil {
		s.cmd.Process.Kill()
	}
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf bytes.Buffer
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf.Write(p)
	if over := t.buf.Len() - t.max; over > 0 {
		t.buf.Next(over)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.buf.String()
}
