#!/usr/bin/env python3
"""Kubernetes manifests of the federated topology, rendered from a values file
(docs/kubernetes.md). Plain Python and PyYAML: it runs wherever the project's
virtualenv does, offline, and loops over the shards of the values file.

    python deploy/k8s/render.py                              # deploy/k8s/values.yaml -> build/k8s
    python deploy/k8s/render.py --values V --out DIR --validate 1.30.0
    python deploy/k8s/render.py --values V --secrets         # the Secrets the manifests name, and their keys

What it writes, a directory per step of a rollout (docs/kubernetes.md, *Applying*):

    namespace.yaml            the namespace, Pod Security "restricted" enforced
    migrate/<database>.yaml   a Job `migrate-<database>` per database: region, transfer, index,
                              account-<shard>
    seed.yaml                 the Job seed-region: the national division list (idempotent)
    services/<name>.yaml      Deployment, Service and PodDisruptionBudget of region, index (the
                              national person index), transfer, gateway and account-<shard> for
                              every shard, each shard pointed at the index (YIBAO_INDEX_TARGET)
    shard-map.yaml            the Job shard-map: `yibao shard put` for every shard

It renders no Secret: the manifests name Secrets the operator creates.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_VALUES = ROOT / "deploy" / "k8s" / "values.yaml"

GRPC_PORT = {"region": 50051, "account": 50052, "transfer": 50053, "index": 50054}
METRICS_PORT = {"region": 9101, "account": 9102, "transfer": 9103, "index": 9104}
GATEWAY_PORT = 8443
UID = 10001  # the image's user `yibao` (Dockerfile)

# Where each Secret is mounted, and the settings that point there.
TLS_DIR, JWKS_DIR, JWT_DIR, SM2_DIR = "/etc/yibao/tls", "/etc/yibao/jwks", "/etc/yibao/jwt", "/etc/yibao/sm2"
# Secret yibao-keys: the settings production refuses to run without, by key.
KEYS_SECRET = "yibao-keys"
KEYS = {
    "YIBAO_ACCOUNT_ID_HASH_KEY": "id-hash-key",
    "YIBAO_FACE_TICKET_KEY": "face-ticket-key",
    "YIBAO_PAGE_TOKEN_KEY": "page-token-key",
}
# The national person index holds ID-number hashes only and must not hold the key they are made
# with (docs/index.md); it reads none of the three keys, but production refuses any process
# without them. Its pods get a stand-in of their own instead, one random value in every setting.
INDEX_KEYS_SECRET = "yibao-keys-index"
INDEX_KEYS = dict.fromkeys(KEYS, "unused")
NAME = re.compile(r"^[a-z]([a-z0-9-]{0,18}[a-z0-9])?$")  # a shard's name: part of DNS names and labels
PROVINCE = re.compile(r"^[1-9][0-9]0000$")  # a province's 6-digit division code
# Not for the values' `env`: what the manifests set, what only a Secret may hold, development hooks.
NOT_IN_ENV = re.compile(
    r"YIBAO_(ENVIRONMENT|SERVICE|ACCOUNT_SHARD|TOKEN|TLS_\w+|JWT_(JWKS_FILE|SIGNING_KEY\w*|VERIFY_KEY|KEYS_DIR)"
    r"|CLOCK_FILE|CRASH_AFTER|GATEWAY_(LISTEN|SM2_KEY_FILE)|(REGION|TRANSFER|INDEX)_TARGET"
    r"|\w+_(DATABASE_URL|LISTEN|METRICS_PORT|KEY))"
)


class ValuesError(ValueError):
    """A values file that cannot give a correct topology."""


# --- the values file -------------------------------------------------------


def load_values(path: Path) -> dict[str, Any]:
    values = yaml.safe_load(path.read_text(encoding="utf-8"))
    check_values(values)
    return values


def check_values(v: dict[str, Any]) -> None:
    if not re.fullmatch(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?", str(v.get("namespace", ""))):
        raise ValuesError("namespace: a DNS label")
    image = str(v.get("image", ""))
    tagged = re.search(r"(:[\w.-]+|@sha256:[0-9a-f]{64})$", image.rsplit("/", 1)[-1])
    if not tagged or image.endswith(":latest"):
        raise ValuesError(f"image {image!r}: give a tag or digest, not :latest")
    if not isinstance(v.get("replicas"), int) or v["replicas"] < 2:
        raise ValuesError("replicas: 2 or more (each PodDisruptionBudget keeps 1 available)")
    for name in v.get("env") or {}:
        if NOT_IN_ENV.fullmatch(str(name)):
            raise ValuesError(f"env: {name} is set by the manifests or from a Secret, not here")
    for part in ("region", "index", "account", "transfer", "gateway", "job"):
        for kind in ("requests", "limits"):
            if set(v.get("resources", {}).get(part, {}).get(kind, {})) != {"cpu", "memory"}:
                raise ValuesError(f"resources.{part}.{kind}: cpu and memory")
    shards = v.get("shards") or []
    if not shards:
        raise ValuesError("shards: at least one")
    owner: dict[str, str] = {}
    for shard in shards:
        name = str(shard.get("name", ""))
        if not NAME.fullmatch(name):
            raise ValuesError(f"shard {name!r}: lower-case letters, digits and '-', at most 20")
        if [s["name"] for s in shards].count(name) > 1:
            raise ValuesError(f"shard {name!r} is listed twice")
        shard["provinces"] = [str(p) for p in shard.get("provinces") or []]
        if not shard["provinces"]:
            raise ValuesError(f"shard {name!r}: no provinces")
        for province in shard["provinces"]:
            if not PROVINCE.fullmatch(province):
                raise ValuesError(f"shard {name!r}: {province!r} is not a province code (like 450000)")
            if province in owner:
                raise ValuesError(f"province {province} is in shards {owner[province]!r} and {name!r}")
            owner[province] = name


# --- building blocks -------------------------------------------------------


def labels(instance: str, component: str, shard: str | None = None) -> dict[str, str]:
    out = {
        "app.kubernetes.io/name": "yibao-wallet",
        "app.kubernetes.io/instance": instance,
        "app.kubernetes.io/component": component,
        "app.kubernetes.io/part-of": "yibao-wallet",
    }
    if shard:
        out["yibao-wallet/shard"] = shard
    return out


def selector(instance: str) -> dict[str, str]:
    return {"app.kubernetes.io/name": "yibao-wallet", "app.kubernetes.io/instance": instance}


def meta(v: dict, name: str, lab: dict[str, str]) -> dict:
    return {"name": name, "namespace": v["namespace"], "labels": lab}


def secret_env(name: str, secret: str, key: str, optional: bool = False) -> dict:
    ref = {"name": secret, "key": key, **({"optional": True} if optional else {})}
    return {"name": name, "valueFrom": {"secretKeyRef": ref}}


def secret_volume(name: str, secret: str, items: dict[str, str]) -> dict:
    return {
        "name": name,
        "secret": {
            "secretName": secret,
            "defaultMode": 0o440,  # read by the group fsGroup gives the pod's user
            "items": [{"key": key, "path": path} for key, path in items.items()],
        },
    }


class Process:
    """What every `yibao` process of the suite is given, a service or a Job:
    production refuses to start any command without TLS files, published
    token keys and its secret keys, so a Job carries them as its service does."""

    def __init__(
        self,
        v: dict,
        tls: str,
        database: tuple[str, str] | None = None,
        keys: tuple[str, dict[str, str]] = (KEYS_SECRET, KEYS),  # (Secret, key of each setting)
    ) -> None:
        self.env: list[dict] = [
            {"name": "YIBAO_ENVIRONMENT", "value": "production"},
            {"name": "YIBAO_TLS_CA_FILE", "value": f"{TLS_DIR}/ca.crt"},
            {"name": "YIBAO_TLS_CERT_FILE", "value": f"{TLS_DIR}/tls.crt"},
            {"name": "YIBAO_TLS_KEY_FILE", "value": f"{TLS_DIR}/tls.key"},
            {"name": "YIBAO_JWT_JWKS_FILE", "value": f"{JWKS_DIR}/jwks.json"},
            *(secret_env(name, keys[0], key) for name, key in keys[1].items()),
            {"name": "YIBAO_REGION_TARGET", "value": f"region:{GRPC_PORT['region']}"},
            {"name": "YIBAO_TRANSFER_TARGET", "value": f"transfer:{GRPC_PORT['transfer']}"},
        ]
        if database:  # (setting, Secret)
            self.env.append(secret_env(database[0], database[1], "url"))
        self.volumes = [
            secret_volume("tls", tls, {"ca.crt": "ca.crt", "tls.crt": "tls.crt", "tls.key": "tls.key"}),
            secret_volume("jwks", "yibao-jwks", {"jwks.json": "jwks.json"}),
            {"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}},
        ]
        self.mounts = [
            {"name": "tls", "mountPath": TLS_DIR, "readOnly": True},
            {"name": "jwks", "mountPath": JWKS_DIR, "readOnly": True},
            {"name": "tmp", "mountPath": "/tmp"},
        ]
        self.extra = [{"name": str(k), "value": str(val)} for k, val in (v.get("env") or {}).items()]

    def signs_as(self, secret: str, kid: str) -> Process:
        """The private key this process signs its tokens with; the kid is the file's name."""
        self.env.append({"name": "YIBAO_JWT_SIGNING_KEY_FILE", "value": f"{JWT_DIR}/{kid}.pem"})
        self.volumes.append(secret_volume("jwt", secret, {"key.pem": f"{kid}.pem"}))
        self.mounts.append({"name": "jwt", "mountPath": JWT_DIR, "readOnly": True})
        return self

    def reads_standby(self, service: str, secret: str) -> Process:
        """A standby for the reads that may lag, when the database's Secret has `read-url`."""
        self.env.append(secret_env(f"YIBAO_{service.upper()}_READ_DATABASE_URL", secret, "read-url", True))
        return self

    def set(self, **settings: str) -> Process:
        self.env += [{"name": name, "value": value} for name, value in settings.items()]
        return self

    def all_env(self) -> list[dict]:
        return self.env + self.extra


def container(v: dict, name: str, p: Process, resources: dict, **fields: Any) -> dict:
    return {
        "name": name,
        "image": v["image"],
        "imagePullPolicy": v["imagePullPolicy"],
        **fields,
        "env": p.all_env(),
        "volumeMounts": p.mounts,
        "resources": resources,
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
        },
    }


def pod_spec(containers: list[dict], p: Process, restart: str, **fields: Any) -> dict:
    return {
        "automountServiceAccountToken": False,  # nothing here talks to the Kubernetes API
        "restartPolicy": restart,
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": UID,
            "runAsGroup": UID,
            "fsGroup": UID,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        **fields,
        "containers": containers,
        "volumes": p.volumes,
    }


def exec_probes(service: str) -> dict:
    """`yibao health <service>`: a grpc.health.v1 Check on 127.0.0.1 with the pod's own
    certificate. The services accept mutual TLS only, and the kubelet's native `grpc:`
    probe speaks plaintext without a client certificate; there is no plaintext port."""
    check = {"exec": {"command": ["yibao", "health", service]}, "timeoutSeconds": 8}
    return {
        "startupProbe": {**check, "periodSeconds": 5, "failureThreshold": 30},
        "readinessProbe": {**check, "periodSeconds": 10, "failureThreshold": 3},
        "livenessProbe": {**check, "periodSeconds": 30, "failureThreshold": 3},
    }


def https_probes() -> dict:
    """The gateway's GET /healthz over HTTPS: it asks for no client certificate, and the
    kubelet does not check the server's, so the kubelet's own httpGet probe works."""
    check = {"httpGet": {"path": "/healthz", "port": "https", "scheme": "HTTPS"}, "timeoutSeconds": 5}
    return {
        "startupProbe": {**check, "periodSeconds": 5, "failureThreshold": 30},
        "readinessProbe": {**check, "periodSeconds": 10, "failureThreshold": 3},
        "livenessProbe": {**check, "periodSeconds": 30, "failureThreshold": 3},
    }


def workload(
    v: dict, name: str, component: str, p: Process, ports: list[dict], probes: dict, shard: str | None = None
) -> list[dict]:
    """A Deployment, its Service and its PodDisruptionBudget."""
    lab = labels(name, component, shard)
    annotations = {}
    metrics = next((port["containerPort"] for port in ports if port["name"] == "metrics"), None)
    if metrics:
        annotations = {"prometheus.io/scrape": "true", "prometheus.io/port": str(metrics)}
    spread = {
        "maxSkew": 1,
        "topologyKey": "kubernetes.io/hostname",
        "whenUnsatisfiable": "ScheduleAnyway",
        "labelSelector": {"matchLabels": selector(name)},
    }
    main = container(v, component, p, v["resources"][component], args=["serve"], ports=ports, **probes)
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": meta(v, name, lab),
        "spec": {
            "replicas": v["replicas"],
            "selector": {"matchLabels": selector(name)},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}},
            "template": {
                "metadata": {"labels": lab, **({"annotations": annotations} if annotations else {})},
                "spec": pod_spec(
                    [main],
                    p,
                    "Always",
                    terminationGracePeriodSeconds=30,  # the drain (YIBAO_GRACE_SECONDS, 10 s) and some
                    topologySpreadConstraints=[spread],
                ),
            },
        },
    }
    # gRPC keeps one HTTP/2 connection per address: a headless Service gives callers every
    # ready pod's address (DNS), over which their round_robin policy spreads the calls.
    headless = component != "gateway"
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": meta(v, name, lab),
        "spec": {
            **({"clusterIP": "None"} if headless else {"type": v["gatewayServiceType"]}),
            "selector": selector(name),
            "ports": [
                {"name": q["name"], "port": q["containerPort"], "targetPort": q["name"]} for q in ports
            ],
        },
    }
    budget = {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": meta(v, name, lab),
        "spec": {"minAvailable": 1, "selector": {"matchLabels": selector(name)}},
    }
    return [deployment, service, budget]


def service_workload(v: dict, service: str, name: str, p: Process, shard: str | None = None) -> list[dict]:
    ports = [
        {"name": "grpc", "containerPort": GRPC_PORT[service], "protocol": "TCP"},
        {"name": "metrics", "containerPort": METRICS_PORT[service], "protocol": "TCP"},
    ]
    p.set(
        YIBAO_SERVICE=service,
        **{
            f"YIBAO_{service.upper()}_LISTEN": f"0.0.0.0:{GRPC_PORT[service]}",
            f"YIBAO_{service.upper()}_METRICS_PORT": str(METRICS_PORT[service]),
        },
    )
    return workload(v, name, service, p, ports, exec_probes(service), shard)


def job(v: dict, name: str, step: str, p: Process, shard: str | None = None, **fields: Any) -> dict:
    lab = labels(name, step, shard)
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": meta(v, name, lab),
        "spec": {
            "backoffLimit": 3,
            "activeDeadlineSeconds": 900,
            "ttlSecondsAfterFinished": 86400,
            "template": {
                "metadata": {"labels": lab},
                "spec": pod_spec([container(v, step, p, v["resources"]["job"], **fields)], p, "Never"),
            },
        },
    }


# --- the topology ----------------------------------------------------------


def database(name: str) -> tuple[str, str]:
    """The setting and the Secret of a database: region, transfer, index or account-<shard>."""
    service = name.split("-", 1)[0]
    return f"YIBAO_{service.upper()}_DATABASE_URL", f"yibao-db-{name}"


def shard_put(shard: dict) -> str:
    provinces = " ".join(f"--province {code}" for code in shard["provinces"])
    target = f"account-{shard['name']}:{GRPC_PORT['account']}"
    return f"yibao shard put {shard['name']} --target {target} {provinces}"


def render(v: dict) -> dict[str, list[dict]]:
    """Every manifest, by the file it goes to (relative to the output directory)."""
    jwt = v["jwt"]
    files: dict[str, list[dict]] = {
        "namespace.yaml": [
            {
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": {
                    "name": v["namespace"],
                    "labels": {
                        "app.kubernetes.io/part-of": "yibao-wallet",
                        "pod-security.kubernetes.io/enforce": "restricted",
                    },
                },
            }
        ]
    }
    databases = ["region", "transfer", "index"] + [f"account-{s['name']}" for s in v["shards"]]
    for db in databases:
        shard = db.split("-", 1)[1] if db.startswith("account-") else None
        keys = (INDEX_KEYS_SECRET, INDEX_KEYS) if db == "index" else (KEYS_SECRET, KEYS)
        p = Process(v, f"yibao-tls-{db}", database(db), keys)
        files[f"migrate/{db}.yaml"] = [
            job(v, f"migrate-{db}", "migrate", p, shard, args=["migrate", db.split("-", 1)[0]])
        ]
    files["seed.yaml"] = [
        job(v, "seed-region", "seed", Process(v, "yibao-tls-region", database("region")), args=["seed"])
    ]

    service_key = ("yibao-jwt-service", jwt["serviceKid"])
    files["services/region.yaml"] = service_workload(
        v, "region", "region", Process(v, "yibao-tls-region", database("region")).signs_as(*service_key)
    )
    # The national person index (docs/index.md): it calls no other service, so it signs nothing,
    # and it never sees the real keys (INDEX_KEYS above).
    files["services/index.yaml"] = service_workload(
        v, "index", "index", Process(v, "yibao-tls-index", database("index"), (INDEX_KEYS_SECRET, INDEX_KEYS))
    )
    for shard in v["shards"]:
        name = f"account-{shard['name']}"
        p = Process(v, f"yibao-tls-{name}", database(name)).signs_as(*service_key)
        p.reads_standby("account", f"yibao-db-{name}").set(
            YIBAO_ACCOUNT_SHARD=shard["name"],
            # a shard claims each new person's identity in the index before keeping the person
            YIBAO_INDEX_TARGET=f"index:{GRPC_PORT['index']}",
        )
        files[f"services/{name}.yaml"] = service_workload(v, "account", name, p, shard["name"])
    files["services/transfer.yaml"] = service_workload(
        v,
        "transfer",
        "transfer",
        Process(v, "yibao-tls-transfer", database("transfer"))
        .signs_as(*service_key)
        .reads_standby("transfer", "yibao-db-transfer")
        # every account call routed by the shard map, persons found in the index (docs/sharding.md)
        .set(YIBAO_ACCOUNT_SHARDED="true", YIBAO_INDEX_TARGET=f"index:{GRPC_PORT['index']}"),
    )
    gateway = Process(v, "yibao-tls-gateway").signs_as("yibao-jwt-gateway", jwt["gatewayKid"])
    gateway.set(
        YIBAO_SERVICE="gateway",
        YIBAO_GATEWAY_LISTEN=f"0.0.0.0:{GATEWAY_PORT}",
        YIBAO_GATEWAY_SM2_KEY_FILE=f"{SM2_DIR}/sm2.hex",
    )
    gateway.volumes.append(secret_volume("sm2", "yibao-gateway-sm2", {"sm2.hex": "sm2.hex"}))
    gateway.mounts.append({"name": "sm2", "mountPath": SM2_DIR, "readOnly": True})
    files["services/gateway.yaml"] = workload(
        v,
        "gateway",
        "gateway",
        gateway,
        [{"name": "https", "containerPort": GATEWAY_PORT, "protocol": "TCP"}],
        https_probes(),
    )

    # The shard map, in the region service: an administrator's call, with a token the
    # operator mints for it (Secret yibao-operator-token) and the operators' client certificate.
    operator = Process(v, "yibao-tls-ops")
    operator.env.append(secret_env("YIBAO_TOKEN", "yibao-operator-token", "token"))
    script = "\n".join(["set -eu", *(shard_put(s) for s in v["shards"])]) + "\n"
    files["shard-map.yaml"] = [
        job(v, "shard-map", "shard-map", operator, command=["/bin/sh", "-c"], args=[script])
    ]
    return files


# --- output ----------------------------------------------------------------


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:  # shared dicts written out in full, no &anchors
        return True


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _text)


def dump(docs: list[dict], values_path: Path) -> str:
    try:
        source = values_path.resolve().relative_to(ROOT)
    except ValueError:
        source = values_path
    header = f"# Rendered by deploy/k8s/render.py from {source}: edit that file, not this one.\n"
    body = "---\n".join(yaml.dump(d, Dumper=_Dumper, sort_keys=False, allow_unicode=True) for d in docs)
    return header + "---\n" + body


def write(files: dict[str, list[dict]], out: Path, values_path: Path) -> None:
    for old in sorted(out.rglob("*.yaml")) if out.exists() else []:
        old.unlink()  # a shard taken out of the values leaves no stale file
    for rel, docs in files.items():
        target = out / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(dump(docs, values_path), encoding="utf-8")


def secrets(files: dict[str, list[dict]]) -> dict[str, set[str]]:
    """Every Secret the manifests name, with the keys they read from it."""
    found: dict[str, set[str]] = {}
    for docs in files.values():
        for doc in docs:
            pod = doc["spec"]["template"]["spec"] if doc["kind"] in ("Deployment", "Job") else None
            if pod is None:
                continue
            for volume in pod["volumes"]:
                if "secret" in volume:
                    keys = {item["key"] for item in volume["secret"]["items"]}
                    found.setdefault(volume["secret"]["secretName"], set()).update(keys)
            for c in pod["containers"]:
                for e in c["env"]:
                    if ref := e.get("valueFrom", {}).get("secretKeyRef"):
                        key = ref["key"] + (" (optional)" if ref.get("optional") else "")
                        found.setdefault(ref["name"], set()).add(key)
    return found


def validate(files: dict[str, list[dict]], version: str) -> list[tuple[str, str]]:
    """Every manifest against Kubernetes `version`'s strict schemas (no unknown field),
    bundled in kubernetes-validate: nothing is fetched. Raises on the first failure."""
    import kubernetes_validate

    checked = []
    for rel, docs in files.items():
        for doc in docs:
            what = f"{doc['kind']}/{doc['metadata']['name']}"
            try:
                kubernetes_validate.validate(doc, version, strict=True)
            except kubernetes_validate.ValidationError as error:
                path = ".".join(str(p) for p in error.path)
                raise ValuesError(
                    f"{rel}: {what} is not valid for Kubernetes {version}: {path}: {error.message}"
                ) from None
            except kubernetes_validate.SchemaNotFoundError as error:  # the CLI only warns
                raise ValuesError(f"{rel}: {what}: {error.message}") from None
            checked.append((rel, what))
    return checked


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--values", type=Path, default=DEFAULT_VALUES)
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "k8s")
    parser.add_argument("--validate", metavar="K8S_VERSION", help="check against this version's schemas")
    parser.add_argument("--secrets", action="store_true", help="list the Secrets named, write nothing")
    args = parser.parse_args(argv)
    try:
        values = load_values(args.values)
        files = render(values)
        if args.secrets:
            for name, keys in sorted(secrets(files).items()):
                print(f"{name}: {', '.join(sorted(keys))}")
            return 0
        write(files, args.out, args.values)
        count = sum(len(docs) for docs in files.values())
        print(f"rendered {count} manifests ({len(values['shards'])} shards) into {args.out}")
        if args.validate:
            import kubernetes_validate

            for rel, what in validate(files, args.validate):
                print(f"  valid  {rel:28} {what}")
            print(
                f"{count} manifests valid against Kubernetes {args.validate} "
                f"(strict: no unknown field; kubernetes-validate {kubernetes_validate.__version__}, offline)"
            )
    except ValuesError as error:
        print(f"render.py: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
