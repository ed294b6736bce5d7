"""The generated references in docs/ are what `make docs` prints today: a
proto comment or an error reason changed without `make docs` fails here."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _tool(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("doc", "render"),
    [
        ("api.md", lambda: (tool := _tool("api_reference")).render(tool.descriptors())),
        ("errors.md", lambda: _tool("error_table").render()),
    ],
)
def test_a_generated_reference_is_fresh(doc, render):
    assert (ROOT / "docs" / doc).read_text(encoding="utf-8") == render(), (
        f"docs/{doc} is stale: run make docs"
    )


def test_every_declared_reason_is_in_the_error_table_with_a_status():
    table = _tool("error_table")
    cells = [row.split("|") for row in table.render().splitlines() if row.startswith("| `")]
    status = {c[1].strip(" `"): c[2].strip() for c in cells}
    for source in table.CATALOGUES.values():
        for reason in table.declared(ROOT / source):
            assert status.get(reason), f"{reason} has no row or no status"
