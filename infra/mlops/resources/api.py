"""AWS API requests checked against botocore's service models, and pulumi inputs translated into them.

`validate` walks a request's parameters against the operation's input shape, as botocore's
service model (the JSON AWS generates its SDKs from) describes it, and reports every value AWS
would reject: missing required members, unknown members, wrong types, string lengths, patterns
and enum values, integer and float ranges, list lengths and map sizes. botocore's own
`ParamValidator` (what boto3 runs before sending a request) checks types, required members and
minimums only: it skips `max`, `pattern` and `enum` on purpose, leaving them to the service, so a
request it accepts can still fail when it reaches AWS. This module checks them offline.

Patterns in the models are Java regular expressions (`\\p{L}`, `\\p{Z}`, ...); they are compiled
with the `regex` module (version 0 syntax) and must match the whole value, as AWS's Java
validators do. A few patterns do not compile as they stand (Java lets a character class hold
a surrogate pair, `\\uD800\\uDC00-\\uDBFF\\uDFFF`); those are skipped and collected in
`UNCOMPILABLE_PATTERNS`, while the value's other rules are still checked.

`translate` turns a pulumi-aws resource's inputs (camelCase keys, tags as a map) into request
parameters with the API's member names, guided by the input shape: keys match members
case-insensitively, ignoring underscores and dashes (`memorySizeInMb` → `MemorySizeInMB`);
`renames` and `omit` cover the rest. It records where each request value came from, for messages.

Only the standard library, botocore and `regex` are imported.
"""

from __future__ import annotations

import datetime
import difflib
import functools
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import botocore.session
import regex
from botocore.model import ListShape, MapShape, ServiceModel, Shape, StructureShape

# A path into a JSON-like value: keys of objects, indexes of lists.
Path = tuple[str | int, ...]

# Patterns the `regex` module cannot compile; their check is skipped (see the module docstring).
UNCOMPILABLE_PATTERNS: set[str] = set()

# Default bounds of AWS integer (32-bit) and long (64-bit) shapes without an explicit min/max.
_INT_BOUNDS = {"integer": (-(2**31), 2**31 - 1), "long": (-(2**63), 2**63 - 1)}
_ENUM_SHOWN = 6
# List members that are a key/value pair: a map input becomes a list of them (tags, dimensions).
_PAIRS = (("Key", "Value"), ("TagKey", "TagValue"), ("Name", "Value"))
_EMPTY: Mapping[str, str] = MappingProxyType({})


@dataclass(frozen=True)
class Request:
    """One AWS API request: the botocore service and operation names and its parameters."""

    service: str
    operation: str
    params: dict[str, Any]
    # Request path -> the resource input path it came from (for messages); may be partial.
    origins: Mapping[Path, Path] = field(default_factory=dict)
    # Top-level required members the caller (e.g. SageMaker Pipelines) fills in: not reported missing.
    filled_by_service: tuple[str, ...] = ()


@dataclass(frozen=True)
class Problem:
    """One value AWS would reject: where it is, the rule in words (naming the limit), the value."""

    path: Path
    rule: str
    value: Any  # None for a missing member


@dataclass
class Tally:
    """How many scalar leaves were validated as literals, and how many only by type (deferred)."""

    checked: int = 0
    deferred: int = 0


@dataclass(frozen=True)
class Translation:
    """Request parameters made from resource inputs, with where each leaf came from."""

    params: dict[str, Any]
    # Request leaf path -> input leaf path.
    origins: dict[Path, Path]
    # Input paths (a leaf or the root of a subtree) the shape has no member for.
    untranslated: list[Path]


# --- botocore models -------------------------------------------------------------------------


@functools.cache
def _session() -> botocore.session.Session:
    return botocore.session.get_session()


@functools.cache
def _service_model(service: str) -> ServiceModel:
    return _session().get_service_model(service)


@functools.cache
def shape_of(service: str, operation: str) -> StructureShape | None:
    """The input shape of an operation (None if it takes no input); botocore's errors for unknown
    services (UnknownServiceError) and operations (OperationNotFoundError) propagate."""
    return _service_model(service).operation_model(operation).input_shape


# Java writes "any supplementary character" as a surrogate-pair range; Python strings hold code points.
_SURROGATE_RANGE = "\\uD800\\uDC00-\\uDBFF\\uDFFF"


@functools.cache
def _compiled(pattern: str) -> regex.Pattern[str] | None:
    try:
        return regex.compile(pattern.replace(_SURROGATE_RANGE, "\\U00010000-\\U0010FFFF"), regex.V0)
    except regex.error:
        UNCOMPILABLE_PATTERNS.add(pattern)
        return None


# --- paths -----------------------------------------------------------------------------------

_IDENTIFIER = re.compile(r"[A-Za-z0-9_\-]+")


def format_path(path: Path) -> str:
    """("ProductionVariants", 0, "InstanceType") -> "ProductionVariants[0].InstanceType".

    Keys that are not plain names (map keys such as tag keys may hold dots or spaces) are quoted:
    `Tags["team.name"]`."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        elif _IDENTIFIER.fullmatch(part):
            text += f".{part}" if text else part
        else:
            text += '["' + part.replace("\\", "\\\\").replace('"', '\\"') + '"]'
    return text


def leaves(value: Any, prefix: Path = ()) -> Iterator[tuple[Path, Any]]:
    """Every scalar leaf (str, int, float, bool) of a JSON-like value with its path; None is not a leaf.

    Dicts and lists (or tuples) are walked; any other value that is not None (a number, a string,
    or an object standing for a value not known yet) is a leaf."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield from leaves(item, (*prefix, key))
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            yield from leaves(item, (*prefix, index))
    elif value is not None:
        yield prefix, value


def _path_key(path: Path) -> tuple[tuple[int, int | str], ...]:
    """Sort key for request path order (list indexes in numeric order)."""
    return tuple((0, part) if isinstance(part, int) else (1, part) for part in path)


# --- validation ------------------------------------------------------------------------------


def _count(count: int | float, noun: str, nouns: str | None = None) -> str:
    """E.g. "1 item", "50 items"."""
    return f"{_number(count)} {noun if count == 1 else nouns or noun + 's'}"


def _number(value: int | float) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class _Validator:
    def __init__(self, deferred: Callable[[Any], bool]) -> None:
        self.deferred = deferred
        self.problems: list[Problem] = []
        self.tally = Tally()

    def report(self, path: Path, rule: str, value: Any) -> None:
        self.problems.append(Problem(path, rule, value))

    def is_deferred(self, value: Any) -> bool:
        """Counts a scalar leaf once; True if it is deferred (only its type is checked)."""
        if self.deferred(value):
            self.tally.deferred += 1
            return True
        self.tally.checked += 1
        return False

    def value(self, value: Any, shape: Shape, path: Path) -> None:
        kind = shape.type_name
        if kind == "structure":
            self.structure(value, shape, path)  # type: ignore[arg-type]
        elif kind == "list":
            self.list(value, shape, path)  # type: ignore[arg-type]
        elif kind == "map":
            self.map(value, shape, path)  # type: ignore[arg-type]
        else:
            # None (a list item or map value left empty) is not a leaf: reported, not counted.
            literal = value is not None and not self.is_deferred(value)
            self.scalar(value, shape, path, literal=literal)

    def container_type_problem(self, value: Any, path: Path, rule: str) -> None:
        """A value that is not the container its shape is: counted as a leaf if it is one."""
        if value is not None and not isinstance(value, (Mapping, list, tuple)):
            self.is_deferred(value)
        self.report(path, rule, value)

    def structure(self, value: Any, shape: StructureShape, path: Path, filled: tuple[str, ...] = ()) -> None:
        if getattr(shape, "is_document_type", False):
            return  # free-form JSON
        if not isinstance(value, Mapping):
            self.container_type_problem(value, path, "must be a structure")
            return
        for name in shape.required_members:
            if value.get(name) is None and name not in filled:
                self.report((*path, name), "is required", None)
        if shape.metadata.get("union") and sum(item is not None for item in value.values()) > 1:
            self.report(path, f"exactly one member may be set ({shape.name} is a union)", value)
        for name, item in value.items():
            if name not in shape.members:
                self.report((*path, name), f"unknown member (not in {shape.name})", item)
            elif item is not None:
                self.value(item, shape.members[name], (*path, name))

    def list(self, value: Any, shape: ListShape, path: Path) -> None:
        if not isinstance(value, (list, tuple)):
            self.container_type_problem(value, path, "must be a list")
            return
        self.size(len(value), shape, path, value, "item")
        for index, item in enumerate(value):
            self.value(item, shape.member, (*path, index))

    def map(self, value: Any, shape: MapShape, path: Path) -> None:
        if not isinstance(value, Mapping):
            self.container_type_problem(value, path, "must be a map")
            return
        self.size(len(value), shape, path, value, "entry", "entries")
        for key, item in value.items():
            self.map_key(key, shape.key, (*path, key))
            self.value(item, shape.value, (*path, key))

    def map_key(self, key: Any, shape: Shape, path: Path) -> None:
        """A map key's string rules, reported as "key ..." at the entry's path (not counted in the tally)."""
        before = len(self.problems)
        self.scalar(key, shape, path, literal=not self.deferred(key))
        for i in range(before, len(self.problems)):
            problem = self.problems[i]
            self.problems[i] = Problem(problem.path, f"key {problem.rule}", problem.value)

    def size(self, count: int, shape: Shape, path: Path, value: Any, noun: str, nouns: str | None = None) -> None:
        low, high = shape.metadata.get("min"), shape.metadata.get("max")
        if low is not None and count < low:
            self.report(path, f"at least {_count(low, noun, nouns)}", value)
        if high is not None and count > high:
            self.report(path, f"at most {_count(high, noun, nouns)}", value)

    def scalar(self, value: Any, shape: Shape, path: Path, *, literal: bool) -> None:
        kind = shape.type_name
        meta = shape.metadata
        if kind == "string":
            if not isinstance(value, str):
                self.report(path, "must be a string", value)
            elif literal:
                self.string(value, shape, path)
        elif kind in ("integer", "long"):
            if not (isinstance(value, int) or isinstance(value, float) and value.is_integer()) or isinstance(value, bool):
                self.report(path, "must be an integer", value)
            elif literal:
                low, high = _INT_BOUNDS[kind]
                self.bounds(value, path, meta.get("min", low), meta.get("max", high))
        elif kind in ("float", "double"):
            if not _is_number(value):
                self.report(path, "must be a number", value)
            elif literal:
                self.bounds(value, path, meta.get("min"), meta.get("max"))
        elif kind == "boolean":
            if not isinstance(value, bool):
                self.report(path, "must be a boolean", value)
        elif kind == "timestamp":
            if not (isinstance(value, (str, datetime.datetime, datetime.date)) or _is_number(value)):
                self.report(path, "must be a timestamp (a string or a number)", value)
        elif kind == "blob":
            if not isinstance(value, (str, bytes, bytearray)):
                self.report(path, "must be bytes or a string", value)
            elif literal:
                size = len(value.encode("utf-8")) if isinstance(value, str) else len(value)
                self.size(size, shape, path, value, "byte")

    def string(self, value: str, shape: Shape, path: Path) -> None:
        enum: list[str] = getattr(shape, "enum", None) or []
        if enum and value not in enum:
            if len(enum) <= _ENUM_SHOWN:
                self.report(path, "one of " + ", ".join(enum), value)
            else:
                close = difflib.get_close_matches(value, enum, n=_ENUM_SHOWN, cutoff=0)
                self.report(path, f"one of {', '.join(close)}, … ({len(enum)} values)", value)
        self.size(len(value), shape, path, value, "character")
        pattern = shape.metadata.get("pattern")
        if pattern is not None:
            compiled = _compiled(pattern)
            if compiled is not None and compiled.fullmatch(value) is None:
                self.report(path, f"must match pattern {pattern}", value)

    def bounds(self, value: int | float, path: Path, low: int | float | None, high: int | float | None) -> None:
        if low is not None and value < low:
            self.report(path, f"at least {_number(low)}", value)
        if high is not None and value > high:
            self.report(path, f"at most {_number(high)}", value)


def validate(request: Request, *, deferred: Callable[[Any], bool] = lambda v: False) -> tuple[list[Problem], Tally]:
    """Every problem AWS would report for the request's parameters, in request path order, and a
    tally of the scalar leaves checked.

    A scalar leaf for which `deferred(value)` is true stands for a value not known yet (a
    provider's auto-name, a pipeline expression): only its type is checked. The tally counts each
    scalar leaf that reached a shape once (members the shape does not have are not counted)."""
    shape = shape_of(request.service, request.operation)
    validator = _Validator(deferred)
    if shape is None:
        for name, item in request.params.items():
            validator.report((name,), f"unknown member ({request.operation} takes no input)", item)
    else:
        validator.structure(request.params, shape, (), request.filled_by_service)
    problems = sorted(validator.problems, key=lambda p: _path_key(p.path))
    return problems, validator.tally


# --- translation -----------------------------------------------------------------------------

# A parsed input path pattern: keys, list indexes, and None for `[*]` (any index).
_Pattern = tuple[str | int | None, ...]
_PATTERN_SYNTAX = re.compile(r"[A-Za-z0-9_]+(?:\[(?:\*|\d+)\])*(?:\.[A-Za-z0-9_]+(?:\[(?:\*|\d+)\])*)*")
_PATTERN_PART = re.compile(r"([A-Za-z0-9_]+)|\[(\*|\d+)\]")


@functools.cache
def _parse_pattern(text: str) -> _Pattern:
    """`productionVariants[*].serverlessConfig` -> ("productionVariants", None, "serverlessConfig")."""
    if not _PATTERN_SYNTAX.fullmatch(text):
        raise ValueError(f"input path pattern {text!r}: expected dotted keys with [*] or [N] list indexes")
    return tuple(key if key else None if index == "*" else int(index) for key, index in _PATTERN_PART.findall(text))


def _matches(path: Path, pattern: _Pattern) -> bool:
    return len(path) == len(pattern) and all(
        p == q if q is not None else isinstance(p, int) for p, q in zip(path, pattern, strict=True)
    )


def _normalise(name: str) -> str:
    return name.replace("_", "").replace("-", "").lower()


def _pair(shape: Shape) -> tuple[str, str] | None:
    """The (key, value) member names if `shape` is a list of key/value structures (tags)."""
    if not isinstance(shape, ListShape) or not isinstance(shape.member, StructureShape):
        return None
    members = set(shape.member.members)
    return next(((k, v) for k, v in _PAIRS if members == {k, v}), None)


class _Translator:
    def __init__(self, renames: Mapping[str, str], omit: Iterable[str]) -> None:
        self.renames = [(_parse_pattern(p), member) for p, member in renames.items()]
        self.omit = [_parse_pattern(p) for p in omit]
        self.origins: dict[Path, Path] = {}
        self.untranslated: list[Path] = []

    def keep(self, value: Any, out: Path, inp: Path) -> Any:
        """A value taken as is (validation reports it if it does not fit the shape)."""
        for sub, _ in leaves(value):
            self.origins[(*out, *sub)] = (*inp, *sub)
        return value

    def value(self, value: Any, shape: Shape, out: Path, inp: Path) -> Any:
        if isinstance(shape, StructureShape):
            if isinstance(value, Mapping) and not getattr(shape, "is_document_type", False):
                return self.structure(value, shape, out, inp)
        elif isinstance(shape, ListShape):
            pair = _pair(shape)
            if pair is not None and isinstance(value, Mapping):
                return self.pairs(value, shape, pair, out, inp)
            if isinstance(value, (list, tuple)):
                return [self.value(item, shape.member, (*out, i), (*inp, i)) for i, item in enumerate(value)]
            if value is not None and not isinstance(value, Mapping) and shape.member.type_name not in ("structure", "list", "map"):
                return [self.value(value, shape.member, (*out, 0), inp)]
        elif isinstance(shape, MapShape):
            if isinstance(value, Mapping):
                return {k: self.value(v, shape.value, (*out, k), (*inp, k)) for k, v in value.items()}
        elif shape.type_name in ("integer", "long") and isinstance(value, float) and value.is_integer():
            self.origins[out] = inp
            return int(value)
        return self.keep(value, out, inp)

    def structure(self, value: Mapping[str, Any], shape: StructureShape, out: Path, inp: Path) -> dict[str, Any]:
        by_name = {_normalise(name): name for name in shape.members}
        params: dict[str, Any] = {}
        for key in sorted(value, key=str):
            item, path = value[key], (*inp, key)
            if item is None or any(_matches(path, p) for p in self.omit):
                continue
            member = next((m for p, m in self.renames if _matches(path, p)), None)
            if member is not None:
                if member not in shape.members:
                    raise ValueError(f"rename of {format_path(path)}: {shape.name} has no member {member}")
            elif key in shape.members:
                member = key
            else:
                member = by_name.get(_normalise(str(key)))
            if member is None:
                self.untranslated.append(path)
                continue
            params[member] = self.value(item, shape.members[member], (*out, member), path)
        return params

    def pairs(self, value: Mapping[str, Any], shape: ListShape, pair: tuple[str, str], out: Path, inp: Path) -> list[Any]:
        """A map input (`tags`) as the list of key/value structures the API takes, sorted by key."""
        key_name, value_name = pair
        items = []
        for i, key in enumerate(sorted(k for k, v in value.items() if v is not None)):
            self.origins[(*out, i, key_name)] = (*inp, key)
            entry = self.value(value[key], shape.member.members[value_name], (*out, i, value_name), (*inp, key))
            items.append({key_name: key, value_name: entry})
        return items


def translate(
    service: str,
    operation: str,
    inputs: Mapping[str, Any],
    *,
    renames: Mapping[str, str] = _EMPTY,
    omit: Iterable[str] = (),
    at: Path = (),
) -> Translation:
    """The request parameters a resource's inputs become, guided by the operation's input shape.

    Keys become the member whose name matches case-insensitively, ignoring `_` and `-`;
    `renames` (input path pattern -> member name) names the member where names differ, `omit`
    drops inputs that are not API parameters (provider settings). Patterns are dotted keys with
    `[*]` or `[N]` for list indexes (`productionVariants[*].variantName`) and match an input path
    exactly. A key with no member is dropped and listed in `untranslated`. A map input for a list
    of key/value structures (Key/Value, TagKey/TagValue, Name/Value) becomes that list, sorted by
    key. None values are left out.

    `at` translates the inputs into a member of the input shape instead of its root, e.g.
    ("Tagging",); the parameters and origins are still those of the whole request
    (`{"Tagging": {...}}`), ready to merge with other parts. Raises ValueError for a rename to a
    member the shape does not have, a malformed pattern, or an `at` path the shape does not have.
    """
    shape: Shape | None = shape_of(service, operation)
    for i, part in enumerate(at):
        if isinstance(shape, StructureShape) and isinstance(part, str) and part in shape.members:
            shape = shape.members[part]
        elif isinstance(shape, ListShape) and part == 0:
            shape = shape.member
        elif isinstance(shape, MapShape) and isinstance(part, str):
            shape = shape.value
        else:
            raise ValueError(f"{service} {operation}: the input shape has no member {format_path(at[: i + 1])}")
    if shape is None:
        raise ValueError(f"{service} {operation} takes no input")
    translator = _Translator(renames, omit)
    params: Any = translator.value(dict(inputs), shape, at, ())
    for part in reversed(at):
        params = [params] if isinstance(part, int) else {part: params}
    if not isinstance(params, dict):
        raise ValueError(f"{service} {operation}: {format_path(at)} is not a structure member")
    return Translation(params=params, origins=translator.origins, untranslated=translator.untranslated)
