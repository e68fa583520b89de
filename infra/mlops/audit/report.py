"""The audit report: per control, how often it was checked, passed, failed and waived in a period, across stacks.

Built from a verified ledger alone (each gate entry carries its per-control tallies), with a link
to each decision's evidence report and that report's recorded SHA-256, so an auditor can check
that the file they open is the one the decision produced. Rendered as Markdown and as one
self-contained HTML file (inline CSS, no scripts, no external assets).
"""

from __future__ import annotations

import html
import os
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote

from .. import __version__
from .controls import FRAMEWORKS, ControlTally, control_sort_key, framework_prefix, in_framework
from .ledger import REPAIR_ADVICE, LedgerTamperedError, VerifyResult, file_sha256, format_timestamp, parse_timestamp, verify

DECISIONS: tuple[str, ...] = ("pass", "pass-unverified", "fail")
# Per control row, how many not-passed decisions are linked before "and N more".
EVIDENCE_LINKS_PER_CONTROL = 8
MARKDOWN_NAME = "audit-report.md"
HTML_NAME = "audit-report.html"


def tampered_error(result: VerifyResult) -> LedgerTamperedError:
    broken = result.broken
    assert broken is not None
    return LedgerTamperedError(
        f"audit ledger {result.path} does not verify; first broken entry at {result.path}:{broken.line}"
        + (f" (seq {broken.seq})" if broken.seq is not None else ""),
        problems=[
            *broken.problems,
            f"{result.entries} entr{'y' if result.entries == 1 else 'ies'} before it verify (head {result.head[:12]})",
            REPAIR_ADVICE,
        ],
    )


@dataclass(frozen=True)
class Evidence:
    """One gate decision in the period and where its evidence report is."""

    seq: int
    timestamp: str
    stack: str
    environment: str
    decision: str
    commit: str | None
    dirty: bool | None
    actor: str
    decision_id: str
    report_path: str | None  # as recorded in the ledger
    report_sha256: str | None
    link: str | None  # relative to the output directory, URL-quoted
    file_status: str  # "unchanged" | "changed" | "missing" | "not recorded"

    @property
    def label(self) -> str:
        return f"#{self.seq}"


@dataclass
class ControlRow:
    control: str
    tally: ControlTally = field(default_factory=ControlTally)
    stacks: set[str] = field(default_factory=set)
    not_passed: list[Evidence] = field(default_factory=list)


@dataclass
class StackSummary:
    stack: str
    environment: str
    decisions: Counter = field(default_factory=Counter)
    last: Evidence | None = None
    controls: dict[str, ControlTally] = field(default_factory=dict)


@dataclass
class WaiverUse:
    policy_id: str
    selector: str
    approver: str
    expires: str
    decisions: int = 0
    resources: int = 0
    stacks: set[str] = field(default_factory=set)


@dataclass
class AuditReport:
    since: date
    until: date
    framework: str | None
    ledger: Path
    ledger_entries: int
    ledger_head: str
    generated_at: str
    evidence: list[Evidence]
    controls: list[ControlRow]
    stacks: list[StackSummary]
    waivers: list[WaiverUse]
    other_entries: Counter

    @property
    def framework_label(self) -> str:
        return f"{FRAMEWORKS[self.framework]} ({self.framework})" if self.framework else f"all ({', '.join(FRAMEWORKS.values())})"

    @property
    def decision_counts(self) -> Counter:
        return Counter(e.decision for e in self.evidence)


class _Collector:
    """Folds the verified gate entries of the period into the report's rows, in one pass."""

    def __init__(self, since: date, until: date, prefix: str | None, project_dir: Path, output_dir: Path) -> None:
        self.since, self.until, self.prefix = since, until, prefix
        self.project_dir, self.output_dir = project_dir, output_dir
        self.evidence: list[Evidence] = []
        self.controls: dict[str, ControlRow] = {}
        self.stacks: dict[str, StackSummary] = {}
        self.waivers: dict[tuple[str, str, str, str], WaiverUse] = {}
        self.other: Counter = Counter()
        self._file_hashes: dict[Path, str | None] = {}

    def visit(self, entry: dict[str, Any]) -> None:
        day = parse_timestamp(entry["timestamp"]).date()
        if not self.since <= day <= self.until:
            return
        if entry["kind"] != "gate":
            self.other[entry["kind"]] += 1
            return
        evidence = self._evidence(entry)
        self.evidence.append(evidence)
        summary = self.stacks.setdefault(evidence.stack, StackSummary(evidence.stack, evidence.environment))
        summary.environment = evidence.environment
        summary.decisions[evidence.decision] += 1
        summary.last = evidence
        controls = entry.get("controls") if isinstance(entry.get("controls"), Mapping) else {}
        for control, counts in controls.items():
            if not in_framework(control, self.prefix) or not isinstance(counts, Mapping):
                continue
            row = self.controls.setdefault(control, ControlRow(control))
            row.tally.add(counts)
            row.stacks.add(evidence.stack)
            summary.controls.setdefault(control, ControlTally()).add(counts)
            if any(counts.get(k) for k in ("failed", "waived", "unverified")):
                row.not_passed.append(evidence)
        for waiver in entry.get("waivers_used") or []:
            self._waiver(waiver, evidence.stack)

    def _evidence(self, entry: dict[str, Any]) -> Evidence:
        recorded = entry.get("report_path")
        sha = entry.get("report_sha256")
        link, status = None, "not recorded"
        if isinstance(recorded, str) and recorded:
            resolved = Path(recorded) if Path(recorded).is_absolute() else self.project_dir / recorded
            link = quote(Path(os.path.relpath(resolved, self.output_dir)).as_posix(), safe="/._-~")
            current = self._current_hash(resolved)
            status = "missing" if current is None else ("unchanged" if current == sha else "changed")
        return Evidence(
            seq=entry["seq"],
            timestamp=entry["timestamp"],
            stack=str(entry.get("stack")),
            environment=str(entry.get("environment")),
            decision=str(entry.get("decision")),
            commit=entry.get("commit"),
            dirty=entry.get("dirty"),
            actor=str(entry.get("actor")),
            decision_id=str(entry.get("decision_id")),
            report_path=recorded if isinstance(recorded, str) else None,
            report_sha256=sha if isinstance(sha, str) else None,
            link=link,
            file_status=status,
        )

    def _current_hash(self, path: Path) -> str | None:
        if path not in self._file_hashes:
            try:
                self._file_hashes[path] = file_sha256(path)
            except OSError:
                self._file_hashes[path] = None
        return self._file_hashes[path]

    def _waiver(self, waiver: Mapping[str, Any], stack: str) -> None:
        selector = f"model {waiver.get('model')}" if waiver.get("model") else f"resource {waiver.get('resource')}"
        key = (str(waiver.get("policy_id")), selector, str(waiver.get("approver")), str(waiver.get("expires")))
        use = self.waivers.setdefault(key, WaiverUse(*key))
        use.decisions += 1
        use.resources += int(waiver.get("waived") or 0)
        use.stacks.add(stack)


def build_audit_report(
    ledger: Path,
    *,
    since: date,
    until: date,
    framework: str | None,
    project_dir: Path,
    output_dir: Path,
    now: datetime | None = None,
) -> AuditReport:
    """Verify the whole ledger and aggregate its gate entries dated `since`..`until` (UTC days, inclusive).

    Raises LedgerTamperedError (exit 1) when the ledger does not verify: a report built on a
    broken chain would lend it credibility. Relative report paths in the ledger are resolved
    against `project_dir`; links are made relative to `output_dir`.
    """
    collector = _Collector(since, until, framework_prefix(framework), project_dir, output_dir)
    result = verify(ledger, visit=collector.visit)
    if not result.ok:
        raise tampered_error(result)
    return AuditReport(
        since=since,
        until=until,
        framework=framework,
        ledger=ledger,
        ledger_entries=result.entries,
        ledger_head=result.head,
        generated_at=format_timestamp(now or datetime.now(timezone.utc)),
        evidence=collector.evidence,
        controls=[collector.controls[c] for c in sorted(collector.controls, key=control_sort_key)],
        stacks=[collector.stacks[s] for s in sorted(collector.stacks)],
        waivers=[collector.waivers[k] for k in sorted(collector.waivers)],
        other_entries=collector.other,
    )


def write_audit_report(report: AuditReport, output_dir: Path) -> tuple[Path, Path]:
    """Write audit-report.md and audit-report.html into `output_dir`; returns both paths."""
    output_dir.mkdir(parents=True, exist_ok=True)
    markdown, page = output_dir / MARKDOWN_NAME, output_dir / HTML_NAME
    markdown.write_text(render_markdown(report), encoding="utf-8")
    page.write_text(render_html(report), encoding="utf-8")
    return markdown, page


# --- shared wording -------------------------------------------------------------------------------

FILE_STATUS_TEXT = {
    "unchanged": "unchanged",
    "changed": "changed since (now holds a later report)",
    "missing": "missing",
    "not recorded": "not recorded",
}
COUNTING_NOTE = (
    "Counts are checks: one per policy and resource it applies to, per gate decision. "
    "A control is checked by every policy that maps to it. Failed includes advisory failures "
    "(in brackets), which did not block the deployment; waived checks were covered by an approved, "
    "unexpired waiver; unverified checks lacked a fact the policy needed."
)
EVIDENCE_NOTE = (
    "Each decision links the evidence report it produced, with the SHA-256 recorded in the ledger. "
    "'unchanged' means the file on disk still has that hash; 'changed since' means it was overwritten "
    "(by a later decision for the stack): keep the reports of each decision (CI artifacts) to audit them."
)


def _summary_lines(report: AuditReport) -> list[tuple[str, str]]:
    counts = report.decision_counts
    decisions = ", ".join(f"{d} {counts[d]}" for d in DECISIONS if counts[d]) or "none"
    lines = [
        ("Period", f"{report.since.isoformat()} to {report.until.isoformat()} (UTC, inclusive)"),
        ("Framework", report.framework_label),
        ("Ledger", f"{report.ledger}: verified, {report.ledger_entries} entries, head {report.ledger_head[:12]}"),
        ("Gate decisions", f"{len(report.evidence)} across {len(report.stacks)} stack(s) ({decisions})"),
    ]
    if report.other_entries:
        lines.append(("Other entries", ", ".join(f"{kind} {n}" for kind, n in sorted(report.other_entries.items()))))
    lines.append(("Generated", f"{report.generated_at} by mlops {__version__}"))
    return lines


def _failed_text(tally: ControlTally) -> str:
    return f"{tally.failed} ({tally.advisory})" if tally.advisory else str(tally.failed)


def _commit_text(evidence: Evidence) -> str:
    if not evidence.commit:
        return "unknown"
    return evidence.commit[:12] + (" (dirty)" if evidence.dirty else "")


def _last_text(summary: StackSummary) -> str:
    last = summary.last
    return f"{last.decision} at {last.timestamp} ({last.label})" if last else "none"


# --- Markdown -------------------------------------------------------------------------------------


def _md(text: Any) -> str:
    """A value safe inside a Markdown table cell."""
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ").replace("<", "&lt;")


def _md_link(text: str, link: str | None) -> str:
    return f"[{_md(text)}]({link})" if link else _md(text)


def _md_table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join("---" for _ in header) + " |"]
    lines.extend("| " + " | ".join(row) + " |" for row in rows)
    return lines


def _md_evidence_refs(row: ControlRow) -> str:
    refs = [_md_link(f"{e.label} {e.stack} {e.decision}", e.link) for e in row.not_passed[:EVIDENCE_LINKS_PER_CONTROL]]
    extra = len(row.not_passed) - EVIDENCE_LINKS_PER_CONTROL
    if extra > 0:
        refs.append(f"and {extra} more")
    return ", ".join(refs) or "none"


def render_markdown(report: AuditReport) -> str:
    lines = [f"# Audit report {report.since.isoformat()} to {report.until.isoformat()}", ""]
    lines += [f"- **{name}**: {_md(value)}" for name, value in _summary_lines(report)]
    lines += ["", COUNTING_NOTE, "", "## Stacks", ""]
    lines += _md_table(
        ["stack", "environment", "decisions", *DECISIONS, "last decision"],
        [
            [_md(s.stack), _md(s.environment), str(sum(s.decisions.values())), *(str(s.decisions[d]) for d in DECISIONS), _md(_last_text(s))]
            for s in report.stacks
        ],
    ) if report.stacks else ["No gate decisions in this period."]
    lines += ["", "## Controls", ""]
    lines += _md_table(
        ["control", "checked", "passed", "failed (advisory)", "waived", "unverified", "stacks", "decisions where not passed"],
        [
            [
                f"`{_md(r.control)}`", str(r.tally.checked), str(r.tally.passed), _failed_text(r.tally), str(r.tally.waived),
                str(r.tally.unverified), _md(", ".join(sorted(r.stacks))), _md_evidence_refs(r),
            ]
            for r in report.controls
        ],
    ) if report.controls else ["No control was checked in this period."]
    if report.stacks:
        lines += ["", "## Controls per stack"]
    for summary in report.stacks:
        lines += ["", f"### {_md(summary.stack)} ({_md(summary.environment)})", ""]
        rows = [
            [f"`{_md(c)}`", str(t.checked), str(t.passed), _failed_text(t), str(t.waived), str(t.unverified)]
            for c, t in sorted(summary.controls.items(), key=lambda item: control_sort_key(item[0]))
        ]
        lines += _md_table(["control", "checked", "passed", "failed (advisory)", "waived", "unverified"], rows) if rows else ["No control checked."]
    lines += ["", "## Waivers used", ""]
    lines += _md_table(
        ["policy", "selector", "approver", "expires", "decisions", "resources waived", "stacks"],
        [
            [f"`{_md(w.policy_id)}`", _md(w.selector), _md(w.approver), _md(w.expires), str(w.decisions), str(w.resources), _md(", ".join(sorted(w.stacks)))]
            for w in report.waivers
        ],
    ) if report.waivers else ["No waiver was used in this period."]
    lines += ["", "## Evidence", "", EVIDENCE_NOTE, ""]
    lines += _md_table(
        ["#", "time (UTC)", "stack", "environment", "decision", "commit", "actor", "report", "sha256", "file"],
        [
            [
                e.label, _md(e.timestamp), _md(e.stack), _md(e.environment), _md(e.decision), _md(_commit_text(e)), _md(e.actor),
                _md_link(e.report_path or "not recorded", e.link), f"`{_md(e.report_sha256 or '')}`", _md(FILE_STATUS_TEXT[e.file_status]),
            ]
            for e in report.evidence
        ],
    ) if report.evidence else ["No gate decisions in this period."]
    return "\n".join(lines) + "\n"


# --- HTML -----------------------------------------------------------------------------------------

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem; color: #1b1f24; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.2rem; margin-top: 2rem; } h3 { font-size: 1rem; }
table { border-collapse: collapse; margin: 0.5rem 0 1rem; font-size: 0.875rem; }
th, td { border: 1px solid #d0d7de; padding: 0.25rem 0.5rem; text-align: left; vertical-align: top; }
th { background: #f6f8fa; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 0.85em; }
.fail, .changed, .missing { color: #cf222e; font-weight: 600; }
.pass, .unchanged { color: #1a7f37; }
.pass-unverified { color: #9a6700; }
p.note { color: #57606a; max-width: 60rem; }
dl { display: grid; grid-template-columns: max-content auto; gap: 0.25rem 1rem; }
dt { font-weight: 600; }
"""


def _h(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _a(text: str, link: str | None) -> str:
    return f'<a href="{_h(link)}">{_h(text)}</a>' if link else _h(text)


def _html_table(header: list[str], rows: list[list[str]], numeric: set[int] = frozenset()) -> list[str]:
    out = ["<table>", "<thead><tr>" + "".join(f"<th>{_h(h)}</th>" for h in header) + "</tr></thead>", "<tbody>"]
    for row in rows:
        cells = "".join(f'<td class="n">{cell}</td>' if i in numeric else f"<td>{cell}</td>" for i, cell in enumerate(row))
        out.append(f"<tr>{cells}</tr>")
    out += ["</tbody>", "</table>"]
    return out


def _html_evidence_refs(row: ControlRow) -> str:
    refs = [_a(f"{e.label} {e.stack} {e.decision}", e.link) for e in row.not_passed[:EVIDENCE_LINKS_PER_CONTROL]]
    extra = len(row.not_passed) - EVIDENCE_LINKS_PER_CONTROL
    if extra > 0:
        refs.append(_h(f"and {extra} more"))
    return ", ".join(refs) or "none"


def _tally_cells(tally: ControlTally) -> list[str]:
    return [str(tally.checked), str(tally.passed), _h(_failed_text(tally)), str(tally.waived), str(tally.unverified)]


def render_html(report: AuditReport) -> str:
    title = f"Audit report {report.since.isoformat()} to {report.until.isoformat()}"
    body = [f"<h1>{_h(title)}</h1>", "<dl>"]
    body += [f"<dt>{_h(name)}</dt><dd>{_h(value)}</dd>" for name, value in _summary_lines(report)]
    body += ["</dl>", f'<p class="note">{_h(COUNTING_NOTE)}</p>', '<h2 id="stacks">Stacks</h2>']
    if report.stacks:
        body += _html_table(
            ["stack", "environment", "decisions", *DECISIONS, "last decision"],
            [
                [_h(s.stack), _h(s.environment), str(sum(s.decisions.values())), *(str(s.decisions[d]) for d in DECISIONS), _h(_last_text(s))]
                for s in report.stacks
            ],
            numeric={2, 3, 4, 5},
        )
    else:
        body.append("<p>No gate decisions in this period.</p>")
    body.append('<h2 id="controls">Controls</h2>')
    if report.controls:
        body += _html_table(
            ["control", "checked", "passed", "failed (advisory)", "waived", "unverified", "stacks", "decisions where not passed"],
            [
                [f"<code>{_h(r.control)}</code>", *_tally_cells(r.tally), _h(", ".join(sorted(r.stacks))), _html_evidence_refs(r)]
                for r in report.controls
            ],
            numeric={1, 2, 3, 4, 5},
        )
    else:
        body.append("<p>No control was checked in this period.</p>")
    if report.stacks:
        body.append('<h2 id="per-stack">Controls per stack</h2>')
    for summary in report.stacks:
        body.append(f"<h3>{_h(summary.stack)} ({_h(summary.environment)})</h3>")
        rows = [
            [f"<code>{_h(c)}</code>", *_tally_cells(t)]
            for c, t in sorted(summary.controls.items(), key=lambda item: control_sort_key(item[0]))
        ]
        body += _html_table(["control", "checked", "passed", "failed (advisory)", "waived", "unverified"], rows, numeric={1, 2, 3, 4, 5}) if rows else ["<p>No control checked.</p>"]
    body.append('<h2 id="waivers">Waivers used</h2>')
    if report.waivers:
        body += _html_table(
            ["policy", "selector", "approver", "expires", "decisions", "resources waived", "stacks"],
            [
                [f"<code>{_h(w.policy_id)}</code>", _h(w.selector), _h(w.approver), _h(w.expires), str(w.decisions), str(w.resources), _h(", ".join(sorted(w.stacks)))]
                for w in report.waivers
            ],
            numeric={4, 5},
        )
    else:
        body.append("<p>No waiver was used in this period.</p>")
    body += ['<h2 id="evidence">Evidence</h2>', f'<p class="note">{_h(EVIDENCE_NOTE)}</p>']
    if report.evidence:
        body += _html_table(
            ["#", "time (UTC)", "stack", "environment", "decision", "commit", "actor", "report", "sha256", "file"],
            [
                [
                    _h(e.label), _h(e.timestamp), _h(e.stack), _h(e.environment), f'<span class="{_h(e.decision)}">{_h(e.decision)}</span>',
                    f"<code>{_h(_commit_text(e))}</code>", _h(e.actor), _a(e.report_path or "not recorded", e.link),
                    f"<code>{_h(e.report_sha256 or '')}</code>",
                    f'<span class="{_h(e.file_status.replace(" ", "-"))}">{_h(FILE_STATUS_TEXT[e.file_status])}</span>',
                ]
                for e in report.evidence
            ],
        )
    else:
        body.append("<p>No gate decisions in this period.</p>")
    return "\n".join([
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f"<title>{_h(title)}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        *body,
        "</body>",
        "</html>",
        "",
    ])
