"""`mlops stacks`: one table of every stack for platform teams."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table
from rich.text import Text

from .base import ProjectDir, app, err, out, reports_user_errors

if TYPE_CHECKING:
    from ..stacks import StackRow, StacksOverview

# Model names are listed while they fit in this many characters; past it, only the count.
MODEL_NAMES_WIDTH = 48
_DECISION_STYLE = {"pass": "green", "fail": "bold red", "pass-unverified": "yellow"}


@app.command()
@reports_user_errors
def stacks(
    project_dir: ProjectDir = Path("."),
    reports_dir: Annotated[Path | None, typer.Option("--reports-dir", help="Where plans are (default: <project>/reports).", file_okay=False)] = None,
    ledger: Annotated[
        Path | None,
        typer.Option("--ledger", help="The audit ledger (default: $MLOPS_LEDGER, else <project>/reports/audit-ledger.jsonl).", dir_okay=False),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts instead of the table.")] = False,
) -> None:
    """Every stack: environment, models, planned resources, last gate decision, open waivers and the nearest expiry.

    Exit 2 when a stack's files or the waivers are invalid (the other stacks are still shown),
    1 when the audit ledger does not verify.
    """
    from ..specs.loader import stack_names
    from ..stacks import stacks_overview

    if not stack_names(project_dir):
        from ..errors import InputError

        raise InputError(f"{project_dir}: no Pulumi.<stack>.yaml stack files here; pass the project with --project-dir")
    overview = stacks_overview(project_dir, reports_dir=reports_dir, ledger=ledger)
    if as_json:
        sys.stdout.write(json.dumps(overview.to_dict(), indent=2) + "\n")
    else:
        _print_table(overview)
    _print_problems(overview)
    if overview.exit_code:
        raise typer.Exit(overview.exit_code)


def _print_table(overview: StacksOverview) -> None:
    table = Table(title_justify="left")
    # Compact cells: the example project's table fits the 140 columns CI logs get.
    for name in ("stack", "env", "models", "resources", "last decision", "waivers", "next expiry"):
        table.add_column(name, justify="right" if name in ("resources", "waivers") else "left")
    for row in overview.rows:
        table.add_row(
            row.stack,
            row.environment or "?",
            _models_cell(row),
            _resources_cell(row),
            _last_cell(row),
            str(len(row.waivers)) if row.environment else "?",
            _expiry_cell(row, overview.today),
        )
    out.print(table)
    ledger = (
        f"ledger {overview.ledger}: {overview.ledger_entries} entries"
        if overview.ledger_entries is not None
        else f"no audit ledger yet at {overview.ledger}"
    )
    out.print(f"{len(overview.rows)} stack(s); {ledger}", markup=False)


def _models_cell(row: StackRow) -> Text:
    if row.error:
        detail = row.problems[0] if len(row.problems) == 1 else row.error
        return Text(f"error: {detail}", style="red")
    names = ", ".join(row.models)
    return Text(f"{len(row.models)}: {names}" if len(names) <= MODEL_NAMES_WIDTH else f"{len(row.models)} models")


def _resources_cell(row: StackRow) -> Text:
    if row.plan_problem:
        return Text("unreadable plan", style="red")
    return Text(str(row.resources)) if row.resources is not None else Text("not planned", style="dim")


def _last_cell(row: StackRow) -> Text:
    if row.last is None:
        return Text("never", style="dim")
    when = row.last.timestamp[:16].replace("T", " ") + "Z"
    return Text.assemble((row.last.decision, _DECISION_STYLE.get(row.last.decision, "")), f" {when}")


def _expiry_cell(row: StackRow, today: date) -> Text:
    nearest = row.nearest_expiry
    if nearest is None:
        return Text("—" if row.environment else "?")
    if row.expiry_soon(today):
        days = (nearest - today).days
        return Text(f"{nearest.isoformat()} ⚠ {'today' if days == 0 else f'{days}d'}", style="yellow")
    return Text(nearest.isoformat())


def _print_problems(overview: StacksOverview) -> None:
    """What kept a row or a column from being filled, on stderr, with every problem line."""
    for row in overview.invalid_stacks:
        err.print(Text.assemble(("error:", "bold red"), f" stack {row.stack}: {row.error}"))
        for problem in row.problems:
            err.print(f"  {problem}", markup=False)
    for row in overview.rows:
        if row.plan_problem:
            err.print(f"warning: stack {row.stack}: {row.plan_problem}", markup=False)
    if overview.waivers_problem:
        err.print(f"error: open waivers unknown: {overview.waivers_problem}", markup=False)
        for problem in overview.waivers_problems:
            err.print(f"  {problem}", markup=False)
    if overview.ledger_problem:
        err.print(f"error: {overview.ledger_problem}", markup=False)
