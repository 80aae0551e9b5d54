# cfnfargate: `make test` is the whole check, and what CI runs.
GO       ?= go
BIN      ?= bin/cfnfargate
GOLDEN   := $(wildcard testdata/*.yaml testdata/*.json)

.PHONY: all build test test-aws golden schemas lint bench fuzz clean

all: build

# -trimpath and -s -w keep local paths and symbols out of the binary;
# urfave_cli_no_docs drops urfave/cli's man-page and markdown generators,
# which cfnfargate never calls. -buildvcs=auto stamps the commit that
# --version prints, even where GOFLAGS turns stamping off. The AWS SDK's
# generated clients are most of the binary: compiling them without inlining
# (-l) makes it 1.4 MB smaller, and costs no measurable time, as the SDK
# waits on the network (emit runs the same number of instructions).
BUILDFLAGS ?= -trimpath -ldflags='-s -w' -tags urfave_cli_no_docs -buildvcs=auto -gcflags='github.com/aws/...=-l'

build:
	$(GO) build $(BUILDFLAGS) -o $(BIN) ./cmd/cfnfargate

# Unit tests, golden files, cfn-lint on every golden file, and the
# end-to-end tests against moto_server, with the race detector.
test:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt would change: $$unformatted"; exit 1; fi
	$(GO) vet ./...
	@skipped=$$(mktemp); \
	CFNFARGATE_SKIPPED_TOOLS_FILE=$$skipped $(GO) test -race -count=1 ./...; status=$$?; \
	if [ -s $$skipped ]; then \
		echo "make test: SKIPPED the tests that need: $$(sort -u $$skipped | paste -sd, -)"; \
	else \
		echo "make test: every test tool was present; nothing skipped"; \
	fi; \
	rm -f $$skipped; exit $$status

# The scenario suite (internal/scenario) on a real AWS account: it needs
# CFNFARGATE_TEST_AWS=1 and credentials, prints the account, the Region and
# a cost estimate first, and deletes what it created at the end, also on
# Ctrl-C. Without the variable it prints how to run it and exits 0.
test-aws:
	$(GO) test -count=1 -v -timeout 6h -run '^TestScenariosOnAWS$$' ./internal/scenario/

# Rewrite the golden templates in testdata/ from the code. Review the diff
# (git diff testdata/) before committing.
golden:
	$(GO) test ./stack/ -run 'TestGolden$$|TestUpdateSafety$$|TestHardenedControlsREADME$$' -count=1 -update
	$(GO) test ./cmd/cfnfargate/ -run 'TestREADMESettings$$' -count=1 -update
	git --no-pager diff --stat -- testdata/ README.md || true

# Extract the create-only properties of the resource types the templates use
# from cfn-lint's bundled schemas into testdata/schemas/ (after a cfn-lint
# upgrade, or when a template gains a resource type).
schemas:
	$(GO) generate ./stack

lint:
	@unformatted=$$(gofmt -l .); if [ -n "$$unformatted" ]; then echo "gofmt would change: $$unformatted"; exit 1; fi
	$(GO) vet ./...
	cfn-lint $(GOLDEN) --regions us-east-1

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

# A short fuzzing run of each fuzz target; the seed corpus runs in `make test`.
fuzz:
	$(GO) test ./stack/ -run '^$$' -fuzz FuzzBuild -fuzztime 30s
	$(GO) test ./stack/ -run '^$$' -fuzz FuzzFeatures -fuzztime 30s
	$(GO) test ./cmd/cfnfargate/ -run '^$$' -fuzz FuzzConfigFile -fuzztime 30s

clean:
	rm -rf bin
