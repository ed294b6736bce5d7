"""docs/errors.md from the error catalogues (make docs): every reason each
service declares (`Reasons(...)` in services/*/domain/errors.py and the
kernel's), with the status code and message of the calls that raise it —
found by reading the code — and what a caller should do, by status.
`tests/test_docs.py` fails when the committed file is not what this prints."""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CATALOGUES = {  # where each domain's reasons are declared
    "every service": "services/kernel/errors.py",
    "region.yibao": "services/region/domain/errors.py",
    "account.yibao": "services/account/domain/errors.py",
    "transfer.yibao": "services/transfer/domain/errors.py",
    "index.yibao": "services/index/domain/errors.py",
    "router.yibao": "services/router/errors.py",
    "gateway.yibao": "services/gateway/errors.py",
}
STATUS_OF_CALL = {
    "invalid_argument": "INVALID_ARGUMENT",
    "required_text": "INVALID_ARGUMENT",
    "required_key": "INVALID_ARGUMENT",
    "not_found": "NOT_FOUND",
    "failed_precondition": "FAILED_PRECONDITION",
    "_gate": "FAILED_PRECONDITION",
    "already_exists": "ALREADY_EXISTS",
    "unauthenticated": "UNAUTHENTICATED",
}
WHAT_TO_DO = {
    "INVALID_ARGUMENT": "Fix the request (the field is named); sending it again unchanged fails again.",
    "NOT_FOUND": "Check the id or code; it names nothing the caller may see.",
    "ALREADY_EXISTS": "It exists already: read it rather than create it.",
    "FAILED_PRECONDITION": "The state must change first (the metadata says what); do not retry unchanged.",
    "PERMISSION_DENIED": "Call with a token of a role and scope that may (the metadata names them).",
    "UNAUTHENTICATED": "Send a valid, unexpired bearer token, signed with a published key of its issuer.",
    "RESOURCE_EXHAUSTED": "Retry after the RetryInfo delay, with the same request id.",
    "UNAVAILABLE": "Retry with backoff (after RetryInfo when given), with the same request id.",
    "DEADLINE_EXCEEDED": "Retry with the same request id; the first attempt may have completed.",
    "INTERNAL": "A defect: report it with the time and request id.",
}


def declared(path: Path) -> list[str]:
    """The reasons of a ``Reasons("Reason", "A B C")`` declaration."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", "")) == "Reasons"
        ):
            return node.args[1].value.split()
    return []


def _reason(node: ast.AST) -> str | None:
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name | ast.Attribute):
        owner = node.value.attr if isinstance(node.value, ast.Attribute) else node.value.id
        if owner == "Reason":
            return node.attr
    return None


def _text(node: ast.AST) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "…" for v in node.values)
    return None


def raised() -> dict[str, tuple[set[str], list[str]]]:
    """Reason -> (status codes, messages), from every call that names it."""
    found: dict[str, tuple[set[str], list[str]]] = defaultdict(lambda: (set(), []))
    for path in sorted((ROOT / "services").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        named = {  # reason = Reason.A if … else Reason.B
            target.id: [r for n in ast.walk(node.value) if (r := _reason(n))]
            for node in ast.walk(tree)
            if isinstance(node, ast.Assign)
            for target in node.targets
            if isinstance(target, ast.Name)
        }
        for call in ast.walk(tree):
            if not isinstance(call, ast.Call):
                continue
            args = list(call.args) + [k.value for k in call.keywords]
            reasons = [r for a in args if (r := _reason(a))]
            reasons += [r for a in args if isinstance(a, ast.Name) for r in named.get(a.id, [])]
            if not reasons:
                continue
            name = getattr(call.func, "attr", getattr(call.func, "id", ""))
            status = STATUS_OF_CALL.get(name)
            if name == "DomainError" and isinstance(call.args[0], ast.Attribute):
                status = call.args[0].attr
            if name == "GatewayError" and isinstance(call.args[0], ast.Constant):  # the gateway's own
                status = call.args[0].value
            at = [
                i
                for i, a in enumerate(call.args)
                if _reason(a) or (isinstance(a, ast.Name) and named.get(a.id))
            ]
            texts = [t for a in call.args[at[0] + 1 :] if (t := _text(a))] if at else []
            for reason in reasons:
                statuses, messages = found[reason]
                if status:
                    statuses.add(status)
                messages.extend(t for t in texts[-1:] if t not in messages)
    return found


def render() -> str:
    found = raised()
    lines = [
        "# Error reasons",
        "",
        "Generated by `make docs` from the error catalogues and the code that raises each",
        "reason (do not edit here). A refusal carries a `google.rpc.ErrorInfo`: the reason",
        "below, the domain, and metadata (the limit, the field, the next open time …).",
    ]
    for domain, source in CATALOGUES.items():
        lines += [
            "",
            f"## {domain} (`{source}`)",
            "",
            "| reason | status | message | what to do |",
            "|---|---|---|---|",
        ]
        for reason in declared(ROOT / source):
            statuses, messages = found.get(reason, (set(), []))
            status = ", ".join(sorted(statuses)) or _by_name(reason)
            todo = " ".join(dict.fromkeys(WHAT_TO_DO.get(s, "") for s in sorted(statuses) or [status]))
            message = "; ".join(messages[:2]).replace("|", "\\|") or "—"
            lines.append(f"| `{reason}` | {status} | {message} | {todo} |")
    return "\n".join(lines) + "\n"


def _by_name(reason: str) -> str:
    """The status of a reason raised by a class rather than a call (services/kernel/upstream.py)."""
    return {"DEADLINE_EXCEEDED": "DEADLINE_EXCEEDED", "INTERNAL": "INTERNAL"}.get(reason, "UNAVAILABLE")


if __name__ == "__main__":
    sys.stdout.write(render())
