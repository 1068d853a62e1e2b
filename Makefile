# rundb — make targets. `make run` serves, `make test` checks everything.
GO      ?= go
BIN     := bin/rundb
PKGS    := ./...
RACE_PKGS := ./engine/...
FUZZTIME ?= 10s

.PHONY: all build run test test-race fuzz lint clean

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
