"""What the tests of the GitHub workflows share: reading a workflow, finding its steps, checking it
against GitHub's workflow schema, and running one of its `run:` blocks as the runner would."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

# A GitHub expression (`${{ … }}`) inside a run block or an input.
EXPRESSION = re.compile(r"\$\{\{.*?\}\}")


class Workflow:
    """One workflow file, read afresh on every question (tests may rewrite copies of it)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> dict[str, Any]:
        return YAML(typ="safe").load(self.path.read_text())

    def steps(self, job: str) -> list[dict[str, Any]]:
        return self.load()["jobs"][job]["steps"]

    def step(self, job: str, name: str) -> dict[str, Any]:
        [found] = [s for s in self.steps(job) if s.get("name") == name]
        return found

    def uses(self, job: str, action: str) -> dict[str, Any]:
        [found] = [s for s in self.steps(job) if s.get("uses", "").startswith(action + "@")]
        return found


def validate(path: Path) -> subprocess.CompletedProcess[str]:
    """check-jsonschema against the GitHub workflow schema it vendors (offline)."""
    command = [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows", str(path)]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def run_script(script: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """A `run:` block as the runner executes it (bash -e), with its environment."""
    return subprocess.run(["bash", "-e", "-c", script], cwd=cwd, env={**os.environ, **env},
                          capture_output=True, text=True, timeout=60, check=False)
