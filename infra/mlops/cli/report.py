"""`mlops report`: render the canonical policy report as Markdown, SARIF, JUnit and HTML."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .base import ProjectDir, StackOption, app, out, reports_user_errors


@app.command()
@reports_user_errors
def report(
    stack: StackOption,
    project_dir: ProjectDir = Path("."),
    reports_dir: Annotated[
        Path | None, typer.Option("--reports-dir", help="Where reports are (default: <project>/reports).", file_okay=False)
    ] = None,
) -> None:
    """Re-render reports/STACK/policy-report.json as Markdown, SARIF, JUnit XML and HTML beside it.

    The report is validated against its JSON Schema first; a missing, invalid or other-version
    report exits 2. Rendering never re-evaluates policies: the decision is the stored one.
    """
    from ..reports import rerender_report
    from ..reports.view import decision_words, summary_counts

    path = (reports_dir or project_dir / "reports") / stack / "policy-report.json"
    document, written = rerender_report(path)
    out.print(
        f"Policy report for stack {document['stack']} ({document['environment']}): {decision_words(document)} — "
        f"{summary_counts(document)}",
        markup=False,
    )
    for written_path in written.values():
        out.print(f"wrote {written_path}", markup=False)
