# yibao-wallet: see README.md. Every target installs what it needs first.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
BUF    := tools/node_modules/.bin/buf
PROTOS := $(sort $(shell find protos -name '*.proto'))
PYTEST_ARGS ?=

.PHONY: install run demo test lint proto clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

$(BUF): tools/package.json
	cd tools && npm install --silent --no-audit --no-fund
	touch $@

## Starts region, account and transfer on the embedded default (SQLite under .run/), demo data loaded.
run: install
	$(BIN)/yibao run --data-dir .run --demo

## A scripted cross-province transfer on a throwaway cluster, balances at each step.
demo: install
	$(BIN)/yibao demo

## Runs the whole test suite (Docker-backed tests need a Docker engine; CI installs one).
test: install $(BUF)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## buf lint (STANDARD) over protos/, ruff over the Python.
lint: install $(BUF)
	cd protos && ../$(BUF) lint
	$(BIN)/ruff check services tests

## Regenerates the Python code of the contracts into gen/ (committed).
proto: install
	rm -rf gen/yibao
	$(BIN)/python -m grpc_tools.protoc -I protos \
	  --python_out=gen --pyi_out=gen --grpc_python_out=gen $(PROTOS)
	find gen/yibao -type d -exec touch {}/__init__.py \;

clean:
	rm -rf $(VENV) .run tools/node_modules
