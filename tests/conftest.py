"""Shared fixtures: throwaway projects built from the repository's own example files."""

from __future__ import annotations

import shutil
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from mlops.plan import Plan

REPO = Path(__file__).resolve().parent.parent


@cache
def example_plan(stack: str) -> Plan:
    """The repository's own plan of a stack, built once per test session: read it, never change it."""
    from mlops.plan import build_plan

    return build_plan(REPO, stack)

VALID_SPEC = """\
metadata:
  name: {name}
  description: A model used by the tests.
  owner: owner@example.com
  team: testers
  cost_center: CC-1
  risk_tier: medium
  data_classification: internal
feature_groups:
  - name: events
    description: Test events.
    record_identifier: id
    event_time: ts
    features:
      - {{name: id, type: string}}
      - {{name: ts, type: string}}
      - {{name: value, type: fractional}}
training:
  framework: xgboost
  framework_version: "1.7-1"
  inputs:
    - {{channel: train, feature_group: events}}
  evaluation:
    metric: auc
    threshold: 0.8
serving:
  instance_type: ml.m5.large
"""


def copy_project(dest: Path, models: bool = True) -> Path:
    """A copy of the repository's project files (stack configs, entry point, policies, optionally models)."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copytree(REPO / "policies", dest / "policies", ignore=shutil.ignore_patterns("__pycache__"))
    for stack_file in REPO.glob("Pulumi*.yaml"):
        shutil.copy(stack_file, dest / stack_file.name)
    (dest / "infra").mkdir(exist_ok=True)
    shutil.copy(REPO / "infra" / "__main__.py", dest / "infra" / "__main__.py")
    if models:
        shutil.copytree(REPO / "models", dest / "models")
    else:
        (dest / "models").mkdir()
    return dest


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return copy_project(tmp_path / "project")


@pytest.fixture
def empty_project(tmp_path: Path) -> Path:
    return copy_project(tmp_path / "project", models=False)


@pytest.fixture
def unready_project(tmp_path: Path) -> Path:
    """A project whose only model is not production-ready (tests/fixtures/unready-prod)."""
    root = copy_project(tmp_path / "project", models=False)
    shutil.copy(REPO / "tests" / "fixtures" / "unready-prod" / "scoring-api.yaml", root / "models" / "scoring-api.yaml")
    return root
