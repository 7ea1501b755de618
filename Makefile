# Week 11: Concurrency in Go. `make` alone lists the targets.

GO       ?= go
TOOLS    := $(GO) tool -modfile=tools/go.mod
# A -race test binary sleeps 1 s at exit by default; this removes the wait, not the checks.
export GORACE := atexit_sleep_ms=0

# The exercise packages, for `make stress`.
DAYS     := ./day1_threading/... ./day2_sync/... ./day3_queues/... ./day4_processes/... ./day5_futures/... ./day6_performance/... ./day7_challenge/...
# Packages below an exercise (a demo, a capstone's commands and given-code tests): `verify` does not
# grade them, `make test` runs their tests on the reference solutions.
SUBPKGS   = $(shell $(GO) list $(DAYS) 2>/dev/null | grep -E '/day[1-7]_[^/]+/[^/]+/.')
# What `make bench` benchmarks; pass PKG=./day3_queues/concmap/ to narrow it.
PKG      ?= ./day1_threading/parallel/
# Extra flags for `make grade`, e.g. GRADE_FLAGS="--json grade.json" or a pattern: GRADE_FLAGS=day2_sync
GRADE_FLAGS ?=
# `make mutate` fails when an exercise's mutation score is below MUTATE_MIN percent (0: report only).
# Extra flags or a pattern: MUTATE_FLAGS="--json mutate.json day2_sync"
MUTATE_MIN ?= 95
MUTATE_FLAGS ?=

# The student edition (exported by `course export --student`) has no solutions: the targets that run
# them say so instead of running the stubs.
STUDENT_EDITION := $(shell grep -qs '^edition *= *"student"' course.toml && echo yes)
define instructors_only
	@echo "make $@ is an instructors' command: it runs the reference solutions, and this student edition has none (your instructors publish them after the deadline)."
	@echo "To test your own code: make watch, make grade, or go test -race -count=20 ./day1_threading/spawnjoin/"
endef

.DEFAULT_GOAL := help
.PHONY: help grade watch test test-tools test-subpkgs test-verify verify times mutate vet staticcheck lint actionlint bench bench-capstones stress fmt

help: ## list the targets
	@echo "Week 11: Concurrency in Go"
	@echo
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  make %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)
	@echo
	@echo "Work in a loop:     make watch"
	@echo "Work one exercise:  go test -race ./day1_threading/spawnjoin/"
	@echo "Get the next hint:  go run ./cmd/course hint"

watch: ## work in a loop: your current exercise's tests run on every save (keys: h n l r q)
	@$(GO) run ./cmd/course watch

grade: ## your scorecard: every exercise, its status and points, and where to go next
	@$(GO) run ./cmd/course grade $(GRADE_FLAGS)

# The parts of `make test` run at once, each one's output shown whole when it ends (verify's last):
# on 2 cores one part's waits (a mutant's test waiting out its guard) are another's computing time.
test: ## verify the course itself: vet, staticcheck, the grader's tests, `verify`
	@echo "make test: vet, staticcheck, the grader's tests and course verify run at once; each one's output appears when it ends."
	@$(MAKE) --no-print-directory -j -O vet staticcheck test-tools test-subpkgs test-verify

test-tools:
	$(GO) test -race -count=1 ./internal/... ./cmd/...

test-subpkgs:
ifneq ($(STUDENT_EDITION),yes)
	$(GO) test -race -count=1 -overlay="$$($(GO) run ./cmd/course overlay)" $(SUBPKGS)
endif

test-verify:
	$(GO) run ./cmd/course verify -q

verify: ## every solution passes, every stub and every mutant fails
	$(GO) run ./cmd/course verify

times: ## instructors: `course verify --times`: how long each stub's and mutant's whole run takes (goal: under 15 s)
ifeq ($(STUDENT_EDITION),yes)
	$(instructors_only)
else
	$(GO) run ./cmd/course verify -q --times
endif

mutate: ## instructors: generated mutants of every solution; the survivors as diffs and the mutation score
	$(GO) run ./cmd/course mutate --min $(MUTATE_MIN) $(MUTATE_FLAGS)

# The pitfalls stub is buggy on purpose, and go vet finds two of its bugs: vet it with its solution
# swapped in (where there are solutions), and everything else as it is.
vet:
	$(GO) vet $$($(GO) list ./... | grep -v '/day6_performance/pitfalls$$')
	@if [ -d solutions ]; then $(GO) vet -overlay="$$($(GO) run ./cmd/course overlay day6_performance/pitfalls 7)" ./day6_performance/pitfalls/ ./day7_challenge/...; fi

# Then the solved course, in a copy (staticcheck takes no -overlay): a capstone's solution is only
# part of its package, so it is checked there or nowhere, and the tests meet the solutions' code.
staticcheck:
	$(TOOLS) staticcheck ./...
	@if [ -d solutions ]; then \
	  d=$$(mktemp -d) && trap 'rm -rf "$$d"' EXIT && \
	  $(GO) run ./cmd/course export --solved "$$d/course" >/dev/null && \
	  echo "staticcheck on the solved course (course export --solved): a finding in a file that solutions/ holds is in that solution" && \
	  cd "$$d/course" && $(GO) tool -modfile="$(CURDIR)/tools/go.mod" staticcheck $(DAYS); fi

actionlint:
	$(TOOLS) actionlint

lint: vet staticcheck actionlint ## go vet, staticcheck and actionlint

bench: ## run benchmarks 5 times and summarise them with benchstat (PKG=./day1_threading/parallel/; SOLUTIONS=1 benchmarks the reference solutions)
	$(GO) test -run='^$$' -bench=. -benchmem -cpu=1,2,4 -count=5 $(if $(SOLUTIONS),-overlay="$$($(GO) run ./cmd/course overlay)") $(PKG) | tee bench.txt
	$(TOOLS) benchstat bench.txt
	@echo "Saved to bench.txt. Compare two runs: $(TOOLS) benchstat old.txt bench.txt"

# Each capstone's benchmark against its named baseline, on the reference solutions, side by side in one
# run: the ratios the capstone READMEs quote.
bench-capstones: ## instructors: the capstones against their baselines (colly, sha256sum, a naive scan, time.AfterFunc)
ifeq ($(STUDENT_EDITION),yes)
	$(instructors_only)
else
	@overlay="$$($(GO) run ./cmd/course overlay 7)" && set -x && \
	$(GO) test -run '^$$' -bench HashVsSha256sum -benchtime 3x -overlay="$$overlay" ./day7_challenge/fileproc/ && \
	$(GO) test -run '^$$' -bench Dispatch -benchtime 5x -benchmem -overlay="$$overlay" ./day7_challenge/scheduler/ && \
	$(GO) test -run '^$$' -bench Dataproc -benchtime 3x -overlay="$$overlay" ./day7_challenge/dataproc/ && \
	cd bench && $(GO) test -run '^$$' -bench Crawl -benchtime 5x -overlay="$$overlay" ./scraper/
endif

stress: ## instructors: the reference solutions, 50 runs in a row and at -cpu=1,2,4
ifeq ($(STUDENT_EDITION),yes)
	$(instructors_only)
else
	$(GO) test -race -count=50 -overlay="$$($(GO) run ./cmd/course overlay)" $(DAYS)
	$(GO) test -race -count=20 -cpu=1,2,4 -overlay="$$($(GO) run ./cmd/course overlay)" $(DAYS)
endif

fmt: ## gofmt every Go file
	gofmt -w $$(git ls-files '*.go')
