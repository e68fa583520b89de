"""NIST OSCAL assessment results from the audit ledger: `mlops audit oscal`.

Every gate and scan decision the verified ledger holds for a period becomes one OSCAL `result`,
built from the decision's evidence report (the canonical policy report the ledger names by path
and SHA-256) with compliance-trestle's pydantic models, which validate every object as it is
built. The mapping:

- result: one per decision (ledger kinds "gate" and "scan"); start = end = the ledger timestamp;
  title "<kind> <stack> <decision>"; props: stack, environment, commit, decision, actor, ledger
  seq and hash, evidence SHA-256, policy bundle SHA-256.
- observation: one per check (policy × resource), method TEST (an automated policy evaluation by
  the `mlops` tool, the origin), the resource as its subject (a component of the result's local
  definitions, titled with its Pulumi URN), the policy id and outcome as props, and the evidence
  report as relevant evidence (a link relative to the exported file, with its SHA-256).
- finding: one per control the checked policies map to; target type "objective-id" (the policy
  checks test the control's objective; no control statement is named), status "satisfied" when
  every check of the control passed or was waived, else "not-satisfied" (reason "fail"; "other",
  with a remark, when no check failed but some were unverified). OSCAL target ids are tokens
  (XML NCNames: no ":" or "("), so a control id is written as a token: NIST SP 800-53 ids as in
  NIST's OSCAL catalog (`NIST800-53:SI-4(5)` → `si-4.5`), the others `<framework>_<id>` lower
  case with other characters as dots (`SOC2:CC6.1` → `soc2_cc6.1`, `HIPAA:164.312(a)(1)` →
  `hipaa_164.312.a.1`); the finding's title and `control-id` prop keep the id as written.
- risk: one per waiver that applied, status "deviation-approved" (an approved, time-limited
  exception, neither resolved nor accepted for good), deadline the end of its expiry day (UTC),
  the reason, approver (also a party of the metadata, role "waiver-approver") and source as
  props; it links the waived observations, and the findings of the policy's controls link it.

UUIDs are version 5, derived from the ledger entry's hash and the ids of what they name, and
every list is sorted, so the same ledger exports byte-identical files; `last-modified` is the
timestamp of the ledger's last entry, not the time of the export, for the same reason.

Fails closed: a ledger that does not verify is refused (LedgerTamperedError, exit 1), and so is
an evidence report whose bytes no longer hash to what the ledger recorded; a missing one is
invalid input (exit 2): restore it from the CI artifacts of that run.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote

from pydantic import ValidationError
from trestle.oscal import OSCAL_VERSION
from trestle.oscal import assessment_results as ar
from trestle.oscal import common

from .. import __version__
from ..errors import InputError, ProgramError
from ..files import write_atomically
from .controls import ControlTally, control_sort_key
from .ledger import LedgerTamperedError, parse_timestamp, verify
from .report import tampered_error

# Ledger kinds whose entries are decisions with an evidence report.
DECISION_KINDS: tuple[str, ...] = ("gate", "scan")
DEFAULT_OUTPUT = Path("reports") / "audit" / "oscal-assessment-results.json"
# Namespace of every property this export defines (OSCAL asks for one on names it does not define).
PROP_NS = "urn:mlops-platform:oscal"
UUID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, PROP_NS)
APPROVER_ROLE = "waiver-approver"

_KIND_TEXT = {"gate": "Policy gate on the planned resources", "scan": "Policy scan of the deployed resources"}
_OUTCOME_TEXT = {
    "pass": "passed",
    "fail": "failed (mandatory: blocked the decision)",
    "advisory": "failed (advisory: reported, did not block)",
    "waived": "failed, covered by an approved waiver",
    "unverified": "not verified: a fact the policy needs was not available",
}
_NIST = re.compile(r"^([A-Z]{2})-(\d+)(?:\((\d+)\))?$")
_NOT_TOKEN = re.compile(r"[^a-z0-9._-]+")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class Decision:
    """One gate or scan decision of the period with its verified evidence report."""

    entry: dict[str, Any]
    report: dict[str, Any]
    evidence: Path  # resolved
    href: str  # relative to the exported file, URL-quoted


@dataclass
class OscalExport:
    """The assessment results of a period and what they hold, for the command's summary."""

    model: ar.AssessmentResults
    since: date
    until: date
    stack: str | None
    ledger: Path
    ledger_entries: int
    ledger_head: str
    decisions: list[Decision]
    observations: int = 0
    findings: int = 0
    not_satisfied: int = 0
    risks: int = 0

    def summary(self) -> str:
        kinds = ", ".join(f"{n} {k}" for k in DECISION_KINDS if (n := sum(d.entry["kind"] == k for d in self.decisions)))
        scope = f" for stack {self.stack}" if self.stack else ""
        return (
            f"OSCAL assessment results {self.since.isoformat()} to {self.until.isoformat()}{scope}: "
            f"{len(self.decisions)} result(s) ({kinds}), {self.observations} observations, {self.findings} findings "
            f"({self.not_satisfied} not satisfied), {self.risks} waiver risk(s); "
            f"ledger verified, {self.ledger_entries} entries, head {self.ledger_head[:12]}"
        )


def export_oscal(
    ledger: Path, *, since: date, until: date, stack: str | None, project_dir: Path, output: Path
) -> OscalExport:
    """Verify the ledger and the evidence, build the assessment results and write them to `output` (JSON).

    The bytes written are trestle's own serialisation (`oscal_write`); they are read back through
    trestle's model and must serialise to the same bytes before the file is replaced.
    """
    export = build_assessment_results(ledger, since=since, until=until, stack=stack, project_dir=project_dir, output=output)
    data = serialize(export.model)
    try:
        again = ar.AssessmentResults.model_validate(json.loads(data)["assessment-results"])
    except (ValidationError, ValueError, KeyError) as e:  # pragma: no cover - a trestle or mapping bug
        raise ProgramError(f"the OSCAL assessment results do not read back through trestle's model: {e}") from e
    if serialize(again) != data:  # pragma: no cover - a trestle or mapping bug
        raise ProgramError("the OSCAL assessment results do not round-trip through trestle's model byte for byte")
    write_atomically(output, data)
    return export


def serialize(model: ar.AssessmentResults) -> bytes:
    """The file's bytes, exactly as trestle's `oscal_write` writes a .json file (wrapped, 2-space indent)."""
    return model.oscal_serialize_json_bytes(pretty=True)


def build_assessment_results(
    ledger: Path, *, since: date, until: date, stack: str | None, project_dir: Path, output: Path
) -> OscalExport:
    """The OSCAL assessment results of the decisions dated `since`..`until` (UTC days, inclusive), optionally of one stack.

    Raises LedgerTamperedError (exit 1) when the ledger or an evidence report does not verify,
    InputError (exit 2) when an evidence report is missing or the period holds no decision.
    `output` is where the file will go: evidence links are relative to its folder.
    """
    collector = _Collector(since, until, stack)
    result = verify(ledger, visit=collector.visit)
    if not result.ok:
        raise tampered_error(result)
    if not collector.entries:
        scope = f" of stack {stack}" if stack else ""
        raise InputError(
            f"no gate or scan decision{scope} from {since.isoformat()} to {until.isoformat()} in {ledger} "
            f"({result.entries} entries): OSCAL assessment results need at least one result",
            problems=["give a period (--since/--until) or --stack with decisions; `mlops audit report` lists them per stack"],
        )
    decisions = [_load_decision(entry, project_dir, output.parent) for entry in collector.entries]
    builder = _Builder(
        decisions, since=since, until=until, stack=stack, ledger_entries=result.entries, ledger_head=result.head,
        last_timestamp=collector.last_timestamp or decisions[-1].entry["timestamp"], project_dir=project_dir,
        output_dir=output.parent,
    )
    try:
        model = builder.build()
    except ValidationError as e:  # pragma: no cover - a mapping bug, never the user's input
        raise ProgramError(f"the OSCAL assessment results do not validate against trestle's model: {e}") from e
    return OscalExport(
        model=model,
        since=since,
        until=until,
        stack=stack,
        ledger=ledger,
        ledger_entries=result.entries,
        ledger_head=result.head,
        decisions=decisions,
        observations=builder.observations,
        findings=builder.findings,
        not_satisfied=builder.not_satisfied,
        risks=builder.risks,
    )


class _Collector:
    """Keeps the verified decisions of the period (and the last entry's time), in ledger order."""

    def __init__(self, since: date, until: date, stack: str | None) -> None:
        self.since, self.until, self.stack = since, until, stack
        self.entries: list[dict[str, Any]] = []
        self.last_timestamp: str | None = None

    def visit(self, entry: dict[str, Any]) -> None:
        self.last_timestamp = entry["timestamp"]
        if entry["kind"] not in DECISION_KINDS or (self.stack is not None and entry.get("stack") != self.stack):
            return
        if self.since <= parse_timestamp(entry["timestamp"]).date() <= self.until:
            self.entries.append(entry)


def _load_decision(entry: dict[str, Any], project_dir: Path, output_dir: Path) -> Decision:
    """The entry's evidence report, refused unless its bytes hash to the SHA-256 the ledger recorded."""
    where = f"ledger seq {entry['seq']} ({entry['kind']} {entry.get('stack')} {entry.get('decision')})"
    recorded, sha = entry.get("report_path"), entry.get("report_sha256")
    if not (isinstance(recorded, str) and recorded and isinstance(sha, str) and _HEX64.match(sha)):
        raise InputError(f"{where} records no evidence report (report_path and report_sha256); it cannot be exported as an OSCAL result")
    path = Path(recorded) if Path(recorded).is_absolute() else project_dir / recorded
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(
            f"evidence report {path} of {where} is missing; refusing to export results without their evidence",
            problems=[
                "run from (or point -C at) the project the ledger belongs to, or restore the file from the CI artifacts of that run",
            ],
        ) from None
    except OSError as e:
        raise InputError(f"evidence report {path} of {where}: cannot read it: {e.strerror or e}") from e
    actual = hashlib.sha256(data).hexdigest()
    if actual != sha:
        raise LedgerTamperedError(
            f"evidence report {path} of {where} does not verify: its content hashes to {actual[:12]}, "
            f"the ledger recorded {sha[:12]}; refusing to export results from altered evidence",
            problems=[
                "the file was edited or replaced after the decision: restore the original from a backup or the CI artifacts of that run",
                "do not re-create it: a new decision writes a new report under its own hash",
            ],
        )
    try:
        report = json.loads(data)
    except ValueError as e:
        raise InputError(f"evidence report {path} of {where} is not JSON: {e}") from e
    if not isinstance(report, dict) or not isinstance(report.get("checks"), list):
        raise InputError(
            f"evidence report {path} of {where} has no per-resource checks; OSCAL results need a formatVersion 2 policy report"
        )
    href = quote(Path(os.path.relpath(path, output_dir)).as_posix(), safe="/._-~")
    return Decision(entry=entry, report=report, evidence=path, href=href)


# --- building -------------------------------------------------------------------------------------


def _uuid(*parts: str) -> str:
    """A version-5 UUID of the parts: the same ids give the same UUID in every run."""
    return str(uuid.uuid5(UUID_NAMESPACE, "\x1f".join(parts)))


def _one_line(value: Any) -> str:
    return " ".join(str(value).split())


def _prop(name: str, value: Any) -> common.Property | None:
    text = _one_line(value) if value is not None else ""
    return common.Property(name=name, ns=PROP_NS, value=text) if text else None


def _props(*props: common.Property | None) -> list[common.Property] | None:
    kept = [p for p in props if p is not None]
    return kept or None


def control_token(control: str) -> str:
    """An OSCAL token (NCName) for a control id; see the module docstring."""
    framework, _, local = control.partition(":")
    nist = _NIST.match(local) if framework == "NIST800-53" else None
    if nist:
        return f"{nist[1].lower()}-{int(nist[2])}" + (f".{int(nist[3])}" if nist[3] else "")
    token = _NOT_TOKEN.sub(".", f"{framework}_{local}".lower() if local else framework.lower())
    token = re.sub(r"\.{2,}", ".", token).strip(".")
    return token if re.match(r"^[a-z_]", token) else f"_{token}"


def control_tokens(controls: Iterable[str]) -> dict[str, str]:
    """Each control's token; two ids that would share one get a suffix from their own hash instead."""
    by_token: dict[str, list[str]] = {}
    for control in sorted(set(controls), key=control_sort_key):
        by_token.setdefault(control_token(control), []).append(control)
    tokens = {}
    for token, ids in by_token.items():
        for control in ids:
            tokens[control] = token if len(ids) == 1 else f"{token}_{hashlib.sha256(control.encode()).hexdigest()[:8]}"
    return tokens


@dataclass
class _Waiver:
    """An applied waiver: the risk it stands for and the checks it covered."""

    uuid: str
    policy_id: str
    waiver: Mapping[str, Any]
    observations: list[str] = field(default_factory=list)


class _Builder:
    """Builds the document from the verified decisions; counts what it built for the summary."""

    def __init__(
        self,
        decisions: list[Decision],
        *,
        since: date,
        until: date,
        stack: str | None,
        ledger_entries: int,
        ledger_head: str,
        last_timestamp: str,
        project_dir: Path,
        output_dir: Path,
    ) -> None:
        self.decisions = decisions
        self.since, self.until, self.stack = since, until, stack
        self.ledger_entries, self.ledger_head, self.last_timestamp = ledger_entries, ledger_head, last_timestamp
        self.project_dir, self.output_dir = project_dir, output_dir
        self.approvers: set[str] = set()
        self.observations = self.findings = self.not_satisfied = self.risks = 0
        all_controls = {
            c for d in decisions for p in d.report.get("policies") or [] if isinstance(p, Mapping) for c in p.get("controls") or []
        }
        self.tokens = control_tokens(all_controls)

    def build(self) -> ar.AssessmentResults:
        results = [self._result(d) for d in self.decisions]  # first: collects the approvers the metadata lists
        bundles = sorted({str(d.entry["policy_bundle_sha256"]) for d in self.decisions if d.entry.get("policy_bundle_sha256")})
        plan_uuid = _uuid("assessment-plan", *bundles)
        return ar.AssessmentResults(
            uuid=_uuid("assessment-results", self.ledger_head, self.since.isoformat(), self.until.isoformat(), self.stack or ""),
            metadata=self._metadata(bundles),
            import_ap=ar.ImportAp(
                href=f"#{plan_uuid}",
                remarks=(
                    "mlops publishes no OSCAL assessment plan: the plan is the project's policy bundle, described by the "
                    "back-matter resource this reference names."
                ),
            ),
            results=results,
            back_matter=common.BackMatter(resources=[self._plan_resource(plan_uuid, bundles), *self._evidence_resources()]),
        )

    # --- document level ---------------------------------------------------------------------------

    def _metadata(self, bundles: list[str]) -> common.Metadata:
        scope = f", stack {self.stack}" if self.stack else ""
        parties = [common.Parties(uuid=self._party_uuid(name), type="person", name=name) for name in sorted(self.approvers)]
        return common.Metadata(
            title=f"mlops policy gate assessment results, {self.since.isoformat()} to {self.until.isoformat()}{scope}",
            last_modified=parse_timestamp(self.last_timestamp),
            version=f"ledger-{self.ledger_entries}-{self.ledger_head[:12]}",
            oscal_version=OSCAL_VERSION,
            props=_props(
                _prop("tool", "mlops"),
                _prop("tool-version", __version__),
                _prop("ledger-head-sha256", self.ledger_head),
                _prop("ledger-entries", self.ledger_entries),
                *(_prop("policy-bundle-sha256", b) for b in bundles),
                _prop("period-since", self.since.isoformat()),
                _prop("period-until", self.until.isoformat()),
                _prop("stack", self.stack),
            ),
            roles=[common.Role(id=APPROVER_ROLE, title="Waiver approver")] if parties else None,
            parties=parties or None,
            responsible_parties=(
                [common.ResponsibleParty(role_id=APPROVER_ROLE, party_uuids=[p.uuid for p in parties])] if parties else None
            ),
            remarks=(
                "Built by `mlops audit oscal` from the verified audit ledger and the evidence reports it names. "
                "last-modified is the time of the ledger's last entry, so the same ledger exports the same document."
            ),
        )

    def _party_uuid(self, name: str) -> str:
        return _uuid("party", name)

    def _plan_resource(self, plan_uuid: str, bundles: list[str]) -> common.Resource:
        policies = self.project_dir / "policies"
        href = quote(Path(os.path.relpath(policies, self.output_dir)).as_posix(), safe="/._-~") + "/"
        return common.Resource(
            uuid=plan_uuid,
            title="mlops governance policies (the assessment plan)",
            description=(
                "No OSCAL assessment plan document is published. The plan these results follow is the project's policy bundle: "
                "the Rego policies under policies/ with their METADATA (the controls each maps to, severity, resource types), "
                "their enforcement levels (policies/enforcement.yaml) and approved waivers (policies/waivers.yaml), evaluated "
                "automatically by every deciding command (mlops plan, diff, up, promote, scan). Each result names the SHA-256 "
                "of the bundle it evaluated."
            ),
            props=_props(*(_prop("policy-bundle-sha256", b) for b in bundles)),
            rlinks=[common.Rlink(href=href)],
        )

    def _evidence_resources(self) -> list[common.Resource]:
        resources: dict[str, common.Resource] = {}
        for d in self.decisions:
            sha = d.entry["report_sha256"]
            if sha in resources:
                continue
            resources[sha] = common.Resource(
                uuid=self._evidence_uuid(sha),
                title=f"Policy report of {d.entry['kind']} {d.entry.get('stack')} {d.entry.get('decision')} (ledger seq {d.entry['seq']})",
                description="The canonical policy report of the decision (formatVersion 2), kept under its SHA-256.",
                rlinks=[
                    common.Rlink(
                        href=d.href, media_type="application/json", hashes=[common.Hash(algorithm="SHA-256", value=sha)]
                    )
                ],
            )
        return list(resources.values())

    def _evidence_uuid(self, sha: str) -> str:
        return _uuid("evidence", sha)

    # --- one result -------------------------------------------------------------------------------

    def _result(self, d: Decision) -> ar.Result:
        entry, report = d.entry, d.report
        key = entry["hash"]
        when = parse_timestamp(entry["timestamp"])
        kind, stack, decision = entry["kind"], str(entry.get("stack")), str(entry.get("decision"))
        policies = {p["id"]: p for p in report.get("policies") or [] if isinstance(p, Mapping) and "id" in p}
        findings_at = {
            (f.get("policy_id"), f.get("resource")): f
            for f in [*(report.get("violations") or []), *(report.get("unverified") or [])]
            if isinstance(f, Mapping)
        }
        checks = sorted(report["checks"], key=lambda c: (str(c.get("policy_id")), str(c.get("resource"))))
        tool = _uuid(key, "tool")
        components: dict[str, common.SystemComponent] = {}
        for check in checks:
            urn = str(check.get("resource"))
            if urn not in components:
                components[urn] = self._component(key, kind, urn, check)
        waivers: dict[tuple[Any, ...], _Waiver] = {}
        observations: list[common.Observation] = []
        by_control: dict[str, list[tuple[str, str]]] = {}  # control → (observation uuid, outcome)
        risks_of_policy: dict[str, list[str]] = {}
        seen: set[str] = set()
        for check in checks:
            policy_id, urn, outcome = str(check.get("policy_id")), str(check.get("resource")), str(check.get("outcome"))
            obs_uuid = _uuid(key, "observation", policy_id, urn)
            if obs_uuid in seen:  # one check per policy and resource; a repeat would reuse the UUID
                continue
            seen.add(obs_uuid)
            policy = policies.get(policy_id, {})
            finding = findings_at.get((policy_id, urn))
            waiver = finding.get("waiver") if finding and outcome == "waived" else None
            observations.append(
                self._observation(d, obs_uuid, tool, when, check, policy, finding, waiver, components[urn].uuid)
            )
            for control in dict.fromkeys(policy.get("controls") or []):
                by_control.setdefault(control, []).append((obs_uuid, outcome))
            if isinstance(waiver, Mapping):
                wkey = tuple(str(waiver.get(k)) for k in ("policy_id", "source", "model", "resource", "approver", "expires", "reason"))
                if wkey not in waivers:
                    waivers[wkey] = _Waiver(_uuid(key, "risk", *wkey), policy_id, waiver)
                    risks_of_policy.setdefault(policy_id, []).append(waivers[wkey].uuid)
                waivers[wkey].observations.append(obs_uuid)
        risks = [self._risk(w, policies.get(w.policy_id, {}), tool) for _, w in sorted(waivers.items())]
        findings = [
            self._finding(key, control, by_control[control], policies, risks_of_policy, d)
            for control in sorted(by_control, key=control_sort_key)
        ]
        self.observations += len(observations)
        self.findings += len(findings)
        self.not_satisfied += sum(f.target.status.state.value == "not-satisfied" for f in findings)
        self.risks += len(risks)
        counts = _outcome_counts(checks)
        commit = entry.get("commit")
        return ar.Result(
            uuid=_uuid(key, "result"),
            title=f"{kind} {stack} {decision}",
            description=(
                f"{_KIND_TEXT.get(kind, kind)} of stack {stack} ({entry.get('environment')} rules) by {entry.get('actor')} "
                f"at commit {commit or 'unknown'}{' (uncommitted changes)' if entry.get('dirty') else ''}: decision {decision}. "
                f"{entry.get('policies_evaluated', len(policies))} policies evaluated on {len(components)} resources in "
                f"{len(checks)} checks: {counts['pass']} passed, {counts['fail'] + counts['advisory']} failed "
                f"({counts['advisory']} advisory), {counts['waived']} waived, {counts['unverified']} unverified. "
                f"Ledger entry seq {entry['seq']}; evidence {entry['report_path']} (SHA-256 {entry['report_sha256']})."
            ),
            start=when,
            end=when,
            props=_props(
                _prop("kind", kind),
                _prop("stack", stack),
                _prop("environment", entry.get("environment")),
                _prop("decision", decision),
                _prop("commit", commit),
                _prop("git-dirty", None if entry.get("dirty") is None else str(bool(entry["dirty"])).lower()),
                _prop("branch", entry.get("branch")),
                _prop("actor", entry.get("actor")),
                _prop("decision-id", entry.get("decision_id")),
                _prop("ledger-seq", entry["seq"]),
                _prop("ledger-hash", key),
                _prop("evidence-path", entry["report_path"]),
                _prop("evidence-sha256", entry["report_sha256"]),
                _prop("policy-bundle-sha256", entry.get("policy_bundle_sha256")),
                _prop("engine", entry.get("engine")),
                _prop("require-verified", str(bool(entry.get("require_verified"))).lower()),
            ),
            links=[
                common.Link(
                    href=f"#{self._evidence_uuid(entry['report_sha256'])}", rel="reference", text="Evidence: the canonical policy report"
                )
            ],
            local_definitions=ar.LocalDefinitions1(
                components=[components[urn] for urn in sorted(components)] or None,
                assessment_assets=self._assets(key, tool, entry),
            ),
            reviewed_controls=self._reviewed_controls(d, policies, by_control),
            observations=observations or None,
            risks=risks or None,
            findings=findings or None,
        )

    def _assets(self, key: str, tool: str, entry: Mapping[str, Any]) -> common.AssessmentAssets:
        return common.AssessmentAssets(
            components=[
                common.SystemComponent(
                    uuid=tool,
                    type="software",
                    title=f"mlops {__version__}",
                    description=(
                        "The mlops policy gate: evaluates the project's Rego policy bundle on every resource of the stack "
                        f"({entry.get('engine') or 'unknown'} engine) and records each decision in the hash-chained audit ledger."
                    ),
                    props=_props(_prop("tool-version", __version__), _prop("engine", entry.get("engine"))),
                    status=common.Status(state="operational"),
                )
            ],
            assessment_platforms=[
                common.AssessmentPlatform(
                    uuid=_uuid(key, "platform"),
                    title="mlops policy gate",
                    uses_components=[common.UsesComponent(component_uuid=tool)],
                )
            ],
        )

    def _component(self, key: str, kind: str, urn: str, check: Mapping[str, Any]) -> common.SystemComponent:
        name = urn.rsplit("::", 1)[-1]
        kind_state = (
            common.Status(state="operational", remarks="Deployed, as read by mlops scan.")
            if kind == "scan"
            else common.Status(state="other", remarks="As planned: the gate evaluated the Pulumi plan before any deployment.")
        )
        model = check.get("model")
        return common.SystemComponent(
            uuid=_uuid(key, "component", urn),
            type="service",
            title=urn,
            description=f"Pulumi resource {name} ({check.get('type') or 'unknown type'})" + (f" of model {model}" if model else ""),
            props=_props(_prop("resource-urn", urn), _prop("resource-type", check.get("type")), _prop("model", model)),
            status=kind_state,
        )

    def _observation(
        self,
        d: Decision,
        obs_uuid: str,
        tool: str,
        when: datetime,
        check: Mapping[str, Any],
        policy: Mapping[str, Any],
        finding: Mapping[str, Any] | None,
        waiver: Any,
        subject: str,
    ) -> common.Observation:
        policy_id, urn, outcome = str(check.get("policy_id")), str(check.get("resource")), str(check.get("outcome"))
        name = urn.rsplit("::", 1)[-1]
        message = _one_line(finding.get("message")) if finding and finding.get("message") else ""
        location = finding.get("location") if finding and isinstance(finding.get("location"), Mapping) else None
        where = f"{location.get('file')}:{location.get('line')}" if location else None
        description = (
            f"Policy {policy_id} ({_one_line(policy.get('title') or 'untitled')}) on {check.get('type') or 'resource'} {name}: "
            f"{_OUTCOME_TEXT.get(outcome, outcome)}." + (f" {message}" if message else "")
        )
        waived = isinstance(waiver, Mapping)
        return common.Observation(
            uuid=obs_uuid,
            title=f"{policy_id} {outcome} on {name}",
            description=description,
            props=_props(
                _prop("policy-id", policy_id),
                _prop("outcome", outcome),
                _prop("severity", policy.get("severity")),
                _prop("enforcement", policy.get("enforcement")),
                _prop("resource-type", check.get("type")),
                _prop("model", check.get("model")),
                _prop("waived", "true") if waived else None,
                _prop("waiver-approver", waiver.get("approver")) if waived else None,
                _prop("waiver-expires", waiver.get("expires")) if waived else None,
                _prop("waiver-source", waiver.get("source")) if waived else None,
                _prop("fix-location", where),
            ),
            methods=["TEST"],
            origins=[common.Origin(actors=[common.OriginActor(type="tool", actor_uuid=tool)])],
            subjects=[common.SubjectReference(subject_uuid=subject, type="component", title=urn)],
            relevant_evidence=[
                common.RelevantEvidence(
                    href=d.href,
                    description=(
                        f"The canonical policy report of ledger seq {d.entry['seq']}: its `checks` entry for policy {policy_id} "
                        "and this resource" + (", and the finding with the message and where to fix it" if finding else "") + "."
                    ),
                    props=_props(_prop("evidence-sha256", d.entry["report_sha256"])),
                )
            ],
            collected=when,
            remarks=(f"{message}" + (f" Fix at {where}." if where else "")) if message else None,
        )

    def _risk(self, w: _Waiver, policy: Mapping[str, Any], tool: str) -> common.Risk:
        waiver = w.waiver
        approver = _one_line(waiver.get("approver") or "unknown")
        self.approvers.add(approver)
        selector = f"model {waiver.get('model')}" if waiver.get("model") else f"resource {waiver.get('resource')}"
        expires = str(waiver.get("expires"))
        try:
            deadline = datetime.combine(date.fromisoformat(expires), time(23, 59, 59), tzinfo=timezone.utc)
        except ValueError:
            deadline = None
        controls = ", ".join(policy.get("controls") or []) or "no control"
        environments = waiver.get("environments")
        return common.Risk(
            uuid=w.uuid,
            title=f"Waiver of {w.policy_id} for {selector}",
            description=f"Approved waiver. Reason: {_one_line(waiver.get('reason') or 'none given')}",
            statement=(
                f"{len(w.observations)} resource(s) do not meet policy {w.policy_id} "
                f"({_one_line(policy.get('title') or 'untitled')}; {controls}). The gate accepted them under a waiver "
                f"approved by {approver} until {expires} ({waiver.get('source')})."
            ),
            props=_props(
                _prop("policy-id", w.policy_id),
                _prop("approver", approver),
                _prop("approver-party-uuid", self._party_uuid(approver)),
                _prop("waiver-expires", expires),
                _prop("waiver-source", waiver.get("source")),
                _prop("waiver-selector", selector),
                _prop("waiver-environments", ", ".join(environments) if isinstance(environments, list) and environments else "all"),
            ),
            status="deviation-approved",
            origins=[common.Origin(actors=[common.OriginActor(type="tool", actor_uuid=tool)])],
            deadline=deadline,
            related_observations=[common.RelatedObservation(observation_uuid=o) for o in w.observations],
        )

    def _finding(
        self,
        key: str,
        control: str,
        observed: list[tuple[str, str]],
        policies: Mapping[str, Mapping[str, Any]],
        risks_of_policy: Mapping[str, list[str]],
        d: Decision,
    ) -> common.Finding:
        tally = ControlTally()
        for _, outcome in observed:
            tally.add_outcome(outcome)
        mapped = [pid for pid in sorted(policies) if control in (policies[pid].get("controls") or [])]
        satisfied = tally.failed == 0 and tally.unverified == 0
        if satisfied:
            reason, remarks = "pass", (
                f"Every check passed; {tally.waived} waived under approved deviations (related risks)." if tally.waived else "Every check passed."
            )
        elif tally.failed:
            reason = "fail"
            remarks = f"{tally.failed} check(s) failed ({tally.advisory} advisory: reported, did not block)." + (
                f" {tally.unverified} more could not be verified." if tally.unverified else ""
            )
        else:
            reason = "other"
            remarks = (
                f"Unverified: {tally.unverified} check(s) lacked a fact the policy needs (for example live registry facts in an "
                "offline plan), so the control is not shown to be satisfied."
            )
        risks = sorted({r for pid in mapped for r in risks_of_policy.get(pid, [])})
        framework = control.partition(":")[0]
        state = "satisfied" if satisfied else "not-satisfied"
        return common.Finding(
            uuid=_uuid(key, "finding", control),
            title=f"{control} {state}",
            description=(
                f"{tally.checked} check(s) of {d.entry['kind']} {d.entry.get('stack')} by the policies mapped to {control} "
                f"({', '.join(mapped)}): {tally.passed} passed, {tally.failed} failed ({tally.advisory} advisory), "
                f"{tally.waived} waived, {tally.unverified} unverified."
            ),
            props=_props(
                _prop("control-id", control),
                _prop("framework", framework),
                *(_prop(name, value) for name, value in tally.to_dict().items()),
                *(_prop("policy-id", pid) for pid in mapped),
            ),
            target=common.FindingTarget(
                type="objective-id",
                target_id=self.tokens[control],
                title=control,
                status=common.ObjectiveStatus(state=state, reason=reason, remarks=remarks),
            ),
            related_observations=[common.RelatedObservation(observation_uuid=o) for o, _ in observed],
            related_risks=[common.AssociatedRisk(risk_uuid=r) for r in risks] or None,
        )

    def _reviewed_controls(
        self, d: Decision, policies: Mapping[str, Mapping[str, Any]], by_control: Mapping[str, Any]
    ) -> common.ReviewedControls:
        enforced = [p for p in policies.values() if p.get("enforcement") != "disabled"]
        mapped = {c for p in enforced for c in p.get("controls") or []}
        reviewed = sorted(by_control or mapped, key=control_sort_key)
        if not reviewed:
            raise InputError(
                f"evidence report {d.evidence} of ledger seq {d.entry['seq']} maps no control to its policies: "
                "an OSCAL result must name the controls it reviewed"
            )
        unchecked = sorted(mapped - set(by_control), key=control_sort_key)
        return common.ReviewedControls(
            description=(
                "The controls mapped by the policies that checked at least one resource. Control ids are written as tokens: "
                "NIST SP 800-53 as in NIST's OSCAL catalog (si-4.5), others <framework>_<id>; each finding's title and "
                "control-id prop give the id as the policies write it."
            ),
            control_selections=[
                common.ControlSelections(include_controls=[common.SelectControlById(control_id=self.tokens[c]) for c in reviewed])
            ],
            remarks=(
                ("Mapped only by policies that applied to no resource in this decision (not assessed): " + ", ".join(unchecked) + ".")
                if by_control
                else "No policy applied to any resource in this decision: these are the controls its policies map to, none assessed."
            )
            if unchecked
            else None,
        )


def _outcome_counts(checks: list[Mapping[str, Any]]) -> dict[str, int]:
    counts = dict.fromkeys(("pass", "fail", "advisory", "waived", "unverified"), 0)
    for check in checks:
        outcome = str(check.get("outcome"))
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts
