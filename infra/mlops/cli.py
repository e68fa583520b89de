"""The `mlops` command line: declares commands and renders results; the work happens in the core."""

from __future__ import annotations

import functools
import json
import os
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from . import __version__
from .errors import ExitCode, MlopsError

app = typer.Typer(
    name="mlops",
    help="Typed SageMaker MLOps stacks on AWS: validate specs, plan offline, gate with Rego policies.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# Plan tables carry long type tokens; keep them whole when output is piped into CI logs.
out = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 140)
err = Console(stderr=True, highlight=False, soft_wrap=True)

F = TypeVar("F", bound=Callable[..., None])

ProjectDir = Annotated[
    Path, typer.Option("--project-dir", "-C", help="Project root holding Pulumi.yaml.", file_okay=False, resolve_path=True)
]
StackOption = Annotated[str, typer.Option("--stack", "-s", help="Stack name: reads Pulumi.<stack>.yaml.")]


def reports_user_errors(command: F) -> F:
    """Turn MlopsError into a message and its exit code; anything else is an internal error (exit 4)."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except MlopsError as e:
            err.print(f"[bold red]error:[/] {e.message}")
            for problem in e.problems:
                err.print(f"  {problem}", markup=False)
            raise typer.Exit(int(e.exit_code)) from None
        except typer.Exit:
            raise
        except Exception as e:  # an unexpected failure is a bug in this tool, not the user's input
            err.print(f"[bold red]internal error:[/] {type(e).__name__}: {e}", markup=True)
            if os.environ.get("MLOPS_DEBUG"):
                traceback.print_exc()
            else:
                err.print("Set MLOPS_DEBUG=1 for the traceback and report it as a bug.")
            raise typer.Exit(int(ExitCode.PROGRAM_FAILED)) from None

    return wrapper  # type: ignore[return-value]


@app.callback(invoke_without_command=True)
def main(version: Annotated[bool, typer.Option("--version", help="Print the version and exit.")] = False) -> None:
    if version:
        out.print(f"mlops {__version__}")
        raise typer.Exit()


@app.command()
@reports_user_errors
def validate(
    project_dir: ProjectDir = Path("."),
    stack: Annotated[str | None, typer.Option("--stack", "-s", help="Check only this stack (default: every Pulumi.<stack>.yaml).")] = None,
) -> None:
    """Check model specs and stack files without running the program; exit 2 on any problem."""
    from .validation import validate_project

    results = validate_project(project_dir, stack)
    for stack_name, environment, count in results:
        out.print(f"[green]✓[/] stack {stack_name} ({environment}): {count} model spec(s) valid")


@app.command()
@reports_user_errors
def schema(
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")] = None,
) -> None:
    """Print the JSON Schema of a model spec file, for editor completion and validation."""
    from .validation import spec_json_schema

    text = json.dumps(spec_json_schema(), indent=2, sort_keys=True) + "\n"
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
        out.print(f"wrote {output}")


@app.command()
@reports_user_errors
def plan(
    stack: StackOption,
    project_dir: ProjectDir = Path("."),
    reports_dir: Annotated[Path | None, typer.Option("--reports-dir", help="Where reports go (default: <project>/reports).")] = None,
) -> None:
    """Run the program offline under Pulumi mocks, write reports/<stack>/plan.json and summarise it."""
    from .plan import build_plan, write_plan

    result = build_plan(project_dir, stack)
    path = write_plan(result, reports_dir or project_dir / "reports")
    counts = result.counts_by_model()
    table = Table(title=f"Stack {stack} ({result.stack.environment}, {result.stack.region})", title_justify="left")
    table.add_column("model")
    table.add_column("resource type")
    table.add_column("count", justify="right")
    for model, by_type in counts.items():
        for i, (kind, n) in enumerate(sorted(by_type.items())):
            table.add_row(model if i == 0 else "", kind, str(n))
        table.add_section()
    out.print(table)
    total = sum(sum(c.values()) for c in counts.values())
    out.print(f"{total} resources across {len(result.specs)} models; plan written to {path}")
