"""`mlops diff`: what a change does to a stack, for pull-request previews."""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from ..errors import ExitCode
from .base import JobsOption, NoCacheOption, ProjectDir, StackOption, app, err, out, reports_user_errors

_ACTION_STYLE = {"replace": "bold red", "delete": "red", "update": "yellow", "add": "green"}


@app.command()
@reports_user_errors
def diff(
    stack: StackOption,
    base: Annotated[
        str,
        typer.Option(
            "--base",
            "-b",
            help="What to compare with: a plan.json written by `mlops plan`, or a git ref (branch, tag, commit) "
            "whose plan is built with that commit's own code.",
        ),
    ],
    project_dir: ProjectDir = Path("."),
    reports_dir: Annotated[Path | None, typer.Option("--reports-dir", help="Where reports go (default: <project>/reports).")] = None,
    json_output: Annotated[
        bool, typer.Option("--json", help="Print the changes document (diff.json) on stdout instead of tables.")
    ] = False,
    jobs: JobsOption = None,
    no_cache: NoCacheOption = False,
) -> None:
    """Plan the stack, compare it with a base plan and gate the result; exit 1 if the gate fails.

    Lists what would be added, deleted, updated in place or replaced, why each replacement
    happens and which replacements or deletions lose data (policy data-loss-replacement).
    Writes reports/STACK/plan.json, diff.json, diff.md and the policy report. A git ref's plan
    reuses the capture cache for every model whose inputs and code are the same as here.
    """
    from ..workflow import Capture, diff_stack
    from .core import print_gate, print_outcome_files

    how = Capture.for_project(project_dir, jobs=jobs, cache=not no_cache)
    run = diff_stack(project_dir, stack, base, reports_dir or project_dir / "reports", how)
    changes, outcome = run.changes, run.outcome
    if json_output:
        sys.stdout.write(json.dumps(changes, indent=2, sort_keys=True) + "\n")
        err.print(f"Policy gate: {outcome.result.decision} — policy report written to {outcome.report_path}")
    else:
        _print_changes(changes, run.plan.stack.environment, run.base_note)
        out.print(f"plan written to {outcome.plan_path}; changes written to {run.changes_json} and {run.changes_markdown}")
        print_gate(outcome.result)
        print_outcome_files(outcome)
    if outcome.result.decision == "fail":
        raise typer.Exit(int(ExitCode.GATE_FAILED))


def _short_type(token: str) -> str:
    """`aws:sagemaker/featureGroup:FeatureGroup` → `sagemaker:FeatureGroup`; the full token is in diff.json."""
    package, _, rest = token.partition(":")
    module, _, kind = rest.rpartition(":")
    short = f"{module.split('/')[0]}:{kind}"
    return short if package == "aws" else f"{package}:{short}"


def _print_changes(changes: Mapping[str, Any], environment: str, note: str | None) -> None:
    from ..diff import display_order, summary_line, why

    title = f"Changes to stack {changes['stack']} ({environment}) against {changes['base']}"
    if note:
        out.print(f"[dim]{note}[/]")
    resources = display_order(changes["resources"])
    if not resources:
        out.print(f"{title}: no resource changes")
    else:
        table = Table(title=title, title_justify="left")
        table.add_column("action")
        table.add_column("type")
        table.add_column("name", no_wrap=True)
        table.add_column("why")
        table.add_column("data", no_wrap=True)
        for change in resources:
            style = _ACTION_STYLE[change["action"]]
            table.add_row(
                f"[{style}]{change['action']}[/]",
                _short_type(change["type"]),
                change["name"],
                why(change),
                "[bold red]DATA LOSS[/]" if change["data_loss"] else "",
            )
        out.print(table)
        for change in resources:
            if change["data_loss"]:
                out.print(f"[bold red]DATA LOSS[/] {change['name']}: {change['data_loss_reason']}")
    summary = changes["summary"]
    line = summary_line(summary)
    out.print(f"[bold red]{line}[/]" if summary["data_loss"] else line)
