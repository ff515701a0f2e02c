# Each target sets itself up: a fresh machine needs only Python 3.11+ and the package index.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint format bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/tierdesk run

# compileall: the tests start many tierdesk processes; where PYTHONDONTWRITEBYTECODE is set,
# each would compile the project again (0.1-0.15 s), since imports then never write .pyc.
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m compileall -q bot adapters storage >/dev/null
	$(BIN)/pytest -n auto

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Every benchmark of benchmarks/README.md, sized to finish in under 5 minutes on the 2-core
# machine; each prints its JSON line(s) with the reference measured in the same run. SQLite
# only by default; BENCH_PG_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench_h also
# measures PostgreSQL where a benchmark can (that database's public schema is wiped; longer).
BENCH_PG_URL ?=
BENCH_PG := $(if $(BENCH_PG_URL),--pg-url $(BENCH_PG_URL))

bench: $(STAMP)
	$(BIN)/python benchmarks/kb_quality.py
	$(BIN)/python benchmarks/kb_latency.py --sizes 1000 10000
	$(BIN)/python benchmarks/sla_tick.py --quick $(BENCH_PG)
	$(BIN)/python benchmarks/desk_handle.py --quick $(BENCH_PG)
	$(BIN)/python benchmarks/slack_first_dm.py --quick $(BENCH_PG)
	$(BIN)/python benchmarks/slack_claims.py $(BENCH_PG)
	$(if $(BENCH_PG_URL),$(BIN)/python benchmarks/replicas.py --quick --pg-url $(BENCH_PG_URL))
	$(BIN)/python benchmarks/idle_rss.py --idle 3
	$(BIN)/python benchmarks/metrics_overhead.py --quick

clean:
	rm -rf $(VENV) tierdesk.db .pytest_cache
