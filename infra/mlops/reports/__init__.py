"""Compliance reports: the canonical policy-report.json and its Markdown, SARIF, JUnit and HTML renderings.

`build_report` turns a gate result into the canonical, versioned document (formatVersion 2,
its JSON Schema is `policy-report.schema.json` beside this file); `write_reports` writes it
and every rendering; `load_report` reads one back, validated. Renderers take only the
canonical document, so `mlops report` re-renders any stored report exactly.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

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


def render_json(report: dict[str, Any]) -> str:
    """Sorted keys, two-space indent, trailing newline: the same report always gives the same bytes."""
    import json

    return json.dumps(report, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


RENDERERS = {
    "json": render_json,
    "markdown": render_markdown,
    "sarif": render_sarif,
    "junit": render_junit,
    "html": render_html,
}


def write_reports(report: dict[str, Any], out_dir: Path, *, canonical: bool = True) -> dict[str, Path]:
    """Write the canonical report and every rendering into `out_dir`; format → path.

    `canonical=False` writes the renderings only: `mlops report` leaves the stored
    policy-report.json byte for byte as the gate wrote it (the audit ledger holds its hash).
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    for fmt, name in REPORT_FILES.items():
        if fmt == "json" and not canonical:
            continue
        path = out_dir / name
        path.write_text(RENDERERS[fmt](report), encoding="utf-8", newline="\n")
        written[fmt] = path
    return written
