"""Compliance reports: the canonical policy-report.json and its Markdown, SARIF, JUnit and HTML renderings.

`build_report` turns a gate result into the canonical, versioned document (formatVersion 2,
its JSON Schema is `policy-report.schema.json` beside this file); `write_reports` writes it
and every rendering; `load_report` reads one back, validated. Renderers take only the
canonical document, so `mlops report` re-renders any stored report exactly.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..files import write_atomically
from ..plan import render_json
from .canonical import FORMAT_VERSION, build_report, load_report, report_schema, schema_problems
from .html import render_html
from .junit import render_junit
from .markdown import render_markdown
from .sarif import render_sarif

__all__ = [
    "FORMAT_VERSION",
    "REPORT_FILES",
    "build_report",
    "load_report",
    "render_json",
    "render_reports",
    "withdraw_reports",
    "report_schema",
    "schema_problems",
    "write_reports",
]

# Format → file name, in the order they are written and listed.
REPORT_FILES: dict[str, str] = {
    "json": "policy-report.json",
    "markdown": "policy-report.md",
    "sarif": "policy-report.sarif",
    "junit": "policy-report.junit.xml",
    "html": "policy-report.html",
}


RENDERERS = {
    "json": render_json,
    "markdown": render_markdown,
    "sarif": render_sarif,
    "junit": render_junit,
    "html": render_html,
}


def render_reports(report: dict[str, Any], *, canonical: bool = True) -> dict[str, str]:
    """Format → text of the canonical report (unless `canonical=False`) and every rendering."""
    return {fmt: RENDERERS[fmt](report) for fmt in REPORT_FILES if canonical or fmt != "json"}


def write_reports(rendered: dict[str, str], out_dir: Path) -> dict[str, Path]:
    """Write rendered reports into `out_dir`, each atomically; format → path.

    `mlops report` renders without the canonical JSON, so it leaves the stored
    policy-report.json byte for byte as the gate wrote it (the audit ledger holds its hash).
    """
    written: dict[str, Path] = {}
    for fmt, text in rendered.items():
        path = out_dir / REPORT_FILES[fmt]
        write_atomically(path, text.encode("utf-8"))
        written[fmt] = path
    return written


def withdraw_reports(out_dir: Path) -> None:
    """Remove the canonical report and its renderings from `out_dir` (the evidence copies stay)."""
    for name in REPORT_FILES.values():
        (out_dir / name).unlink(missing_ok=True)


def rerender_report(path: Path) -> tuple[dict[str, Any], dict[str, Path]]:
    """A stored canonical report, validated, and its renderings written again beside it."""
    document = load_report(path)
    return document, write_reports(render_reports(document, canonical=False), path.parent)
