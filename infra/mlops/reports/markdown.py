"""The policy report as a pull-request comment: the decision first, then only what a reviewer must act on.

Long tables are folded into `<details>` blocks and capped, so a comment stays readable (and
under the size a code host accepts); the HTML and JSON reports carry everything.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from typing import Any

from . import view

# A table longer than this is folded; failed mandatory controls stay open up to FOLD_FAILED rows.
FOLD_AFTER = 5
FOLD_FAILED = 10
# At most this many rows per table; the rest are counted and left to the HTML/JSON reports.
MAX_ROWS = 50
# Code hosts cap a comment (GitHub: 65,536 characters); tables shrink until the comment fits.
MAX_CHARS = 60_000
ROW_CAPS = (MAX_ROWS, 20, 10, 5)


def marker(stack: str) -> str:
    """The hidden line a CI job searches for to update its own comment instead of adding another."""
    return f"<!-- mlops-policy-report stack={_attr(stack)} -->"


def _attr(text: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in text)


# Characters Markdown would read as emphasis, links, code or table syntax.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_~\[\]|#])")


def cell(text: Any) -> str:
    """Plain text safe inside a table cell: no HTML, no Markdown syntax, one line."""
    value = _MARKDOWN_SPECIAL.sub(r"\\\1", html.escape(str(text), quote=False))
    return " ".join(value.split())


def code(text: Any) -> str:
    value = str(text)
    if "`" in value or "\n" in value or "|" in value:
        return cell(value)
    return f"`{value}`"


def table(headers: Sequence[str], rows: list[list[str]], *, fold_after: int, summary: str, max_rows: int = MAX_ROWS) -> list[str]:
    shown = rows[:max_rows]
    lines = ["| " + " | ".join(headers) + " |", "| " + " | ".join("---" for _ in headers) + " |"]
    lines += ["| " + " | ".join(row) + " |" for row in shown]
    if len(rows) > max_rows:
        lines += ["", f"… and {len(rows) - max_rows} more in policy-report.html and policy-report.json."]
    if len(rows) <= fold_after:
        return lines
    return ["<details>", f"<summary>{cell(summary)}</summary>", "", *lines, "", "</details>"]


def _finding_rows(found: list[view.Finding]) -> list[list[str]]:
    return [
        [
            cell(f.item["severity"]),
            code(f.item["policy_id"]),
            cell(f.item["model"] or "shared"),
            code(view.resource_name(f.item["resource"])),
            cell(f.item["message"]),
            code(f.location),
        ]
        for f in found
    ]


FINDING_HEADERS = ("severity", "policy", "model", "resource", "finding", "fix in")


def _section(title: str, count: int, body: list[str]) -> list[str]:
    return ["", f"### {title} ({count})", "", *body]


def render_markdown(report: Mapping[str, Any]) -> str:
    """The comment, with as many table rows as fit under MAX_CHARS."""
    for cap in ROW_CAPS:
        text = _render(report, cap)
        if len(text) <= MAX_CHARS:
            break
    return text


def _render(report: Mapping[str, Any], cap: int) -> str:
    meta = report["metadata"]
    lines = [
        marker(report["stack"]),
        f"**Policy gate: {view.decision_words(report)}** for stack {code(report['stack'])} "
        f"({cell(report['environment'])} rules): {view.summary_counts(report)}.",
        "",
        f"<sub>{cell(meta['tool']['name'])} {cell(meta['tool']['version'])} · commit {cell(view.short_commit(report))} · "
        f"{cell(meta['generated_at'])} · {report['policies_evaluated']} policies, {cell(report['engine'])} engine · "
        f"bundle {code(report['policy_bundle_sha256'][:12])}</sub>",
    ]
    coverage = view.conformance_coverage(report)
    if coverage:
        lines += ["", f"<sub>{cell(coverage)}.</sub>"]
    failed = view.findings_with(report, "fail")
    if failed:
        lines += _section(
            "Failed mandatory controls", len(failed),
            table(FINDING_HEADERS, _finding_rows(failed), fold_after=FOLD_FAILED, summary=f"{len(failed)} blocking findings", max_rows=cap),
        )
    advisory = view.findings_with(report, "advisory")
    if advisory:
        lines += _section(
            "Advisories", len(advisory),
            table(FINDING_HEADERS, _finding_rows(advisory), fold_after=FOLD_AFTER, summary=f"{len(advisory)} advisory findings", max_rows=cap),
        )
    unverified = view.findings_with(report, "unverified")
    if unverified:
        note = "These controls need facts an offline plan does not have; `mlops up` fails on the mandatory ones."
        lines += _section(
            "Unverified controls", len(unverified),
            [note, "", *table(FINDING_HEADERS, _finding_rows(unverified), fold_after=FOLD_AFTER,
                              summary=f"{len(unverified)} unverified findings", max_rows=cap)],
        )
    if report["waivers_applied"]:
        rows = [
            [code(w["policy_id"]), cell(view.waiver_scope(w)), cell(w["approver"]), cell(w["expires"]), cell(w["reason"]),
             cell(len(w["waived"]))]
            for w in report["waivers_applied"]
        ]
        headers = ("policy", "scope", "approver", "expires", "reason", "findings waived")
        lines += _section("Waivers in effect", len(rows), table(headers, rows, fold_after=FOLD_AFTER, summary=f"{len(rows)} waivers", max_rows=cap))
    if report["waivers_expired"]:
        rows = [
            [code(w["policy_id"]), cell(view.waiver_scope(w)), cell(w["approver"]), cell(w["expires"]), cell(w["reason"]),
             cell(len(w["would_have_waived"]))]
            for w in report["waivers_expired"]
        ]
        headers = ("policy", "scope", "approver", "expired", "reason", "findings it would cover")
        note = "Expired waivers no longer apply; renew them in policies/waivers.yaml or fix the findings."
        lines += _section("Expired waivers", len(rows), [note, "", *table(headers, rows, fold_after=FOLD_AFTER, summary=f"{len(rows)} expired waivers", max_rows=cap)])
    lines += _changes(report.get("changes"), cap)
    lines += _controls(report)
    return "\n".join(lines) + "\n"


def _changes(changes: Mapping[str, Any] | None, cap: int) -> list[str]:
    if not changes:
        return []
    s = changes["summary"]
    total = s["add"] + s["update"] + s["replace"] + s["delete"]
    line = (
        f"Against {code(changes['base'])}: {s['add']} to add, {s['update']} to update, {s['replace']} to replace, "
        f"{s['delete']} to delete, {s['unchanged']} unchanged."
    )
    out = ["", "### Resource changes", "", line]
    if s["data_loss"]:
        out += ["", f"**{s['data_loss']} change(s) lose data.**"]
    rows = [
        [
            cell(c["action"] + (" (data loss)" if c["data_loss"] else "")),
            code(view.resource_name(c["urn"])),
            cell(c["model"] or "shared"),
            cell(c["data_loss_reason"] or "; ".join(c["replace_reasons"]) or ", ".join(c["changed_inputs"])),
        ]
        for c in changes["resources"]
    ]
    if rows:
        out += ["", *table(("change", "resource", "model", "why"), rows, fold_after=0, summary=f"{total} changed resources", max_rows=cap)]
    return out


def _controls(report: Mapping[str, Any]) -> list[str]:
    by_framework = view.controls_by_framework(report)
    rows = []
    for prefix, name in view.FRAMEWORKS:
        controls = by_framework.get(prefix, [])
        failing = [c.control for c in controls if c.status == "fail"]
        rows.append([
            cell(name),
            cell(len(controls)),
            cell(sum(c.status == "pass" for c in controls)),
            cell(", ".join(failing) or "none"),
        ])
    return ["", "### Controls", "", *table(("framework", "controls", "all checks pass", "failing"), rows, fold_after=len(rows),
                                            summary="Controls by framework (details in policy-report.html)")]
