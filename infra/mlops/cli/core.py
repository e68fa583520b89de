"""validate, schema, plan and `policy test`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from ..errors import ExitCode
from .base import JobsOption, NoCacheOption, ProjectDir, StackOption, app, err, out, reports_user_errors

if TYPE_CHECKING:
    from ..governance.gate import GateResult
    from ..plan import Plan
    from ..policy_gate import GateOutcome


@app.command()
@reports_user_errors
def validate(
    project_dir: ProjectDir = Path("."),
    stack: Annotated[str | None, typer.Option("--stack", "-s", help="Check only this stack (default: every Pulumi.<stack>.yaml).")] = None,
) -> None:
    """Check model specs, stack files and the governance files (policy METADATA and parameters,
    enforcement, waivers) without running the program; exit 2 on any problem."""
    from ..validation import validate_project

    results = validate_project(project_dir, stack)
    for stack_name, environment, count in results:
        out.print(f"[green]✓[/] stack {stack_name} ({environment}): {count} model spec(s) valid")


@app.command()
@reports_user_errors
def schema(
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")] = None,
) -> None:
    """Print the JSON Schema of a model spec file, for editor completion and validation."""
    from ..validation import spec_json_schema

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
    live: Annotated[
        bool, typer.Option("--live", help="Fetch model registry facts from AWS (standard AWS config; AWS_ENDPOINT_URL for an emulator).")
    ] = False,
    jobs: JobsOption = None,
    no_cache: NoCacheOption = False,
) -> None:
    """Run the program offline, write the plan, gate it with the Rego policies; exit 1 if the gate fails.

    Offline, live registry facts are unknown: controls that need them are reported as
    unverified and the decision is "pass-unverified" (exit 0) when nothing else fails.
    With --live they are fetched through boto3; facts that cannot be fetched exit 3.
    """
    from ..workflow import Capture, plan_stack

    how = Capture.for_project(project_dir, jobs=jobs, cache=not no_cache)
    run = plan_stack(project_dir, stack, reports_dir or project_dir / "reports", how, live=live)
    _print_plan_summary(run.plan, run.outcome.plan_path)
    print_gate(run.outcome.result)
    print_outcome_files(run.outcome)
    if run.outcome.result.decision == "fail":
        raise typer.Exit(int(ExitCode.GATE_FAILED))


def _print_plan_summary(result: Plan, path: Path) -> None:
    table = Table(title=f"Stack {result.stack.stack} ({result.stack.environment}, {result.stack.region})", title_justify="left")
    table.add_column("model")
    table.add_column("resource type")
    table.add_column("count", justify="right")
    counts = result.counts_by_model()
    for model, by_type in counts.items():
        for i, (kind, n) in enumerate(sorted(by_type.items())):
            table.add_row(model if i == 0 else "", kind, str(n))
        table.add_section()
    out.print(table)
    total = sum(sum(c.values()) for c in counts.values())
    out.print(f"{total} resources across {len(result.specs)} models; plan written to {path}")


_SEVERITY_STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "cyan"}


_VERDICTS = {
    "pass": "[bold green]PASS[/]",
    "pass-unverified": "[bold yellow]PASS WITH UNVERIFIED CONTROLS[/]",
    "fail": "[bold red]FAIL[/]",
}


def print_outcome_files(outcome: GateOutcome) -> None:
    """Where the canonical report, its renderings and the ledger entry went."""
    out.print(f"policy report written to {outcome.report_path}")
    for kind, path in sorted(outcome.rendered.items()):
        if path != outcome.report_path:
            out.print(f"  {kind}: {path}")
    if outcome.ledger_entry is not None:
        entry = outcome.ledger_entry
        out.print(f"audit ledger: entry {entry.get('seq')} ({str(entry.get('hash', ''))[:12]}) appended")


def print_gate(gate: GateResult) -> None:
    """The decision, then every finding by model, as a user reads it in a terminal or CI log."""
    verdict = _VERDICTS[gate.decision]
    out.print(
        f"Policy gate: {verdict} — {gate.environment} rules, {gate.policies_evaluated} policies, "
        f"{gate.engine} engine, bundle {gate.bundle_sha256[:12]}"
    )
    by_model: dict[str, list] = {}
    for violation in gate.violations:
        by_model.setdefault(violation.model or "shared", []).append(violation)
    for model, violations in sorted(by_model.items()):
        out.print(f"[bold]{model}[/]")
        for v in violations:
            state = f"waived by {v.waiver.approver} until {v.waiver.expires}" if v.waiver else v.enforcement
            style = _SEVERITY_STYLE[v.policy.severity]
            out.print(f"  [{style}]{v.policy.severity:<8}[/] {state:<10} {v.policy.id}: {v.message}")
    if gate.unverified:
        why = "they block: live facts are required here" if gate.require_verified else "check them with `mlops plan --live` or `mlops up`"
        out.print(f"[bold]unverified controls[/] — facts the plan does not hold; {why}")
        for u in gate.unverified:
            state = f"waived by {u.waiver.approver} until {u.waiver.expires}" if u.waiver else u.enforcement
            out.print(f"  [yellow]{'unknown':<8}[/] {state:<10} {u.policy.id}: {u.message}")
    for waiver in gate.waivers_expired:
        out.print(f"[yellow]expired waiver[/] {waiver.policy} ({waiver.source}) expired {waiver.expires}; it no longer applies")
    c = gate.counts
    out.print(f"{c['blocking']} blocking, {c['advisory']} advisory, {c['waived']} waived, {c['unverified']} unverified")


policy_app = typer.Typer(help="Work on the Rego policy library.", no_args_is_help=True)
app.add_typer(policy_app, name="policy")


@policy_app.command("test")
@reports_user_errors
def policy_test(
    policies_dir: Annotated[Path, typer.Option("--policies-dir", help="The policy library.", file_okay=False)] = Path("policies"),
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="List every test, not only failures.")] = False,
    package: Annotated[
        list[str] | None,
        typer.Option("--package", help="Run only the tests a change to this Rego package can affect (its own, or its dependents'); repeatable."),
    ] = None,
    path: Annotated[
        list[Path] | None,
        typer.Option("--path", help="Run only the tests a change to this .rego file can affect; repeatable.", dir_okay=False),
    ] = None,
) -> None:
    """Run every Rego unit test (`test_*` rules) with the embedded engine; exit 1 on a failure or on zero tests."""
    from ..governance.rego_tests import run_rego_tests

    report = run_rego_tests(policies_dir, packages=package or [], paths=path or [])
    for r in report.results:
        if r.status != "passed" or verbose:
            where = f"{r.test.path}:{r.test.line}"
            detail = f" — {r.detail}" if r.detail else ""
            out.print(f"{r.status.upper():<7} {r.test.ref} ({where}){detail}", markup=False)
    failed = len(report.results) - report.count("passed")
    out.print(f"rego: {report.count('passed')} passed, {failed} failed")
    if not report.results:
        selected = " for " + ", ".join([*(package or []), *(str(p) for p in path or [])]) if package or path else ""
        err.print(f"[bold red]error:[/] no Rego tests found under {policies_dir}{selected}; every policy needs a *_test.rego")
    if not report.ok:
        raise typer.Exit(int(ExitCode.GATE_FAILED))


@policy_app.command("mutate")
@reports_user_errors
def policy_mutate(
    policies_dir: Annotated[Path, typer.Option("--policies-dir", help="The policy library.", file_okay=False)] = Path("policies"),
    policy: Annotated[
        list[str] | None, typer.Option("--policy", help="Mutate only this policy id (`lib` for the shared library); repeatable. Default: all.")
    ] = None,
    jobs: Annotated[int | None, typer.Option("--jobs", "-j", min=1, help="Worker processes (default: the machine's cores).")] = None,
    min_score: Annotated[
        float | None, typer.Option("--min-score", min=0, max=100, help="Exit 1 if the overall mutation score (percent) is below this.")
    ] = None,
    json_path: Annotated[Path | None, typer.Option("--json", help="Also write the results as JSON to this file, for CI.", dir_okay=False)] = None,
    equivalent: Annotated[
        Path | None,
        typer.Option("--equivalent", help="Mutants known to be equivalent (default: <policies-dir>/mutants-equivalent.yaml).", dir_okay=False),
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Also list compile errors and equivalent mutants.")] = False,
) -> None:
    """Mutation-test the Rego policies: change each policy in one small place, run the tests of the
    packages that depend on it, and report the changes no test notices (survivors).

    Score = killed / (mutants − compile errors − equivalent). Exit 1 below --min-score, 2 on a
    wrong equivalent mutants file or failing tests.
    """
    from ..errors import InputError
    from ..governance.mutation import DEFAULT_EQUIVALENT_FILE, mutate

    if equivalent is not None and not equivalent.is_file():
        raise InputError(f"{equivalent}: equivalent mutants file not found")
    equivalent_file = equivalent or policies_dir / DEFAULT_EQUIVALENT_FILE
    progress = _mutation_progress() if err.is_terminal else None
    try:
        report = mutate(
            policies_dir, policies=policy or [], jobs=jobs, equivalent_file=equivalent_file,
            progress=progress.update if progress else None,
        )
    finally:
        if progress:
            progress.close()
    _print_mutation(report, verbose)
    if json_path is not None:
        json_path.write_text(json.dumps(report.to_json(min_score), indent=2) + "\n", encoding="utf-8")
        out.print(f"mutation results written to {json_path}")
    if not report.passes(min_score):
        err.print(f"[bold red]mutation score {_percent(report.total.score)} is below --min-score {min_score:g}%[/]")
        raise typer.Exit(int(ExitCode.GATE_FAILED))


class _mutation_progress:
    """A one-line progress count on a terminal's stderr."""

    def __init__(self) -> None:
        self.last = 0.0

    def update(self, done: int, total: int) -> None:
        import time

        now = time.monotonic()
        if now - self.last > 0.2 or done == total:
            self.last = now
            err.file.write(f"\rmutants: {done}/{total}")
            err.file.flush()

    def close(self) -> None:
        err.file.write("\r\033[K")
        err.file.flush()


def _percent(score: float | None) -> str:
    return "n/a" if score is None else f"{score:.1f}%"


def _print_mutation(report, verbose: bool) -> None:  # noqa: ANN001 - MutationReport, imported lazily
    table = Table(title=f"Mutation testing of {report.policies_dir}", title_justify="left")
    for name in ("policy", "mutants", "killed", "compile errors", "equivalent", "survivors", "score"):
        table.add_column(name, justify="left" if name == "policy" else "right")

    def row(score, style: str = "") -> None:  # noqa: ANN001
        low = score.score is not None and score.score < 80
        table.add_row(
            score.unit, str(score.mutants), str(score.killed), str(score.compile_errors), str(score.equivalent),
            str(score.survived), f"[red]{_percent(score.score)}[/]" if low else _percent(score.score), style=style,
        )

    for unit in report.units:
        row(unit)
    table.add_section()
    row(report.total, "bold")
    out.print(table)
    root = report.policies_dir
    survivors = report.of("survived")
    if survivors:
        out.print(f"[bold]survivors[/] — changes no test notices; add a test that fails on each, or record it in {root / 'mutants-equivalent.yaml'} if it is equivalent")
        for r in survivors:
            m = r.mutant
            note = f"  ({r.detail})" if r.detail else ""
            out.print(f"  {m.id}  {root / m.file}:{m.line}  [{m.operator}]  {m.change}{note}", markup=False)
    for r in report.stale_equivalents:
        m = r.mutant
        out.print(f"[yellow]not equivalent[/] {m.id} ({root / m.file}:{m.line}) is listed as equivalent but a test kills it ({r.detail}); remove the entry")
    if verbose:
        for r in report.of("compile-error"):
            m = r.mutant
            out.print(f"  compile error  {m.id}  {root / m.file}:{m.line}  [{m.operator}]  {m.change} — {r.detail}", markup=False)
        for r in report.of("equivalent"):
            m = r.mutant
            out.print(f"  equivalent     {m.id}  {root / m.file}:{m.line}  [{m.operator}]  {m.change}", markup=False)
    t = report.total
    out.print(
        f"mutation score: {_percent(t.score)} ({t.killed} killed of {t.scored} scored; {t.compile_errors} compile errors "
        f"and {t.equivalent} equivalent excluded; {t.survived} survived) in {report.seconds:.1f}s with {report.jobs} job(s)"
    )
