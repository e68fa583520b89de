"""The PR-comment Markdown: marker, decision first, only what needs acting on, long lists folded."""

from __future__ import annotations

import copy

from mlops.reports import render_markdown
from mlops.reports.markdown import FOLD_AFTER, MAX_ROWS

from .conftest import fixture_report


def sections(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("### ")]


def test_marker_then_decision_first() -> None:
    lines = render_markdown(fixture_report()).splitlines()
    assert lines[0] == "<!-- mlops-policy-report stack=prod -->"
    assert lines[1] == (
        "**Policy gate: FAIL** for stack `prod` (prod rules): 2 blocking, 1 advisory, 1 waived, 1 unverified; "
        "9 of 14 checks passed."
    )
    assert lines[3].startswith("<sub>mlops 0.1.0 · commit 4e254c7d0b9a · 2026-03-02T10:15:00Z · 7 policies, embedded engine")


def test_sections_in_reading_order() -> None:
    assert sections(render_markdown(fixture_report())) == [
        "### Failed mandatory controls (2)",
        "### Advisories (1)",
        "### Unverified controls (1)",
        "### Waivers in effect (1)",
        "### Expired waivers (1)",
        "### Resource changes",
        "### Controls",
    ]


def test_failed_controls_name_the_spec_line_to_fix() -> None:
    text = render_markdown(fixture_report())
    assert (
        "| high | `model-pinned-version` | scoring-api | `scoring-api-serving-model` | SageMaker model "
        "scoring-api-serving-model must serve a registered model package version (set registry.pinned\\_version) "
        "| `models/scoring-api.yaml:41` |"
    ) in text.splitlines()


def test_waivers_show_approver_and_expiry() -> None:
    lines = render_markdown(fixture_report()).splitlines()
    assert (
        "| `endpoint-min-instances` | model fraud-detector in prod | cto@example.com | 2999-12-31 | Partner traffic "
        "stays below 1 request/s until launch; a second instance is booked for launch week. | 1 |"
    ) in lines
    assert (
        "| `endpoint-data-capture` | resources urn:pulumi:prod::mlops-platform::\\*::scoring-api-serving-config in all "
        "environments | ciso@example.com | 2024-01-31 | Capture bucket is being migrated to the new account. | 1 |"
    ) in lines


def test_data_loss_is_called_out_and_the_change_list_folded() -> None:
    text = render_markdown(fixture_report())
    assert "**1 change(s) lose data.**" in text
    folded = text.split("<summary>3 changed resources</summary>")[1].split("</details>")[0]
    assert "| replace (data loss) | `fraud-detector-features-transactions` | fraud-detector | the online and offline" in folded


def test_text_from_the_report_cannot_inject_markup() -> None:
    text = render_markdown(fixture_report())
    assert "<legacy>" not in text
    assert '"CC-1000 &lt;legacy&gt; &amp; old" but the model\'s spec says CC-2000 \\| fix the tag' in text


def test_long_lists_are_folded_and_capped() -> None:
    report = fixture_report()
    advisory = report["violations"][3]
    report["violations"] = report["violations"][:3] + [
        {**copy.deepcopy(advisory), "resource": f"{advisory['resource']}-{i:03d}"} for i in range(MAX_ROWS + 7)
    ]
    text = render_markdown(report)
    assert f"### Advisories ({MAX_ROWS + 7})" in text
    body = text.split(f"### Advisories ({MAX_ROWS + 7})")[1].split("### ")[0]
    assert body.strip().startswith("<details>\n<summary>57 advisory findings</summary>")
    assert body.count("| low | `tag-values-consistent` |") == MAX_ROWS
    assert "… and 7 more in policy-report.html and policy-report.json." in body
    # Short tables stay open.
    assert len(report["waivers_applied"]) <= FOLD_AFTER
    assert "<summary>1 waivers</summary>" not in text


def test_a_clean_pass_is_two_lines_and_the_controls() -> None:
    report = fixture_report()
    report.update(decision="pass", violations=[], unverified=[], waivers_applied=[], waivers_expired=[], changes=None)
    report["checks"] = [{**c, "outcome": "pass"} for c in report["checks"]]
    report["counts"].update(violations=0, blocking=0, advisory=0, waived=0, unverified=0, checks_passed=14)
    text = render_markdown(report)
    assert text.splitlines()[1].startswith("**Policy gate: PASS** for stack `prod` (prod rules): 0 blocking")
    assert sections(text) == ["### Controls"]
    assert "| SOC 2 | 6 | 6 | none |" in text


def test_same_report_same_bytes() -> None:
    assert render_markdown(fixture_report()) == render_markdown(fixture_report())


def test_a_huge_report_still_fits_in_one_comment() -> None:
    from mlops.reports.markdown import MAX_CHARS

    report = fixture_report()
    blocking, advisory = report["violations"][0], report["violations"][3]
    long = " because" * 40
    report["violations"] = [
        {**copy.deepcopy(v), "resource": f"{v['resource']}-{i:04d}", "message": v["message"] + long}
        for v in (blocking, advisory) for i in range(400)
    ]
    text = render_markdown(report)
    assert len(text) <= MAX_CHARS
    assert "### Failed mandatory controls (400)" in text and "### Advisories (400)" in text
    assert "more in policy-report.html and policy-report.json." in text
