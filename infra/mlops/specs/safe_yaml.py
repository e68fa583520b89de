"""The one reader for user YAML files: bounded, alias-free and tag-checked, failing only with an InputError at file:line."""

from __future__ import annotations

import codecs
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError
from ruamel.yaml.events import AliasEvent, CollectionEndEvent, MappingStartEvent, NodeEvent, ScalarEvent, SequenceStartEvent
from ruamel.yaml.nodes import ScalarNode
from ruamel.yaml.parser import RoundTripParser
from ruamel.yaml.scanner import RoundTripScanner

from ..errors import InputError

KeyPath = tuple[str | int, ...]

# The largest file in the repository is under 3 KiB and 250 values. These bounds are 20 times that,
# yet low enough that ruamel (pure Python, 30-70 µs a value) accepts or rejects any file within
# them in under half a second: the costliest shapes found take about a quarter of a second.
MAX_BYTES = 64 * 1024
MAX_NODES = 3_000
# ruamel composes and constructs recursively; this keeps it far from Python's recursion limit.
MAX_DEPTH = 64
# What messages call the files when the caller does not say ("model spec", "waivers", ...).
DEFAULT_KIND = "mlops YAML"

# The YAML core schema tags, and the kind of node each may tag.
ALLOWED_TAGS: dict[str, type[NodeEvent]] = {
    "!!str": ScalarEvent,
    "!!int": ScalarEvent,
    "!!float": ScalarEvent,
    "!!bool": ScalarEvent,
    "!!null": ScalarEvent,
    "!!map": MappingStartEvent,
    "!!seq": SequenceStartEvent,
}

_CORE_PREFIX = "tag:yaml.org,2002:"
# For a tagged scalar: the types its text may resolve to untagged, and what to write instead.
_TAG_FITS: dict[str, tuple[frozenset[str], str]] = {
    "!!int": (frozenset({"int"}), "an integer such as 42"),
    "!!float": (frozenset({"int", "float"}), "a number such as 1.5"),
    "!!bool": (frozenset({"bool"}), "true or false"),
    "!!null": (frozenset({"null"}), "null, ~ or nothing"),
}
_TYPE_NAMES = {"int": "an integer", "float": "a number"}
# Everything YAML 1.2 calls printable (c-printable); ruamel rejects the rest without a line number.
_UNPRINTABLE = re.compile(r"[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# Only an escape such as "\\ud800" can put one in a value; it cannot be written out as UTF-8 again.
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_FILE_TYPES = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)
# A FIFO swapped in after the stat check must not block the open; absent on Windows.
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)


def load_yaml(path: Path, *, kind: str = DEFAULT_KIND) -> tuple[Any, dict[KeyPath, int]]:
    """A YAML file as ruamel round-trip data and the 1-based line each key path starts on.

    Every problem with the file, from a FIFO to an impossible date, is an InputError naming the
    file (and line, where there is one); `kind` names the files in messages, e.g. "model spec".
    """
    return parse_bytes(path, read_file(path, kind=kind), kind=kind)


def read_file(path: Path, *, kind: str = DEFAULT_KIND) -> bytes:
    """The bytes of a regular file of at most MAX_BYTES, read without ever blocking on a FIFO or device."""
    try:
        # stat before opening: opening a device can have side effects, opening a FIFO blocks.
        _check_file(path, os.stat(path), kind)
        with open(os.open(path, _OPEN_FLAGS), "rb") as file:
            _check_file(path, os.fstat(file.fileno()), kind)
            raw = file.read(MAX_BYTES + 1)
    except FileNotFoundError as e:
        raise InputError(f"{path}: file not found") from e
    except OSError as e:
        raise InputError(f"{path}: cannot read file: {e.strerror or e}; check the path and its permissions") from e
    # The file may have grown since fstat, or be one (in /proc) whose size stat does not know.
    if len(raw) > MAX_BYTES:
        raise InputError(_too_large(path, kind))
    return raw


def parse_bytes(path: Path, raw: bytes, *, kind: str = DEFAULT_KIND) -> tuple[Any, dict[KeyPath, int]]:
    """YAML bytes that stand for `path` (read from it, or content proposed for it) parsed as load_yaml does."""
    if len(raw) > MAX_BYTES:
        raise InputError(_too_large(path, kind))
    text = _decode(path, raw)
    _reject_unprintable(path, text)
    loader = _Loader(path, kind)
    try:
        data = loader.load(text)
    except MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        raise InputError(f"{where}: invalid YAML: {', '.join(part for part in (e.context, e.problem) if part)}") from e
    except InputError:
        raise
    except Exception as e:
        # A last resort: ruamel has assertions and unchecked conversions beyond those handled here.
        raise InputError(f"{path}: cannot read the file as YAML ({type(e).__name__}: {e}); check its syntax") from e
    lines: dict[KeyPath, int] = {}
    _record_lines(data, (), lines)
    return data, lines


def _check_file(path: Path, status: os.stat_result, kind: str) -> None:
    if not stat.S_ISREG(status.st_mode):
        what = next((name for test, name in _FILE_TYPES if test(status.st_mode)), "a special file")
        raise InputError(f"{path}: not a regular file but {what}; give the path of a regular {kind} file")
    if status.st_size > MAX_BYTES:
        raise InputError(_too_large(path, kind))


def _too_large(path: Path, kind: str) -> str:
    return (
        f"{path}: file is larger than the {MAX_BYTES // 1024} KiB limit for {kind} files; "
        "check that it is the right file and remove what does not belong in it"
    )


def _decode(path: Path, raw: bytes) -> str:
    if raw.startswith((codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise InputError(f"{path}: file is encoded as UTF-16 or UTF-32; save it as UTF-8")
    # Editors on Windows may write a UTF-8 byte order mark; YAML allows it and it carries nothing.
    raw = raw.removeprefix(codecs.BOM_UTF8)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1
        column = len(raw[raw.rfind(b"\n", 0, e.start) + 1 : e.start].decode("utf-8", "replace")) + 1
        raise InputError(f"{path}:{line}:{column}: byte 0x{raw[e.start]:02x} is not valid UTF-8; save the file as UTF-8") from e


def _reject_unprintable(path: Path, text: str) -> None:
    match = _UNPRINTABLE.search(text)
    if match is None:
        return
    # Count lines the way ruamel does, so this agrees with its positions (\r, \x85, \u2028 break lines too).
    before = (text[: match.start()] + "x").splitlines()
    code = ord(match.group())
    escape = f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"
    raise InputError(
        f"{path}:{len(before)}:{len(before[-1])}: unprintable character U+{code:04X} is not allowed in YAML; "
        f"delete it, or write it as {escape} inside a double-quoted string"
    )


def _shown(text: str) -> str:
    return repr(text) if len(text) <= 40 else f"{text[:40]!r}..."


def _tag_name(tag: str) -> str:
    return "!!" + tag.removeprefix(_CORE_PREFIX) if tag.startswith(_CORE_PREFIX) else tag


class _Loader(YAML):
    """ruamel's round-trip loader with the checks below, reporting against one file."""

    def __init__(self, path: Path, kind: str) -> None:
        super().__init__(typ="rt")
        self.path = path
        self.kind = kind
        # (line, column) of each scalar value -> the key it is under, for messages about its value.
        self.fields: dict[tuple[int, int], str] = {}
        self.Scanner = _Scanner
        self.Parser = _CheckingParser
        self.Constructor = _Constructor

    def where(self, mark: Any) -> str:
        return f"{self.path}:{mark.line + 1}:{mark.column + 1}"

    def too_deep(self, mark: Any) -> InputError:
        return InputError(f"{self.where(mark)}: nested more than {MAX_DEPTH} levels deep; flatten the structure")


class _Scanner(RoundTripScanner):
    """ruamel's scanner, stopping early where ruamel would be slow, crash, or read the file as another YAML."""

    loader: _Loader

    def fetch_flow_collection_start(self, token_class: Any, to_push: str) -> None:
        # The parser's depth check alone comes too late here: ruamel scans up to 1,024 characters
        # ahead and revisits every open bracket at each token, so `[[[[...` costs seconds first.
        if self.flow_level == MAX_DEPTH:
            raise self.loader.too_deep(self.reader.get_mark())
        super().fetch_flow_collection_start(token_class, to_push)

    def scan_yaml_directive_value(self, start_mark: Any) -> Any:
        # ruamel reads the version with an unbounded int() and asserts it is 1.1 or 1.2; and 1.1
        # would change what yes, 010 and 1:20 mean. Only the version these files are read as is allowed.
        while self.reader.peek() == " ":
            self.reader.forward()
        if self.reader.prefix(3) != "1.2" or self.reader.peek(3) not in "\0 \r\n\x85\u2028\u2029":
            raise InputError(f"{self.loader.where(start_mark)}: only YAML 1.2 is supported; remove the %YAML directive")
        return super().scan_yaml_directive_value(start_mark)

    def scan_flow_scalar_non_spaces(self, double: Any, start_mark: Any) -> Any:
        try:
            return super().scan_flow_scalar_non_spaces(double, start_mark)
        except (ValueError, OverflowError) as e:
            # ruamel passes the number of a \U escape to chr() unchecked.
            raise InputError(
                f"{self.loader.where(self.reader.get_mark())}: this \\U escape is not a Unicode character; "
                "write the character itself"
            ) from e


@dataclass(slots=True)
class _Frame:
    """An open mapping or list: the key its scalars are reported under, and how many items it has so far."""

    is_mapping: bool
    key: str | None
    items: int = 0


class _CheckingParser(RoundTripParser):
    """Checks each event as the composer takes it, so no node is built past a limit, from an alias, or with an unknown tag."""

    loader: _Loader

    def reset_parser(self) -> None:
        super().reset_parser()
        self._frames: list[_Frame] = []
        self._nodes = 0

    def get_event(self) -> Any:
        event = super().get_event()
        if isinstance(event, NodeEvent):
            self._check_node(event)
        elif isinstance(event, CollectionEndEvent):
            self._frames.pop()
            self._advance()
        return event

    def _advance(self) -> None:
        if self._frames:
            self._frames[-1].items += 1

    def _check_node(self, event: NodeEvent) -> None:
        loader = self.loader
        self._nodes += 1
        if self._nodes > MAX_NODES:
            raise InputError(
                f"{loader.where(event.start_mark)}: more than {MAX_NODES} values; "
                f"{loader.kind} files are expected to be far smaller, check that it is the right file"
            )
        if isinstance(event, AliasEvent) or event.anchor is not None:
            raise InputError(
                f"{loader.where(event.start_mark)}: anchors and aliases (&x / *x) are not supported in {loader.kind} files; "
                "write the values out"
            )
        self._check_tag(event)
        parent = self._frames[-1] if self._frames else None
        # A mapping's items alternate key, value; an even count means this node is a key.
        is_key = parent is not None and parent.is_mapping and parent.items % 2 == 0
        if isinstance(event, ScalarEvent):
            self._check_scalar(event)
            if parent is not None and is_key:
                parent.key = event.value
            elif parent is not None and parent.key is not None:
                loader.fields[(event.start_mark.line, event.start_mark.column)] = parent.key
            self._advance()
            return
        if len(self._frames) == MAX_DEPTH:
            raise loader.too_deep(event.start_mark)
        if parent is not None and is_key:
            parent.key = None
        self._frames.append(_Frame(isinstance(event, MappingStartEvent), None if parent is None else parent.key))

    def _check_scalar(self, event: ScalarEvent) -> None:
        surrogate = _SURROGATE.search(event.value)
        if surrogate is not None:
            raise InputError(
                f"{self.loader.where(event.start_mark)}: the escape for U+{ord(surrogate.group()):04X} is half of "
                "a UTF-16 pair, not a character; write the character itself"
            )
        if event.implicit[0] and event.value == "<<":
            raise InputError(
                f"{self.loader.where(event.start_mark)}: merge keys (<<) are not supported in {self.loader.kind} files; "
                "write the keys out, or quote '<<' if it is meant as text"
            )

    def _check_tag(self, event: NodeEvent) -> None:
        tag = getattr(event, "tag", None)
        if tag is None:
            return
        where = self.loader.where(event.start_mark)
        name = _tag_name(tag)
        allowed_on = ALLOWED_TAGS.get(name)
        if allowed_on is None:
            raise InputError(
                f"{where}: the tag {_shown(name)} is not supported in {self.loader.kind} files; remove it "
                f"(only {', '.join(ALLOWED_TAGS)} are allowed)"
            )
        if not isinstance(event, allowed_on):
            found = {MappingStartEvent: "a mapping", SequenceStartEvent: "a list"}.get(type(event), "a single value")
            raise InputError(f"{where}: the tag {name} cannot be used on {found}; remove it")
        if name in _TAG_FITS:
            fits, expected = _TAG_FITS[name]
            resolved = str(self.resolver.resolve(ScalarNode, event.value, (True, False)))
            if resolved.removeprefix(_CORE_PREFIX) not in fits:
                raise InputError(f"{where}: {_shown(event.value)} is not a valid {name}; expected {expected}")


class _Constructor(RoundTripConstructor):
    """Round-trip construction whose value errors name the value's line, and whose !!str gives plain text."""

    loader: _Loader

    def construct_object(self, node: Any, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except (InputError, MarkedYAMLError):
            raise
        except Exception as e:
            # ruamel converts scalars such as 2027-02-30 or 0x_ with bare ValueError, IndexError, ...
            # and no position; this is the innermost node, so its mark is the place to fix.
            raise InputError(self._value_problem(node, e)) from e

    def _value_problem(self, node: Any, error: Exception) -> str:
        mark = node.start_mark
        key = self.loader.fields.get((mark.line, mark.column))
        where = f"{self.loader.path}:{mark.line + 1}: {key}" if key else self.loader.where(mark)
        type_name = str(node.tag).removeprefix(_CORE_PREFIX)
        if type_name == "timestamp":
            return f"{where}: {error}; write a real calendar date as YYYY-MM-DD"
        subject = _shown(node.value) if isinstance(node.value, str) else "this value"
        expected = _TYPE_NAMES.get(type_name, _tag_name(str(node.tag)))
        return f"{where}: {subject} cannot be read as {expected}; correct it, or quote it to keep it as text"

    def construct_plain_str(self, node: Any) -> Any:
        # ruamel keeps an explicit !!str as a TaggedScalar so it can write the tag back; callers want the text.
        return self.construct_scalar(node)


_Constructor.add_constructor(_CORE_PREFIX + "str", _Constructor.construct_plain_str)
# ruamel resolves a bare `=` to YAML 1.1's "value" type; YAML 1.2 has none, so it is text.
_Constructor.add_constructor(_CORE_PREFIX + "value", _Constructor.construct_plain_str)


def _record_lines(node: Any, path: KeyPath, lines: dict[KeyPath, int]) -> None:
    if isinstance(node, CommentedMap):
        for key in node:
            line, _col = node.lc.key(key)
            lines[(*path, str(key))] = line + 1
            _record_lines(node[key], (*path, str(key)), lines)
    elif isinstance(node, CommentedSeq):
        for index, item in enumerate(node):
            line, _col = node.lc.item(index)
            lines[(*path, index)] = line + 1
            _record_lines(item, (*path, index), lines)
