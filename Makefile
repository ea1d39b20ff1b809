# candlecassette — see README.md.
GO        ?= go
BIN       ?= bin/candlecassette
EXCHANGE  ?= binance_spot
LISTEN    ?= 127.0.0.1:8080
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -X main.Version=$(VERSION)

.PHONY: all build run test unit compat compat-go compat-ccxt longrun bench lint fmt-check vet realism clean image image-test ui-shot

all: build

## build: static (CGO_ENABLED=0), as the image packs it: `make image` then only relinks
build:
	CGO_ENABLED=0 $(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/candlecassette

## run: serve a synthetic Binance spot market on $(LISTEN)
run: build
	./$(BIN) synth $(EXCHANGE) --listen $(LISTEN)

## test: everything CI runs: formatting, vet, unit tests with -race, real-client compat tests,
## the container image. The suites run side by side (-O keeps each one's output together): the
## Go unit tests are CPU-bound, the compat suites and the image check mostly wait.
test: lint
	$(MAKE) --no-print-directory -O -j4 unit compat-go compat-ccxt image-test

unit:
	$(GO) test -race -count=1 ./...

compat: compat-go compat-ccxt

## compat-go: go-binance (and other Go SDKs) against the in-process server and the built binary,
## and the dashboard in headless chromium (compat/ui);
## -mod=mod lets compat/go.sum catch up with dependencies the main module adds
## (the README's testcontainers-go block is run by image-test, while its docker daemon is up)
compat-go: build
	cd compat && CANDLECASSETTE_BIN=$(CURDIR)/$(BIN) $(GO) test -mod=mod -race -count=1 -skip '^TestTheImageWithTestcontainers$$' ./...

## compat-ccxt: ccxt (pinned in compat/ccxt/package-lock.json) against `candlecassette synth ID` for every registered id,
## with rewritten URLs and unchanged through proxy mode (npm test's run-tests.mjs makes the CA in a temporary directory)
compat-ccxt: build
	cd compat/ccxt && npm ci --no-audit --no-fund --loglevel=error && CANDLECASSETTE_BIN=$(CURDIR)/$(BIN) npm test

## longrun: ccxt keeps every id's order book for a long accelerated run (compat/ccxt/longrun: 20 s at
## --speed 100, about half an hour of market time, every book checked); not part of `make test`
longrun: build
	cd compat/ccxt && npm ci --no-audit --no-fund --loglevel=error && CANDLECASSETTE_BIN=$(CURDIR)/$(BIN) npm run test:long

## bench: the performance harness (cmd/benchharness): hot-path `go test -bench` benchmarks with
## -benchmem, REST under wrk side by side with nginx, WS, 1,000 clients on @depth@100ms diff
## streams (delay p50/p99, lost events, server CPU/RSS), cassette index, recording, startup;
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

## image: the container image $(IMAGE): the static binary (CGO_ENABLED=0), built here first, packed
## FROM scratch with a non-root user (65532), the CA bundle (record/proxy reach exchanges over TLS)
## and the /cassettes volume; bin/image is the build context, so docker pulls and compiles nothing
IMAGE     ?= candlecassette:dev
CA_BUNDLE ?= /etc/ssl/certs/ca-certificates.crt
image:
	rm -rf bin/image && mkdir -p bin/image/etc/ssl/certs bin/image/cassettes
	CGO_ENABLED=0 $(GO) build -ldflags "-s -w $(LDFLAGS)" -o bin/image/candlecassette ./cmd/candlecassette
	printf 'root:x:0:0:root:/:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/nonexistent:/sbin/nologin\n' >bin/image/etc/passwd
	printf 'root:x:0:\nnonroot:x:65532:\n' >bin/image/etc/group
	cp $(CA_BUNDLE) bin/image/etc/ssl/certs/ca-certificates.crt
	docker build -q -t $(IMAGE) -f Dockerfile bin/image

## image-test: build the image and serve klines from it on the host network (.ci/image-test.sh;
## installs docker.io and starts dockerd when missing, under CI=true or as root)
image-test: build
	+IMAGE=$(IMAGE) BIN=$(BIN) .ci/image-test.sh

## ui-shot: re-take docs/ui.png, the README's screenshot of /__admin/ui: the example cassette with a hole
## cut in its recording (needs chromium)
ui-shot:
	cd compat && CANDLECASSETTE_UI_README_SHOT=1 $(GO) test -mod=mod -count=1 -run TestDashboardShowsRecordingGaps ./ui/
