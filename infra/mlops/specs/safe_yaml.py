"""The one reader for user YAML files: bounded, alias-free and tag-checked, failing only with an InputError at file:line."""

from __future__ import annotations

import codecs
import datetime
import math
import os
import re
import stat
from pathlib import Path
from typing import Any

from yaml.cyaml import CParser
from yaml.error import Mark, MarkedYAMLError
from yaml.events import (
    AliasEvent,
    DocumentEndEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    NodeEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from yaml.nodes import ScalarNode
from yaml.resolver import BaseResolver

from ..errors import InputError

KeyPath = tuple[str | int, ...]

# The largest file in the repository is under 3 KiB and 250 values; these bounds are 20 times that.
# libyaml reads that much in milliseconds, so they are not there for speed but to bound memory and
# to turn a wrong file (a log, a data dump) into a clear message.
MAX_BYTES = 64 * 1024
MAX_NODES = 3_000
# Specs nest five levels at most. The bound stops a hostile `[[[[...` after a few dozen events.
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
_STR = _CORE_PREFIX + "str"
_INT = _CORE_PREFIX + "int"
_FLOAT = _CORE_PREFIX + "float"
_BOOL = _CORE_PREFIX + "bool"
_NULL = _CORE_PREFIX + "null"
_TIMESTAMP = _CORE_PREFIX + "timestamp"
# For a tagged scalar: the types its text may resolve to untagged, and what to write instead.
_TAG_FITS: dict[str, tuple[frozenset[str], str]] = {
    "!!int": (frozenset({_INT}), "an integer such as 42"),
    "!!float": (frozenset({_INT, _FLOAT}), "a number such as 1.5"),
    "!!bool": (frozenset({_BOOL}), "true or false"),
    "!!null": (frozenset({_NULL}), "null, ~ or nothing"),
}
# Everything YAML 1.2 calls printable (c-printable) except four characters that YAML readers do not
# agree on: libyaml (YAML 1.1) breaks lines at NEL, LS and PS and drops a byte order mark that starts
# a line, where YAML 1.2 reads all four as text. Refusing them keeps what a file means independent of
# the reader; escapes in double-quoted strings still give them.
_UNPRINTABLE = re.compile(r"[^\t\n\r\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]")
_AMBIGUOUS = {"\x85": "next-line", "\u2028": "line-separator", "\u2029": "paragraph-separator", "\ufeff": "byte order mark"}
_FILE_TYPES = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)
# A FIFO swapped in after the stat check must not block the open; absent on Windows.
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)

# libyaml's wording for the errors that get a message of their own.
_BAD_ESCAPE = "found invalid Unicode character escape code"
_LIBYAML_TOO_DEEP = "exceeded maximum nesting depth"
_BAD_VERSION = ("found incompatible YAML document", "while scanning a %YAML directive")
_ESCAPE_DIGITS = {"x": 2, "u": 4, "U": 8}

# The timestamp forms the YAML 1.2 resolver of ruamel (the reader these files were written for) accepts:
# a date, or a date and time with an optional fraction and zone.
_TIMESTAMP_PARTS = re.compile(
    r"""(?P<year>[0-9]{4})-(?P<month>[0-9]{1,2})-(?P<day>[0-9]{1,2})
    (?:(?:[Tt]|[ \t]+)(?P<hour>[0-9]{1,2}):(?P<minute>[0-9]{2}):(?P<second>[0-9]{2})(?:\.(?P<fraction>[0-9]*))?
    (?:[ \t]*(?P<zone>Z|(?P<sign>[-+])(?P<zone_hour>[0-9]{1,2})(?::(?P<zone_minute>[0-9]{2}))?))?)?""",
    re.X,
)


def load_yaml(path: Path, *, kind: str = DEFAULT_KIND) -> tuple[Any, dict[KeyPath, int]]:
    """A YAML file as plain dicts, lists and scalars, and the 1-based line each key path starts on.

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
    try:
        return _read(path, text, kind)
    except InputError:
        raise
    except Exception as e:
        # A last resort, so that a reader bug still names the file instead of ending in a traceback.
        raise InputError(f"{path}: cannot read the file as YAML ({type(e).__name__}: {e}); check its syntax") from e


def _read(path: Path, text: str, kind: str) -> tuple[Any, dict[KeyPath, int]]:
    try:
        return _Reader(text, path, kind).read()
    except MarkedYAMLError as e:
        if e.problem != _LIBYAML_TOO_DEEP:
            raise InputError(_syntax_problem(path, text, e)) from e
        # libyaml's own limit (1,000 open brackets) trips while it scans ahead, before any event
        # comes past MAX_DEPTH; the text up to there holds that event, so read it to name its place.
        _read(path, text[: e.problem_mark.index], kind)
        raise InputError(_too_deep(path, e.problem_mark)) from e


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
    # Only \n, \r and \r\n can come before the match, and libyaml counts lines at each, as splitlines does.
    before = (text[: match.start()] + "x").splitlines()
    character = match.group()
    code = ord(character)
    escape = f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"
    where = f"{path}:{len(before)}:{len(before[-1])}"
    fix = f"delete it, or write it as {escape} inside a double-quoted string"
    if character in _AMBIGUOUS:
        raise InputError(
            f"{where}: the {_AMBIGUOUS[character]} character U+{code:04X} is read differently by different "
            f"YAML readers; {fix}"
        )
    raise InputError(f"{where}: unprintable character U+{code:04X} is not allowed in YAML; {fix}")


def _syntax_problem(path: Path, text: str, error: MarkedYAMLError) -> str:
    mark = error.problem_mark or error.context_mark
    where = f"{path}:{mark.line + 1}:{mark.column + 1}"
    if error.problem == _BAD_ESCAPE:
        # libyaml stops at the digits of the escape; say which one and why it is no character.
        letter = text[mark.index - 1]
        code = int(text[mark.index : mark.index + _ESCAPE_DIGITS[letter]], 16)
        if 0xD800 <= code <= 0xDFFF:
            start = error.context_mark or mark
            return (
                f"{path}:{start.line + 1}:{start.column + 1}: the escape for U+{code:04X} is half of a UTF-16 pair, "
                "not a character; write the character itself"
            )
        return f"{where}: this \\{letter} escape is not a Unicode character; write the character itself"
    if error.problem in _BAD_VERSION or error.context in _BAD_VERSION:
        return _only_yaml_1_2(path, error.context_mark or mark)
    return f"{where}: invalid YAML: {', '.join(part for part in (error.context, error.problem) if part)}"


def _only_yaml_1_2(path: Path, mark: Mark) -> str:
    return f"{path}:{mark.line + 1}:{mark.column + 1}: only YAML 1.2 is supported; remove the %YAML directive"


def _too_deep(path: Path, mark: Mark) -> str:
    return f"{path}:{mark.line + 1}:{mark.column + 1}: nested more than {MAX_DEPTH} levels deep; flatten the structure"


def _shown(text: str) -> str:
    return repr(text) if len(text) <= 40 else f"{text[:40]!r}..."


def _tag_name(tag: str) -> str:
    return "!!" + tag.removeprefix(_CORE_PREFIX) if tag.startswith(_CORE_PREFIX) else tag


class _CoreResolver(BaseResolver):
    """The YAML 1.2 core schema as ruamel's YAML 1.2 resolver reads plain scalars.

    Not PyYAML's YAML 1.1 resolver: yes/no/on/off stay text, 010 is ten, 1:20 is text; and, as in
    ruamel, numbers may hold underscores, 0b starts a binary number and dates are timestamps.
    """


def _whole(pattern: str) -> re.Pattern[str]:
    # \Z, not $, which also matches before a final line break and so would pass `!!int "1\n"` as 1.
    return re.compile(rf"(?:{pattern})\Z", re.X)


_CoreResolver.add_implicit_resolver(_BOOL, _whole("true|True|TRUE|false|False|FALSE"), list("tTfF"))
_CoreResolver.add_implicit_resolver(
    _FLOAT,
    _whole(
        r"""[-+]?[0-9][0-9_]*\.[0-9_]*(?:[eE][-+]?[0-9]+)?
        |[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+
        |[-+]?\.[0-9_]+(?:[eE][-+][0-9]+)?
        |[-+]?\.(?:inf|Inf|INF)
        |\.(?:nan|NaN|NAN)"""
    ),
    list("-+0123456789."),
)
_CoreResolver.add_implicit_resolver(
    _INT, _whole("[-+]?0b[01_]+ | [-+]?0o?[0-7_]+ | [-+]?[0-9_]+ | [-+]?0x[0-9a-fA-F_]+"), list("-+0123456789")
)
_CoreResolver.add_implicit_resolver(_NULL, _whole("~|null|Null|NULL|"), ["~", "n", "N", ""])
_CoreResolver.add_implicit_resolver(
    _TIMESTAMP,
    _whole(
        r"""[0-9]{4}-[0-9]{2}-[0-9]{2}
        |[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?
        (?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?"""
    ),
    list("0123456789"),
)


class _NoValue(Exception):
    """A scalar whose text has the form of its type but no value of it, such as 0x_ or 2027-02-30."""


def _to_int(text: str) -> int:
    digits = text.replace("_", "")
    sign = -1 if digits[0] == "-" else 1
    digits = digits.lstrip("+-")
    base = {"0b": 2, "0o": 8, "0x": 16}.get(digits[:2], 10)
    try:
        return sign * int(digits[2:] if base != 10 else digits, base)
    except ValueError as e:
        # Empty digits (0x_), or more decimal digits than Python converts (4,300).
        raise _NoValue from e


def _to_float(text: str) -> float:
    number = text.replace("_", "").lower()
    if number.lstrip("+-") == ".inf":
        return -math.inf if number[0] == "-" else math.inf
    if number == ".nan":
        # One NaN object, so that two .nan keys are the same key, as they are for ruamel.
        return math.nan
    try:
        return float(number)
    except ValueError as e:
        raise _NoValue from e


def _to_timestamp(text: str) -> datetime.date:
    parts = _TIMESTAMP_PARTS.fullmatch(text)
    assert parts is not None, "the resolver admits only timestamps this pattern matches"
    year, month, day = int(parts["year"]), int(parts["month"]), int(parts["day"])
    try:
        if parts["hour"] is None:
            return datetime.date(year, month, day)
        zone = None
        if parts["sign"]:
            offset = datetime.timedelta(hours=int(parts["zone_hour"]), minutes=int(parts["zone_minute"] or 0))
            zone = datetime.timezone(-offset if parts["sign"] == "-" else offset)
        elif parts["zone"] == "Z":
            zone = datetime.timezone.utc
        time = datetime.datetime(year, month, day, int(parts["hour"]), int(parts["minute"]), int(parts["second"]), 0, zone)
        # Microseconds rounded on the seventh digit of the fraction, as ruamel rounds them: .9999995 is a second.
        fraction = (parts["fraction"] or "").ljust(7, "0")
        return time + datetime.timedelta(microseconds=int(fraction[:6]) + (int(fraction[6]) >= 5))
    except (ValueError, OverflowError) as e:
        raise _NoValue(str(e)) from e


_CONVERT = {
    _STR: str,
    _NULL: lambda text: None,
    _BOOL: lambda text: text.lower() == "true",
    _INT: _to_int,
    _FLOAT: _to_float,
    _TIMESTAMP: _to_timestamp,
}
_TYPE_NAMES = {_INT: "an integer", _FLOAT: "a number"}


_NEXT_IS_KEY = object()


class _Open:
    """A mapping or list still being read: its key path, the key its scalars are reported under, and its next key."""

    __slots__ = ("items", "path", "field", "key", "key_mark", "key_lines")

    def __init__(self, items: dict[Any, Any] | list[Any], path: KeyPath, field: str | None) -> None:
        self.items = items
        self.path = path
        self.field = field
        # For a mapping: _NEXT_IS_KEY, or the key read and waiting for its value.
        self.key: Any = _NEXT_IS_KEY
        self.key_mark: Mark | None = None
        # For a mapping: the line of each key, in order.
        self.key_lines: list[int] = []


class _Reader(CParser, _CoreResolver):
    """libyaml's parser, whose events are checked and turned into values one at a time.

    Nothing recursive runs and nothing is built from an event before it is checked, so an alias,
    an unknown tag or a limit stops the read at the first event past it.
    """

    def __init__(self, text: str, path: Path, kind: str) -> None:
        CParser.__init__(self, text)
        _CoreResolver.__init__(self)
        self.path = path
        self.kind = kind
        self.lines: dict[KeyPath, int] = {}

    def where(self, mark: Mark) -> str:
        return f"{self.path}:{mark.line + 1}:{mark.column + 1}"

    def read(self) -> tuple[Any, dict[KeyPath, int]]:
        self.get_event()
        event = self.get_event()
        if isinstance(event, StreamEndEvent):
            return None, self.lines
        self._check_version(event)
        data = self._document()
        event = self.get_event()
        if isinstance(event, DocumentStartEvent):
            self._check_version(event)
            raise InputError(
                f"{self.where(event.start_mark)}: invalid YAML: expected a single document in the stream, but found another document"
            )
        return data, self.lines

    def _check_version(self, event: DocumentStartEvent) -> None:
        # libyaml reads %YAML 1.1 and 1.2 alike; under 1.1 the author means yes, 010 and 1:20 otherwise.
        if event.version not in (None, (1, 2)):
            raise InputError(_only_yaml_1_2(self.path, event.start_mark))

    def _document(self) -> Any:
        get_event = self.get_event
        lines = self.lines
        stack: list[_Open] = []
        top: _Open | None = None
        nodes = 0
        root = None
        while True:
            event = get_event()
            event_type = type(event)
            if event_type is MappingEndEvent or event_type is SequenceEndEvent:
                stack.pop()
                top = stack[-1] if stack else None
                continue
            if event_type is DocumentEndEvent:
                return root
            nodes += 1
            if nodes > MAX_NODES:
                raise InputError(
                    f"{self.where(event.start_mark)}: more than {MAX_NODES} values; "
                    f"{self.kind} files are expected to be far smaller, check that it is the right file"
                )
            if event_type is AliasEvent or event.anchor is not None:
                raise InputError(
                    f"{self.where(event.start_mark)}: anchors and aliases (&x / *x) are not supported in {self.kind} files; "
                    "write the values out"
                )
            if event.tag is not None:
                self._check_tag(event)
            is_key = top is not None and top.key is _NEXT_IS_KEY and type(top.items) is dict
            if event_type is ScalarEvent:
                if event.implicit[0] and event.value == "<<":
                    raise InputError(
                        f"{self.where(event.start_mark)}: merge keys (<<) are not supported in {self.kind} files; "
                        "write the keys out, or quote '<<' if it is meant as text"
                    )
                if is_key:
                    assert top is not None
                    top.key = self._scalar(event, None)
                    top.key_mark = event.start_mark
                    top.field = event.value
                    continue
                value = self._scalar(event, top.field if top is not None else None)
            else:
                if len(stack) == MAX_DEPTH:
                    raise InputError(_too_deep(self.path, event.start_mark))
                if is_key:
                    raise InputError(
                        f"{self.where(event.start_mark)}: a list or mapping cannot be a key in {self.kind} files; "
                        "use a single value as the key"
                    )
                value = {} if event_type is MappingStartEvent else []
            if top is None:
                root = value
                path: KeyPath = ()
            elif type(top.items) is list:
                path = (*top.path, len(top.items))
                top.items.append(value)
                lines[path] = event.start_mark.line + 1
            else:
                key = top.key
                if key in top.items:
                    raise InputError(self._duplicate(top))
                top.items[key] = value
                path = (*top.path, str(key))
                assert top.key_mark is not None
                lines[path] = top.key_mark.line + 1
                top.key_lines.append(lines[path])
                top.key = _NEXT_IS_KEY
            if event_type is not ScalarEvent:
                top = _Open(value, path, top.field if top is not None else None)
                stack.append(top)

    def _duplicate(self, mapping: _Open) -> str:
        assert mapping.key_mark is not None and mapping.field is not None
        # Keys are equal by value: 1, 0x1 and 1.0 are one key.
        first = next(index for index, known in enumerate(mapping.items) if known == mapping.key)
        return (
            f"{self.where(mapping.key_mark)}: duplicate key {_shown(mapping.field)} (first on line {mapping.key_lines[first]}); "
            "remove one of them"
        )

    def _scalar(self, event: ScalarEvent, field: str | None) -> Any:
        tag = event.tag
        if tag is None:
            if not event.implicit[0]:
                return event.value
            tag = self.resolve(ScalarNode, event.value, (True, False))
        try:
            return _CONVERT[tag](event.value)
        except _NoValue as e:
            raise InputError(self._value_problem(event, field, tag, e)) from e

    def _value_problem(self, event: ScalarEvent, field: str | None, tag: str, error: _NoValue) -> str:
        mark = event.start_mark
        where = f"{self.path}:{mark.line + 1}: {field}" if field is not None else self.where(mark)
        if tag == _TIMESTAMP:
            return f"{where}: {error}; write a real calendar date as YYYY-MM-DD"
        return f"{where}: {_shown(event.value)} cannot be read as {_TYPE_NAMES[tag]}; correct it, or quote it to keep it as text"

    def _check_tag(self, event: Any) -> None:
        where = self.where(event.start_mark)
        name = _tag_name(event.tag)
        allowed_on = ALLOWED_TAGS.get(name)
        if allowed_on is None:
            raise InputError(
                f"{where}: the tag {_shown(name)} is not supported in {self.kind} files; remove it "
                f"(only {', '.join(ALLOWED_TAGS)} are allowed)"
            )
        if not isinstance(event, allowed_on):
            found = {MappingStartEvent: "a mapping", SequenceStartEvent: "a list"}.get(type(event), "a single value")
            raise InputError(f"{where}: the tag {name} cannot be used on {found}; remove it")
        if name in _TAG_FITS:
            fits, expected = _TAG_FITS[name]
            if self.resolve(ScalarNode, event.value, (True, False)) not in fits:
                raise InputError(f"{where}: {_shown(event.value)} is not a valid {name}; expected {expected}")
