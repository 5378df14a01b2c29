# tokcost developer targets. `make test` is what CI runs (.ci/run).
GO        ?= go
PKGS      := ./...
RACE_PKGS := ./analyze/... ./ingest/... ./report/...
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT    ?= $(shell git rev-parse --short=12 HEAD 2>/dev/null)
LDFLAGS   := -X main.version=$(VERSION) -X main.commit=$(COMMIT)
GOLANGCI  := bin/golangci-lint

.PHONY: build test race lint golden bench fuzz generate screenshot clean adversarial test-beam build-beam

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/tokcost ./cmd/tokcost

# The whole suite, then the analysis packages again under the race detector.
test: lint
	$(GO) test -count=1 -timeout 20m $(PKGS)
	$(GO) test -count=1 -timeout 20m -race $(RACE_PKGS)

lint: $(GOLANGCI)
	$(GO) vet $(PKGS)
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GOLANGCI) run $(PKGS)

# golangci-lint at the version tools/go.mod pins (every dependency checked
# against tools/go.sum); rebuilt only when the pin changes. tools/ is its
# own module, so `go test ./...` does not include it.
$(GOLANGCI): tools/go.mod tools/go.sum
	cd tools && $(GO) build -o ../$(GOLANGCI) github.com/golangci/golangci-lint/v2/cmd/golangci-lint

# Refresh golden files and testscript expectations after an intended change.
golden:
	$(GO) test ./report/... ./cmd/... -update

# Regenerate the embedded price table from pricing/source and pricing/overrides.yaml.
generate:
	$(GO) generate ./pricing/...

bench:
	./scripts/bench.sh

# Render the HTML report of a real sample (the Claude Code transcripts in
# ingest/claudecode/testdata) and of the generated fleet, and screenshot
# them in headless Chromium (apt-get install -y chromium), to look at the
# charts; TestChartLayout checks the same charts' SVG structure.
screenshot:
	./scripts/screenshot.sh "" screenshot.png
	SAMPLE=fleet ./scripts/screenshot.sh "" screenshot-fleet.png

# Run every fuzz target for FUZZTIME each (default 60s).
FUZZTIME ?= 60s
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

clean:
	rm -rf bin bench

# The hostile-input corpus (cmd/tokcost/testdata/adversarial, docs/safety.md):
# each case under time and memory limits; part of `make test` too.
adversarial:
	$(GO) test -count=1 -run 'TestAdversarial|TestLimitsWatchdog' ./cmd/tokcost

# The Apache Beam pipeline (beam/, a module of its own so the CLI's
# module and build do not carry the Beam SDK): vet, and its tests, which
# run it on Prism, Beam's local runner, against the CLI (docs/scale.md).
# The first run downloads and builds the SDK (docs/scale.md has the time).
test-beam:
	cd beam && $(GO) vet ./... && $(GO) test -count=1 ./...

build-beam:
	cd beam && $(GO) build -ldflags "-X main.version=$(VERSION)" -o ../bin/tokcost-beam ./cmd/tokcost-beam
