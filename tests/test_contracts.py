"""The protobuf contracts: buf lint (STANDARD) passes and the committed
generated code is what `make proto` produces."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BUF = ROOT / "tools" / "node_modules" / ".bin" / "buf"


def test_buf_lint_standard_passes():
    assert BUF.exists(), "buf is missing: `make test` installs it (npm, tools/package.json)"
    result = subprocess.run([str(BUF), "lint"], cwd=ROOT / "protos", capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_generated_code_is_fresh(tmp_path):
    protos = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "protos" / "yibao").rglob("*.proto"))
    subprocess.run(
        [
            sys.executable,
            "-m",
            "grpc_tools.protoc",
            "-I",
            "protos",
            f"--python_out={tmp_path}",
            f"--pyi_out={tmp_path}",
            f"--grpc_python_out={tmp_path}",
            *protos,
        ],
        cwd=ROOT,
        check=True,
    )
    for directory in [p for p in (tmp_path / "yibao").rglob("*") if p.is_dir()] + [tmp_path / "yibao"]:
        (directory / "__init__.py").touch()
    committed, fresh = ROOT / "gen" / "yibao", tmp_path / "yibao"

    def files(root: Path) -> dict[str, bytes]:
        return {
            str(p.relative_to(root)): p.read_bytes()
            for p in root.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts
        }

    old, new = files(committed), files(fresh)
    stale = sorted(name for name in old.keys() | new.keys() if old.get(name) != new.get(name))
    assert not stale, f"run `make proto`: stale generated files {stale}"


@pytest.mark.parametrize("command", [["check"], ["format", "--check"]], ids=["lint", "format"])
def test_ruff_finds_nothing(command):
    paths = ["services", "tests", "bench"]
    result = subprocess.run(
        [sys.executable, "-m", "ruff", *command, *paths], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_r20a_every_string_field_of_every_request_has_a_documented_bound():
    from google.protobuf.descriptor import FieldDescriptor
    from yibao.account.v1 import account_pb2
    from yibao.region.v1 import region_pb2
    from yibao.transfer.v1 import transfer_pb2

    from services.kernel.request_text import MAX_TEXT, max_chars

    unbounded, seen = [], set()

    def walk(message) -> None:
        if message.full_name in seen or message.full_name.startswith("google.protobuf."):
            return
        seen.add(message.full_name)
        for field in message.fields:
            if field.type == FieldDescriptor.TYPE_STRING and max_chars(field) == MAX_TEXT:
                unbounded.append(field.full_name)
            elif field.type == FieldDescriptor.TYPE_MESSAGE:
                walk(field.message_type)

    for module in (account_pb2, region_pb2, transfer_pb2):
        for service in module.DESCRIPTOR.services_by_name.values():
            for method in service.methods:
                walk(method.input_type)
    assert len(seen) > 40 and not unbounded, unbounded
