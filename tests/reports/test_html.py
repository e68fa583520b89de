"""The HTML audit report: self-contained, every framework's controls with per-resource evidence, the waivers."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

import pytest

from mlops.reports import render_html
from mlops.reports.view import FRAMEWORKS

from .conftest import fixture_report

VOID = {"meta", "br", "link", "img", "input", "hr", "source"}


@dataclass
class Node:
    tag: str
    attrs: dict[str, str | None]
    items: list[Node | str] = field(default_factory=list)  # child elements and text, in document order

    @property
    def children(self) -> list[Node]:
        return [item for item in self.items if isinstance(item, Node)]

    def all(self, tag: str | None = None, **attrs: str) -> list[Node]:
        found = []
        for child in self.children:
            if (tag is None or child.tag == tag) and all(child.attrs.get(k) == v for k, v in attrs.items()):
                found.append(child)
            found.extend(child.all(tag, **attrs))
        return found

    def one(self, tag: str | None = None, **attrs: str) -> Node:
        (found,) = self.all(tag, **attrs)
        return found

    def content(self) -> str:
        """The element's text as a reader sees it, whitespace collapsed."""
        return " ".join("".join(item if isinstance(item, str) else f" {item.content()} " for item in self.items).split())


class TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("document", {})
        self.stack = [self.root]
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, dict(attrs))
        self.tags.append((tag, node.attrs))
        self.stack[-1].items.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack[-1].tag == tag, f"</{tag}> closes <{self.stack[-1].tag}>"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.stack[-1].items.append(data)


def parse(text: str) -> TreeBuilder:
    builder = TreeBuilder()
    builder.feed(text)
    builder.close()
    assert builder.stack == [builder.root], "unclosed elements"
    return builder


@pytest.fixture(scope="module")
def page() -> TreeBuilder:
    return parse(render_html(fixture_report()))


def test_self_contained_no_scripts_no_external_assets(page: TreeBuilder) -> None:
    text = render_html(fixture_report())
    tags = {tag for tag, _ in page.tags}
    assert not tags & {"script", "link", "img", "iframe", "object", "embed"}
    assert "src=" not in text and 'href="http' not in text and "url(" not in text and "@import" not in text
    assert all(not (attrs.get("href") or "#").startswith(("http", "//")) for _, attrs in page.tags)
    assert page.root.one("style") is not None


def test_header_records_stack_commit_time_version_hashes_and_decision(page: TreeBuilder) -> None:
    header = page.root.one("header").content()
    report = fixture_report()
    for expected in (
        "Policy report: stack prod",
        "Commit 4e254c7d0b9a1c2e3f405162738495a6b7c8d9e0",
        "Working tree clean",
        "Generated (UTC) 2026-03-02T10:15:00Z",
        "Tool mlops 0.1.0",
        f"Policy bundle SHA-256 {report['metadata']['sha256']['policy_bundle']}",
        f"Model specs SHA-256 {report['metadata']['sha256']['specs']}",
        f"Plan SHA-256 {report['metadata']['sha256']['plan']}",
        "Environment prod",
    ):
        assert expected in header
    assert page.root.one(id="decision").content() == "FAIL"


def test_every_framework_lists_its_controls_with_per_resource_evidence(page: TreeBuilder) -> None:
    report = fixture_report()
    for prefix, _name in FRAMEWORKS:
        expected = sorted({c for p in report["policies"] for c in p["controls"] if c.startswith(prefix + ":")})
        section = page.root.one("section", id=f"framework-{prefix}")
        shown = sorted(d.attrs["data-control"] for d in section.all("details"))
        assert shown == expected, prefix
        summary = [row.all("td")[0].content() for row in section.one("table", **{"class": "control-summary"}).all("tr")[1:]]
        assert sorted(f"{prefix}:{c}" for c in summary) == expected
    capture = page.root.one("details", **{"data-control": "HIPAA:164.312(b)"})
    assert "open" in capture.attrs  # a failing control is open
    assert "2 resources checked: 1 fail, 1 pass." in capture.content()
    (row,) = [r.content() for r in capture.one("table", **{"class": "evidence"}).all("tr")[1:]]
    assert row.startswith("scoring-api-serving-config scoring-api aws:sagemaker/endpointConfiguration:EndpointConfiguration fail Endpoint configuration")
    assert row.endswith("(fix in models/scoring-api.yaml:47 )")  # content() spaces out inline elements
    link = capture.one("a")
    assert link.attrs["href"] == "#policy-endpoint-data-capture"


def test_evidence_by_policy_lists_every_checked_resource_once(page: TreeBuilder) -> None:
    report = fixture_report()
    section = page.root.one("section", id="evidence")
    assert [d.attrs["id"] for d in section.all("details")] == [f"policy-{p['id']}" for p in sorted(report["policies"], key=lambda p: p["id"])]
    rows = [r for d in section.all("details") for t in d.all("table") for r in t.all("tr")[1:]]
    assert len(rows) == len(report["checks"])
    capture = [r.content() for r in page.root.one("details", id="policy-endpoint-data-capture").one("table").all("tr")[1:]]
    assert capture[0].startswith("scoring-api-serving-config scoring-api aws:sagemaker/endpointConfiguration:EndpointConfiguration fail")
    assert capture[1] == "fraud-detector-serving-config fraud-detector aws:sagemaker/endpointConfiguration:EndpointConfiguration pass"
    assert "Disabled in this environment" in page.root.one("details", id="policy-sns-topic-encryption").content()


def test_control_outcomes_cover_waived_unverified_and_disabled(page: TreeBuilder) -> None:
    availability = page.root.one("details", **{"data-control": "SOC2:A1.2"})
    assert "open" not in availability.attrs
    assert "waived" in availability.one("summary").content()
    change_mgmt = page.root.one("details", **{"data-control": "SOC2:CC8.1"})
    assert "unverified" in change_mgmt.content() and "fail" in change_mgmt.one("summary").content()
    encryption = page.root.one("details", **{"data-control": "SOC2:CC6.1"})
    assert "Disabled in this environment: not evaluated." in encryption.content()


def test_waivers_in_effect_and_expired(page: TreeBuilder) -> None:
    applied = page.root.one("section", id="waivers").content()
    assert "endpoint-min-instances model fraud-detector in prod cto@example.com 2999-12-31 Partner traffic stays below" in applied
    assert "policies/waivers.yaml:15" in applied
    expired = page.root.one("section", id="waivers-expired").content()
    assert "endpoint-data-capture" in expired and "ciso@example.com 2024-01-31" in expired
    assert "scoring-api-serving-config" in expired


def test_findings_and_changes(page: TreeBuilder) -> None:
    findings = page.root.one("section", id="findings")
    assert len(findings.one("table").all("tr")) == 1 + 5
    assert "models/scoring-api.yaml:41" in findings.content()
    changes = page.root.one("section", id="changes").content()
    assert "data loss replace" in changes and "feature group acme-prod-fraud-detector-transactions are dropped" in changes


def test_report_text_is_escaped() -> None:
    text = render_html(fixture_report())
    assert "<legacy>" not in text and "&lt;legacy&gt; &amp; old" in text
    report = fixture_report()
    report["violations"][0]["message"] = '<script>alert("x")</script>'
    assert "<script>" not in render_html(report)


def test_same_report_same_bytes() -> None:
    assert render_html(fixture_report()) == render_html(fixture_report())
