"""The canonical report's JSON Schema: the fixture is valid, broken reports are refused with the field and the fix."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from mlops.errors import InputError
from mlops.reports import FORMAT_VERSION, load_report, report_schema, schema_problems

from .conftest import fixture_report


def test_the_schema_is_valid_draft_2020_12() -> None:
    schema = report_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["properties"]["formatVersion"] == {"const": FORMAT_VERSION, "description": schema["properties"]["formatVersion"]["description"]}


def test_the_fixture_report_is_valid() -> None:
    assert schema_problems(fixture_report()) == []


@pytest.mark.parametrize(
    ("break_it", "expected"),
    [
        (lambda r: r.pop("metadata"), "(top level): 'metadata' is a required property"),
        (lambda r: r.update(decision="maybe"), "decision: 'maybe' is not one of ['pass', 'fail', 'pass-unverified']"),
        (lambda r: r["violations"][0].pop("location"), "violations[0]: 'location' is a required property"),
        (lambda r: r["violations"][0]["location"].update(line=0), "violations[0].location.line: 0 is less than the minimum of 1"),
        (lambda r: r["checks"][0].update(outcome="ok"), "checks[0].outcome: 'ok' is not one of"),
        (lambda r: r["policies"][0]["controls"].append("PCI:1.2"), "policies[0].controls[6]: 'PCI:1.2' does not match"),
        (lambda r: r["metadata"]["git"].update(commit="HEAD"), "metadata.git.commit: 'HEAD' does not match"),
        (lambda r: r["waivers_applied"][0].pop("approver"), "waivers_applied[0]: 'approver' is a required property"),
        (lambda r: r["violations"][2]["waiver"].update(note="x"), "violations[2].waiver: Additional properties are not allowed ('note' was unexpected)"),
        (lambda r: r.update(extra=1), "(top level): Additional properties are not allowed ('extra' was unexpected)"),
    ],
)
def test_a_broken_report_names_the_field(break_it, expected: str) -> None:
    report = fixture_report()
    break_it(report)
    problems = schema_problems(report)
    assert any(p.startswith(expected) for p in problems), problems


def write(path: Path, document: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def test_load_report_returns_a_valid_report(tmp_path: Path) -> None:
    path = write(tmp_path / "prod" / "policy-report.json", fixture_report())
    assert load_report(path) == fixture_report()


def test_load_report_missing_file_says_how_to_create_it(tmp_path: Path) -> None:
    path = tmp_path / "prod" / "policy-report.json"
    with pytest.raises(InputError) as e:
        load_report(path)
    assert e.value.message == f"{path}: policy report not found; create it with `mlops plan --stack prod`"


def test_load_report_invalid_json_names_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "prod" / "policy-report.json"
    path.parent.mkdir()
    path.write_text('{\n  "formatVersion": 2,\n  oops\n}', encoding="utf-8")
    with pytest.raises(InputError) as e:
        load_report(path)
    assert e.value.message.startswith(f"{path}:3:3: invalid JSON: Expecting property name enclosed in double quotes;")
    assert e.value.message.endswith("re-create it with `mlops plan --stack prod`")


@pytest.mark.parametrize(("version", "found"), [(1, "1"), ("2", "'2'"), (None, "no formatVersion")])
def test_load_report_other_format_version(tmp_path: Path, version: object, found: str) -> None:
    report = fixture_report()
    if version is None:
        del report["formatVersion"]
    else:
        report["formatVersion"] = version
    path = write(tmp_path / "staging" / "policy-report.json", report)
    with pytest.raises(InputError) as e:
        load_report(path)
    assert e.value.message == (
        f"{path}: formatVersion: expected 2, found {found}; this mlops reads formatVersion 2 reports only, "
        "re-create it with `mlops plan --stack staging`"
    )


def test_load_report_schema_problems_are_listed(tmp_path: Path) -> None:
    report = fixture_report()
    report["counts"]["blocking"] = -1
    del report["unverified"][0]["message"]
    path = write(tmp_path / "prod" / "policy-report.json", report)
    with pytest.raises(InputError) as e:
        load_report(path)
    assert e.value.message == f"{path}: not a valid formatVersion 2 policy report; re-create it with `mlops plan --stack prod`"
    assert e.value.problems == [
        f"{path}: counts.blocking: -1 is less than the minimum of 0",
        f"{path}: unverified[0]: 'message' is a required property",
    ]
