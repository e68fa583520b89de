"""Runs the Rego unit tests (`test_*` rules) that live beside the policies; backs `mlops policy test`."""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ..errors import InputError, PolicyEngineError
from .bundle import PACKAGE_LINE, data_files, evaluate_in_child, parse_data, read_data, read_source, rego_files
from .regorus_worker import DEFAULT_TIMEOUT_SECONDS

# Rule heads start at column 0 in formatted Rego; bodies are indented.
TEST_RULE = re.compile(r"^(test_\w+)\b", re.MULTILINE)

# A reference to a document under `data`: an import or a rule path.
DATA_REF = re.compile(r"\bdata\.([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)")

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


def package_of(path: Path, text: str) -> str:
    package = next((m.group(1) for line in text.splitlines() if (m := PACKAGE_LINE.match(line))), None)
    if package is None:
        raise PolicyEngineError(f"{path}: no `package` declaration; every Rego file needs one")
    return package


def discover_tests(sources: dict[Path, str]) -> list[RegoTest]:
    """Each distinct `test_*` rule per package, at the line of its first definition."""
    tests: dict[tuple[str, str], RegoTest] = {}
    for path, text in sources.items():
        package = package_of(path, text)
        for match in TEST_RULE.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            tests.setdefault((package, match.group(1)), RegoTest(package, match.group(1), path, line))
    return list(tests.values())


def _references(sources: dict[Path, str]) -> dict[str, set[str]]:
    """The packages each package refers to (imports and `data.` paths; a path to a whole subtree
    refers to every package under it)."""
    packages = {path: package_of(path, text) for path, text in sources.items()}
    known = set(packages.values())
    references: dict[str, set[str]] = {package: set() for package in known}
    for path, text in sources.items():
        for ref in {m.group(1) for m in DATA_REF.finditer(text)}:
            references[packages[path]] |= {
                p for p in known if p == ref or p.startswith(ref + ".") or ref.startswith(p + ".")
            } - {packages[path]}
    return references


def dependents(sources: dict[Path, str], targets: Collection[str]) -> set[str]:
    """The target packages and every package that refers to one of them, directly or through others."""
    references = _references(sources)
    found = set(targets)
    changed = True
    while changed:
        changed = False
        for package, refs in references.items():
            if package not in found and refs & found:
                found.add(package)
                changed = True
    return found


def dependent_tests(sources: dict[Path, str], tests: list[RegoTest], targets: Collection[str]) -> list[RegoTest]:
    """The tests a change to the target packages can affect: those of the targets themselves and of
    every package depending on them (a policy's `_test` package; every test for a library package).
    The tests of packages that refer to a target directly come first."""
    affected = dependents(sources, targets)
    direct = {p for p, refs in _references(sources).items() if refs & set(targets)} | set(targets)
    selected = [t for t in tests if t.package in affected]
    return sorted(selected, key=lambda t: t.package not in direct)


def select_packages(policies_dir: Path, sources: dict[Path, str], packages: Sequence[str], paths: Sequence[Path]) -> set[str]:
    """The packages named by `--package` and `--path`; an unknown one is an input error."""
    known = {path: package_of(path, text) for path, text in sources.items()}
    problems = [
        f"--package {p}: no Rego module under {policies_dir} declares it" for p in packages if p not in known.values()
    ]
    by_file = {path.resolve(): package for path, package in known.items()}
    targets = set(packages)
    for path in paths:
        package = by_file.get(path.resolve())
        if package is None:
            problems.append(f"--path {path}: not a .rego file under {policies_dir}")
        else:
            targets.add(package)
    if problems:
        raise InputError(f"{len(problems)} problem(s) in the test selection", problems=problems)
    return targets


def run_rego_tests(
    policies_dir: Path,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
    *,
    packages: Sequence[str] = (),
    paths: Sequence[Path] = (),
) -> RegoTestReport:
    """Load every module (tests included) and the data, evaluate each `test_*` rule; passing means exactly `true`.

    With `packages` or `paths` (Rego files), only the tests a change to those packages can affect run:
    a test package's own tests, a policy's tests, or, for a library package, the tests of every
    package that uses it (the same selection `mlops policy mutate` runs per mutant).
    """
    if not policies_dir.is_dir():
        raise PolicyEngineError(f"{policies_dir}: policy directory not found; point --policies at the directory holding the .rego files")
    sources = {path: read_source(path) for path in rego_files(policies_dir, include_tests=True)}
    data = parse_data({path: read_data(path) for path in data_files(policies_dir)})
    tests = discover_tests(sources)
    if packages or paths:
        tests = dependent_tests(sources, tests, select_packages(policies_dir, sources, packages, paths))
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
