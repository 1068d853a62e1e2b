# rundb — make targets. `make run` serves, `make test` checks everything.
GO      ?= go
BIN     := bin/rundb
PKGS    := ./...
RACE_PKGS := ./engine/...
FUZZTIME ?= 10s

.PHONY: all build run deps test test-race test-backends fuzz lint clean
.PHONY: bench bench-quick bench-large bench-compare bench-baseline bench-tools

all: build

build:
	$(GO) build -o $(BIN) ./cmd/rundb

run: build
	./$(BIN) --port 7379 --bind 127.0.0.1

# The packages the tests and the lab use (redis-server, redis-tools, gcc, the
# allocator libraries): checked in milliseconds when present; when one is
# missing, installed by scripts/setup-deps.sh as root, else named with the
# command to run.
deps:
	@bash scripts/ensure-deps.sh

# The test command CI runs: vet + gofmt, the whole suite, -race on the
# engine, then the differential and integration tests on more backends.
test: deps lint
	$(GO) test -count=1 $(PKGS)
	$(GO) test -count=1 -race -short $(RACE_PKGS)
	$(MAKE) test-backends

# The differential + integration tests (engine/difftest) on arena (with
# the default keyspace layout, then with chained and dash: RUNDB_LAYOUT) and on
# jemalloc (the test binary runs with libjemalloc preloaded; the backend's
# constructor checks that the preload took effect). goheap ran above.
JEMALLOC_LIB ?= $(firstword $(wildcard /usr/lib/*-linux-gnu/libjemalloc.so.2 /usr/lib/libjemalloc.so.2 /usr/local/lib/libjemalloc.so.2))
test-backends: deps
	RUNDB_ALLOC=arena $(GO) test -count=1 ./engine/difftest/
	RUNDB_ALLOC=arena RUNDB_LAYOUT=chained $(GO) test -count=1 ./engine/difftest/
	RUNDB_ALLOC=arena RUNDB_LAYOUT=dash $(GO) test -count=1 ./engine/difftest/
	@if [ -z "$(JEMALLOC_LIB)" ]; then echo "libjemalloc.so.2 not found: install the Debian package libjemalloc2 (sudo scripts/setup-deps.sh)"; exit 1; fi
	$(GO) test -c -o bin/difftest.test ./engine/difftest/
	cd engine/difftest && LD_PRELOAD=$(JEMALLOC_LIB) RUNDB_ALLOC=jemalloc ../../bin/difftest.test -test.count=1

test-race:
	$(GO) test -count=1 -race $(RACE_PKGS)

# A short run of every fuzz target (FUZZTIME each).
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "fuzz $$pkg $$f"; \
	    $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg; \
	  done; \
	done

lint:
	$(GO) vet $(PKGS)
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

clean:
	rm -rf bin
	$(GO) clean -testcache

# The lab (bench/, cmd/rundb-bench): every backend `bin/rundb --help` lists,
# beside redis-server. Each target rebuilds bin/rundb first, so backends that
# just landed are measured. BENCH_ARGS passes flags (-backends, -workloads...).
BENCH           := bin/rundb-bench
BENCH_ARGS      ?=
BENCH_QUICK_OUT ?= bin/bench-quick
BENCH_LARGE_OUT ?= reports/large
BASELINE        ?= reports/baseline.json

bench-tools: deps
	$(GO) build -o $(BIN) ./cmd/rundb
	$(GO) build -o $(BENCH) ./cmd/rundb-bench

# Default sizes (1M keys): writes reports/REPORT.md, results.json and plots.
bench: bench-tools
	./$(BENCH) -profile default -out reports -readme README.md $(BENCH_ARGS)

# Small sizes (CI, under 2 minutes), into $(BENCH_QUICK_OUT).
bench-quick: bench-tools
	./$(BENCH) -profile quick -out $(BENCH_QUICK_OUT) $(BENCH_ARGS)

# 10M keys and more, into $(BENCH_LARGE_OUT): every workload at 10M keys (W1's
# sweep 10k-10M; W1, W2, W7, T1, T2 and G1 on every layout of arena and
# jemalloc too), then H1: 100M keys of W1's shapes on the leanest combination
# (about 5 GiB of RSS; Redis projected, not run; BENCH_ARGS='-huge 0' skips it).
# The plan is 167 server runs, 3.2e9 cost units (`bin/rundb-bench -profile
# large -list`; make bench's 4.9e8 took 11 min): about 1.5-2 hours on 2
# cores, half of it T1-T5 on a 10M keyspace, H1 some 5-10 minutes.
bench-large: bench-tools
	./$(BENCH) -profile large -out $(BENCH_LARGE_OUT) $(BENCH_ARGS)

# bench-quick into a temp dir, compared with $(BASELINE): exit 1 on a regression.
bench-compare: bench-tools
	@out=$$(mktemp -d); ./$(BENCH) -profile quick -out $$out -compare $(BASELINE) $(BENCH_ARGS); \
	  rc=$$?; rm -rf $$out; exit $$rc

# Rewrite $(BASELINE) from a bench-quick run with 5 repeats (steadier medians), deliberately.
bench-baseline: bench-tools
	@out=$$(mktemp -d); ./$(BENCH) -profile quick -repeats 5 -out $$out -baseline $(BASELINE) $(BENCH_ARGS); \
	  rc=$$?; rm -rf $$out; exit $$rc
