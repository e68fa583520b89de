"""`mlops up`: gate the stack with live registry facts, then hand over to `pulumi up` with the policy pack.

The gate here is the same as `mlops plan`'s, plus the registry facts and `require_verified`:
a mandatory control that could not be checked fails, it does not pass. Only a passing gate
runs `pulumi up --stack STACK --policy-pack policies`, where the CrossGuard pack checks the
real resource graph once more with the same policies. There is no fallback when the Pulumi CLI
is missing: the command stops and says how to install it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path

import boto3

from ..errors import ExitCode, MlopsError
from ..plan import Plan, capture, load_inputs
from ..policy_gate import GateOutcome, gate_stack, governance_for
from .registry import registry_facts

INSTALL_HINT = (
    "install it with `curl -fsSL https://get.pulumi.com | sh` (or `brew install pulumi/tap/pulumi`, "
    "see https://www.pulumi.com/docs/install/), make sure `pulumi` is on PATH, then run `pulumi login`"
)


class PulumiCliMissing(MlopsError):
    """The Pulumi CLI is not installed; `mlops up` never deploys any other way."""

    exit_code = ExitCode.TOOL_MISSING


class PulumiFailed(MlopsError):
    """`pulumi up` ran and failed; its own output says why."""


def pulumi_executable(environ: Mapping[str, str] = os.environ) -> str:
    """The `pulumi` on PATH, or PulumiCliMissing with install instructions."""
    found = shutil.which("pulumi", path=environ.get("PATH"))
    if not found:
        raise PulumiCliMissing(f"the Pulumi CLI is not installed (no `pulumi` on PATH); mlops up deploys through it: {INSTALL_HINT}")
    return found


def pulumi_command(executable: str, stack: str, *, yes: bool) -> list[str]:
    return [executable, "up", "--stack", stack, "--policy-pack", "policies", *(["--yes"] if yes else [])]


def gate_for_deploy(
    project_dir: Path,
    stack: str,
    reports_dir: Path,
    *,
    jobs: int = 1,
    cache_dir: Path | None = None,
    session: boto3.Session | None = None,
) -> tuple[Plan, GateOutcome]:
    """Plan offline, fetch registry facts live and gate with `require_verified`; nothing deploys here."""
    inputs = load_inputs(project_dir, stack)
    governance = governance_for(inputs)
    plan = capture(inputs, jobs=jobs, cache_dir=cache_dir)
    facts = registry_facts(plan.stack, plan.specs, session)
    return plan, gate_stack(project_dir, plan, reports_dir, registry=facts, require_verified=True, governance=governance)


def run_pulumi_up(project_dir: Path, command: list[str], stack: str, environ: Mapping[str, str] = os.environ) -> int:
    """Run `pulumi up` in the project with MLOPS_STACK set for the policy pack; its output streams through."""
    env = {**environ, "MLOPS_STACK": stack}
    try:
        return subprocess.run(command, cwd=project_dir, env=env, check=False).returncode
    except OSError as e:
        raise PulumiCliMissing(f"cannot run {command[0]}: {e}; {INSTALL_HINT}") from e


class GateNotPassed(MlopsError):
    """The deploy gate did not pass with live facts; nothing was deployed."""

    exit_code = ExitCode.GATE_FAILED


def deploy_stack(
    project_dir: Path,
    stack: str,
    reports_dir: Path,
    *,
    yes: bool,
    jobs: int = 1,
    cache_dir: Path | None = None,
    on_gated: Callable[[Plan, GateOutcome, list[str]], None] = lambda plan, outcome, command: None,
    environ: Mapping[str, str] = os.environ,
) -> None:
    """`mlops up`: the Pulumi CLI must be there, the gate with live facts must pass (`on_gated` is
    told either way, before anything deploys), then `pulumi up` with the policy pack runs."""
    executable = pulumi_executable(environ)
    plan, outcome = gate_for_deploy(project_dir, stack, reports_dir, jobs=jobs, cache_dir=cache_dir)
    command = pulumi_command(executable, stack, yes=yes)
    on_gated(plan, outcome, command)
    if outcome.result.decision != "pass":
        raise GateNotPassed(f"the {stack} gate did not pass with live facts; nothing was deployed")
    code = run_pulumi_up(project_dir, command, stack, environ)
    if code != 0:
        raise PulumiFailed(f"pulumi up exited with status {code}; its output above says why")
