"""The audit report: per-control aggregation over a period across stacks, Markdown and self-contained HTML."""

from __future__ import annotations

import json
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import pytest

from mlops.audit.ledger import append_entry, gate_entry
from mlops.audit.report import LedgerTamperedError, build_audit_report, render_html, render_markdown, write_audit_report
from mlops.errors import ExitCode

from .ledgers import at, lines, passing_report, prod_report, record_gate, rewrite

MARCH = {"since": date(2025, 3, 1), "until": date(2025, 3, 31)}


@pytest.fixture
def audited(tmp_path: Path) -> Path:
    """A project whose ledger holds decisions for dev and prod, some outside March 2025."""
    project = tmp_path / "project"
    ledger = project / "reports" / "audit-ledger.jsonl"
    record_gate(ledger, project, passing_report(), at("2025-02-28", 23))  # seq 1: before the period
    record_gate(ledger, project, passing_report(), at("2025-03-01", 0))  # seq 2: first instant of the period
    record_gate(ledger, project, prod_report(), at("2025-03-04"), actor="alice@example.com")  # seq 3
    append_entry(ledger, {"kind": "promotion", "model": "fraud-detector", "to": "prod"}, now=at("2025-03-05"))  # seq 4
    second = prod_report()
    second["metadata"]["git"] = {"commit": "9" * 40, "dirty": True, "branch": "fix"}
    record_gate(ledger, project, second, at("2025-03-31", 23), actor="bob@example.com")  # seq 5: overwrites seq 3's report
    later = prod_report()
    later["metadata"]["generated_at"] = "2025-04-01T08:00:00Z"
    path = project / "reports" / "later" / "policy-report.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(later))
    append_entry(  # seq 6: after the period
        ledger, gate_entry(later, path, "0" * 64, "carol@example.com", base=project), now=at("2025-04-01")
    )
    return project


def build(project: Path, framework: str | None = None):
    return build_audit_report(
        project / "reports" / "audit-ledger.jsonl",
        framework=framework,
        project_dir=project,
        output_dir=project / "reports" / "audit",
        **MARCH,
    )


def test_controls_are_aggregated_across_stacks_within_the_period(audited: Path) -> None:
    report = build(audited)

    assert report.ledger_entries == 6
    assert [e.seq for e in report.evidence] == [2, 3, 5]
    assert report.other_entries == {"promotion": 1}
    assert [(s.stack, s.environment, dict(s.decisions)) for s in report.stacks] == [
        ("dev", "dev", {"pass": 1}),
        ("prod", "prod", {"fail": 2}),
    ]
    rows = {r.control: r for r in report.controls}
    # dev: 4 passes; each prod decision: 2 passes, 1 failure, 1 waiver
    assert rows["SOC2:A1.2"].tally.to_dict() == {"checked": 12, "passed": 8, "failed": 2, "advisory": 0, "waived": 2, "unverified": 0}
    assert rows["SOC2:C1.1"].tally.to_dict() == {"checked": 6, "passed": 4, "failed": 2, "advisory": 2, "waived": 0, "unverified": 0}
    assert rows["SOC2:CC8.1"].tally.to_dict() == {"checked": 3, "passed": 1, "failed": 0, "advisory": 0, "waived": 0, "unverified": 2}
    assert rows["SOC2:A1.2"].stacks == {"dev", "prod"}
    assert [e.seq for e in rows["SOC2:A1.2"].not_passed] == [3, 5]
    assert rows["SOC2:CC6.1"].not_passed == []
    prod = next(s for s in report.stacks if s.stack == "prod")
    assert prod.controls["SOC2:A1.2"].to_dict() == {"checked": 8, "passed": 4, "failed": 2, "advisory": 0, "waived": 2, "unverified": 0}
    assert prod.last is not None and prod.last.seq == 5 and prod.last.actor == "bob@example.com"
    [waiver] = report.waivers
    assert (waiver.policy_id, waiver.selector, waiver.approver, waiver.expires, waiver.decisions, waiver.stacks) == (
        "endpoint-min-instances", "model churn-predictor", "cto@example.com", "2999-12-31", 2, {"prod"}
    )


def test_a_framework_filter_keeps_only_its_controls(audited: Path) -> None:
    report = build(audited, "soc2")
    assert [r.control for r in report.controls] == ["SOC2:A1.2", "SOC2:C1.1", "SOC2:CC6.1", "SOC2:CC8.1"]
    assert [r.control for r in build(audited, "nist-800-53").controls] == [
        "NIST800-53:CM-2", "NIST800-53:CM-3", "NIST800-53:CM-8", "NIST800-53:CP-9",
        "NIST800-53:RA-2", "NIST800-53:SC-5(2)", "NIST800-53:SC-28",
    ]
    assert {r.control.split(":")[0] for r in build(audited, "hipaa").controls} == {"HIPAA"}
    # decisions are evidence whatever the filter
    assert [e.seq for e in report.evidence] == [2, 3, 5]


def test_evidence_links_carry_the_recorded_hash_and_whether_the_file_still_matches(audited: Path) -> None:
    evidence = {e.seq: e for e in build(audited).evidence}
    assert evidence[2].link == "../dev/policy-report.json" and evidence[2].file_status == "unchanged"
    assert evidence[3].link == "../prod/policy-report.json" and evidence[3].file_status == "changed"  # overwritten by seq 5
    assert evidence[5].file_status == "unchanged"
    assert (evidence[5].commit, evidence[5].dirty) == ("9" * 40, True)
    (audited / "reports" / "dev" / "policy-report.json").unlink()
    assert build(audited).evidence[0].file_status == "missing"


def test_markdown_lists_each_control_with_links_to_the_decisions_where_it_did_not_pass(audited: Path) -> None:
    text = render_markdown(build(audited, "soc2"))
    rows = text.splitlines()
    assert rows[0] == "# Audit report 2025-03-01 to 2025-03-31"
    assert "- **Framework**: SOC2 (soc2)" in rows
    assert "- **Gate decisions**: 3 across 2 stack(s) (pass 1, fail 2)" in rows
    assert "- **Other entries**: promotion 1" in rows
    assert (
        "| `SOC2:A1.2` | 12 | 8 | 2 | 2 | 0 | dev, prod | "
        "[#3 prod fail](../prod/policy-report.json), [#5 prod fail](../prod/policy-report.json) |"
    ) in rows
    assert "| `SOC2:C1.1` | 6 | 4 | 2 (2) | 0 | 0 | dev, prod | [#3 prod fail](../prod/policy-report.json), [#5 prod fail](../prod/policy-report.json) |" in rows
    assert "| `SOC2:CC6.1` | 6 | 6 | 0 | 0 | 0 | dev, prod | none |" in rows
    assert "| dev | dev | 1 | 1 | 0 | 0 | pass at 2025-03-01T00:00:00.000Z (#2) |" in rows
    assert "| prod | prod | 2 | 0 | 0 | 2 | fail at 2025-03-31T23:00:00.000Z (#5) |" in rows
    assert "| `endpoint-min-instances` | model churn-predictor | cto@example.com | 2999-12-31 | 2 | 2 | prod |" in rows
    evidence = [r for r in rows if r.startswith("| #") and not r.startswith("| # |")]
    assert len(evidence) == 3
    assert evidence[1].startswith("| #3 | 2025-03-04T12:00:00.000Z | prod | prod | fail | 3f9c2a1b7d4e | alice@example.com | [reports/prod/policy-report.json](../prod/policy-report.json) | `")
    assert evidence[1].endswith(" | changed since (now holds a later report) |")
    assert evidence[2].split(" | ")[5] == "999999999999 (dirty)"
    assert "ISO27001" not in text.split("## Controls", 1)[1].split("## Waivers used")[0]


class _Page(HTMLParser):
    """Collects tables (as rows of cell text), links and anything that would load an external asset."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self.links: list[str] = []
        self.external: list[str] = []
        self._cell: list[str] | None = None
        self._row: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "a":
            self.links.append(values.get("href") or "")
        if tag in ("script", "link", "img", "iframe") or "src" in values:
            self.external.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.tables[-1].append(self._row)
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def test_html_is_self_contained_and_links_every_decision_to_its_evidence(audited: Path) -> None:
    report = build(audited, "soc2")
    markdown, page_path = write_audit_report(report, audited / "reports" / "audit")
    assert (markdown.name, page_path.name) == ("audit-report.md", "audit-report.html")
    assert markdown.read_text(encoding="utf-8") == render_markdown(report)
    page = _Page()
    page.feed(page_path.read_text(encoding="utf-8"))

    assert page.external == []
    assert all(not link.startswith(("http:", "https:", "//")) for link in page.links)
    assert all((page_path.parent / link).resolve().is_file() for link in page.links)
    stacks, controls, *per_stack, waivers, evidence = page.tables
    assert stacks[0] == ["stack", "environment", "decisions", "pass", "pass-unverified", "fail", "last decision"]
    assert controls[0] == ["control", "checked", "passed", "failed (advisory)", "waived", "unverified", "stacks", "decisions where not passed"]
    assert controls[1] == ["SOC2:A1.2", "12", "8", "2", "2", "0", "dev, prod", "#3 prod fail, #5 prod fail"]
    assert [row[0] for row in controls[1:]] == ["SOC2:A1.2", "SOC2:C1.1", "SOC2:CC6.1", "SOC2:CC8.1"]
    assert len(per_stack) == 2 and per_stack[0][1] == ["SOC2:A1.2", "4", "4", "0", "0", "0"]
    assert waivers[1][:4] == ["endpoint-min-instances", "model churn-predictor", "cto@example.com", "2999-12-31"]
    assert [row[0] for row in evidence[1:]] == ["#2", "#3", "#5"]
    assert [row[7] for row in evidence[1:]] == ["reports/dev/policy-report.json", "reports/prod/policy-report.json", "reports/prod/policy-report.json"]
    assert [row[9] for row in evidence[1:]] == ["unchanged", "changed since (now holds a later report)", "unchanged"]
    assert len(evidence[2][8]) == 64
    # the SOC2:A1.2, C1.1 and CC8.1 rows (failed, advisory, unverified in prod) and the two prod evidence rows
    assert page.links.count("../prod/policy-report.json") == 3 * 2 + 2


def test_report_text_is_escaped_in_both_renderings(audited: Path) -> None:
    ledger = audited / "reports" / "audit-ledger.jsonl"
    evil = passing_report(stack="dev")
    evil["metadata"]["git"]["commit"] = "<script>alert(1)</script>|x"
    record_gate(ledger, audited, evil, at("2025-03-10"), actor="<b>mallory</b>|pipe")
    report = build(audited)
    page = render_html(report)
    assert "<script>" not in page and "&lt;b&gt;mallory&lt;/b&gt;|pipe" in page
    assert "&lt;b>mallory&lt;/b>\\|pipe" in render_markdown(report)


def test_an_empty_period_still_writes_a_report_that_says_so(audited: Path) -> None:
    report = build_audit_report(
        audited / "reports" / "audit-ledger.jsonl", since=date(2024, 1, 1), until=date(2024, 1, 31), framework=None,
        project_dir=audited, output_dir=audited / "reports" / "audit",
    )
    assert report.evidence == [] and report.controls == []
    text = render_markdown(report)
    assert "No gate decisions in this period." in text and "No control was checked in this period." in text


def test_a_tampered_ledger_is_refused(audited: Path) -> None:
    ledger = audited / "reports" / "audit-ledger.jsonl"
    entries = lines(ledger)
    entry = json.loads(entries[2])
    entry["decision"] = "pass"
    rewrite(ledger, [*entries[:2], (json.dumps(entry) + "\n").encode(), *entries[3:]])
    with pytest.raises(LedgerTamperedError) as caught:
        build(audited)
    assert caught.value.exit_code == ExitCode.GATE_FAILED
    assert caught.value.message == f"audit ledger {ledger} does not verify; first broken entry at {ledger}:3 (seq 3)"
    assert caught.value.problems[1] == "2 entries before it verify (head " + json.loads(entries[1])["hash"][:12] + ")"
