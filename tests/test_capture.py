"""Parallel and incremental capture give the plan one cold run in one process gives, byte for byte.

The comparisons run `mlops plan` in separate processes with different PYTHONHASHSEEDs, so
nothing that depends on one process's hash order can pass unnoticed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mlops import capture
from mlops.errors import InputError, ProgramError
from mlops.plan import build_plan, load_inputs
from mlops.plan import capture as capture_plan
from mlops.reports.redact import PlanFile

from .conftest import REPO, copy_project

MODELS = ("churn-predictor", "fraud-detector", "ticket-router")


def plan_json(project: Path, *args: str, seed: int = 0, pythonpath: Path | None = None, stack: str = "dev") -> bytes:
    """plan.json as `mlops plan` writes it, from a fresh process."""
    env = {**os.environ, "PYTHONHASHSEED": str(seed)}
    env.pop("MLOPS_CACHE_DIR", None)
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    reports = project / "reports" / f"run-{seed}-{'-'.join(a.strip('-') for a in args) or 'default'}"
    done = subprocess.run(
        [sys.executable, "-m", "mlops", "plan", "--stack", stack, "--project-dir", str(project), "--reports-dir", str(reports), *args],
        env=env, capture_output=True, text=True, check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return (reports / stack / "plan.json").read_bytes()


def planned(project: Path, *, stack: str = "dev", cache: bool = True, jobs: int = 2) -> bytes:
    """plan.json's bytes from a capture in this process (its workers forked from it)."""
    plan = build_plan(project, stack, jobs=jobs, cache_dir=project / ".mlops-cache" if cache else None)
    return PlanFile.of(plan).data


def cache_entries(project: Path, stack: str = "dev") -> dict[str, float]:
    folder = project / ".mlops-cache" / "capture" / stack
    return {p.name: p.stat().st_mtime for p in folder.glob("*.json")} if folder.is_dir() else {}


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.fixture
def five_models(tmp_path: Path) -> Path:
    """The examples plus two renamed copies, so three workers get more than one model in all."""
    root = copy_project(tmp_path / "project")
    for template, name in (("fraud-detector", "fraud-detector-eu"), ("churn-predictor", "churn-predictor-eu")):
        text = (root / "models" / f"{template}.yaml").read_text(encoding="utf-8")
        (root / "models" / f"{name}.yaml").write_text(text.replace(f"name: {template}\n", f"name: {name}\n", 1), encoding="utf-8")
    return root


def test_parallel_and_cached_plans_equal_one_cold_run(five_models: Path) -> None:
    cold = plan_json(five_models, "--no-cache", "--jobs", "1", seed=1)
    assert plan_json(five_models, "--no-cache", "--jobs", "3", seed=2) == cold
    assert not cache_entries(five_models), "--no-cache writes no cache"
    assert plan_json(five_models, "--jobs", "2", seed=3) == cold  # fills the cache
    assert len(cache_entries(five_models)) == 6  # five models and the platform
    assert plan_json(five_models, "--jobs", "1", seed=4) == cold  # warm


def test_prod_plan_with_pins_and_secrets_is_the_same_warm(project: Path) -> None:
    cold = planned(project, stack="prod", cache=False)
    planned(project, stack="prod")
    assert planned(project, stack="prod", jobs=1) == cold


def test_editing_one_model_recaptures_only_that_model(project: Path) -> None:
    planned(project)
    before = cache_entries(project)
    edit(project / "models" / "fraud-detector.yaml", "threshold: 0.92", "threshold: 0.93")
    warm = planned(project)
    after = cache_entries(project)
    assert len(set(after) - set(before)) == 1, "one new entry: the edited model's"
    assert warm == planned(project, cache=False)
    assert b"0.93" in warm


def test_editing_the_stack_file_recaptures_everything(project: Path) -> None:
    planned(project)
    before = set(cache_entries(project))
    edit(project / "Pulumi.dev.yaml", "mlops:costCenter: CC-1000", "mlops:costCenter: CC-2000")
    warm = planned(project)
    assert len(set(cache_entries(project)) - before) == 4, "every model and the platform captured again"
    assert b"CC-2000" in warm
    assert warm == planned(project, cache=False)


def test_changed_component_code_is_never_served_from_the_cache(project: Path, tmp_path: Path) -> None:
    package = tmp_path / "code"
    shutil.copytree(REPO / "infra" / "mlops", package / "mlops", ignore=shutil.ignore_patterns("__pycache__"))
    plan_json(project, seed=1, pythonpath=package)
    edit(package / "mlops" / "components" / "tags.py", 'MANAGED_BY = "mlops-platform"', 'MANAGED_BY = "mlops-platform-2"')
    warm = plan_json(project, seed=2, pythonpath=package)
    assert b"mlops-platform-2" in warm
    assert warm == plan_json(project, "--no-cache", seed=3, pythonpath=package)


def test_a_dependency_version_change_misses_every_entry(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cold = planned(project)
    before = set(cache_entries(project))
    assert planned(project) == cold
    assert set(cache_entries(project)) == before, "everything came from the cache"
    monkeypatch.setattr(capture, "installed_packages", lambda: ["pulumi-aws==99.0.0"])
    assert planned(project) == cold
    assert len(set(cache_entries(project)) - before) == 4, "every model and the platform captured again"


def test_corrupt_truncated_and_foreign_entries_are_rebuilt(project: Path) -> None:
    cold = planned(project, cache=False)
    planned(project)
    folder = project / ".mlops-cache" / "capture" / "dev"
    entries = {json.loads(p.read_bytes())["group"]: p for p in folder.glob("*.json")}
    truncated, foreign, tampered = entries["fraud-detector"], entries["churn-predictor"], entries["ticket-router"]
    truncated.write_bytes(truncated.read_bytes()[:500])
    shutil.copy(entries[capture.PLATFORM], foreign)  # a valid entry, but for another group and key
    document = json.loads(tampered.read_bytes())
    document["resources"][0]["inputs"]["injected"] = "value"  # digest no longer matches
    tampered.write_text(json.dumps(document), encoding="utf-8")
    assert planned(project) == cold
    for path in (truncated, foreign, tampered):
        entry = json.loads(path.read_bytes())
        assert entry["key"] == path.stem and "injected" not in json.dumps(entry)


def test_a_failing_worker_fails_the_command_with_its_error(project: Path) -> None:
    edit(project / "models" / "ticket-router.yaml", "framework_version:", "framework_version: '0.0-9' #")
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    done = subprocess.run(
        [sys.executable, "-m", "mlops", "plan", "--stack", "dev", "--project-dir", str(project), "--jobs", "3"],
        env=env, capture_output=True, text=True, check=False,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert "error: unknown framework images" in done.stderr
    assert "ticket-router.yaml: training.framework_version: no SageMaker image in" in done.stderr
    assert not (project / "reports" / "dev" / "plan.json").exists()
    assert not cache_entries(project) or all(
        json.loads((project / ".mlops-cache" / "capture" / "dev" / name).read_bytes())["group"] != "ticket-router"
        for name in cache_entries(project)
    )


def test_a_worker_that_dies_fails_the_capture(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    inputs = load_inputs(project, "dev")

    def dies(inputs, program):  # noqa: ANN001, ANN202
        if any(item.spec.name == "fraud-detector" for item in program.specs):
            os._exit(9)
        return []

    monkeypatch.setattr(capture, "_capture", dies)
    with pytest.raises(ProgramError, match=r"capture worker for model fraud-detector ended without a result \(exit code 9\)"):
        capture_plan(inputs, jobs=3)


def test_a_worker_input_error_keeps_its_class_and_problems(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    inputs = load_inputs(project, "dev")

    def refuses(inputs, program):  # noqa: ANN001, ANN202
        raise InputError("bad input", problems=[f"{item.spec.name}: wrong" for item in program.specs])

    monkeypatch.setattr(capture, "_capture", refuses)
    with pytest.raises(InputError) as raised:
        capture_plan(inputs, jobs=2)
    assert raised.value.message == "bad input"
    assert raised.value.problems and all(p.endswith(": wrong") for p in raised.value.problems)


def test_partition_bounds_each_worker() -> None:
    specs = list(range(250))
    assert [len(s) for s in capture.partition(specs, 2)] == [100, 100, 50]  # type: ignore[arg-type]
    assert [len(s) for s in capture.partition(specs[:5], 2)] == [3, 2]  # type: ignore[arg-type]
    assert capture.partition([], 4) == [[]]
