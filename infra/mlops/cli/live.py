"""`mlops promote`, `mlops up`, `mlops verify` and `mlops scan`: commands that talk to AWS (or a local emulator).

Credentials, endpoint URL and profile come from the standard AWS configuration; the region from
the stack. Each of these commands needs live facts and fails closed (exit 3) without them.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from ..errors import ExitCode
from .base import JobsOption, NoCacheOption, ProjectDir, StackOption, app, out, reports_user_errors

if TYPE_CHECKING:
    from ..live.promote import Promotion
    from ..live.verify import DriftReport

ReportsDir = Annotated[Path | None, typer.Option("--reports-dir", help="Where reports go (default: <project>/reports).")]


@app.command()
@reports_user_errors
def promote(
    model: Annotated[str, typer.Argument(help="The model to promote (metadata.name of its spec).")],
    to: Annotated[str, typer.Option("--to", help="Environment to promote to: dev, staging or prod.")],
    reason: Annotated[str, typer.Option("--reason", help="Why: recorded in the approval description and the audit ledger.")],
    version: Annotated[int | None, typer.Option("--version", help="Model package version in the model's own group.")] = None,
    package_arn: Annotated[str | None, typer.Option("--package-arn", help="The model package by ARN instead of --version.")] = None,
    stack: Annotated[
        str | None, typer.Option("--stack", "-s", help="Stack to gate (default: the one stack of that environment).")
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check everything and show what would change; change nothing.")] = False,
    project_dir: ProjectDir = Path("."),
    reports_dir: ReportsDir = None,
    jobs: JobsOption = None,
    no_cache: NoCacheOption = False,
) -> None:
    """Approve a model package version and pin it for an environment, after its metrics and the gate pass.

    Refuses (exit 1) with the reason when the package is missing, in another group, rejected,
    below the spec's evaluation threshold, or when the stack's gate fails with it pinned.
    """
    from ..audit.ledger import current_actor
    from ..live.promote import promote as run_promotion
    from ..workflow import Capture

    if to not in ("dev", "staging", "prod"):
        from ..errors import InputError

        raise InputError(f"--to: expected one of dev, staging, prod; found {to!r}")
    how = Capture.for_project(project_dir, jobs=jobs, cache=not no_cache)
    promotion = run_promotion(
        project_dir, model, to, version=version, package_arn=package_arn, stack=stack, reason=reason,
        actor=current_actor(), reports_dir=reports_dir, dry_run=dry_run, jobs=how.jobs, cache_dir=how.cache_dir,
    )
    _print_promotion(promotion)


def _print_promotion(p: Promotion) -> None:
    facts, metric = p.package, p.metric
    sign = "<=" if metric["comparison"] == "less_than_or_equal" else ">="
    heading = "Dry run: would promote" if p.dry_run else "Promoted"
    out.print(f"{heading} {p.model} model package version {facts['version']} to {p.environment} (stack {p.stack})")
    out.print(f"  package: {facts['arn']}")
    out.print(f"  metric: {metric['name']} {metric['value']:g} {sign} {metric['threshold']:g} (from {metric['source']})")
    report = f" ({p.gate_report})" if p.gate_report else ""
    out.print(f"  gate: {p.gate.decision if p.gate else 'not run'} with the package pinned{report}")
    for note in p.notes:
        out.print(f"  {note}")
    verb = "would set" if p.dry_run else "set"
    if p.approves:
        out.print(f"  registry: {verb} approval {p.approval_before} → Approved: \"{p.approval_description}\"")
    else:
        out.print("  registry: already Approved, left as it is")
    if p.changes_spec:
        key = f"environments.{p.environment}.registry.pinned_version"
        out.print(f"  spec: {verb} {key} = {facts['version']} in {p.spec_path} (was {p.previous_pin})")
        if p.card_status_after != p.card_status_before:
            card = f"environments.{p.environment}.model_card.status"
            out.print(f"  model card: {verb} {card} = {p.card_status_after} (was {p.card_status_before}): this promotion approves it")
        out.print(p.spec_diff(), markup=False, end="")
    if p.ledger_entry:
        out.print(f"  audit ledger: promotion entry {p.ledger_entry['seq']} ({p.ledger_entry['hash'][:12]}) appended")


@app.command()
@reports_user_errors
def up(
    stack: StackOption,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Pass --yes to pulumi up: deploy without its confirmation prompt.")] = False,
    project_dir: ProjectDir = Path("."),
    reports_dir: ReportsDir = None,
    jobs: JobsOption = None,
    no_cache: NoCacheOption = False,
) -> None:
    """Gate the stack with live registry facts, then run `pulumi up --stack STACK --policy-pack policies`.

    Unverified mandatory controls fail here. Needs the Pulumi CLI (exit 127 with install
    instructions when it is missing) and AWS credentials (exit 3 without them).
    """
    from ..live.deploy import deploy_stack
    from ..workflow import Capture
    from .core import print_gate, print_outcome_files

    def gated(plan, outcome, command) -> None:  # noqa: ANN001 - Plan, GateOutcome, list[str]
        out.print(f"Stack {stack}: {len(plan.resources)} planned resources; plan written to {outcome.plan_path}")
        print_gate(outcome.result)
        print_outcome_files(outcome)
        if outcome.result.decision == "pass":
            out.print(f"running: MLOPS_STACK={stack} {' '.join(command)} (in {project_dir})", markup=False)

    how = Capture.for_project(project_dir, jobs=jobs, cache=not no_cache)
    deploy_stack(
        project_dir, stack, reports_dir or project_dir / "reports", yes=yes, jobs=how.jobs, cache_dir=how.cache_dir, on_gated=gated
    )


@app.command()
@reports_user_errors
def verify(
    stack: StackOption,
    strict: Annotated[bool, typer.Option("--strict", help="Also exit 1 when a resource could not be checked.")] = False,
    project_dir: ProjectDir = Path("."),
    reports_dir: ReportsDir = None,
    jobs: JobsOption = None,
    no_cache: NoCacheOption = False,
) -> None:
    """Compare what is deployed with the plan, per resource; exit 1 on drift or missing resources.

    Writes reports/STACK/drift-report.json. Resources the endpoint cannot describe (monitoring
    schedules on moto) are listed as not checkable; --strict fails on them too.
    """
    from ..workflow import Capture, verify_stack

    how = Capture.for_project(project_dir, jobs=jobs, cache=not no_cache)
    report, path = verify_stack(project_dir, stack, reports_dir or project_dir / "reports", how)
    _print_drift(report)
    out.print(f"drift report written to {path}")
    if report.drifted or (strict and report.count("not-checkable")):
        raise typer.Exit(int(ExitCode.GATE_FAILED))


@app.command()
@reports_user_errors
def scan(
    stack: StackOption,
    project_dir: ProjectDir = Path("."),
    reports_dir: ReportsDir = None,
    jobs: JobsOption = None,
    no_cache: NoCacheOption = False,
) -> None:
    """Evaluate the policies on what is deployed: every planned resource read back from AWS.

    Exit 1 on a mandatory violation or a missing resource, 3 when AWS cannot be asked. Fields and
    resources that cannot be read make their checks unverified, which fails here. Writes the five
    reports to reports/STACK/scan/ and a ledger entry of kind `scan`.
    """
    from ..live.scan import scan_stack
    from ..workflow import Capture
    from .core import print_gate, print_outcome_files

    how = Capture.for_project(project_dir, jobs=jobs, cache=not no_cache)
    outcome = scan_stack(project_dir, stack, reports_dir or project_dir / "reports", jobs=how.jobs, cache_dir=how.cache_dir)
    scanned = outcome.scanned
    where = scanned.endpoint_url or "AWS"
    out.print(f"Stack {stack}: {len(scanned.resources)} deployed resources read from {where}, account {scanned.account}")
    for title, items, line in (
        ("missing", scanned.missing, lambda m: f"  {m['type'].split(':')[-1]} {m['name']}: {m['reason']}"),
        ("unmanaged", scanned.unmanaged, lambda u: f"  {u['type'].split(':')[-1]} {u['name']}: {u['reason']}"),
        ("not readable", scanned.unreadable, lambda u: f"  {u['urn'].rsplit('::', 1)[-1]}: {', '.join(u['fields'])}: {u['reason']}"),
    ):
        if items:
            out.print(f"[bold]{title}[/] ({len(items)})")
            for item in items:
                out.print(line(item), markup=False)
    print_gate(outcome.gate.result)
    print_outcome_files(outcome.gate)
    if outcome.gate.result.decision == "fail" or scanned.missing:
        raise typer.Exit(int(ExitCode.GATE_FAILED))


_STATUS_STYLE = {"in-sync": "green", "drifted": "bold red", "missing": "bold red", "not-checkable": "yellow"}


def _print_drift(report: DriftReport) -> None:
    """A status table per resource, then every difference and reason as whole lines (never cut in CI logs)."""
    where = report.endpoint_url or "AWS"
    title = f"Stack {report.stack} ({report.environment}) against {where}, {report.region}, account {report.account}"
    table = Table(title=title, title_justify="left")
    table.add_column("resource", overflow="fold")
    table.add_column("type")
    table.add_column("status")
    for check in report.checks:
        style = _STATUS_STYLE[check.status]
        table.add_row(check.physical_name or check.name, check.type.split(":")[-1], f"[{style}]{check.status}[/]")
    out.print(table)
    drift, unchecked = [], []
    for check in report.checks:
        label = f"{check.type.split(':')[-1]} {check.physical_name or check.name}"
        if check.status == "missing":
            drift.append(f"  {label}: missing: {check.reason}")
        drift += [f"  {label}: {d.field}: planned {d.planned!r}, deployed {d.deployed!r}" for d in check.differences]
        if check.status == "not-checkable":
            unchecked.append(f"  {label}: {check.reason}")
        unchecked += [f"  {label}: {u}" for u in check.unchecked]
    for title, lines in (("drift", drift), ("not checked", unchecked)):
        if lines:
            out.print(f"[bold]{title}[/]")
            for line in lines:
                out.print(line, markup=False)
    out.print(
        f"{len(report.checks)} resources: {report.count('in-sync')} in sync, {report.count('drifted')} drifted, "
        f"{report.count('missing')} missing, {report.count('not-checkable')} not checkable"
    )
    verdict = "[bold red]DRIFT[/]" if report.drifted else "[bold green]NO DRIFT[/]"
    out.print(f"Verify: {verdict}")
