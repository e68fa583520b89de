"""`mlops audit verify` and `mlops audit report`: the hash-chained audit ledger."""

from __future__ import annotations

from datetime import date, datetime, timezone
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from ..audit.controls import FRAMEWORKS
from ..errors import InputError
from .base import ProjectDir, app, out, reports_user_errors

audit_app = typer.Typer(help="Check the audit ledger of gate decisions and report on it per control.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")

# The CLI values of --framework; Click lists them when a user gives another.
Framework = Enum("Framework", {name.replace("-", "_"): name for name in FRAMEWORKS}, type=str)  # type: ignore[misc]

LedgerOption = Annotated[
    Path | None,
    typer.Option("--ledger", help="The ledger file (default: $MLOPS_LEDGER, else <project>/reports/audit-ledger.jsonl).", dir_okay=False),
]


def _ledger(project_dir: Path, ledger: Path | None) -> Path:
    from ..audit.ledger import default_ledger_path

    return ledger if ledger is not None else default_ledger_path(project_dir)


def _date_option(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise InputError(f"{option}: expected a date as YYYY-MM-DD (e.g. 2025-01-31), found {value!r}") from None


@audit_app.command("verify")
@reports_user_errors
def verify_command(project_dir: ProjectDir = Path("."), ledger: LedgerOption = None) -> None:
    """Check every entry and link of the ledger; exit 1 naming the first broken entry, 2 if there is no ledger."""
    from ..audit.ledger import verify
    from ..audit.report import tampered_error

    result = verify(_ledger(project_dir, ledger))
    if not result.ok:
        raise tampered_error(result)
    out.print(result.summary(), markup=False)


@audit_app.command("report")
@reports_user_errors
def report_command(
    since: Annotated[str, typer.Option("--since", metavar="YYYY-MM-DD", help="First day of the period, YYYY-MM-DD (UTC, inclusive).")],
    until: Annotated[str | None, typer.Option("--until", metavar="YYYY-MM-DD", help="Last day of the period, YYYY-MM-DD (UTC, inclusive; default today).")] = None,
    framework: Annotated[Framework | None, typer.Option("--framework", help="Only this framework's controls.", case_sensitive=False)] = None,
    project_dir: ProjectDir = Path("."),
    ledger: LedgerOption = None,
    output_dir: Annotated[
        Path | None, typer.Option("--output-dir", "-o", help="Where audit-report.md and .html go (default: <project>/reports/audit).", file_okay=False)
    ] = None,
) -> None:
    """Per control: how often it was checked, passed, failed and waived across stacks in a period, with the evidence.

    Verifies the whole ledger first and refuses (exit 1) to report on one that does not verify.
    """
    from ..audit.report import build_audit_report, write_audit_report

    first = _date_option(since, "--since")
    last = _date_option(until, "--until") or datetime.now(timezone.utc).date()
    assert first is not None
    if first > last:
        raise InputError(f"--since {first.isoformat()} is after --until {last.isoformat()}; give a period that starts before it ends")
    destination = (output_dir or project_dir / "reports" / "audit").resolve()
    report = build_audit_report(
        _ledger(project_dir, ledger),
        since=first,
        until=last,
        framework=framework.value if framework is not None else None,
        project_dir=project_dir,
        output_dir=destination,
    )
    markdown, page = write_audit_report(report, destination)
    _print_report(report)
    out.print(f"wrote {markdown}", markup=False)
    out.print(f"wrote {page}", markup=False)


def _print_report(report) -> None:  # noqa: ANN001 - AuditReport, imported lazily
    counts = report.decision_counts
    decisions = ", ".join(f"{counts[d]} {d}" for d in ("pass", "pass-unverified", "fail") if counts[d]) or "none"
    out.print(
        f"Audit {report.since.isoformat()} to {report.until.isoformat()}, framework {report.framework_label}: "
        f"{len(report.evidence)} gate decision(s) across {len(report.stacks)} stack(s) ({decisions}); "
        f"ledger verified, {report.ledger_entries} entries, head {report.ledger_head[:12]}",
        markup=False,
    )
    if not report.controls:
        out.print("no control was checked in this period", markup=False)
        return
    table = Table(title_justify="left")
    for name in ("control", "checked", "passed", "failed", "advisory", "waived", "unverified"):
        table.add_column(name, justify="left" if name == "control" else "right")
    for row in report.controls:
        t = row.tally
        style = "red" if t.failed - t.advisory else ("yellow" if t.advisory or t.unverified else None)
        table.add_row(row.control, *(str(v) for v in (t.checked, t.passed, t.failed, t.advisory, t.waived, t.unverified)), style=style)
    out.print(table)


@audit_app.command("oscal")
@reports_user_errors
def oscal_command(
    since: Annotated[str, typer.Option("--since", metavar="YYYY-MM-DD", help="First day of the period, YYYY-MM-DD (UTC, inclusive).")],
    until: Annotated[str | None, typer.Option("--until", metavar="YYYY-MM-DD", help="Last day of the period, YYYY-MM-DD (UTC, inclusive; default today).")] = None,
    stack: Annotated[str | None, typer.Option("--stack", "-s", help="Only this stack's decisions.")] = None,
    project_dir: ProjectDir = Path("."),
    ledger: LedgerOption = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="The JSON file to write (default: <project>/reports/audit/oscal-assessment-results.json).", dir_okay=False),
    ] = None,
) -> None:
    """NIST OSCAL assessment results: one result per gate and scan decision in a period, with its checks and controls.

    Verifies the whole ledger and each decision's evidence report first; refuses (exit 1) to export from either if it does not verify.
    """
    from ..audit.oscal import DEFAULT_OUTPUT, export_oscal

    first = _date_option(since, "--since")
    last = _date_option(until, "--until") or datetime.now(timezone.utc).date()
    assert first is not None
    if first > last:
        raise InputError(f"--since {first.isoformat()} is after --until {last.isoformat()}; give a period that starts before it ends")
    destination = (output or project_dir / DEFAULT_OUTPUT).resolve()
    export = export_oscal(_ledger(project_dir, ledger), since=first, until=last, stack=stack, project_dir=project_dir, output=destination)
    out.print(export.summary(), markup=False)
    out.print(f"wrote {destination}", markup=False)
