"""Runs the Rego unit tests (`test_*` rules) that live beside the policies; backs `mlops policy test`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ..errors import PolicyEngineError
from .bundle import PACKAGE_LINE, data_files, evaluate_in_child, parse_data, read_data, read_source, rego_files
from .regorus_worker import DEFAULT_TIMEOUT_SECONDS

# Rule heads start at column 0 in formatted Rego; bodies are indented.
TEST_RULE = re.compile(r"^(test_\w+)\b", re.MULTILINE)

Status = Literal["passed", "failed", "errored"]


@dataclass(frozen=True)
class RegoTest:
    package: str
    rule: str
    path: Path
    line: int

    @property
    def ref(self) -> str:
        return f"data.{self.package}.{self.rule}"


@dataclass(frozen=True)
class RegoTestResult:
    test: RegoTest
    status: Status
    detail: str = ""


@dataclass(frozen=True)
class RegoTestReport:
    """Every test's outcome; a run that executed no test is not a success."""

    results: list[RegoTestResult]

    def count(self, status: Status) -> int:
        return sum(r.status == status for r in self.results)

    @property
    def ok(self) -> bool:
        return bool(self.results) and all(r.status == "passed" for r in self.results)


def discover_tests(sources: dict[Path, str]) -> list[RegoTest]:
    """Each distinct `test_*` rule per package, at the line of its first definition."""
    tests: dict[tuple[str, str], RegoTest] = {}
    for path, text in sources.items():
        package = next((m.group(1) for line in text.splitlines() if (m := PACKAGE_LINE.match(line))), None)
        if package is None:
            raise PolicyEngineError(f"{path}: no `package` declaration; every Rego file needs one")
        for match in TEST_RULE.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            tests.setdefault((package, match.group(1)), RegoTest(package, match.group(1), path, line))
    return list(tests.values())


def run_rego_tests(policies_dir: Path, timeout: float = DEFAULT_TIMEOUT_SECONDS) -> RegoTestReport:
    """Load every module (tests included) and the data, evaluate each `test_*` rule; passing means exactly `true`."""
    if not policies_dir.is_dir():
        raise PolicyEngineError(f"{policies_dir}: policy directory not found; point --policies at the directory holding the .rego files")
    sources = {path: read_source(path) for path in rego_files(policies_dir, include_tests=True)}
    data = parse_data({path: read_data(path) for path in data_files(policies_dir)})
    tests = discover_tests(sources)
    if not tests:
        return RegoTestReport(results=[])
    job = {
        "modules": [(str(path), text) for path, text in sources.items()],
        "data": data,
        "document": None,
        "rules": [t.ref for t in tests],
    }
    outcome = evaluate_in_child(
        job,
        timeout,
        timed_out="Rego tests did not finish within {timeout:g}s; a test or policy may loop, fix it",
        crashed="embedded Rego engine failed: {error}",
        not_loaded="{error}; fix the module before running tests",
    )
    return RegoTestReport(results=[_result(t, outcome["results"][t.ref]) for t in tests])


def _result(test: RegoTest, outcome: dict[str, object]) -> RegoTestResult:
    if "error" in outcome:
        return RegoTestResult(test, "errored", str(outcome["error"]))
    if "undefined" in outcome:
        return RegoTestResult(test, "failed", "undefined: an expression in the test body did not hold")
    if outcome["value"] is True:
        return RegoTestResult(test, "passed")
    return RegoTestResult(test, "failed", f"evaluated to {outcome['value']!r}, expected true")
