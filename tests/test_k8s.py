"""deploy/k8s/: the Kubernetes manifests of the federated topology, rendered
from deploy/k8s/values.yaml by deploy/k8s/render.py, hold what a reviewer
looks for (docs/kubernetes.md): schema-valid, strictly, for the Kubernetes
version `make k8s` names; probes, resources and a PodDisruptionBudget for
every Deployment; an account Deployment per shard, each in the shard map
and each pointed at the national person index; no key material anywhere. Offline and in memory: a second or so."""

from __future__ import annotations

import copy
import importlib.util
import re
import shlex
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
K8S_VERSION = re.search(r"^K8S_VERSION \?= (\S+)$", (ROOT / "Makefile").read_text(), re.M).group(1)


def _render_module():
    spec = importlib.util.spec_from_file_location("k8s_render", ROOT / "deploy" / "k8s" / "render.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


render = _render_module()


@pytest.fixture(scope="module")
def values():
    return render.load_values(render.DEFAULT_VALUES)


@pytest.fixture(scope="module")
def files(values):
    return render.render(copy.deepcopy(values))


def of_kind(files, kind):
    return [doc for docs in files.values() for doc in docs if doc["kind"] == kind]


def pod(doc):
    return doc["spec"]["template"]["spec"]


def env(container) -> dict[str, dict]:
    return {e["name"]: e for e in container["env"]}


def selects(selector: dict, labels: dict) -> bool:
    return all(labels.get(k) == v for k, v in selector.items())


def secret_ref(variable: dict) -> tuple[str, str] | None:
    ref = variable.get("valueFrom", {}).get("secretKeyRef")
    return (ref["name"], ref["key"]) if ref else None


# --- valid Kubernetes, checked strictly and offline -------------------------


def test_every_manifest_is_valid_for_the_pinned_kubernetes_version_strictly(files):
    checked = render.validate(files, K8S_VERSION)
    assert len(checked) == sum(len(docs) for docs in files.values())
    assert {kind for _, kind in checked} >= {"Deployment/region", "Job/shard-map"}


def test_strict_validation_refuses_a_misspelt_field(files):
    broken = copy.deepcopy(files)
    container = pod(of_kind(broken, "Deployment")[0])["containers"][0]
    container["readinesProbe"] = container.pop("readinessProbe")
    with pytest.raises(render.ValuesError, match="readinesProbe"):
        render.validate(broken, K8S_VERSION)


def test_a_kind_the_version_does_not_have_is_refused_not_warned_about(files):
    broken = copy.deepcopy(files)
    of_kind(broken, "PodDisruptionBudget")[0]["apiVersion"] = "policy/v1beta1"  # gone since 1.25
    with pytest.raises(render.ValuesError, match="Couldn't find schema"):
        render.validate(broken, K8S_VERSION)


# --- every Deployment: probes, resources, a hardened pod, a PDB, a Service ----


def test_every_deployment_has_probes_resources_and_a_hardened_pod(files, values):
    deployments = of_kind(files, "Deployment")
    assert len(deployments) == 4 + len(values["shards"])  # region, index, transfer, gateway, shards
    for d in deployments:
        name, spec = d["metadata"]["name"], pod(d)
        assert d["spec"]["replicas"] == values["replicas"] >= 2, name
        assert spec["securityContext"]["runAsNonRoot"] is True, name
        assert spec["automountServiceAccountToken"] is False, name
        for c in spec["containers"]:
            for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
                assert probe in c, f"{name}: no {probe}"
                assert "grpc" not in c[probe], f"{name}: the kubelet's grpc probe cannot do mutual TLS"
            for kind in ("requests", "limits"):
                assert set(c["resources"][kind]) == {"cpu", "memory"}, f"{name}: {kind}"
            assert c["securityContext"]["readOnlyRootFilesystem"] is True, name
            assert c["securityContext"]["allowPrivilegeEscalation"] is False, name
            assert c["securityContext"]["capabilities"]["drop"] == ["ALL"], name
            service = env(c)["YIBAO_SERVICE"]["value"]
            if service == "gateway":
                assert c["readinessProbe"]["httpGet"]["scheme"] == "HTTPS"
            else:  # the check runs inside the pod, with the pod's certificate
                assert c["readinessProbe"]["exec"]["command"] == ["yibao", "health", service], name


def test_every_deployment_has_one_pdb_that_selects_its_pods_and_no_others(files):
    deployments = of_kind(files, "Deployment")
    budgets = of_kind(files, "PodDisruptionBudget")
    for d in deployments:
        labels = d["spec"]["template"]["metadata"]["labels"]
        assert selects(d["spec"]["selector"]["matchLabels"], labels)
        mine = [b for b in budgets if selects(b["spec"]["selector"]["matchLabels"], labels)]
        assert len(mine) == 1, f"{d['metadata']['name']}: {len(mine)} PodDisruptionBudgets"
        assert mine[0]["spec"]["minAvailable"] == 1
    for b in budgets:
        chosen = [
            d
            for d in deployments
            if selects(b["spec"]["selector"]["matchLabels"], d["spec"]["template"]["metadata"]["labels"])
        ]
        assert len(chosen) == 1, f"PodDisruptionBudget {b['metadata']['name']} selects {len(chosen)}"
    jobs = [j["spec"]["template"]["metadata"]["labels"] for j in of_kind(files, "Job")]
    for b in budgets:  # a Job's pod never counts towards a service's budget
        assert not any(selects(b["spec"]["selector"]["matchLabels"], labels) for labels in jobs)


def test_every_deployment_has_a_service_on_its_ports(files):
    services = {s["metadata"]["name"]: s for s in of_kind(files, "Service")}
    for d in of_kind(files, "Deployment"):
        name = d["metadata"]["name"]
        service = services[name]
        assert selects(service["spec"]["selector"], d["spec"]["template"]["metadata"]["labels"])
        container_ports = {p["name"]: p["containerPort"] for p in pod(d)["containers"][0]["ports"]}
        assert {p["targetPort"]: p["port"] for p in service["spec"]["ports"]} == container_ports
        if name == "gateway":
            assert container_ports == {"https": 8443}
        else:  # callers' round_robin spreads calls over every ready pod the DNS name gives
            assert service["spec"]["clusterIP"] == "None", name
            service_kind = env(pod(d)["containers"][0])["YIBAO_SERVICE"]["value"]
            assert container_ports == {
                "grpc": render.GRPC_PORT[service_kind],
                "metrics": render.METRICS_PORT[service_kind],
            }


# --- the federated topology: a shard is an account Deployment and an entry ---


def test_one_account_deployment_and_service_per_shard(files, values):
    shards = [s["name"] for s in values["shards"]]
    accounts = [
        d
        for d in of_kind(files, "Deployment")
        if d["metadata"]["labels"]["app.kubernetes.io/component"] == "account"
    ]
    assert sorted(d["metadata"]["name"] for d in accounts) == sorted(f"account-{s}" for s in shards)
    services = {s["metadata"]["name"] for s in of_kind(files, "Service")}
    for d in accounts:
        shard = d["metadata"]["name"].removeprefix("account-")
        e = env(pod(d)["containers"][0])
        assert e["YIBAO_SERVICE"]["value"] == "account"
        assert e["YIBAO_ACCOUNT_SHARD"]["value"] == shard
        assert secret_ref(e["YIBAO_ACCOUNT_DATABASE_URL"]) == (f"yibao-db-account-{shard}", "url")
        tls = next(v for v in pod(d)["volumes"] if v["name"] == "tls")
        assert tls["secret"]["secretName"] == f"yibao-tls-account-{shard}"
        assert f"account-{shard}" in services


# --- the national person index: every shard claims identities there ----------


def test_the_index_runs_as_a_service_with_its_pdb_and_its_migration(files, values):
    (index,) = files["services/index.yaml"][:1]
    assert [d["kind"] for d in files["services/index.yaml"]] == [
        "Deployment",
        "Service",
        "PodDisruptionBudget",
    ]
    assert index["metadata"]["name"] == "index" and index["spec"]["replicas"] == values["replicas"]
    c = pod(index)["containers"][0]
    e = env(c)
    assert c["args"] == ["serve"] and e["YIBAO_SERVICE"]["value"] == "index"
    assert c["readinessProbe"]["exec"]["command"] == ["yibao", "health", "index"]
    assert e["YIBAO_INDEX_LISTEN"]["value"] == "0.0.0.0:50054"
    assert e["YIBAO_INDEX_METRICS_PORT"]["value"] == "9104"
    assert secret_ref(e["YIBAO_INDEX_DATABASE_URL"]) == ("yibao-db-index", "url")
    assert c["resources"] == values["resources"]["index"]
    (service,) = [s for s in of_kind(files, "Service") if s["metadata"]["name"] == "index"]
    assert service["spec"]["clusterIP"] == "None"
    assert {p["name"]: p["port"] for p in service["spec"]["ports"]} == {"grpc": 50054, "metrics": 9104}
    (budget,) = [b for b in of_kind(files, "PodDisruptionBudget") if b["metadata"]["name"] == "index"]
    assert budget["spec"]["minAvailable"] == 1
    (job,) = files["migrate/index.yaml"]
    assert job["metadata"]["name"] == "migrate-index"
    assert pod(job)["containers"][0]["args"] == ["migrate", "index"]


def test_every_account_shard_points_at_the_index_service(files, values):
    """A shard (YIBAO_ACCOUNT_SHARD) claims each new person's identity in the index before
    keeping the person (docs/index.md): without the target it could not register anyone."""
    services = {s["metadata"]["name"]: s for s in of_kind(files, "Service")}
    shards = 0
    for d in of_kind(files, "Deployment"):
        e = env(pod(d)["containers"][0])
        if "YIBAO_ACCOUNT_SHARD" not in e:
            continue
        shards += 1
        host, port = e["YIBAO_INDEX_TARGET"]["value"].split(":")
        assert host == "index", d["metadata"]["name"]  # the index's Service, in the namespace
        assert {"name": "grpc", "port": int(port), "targetPort": "grpc"} in services[host]["spec"]["ports"]
    assert shards == len(values["shards"])


def test_the_transfer_service_routes_by_the_shard_map_and_finds_persons_in_the_index(files):
    """Without YIBAO_ACCOUNT_SHARDED it would send every account call to one
    YIBAO_ACCOUNT_TARGET, which these manifests leave unset (docs/sharding.md)."""
    (transfer,) = files["services/transfer.yaml"][:1]
    e = env(pod(transfer)["containers"][0])
    assert e["YIBAO_ACCOUNT_SHARDED"]["value"] == "true"
    assert e["YIBAO_INDEX_TARGET"]["value"] == "index:50054"


def test_the_index_never_holds_the_id_hash_key(files):
    """It keeps the hashes only (docs/index.md); production wants the three keys set in every
    process, so its pods get a stand-in Secret of their own, never yibao-keys."""
    index_pods = files["services/index.yaml"][:1] + files["migrate/index.yaml"]
    for doc in index_pods:
        e = env(pod(doc)["containers"][0])
        for name in render.KEYS:
            assert secret_ref(e[name]) == ("yibao-keys-index", "unused"), (doc["metadata"]["name"], name)
    others = [d for kind in ("Deployment", "Job") for d in of_kind(files, kind) if d not in index_pods]
    for doc in others:  # and only the index's pods get the stand-in
        refs = {secret_ref(e) for c in pod(doc)["containers"] for e in c["env"]}
        assert ("yibao-keys-index", "unused") not in refs, doc["metadata"]["name"]


def test_the_shard_job_puts_every_shard_with_its_service_as_target(files, values):
    (job,) = [j for j in of_kind(files, "Job") if j["metadata"]["name"] == "shard-map"]
    container = pod(job)["containers"][0]
    assert container["command"] == ["/bin/sh", "-c"]
    puts = [shlex.split(line) for line in container["args"][0].splitlines() if line.startswith("yibao ")]
    expected = [
        ["yibao", "shard", "put", s["name"], "--target", f"account-{s['name']}:50052"]
        + [a for code in s["provinces"] for a in ("--province", code)]
        for s in values["shards"]
    ]
    assert puts == expected
    services = {s["metadata"]["name"]: s for s in of_kind(files, "Service")}
    for put in puts:  # each target is a Service of this namespace, on its gRPC port
        host, port = put[5].split(":")
        assert {"name": "grpc", "port": int(port), "targetPort": "grpc"} in services[host]["spec"]["ports"]
    e = env(container)
    assert secret_ref(e["YIBAO_TOKEN"]) == ("yibao-operator-token", "token")
    assert e["YIBAO_REGION_TARGET"]["value"] == "region:50051"


def test_every_command_the_manifests_run_is_one_the_cli_takes(files, monkeypatch):
    import typer

    from services.cli.main import app

    cli = typer.main.get_command(app)

    def parses(argv: list[str]) -> None:  # the CLI's own parsing (typer's click); nothing is run
        name, command, args = "yibao", cli, argv
        while hasattr(command, "resolve_command"):  # a group: find the subcommand
            name, command, args = command.resolve_command(command.context_class(command), args)
        command.make_context(name, args)  # an unknown option or a missing argument raises

    commands = []  # (argv, the container's plain settings: `serve` takes its service from YIBAO_SERVICE)
    for doc in of_kind(files, "Deployment") + of_kind(files, "Job"):
        for c in pod(doc)["containers"]:
            plain = {e["name"]: e["value"] for e in c["env"] if "value" in e}
            if c.get("command"):  # the shard Job's script: one yibao command a line
                lines = c["args"][0].splitlines()
                commands += [(shlex.split(line)[1:], plain) for line in lines if line.startswith("yibao ")]
            else:  # the image's entrypoint is yibao
                commands.append((c["args"], plain))
            if probe := c.get("readinessProbe", {}).get("exec", {}).get("command"):
                commands.append((probe[1:], plain))
    argvs = [argv for argv, _ in commands]
    assert ["shard", "put", "gx", "--target", "account-gx:50052", "--province", "450000"] in argvs
    assert ["health", "account"] in argvs and ["migrate", "account"] in argvs
    assert ["serve"] in argvs and ["health", "index"] in argvs and ["migrate", "index"] in argvs
    for argv, plain in commands:
        monkeypatch.delenv("YIBAO_SERVICE", raising=False)
        for name, value in plain.items():
            monkeypatch.setenv(name, value)
        parses(argv)
    with pytest.raises(Exception, match="No such option"):  # the check can fail
        parses(["shard", "put", "gx", "--targets", "account-gx:50052"])


def test_a_migration_job_per_database(files, values):
    migrations = {}
    for job in of_kind(files, "Job"):
        c = pod(job)["containers"][0]
        if c["args"][0] == "migrate":
            (service,) = c["args"][1:]
            url = env(c)[f"YIBAO_{service.upper()}_DATABASE_URL"]
            migrations[job["metadata"]["name"]] = (service, secret_ref(url)[0])
    expected = {
        "migrate-region": ("region", "yibao-db-region"),
        "migrate-transfer": ("transfer", "yibao-db-transfer"),
        "migrate-index": ("index", "yibao-db-index"),
    } | {
        f"migrate-account-{s['name']}": ("account", f"yibao-db-account-{s['name']}") for s in values["shards"]
    }
    assert migrations == expected


def test_adding_a_shard_changes_nothing_that_runs_but_the_shard_map(files, values):
    more = copy.deepcopy(values)
    more["shards"].append({"name": "yn", "provinces": ["530000"]})
    render.check_values(more)
    grown = render.render(more)
    assert set(grown) - set(files) == {"services/account-yn.yaml", "migrate/account-yn.yaml"}
    changed = {name for name in files if files[name] != grown[name]}
    assert changed == {"shard-map.yaml"}  # region, transfer, gateway and the other shards: untouched
    assert (
        "yibao shard put yn --target account-yn:50052 --province 530000"
        in (pod(grown["shard-map.yaml"][0])["containers"][0]["args"][0])
    )


# --- settings: production, and every secret from a Secret --------------------


def test_every_process_runs_in_production_with_secrets_only_by_reference(files):
    for kind in ("Deployment", "Job"):
        for doc in of_kind(files, kind):
            mounted = {m["mountPath"] for c in pod(doc)["containers"] for m in c["volumeMounts"]}
            for c in pod(doc)["containers"]:
                e = env(c)
                where = f"{kind} {doc['metadata']['name']}"
                assert e["YIBAO_ENVIRONMENT"]["value"] == "production", where
                for name in (
                    "YIBAO_TLS_PLAINTEXT",
                    "YIBAO_CLOCK_FILE",
                    "YIBAO_CRASH_AFTER",
                    "YIBAO_JWT_KEYS_DIR",
                ):
                    assert name not in e, f"{where}: {name}"
                for name, variable in e.items():
                    if name.endswith(("_DATABASE_URL", "_KEY", "_TOKEN")):
                        assert secret_ref(variable), f"{where}: {name} is not from a Secret"
                    if name.endswith("_FILE"):  # a file of a mounted Secret
                        assert str(Path(variable["value"]).parent) in mounted, f"{where}: {name}"
                    assert not re.search(r"://[^/@\s]+:[^/@\s]+@", variable.get("value", "")), (
                        f"{where}: {name} holds a password"
                    )


def test_no_secret_is_rendered_and_no_key_material_is_committed(files):
    assert not of_kind(files, "Secret")
    for path in sorted((ROOT / "deploy" / "k8s").rglob("*")):
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            assert "PRIVATE KEY" not in text, path
            assert "BEGIN CERTIFICATE" not in text, path
            assert not re.search(r"^kind:\s*Secret\b", text, re.M), path
            assert not re.search(r"postgres(ql)?://[^:\s]+:[^@\s]+@", text), f"{path}: a password in a URL"
            assert not re.search(r"\b[0-9a-fA-F]{64}\b", text), f"{path}: something like an SM2 key"


def test_docs_tell_how_to_create_every_secret_the_manifests_read(files, values):
    doc = (ROOT / "docs" / "kubernetes.md").read_text(encoding="utf-8")
    shards = [s["name"] for s in values["shards"]]
    for secret, keys in render.secrets(files).items():
        general = re.sub(rf"-({'|'.join(shards)})$", "-<shard>", secret)
        assert secret in doc or general in doc, f"docs/kubernetes.md does not name the Secret {secret}"
        for key in keys:
            assert key.removesuffix(" (optional)") in doc, f"docs/kubernetes.md: {secret} key {key}"


def test_docs_start_the_index_before_the_account_shards():
    """A shard cannot register anyone without the index: the first rollout migrates it and
    waits for it before it applies the account shards (build/k8s/services/ holds them)."""
    doc = (ROOT / "docs" / "kubernetes.md").read_text(encoding="utf-8")
    steps = doc.split("\n## Applying\n", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0].splitlines()

    def first(line: str) -> int:
        return next(i for i, step in enumerate(steps) if step.startswith(line))

    migrated = first("kubectl -n yibao wait --for=condition=complete --timeout=10m job -l")
    index_up = first("kubectl -n yibao rollout status deployment/index ")
    assert migrated < first("kubectl apply -f build/k8s/services/index.yaml") < index_up
    assert index_up < steps.index("kubectl apply -f build/k8s/services/")  # the shards among them


# --- the values file --------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "refusal"),
    [
        (lambda v: v["shards"].append({"name": "gx2", "provinces": ["450000"]}), "in shards 'gx' and 'gx2'"),
        (lambda v: v["shards"].append({"name": "gx", "provinces": ["530000"]}), "listed twice"),
        (lambda v: v["shards"].append({"name": "GX", "provinces": ["530000"]}), "lower-case"),
        (lambda v: v["shards"].append({"name": "yn", "provinces": ["530100"]}), "not a province code"),
        (lambda v: v["shards"].append({"name": "yn", "provinces": []}), "no provinces"),
        (lambda v: v.update(shards=[]), "at least one"),
        (lambda v: v.update(replicas=1), "2 or more"),
        (lambda v: v.update(image="yibao-wallet:latest"), "not :latest"),
        (lambda v: v.update(image="yibao-wallet"), "tag or digest"),
        (lambda v: v["resources"]["account"]["limits"].pop("memory"), "resources.account.limits"),
        (lambda v: v["resources"].pop("index"), "resources.index.requests"),
        (lambda v: v.update(env={"YIBAO_INDEX_TARGET": "x:1"}), "env: YIBAO_INDEX_TARGET"),
        (lambda v: v.update(env={"YIBAO_ENVIRONMENT": "development"}), "env: YIBAO_ENVIRONMENT"),
        (lambda v: v.update(env={"YIBAO_TLS_PLAINTEXT": "true"}), "env: YIBAO_TLS_PLAINTEXT"),
        (lambda v: v.update(env={"YIBAO_PAGE_TOKEN_KEY": "k"}), "env: YIBAO_PAGE_TOKEN_KEY"),
        (lambda v: v.update(env={"YIBAO_ACCOUNT_DATABASE_URL": "x"}), "env: YIBAO_ACCOUNT_DATABASE_URL"),
    ],
)
def test_values_that_cannot_give_a_correct_topology_are_refused(values, change, refusal):
    bad = copy.deepcopy(values)
    change(bad)
    with pytest.raises(render.ValuesError, match=re.escape(refusal)):
        render.check_values(bad)


def test_more_settings_from_the_values_reach_every_process(values):
    more = copy.deepcopy(values)
    more["env"] = {"YIBAO_NATS_URL": "nats://nats.messaging:4222", "YIBAO_ACCOUNT_TARGET": "x:1"}
    render.check_values(more)
    grown = render.render(more)
    for kind in ("Deployment", "Job"):
        for doc in of_kind(grown, kind):
            assert env(pod(doc)["containers"][0])["YIBAO_NATS_URL"]["value"] == "nats://nats.messaging:4222"


def test_the_command_writes_what_it_validated_and_drops_a_removed_shard(tmp_path, values, capsys):
    out = tmp_path / "k8s"
    (out / "services").mkdir(parents=True)
    (out / "services" / "account-old.yaml").write_text("kind: Deployment\n")
    assert render.main(["--out", str(out), "--validate", K8S_VERSION]) == 0
    printed = capsys.readouterr().out
    assert f"valid against Kubernetes {K8S_VERSION}" in printed
    assert "Deployment/account-gx" in printed
    written = sorted(str(p.relative_to(out)) for p in out.rglob("*.yaml"))
    assert "services/account-old.yaml" not in written
    assert written == sorted(render.render(copy.deepcopy(values)))
