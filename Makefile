# Week 11: Concurrency in Go. `make` alone lists the targets.

GO       ?= go
TOOLS    := $(GO) tool -modfile=tools/go.mod
# A -race test binary sleeps 1 s at exit by default; this removes the wait, not the checks.
export GORACE := atexit_sleep_ms=0

# What `make bench` benchmarks; pass PKG=./day3_queues/concmap/ to narrow it.
PKG      ?= ./day1_threading/parallel/
# Extra flags for `make grade`, e.g. GRADE_FLAGS="--json grade.json" or a pattern: GRADE_FLAGS=day2_sync
GRADE_FLAGS ?=
# `make mutate` fails when an exercise's mutation score is below MUTATE_MIN percent (0: report only).
# Extra flags or a pattern: MUTATE_FLAGS="--json mutate.json day2_sync"
MUTATE_MIN ?= 95
MUTATE_FLAGS ?=

.DEFAULT_GOAL := help
.PHONY: help grade test verify mutate vet staticcheck lint actionlint bench stress fmt

help: ## list the targets
	@echo "Week 11: Concurrency in Go"
	@echo
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  make %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)
	@echo
	@echo "Work one exercise:  go test -race ./day1_threading/spawnjoin/"
	@echo "Get a hint:         go run ./cmd/course hint day1_threading/spawnjoin"

grade: ## your scorecard: every exercise, its status and points, and where to go next
	@$(GO) run ./cmd/course grade $(GRADE_FLAGS)

test: vet staticcheck ## verify the course itself: vet, staticcheck, the grader's tests, `verify`
	$(GO) test -race -count=1 ./internal/... ./cmd/...
	$(GO) run ./cmd/course verify -q

verify: ## every solution passes, every stub and every mutant fails
	$(GO) run ./cmd/course verify

mutate: ## instructors: generated mutants of every solution; the survivors as diffs and the mutation score
	$(GO) run ./cmd/course mutate --min $(MUTATE_MIN) $(MUTATE_FLAGS)

vet:
	$(GO) vet ./...

staticcheck:
	$(TOOLS) staticcheck ./...

actionlint:
	$(TOOLS) actionlint

lint: vet staticcheck actionlint ## go vet, staticcheck and actionlint

bench: ## run benchmarks 5 times and summarise them with benchstat (PKG=./day1_threading/parallel/)
	$(GO) test -run='^$$' -bench=. -benchmem -cpu=1,2,4 -count=5 $(PKG) | tee bench.txt
	$(TOOLS) benchstat bench.txt
	@echo "Saved to bench.txt. Compare two runs: $(TOOLS) benchstat old.txt bench.txt"

stress: ## instructors: the reference solutions, 50 runs in a row and at -cpu=1,2,4
	$(GO) test -race -count=50 -overlay="$$($(GO) run ./cmd/course overlay)" ./day1_threading/... ./day2_sync/... ./day3_queues/...
	$(GO) test -race -count=20 -cpu=1,2,4 -overlay="$$($(GO) run ./cmd/course overlay)" ./day1_threading/... ./day2_sync/... ./day3_queues/...

fmt: ## gofmt every Go file
	gofmt -w $$(git ls-files '*.go')
