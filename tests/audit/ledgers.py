"""Builders shared by the audit tests: realistic gate reports (formatVersion 2) and ledgers written through the real API."""

from __future__ import annotations

import copy
import hashlib
import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from mlops.audit.ledger import append_entry, gate_entry

FIXTURES = Path(__file__).parent / "fixtures"


def prod_report() -> dict[str, Any]:
    """A failing prod gate: a blocking, an advisory, a waived and an unverified check, five policies."""
    return json.loads((FIXTURES / "policy-report-prod.json").read_text(encoding="utf-8"))


def passing_report(stack: str = "dev", environment: str = "dev") -> dict[str, Any]:
    """The same policies on another stack where every check passes."""
    report = copy.deepcopy(prod_report())
    report.update(stack=stack, environment=environment, decision="pass", violations=[], unverified=[], waivers_applied=[])
    for check in report["checks"]:
        check["resource"] = check["resource"].replace("urn:pulumi:prod::", f"urn:pulumi:{stack}::")
        check["outcome"] = "pass"
    report["counts"] = {"violations": 0, "blocking": 0, "advisory": 0, "waived": 0, "unverified": 0, "checks": 9, "checks_passed": 9}
    return report


def write_report(project: Path, report: dict[str, Any]) -> tuple[Path, str]:
    """Write the report where `mlops plan` puts it; returns its path and SHA-256."""
    path = project / "reports" / report["stack"] / "policy-report.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    data = (json.dumps(report, indent=2, sort_keys=True) + "\n").encode("utf-8")
    path.write_bytes(data)
    return path, hashlib.sha256(data).hexdigest()


def record_gate(ledger: Path, project: Path, report: dict[str, Any], when: datetime, actor: str = "ci@example.com") -> dict[str, Any]:
    """Write the report, then append its gate entry at `when`, as gate_stack does."""
    path, sha = write_report(project, report)
    return append_entry(ledger, gate_entry(report, path, sha, actor, base=project), now=when)


def at(day: str, hour: int = 12) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=timezone.utc)


def simple_ledger(path: Path, count: int) -> list[dict[str, Any]]:
    """`count` small gate entries, one a day from 2025-03-01."""
    return [
        append_entry(path, {"kind": "gate", "stack": "dev", "decision": "pass", "n": i}, now=at(f"2025-03-{i + 1:02d}"))
        for i in range(count)
    ]


def lines(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines(keepends=True)


def rewrite(path: Path, new_lines: list[bytes]) -> None:
    path.write_bytes(b"".join(new_lines))


def dump(entry: dict[str, Any]) -> bytes:
    return (json.dumps(entry, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")
