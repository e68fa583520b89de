"""`mlops audit oscal`: NIST OSCAL assessment results from a ledger built by the real `mlops plan`.

Valid through compliance-trestle's model and, when the NIST JSON Schema is at hand, against it;
byte-identical on a round trip through trestle and across processes; one result per decision,
one observation per check, one finding per control; waivers as approved deviations; fail closed
on a tampered ledger or evidence report.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections import defaultdict
from dataclasses import dataclass
from functools import cached_property
from datetime import datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import regex
from trestle.oscal import OSCAL_VERSION
from trestle.oscal.assessment_results import AssessmentResults
from typer.testing import CliRunner

from mlops.audit.ledger import RESERVED_FIELDS, append_entry, file_sha256, read_entries
from mlops.audit.oscal import PROP_NS, control_token, control_tokens
from mlops.cli import app

from ..conftest import REPO, copy_project
from .ledgers import at

runner = CliRunner()
ENV = {"MLOPS_ACTOR": "ci@example.com", "MLOPS_LEDGER": ""}
ALL_TIME = ["--since", "2000-01-01", "--until", "2999-12-31"]
SCHEMA_NAME = "oscal_assessment-results_schema.json"
# The unready model's prod violations (tests/test_gate_cli.py) minus the one the test project waives.
WAIVED = "endpoint-min-instances"
BLOCKING = [
    "endpoint-autoscaling", "endpoint-blue-green-rollback", "endpoint-data-capture", "endpoint-model-monitoring",
    "model-manual-approval", "model-pinned-version",
]
WAIVER = (
    "waivers:\n  - policy: endpoint-min-instances\n    model: scoring-api\n    environments: [prod]\n"
    "    reason: Partner traffic below 1 rps until launch\n    approver: cto@example.com\n    expires: 2999-12-31\n"
)


@dataclass(frozen=True)
class Audited:
    root: Path
    entries: list[dict[str, Any]]
    output: Path
    data: bytes
    stdout: list[str]

    @cached_property
    def doc(self) -> dict[str, Any]:
        return json.loads(self.data)["assessment-results"]

    def evidence(self, seq: int) -> dict[str, Any]:
        return json.loads((self.root / self.entries[seq - 1]["report_path"]).read_text(encoding="utf-8"))


def plan(root: Path, stack: str) -> int:
    return runner.invoke(app, ["plan", "--stack", stack, "-C", str(root)], env=ENV).exit_code


def oscal(root: Path, *args: str):
    return runner.invoke(app, ["audit", "oscal", "-C", str(root), *args], env=ENV)


@pytest.fixture(scope="module")
def audited(tmp_path_factory: pytest.TempPathFactory) -> Audited:
    """seq 1: the example models pass dev; the unready model joins them (one of its violations waived in
    prod): seq 2 fails prod (blocking, waived and unverified checks), seq 3 passes dev with advisories."""
    root = copy_project(tmp_path_factory.mktemp("oscal") / "project")
    assert plan(root, "dev") == 0
    shutil.copy(REPO / "tests" / "fixtures" / "unready-prod" / "scoring-api.yaml", root / "models" / "scoring-api.yaml")
    (root / "policies" / "waivers.yaml").write_text(WAIVER, encoding="utf-8")
    assert plan(root, "prod") == 1
    assert plan(root, "dev") == 0
    result = oscal(root, *ALL_TIME)
    assert result.exit_code == 0, result.output
    output = root / "reports" / "audit" / "oscal-assessment-results.json"
    entries = read_entries(root / "reports" / "audit-ledger.jsonl")
    return Audited(root, entries, output, output.read_bytes(), result.stdout.splitlines())


def props(item: dict[str, Any], name: str) -> list[str]:
    assert all(p["ns"] == PROP_NS for p in item.get("props", []))
    return [p["value"] for p in item.get("props", []) if p["name"] == name]


def prop(item: dict[str, Any], name: str) -> str:
    [value] = props(item, name)
    return value


# --- validity -------------------------------------------------------------------------------------


def test_the_summary_names_results_findings_and_the_ledger_head(audited: Audited) -> None:
    doc = audited.doc
    observations = sum(len(r["observations"]) for r in doc["results"])
    findings = [f for r in doc["results"] for f in r["findings"]]
    not_satisfied = sum(f["target"]["status"]["state"] == "not-satisfied" for f in findings)
    assert audited.stdout == [
        f"OSCAL assessment results 2000-01-01 to 2999-12-31: 3 result(s) (3 gate), {observations} observations, "
        f"{len(findings)} findings ({not_satisfied} not satisfied), 1 waiver risk(s); "
        f"ledger verified, 3 entries, head {audited.entries[-1]['hash'][:12]}",
        f"wrote {audited.output}",  # the default: <project>/reports/audit/oscal-assessment-results.json
    ]


def test_trestle_reads_the_file_as_assessment_results(audited: Audited) -> None:
    model = AssessmentResults.oscal_read(audited.output)
    assert model is not None and model.metadata.model_dump(mode="json", by_alias=True)["oscal-version"] == OSCAL_VERSION
    assert len(model.results) == 3


def nist_schema() -> Path | None:
    """The NIST OSCAL assessment-results JSON Schema: $OSCAL_SCHEMA_DIR, tests/fixtures/oscal, or any installed package."""
    folders = [Path(os.environ["OSCAL_SCHEMA_DIR"])] if os.environ.get("OSCAL_SCHEMA_DIR") else []
    folders.append(REPO / "tests" / "fixtures" / "oscal")
    for folder in folders:
        if (folder / SCHEMA_NAME).is_file():
            return folder / SCHEMA_NAME
    for entry in map(Path, sys.path):
        if entry.is_dir() and entry.name == "site-packages":
            for pattern in (SCHEMA_NAME, f"*/{SCHEMA_NAME}", f"*/*/{SCHEMA_NAME}"):
                found = sorted(entry.glob(pattern))
                if found:
                    return found[0]
    return None


def _pattern(validator: Any, pattern: str, instance: Any, schema: Any):
    # The OSCAL schemas use \p{L}/\p{N}, which Python's re lacks: match them with `regex`.
    if validator.is_type(instance, "string") and not regex.search(pattern, instance):
        yield jsonschema.ValidationError(f"{instance!r} does not match {pattern!r}")


def test_valid_against_the_nist_oscal_json_schema(audited: Audited) -> None:
    path = nist_schema()
    if path is None:
        pytest.skip(f"no {SCHEMA_NAME} (NIST OSCAL {OSCAL_VERSION}) in tests/fixtures/oscal, $OSCAL_SCHEMA_DIR or site-packages")
    schema = json.loads(path.read_text(encoding="utf-8"))
    assert schema["$id"] == f"http://csrc.nist.gov/ns/oscal/{OSCAL_VERSION}/oscal-ar-schema.json"
    validator = jsonschema.validators.extend(jsonschema.Draft7Validator, {"pattern": _pattern})(
        schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER
    )
    assert [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(json.loads(audited.data))] == []


def test_a_round_trip_through_trestle_is_byte_identical(audited: Audited, tmp_path: Path) -> None:
    model = AssessmentResults.oscal_read(audited.output)
    again = tmp_path / "again.json"
    model.oscal_write(again)
    assert again.read_bytes() == audited.data


def test_every_uuid_is_unique_and_every_reference_resolves(audited: Audited) -> None:
    doc = audited.doc
    text = audited.data.decode("utf-8")
    defined: list[str] = [doc["uuid"], *(r["uuid"] for r in doc["back-matter"]["resources"])]
    defined += [p["uuid"] for p in doc["metadata"]["parties"]]
    for r in doc["results"]:
        local = r["local-definitions"]
        defined += [r["uuid"], *(c["uuid"] for c in local["components"]), *(c["uuid"] for c in local["assessment-assets"]["components"])]
        defined += [p["uuid"] for p in local["assessment-assets"]["assessment-platforms"]]
        defined += [o["uuid"] for o in r["observations"]] + [f["uuid"] for f in r["findings"]] + [k["uuid"] for k in r.get("risks", [])]
        components = {c["uuid"] for c in local["components"]}
        tools = {c["uuid"] for c in local["assessment-assets"]["components"]}
        observations, risks = {o["uuid"] for o in r["observations"]}, {k["uuid"] for k in r.get("risks", [])}
        assert all(s["subject-uuid"] in components for o in r["observations"] for s in o["subjects"])
        assert all(a["actor-uuid"] in tools for o in [*r["observations"], *r.get("risks", [])] for g in o["origins"] for a in g["actors"])
        assert all(x["observation-uuid"] in observations for f in [*r["findings"], *r.get("risks", [])] for x in f["related-observations"])
        assert all(x["risk-uuid"] in risks for f in r["findings"] for x in f.get("related-risks", []))
        assert {link["href"][1:] for link in r["links"]} <= {res["uuid"] for res in doc["back-matter"]["resources"]}
    assert len(defined) == len(set(defined))
    assert all(u[14] == "5" for u in defined), "version-5 (name-based) UUIDs only"
    assert doc["import-ap"]["href"] == f"#{doc['back-matter']['resources'][0]['uuid']}"
    assert text.count(doc["uuid"]) == 1


# --- content --------------------------------------------------------------------------------------


def test_metadata_names_the_tool_the_ledger_head_and_the_policy_bundle(audited: Audited) -> None:
    meta = audited.doc["metadata"]
    head = audited.entries[-1]
    assert meta["title"] == "mlops policy gate assessment results, 2000-01-01 to 2999-12-31"
    assert meta["oscal-version"] == OSCAL_VERSION
    assert meta["last-modified"] == datetime.fromisoformat(head["timestamp"].replace("Z", "+00:00")).isoformat(timespec="milliseconds")
    assert meta["version"] == f"ledger-3-{head['hash'][:12]}"
    assert (prop(meta, "tool"), prop(meta, "tool-version"), prop(meta, "ledger-head-sha256")) == ("mlops", "0.1.0", head["hash"])
    assert props(meta, "policy-bundle-sha256") == sorted({e["policy_bundle_sha256"] for e in audited.entries})
    [plan_resource] = [r for r in audited.doc["back-matter"]["resources"] if r["uuid"] == audited.doc["import-ap"]["href"][1:]]
    assert plan_resource["rlinks"] == [{"href": "../../policies/"}]
    assert (audited.output.parent / "../../policies/enforcement.yaml").is_file()


def test_one_result_per_decision_at_its_ledger_time(audited: Audited) -> None:
    results = audited.doc["results"]
    assert [r["title"] for r in results] == ["gate dev pass", "gate prod fail", "gate dev pass"]
    for result, entry in zip(results, audited.entries, strict=True):
        when = datetime.fromisoformat(entry["timestamp"].replace("Z", "+00:00"))
        assert datetime.fromisoformat(result["start"]) == datetime.fromisoformat(result["end"]) == when
        assert [prop(result, n) for n in ("stack", "environment", "decision", "actor")] == [
            entry["stack"], entry["environment"], entry["decision"], "ci@example.com"
        ]
        assert [prop(result, n) for n in ("ledger-seq", "ledger-hash", "evidence-sha256", "policy-bundle-sha256")] == [
            str(entry["seq"]), entry["hash"], entry["report_sha256"], entry["policy_bundle_sha256"]
        ]
        assert props(result, "commit") == ([entry["commit"]] if entry["commit"] else [])


def test_one_observation_per_check_pointing_at_the_evidence_and_its_hash(audited: Audited) -> None:
    for seq, result in enumerate(audited.doc["results"], start=1):
        checks = audited.evidence(seq)["checks"]
        observations = result["observations"]
        assert sorted((prop(o, "policy-id"), o["subjects"][0]["title"], prop(o, "outcome")) for o in observations) == sorted(
            (c["policy_id"], c["resource"], c["outcome"]) for c in checks
        )
        components = {c["uuid"]: c for c in result["local-definitions"]["components"]}
        assert sorted(c["title"] for c in components.values()) == sorted({c["resource"] for c in checks})
        for o in observations:
            assert o["methods"] == ["TEST"]
            [subject] = o["subjects"]
            assert subject["type"] == "component" and components[subject["subject-uuid"]]["title"] == subject["title"]
            [evidence] = o["relevant-evidence"]
            assert prop(evidence, "evidence-sha256") == audited.entries[seq - 1]["report_sha256"]
            assert file_sha256(audited.output.parent / evidence["href"]) == prop(evidence, "evidence-sha256")


def not_passed_controls(report: dict[str, Any]) -> dict[str, set[str]]:
    """Per control, the outcomes of its checks other than pass and waived: the oracle for not-satisfied."""
    controls_of = {p["id"]: p["controls"] for p in report["policies"]}
    outcomes: dict[str, set[str]] = defaultdict(set)
    for check in report["checks"]:
        for control in controls_of[check["policy_id"]]:
            outcomes[control].add(check["outcome"])
    return {c: o - {"pass", "waived"} for c, o in outcomes.items()}


def test_findings_per_control_follow_the_checks(audited: Audited) -> None:
    prod = audited.evidence(2)
    controls_of = {p["id"]: p["controls"] for p in prod["policies"]}
    states = {}
    for seq, result in enumerate(audited.doc["results"], start=1):
        expected = not_passed_controls(audited.evidence(seq))
        findings = {f["title"].rsplit(" ", 1)[0]: f for f in result["findings"]}
        assert sorted(findings) == sorted(expected)
        for control, finding in findings.items():
            target = finding["target"]
            assert (target["type"], target["target-id"], target["title"]) == ("objective-id", control_token(control), control)
            assert prop(finding, "control-id") == control
            bad = expected[control]
            reason = "pass" if not bad else ("fail" if bad & {"fail", "advisory"} else "other")
            assert (target["status"]["state"], target["status"]["reason"]) == ("not-satisfied" if bad else "satisfied", reason)
        states[seq] = {c: f["target"]["status"]["state"] for c, f in findings.items()}
    # The unready model's blocking policies leave every control they map to not satisfied in prod ...
    blocked = {c for policy in BLOCKING for c in controls_of[policy]}
    assert {states[2][c] for c in blocked} == {"not-satisfied"}
    # ... offline, the registry controls are unverified: not satisfied, with the reason "other" and a remark.
    unverified = {c for c, bad in not_passed_controls(prod).items() if bad == {"unverified"}}
    assert unverified and {states[2][c] for c in unverified} == {"not-satisfied"}
    remark = next(f for f in audited.doc["results"][1]["findings"] if f["target"]["title"] in unverified)["target"]["status"]
    assert remark["reason"] == "other" and remark["remarks"].startswith("Unverified: ")
    # The waived policy's controls that nothing else fails stay satisfied; the dev gates pass, with advisories in seq 3.
    assert (states[2]["SOC2:A1.2"], states[2]["ISO27001:A.8.14"], states[2]["NIST800-53:SC-5(2)"]) == ("satisfied", "satisfied", "not-satisfied")
    assert set(states[1].values()) == {"satisfied"}
    assert "not-satisfied" in states[3].values()
    # reviewed-controls lists exactly the controls with findings, as tokens
    for result in audited.doc["results"]:
        [selection] = result["reviewed-controls"]["control-selections"]
        assert sorted(c["control-id"] for c in selection["include-controls"]) == sorted(f["target"]["target-id"] for f in result["findings"])


def test_each_finding_links_the_observations_of_its_controls(audited: Audited) -> None:
    result = audited.doc["results"][1]
    controls_of = {p["id"]: p["controls"] for p in audited.evidence(2)["policies"]}
    observations = {o["uuid"]: o for o in result["observations"]}
    for finding in result["findings"]:
        control = prop(finding, "control-id")
        linked = {x["observation-uuid"] for x in finding["related-observations"]}
        assert linked == {u for u, o in observations.items() if control in controls_of[prop(o, "policy-id")]}
        assert int(prop(finding, "checked")) == len(linked)


def test_an_applied_waiver_is_an_approved_deviation_linked_from_its_controls(audited: Audited) -> None:
    results = audited.doc["results"]
    assert "risks" not in results[0] and "risks" not in results[2]
    [risk] = results[1]["risks"]
    assert risk["title"] == "Waiver of endpoint-min-instances for model scoring-api"
    assert risk["status"] == "deviation-approved"
    assert risk["deadline"] == "2999-12-31T23:59:59+00:00"
    assert risk["description"] == "Approved waiver. Reason: Partner traffic below 1 rps until launch"
    assert [prop(risk, n) for n in ("policy-id", "approver", "waiver-expires", "waiver-source")] == [
        WAIVED, "cto@example.com", "2999-12-31", "policies/waivers.yaml:2"
    ]
    [party] = audited.doc["metadata"]["parties"]
    assert (party["name"], party["type"], prop(risk, "approver-party-uuid")) == ("cto@example.com", "person", party["uuid"])
    assert audited.doc["metadata"]["responsible-parties"] == [{"role-id": "waiver-approver", "party-uuids": [party["uuid"]]}]
    waived = [o for o in results[1]["observations"] if props(o, "waived") == ["true"]]
    assert [(prop(o, "policy-id"), prop(o, "outcome"), prop(o, "waiver-approver")) for o in waived] == [(WAIVED, "waived", "cto@example.com")]
    assert [x["observation-uuid"] for x in risk["related-observations"]] == [waived[0]["uuid"]]
    linking = sorted(prop(f, "control-id") for f in results[1]["findings"] if f.get("related-risks") == [{"risk-uuid": risk["uuid"]}])
    assert linking == sorted(["SOC2:A1.2", "ISO27001:A.8.14", "NIST800-53:SC-5(2)"])


def test_control_ids_become_oscal_tokens() -> None:
    controls = ("NIST800-53:SC-28", "NIST800-53:SI-4(5)", "SOC2:CC6.1", "ISO27001:A.8.24", "HIPAA:164.308(a)(1)(ii)(D)", "EU-AI-ACT:Art.12")
    assert [control_token(c) for c in controls] == ["sc-28", "si-4.5", "soc2_cc6.1", "iso27001_a.8.24", "hipaa_164.308.a.1.ii.d", "eu-ai-act_art.12"]
    tokens = control_tokens(["X:A(1)", "X:A.1", "SOC2:CC6.1"])
    assert tokens["SOC2:CC6.1"] == "soc2_cc6.1"
    assert tokens["X:A(1)"] != tokens["X:A.1"] and {tokens["X:A(1)"][:6], tokens["X:A.1"][:6]} == {"x_a.1_"}


# --- determinism and filters ----------------------------------------------------------------------


def test_separate_processes_with_different_hash_seeds_write_the_same_bytes(audited: Audited) -> None:
    outputs = []
    for seed in ("1", "4242"):
        out = audited.output.parent / f"seed-{seed}.json"
        env = {**os.environ, "PYTHONHASHSEED": seed, **ENV}
        done = subprocess.run(
            [sys.executable, "-m", "mlops", "audit", "oscal", *ALL_TIME, "-C", str(audited.root), "-o", str(out)],
            env=env, capture_output=True, text=True, check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1] == audited.data


@pytest.fixture(scope="module")
def dated(audited: Audited, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same three decisions re-recorded on 2025-03-01 (dev), 2025-03-15 (prod) and 2025-03-31 (dev)."""
    ledger = tmp_path_factory.mktemp("dated") / "ledger.jsonl"
    for entry, day in zip(audited.entries, ("2025-03-01", "2025-03-15", "2025-03-31"), strict=True):
        append_entry(ledger, {k: v for k, v in entry.items() if k not in RESERVED_FIELDS}, now=at(day))
    return ledger


@pytest.mark.parametrize(
    ("args", "seqs", "stack"),
    [
        (["--since", "2025-03-02", "--until", "2025-03-15"], [2], None),
        (["--since", "2025-03-15", "--until", "2025-03-31"], [2, 3], None),
        (["--since", "2025-03-01", "--until", "2025-03-31", "--stack", "dev"], [1, 3], "dev"),
        (["--since", "2025-03-02", "--until", "2025-03-31", "-s", "dev"], [3], "dev"),
    ],
)
def test_the_period_and_stack_select_the_results(
    audited: Audited, dated: Path, tmp_path: Path, args: list[str], seqs: list[int], stack: str | None
) -> None:
    out = audited.output.parent / f"{tmp_path.name}.json"  # next to the first export: the same evidence links
    result = oscal(audited.root, "--ledger", str(dated), "-o", str(out), *args)
    assert result.exit_code == 0, result.output
    doc = json.loads(out.read_bytes())["assessment-results"]
    assert [r["title"] for r in doc["results"]] == [("gate dev pass", "gate prod fail", "gate dev pass")[s - 1] for s in seqs]
    assert [prop(r, "ledger-seq") for r in doc["results"]] == [str(s) for s in seqs]
    assert props(doc["metadata"], "stack") == ([stack] if stack else [])
    assert (prop(doc["metadata"], "period-since"), prop(doc["metadata"], "period-until")) == (args[1], args[3])
    # the same decision keeps its observations and findings whatever the period
    first = {r["title"] + prop(r, "ledger-seq"): len(r["findings"]) for r in audited.doc["results"]}
    assert all(len(r["findings"]) == first[r["title"] + prop(r, "ledger-seq")] for r in doc["results"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--since", "2025-04-01", "--until", "2025-04-30"],
            "error: no gate or scan decision from 2025-04-01 to 2025-04-30 in {ledger} (3 entries): "
            "OSCAL assessment results need at least one result",
        ),
        (
            ["--since", "2025-03-01", "--until", "2025-03-31", "--stack", "staging"],
            "error: no gate or scan decision of stack staging from 2025-03-01 to 2025-03-31 in {ledger} (3 entries): "
            "OSCAL assessment results need at least one result",
        ),
        (["--since", "2025-03-10", "--until", "2025-03-01"], "error: --since 2025-03-10 is after --until 2025-03-01; give a period that starts before it ends"),
        (["--since", "March"], "error: --since: expected a date as YYYY-MM-DD (e.g. 2025-01-31), found 'March'"),
    ],
)
def test_a_period_without_decisions_or_a_bad_date_is_exit_2(audited: Audited, dated: Path, tmp_path: Path, args: list[str], message: str) -> None:
    out = tmp_path / "none.json"
    result = oscal(audited.root, "--ledger", str(dated), "-o", str(out), *args)
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0] == message.format(ledger=dated)
    assert not out.exists()


def test_a_scan_decision_is_a_result_about_deployed_components(audited: Audited, tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.jsonl"
    entry = {k: v for k, v in audited.entries[0].items() if k not in RESERVED_FIELDS}
    append_entry(ledger, {**entry, "kind": "promotion"}, now=at("2025-03-01"))
    append_entry(ledger, {**entry, "kind": "scan"}, now=at("2025-03-02"))
    out = audited.output.parent / f"{tmp_path.name}.json"
    result = oscal(audited.root, "--ledger", str(ledger), "--since", "2025-03-01", "--until", "2025-03-02", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("OSCAL assessment results 2025-03-01 to 2025-03-02: 1 result(s) (1 scan), ")
    [scan] = json.loads(out.read_bytes())["assessment-results"]["results"]
    assert (scan["title"], prop(scan, "kind"), prop(scan, "ledger-seq")) == ("scan dev pass", "scan", "2")
    assert scan["description"].startswith("Policy scan of the deployed resources of stack dev")
    assert {c["status"]["state"] for c in scan["local-definitions"]["components"]} == {"operational"}
    assert {c["status"]["state"] for c in audited.doc["results"][0]["local-definitions"]["components"]} == {"other"}


# --- failing closed -------------------------------------------------------------------------------


@pytest.fixture
def copy(audited: Audited, tmp_path: Path) -> Path:
    root = tmp_path / "project"
    shutil.copytree(audited.root / "reports", root / "reports")
    shutil.copytree(audited.root / "policies", root / "policies")
    return root


def test_a_tampered_evidence_report_stops_the_export_with_exit_1(audited: Audited, copy: Path) -> None:
    entry = audited.entries[1]
    evidence = copy / entry["report_path"]
    evidence.write_text(evidence.read_text(encoding="utf-8").replace('"decision": "fail"', '"decision": "pass"'), encoding="utf-8")
    out = copy / "out.json"
    result = oscal(copy, *ALL_TIME, "-o", str(out))
    assert result.exit_code == 1
    err = result.stderr.splitlines()
    assert err[0].startswith(f"error: evidence report {evidence} of ledger seq 2 (gate prod fail) does not verify: its content hashes to ")
    assert err[0].endswith(f", the ledger recorded {entry['report_sha256'][:12]}; refusing to export results from altered evidence")
    assert err[1].startswith("  the file was edited or replaced after the decision")
    assert result.stdout == "" and not out.exists()


def test_a_tampered_ledger_stops_the_export_with_exit_1(copy: Path) -> None:
    ledger = copy / "reports" / "audit-ledger.jsonl"
    lines = ledger.read_bytes().splitlines(keepends=True)
    lines[1] = lines[1].replace(b'"decision":"fail"', b'"decision":"pass"')
    ledger.write_bytes(b"".join(lines))
    out = copy / "out.json"
    result = oscal(copy, *ALL_TIME, "-o", str(out))
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == f"error: audit ledger {ledger} does not verify; first broken entry at {ledger}:2 (seq 2)"
    assert not out.exists()


def test_a_missing_evidence_report_is_exit_2_and_says_where_to_get_it(audited: Audited, copy: Path) -> None:
    evidence = copy / audited.entries[0]["report_path"]
    evidence.unlink()
    result = oscal(copy, *ALL_TIME, "-o", str(copy / "out.json"))
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"error: evidence report {evidence} of ledger seq 1 (gate dev pass) is missing; refusing to export results without their evidence",
        "  run from (or point -C at) the project the ledger belongs to, or restore the file from the CI artifacts of that run",
    ]
