"""Fixtures for the report tests: the hand-written canonical report and real plans of copied projects."""

from __future__ import annotations

import copy
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from ..conftest import REPO, copy_project

FIXTURES = REPO / "tests" / "fixtures" / "reports"
SARIF_SCHEMA = REPO / "tests" / "fixtures" / "sarif" / "sarif-schema-2.1.0.json"
# What the offline runner is given for the example's secret in the copied project: a plaintext
# (as if decrypted), so the tests can look for it in every file written.
PLAINTEXT_SECRET = "tr-live-7f3a9c2e1b8d4f60"


def fixture_report(name: str = "prod-fail") -> dict:
    """A fresh copy of a hand-written canonical report (tests may change it)."""
    return copy.deepcopy(_load(name))


_CACHE: dict[str, dict] = {}


def _load(name: str) -> dict:
    if name not in _CACHE:
        _CACHE[name] = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    return _CACHE[name]


@dataclass(frozen=True)
class PlannedProject:
    root: Path
    stack: str
    plan: object  # mlops.plan.Plan
    reports: Path
    plan_path: Path
    plan_file: object  # mlops.reports.redact.PlanFile
    ciphertexts: tuple[str, ...]


def _secure_values(stack_file: Path) -> tuple[str, ...]:
    from mlops.reports.redact import secret_config_values
    from mlops.specs.loader import load_stack_settings

    return tuple(sorted(secret_config_values(load_stack_settings(stack_file.parent, stack_file.stem.split(".")[1]).config)))


@pytest.fixture(scope="session")
def planned_dev(tmp_path_factory: pytest.TempPathFactory) -> PlannedProject:
    """The example project (copied), dev stack, planned once and plan.json written.

    Its secret is given to the runner as a known plaintext (`secure: <plaintext>`), the way
    `pulumi up` hands the program a decrypted value.
    """
    from mlops.plan import build_plan
    from mlops.reports.redact import PlanFile

    root = copy_project(tmp_path_factory.mktemp("dev") / "project")
    stack_file = root / "Pulumi.dev.yaml"
    ciphertexts = _secure_values(stack_file)
    text = stack_file.read_text(encoding="utf-8")
    for ciphertext in ciphertexts:
        text = text.replace(ciphertext, PLAINTEXT_SECRET)
    stack_file.write_text(text, encoding="utf-8")
    plan = build_plan(root, "dev")
    reports = root / "reports"
    plan_file = PlanFile.of(plan)
    return PlannedProject(root, "dev", plan, reports, plan_file.write(reports), plan_file, (*ciphertexts, PLAINTEXT_SECRET))


@pytest.fixture(scope="session")
def planned_unready(tmp_path_factory: pytest.TempPathFactory) -> PlannedProject:
    """tests/fixtures/unready-prod (one model that breaks eight prod policies), prod stack, planned once."""
    from mlops.plan import build_plan
    from mlops.reports.redact import PlanFile

    root = copy_project(tmp_path_factory.mktemp("unready") / "project", models=False)
    shutil.copy(REPO / "tests" / "fixtures" / "unready-prod" / "scoring-api.yaml", root / "models" / "scoring-api.yaml")
    plan = build_plan(root, "prod")
    reports = root / "reports"
    plan_file = PlanFile.of(plan)
    return PlannedProject(root, "prod", plan, reports, plan_file.write(reports), plan_file, _secure_values(root / "Pulumi.prod.yaml"))
