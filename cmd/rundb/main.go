// Command rundb is the rundb server: a Redis-compatible in-memory key-value
// store whose memory comes from a selectable allocator backend.
//
//	rundb [config-file] [--name value ...]
//
// Every configuration parameter (Redis's names, plus alloc,
// keyspace-layout, eviction-ratio and eviction-pool-size) can be set in the file, in
// redis.conf syntax, or on the command line; the command line wins.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"

	"rundb/engine"
	"rundb/engine/command"
	"rundb/engine/config"
	"rundb/engine/resp"
	"rundb/variants"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	// The event loop keeps one P to itself while it waits for events, so
	// the server's other goroutines need a second one; a process pinned
	// to one CPU starts with one (netpoll's rawsys_linux.go says why the
	// loop keeps its P). GOMAXPROCS in the environment is left as set.
	if os.Getenv("GOMAXPROCS") == "" && runtime.GOMAXPROCS(0) < 2 {
		runtime.GOMAXPROCS(2)
	}
	if len(args) > 0 {
		switch args[0] {
		case "-h", "--help", "help":
			usage(stdout)
			return 0
		case "-v", "--version":
			fmt.Fprintf(stdout, "rundb v=%s redis-compat=%s\n", command.Version, command.RedisVersion)
			return 0
		}
	}
	cfg := config.Default()
	if err := loadConfig(cfg, args); err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	// As Redis does, rundb works in dir (where files will be written).
	if err := os.Chdir(cfg.Dir); err != nil {
		fmt.Fprintf(stderr, "rundb: can't chdir to '%s': %v\n", cfg.Dir, err)
		return 1
	}
	// jemalloc, mimalloc and tcmalloc need their library preloaded: this
	// re-executes rundb with LD_PRELOAD set (same pid, same arguments).
	if err := variants.Prepare(cfg.Alloc); err != nil {
		fmt.Fprintf(stderr, "rundb: %v\n", err)
		return 1
	}
	alloc, err := variants.New(cfg.Alloc)
	if err != nil {
		fmt.Fprintf(stderr, "rundb: %v\n", err)
		return 1
	}
	srv, err := engine.NewServer(cfg, alloc)
	if err != nil {
		fmt.Fprintf(stderr, "rundb: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "rundb %s (redis 7.0 compatible) backend=%s listening on %s pid=%d\n",
		command.Version, alloc.Name(), strings.Join(srv.Addrs(), " "), os.Getpid())
	fmt.Fprintln(stdout, "Ready to accept connections")

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		sig := <-sigs
		fmt.Fprintf(stdout, "Received %v, finishing in-flight commands and shutting down\n", sig)
		srv.Stop()
		// The final snapshot may take a while: a second signal does not
		// cut it short (that would leave the old files, but lose the
		// writes since); it is reported and waited out.
		for sig := range sigs {
			fmt.Fprintf(stdout, "Received %v again: still writing the final snapshot, waiting for it to finish\n", sig)
		}
	}()
	if err := srv.Serve(); err != nil {
		fmt.Fprintf(stderr, "rundb: %v\n", err)
		return 1
	}
	fmt.Fprintln(stdout, "rundb is now ready to exit, bye bye...")
	return 0
}

// loadConfig applies an optional config file (first argument, when it does
// not start with "--") and then --name value pairs.
func loadConfig(cfg *config.Config, args []string) error {
	if len(args) > 0 && !strings.HasPrefix(args[0], "--") {
		path := args[0]
		args = args[1:]
		b, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("cannot open config file %q: %w", path, err)
		}
		// Absolute, so that INFO and CONFIG REWRITE find it after the
		// change into dir.
		if abs, err := filepath.Abs(path); err == nil {
			path = abs
		}
		cfg.ConfigFile = path
		if err := applyConfigText(cfg, string(b), path); err != nil {
			return err
		}
	}
	// --name v1 [v2 ...] up to the next --name, as Redis does.
	var lines []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "--") {
			return fmt.Errorf("rundb: unexpected argument %q (parameters are --name value)", a)
		}
		// Quoted so that the config line splitter gives each value back
		// byte for byte.
		words := []string{a[2:]}
		for i+1 < len(args) && !strings.HasPrefix(args[i+1], "--") {
			i++
			words = append(words, config.Quote(args[i]))
		}
		lines = append(lines, strings.Join(words, " "))
	}
	return applyConfigText(cfg, strings.Join(lines, "\n"), "")
}

// applyConfigText applies redis.conf-syntax lines: "name value ...",
// '#' comments, quoted values.
func applyConfigText(cfg *config.Config, text, file string) error {
	for n, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		var words []string
		args, err := resp.SplitArgs([]byte(line))
		if err != nil {
			err = errors.New("Unbalanced quotes in configuration line")
		}
		for _, a := range args {
			words = append(words, string(a))
		}
		if err == nil && len(words) < 2 {
			// "save" alone or "name" without a value: treat as empty string.
			words = append(words, "")
		}
		if err == nil {
			p := config.Lookup(words[0])
			if p == nil {
				err = errors.New("Bad directive or wrong number of arguments")
			} else if serr := p.Set(cfg, strings.Join(words[1:], " ")); serr != nil {
				err = serr
			}
		}
		if err != nil {
			where := "the command line"
			if file != "" {
				where = fmt.Sprintf("the configuration file, at line %d", n+1)
			}
			return fmt.Errorf("\n*** FATAL CONFIG FILE ERROR (rundb %s) ***\nReading %s\n>>> '%s'\n%v", command.Version, where, line, err)
		}
	}
	return nil
}

func usage(w io.Writer) {
	fmt.Fprintf(w, `Usage: rundb [/path/to/rundb.conf] [--name value ...]

A Redis-compatible in-memory key-value server with swappable allocator backends.

Examples:
  rundb                              serve on 127.0.0.1:7379 with the default backend
  rundb --port 7777 --alloc goheap
  rundb /etc/rundb.conf --loglevel verbose

Allocator backends (--alloc):
`)
	for _, n := range variants.Names() {
		fmt.Fprintf(w, "  %-10s %s\n", n, variants.Summary(n))
	}
	fmt.Fprintf(w, "\nKeyspace layouts (--keyspace-layout): %s\n", strings.Join(engine.Layouts(), ", "))
	fmt.Fprintf(w, "\nParameters (defaults in brackets):\n")
	def := config.Default()
	for _, p := range config.Params() {
		fmt.Fprintf(w, "  --%-27s %s [%s]\n", p.Name, p.Help, p.Get(def))
	}
}
