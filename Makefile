# The two commands of the README: `make demo` (the main job on built-in
# defaults: no network, no API key) and `make test` (the whole suite).
# Both run scripts/setup.sh first, which installs what is missing.
SHELL := /bin/bash
export PATH := /usr/local/go/bin:$(PATH)
GO ?= go
BIN := bin/kgent
VERSION := $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)
LDFLAGS := -X main.version=$(VERSION)

.PHONY: all setup build demo test bench fuzz mutate snapshot clean

all: build

setup:
	@bash scripts/setup.sh

build: setup
	$(GO) build -buildvcs=false -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/kgent
	CGO_ENABLED=0 $(GO) build -buildvcs=false -trimpath -ldflags "-s -w" -o bin/kgent-vminit ./analysis/verify/microvm/guest

demo: build
	@bash scripts/demo.sh

test: build
	@bash scripts/setup.sh --test
	@bash scripts/test.sh

bench: build
	$(GO) test -run '^$$' -bench . -benchtime 20x ./kb/... ./analysis/... ./lsp/... ./agent/...

fuzz: build
	@FUZZTIME=$${FUZZTIME:-30s} bash scripts/fuzz.sh

# Mutation testing of the code that decides findings (scripts/mutate.sh;
# MUTATE_BUDGET bounds the time, 35 minutes by default).
mutate: build
	@bash scripts/mutate.sh

# Regenerates the embedded reference kb from this machine's kernel.
snapshot: build
	$(BIN) kb build --out .cache/snapshot -q
	gzip -9 -n -c .cache/snapshot/kb.bin > kb/snapshot/kb.bin.gz

clean:
	rm -rf bin .cache
