# yibao-wallet: see README.md. Every target installs what it needs first.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
BUF    := tools/node_modules/.bin/buf
PROTOS := $(sort $(shell find protos/yibao -name '*.proto'))
PYTEST_ARGS ?=

IMAGE   ?= yibao-wallet:latest
PROJECT ?= yibao
OPS_IMAGE ?= yibao-ops:latest
# Compose profiles make up adds: PROFILES="observability events" (Prometheus; NATS, published to by the services),
# PROFILES=federated (provinces as account shards, the index, a routing transfer service: docs/sharding.md).
PROFILES ?=
ALL_PROFILES := --profile observability --profile events --profile federated
COMPOSE ?= $(shell docker compose version >/dev/null 2>&1 && echo "docker compose" || echo docker-compose)

.PHONY: install run demo test test-shards bench bench-shards bench-gateway soak soak-short chaos chaos-short lint proto docs clean wheelhouse image up down logs ops-image

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

$(BUF): tools/package.json
	cd tools && npm install --silent --no-audit --no-fund
	touch $@

## Starts region, account and transfer on the embedded default (SQLite under .run/), demo data loaded;
## AT=HH:MM (Beijing) or AT=2026-12-03T10:00+08:00 runs a developer clock from that time.
run: install
	$(BIN)/yibao run --data-dir .run --demo $(if $(AT),--at "$(AT)")

## A scripted cross-province transfer on a throwaway cluster, balances at each step.
demo: install
	$(BIN)/yibao demo

## Runs the whole test suite (Docker-backed tests need a Docker engine; CI installs one), after the type check.
test: install $(BUF) typecheck
	$(BIN)/python -m pytest -n 2 --dist loadgroup $(PYTEST_ARGS)

## The end-to-end transfer suite (tests/transfer) on the federated topology (R24, docs/sharding.md): with
## YIBAO_TEST_ACCOUNT_SHARDS=2 the account service of the tests is the national index, two account shards and the
## account router, and the transfer service routes by the shard map. Both backends, PostgreSQL as for `make test`.
test-shards: install
	YIBAO_TEST_ACCOUNT_SHARDS=2 $(BIN)/python -m pytest tests/transfer -n 2 --dist loadgroup $(PYTEST_ARGS)

## mypy over the services, the fakes and the simulator: the ports (services/*/usecases/ports.py) hold both sides.
typecheck: install
	$(BIN)/mypy

## The deterministic simulator: SEEDS=100000 runs that many (from START=0); SEED=1234 replays one, with its trace.
SEEDS ?= 10000
START ?= 0
sim: install
	$(BIN)/python -m tests.sim $(if $(SEED),--seed $(SEED),--seeds $(SEEDS) --start $(START))

## End-to-end transfer benchmark on PostgreSQL: prints figures and ratios to the goals, writes .bench/result.json;
## BENCH_TRACING=on runs it with OpenTelemetry on in every service (spans to a stand-in OTLP collector).
## Then the 2-shard run (bench-shards), its figures beside the 1-shard ones.
bench: install
	if [ -z "$$YIBAO_BENCH_POSTGRES_URL" ]; then . deploy/base-images.sh; fi; $(BIN)/python -m bench.transfers
	if [ -z "$$YIBAO_BENCH_POSTGRES_URL" ]; then . deploy/base-images.sh; fi; $(BIN)/python -m bench.shards

## The gateway's price: LookupPerson direct over gRPC and through the HTTPS gateway with SM2/SM4 envelopes,
## requests/s and p99 of both and the SM2 cost per request; writes .bench/gateway.json.
bench-gateway: install
	if [ -z "$$YIBAO_BENCH_POSTGRES_URL" ]; then . deploy/base-images.sh; fi; $(BIN)/python -m bench.gateway

## Provinces as shards (R24): two account shards, the index and the routing transfer service as processes;
## transfers within one shard with both up and with the other one killed (its own fail fast), then it returns;
## writes .bench/shards.json.
bench-shards: install
	if [ -z "$$YIBAO_BENCH_POSTGRES_URL" ]; then . deploy/base-images.sh; fi; $(BIN)/python -m bench.shards

## Sustained open-loop load (SOAK_RATE req/s, default 80 % of a measured peak, for SOAK_SECONDS, 300) on the
## PostgreSQL at YIBAO_BENCH_POSTGRES_URL (default: the local server at 127.0.0.1:5432); writes .bench/sustained.json, fails on any patient error.
soak: install
	YIBAO_BENCH_POSTGRES_URL=$${YIBAO_BENCH_POSTGRES_URL:-postgresql://postgres@127.0.0.1:5432/postgres} $(BIN)/python -m bench.soak

## The short form CI runs: 20 s at 100 requests/s.
soak-short:
	$(MAKE) soak SOAK_SECONDS=20 SOAK_RATE=100

## Jepsen-style bank test under failures: CHAOS_RATE req/s (40) for CHAOS_SECONDS (300) against two replicas of each
## service on a three-node Patroni cluster (CHAOS_POSTGRES=local: the local server, no database faults) while replicas,
## the primary and the whole cluster are killed; writes .chaos/result.json, fails on anything lost, duplicated or unbalanced.
chaos: install
	$(BIN)/python -m bench.chaos

## The short form CI runs: 120 s, four service kills and a failover through the 06:00 refund sweep.
chaos-short:
	$(MAKE) chaos CHAOS_SECONDS=120

## docs/api.md from the protos' comments, docs/errors.md from the error catalogues (tests/test_docs.py checks both are fresh).
docs: install
	$(BIN)/python tools/api_reference.py > docs/api.md
	$(BIN)/python tools/error_table.py > docs/errors.md

## buf lint (STANDARD) and buf breaking (FILE) against the last release tag over protos/, ruff (lint and format) over the Python.
LAST_RELEASE := $(shell git describe --tags --abbrev=0 --match 'v*' 2>/dev/null)
lint: install $(BUF)
	cd protos && ../$(BUF) lint
	if [ -n "$(LAST_RELEASE)" ]; then cd protos && ../$(BUF) breaking --against "../.git#tag=$(LAST_RELEASE),subdir=protos"; \
	else echo "no release tag: buf breaking has nothing to compare with"; fi
	$(BIN)/ruff check services tests bench tools
	$(BIN)/ruff format --check services tests bench tools

## Regenerates the Python code of the contracts into gen/ (committed).
proto: install
	rm -rf gen/yibao
	$(BIN)/python -m grpc_tools.protoc -I protos \
	  --python_out=gen --pyi_out=gen --grpc_python_out=gen $(PROTOS)
	find gen/yibao -type d -exec touch {}/__init__.py \;

## Wheels of the project and every dependency: what the image installs from, offline.
wheelhouse: install
	rm -rf wheelhouse
	$(BIN)/pip wheel --quiet --wheel-dir wheelhouse .

## The service image, from $$PYTHON_IMAGE (public python image, or a stand-in built here).
image: wheelhouse
	. deploy/base-images.sh && docker build --quiet --build-arg PYTHON_IMAGE=$$PYTHON_IMAGE -t $(IMAGE) .

## Prometheus and NATS for the compose profiles observability and events (deploy/ops/), from $$PYTHON_IMAGE
## with Debian's prometheus and nats-server packages.
ops-image:
	. deploy/base-images.sh && docker build --quiet --build-arg PYTHON_IMAGE=$$PYTHON_IMAGE -t $(OPS_IMAGE) deploy/ops

## The local cluster (docker compose): PostgreSQL, migrations, the three services, demo data;
## AT=HH:MM (Beijing) or AT=2026-12-03T10:00+08:00 runs its services on a developer clock (.up/clock);
## PROFILES="observability events" adds Prometheus and NATS (the services then publish to nats://nats:4222),
## PROFILES=federated the account shards account-gx and account-bj, the index and transfer-fed-1/-2.
up: image install $(if $(filter observability events,$(PROFILES)),ops-image)
	$(BIN)/yibao dev-clock $(if $(AT),"$(AT)") --file .up/clock
	$(BIN)/yibao dev-pki .up/tls
	$(BIN)/yibao dev-keys .up/keys
	. deploy/base-images.sh && YIBAO_IMAGE=$(IMAGE) YIBAO_OPS_IMAGE=$(OPS_IMAGE) \
	  $(if $(filter events,$(PROFILES)),YIBAO_NATS_URL=$${YIBAO_NATS_URL:-nats://nats:4222}) \
	  $(COMPOSE) -p $(PROJECT) $(foreach p,$(PROFILES),--profile $(p)) up -d
	$(COMPOSE) -p $(PROJECT) $(ALL_PROFILES) ps

down:
	$(COMPOSE) -p $(PROJECT) $(ALL_PROFILES) down -v

logs:
	$(COMPOSE) -p $(PROJECT) $(ALL_PROFILES) logs -f

clean:
	rm -rf $(VENV) .run tools/node_modules wheelhouse

# --- The compose profile `ha`: PostgreSQL under Patroni (deploy/ha/compose/) ---
PATRONI_IMAGE ?= yibao-patroni:latest
HA_PROJECT    ?= yibao-ha
HA_WHEELS     := deploy/ha/compose/wheelhouse
PATRONI_REQ   := patroni[psycopg3,etcd3]==4.0.7
.PHONY: ha-image up-ha down-ha

## The `ha` profile's node image (PostgreSQL under Patroni 4; etcd, same image) from $$POSTGRES_IMAGE and wheels
## built here: the base's Debian Python may be 3.11 (bookworm) or 3.13 (trixie), so binary wheels for both.
ha-image: install
	rm -rf $(HA_WHEELS)
	$(BIN)/pip wheel --quiet --wheel-dir $(HA_WHEELS) '$(PATRONI_REQ)'
	for v in 3.11 3.13; do $(BIN)/pip download --quiet --only-binary=:all: --implementation cp --python-version $$v \
	  --platform manylinux2014_$$(uname -m) --find-links $(HA_WHEELS) --dest $(HA_WHEELS) '$(PATRONI_REQ)' || exit 1; done
	. deploy/base-images.sh && docker build --quiet --build-arg POSTGRES_IMAGE=$$POSTGRES_IMAGE -t $(PATRONI_IMAGE) deploy/ha/compose

## The suite alone on a three-node Patroni cluster with etcd (compose project $(HA_PROJECT), ports 50061..50063),
## with make up's keys, certificates and clock (AT=… as for make up).
up-ha: image ha-image install
	$(BIN)/yibao dev-clock $(if $(AT),"$(AT)") --file .up/clock
	$(BIN)/yibao dev-pki .up/tls
	$(BIN)/yibao dev-keys .up/keys
	. deploy/base-images.sh && YIBAO_IMAGE=$(IMAGE) YIBAO_PATRONI_IMAGE=$(PATRONI_IMAGE) \
	  $(COMPOSE) -p $(HA_PROJECT) --profile ha up -d region-ha account-ha transfer-ha seed-ha
	$(COMPOSE) -p $(HA_PROJECT) --profile ha ps
	$(COMPOSE) -p $(HA_PROJECT) --profile ha exec -T pg1 patronictl list

down-ha:
	$(COMPOSE) -p $(HA_PROJECT) --profile ha down -v

## The Prometheus alert rules (deploy/prometheus/): promtool check + test rules, and each runbook a section of docs/operations.md.
.PHONY: alerts
alerts:
	sh deploy/prometheus/check.sh

## Kubernetes manifests of the federated topology (docs/kubernetes.md): deploy/k8s/render.py renders $(K8S_VALUES)
## into build/k8s and checks every manifest against Kubernetes $(K8S_VERSION)'s strict schemas (kubernetes-validate, offline).
K8S_VERSION ?= 1.30.0
K8S_VALUES  ?= deploy/k8s/values.yaml
.PHONY: k8s
k8s: install
	$(BIN)/python deploy/k8s/render.py --values $(K8S_VALUES) --out build/k8s --validate $(K8S_VERSION)
