# rundb — make targets. `make run` serves, `make test` checks everything.
GO      ?= go
BIN     := bin/rundb
PKGS    := ./...
RACE_PKGS := ./engine/...
FUZZTIME ?= 10s

.PHONY: all build run test test-race fuzz lint clean
.PHONY: bench bench-quick bench-large bench-compare bench-baseline bench-tools

all: build

build:
	$(GO) build -o $(BIN) ./cmd/rundb

run: build
	./$(BIN) --port 7379 --bind 127.0.0.1

# The test command CI runs: vet + gofmt, the whole suite, then -race on the engine.
test: lint
	$(GO) test -count=1 $(PKGS)
	$(GO) test -count=1 -race -short $(RACE_PKGS)

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

bench-tools:
	$(GO) build -o $(BIN) ./cmd/rundb
	$(GO) build -o $(BENCH) ./cmd/rundb-bench

# Default sizes (1M keys): writes reports/REPORT.md, results.json and plots.
bench: bench-tools
	./$(BENCH) -profile default -out reports $(BENCH_ARGS)

# Small sizes (CI, under 2 minutes), into $(BENCH_QUICK_OUT).
bench-quick: bench-tools
	./$(BENCH) -profile quick -out $(BENCH_QUICK_OUT) $(BENCH_ARGS)

# 10M keys and more.
bench-large: bench-tools
	./$(BENCH) -profile large -out $(BENCH_LARGE_OUT) $(BENCH_ARGS)

# bench-quick into a temp dir, compared with $(BASELINE): exit 1 on a regression.
bench-compare: bench-tools
	@out=$$(mktemp -d); ./$(BENCH) -profile quick -out $$out -compare $(BASELINE) $(BENCH_ARGS); \
	  rc=$$?; rm -rf $$out; exit $$rc

# Rewrite $(BASELINE) from a bench-quick run, deliberately.
bench-baseline: bench-tools
	@out=$$(mktemp -d); ./$(BENCH) -profile quick -out $$out -baseline $(BASELINE) $(BENCH_ARGS); \
	  rc=$$?; rm -rf $$out; exit $$rc
