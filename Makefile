# candlecassette — see README.md.
GO        ?= go
BIN       ?= bin/candlecassette
EXCHANGE  ?= binance_spot
LISTEN    ?= 127.0.0.1:8080
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -X main.Version=$(VERSION)

.PHONY: all build run test unit compat compat-go compat-ccxt bench lint fmt-check vet realism clean ui-shot

all: build

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/candlecassette

## run: serve a synthetic Binance spot market on $(LISTEN)
run: build
	./$(BIN) synth $(EXCHANGE) --listen $(LISTEN)

## test: everything CI runs: formatting, vet, unit tests with -race, real-client compat tests.
## The three suites run side by side (-O keeps each one's output together): the Go unit tests
## are CPU-bound, the compat suites mostly wait on their servers.
test: lint
	$(MAKE) --no-print-directory -O -j3 unit compat-go compat-ccxt

unit:
	$(GO) test -race -count=1 ./...

compat: compat-go compat-ccxt

## compat-go: go-binance (and other Go SDKs) against the in-process server and the built binary,
## and the dashboard in headless chromium (compat/ui); -mod=mod lets compat/go.sum catch up with dependencies the main module adds
compat-go: build
	cd compat && CANDLECASSETTE_BIN=$(CURDIR)/$(BIN) $(GO) test -mod=mod -race -count=1 ./...

## compat-ccxt: ccxt (pinned in compat/ccxt/package-lock.json) against `candlecassette synth ID` for every registered id,
## with rewritten URLs and unchanged through proxy mode (npm test's run-tests.mjs makes the CA in a temporary directory)
compat-ccxt: build
	cd compat/ccxt && npm ci --no-audit --no-fund --loglevel=error && CANDLECASSETTE_BIN=$(CURDIR)/$(BIN) npm test

## bench: the performance harness (cmd/benchharness): hot-path `go test -bench` benchmarks with
## -benchmem, REST under wrk side by side with nginx, WS, cassette index, recording, startup;
## prints one table of figures against targets. BENCHFLAGS=-quick for a short run, -full for a long one.
## Needs root to apt-get install wrk and nginx-light when missing. Not part of `make test`.
bench:
	$(GO) run ./cmd/benchharness $(BENCHFLAGS)

## realism: synthetic BTC-USDT 1m vs real Binance data (../shared/data), side by side
realism:
	$(GO) test -count=1 -run TestRealism -v ./synth

lint: fmt-check vet

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...
	cd compat && $(GO) vet -mod=mod ./...

clean:
	rm -rf bin

## ui-shot: re-take docs/ui.png, the README's screenshot of /__admin/ui (needs chromium)
ui-shot:
	cd compat && CANDLECASSETTE_UI_README_SHOT=1 $(GO) test -mod=mod -count=1 -run TestDashboardShows ./ui/
