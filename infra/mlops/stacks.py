"""`mlops stacks`: every stack of a project in one view — environment, models, plan size, last gate decision, waivers.

Each stack is read on its own, so one broken stack file or spec shows its error in its own row
instead of hiding the others. The last decision comes from the audit ledger (read in one
verifying pass), the plan size from `reports/<stack>/plan.json`, and open waivers from
`policies/waivers.yaml`.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from .errors import ExitCode, MlopsError

# A waiver expiring within this many days is flagged.
EXPIRY_WARNING_DAYS = 14


@dataclass(frozen=True)
class LastDecision:
    decision: str
    timestamp: str
    seq: int
    commit: str | None
    actor: str | None


@dataclass(frozen=True)
class OpenWaiver:
    policy: str
    selector: str
    approver: str
    expires: date


@dataclass
class StackRow:
    """One stack as a platform team sees it; `error` holds why its files could not be read."""

    stack: str
    environment: str | None = None
    region: str | None = None
    models: list[str] = field(default_factory=list)
    resources: int | None = None  # custom resources in reports/<stack>/plan.json; None: not planned
    plan_problem: str | None = None
    last: LastDecision | None = None
    waivers: list[OpenWaiver] = field(default_factory=list)
    error: str | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def nearest_expiry(self) -> date | None:
        return min((w.expires for w in self.waivers), default=None)

    def expiry_soon(self, today: date) -> bool:
        nearest = self.nearest_expiry
        return nearest is not None and (nearest - today).days <= EXPIRY_WARNING_DAYS

    def to_dict(self, today: date) -> dict[str, Any]:
        nearest = self.nearest_expiry
        return {
            "stack": self.stack,
            "environment": self.environment,
            "region": self.region,
            "models": self.models,
            "resources": self.resources,
            "plan_problem": self.plan_problem,
            "last_decision": asdict(self.last) if self.last else None,
            "open_waivers": [{**asdict(w), "expires": w.expires.isoformat()} for w in self.waivers],
            "nearest_expiry": nearest.isoformat() if nearest else None,
            "expiry_soon": self.expiry_soon(today),
            "error": self.error,
            "problems": self.problems,
        }


@dataclass
class StacksOverview:
    """Every stack row plus what could not be read project-wide (waivers, ledger)."""

    rows: list[StackRow]
    today: date
    ledger: Path
    ledger_entries: int | None = None  # None: no ledger yet
    ledger_problem: str | None = None  # the ledger does not verify
    waivers_problem: str | None = None
    waivers_problems: list[str] = field(default_factory=list)
    waivers_exit_code: int = 0
    ledger_exit_code: int = 0

    @property
    def invalid_stacks(self) -> list[StackRow]:
        return [row for row in self.rows if row.error]

    @property
    def exit_code(self) -> int:
        """2 for unreadable stack files or waivers (3 if the policies cannot load), then the ledger's: 1 tampered, 2 unreadable."""
        if self.invalid_stacks:
            return int(ExitCode.INVALID_INPUT)
        if self.waivers_exit_code:
            return self.waivers_exit_code
        return self.ledger_exit_code

    def to_dict(self) -> dict[str, Any]:
        return {
            "today": self.today.isoformat(),
            "stacks": [row.to_dict(self.today) for row in self.rows],
            "ledger": {"path": str(self.ledger), "entries": self.ledger_entries, "problem": self.ledger_problem},
            "waivers_problem": self.waivers_problem,
            "waivers_problems": self.waivers_problems,
        }


def stacks_overview(
    project_dir: Path, *, reports_dir: Path | None = None, ledger: Path | None = None, today: date | None = None
) -> StacksOverview:
    from .audit.ledger import default_ledger_path
    from .specs.loader import stack_names

    overview = StacksOverview(
        rows=[_stack_row(project_dir, name) for name in stack_names(project_dir)],
        today=today or datetime.now(timezone.utc).date(),
        ledger=ledger or default_ledger_path(project_dir),
    )
    reports = reports_dir or project_dir / "reports"
    for row in overview.rows:
        row.resources, row.plan_problem = _planned_resources(reports / row.stack / "plan.json")
    _add_last_decisions(overview)
    _add_open_waivers(project_dir, overview)
    return overview


def _stack_row(project_dir: Path, name: str) -> StackRow:
    from .specs.loader import load_specs, load_stack_settings

    row = StackRow(stack=name)
    try:
        stack = load_stack_settings(project_dir, name).settings
        row.environment, row.region = stack.environment, stack.region
        specs = load_specs(project_dir / stack.models_dir, stack.environment, stack.name_prefix)
    except MlopsError as e:
        row.error, row.problems = e.message, list(e.problems)
        return row
    row.models = sorted(loaded.spec.name for loaded in specs)
    return row


def _planned_resources(path: Path) -> tuple[int | None, str | None]:
    """Custom resources in a plan (as `mlops plan` counts them), or why the plan cannot be read."""
    try:
        plan = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None, None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        return None, f"{path}: unreadable plan ({e}); run `mlops plan` again"
    resources = plan.get("resources") if isinstance(plan, dict) else None
    if not isinstance(resources, list):
        return None, f"{path}: no 'resources' list; run `mlops plan` again"
    return sum(1 for r in resources if isinstance(r, dict) and r.get("custom", True)), None


def _add_last_decisions(overview: StacksOverview) -> None:
    from .audit.ledger import verify

    if not overview.ledger.exists():
        return
    last: dict[str, LastDecision] = {}

    def visit(entry: dict[str, Any]) -> None:
        if entry["kind"] == "gate" and isinstance(entry.get("stack"), str):
            last[entry["stack"]] = LastDecision(
                decision=str(entry.get("decision")), timestamp=entry["timestamp"], seq=entry["seq"],
                commit=entry.get("commit"), actor=entry.get("actor"),
            )

    try:
        result = verify(overview.ledger, visit=visit)
    except MlopsError as e:
        overview.ledger_problem, overview.ledger_exit_code = e.message, int(e.exit_code)
        return
    overview.ledger_entries = result.entries
    if not result.ok:
        assert result.broken is not None
        overview.ledger_problem = (
            f"{overview.ledger}:{result.broken.line}: the audit ledger does not verify ({'; '.join(result.broken.problems)}); "
            f"last decisions are shown up to line {result.broken.line - 1}; run `mlops audit verify`"
        )
        overview.ledger_exit_code = int(ExitCode.GATE_FAILED)
    for row in overview.rows:
        row.last = last.get(row.stack)


def _add_open_waivers(project_dir: Path, overview: StacksOverview) -> None:
    """Unexpired waivers that apply to each stack's environment (and, for model waivers, to one of its models)."""
    from .governance.bundle import load_bundle
    from .governance.waivers import load_waivers

    path = project_dir / "policies" / "waivers.yaml"
    if not path.is_file():
        return
    try:
        waivers = load_waivers(path, load_bundle(project_dir / "policies"))
    except MlopsError as e:
        overview.waivers_problem, overview.waivers_problems = e.message, list(e.problems)
        overview.waivers_exit_code = int(e.exit_code)
        return
    for row in overview.rows:
        if row.environment is None:
            continue
        for w in waivers:
            if w.expired(overview.today) or (w.environments is not None and row.environment not in w.environments):
                continue
            if w.model is not None and not row.error and w.model not in row.models:
                continue
            selector = f"model {w.model}" if w.model is not None else f"resource {w.resource}"
            row.waivers.append(OpenWaiver(policy=w.policy, selector=selector, approver=w.approver, expires=w.expires))
        row.waivers.sort(key=lambda w: (w.expires, w.policy, w.selector))
