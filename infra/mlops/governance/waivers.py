"""Approved, expiring exceptions to waivable policies (policies/waivers.yaml)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..specs.loader import SourceFile, plain, read_yaml
from ..specs.model import ENVIRONMENTS
from .bundle import PolicyBundle

FIELDS: tuple[str, ...] = ("policy", "model", "resource", "environments", "reason", "approver", "expires")
REQUIRED: tuple[str, ...] = ("policy", "reason", "approver", "expires")
@dataclass(frozen=True)
class Waiver:
    """One approved exception: a policy, a model or URN selector, environments, and an expiry date."""

    policy: str
    reason: str
    approver: str
    expires: date
    source: str
    model: str | None = None
    resource: str | None = None
    environments: tuple[str, ...] | None = None

    def covers(self, policy_id: str, environment: str, urn: str, model: str | None) -> bool:
        """Whether this waiver's selector matches the violation, ignoring expiry."""
        if self.policy != policy_id or (self.environments is not None and environment not in self.environments):
            return False
        if self.model is not None:
            return model == self.model
        return self.resource is not None and fnmatchcase(urn, self.resource)

    def expired(self, today: date) -> bool:
        """A waiver applies through its expiry date, inclusive."""
        return today > self.expires

    def to_dict(self) -> dict[str, Any]:
        return {"reason": self.reason, "approver": self.approver, "expires": self.expires.isoformat()}


def load_waivers(path: Path, bundle: PolicyBundle) -> list[Waiver]:
    """Read and check waivers.yaml against the bundle; every problem is reported together, with file:line."""
    source = read_yaml(path)
    raw = plain(source.data)
    entries = raw.get("waivers") if isinstance(raw, dict) else None
    if not isinstance(entries, list):
        raise InputError(f"{path}:1: expected a top-level 'waivers:' list (use 'waivers: []' for none)")
    problems: list[str] = []
    waivers = [w for i, entry in enumerate(entries) if (w := _waiver(source, i, entry, bundle, problems)) is not None]
    if problems:
        raise InputError(f"{path}: invalid waivers", problems=problems)
    return waivers


def _waiver(source: SourceFile, index: int, entry: Any, bundle: PolicyBundle, problems: list[str]) -> Waiver | None:
    def problem(field: str | None, detail: str) -> None:
        at = ("waivers", index, field) if field else ("waivers", index)
        line = source.line_of(at) or 1
        problems.append(f"{source.path}:{line}: waivers[{index}]{'.' + field if field else ''}: {detail}")

    if not isinstance(entry, dict):
        problem(None, f"expected a mapping with fields {', '.join(FIELDS)}")
        return None
    before = len(problems)
    for field in entry:
        if field not in FIELDS:
            problem(field, f"unknown field; expected one of: {', '.join(FIELDS)}")
    for field in REQUIRED:
        if entry.get(field) is None:
            problem(field if field in entry else None, f"required field '{field}' is missing")
    for field in ("policy", "reason", "approver", "model", "resource"):
        if field in entry and not (isinstance(entry[field], str) and entry[field].strip()):
            problem(field, f"expected non-empty text, found {entry[field]!r}")
    if ("model" in entry) == ("resource" in entry):
        problem(None, "give exactly one selector: 'model' (a model name) or 'resource' (a URN or URN glob)")
    policy = bundle.policy(entry["policy"]) if isinstance(entry.get("policy"), str) else None
    if isinstance(entry.get("policy"), str) and policy is None:
        problem("policy", f"unknown policy id '{entry['policy']}'; known ids: {', '.join(bundle.policy_ids)}")
    if policy is not None and not policy.waivable:
        problem("policy", f"policy '{policy.id}' is not waivable (custom.waivable: false in {policy.path}); fix the violation instead")
    environments = entry.get("environments")
    if "environments" in entry and not (
        isinstance(environments, list) and environments and all(e in ENVIRONMENTS for e in environments)
    ):
        problem("environments", f"expected a non-empty list of {', '.join(ENVIRONMENTS)}, found {environments!r}")
    expires = _date(entry.get("expires"))
    if entry.get("expires") is not None and expires is None:
        found = entry["expires"].isoformat() if isinstance(entry["expires"], datetime) else entry["expires"]
        problem("expires", f"expected an ISO date YYYY-MM-DD, found {found!r}")
    if len(problems) > before or expires is None:
        return None
    return Waiver(
        policy=entry["policy"],
        reason=entry["reason"].strip(),
        approver=entry["approver"].strip(),
        expires=expires,
        source=f"{source.path}:{source.line_of(('waivers', index)) or 1}",
        model=entry.get("model"),
        resource=entry.get("resource"),
        environments=tuple(environments) if environments else None,
    )


def _date(value: Any) -> date | None:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None

