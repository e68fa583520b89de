"""Per-control tallies: how often each compliance control was checked, passed, failed, waived or left unverified.

A gate report holds one check per (policy, resource the policy applies to), each with an outcome;
a policy maps to control ids such as `SOC2:CC6.1`. The ledger stores the tallies of each decision
so the audit report can be built from the ledger alone, without the (overwritten) reports.

Outcome mapping (one check counts once in `checked` and once in exactly one of passed, failed,
waived, unverified):
- "pass" → passed;
- "fail" (a mandatory violation) → failed;
- "advisory" (a violation that did not block) → failed, and also counted in `advisory`: the
  resource does not meet the control, so it must not read as passed, but an auditor can see how
  many of the failures were advisory only (`advisory` is a subset of `failed`);
- "waived" → waived (an approved, unexpired exception);
- "unverified" → unverified (the policy needed a fact the gate could not get).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

# CLI --framework value → the prefix of control ids in policy METADATA.
FRAMEWORKS: dict[str, str] = {
    "soc2": "SOC2",
    "iso27001": "ISO27001",
    "nist-800-53": "NIST800-53",
    "hipaa": "HIPAA",
    # AI-regulation and AI-management frameworks: mapped only from the policies about the model's
    # lifecycle (capture, monitoring, approval, rollback, evaluation, registry, cards, retention).
    "eu-ai-act": "EU-AI-ACT",
    "nist-ai-rmf": "NIST-AI-RMF",
    "iso42001": "ISO42001",
}

TALLY_FIELDS: tuple[str, ...] = ("checked", "passed", "failed", "advisory", "waived", "unverified")
_OUTCOME_FIELDS: dict[str, tuple[str, ...]] = {
    "pass": ("passed",),
    "fail": ("failed",),
    "advisory": ("failed", "advisory"),
    "waived": ("waived",),
    "unverified": ("unverified",),
}
_NUMBER = re.compile(r"(\d+)")


@dataclass
class ControlTally:
    """Counts of check outcomes for one control; `advisory` is the part of `failed` that did not block."""

    checked: int = 0
    passed: int = 0
    failed: int = 0
    advisory: int = 0
    waived: int = 0
    unverified: int = 0

    def add_outcome(self, outcome: str) -> None:
        fields = _OUTCOME_FIELDS.get(outcome)
        if fields is None:
            raise ValueError(f"unknown check outcome {outcome!r}; expected one of: {', '.join(_OUTCOME_FIELDS)}")
        self.checked += 1
        for field in fields:
            setattr(self, field, getattr(self, field) + 1)

    def add(self, counts: Mapping[str, Any]) -> None:
        """Add the tallies recorded in a ledger entry (missing fields count as zero)."""
        for field in TALLY_FIELDS:
            value = counts.get(field, 0)
            setattr(self, field, getattr(self, field) + (value if isinstance(value, int) and not isinstance(value, bool) else 0))

    def to_dict(self) -> dict[str, int]:
        return asdict(self)


def control_tallies(report: Mapping[str, Any]) -> dict[str, dict[str, int]]:
    """Per-control tallies of one gate report, sorted by control id.

    From `checks` (one per policy and resource, the pass evidence included) when the report has
    them; a report without `checks` only tells failures, so its violations and unverified
    findings are tallied instead (nothing counts as passed then).
    """
    controls_of = {p.get("id"): list(p.get("controls") or []) for p in report.get("policies") or []}
    tallies: dict[str, ControlTally] = {}

    def add(controls: Iterable[str], outcome: str) -> None:
        for control in dict.fromkeys(controls):
            tallies.setdefault(control, ControlTally()).add_outcome(outcome)

    checks = report.get("checks")
    if checks is not None:
        for check in checks:
            add(controls_of.get(check.get("policy_id")) or check.get("controls") or [], check.get("outcome", ""))
    else:
        for violation in report.get("violations") or []:
            add(violation.get("controls") or controls_of.get(violation.get("policy_id")) or [], _violation_outcome(violation))
        for finding in report.get("unverified") or []:
            add(finding.get("controls") or controls_of.get(finding.get("policy_id")) or [], "unverified")
    return {control: tallies[control].to_dict() for control in sorted(tallies, key=control_sort_key)}


def _violation_outcome(violation: Mapping[str, Any]) -> str:
    if violation.get("waiver"):
        return "waived"
    blocking = violation.get("blocking")
    if blocking is None:
        blocking = violation.get("enforcement") == "mandatory"
    return "fail" if blocking else "advisory"


def control_sort_key(control: str) -> tuple[Any, ...]:
    """Natural order, so SOC2:CC6.2 sorts before SOC2:CC6.10 and NIST800-53:AC-3 before AC-12."""
    return tuple(int(part) if part.isdigit() else part for part in _NUMBER.split(control))


def framework_prefix(framework: str | None) -> str | None:
    """The control-id prefix of a CLI framework value (None: every framework)."""
    if framework is None:
        return None
    if framework not in FRAMEWORKS:
        raise ValueError(f"unknown framework {framework!r}; expected one of: {', '.join(FRAMEWORKS)}")
    return FRAMEWORKS[framework]


def in_framework(control: str, prefix: str | None) -> bool:
    return prefix is None or control.split(":", 1)[0] == prefix
