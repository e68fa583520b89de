"""Mutation testing of the Rego policy library; backs `mlops policy mutate`.

A mutant is the library with one small change to one policy module (a `not` removed or added,
a comparison flipped, a `some … in` collection emptied, one condition dropped, true and false
swapped, a number moved by one, a compared string changed). Each mutant is run against the
Rego tests of the packages that depend on the changed module: a mutant that makes any test
fail or error is killed; one that passes every test survives and shows a gap in the tests (or
is equivalent to the original, which its author records in `mutants-equivalent.yaml`).

Mutants run in long-lived worker processes (`python -m mlops.governance.mutation --serve`),
each holding the library loaded once per module under test and swapping in one mutated
module per mutant (about 5x faster than a fresh interpreter per mutant); a worker that passes
the deadline is killed and its mutant counted killed. Two more savings, neither of which
changes a result: the tests are first run once on the unchanged library with regorus coverage,
and a mutant runs only the tests that evaluate its line (every dependent test for a line the
engine does not track, such as a rule head); and each worker tries first the tests that killed
its latest mutants, so most killed mutants take one test.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import selectors
import subprocess
import sys
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, PositiveInt, StringConstraints, ValidationError

from ..errors import InputError, PolicyEngineError
from ..specs.loader import plain, read_yaml, validation_problems
from ..specs.model import NonEmpty, Strict

OPERATORS: tuple[str, ...] = (
    "remove-not",
    "add-not",
    "flip-comparison",
    "empty-collection",
    "drop-condition",
    "swap-boolean",
    "shift-number",
    "change-string",
)
LIBRARY_UNIT = "lib"
_COMPARISONS = {"==": "!=", "!=": "==", "<": "<=", "<=": "<", ">": ">=", ">=": ">"}
_PROBE_PACKAGE = "mlops_mutation_probe"
_PROBE_PATH = "<mutation-probe>.rego"
_PROBE = f"package {_PROBE_PACKAGE}\n\nok := true\n"

Status = Literal["killed", "survived", "compile-error", "equivalent"]


# ---------------------------------------------------------------------------------------------
# Generating mutants


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str
    start: int
    end: int
    line: int


_TOKEN = re.compile(
    r"""
    (?P<comment>\#[^\n]*)
    |(?P<string>"(?:[^"\\\n]|\\.)*")
    |(?P<raw>`[^`]*`)
    |(?P<number>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
    |(?P<name>[A-Za-z_]\w*)
    |(?P<op>:=|==|!=|<=|>=|[<>=|&+\-*/%;,:.])
    |(?P<open>[\[({])
    |(?P<close>[\])}])
    |(?P<newline>\n)
    |(?P<space>[ \t\r]+)
    |(?P<other>.)
    """,
    re.VERBOSE,
)


def _tokens(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    line = 1
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup or "other"
        tokens.append(_Token(kind, match.group(), match.start(), match.end(), line))
        line += match.group().count("\n")
    return tokens


@dataclass
class _Frame:
    """An open bracket: `body` (a rule or `every` body), `comp` (a comprehension after its `|`),
    `inline` (the one-line body after a head's `if`) or `literal` (anything else). Expression
    frames collect their expressions, each with the tokens of the brackets nested in it."""

    kind: str
    segments: list[list[_Token]] = field(default_factory=lambda: [[]])

    def add(self, token: _Token) -> None:
        if self.kind != "literal":
            self.segments[-1].append(token)

    def separate(self) -> None:
        if self.kind != "literal" and self.segments[-1]:
            self.segments.append([])


def _code_tokens(tokens: list[_Token]) -> tuple[list[_Token], list[list[_Token]]]:
    """The tokens of rule definitions (not the package, import or comment lines), and every
    expression of every rule body: the lines (or `;`-separated parts) of `{ … }` bodies and of
    comprehension bodies, and the one-line body after a head's `if`."""
    skipped = {
        t.line for i, t in enumerate(tokens) if t.kind == "name" and t.text in ("package", "import") and _first_on_line(tokens, i)
    }
    code = [t for t in tokens if t.line not in skipped and t.kind not in ("comment", "space")]
    segments: list[list[_Token]] = []
    stack: list[_Frame] = []

    def finish(frame: _Frame) -> None:
        segments.extend(s for s in frame.segments if s and _balanced(s))

    def add_outer(token: _Token, skip_top: bool = False) -> None:
        for frame in stack[:-1] if skip_top else stack:
            frame.add(token)

    previous: _Token | None = None
    first_on_line: _Token | None = None
    pending_inline = False
    for token in code:
        if pending_inline:
            pending_inline = False
            if not (token.kind == "open" and token.text == "{"):
                stack.append(_Frame("inline"))
        if token.kind == "newline":
            if stack and stack[-1].kind == "inline":
                finish(stack.pop())
            if stack:
                stack[-1].separate()
            first_on_line = None
            continue
        if first_on_line is None:
            first_on_line = token
        if token.kind == "open":
            add_outer(token)
            body = token.text == "{" and (
                (previous is not None and previous.kind == "name" and previous.text in ("if", "else"))
                or first_on_line.text == "every"
            )
            stack.append(_Frame("body" if body else "literal"))
        elif token.kind == "close":
            if stack and stack[-1].kind == "inline":
                finish(stack.pop())
            if stack:
                finish(stack.pop())
            add_outer(token)
        elif token.kind == "op" and token.text == "|" and stack and stack[-1].kind == "literal":
            add_outer(token, skip_top=True)
            stack[-1] = _Frame("comp")
        elif token.kind == "op" and token.text == ";" and stack and stack[-1].kind != "literal":
            add_outer(token, skip_top=True)
            stack[-1].separate()
        else:
            if token.kind == "name" and token.text == "if" and not stack:
                pending_inline = True
            add_outer(token)
        previous = token
    while stack:
        finish(stack.pop())
    return code, segments


def _first_on_line(tokens: list[_Token], index: int) -> bool:
    for token in reversed(tokens[:index]):
        if token.kind == "newline":
            return True
        if token.kind != "space":
            return False
    return True


def _balanced(segment: list[_Token]) -> bool:
    depth = 0
    for token in segment:
        depth += {"open": 1, "close": -1}.get(token.kind, 0)
        if depth < 0:
            return False
    return depth == 0


def _top_level(segment: list[_Token]) -> list[_Token]:
    """The segment's tokens outside any bracket it opens."""
    depth, found = 0, []
    for token in segment:
        if token.kind == "close":
            depth -= 1
        if depth == 0:
            found.append(token)
        if token.kind == "open":
            depth += 1
    return found


@dataclass(frozen=True)
class Mutant:
    """One single-point change of one module; `file` is relative to the policies directory."""

    file: str
    line: int
    operator: str
    original: str
    replacement: str
    unit: str
    package: str
    source: str = field(repr=False, compare=False)

    @property
    def change(self) -> str:
        return f"{self.original} → {self.replacement}"

    @property
    def id(self) -> str:
        key = "\0".join([self.file, str(self.line), self.operator, self.original, self.replacement])
        return hashlib.sha256(key.encode("utf-8")).hexdigest()[:8]

    def describe(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "policy": self.unit,
            "file": self.file,
            "line": self.line,
            "operator": self.operator,
            "original": self.original,
            "replacement": self.replacement,
            "change": self.change,
        }


def _edits(text: str, code: list[_Token], segments: list[list[_Token]]) -> Iterable[tuple[str, int, int, str]]:
    """(operator, start, end, replacement) for every single-point change of a module."""
    for segment in segments:
        if segment[0].line != segment[-1].line:
            continue
        first, start, end = segment[0], segment[0].start, segment[-1].end
        top = _top_level(segment)
        assignment = any(t.text in (":=", "=") and t.kind == "op" for t in top)
        declaration = first.kind == "name" and first.text in ("some", "every")
        if first.text == "some":
            at = next((i for i, t in enumerate(top) if t.kind == "name" and t.text == "in"), None)
            if at is not None and at + 1 < len(top):
                collection = text[top[at + 1].start : end]
                if collection != "[]":
                    yield "empty-collection", top[at + 1].start, end, "[]"
        if not assignment and not declaration and text[start:end] != "true":
            yield "drop-condition", start, end, "true"
            if first.text != "not":
                yield "add-not", start, start, "not "
    for i, token in enumerate(code):
        if token.kind == "name" and token.text == "not":
            following = code[i + 1] if i + 1 < len(code) else None
            if following is not None and following.kind != "newline":
                yield "remove-not", token.start, following.start, ""
        elif token.kind == "op" and token.text in _COMPARISONS:
            yield "flip-comparison", token.start, token.end, _COMPARISONS[token.text]
        elif token.kind == "name" and token.text in ("true", "false"):
            yield "swap-boolean", token.start, token.end, "false" if token.text == "true" else "true"
        elif token.kind == "number":
            value = float(token.text) if any(c in token.text for c in ".eE") else int(token.text)
            for shifted in (value + 1, value - 1):
                shown = repr(round(shifted, 10)) if isinstance(shifted, float) else str(shifted)
                yield "shift-number", token.start, token.end, shown
        elif token.kind == "string":
            neighbours = [code[j] for j in (i - 1, i + 1) if 0 <= j < len(code)]
            if any(n.kind == "op" and n.text in _COMPARISONS for n in neighbours):
                yield "change-string", token.start, token.end, '""' if token.text != '""' else '"mutant"'


def module_mutants(text: str, file: str, unit: str, package: str) -> list[Mutant]:
    """Every single-point mutant of one module, in line order; identical mutants once."""
    code, segments = _code_tokens(_tokens(text))
    line_starts = [0] + [i + 1 for i, c in enumerate(text) if c == "\n"]
    seen: set[str] = set()
    mutants: list[Mutant] = []
    for operator, start, end, replacement in _edits(text, code, segments):
        source = text[:start] + replacement + text[end:]
        if source in seen or source == text:
            continue
        seen.add(source)
        line = text.count("\n", 0, start) + 1
        line_start = line_starts[line - 1]
        line_end = text.find("\n", line_start)
        line_end = len(text) if line_end < 0 else line_end
        original = text[line_start:line_end]
        mutated = original[: start - line_start] + replacement + original[end - line_start :]
        mutants.append(Mutant(file, line, operator, original.strip(), mutated.strip(), unit, package, source))
    mutants.sort(key=lambda m: (m.line, OPERATORS.index(m.operator)))
    return mutants


# ---------------------------------------------------------------------------------------------
# The worker: holds the library, swaps one module per mutant


def _worker_main() -> None:  # pragma: no cover - runs in the child, exercised through run_mutants
    import regorus

    from .regorus_worker import regorus_message

    modules: dict[str, str] = {}
    data: Any = None
    bases: OrderedDict[str, Any] = OrderedDict()

    def base_without(path: str) -> Any:
        if path in bases:
            bases.move_to_end(path)
            return bases[path]
        engine = regorus.Engine()
        for other, source in modules.items():
            if other != path:
                engine.add_policy(other, source)
        engine.add_policy(_PROBE_PATH, _PROBE)
        engine.add_data(data)
        bases[path] = engine
        while len(bases) > 4:
            bases.popitem(last=False)
        return engine

    # The tests that killed the latest mutants, most recent first: mutants of one module tend to
    # fall to the same tests, so trying these first ends most killed mutants after one test.
    killers: list[str] = []

    def run(path: str, source: str, rules: list[str]) -> dict[str, str]:
        engine = base_without(path).clone()
        try:
            engine.add_policy(path, source)
            engine.eval_rule_as_json(f"data.{_PROBE_PACKAGE}.ok")
        except RuntimeError as e:
            return {"status": "compile-error", "detail": regorus_message(e)}
        wanted = set(rules)
        first = [rule for rule in killers if rule in wanted]
        for rule in [*first, *(rule for rule in rules if rule not in set(first))]:
            try:
                value = json.loads(engine.eval_rule_as_json(rule))
                why = "" if value is True else "undefined" if value == "<undefined>" else f"evaluated to {json.dumps(value)[:80]}"
            except RuntimeError as e:
                why = f"errored: {regorus_message(e)}"
            if why:
                if rule in killers:
                    killers.remove(rule)
                killers.insert(0, rule)
                del killers[16:]
                return {"status": "killed", "detail": f"{rule} {why}"}
        return {"status": "survived", "detail": ""}

    def coverage(rules: list[str], files: list[str]) -> dict[str, Any]:
        """Each test's outcome on the unchanged library, and the lines of `files` it evaluates."""
        engine = base_without("")
        engine.set_enable_coverage(True)
        results: dict[str, str] = {}
        covered: dict[str, dict[str, list[int]]] = {}
        tracked: dict[str, set[int]] = {f: set() for f in files}
        for rule in rules:
            engine.clear_coverage_data()
            try:
                value = json.loads(engine.eval_rule_as_json(rule))
                results[rule] = "" if value is True else "undefined" if value == "<undefined>" else f"evaluated to {json.dumps(value)[:80]}"
            except RuntimeError as e:
                results[rule] = f"errored: {regorus_message(e)}"
            report = json.loads(engine.get_coverage_report_as_json())
            covered[rule] = {}
            for entry in report["files"]:
                if entry["path"] in tracked:
                    covered[rule][entry["path"]] = entry["covered"]
                    tracked[entry["path"]] |= {*entry["covered"], *entry["not_covered"]}
        engine.set_enable_coverage(False)
        return {"results": results, "covered": covered, "tracked": {f: sorted(lines) for f, lines in tracked.items()}}

    for line in sys.stdin:
        message = json.loads(line)
        if "coverage" in message:
            answer = coverage(message["coverage"]["rules"], message["coverage"]["files"])
        elif "setup" in message:
            modules = dict(message["setup"]["modules"])
            data = message["setup"]["data"]
            bases.clear()
            answer: dict[str, Any] = {"ready": True}
        else:
            try:
                answer = run(message["path"], message["source"], message["rules"])
            except Exception as e:  # a crash of one mutant must not take the run down
                answer = {"status": "killed", "detail": f"engine failed: {type(e).__name__}: {e}"}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


@dataclass(frozen=True)
class _Job:
    path: str
    source: str
    rules: list[str]
    key: Any


class _Child:
    def __init__(self, setup: dict[str, Any]) -> None:
        import mlops

        package_root = str(Path(mlops.__file__).resolve().parent.parent)
        python_path = os.pathsep.join(p for p in (package_root, os.environ.get("PYTHONPATH", "")) if p)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "mlops.governance.mutation", "--serve"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
            env={**os.environ, "RUST_BACKTRACE": "0", "PYTHONPATH": python_path},
        )
        self.job: _Job | None = None
        self.deadline = 0.0
        self.last_path: str | None = None
        self.ready = False
        self._send({"setup": setup})

    def _send(self, message: dict[str, Any]) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(message) + "\n")
        self.process.stdin.flush()

    def start(self, job: _Job, timeout: float) -> None:
        self.job, self.last_path = job, job.path
        self.deadline = time.monotonic() + timeout
        self._send({"path": job.path, "source": job.source, "rules": job.rules})

    def ask(self, message: dict[str, Any], timeout: float) -> dict[str, Any]:
        """Send one message once the child is set up and wait for its answer; TimeoutError past `timeout`."""
        assert self.process.stdout is not None
        deadline = time.monotonic() + timeout
        with selectors.DefaultSelector() as selector:
            selector.register(self.process.stdout, selectors.EVENT_READ)
            for send in (False, True):
                if send:
                    self._send(message)
                if not selector.select(max(0.0, deadline - time.monotonic())):
                    raise TimeoutError
                answer = self.read()
        return answer

    def read(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"mutation worker exited with code {self.process.wait()}")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()


def run_jobs(
    setup: dict[str, Any],
    jobs: Sequence[_Job],
    workers: int,
    timeout: float,
    progress: Callable[[int], None] | None = None,
) -> dict[Any, dict[str, str]]:
    """Run every job in `workers` long-lived children; a job past `timeout` seconds is killed
    (its worker too, replaced by a fresh one). Jobs of one module go to the worker that last
    ran that module where possible, so each worker compiles the rest of the library rarely."""
    queues: OrderedDict[str, list[_Job]] = OrderedDict()
    for job in jobs:
        queues.setdefault(job.path, []).append(job)
    results: dict[Any, dict[str, str]] = {}
    children: list[_Child] = []
    selector = selectors.DefaultSelector()

    def next_job(child: _Child) -> _Job | None:
        path = child.last_path if child.last_path in queues else None
        if path is None:
            busy = {c.job.path for c in children if c.job is not None}
            idle_paths = [p for p in queues if p not in busy]
            path = max(idle_paths or list(queues), key=lambda p: len(queues[p]), default=None)
        if path is None:
            return None
        job = queues[path].pop(0)
        if not queues[path]:
            del queues[path]
        return job

    def spawn() -> _Child:
        child = _Child(setup)
        children.append(child)
        assert child.process.stdout is not None
        selector.register(child.process.stdout, selectors.EVENT_READ, child)
        return child

    def retire(child: _Child) -> None:
        assert child.process.stdout is not None
        selector.unregister(child.process.stdout)
        child.close()
        children.remove(child)

    try:
        for _ in range(max(1, min(workers, len(jobs)))):
            spawn()
        while True:
            for child in list(children):
                if child.ready and child.job is None:
                    job = next_job(child)
                    if job is not None:
                        child.start(job, timeout)
            pending = [c for c in children if c.job is not None or not c.ready]
            if not pending:
                break
            wait = max(0.0, min((c.deadline for c in pending if c.job is not None), default=time.monotonic() + timeout) - time.monotonic())
            for key, _ in selector.select(wait):
                child = key.data
                try:
                    answer = child.read()
                except RuntimeError as e:
                    if child.job is not None:
                        results[child.job.key] = {"status": "killed", "detail": str(e)}
                    retire(child)
                    if queues:
                        spawn()
                    continue
                if not child.ready:
                    child.ready = True
                    continue
                assert child.job is not None
                results[child.job.key] = answer
                child.job = None
                if progress is not None:
                    progress(len(results))
            now = time.monotonic()
            for child in [c for c in children if c.job is not None and c.deadline <= now]:
                assert child.job is not None
                results[child.job.key] = {"status": "killed", "detail": f"timed out after {timeout:g}s"}
                retire(child)
                if progress is not None:
                    progress(len(results))
                if queues:
                    spawn()
    finally:
        for child in list(children):
            retire(child)
        selector.close()
    return results


# ---------------------------------------------------------------------------------------------
# The equivalent mutants file

DEFAULT_EQUIVALENT_FILE = "mutants-equivalent.yaml"


def _quoted_id(value: Any) -> Any:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise ValueError(f'expected the id as text; YAML read {value!r} as a number, quote it (id: "...")')
    return value


class EquivalentMutant(Strict):
    """One surviving mutant that behaves exactly like the original: no test can kill it."""

    id: Annotated[str, BeforeValidator(_quoted_id), StringConstraints(pattern=r"^[0-9a-f]{8}$")]
    file: NonEmpty
    line: PositiveInt
    change: NonEmpty
    reason: NonEmpty


class EquivalentFile(Strict):
    equivalent: list[EquivalentMutant] = []


def load_equivalents(path: Path, mutants: Iterable[Mutant]) -> dict[str, EquivalentMutant]:
    """Read and check the equivalent mutants file against every generated mutant; every problem
    (unknown keys, empty reasons, a mutant that no longer exists or that moved) is reported together."""
    source = read_yaml(path)
    raw = plain(source.data)
    if raw is None:
        raw = {"equivalent": []}
    if not isinstance(raw, dict):
        raise InputError(f"{path}:1: expected a top-level 'equivalent:' list (use 'equivalent: []' for none)")
    try:
        entries = EquivalentFile.model_validate(raw).equivalent
    except ValidationError as e:
        raise InputError(f"{path}: invalid equivalent mutants", problems=validation_problems(e, EquivalentFile, source)) from e
    by_id = {m.id: m for m in mutants}
    problems: list[str] = []
    found: dict[str, EquivalentMutant] = {}
    for index, entry in enumerate(entries):
        where = f"{path}:{source.line_of(('equivalent', index)) or 1}"
        mutant = by_id.get(entry.id)
        if mutant is None:
            moved = [m for m in by_id.values() if m.file == entry.file and m.change == entry.change]
            hint = "; ".join(f"now {m.id} at line {m.line}" for m in moved) or "the policy or its line changed"
            problems.append(
                f"{where}: mutant {entry.id} ({entry.file}:{entry.line} {entry.change}) is not generated any more "
                f"({hint}); check the mutant again and update or remove the entry"
            )
            continue
        if (entry.file, entry.line, entry.change) != (mutant.file, mutant.line, mutant.change):
            problems.append(
                f"{where}: mutant {entry.id} is {mutant.file}:{mutant.line} {mutant.change}, "
                f"not {entry.file}:{entry.line} {entry.change}; copy its file, line and change from `mlops policy mutate`"
            )
            continue
        if entry.id in found:
            problems.append(f"{where}: mutant {entry.id} is listed twice; remove one entry")
            continue
        found[entry.id] = entry
    if problems:
        raise InputError(f"{path}: {len(problems)} problem(s) in the equivalent mutants", problems=problems)
    return found


# ---------------------------------------------------------------------------------------------
# Running and scoring


@dataclass(frozen=True)
class MutantResult:
    mutant: Mutant
    status: Status
    detail: str = ""
    # Listed in the equivalent file, yet a test kills it: the entry is wrong or stale.
    listed_equivalent: bool = False


@dataclass(frozen=True)
class Score:
    unit: str
    files: tuple[str, ...]
    mutants: int
    killed: int
    compile_errors: int
    equivalent: int
    survived: int

    @property
    def scored(self) -> int:
        return self.mutants - self.compile_errors - self.equivalent

    @property
    def score(self) -> float | None:
        """Killed mutants in percent of those that compile and are not equivalent; None when there are none."""
        return round(100.0 * self.killed / self.scored, 1) if self.scored else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "policy": self.unit,
            "files": list(self.files),
            "mutants": self.mutants,
            "killed": self.killed,
            "compile_errors": self.compile_errors,
            "equivalent": self.equivalent,
            "survived": self.survived,
            "score": self.score,
        }


def _score(unit: str, results: list[MutantResult]) -> Score:
    return Score(
        unit=unit,
        files=tuple(sorted({r.mutant.file for r in results})),
        mutants=len(results),
        killed=sum(r.status == "killed" for r in results),
        compile_errors=sum(r.status == "compile-error" for r in results),
        equivalent=sum(r.status == "equivalent" for r in results),
        survived=sum(r.status == "survived" for r in results),
    )


@dataclass(frozen=True)
class MutationReport:
    policies_dir: Path
    results: list[MutantResult]
    units: list[Score]
    total: Score
    jobs: int
    seconds: float
    equivalent_file: Path | None

    def of(self, status: Status) -> list[MutantResult]:
        return [r for r in self.results if r.status == status]

    @property
    def stale_equivalents(self) -> list[MutantResult]:
        return [r for r in self.results if r.listed_equivalent and r.status != "equivalent"]

    def passes(self, min_score: float | None) -> bool:
        if min_score is None:
            return True
        return self.total.score is not None and self.total.score >= min_score

    def to_json(self, min_score: float | None = None) -> dict[str, Any]:
        def entry(r: MutantResult) -> dict[str, Any]:
            return {**r.mutant.describe(), **({"detail": r.detail} if r.detail else {})}

        return {
            "policies_dir": str(self.policies_dir),
            "equivalent_file": str(self.equivalent_file) if self.equivalent_file else None,
            "operators": list(OPERATORS),
            "jobs": self.jobs,
            "seconds": round(self.seconds, 2),
            "min_score": min_score,
            "passed": self.passes(min_score),
            "total": self.total.to_dict(),
            "policies": [u.to_dict() for u in self.units],
            "survivors": [entry(r) for r in self.of("survived")],
            "compile_errors": [entry(r) for r in self.of("compile-error")],
            "equivalent": [entry(r) for r in self.of("equivalent")],
            "stale_equivalents": [entry(r) for r in self.stale_equivalents],
        }


@dataclass(frozen=True)
class _Library:
    root: Path
    sources: dict[Path, str]
    data: dict[str, Any]
    units: dict[Path, tuple[str, str]]  # module -> (unit, package), for the modules that are mutated


def _library(policies_dir: Path, timeout: float) -> _Library:
    from .bundle import LIBRARY_DIR, PACKAGE_LINE, data_files, load_bundle, parse_data, read_data, read_source, rego_files

    bundle = load_bundle(policies_dir, timeout)
    sources = {path: read_source(path) for path in rego_files(policies_dir, include_tests=True)}
    data = parse_data({path: read_data(path) for path in data_files(policies_dir)})
    units: dict[Path, tuple[str, str]] = {p.path: (p.id, p.package) for p in bundle.policies}
    for path, text in sources.items():
        if path.relative_to(policies_dir).parts[0] == LIBRARY_DIR and not path.name.endswith("_test.rego"):
            package = next((m.group(1) for line in text.splitlines() if (m := PACKAGE_LINE.match(line))), "")
            units[path] = (LIBRARY_UNIT, package)
    return _Library(policies_dir, sources, data, units)


def generate_mutants(policies_dir: Path, timeout: float | None = None) -> list[Mutant]:
    """Every mutant of every policy and library module, in file and line order."""
    from .regorus_worker import DEFAULT_TIMEOUT_SECONDS

    library = _library(policies_dir, timeout or DEFAULT_TIMEOUT_SECONDS)
    return _all_mutants(library)


def _all_mutants(library: _Library) -> list[Mutant]:
    mutants: list[Mutant] = []
    for path in sorted(library.units):
        unit, package = library.units[path]
        mutants.extend(module_mutants(library.sources[path], path.relative_to(library.root).as_posix(), unit, package))
    return mutants


def mutate(
    policies_dir: Path,
    *,
    policies: Sequence[str] = (),
    jobs: int | None = None,
    equivalent_file: Path | None = None,
    timeout: float | None = None,
    progress: Callable[[int, int], None] | None = None,
    use_coverage: bool = True,
) -> MutationReport:
    """Generate the mutants of the selected policies (all, and the library as `lib`, by default),
    run each against the tests of the packages that depend on its module, and score them.

    With `use_coverage`, a mutant runs only the tests that evaluate its line on the unchanged
    library (all the dependent tests for a line the engine does not track); without it, every
    dependent test (slower, for checking that the two agree)."""
    from .regorus_worker import DEFAULT_TIMEOUT_SECONDS
    from .rego_tests import dependent_tests, discover_tests

    started = time.monotonic()
    timeout = timeout or DEFAULT_TIMEOUT_SECONDS
    if not policies_dir.is_dir():
        raise PolicyEngineError(f"{policies_dir}: policy directory not found; point --policies-dir at the directory holding the .rego files")
    library = _library(policies_dir, timeout)
    known = sorted({unit for unit, _ in library.units.values()})
    unknown = [p for p in policies if p not in known]
    if unknown:
        raise InputError(f"--policy {', '.join(unknown)}: no such policy id; expected one of {', '.join(known)}")
    everything = _all_mutants(library)
    equivalents = load_equivalents(equivalent_file, everything) if equivalent_file is not None and equivalent_file.is_file() else {}
    selected = [m for m in everything if not policies or m.unit in policies]

    tests = discover_tests(library.sources)
    rules_by_package: dict[str, list[str]] = {}
    for package in sorted({m.package for m in selected}):
        rules_by_package[package] = [t.ref for t in dependent_tests(library.sources, tests, {package})]

    setup = {"modules": [(str(path), text) for path, text in library.sources.items()], "data": library.data}
    by_path = {path.relative_to(policies_dir).as_posix(): str(path) for path in library.units}
    baseline_rules = sorted({rule for rules in rules_by_package.values() for rule in rules})
    files = sorted({by_path[m.file] for m in selected})
    covered = _baseline(setup, baseline_rules, files, timeout) if baseline_rules else None

    def rules_for(mutant: Mutant) -> list[str]:
        rules = rules_by_package[mutant.package]
        return covered.tests_for(by_path[mutant.file], mutant.line, rules) if covered and use_coverage else rules

    work = [_Job(by_path[m.file], m.source, rules_for(m), index) for index, m in enumerate(selected)]
    workers = jobs or os.cpu_count() or 1
    answers = run_jobs(setup, work, workers, timeout, (lambda done: progress(done, len(work))) if progress else None)

    results: list[MutantResult] = []
    for index, mutant in enumerate(selected):
        answer = answers[index]
        status: Status = answer["status"]  # type: ignore[assignment]
        detail = answer.get("detail", "")
        if status == "survived" and not work[index].rules:
            detail = "no test evaluates this line"
        listed = mutant.id in equivalents
        if status == "survived" and listed:
            status = "equivalent"
        results.append(MutantResult(mutant, status, detail, listed))
    order = {unit: i for i, unit in enumerate(sorted(known, key=lambda u: (u == LIBRARY_UNIT, u)))}
    units = [_score(unit, [r for r in results if r.mutant.unit == unit]) for unit in sorted({r.mutant.unit for r in results}, key=order.__getitem__)]
    return MutationReport(
        policies_dir=policies_dir,
        results=results,
        units=units,
        total=_score("total", results),
        jobs=workers,
        seconds=time.monotonic() - started,
        equivalent_file=equivalent_file if equivalent_file is not None and equivalent_file.is_file() else None,
    )


@dataclass(frozen=True)
class Coverage:
    """Which lines of the mutated modules each test evaluates on the unchanged library. A line the
    engine tracks (a body expression) can only change a test's outcome if that test evaluates it;
    the lines it does not track (rule heads, values) are run against every dependent test."""

    covered: dict[str, dict[str, set[int]]]
    tracked: dict[str, set[int]]

    def tests_for(self, path: str, line: int, rules: list[str]) -> list[str]:
        if line not in self.tracked.get(path, set()):
            return rules
        return [rule for rule in rules if line in self.covered.get(rule, {}).get(path, set())]


def _baseline(setup: dict[str, Any], rules: list[str], files: list[str], timeout: float) -> Coverage:
    """Run every test the mutants are judged by on the unchanged library, with coverage: each
    must pass, or no mutant can be judged."""
    child = _Child(setup)
    try:
        answer = child.ask({"coverage": {"rules": rules, "files": files}}, timeout * max(1, len(rules) / 50))
    except TimeoutError:
        raise PolicyEngineError(f"the Rego tests did not finish within {timeout:g}s on the unchanged policies; a test or policy may loop") from None
    finally:
        child.close()
    failing = [f"{rule} {why}" for rule, why in answer["results"].items() if why]
    if failing:
        raise InputError(
            f"{len(failing)} Rego test(s) fail on the unchanged policies, so no mutant can be judged; fix them first (`mlops policy test`)",
            problems=failing,
        )
    return Coverage(
        covered={rule: {path: set(lines) for path, lines in files_.items()} for rule, files_ in answer["covered"].items()},
        tracked={path: set(lines) for path, lines in answer["tracked"].items()},
    )


if __name__ == "__main__":  # pragma: no cover
    if sys.argv[1:] == ["--serve"]:
        _worker_main()
