"""Read-only views of a canonical report that every renderer shares, so all formats say the same thing."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

# (control id prefix, the name people know the framework by)
FRAMEWORKS: tuple[tuple[str, str], ...] = (
    ("SOC2", "SOC 2"),
    ("ISO27001", "ISO/IEC 27001"),
    ("NIST800-53", "NIST SP 800-53"),
    ("HIPAA", "HIPAA Security Rule"),
)
# Worst first: the outcome a control takes from the checks that evidence it.
OUTCOME_RANK: dict[str, int] = {"pass": 0, "waived": 1, "unverified": 2, "advisory": 3, "fail": 4}
DECISION_WORDS: dict[str, str] = {"pass": "PASS", "fail": "FAIL", "pass-unverified": "PASS WITH UNVERIFIED CONTROLS"}


def decision_words(report: Mapping[str, Any]) -> str:
    return DECISION_WORDS.get(report["decision"], report["decision"].upper())


def resource_name(urn: str) -> str:
    """The logical name at the end of a URN (what a reader recognises from the code)."""
    return urn.rsplit("::", 1)[-1]


def short_commit(report: Mapping[str, Any]) -> str:
    git = report["metadata"]["git"]
    if not git["commit"]:
        return "not in a git repository"
    state = " with uncommitted changes" if git["dirty"] else ""
    return f"{git['commit'][:12]}{state}"


@dataclass(frozen=True)
class Finding:
    """A violation or unverified item with the outcome it gives its check."""

    item: Mapping[str, Any]
    unverified: bool

    @property
    def outcome(self) -> str:
        if self.item.get("waiver"):
            return "waived"
        if self.item["blocking"]:
            return "fail"
        return "unverified" if self.unverified else "advisory"

    @property
    def location(self) -> str:
        where = self.item["location"]
        return f"{where['file']}:{where['line']}"


def findings(report: Mapping[str, Any]) -> list[Finding]:
    return [Finding(v, False) for v in report["violations"]] + [Finding(u, True) for u in report["unverified"]]


def findings_with(report: Mapping[str, Any], outcome: str) -> list[Finding]:
    return [f for f in findings(report) if f.outcome == outcome]


def worst(outcomes: Iterable[str]) -> str | None:
    ranked = sorted(outcomes, key=OUTCOME_RANK.__getitem__)
    return ranked[-1] if ranked else None


def natural_key(text: str) -> list[Any]:
    """'A.8.9' before 'A.8.24', 'CC6.1' before 'CC10.1'."""
    return [(0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", text) if part]


@dataclass
class ControlEvidence:
    """One control of one framework: the policies mapped to it and the per-resource checks behind it."""

    framework: str
    control: str
    policies: list[Mapping[str, Any]] = field(default_factory=list)
    checks: dict[str, list[Mapping[str, Any]]] = field(default_factory=dict)  # policy id → checks

    @property
    def status(self) -> str:
        """Worst outcome of its checks; 'not evaluated' when its policies are disabled or checked nothing."""
        return worst(c["outcome"] for checks in self.checks.values() for c in checks) or "not evaluated"

    def count(self, outcome: str) -> int:
        return sum(c["outcome"] == outcome for checks in self.checks.values() for c in checks)


def controls_by_framework(report: Mapping[str, Any]) -> dict[str, list[ControlEvidence]]:
    """Framework prefix → its controls in natural order, each with policies and checks."""
    checks_by_policy: dict[str, list[Mapping[str, Any]]] = {}
    for check in report["checks"]:
        checks_by_policy.setdefault(check["policy_id"], []).append(check)
    controls: dict[tuple[str, str], ControlEvidence] = {}
    for policy in report["policies"]:
        for control_id in policy["controls"]:
            framework, _, control = control_id.partition(":")
            evidence = controls.setdefault((framework, control), ControlEvidence(framework, control))
            evidence.policies.append(policy)
            if policy["enforcement"] != "disabled":
                evidence.checks[policy["id"]] = checks_by_policy.get(policy["id"], [])
    result: dict[str, list[ControlEvidence]] = {prefix: [] for prefix, _ in FRAMEWORKS}
    for (framework, _control), evidence in controls.items():
        result.setdefault(framework, []).append(evidence)
    for framework in result:
        result[framework].sort(key=lambda e: natural_key(e.control))
    return result


def messages_by_check(report: Mapping[str, Any]) -> dict[tuple[str, str], list[Finding]]:
    """(policy id, resource URN) → the findings on that check."""
    by_check: dict[tuple[str, str], list[Finding]] = {}
    for finding in findings(report):
        by_check.setdefault((finding.item["policy_id"], finding.item["resource"]), []).append(finding)
    return by_check


def waiver_scope(waiver: Mapping[str, Any]) -> str:
    """'model fraud-detector in prod' / 'resources urn:… in all environments'."""
    target = f"model {waiver['model']}" if waiver.get("model") else f"resources {waiver.get('resource')}"
    environments = waiver.get("environments")
    return f"{target} in {', '.join(environments) if environments else 'all environments'}"


def conformance_coverage(report: Mapping[str, Any]) -> str | None:
    """How much of the plan the aws-api-conformance control checked, in words; None in older reports."""
    coverage = (report.get("conformance") or {}).get("coverage")
    if not coverage:
        return None
    covered = coverage["checked"] + coverage["deferred"]
    share = f"{100 * covered / coverage['emitted']:.1f}%" if coverage["emitted"] else "n/a"
    return (
        f"AWS API conformance: {covered:,} of {coverage['emitted']:,} input values checked against AWS's API model ({share}; "
        f"{coverage['deferred']:,} known only after deployment checked by type, {coverage['provider_only']:,} provider-only, "
        f"{coverage['untranslated']:,} untranslated) and {coverage['pipeline_step_values']:,} pipeline step values"
    )


def summary_counts(report: Mapping[str, Any]) -> str:
    c = report["counts"]
    return (
        f"{c['blocking']} blocking, {c['advisory']} advisory, {c['waived']} waived, {c['unverified']} unverified; "
        f"{c['checks_passed']} of {c['checks']} checks passed"
    )
