"""The `mlops` app, its consoles, shared options and error handling, which every command module uses."""

from __future__ import annotations

import functools
import os
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console

from .. import __version__
from ..errors import ExitCode, MlopsError

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
JobsOption = Annotated[
    int | None,
    typer.Option("--jobs", "-j", min=1, help="Worker processes that share the models when the program runs (default: the machine's cores)."),
]
NoCacheOption = Annotated[
    bool,
    typer.Option("--no-cache", help="Run the program for every model, neither reading nor writing the capture cache (.mlops-cache)."),
]


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
