"""The safe YAML reader: every hostile input becomes a quick InputError at file:line, never a crash or a hang."""

from __future__ import annotations

import datetime
import gc
import math
import os
import re
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.nodes import MappingNode, ScalarNode, SequenceNode
from yaml.resolver import BaseResolver

from mlops.errors import ExitCode, InputError
from mlops.specs.safe_yaml import MAX_BYTES, MAX_DEPTH, MAX_NODES, KeyPath, load_yaml, parse_bytes, read_file

# Hypothesis caches constants from the code under test in ./.hypothesis while collecting tests,
# before any fixture runs; unless told where, send that cache out of the working tree.
if not os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY"):
    set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "mlops-hypothesis")

REPO = Path(__file__).resolve().parent.parent
SPEC = (REPO / "models" / "fraud-detector.yaml").read_text(encoding="utf-8")
# Every read of a file within the limits, accepted or rejected, must take under half a second.
FAST = 0.5
TAGS = "only !!str, !!int, !!float, !!bool, !!null, !!map, !!seq are allowed"


def write(tmp_path: Path, content: str | bytes, name: str = "m.yaml") -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


@contextmanager
def quick() -> Iterator[None]:
    """Fails unless the block takes under FAST seconds of CPU.

    CPU time, so a busy machine does not fail it; and without the garbage collector, whose pauses
    depend on everything else this process holds (Hypothesis holds a lot), not on the reader.
    """
    gc.disable()
    started = time.process_time()
    try:
        yield
    finally:
        elapsed = time.process_time() - started
        gc.enable()
    assert elapsed < FAST


def rejection(path: Path) -> str:
    with quick(), pytest.raises(InputError) as error:
        load_yaml(path)
    assert error.value.exit_code == ExitCode.INVALID_INPUT
    return str(error.value)


def test_example_specs_read_as_plain_data() -> None:
    for path in sorted((REPO / "models").glob("*.yaml")):
        data, _ = load_yaml(path)
        assert type(data) is dict
        assert data == YAML(typ="rt").load(path.read_text(encoding="utf-8"))
    data, lines = load_yaml(REPO / "models" / "fraud-detector.yaml")
    assert type(data["feature_groups"]) is list
    assert lines[("metadata", "name")] == 6
    assert lines[("feature_groups", 1, "features", 2)] == 36
    assert lines[("environments", "prod", "serving", "autoscaling")] == 132


def test_control_character(tmp_path: Path) -> None:
    path = write(tmp_path, 'metadata:\n  name: "\x01"\n')
    assert rejection(path) == (
        f"{path}:2:10: unprintable character U+0001 is not allowed in YAML; "
        "delete it, or write it as \\x01 inside a double-quoted string"
    )


def test_escaped_control_character_is_a_value(tmp_path: Path) -> None:
    assert load_yaml(write(tmp_path, 'metadata: "\\x01"\n'))[0] == {"metadata": "\x01"}


def test_merge_key_from_an_anchor(tmp_path: Path) -> None:
    path = write(tmp_path, "a: &x {b: 1}\nc:\n  <<: *x\n")
    assert rejection(path) == (
        f"{path}:1:4: anchors and aliases (&x / *x) are not supported in mlops YAML files; write the values out"
    )


def test_merge_key_without_an_anchor(tmp_path: Path) -> None:
    path = write(tmp_path, "c:\n  <<: {b: 1}\n")
    assert rejection(path) == (
        f"{path}:2:3: merge keys (<<) are not supported in mlops YAML files; "
        "write the keys out, or quote '<<' if it is meant as text"
    )
    assert load_yaml(write(tmp_path, "c:\n  '<<': 1\n"))[0] == {"c": {"<<": 1}}


@pytest.mark.parametrize("levels", [400, 3_000])
def test_deep_nesting(tmp_path: Path, levels: int) -> None:
    path = write(tmp_path, "a: " + "[" * levels + "]" * levels + "\n")
    # The mapping is the first level, so the stop is at bracket MAX_DEPTH; past 1,000 brackets
    # libyaml stops by itself first, and that must not change the message.
    assert rejection(path) == f"{path}:1:{3 + MAX_DEPTH}: nested more than {MAX_DEPTH} levels deep; flatten the structure"


def test_nesting_at_the_limit_is_read(tmp_path: Path) -> None:
    depth = MAX_DEPTH - 1
    data, _ = load_yaml(write(tmp_path, "a: " + "[" * depth + "]" * depth + "\n"))
    assert type(data["a"]) is list


@pytest.mark.parametrize(
    ("text", "column", "detail"),
    [
        ("a: !!set x\n", 4, f"the tag '!!set' is not supported in mlops YAML files; remove it ({TAGS})"),
        ("a: !!omap x\n", 4, f"the tag '!!omap' is not supported in mlops YAML files; remove it ({TAGS})"),
        ("a: !!binary aGk=\n", 4, f"the tag '!!binary' is not supported in mlops YAML files; remove it ({TAGS})"),
        ("a: !Ref x\n", 4, f"the tag '!Ref' is not supported in mlops YAML files; remove it ({TAGS})"),
        ("a: ! x\n", 4, f"the tag '!' is not supported in mlops YAML files; remove it ({TAGS})"),
        ("a: !!bool maybe\n", 4, "'maybe' is not a valid !!bool; expected true or false"),
        ("a: !!float x\n", 4, "'x' is not a valid !!float; expected a number such as 1.5"),
        ("a: !!int 1.5\n", 4, "'1.5' is not a valid !!int; expected an integer such as 42"),
        ("a: !!null x\n", 4, "'x' is not a valid !!null; expected null, ~ or nothing"),
        ("a: !!map x\n", 4, "the tag !!map cannot be used on a single value; remove it"),
        ("a: !!str [x]\n", 4, "the tag !!str cannot be used on a list; remove it"),
        ("a: !!seq {x: 1}\n", 4, "the tag !!seq cannot be used on a mapping; remove it"),
    ],
)
def test_rejected_tags(tmp_path: Path, text: str, column: int, detail: str) -> None:
    path = write(tmp_path, text)
    assert rejection(path) == f"{path}:1:{column}: {detail}"


def test_core_tags_give_plain_values(tmp_path: Path) -> None:
    text = "a: !!str x\nb: !!str 12\nc: !!int '7'\nd: !!float 3\ne: !!bool true\nf: !!null\ng: !!map {h: 1}\ni: !!seq [1]\n"
    data, lines = load_yaml(write(tmp_path, text))
    assert data == {"a": "x", "b": "12", "c": 7, "d": 3.0, "e": True, "f": None, "g": {"h": 1}, "i": [1]}
    assert type(data["a"]) is str
    assert lines[("g", "h")] == 7


def test_billion_laughs(tmp_path: Path) -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"{b}: &{b} [{', '.join(['*' + a] * 9)}]" for a, b in zip("abcdefgh", "bcdefghi", strict=True)]
    path = write(tmp_path, "\n".join(lines) + "\n")
    assert rejection(path) == (
        f"{path}:1:4: anchors and aliases (&x / *x) are not supported in mlops YAML files; write the values out"
    )


def test_alias_alone(tmp_path: Path) -> None:
    path = write(tmp_path, "a: 1\nb: *a\n")
    assert rejection(path) == (
        f"{path}:2:4: anchors and aliases (&x / *x) are not supported in mlops YAML files; write the values out"
    )


def test_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    path = tmp_path / "pipe.yaml"
    os.mkfifo(path)
    outcome: list[str] = []
    # A daemon thread, so a reader that blocks on the FIFO fails this test instead of hanging the run.
    reader = threading.Thread(target=lambda: outcome.append(rejection(path)), daemon=True)
    reader.start()
    reader.join(timeout=5)
    assert not reader.is_alive(), "reading a FIFO blocked"
    assert outcome == [f"{path}: not a regular file but a FIFO (named pipe); give the path of a regular mlops YAML file"]


def test_directory_and_device_are_refused(tmp_path: Path) -> None:
    directory = tmp_path / "d.yaml"
    directory.mkdir()
    assert rejection(directory) == f"{directory}: not a regular file but a directory; give the path of a regular mlops YAML file"
    with pytest.raises(InputError) as error:
        load_yaml(Path("/dev/null"), kind="model spec")
    assert str(error.value) == "/dev/null: not a regular file but a character device; give the path of a regular model spec file"


def test_missing_file(tmp_path: Path) -> None:
    assert rejection(tmp_path / "none.yaml") == f"{tmp_path / 'none.yaml'}: file not found"


def test_size_limit_is_checked_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    with path.open("wb") as file:
        file.truncate(1 << 30)  # sparse: reading it would take seconds and a gigabyte
    expected = (
        f"{path}: file is larger than the {MAX_BYTES // 1024} KiB limit for mlops YAML files; "
        "check that it is the right file and remove what does not belong in it"
    )
    assert rejection(path) == expected
    assert rejection(write(tmp_path, "a: 1\n" + "#" * MAX_BYTES, "huge.yaml")) == expected
    assert load_yaml(write(tmp_path, "a: 1\n" + "#" * (MAX_BYTES - 5), "limit.yaml"))[0] == {"a": 1}


def test_value_count_limit(tmp_path: Path) -> None:
    path = write(tmp_path, "- 1\n" * MAX_NODES)
    # The list itself is the first value.
    assert rejection(path) == (
        f"{path}:{MAX_NODES}:3: more than {MAX_NODES} values; mlops YAML files are expected to be far smaller, "
        "check that it is the right file"
    )


def test_proposed_content_is_checked_like_a_file(tmp_path: Path) -> None:
    path = tmp_path / "not-written.yaml"
    with quick(), pytest.raises(InputError) as error:
        parse_bytes(path, b"a: &x 1\n", kind="model spec")
    assert str(error.value) == (
        f"{path}:1:4: anchors and aliases (&x / *x) are not supported in model spec files; write the values out"
    )
    with pytest.raises(InputError) as error:
        parse_bytes(path, b"#" * (MAX_BYTES + 1), kind="model spec")
    assert str(error.value) == (
        f"{path}: file is larger than the {MAX_BYTES // 1024} KiB limit for model spec files; "
        "check that it is the right file and remove what does not belong in it"
    )
    assert parse_bytes(path, b"a: [1]\n") == ({"a": [1]}, {("a",): 1, ("a", 0): 1})


def test_read_file_gives_the_bytes(tmp_path: Path) -> None:
    assert read_file(write(tmp_path, b"\xef\xbb\xbfa: 1\r\n")) == b"\xef\xbb\xbfa: 1\r\n"


def test_invalid_utf8(tmp_path: Path) -> None:
    path = write(tmp_path, b"a: 1\nname: caf\xe9\n")
    assert rejection(path) == f"{path}:2:10: byte 0xe9 is not valid UTF-8; save the file as UTF-8"


def test_utf16_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, "a: 1\n".encode("utf-16"))
    assert rejection(path) == f"{path}: file is encoded as UTF-16 or UTF-32; save it as UTF-8"


def test_utf8_byte_order_mark_is_skipped(tmp_path: Path) -> None:
    data, lines = load_yaml(write(tmp_path, "\ufeffa: 1\nb: 2\n"))
    assert data == {"a": 1, "b": 2}
    assert lines == {("a",): 1, ("b",): 2}


def test_syntax_error_names_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, "metadata:\n  name: [unclosed\n")
    assert rejection(path) == (
        f"{path}:3:1: invalid YAML: while parsing a flow sequence, did not find expected ',' or ']'"
    )


def test_duplicate_key(tmp_path: Path) -> None:
    path = write(tmp_path, "a: 1\na: 2\n")
    assert rejection(path) == f"{path}:2:1: duplicate key 'a' (first on line 1); remove one of them"
    # Keys are the same when their values are, whatever their spelling.
    path = write(tmp_path, "a: 1\n1: x\n0x1: y\n")
    assert rejection(path) == f"{path}:3:1: duplicate key '0x1' (first on line 2); remove one of them"


def test_second_document(tmp_path: Path) -> None:
    path = write(tmp_path, "a: 1\n---\nb: 2\n")
    assert rejection(path) == f"{path}:2:1: invalid YAML: expected a single document in the stream, but found another document"


def test_impossible_date_keeps_its_message(tmp_path: Path) -> None:
    path = write(tmp_path, "waivers:\n  - policy: p\n    reason: r\n    approver: a\n    expires: 2027-02-30\n")
    assert rejection(path) == f"{path}:5: expires: day is out of range for month; write a real calendar date as YYYY-MM-DD"
    path = write(tmp_path, "dates: [2027-01-01, 2027-13-01]\n")
    assert rejection(path) == f"{path}:1: dates: month must be in 1..12; write a real calendar date as YYYY-MM-DD"


def test_unreadable_number(tmp_path: Path) -> None:
    path = write(tmp_path, "a:\n  b: 0x_\n")
    assert rejection(path) == f"{path}:2: b: '0x_' cannot be read as an integer; correct it, or quote it to keep it as text"
    path = write(tmp_path, "- " + "9" * 5000 + "\n")
    assert rejection(path) == (
        f"{path}:1:3: '9999999999999999999999999999999999999999'... cannot be read as an integer; "
        "correct it, or quote it to keep it as text"
    )


@pytest.mark.parametrize("version", ["1.1", "1.3", "2.0", "1." + "9" * 5_000])
def test_only_yaml_1_2(tmp_path: Path, version: str) -> None:
    path = write(tmp_path, f"%YAML {version}\n---\na: yes\n")
    assert rejection(path) == f"{path}:1:1: only YAML 1.2 is supported; remove the %YAML directive"
    assert load_yaml(write(tmp_path, "%YAML 1.2\n---\na: yes\n"))[0] == {"a": "yes"}


def test_escapes_that_are_not_characters(tmp_path: Path) -> None:
    path = write(tmp_path, 'a: "\\UFFFFFFFF"\n')
    assert rejection(path) == f"{path}:1:7: this \\U escape is not a Unicode character; write the character itself"
    path = write(tmp_path, 'a: "\\ud83d\\ude00"\n')
    assert rejection(path) == (
        f"{path}:1:4: the escape for U+D83D is half of a UTF-16 pair, not a character; write the character itself"
    )
    assert load_yaml(write(tmp_path, 'a: "\\U0001F600 \\u00e9"\n'))[0] == {"a": "\U0001f600 \u00e9"}


def test_bare_equals_sign_is_text(tmp_path: Path) -> None:
    # ruamel would return YAML 1.1's "value" type as a TaggedScalar.
    assert load_yaml(write(tmp_path, "a: =\n"))[0] == {"a": "="}


def test_scalars_follow_yaml_1_2(tmp_path: Path) -> None:
    text = (
        "words: [yes, no, on, off, y, n, Yes, OFF]\n"
        "booleans: [true, True, TRUE, false, False, FALSE]\n"
        "nulls: [null, Null, NULL, ~]\n"
        "ints: [010, 0o17, 0x1F, 0b101, 1_000, +7, -0]\n"
        "floats: [1.5, 1e3, .5, 1., -.inf, 1_0.5]\n"
        "text: [1:20, 0x, .5e3, '010', =]\n"
        "dates: [2027-01-31, 2027-01-31 10:20:30, 2027-01-31T10:20:30.5Z]\n"
        "empty:\n"
    )
    data, _ = load_yaml(write(tmp_path, text))
    utc = datetime.timezone.utc
    assert data == {
        "words": ["yes", "no", "on", "off", "y", "n", "Yes", "OFF"],
        "booleans": [True, True, True, False, False, False],
        "nulls": [None, None, None, None],
        "ints": [10, 15, 31, 5, 1000, 7, 0],
        "floats": [1.5, 1000.0, 0.5, 1.0, -math.inf, 10.5],
        "text": ["1:20", "0x", ".5e3", "010", "="],
        "dates": [
            datetime.date(2027, 1, 31),
            datetime.datetime(2027, 1, 31, 10, 20, 30),
            datetime.datetime(2027, 1, 31, 10, 20, 30, 500_000, utc),
        ],
        "empty": None,
    }
    assert [type(value) for value in data["ints"] + data["floats"]] == [int] * 7 + [float] * 6
    assert [type(value) for value in data["dates"]] == [datetime.date, datetime.datetime, datetime.datetime]


@pytest.mark.parametrize(
    ("character", "name"),
    [("\x85", "next-line"), ("\u2028", "line-separator"), ("\u2029", "paragraph-separator"), ("\ufeff", "byte order mark")],
)
def test_characters_yaml_readers_disagree_on(tmp_path: Path, character: str, name: str) -> None:
    # libyaml breaks lines at NEL, LS and PS and skips a BOM that starts a line; YAML 1.2 reads them as text.
    path = write(tmp_path, f"a: 1\nb: x{character}c: 2\n")
    code = ord(character)
    escape = f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"
    assert rejection(path) == (
        f"{path}:2:5: the {name} character U+{code:04X} is read differently by different YAML readers; "
        f"delete it, or write it as {escape} inside a double-quoted string"
    )
    assert load_yaml(write(tmp_path, f'a: "{escape}"\n'))[0] == {"a": character}


def test_tabs_between_tokens_are_read(tmp_path: Path) -> None:
    # YAML 1.2 allows them, and so does libyaml; ruamel refused them.
    assert load_yaml(write(tmp_path, "a:\t1\t# note\nb: [x,\ty]\n"))[0] == {"a": 1, "b": ["x", "y"]}
    path = write(tmp_path, "a:\n\tb: 1\n")
    assert rejection(path).startswith(f"{path}:2:1: invalid YAML: ")


@pytest.mark.parametrize(("text", "column"), [("? [a, b]\n: 1\n", 3), ("{x: 1}: 2\n", 1)])
def test_list_or_mapping_as_key(tmp_path: Path, text: str, column: int) -> None:
    path = write(tmp_path, text)
    assert rejection(path) == (
        f"{path}:1:{column}: a list or mapping cannot be a key in mlops YAML files; use a single value as the key"
    )


def test_one_document_only(tmp_path: Path) -> None:
    assert load_yaml(write(tmp_path, "# nothing\n"))[0] is None
    assert load_yaml(write(tmp_path, "a: 1\n...\n# end\n"))[0] == {"a": 1}
    path = write(tmp_path, "a: 1\n...\n%YAML 1.1\n---\nb: 2\n")
    assert rejection(path) == f"{path}:3:1: only YAML 1.2 is supported; remove the %YAML directive"


def test_unexpected_failure_is_an_input_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*args: object, **kwargs: object) -> None:
        raise AssertionError("unexpected state")

    monkeypatch.setattr(BaseResolver, "resolve", fail)
    path = write(tmp_path, "a: b\n")
    assert rejection(path) == f"{path}: cannot read the file as YAML (AssertionError: unexpected state); check its syntax"


def _nested(depth: int) -> str:
    return "[" * depth + "1" + "]" * depth


# The costliest shapes found for ruamel, each as large as the limits allow and failing at its end.
WORST_CASES = {
    "flow list of numbers": "[" + "1," * (MAX_NODES - 2) + "0x_]",
    "block list of mappings": "- a: 1\n" * (MAX_NODES // 3 - 1) + "- a: 0x_\n",
    "deep flow lists on one line, after comments": "#c\n" * 18_000 + "a: [" + ",".join([_nested(62)] * (MAX_NODES // 63 - 1)) + ", 0x_]",
    "comment lines": "#\n" * (MAX_BYTES // 2 - 8) + "a: 0x_\n",
    "folded scalar": "a: " + "w\n " * (MAX_BYTES // 3 - 4) + "\n: [",
    "too many values": "- 1\n" * (MAX_BYTES // 4),
}


@pytest.mark.parametrize("text", WORST_CASES.values(), ids=WORST_CASES.keys())
def test_worst_cases_within_the_limits_are_rejected_quickly(tmp_path: Path, text: str) -> None:
    assert len(text.encode("utf-8")) <= MAX_BYTES
    assert str(rejection(write(tmp_path, text))).startswith(str(tmp_path))


def values(data: object) -> Iterator[object]:
    yield data
    if isinstance(data, dict):
        for key, value in data.items():
            yield from values(key)
            yield from values(value)
    elif isinstance(data, list):
        for item in data:
            yield from values(item)


# What the reader returns, exactly: no subclass carries anything from a parser.
PLAIN_TYPES = (dict, list, str, int, float, bool, type(None), datetime.date, datetime.datetime)


def check_reader(path: Path) -> None:
    """The property: the reader returns plain values or raises InputError at file:line, and either way quickly."""
    with quick():
        try:
            data, lines = load_yaml(path)
        except InputError as e:
            # Only the encoding is a problem of the whole file; the last-resort message must never be needed.
            whole_file = f"{path}: file is encoded as UTF-16 or UTF-32; save it as UTF-8"
            assert re.match(rf"{re.escape(str(path))}:\d+(:\d+)?: ", str(e)) or str(e) == whole_file, str(e)
            return
    assert all(type(value) in PLAIN_TYPES for value in values(data))
    assert not any(isinstance(value, str) and re.search("[\ud800-\udfff]", value) for value in values(data))
    assert all(line >= 1 for line in lines.values())
    if isinstance(data, (dict, list)):
        assert bool(lines) == bool(data)


PIECES = [
    "\n", " ", "  ", "\t", "\r", ":", ": ", "- ", "[", "]", "{", "}", ",", "#", "? ", "|", ">", "'", '"', "\\",
    "&a ", "*a", "<<: ", "!!str ", "!!int ", "!!float ", "!!bool ", "!!null ", "!!map ", "!!seq ", "!!set ",
    "!!omap ", "!!binary ", "!!timestamp ", "!foo ", "! ", "!<tag:x> ", "!e!str ", "%YAML 1.1\n", "%YAML 1.3\n", "%YAML 1.2\n",
    "%TAG !e! tag:yaml.org,2002:\n", '"\\UFFFFFFFF"', '"\\ud800"', '"\\x85"',
    "---\n", "...\n", "\x00", "\x01", "\x1b", "\x7f", "\x85", "\u2028", "\ufeff", "\ufffe", "\U0001f600", "é",
    "2027-02-30", "2027-02-28", "0x_", "+_", "0o_", "._", "1_0", "9" * 5000, "1e999", ".inf", "~", "null", "yes", "=",
    "[" * 80, "{a: " * 70, "@", "`", "%",
]
CHARACTERS = st.one_of(st.sampled_from(PIECES), st.integers(0, 0x10FFFF).filter(lambda c: not 0xD800 <= c <= 0xDFFF).map(chr))
EDITS = st.lists(
    st.tuples(st.sampled_from(["insert", "delete", "replace"]), st.integers(0, len(SPEC)), st.integers(1, 40), CHARACTERS),
    min_size=1,
    max_size=6,
)


def mutate(text: str, edits: list[tuple[str, int, int, str]]) -> str:
    for operation, position, length, piece in edits:
        at = position % (len(text) + 1)
        if operation == "insert":
            text = text[:at] + piece + text[at:]
        elif operation == "delete":
            text = text[:at] + text[at + length :]
        else:
            text = text[:at] + piece + text[at + len(piece) :]
    return text


@pytest.fixture(scope="module")
def examples(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory for generated files; module-scoped, as Hypothesis refuses function-scoped fixtures."""
    return tmp_path_factory.mktemp("examples")


PROPERTY_SETTINGS = settings(
    derandomize=True,
    database=None,
    # quick() bounds the reader's CPU time; this bounds each example's wall time as well.
    deadline=2_000,
    # Large inputs (5,000-digit numbers, 80 brackets) are the point, not a slow strategy.
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@settings(PROPERTY_SETTINGS, max_examples=400)
@given(edits=EDITS)
def test_mutated_spec_is_read_or_rejected(examples: Path, edits: list[tuple[str, int, int, str]]) -> None:
    check_reader(write(examples, mutate(SPEC, edits), "mutated.yaml"))


@settings(PROPERTY_SETTINGS, max_examples=150)
@given(flips=st.lists(st.tuples(st.integers(0, len(SPEC)), st.integers(0, 255)), min_size=1, max_size=4))
def test_corrupted_bytes_are_read_or_rejected(examples: Path, flips: list[tuple[int, int]]) -> None:
    raw = bytearray(SPEC.encode("utf-8"))
    for position, value in flips:
        raw[position % len(raw)] = value
    check_reader(write(examples, bytes(raw), "corrupted.yaml"))


# Mostly scalars a spec may hold, so that many documents are read through; a few hostile ones.
GOOD_SCALARS = [
    "1", "x", "'q'", '"d\\x01"', '"\\u00e9"', "2027-02-28", "1_000", "~", "", "true", "yes", "=", "'<<'",
    "!!str s", "!!int 1", "!!float 2", "!!null", "!e!str s", "|\n  literal", ">\n  folded", "x # comment", "? k", "-", "- x",
]
BAD_SCALARS = [
    "2027-02-30", "0x_", "!!int x", "!!bool maybe", "!!set s", "!foo f", "&a 1", "*a", "<<", "9" * 4400, '"\\UFFFFFFFF"', '"\\ud800"',
]
SCALARS = st.sampled_from(GOOD_SCALARS * 4 + BAD_SCALARS)


def indent(text: str) -> str:
    return text.replace("\n", "\n  ")


def block_list(items: list[str]) -> str:
    return "\n".join("- " + indent(item) for item in items)


def block_map(pairs: list[tuple[str, str]]) -> str:
    return "\n".join(f"{key}:\n  {indent(value)}" for key, value in pairs)


def flow_list(items: list[str]) -> str:
    return "[" + ", ".join(items) + "]"


def flow_map(pairs: list[tuple[str, str]]) -> str:
    return "{" + ", ".join(f"{key}: {value}" for key, value in pairs) + "}"


DOCUMENTS = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, min_size=1, max_size=4).map(block_list),
        st.lists(st.tuples(SCALARS, children), min_size=1, max_size=4).map(block_map),
        st.lists(children, max_size=4).map(flow_list),
        st.lists(st.tuples(SCALARS, children), max_size=4).map(flow_map),
        st.tuples(st.sampled_from(["!!map ", "!!seq ", "!!str ", "&b ", "!x "]), children).map("".join),
    ),
    max_leaves=30,
)


def nest(document: str, depth: int, style: str) -> str:
    for _ in range(depth):
        document = {"block": f"- {indent(document)}", "flow list": f"[{document}]", "flow map": f"{{a: {document}}}"}[style]
    return document


@settings(PROPERTY_SETTINGS, max_examples=300)
@given(
    document=DOCUMENTS,
    depth=st.one_of(st.integers(0, 3), st.integers(0, 2 * MAX_DEPTH)),
    style=st.sampled_from(["block", "flow list", "flow map"]),
)
def test_generated_documents_are_read_or_rejected(examples: Path, document: str, depth: int, style: str) -> None:
    check_reader(write(examples, nest(document, depth, style), "generated.yaml"))


def canonical(data: object) -> object:
    """`data` with each scalar as (type, value) and NaN equal to itself, so that == compares types, values and order."""
    if isinstance(data, dict):
        return ("map", [(canonical(key), canonical(value)) for key, value in data.items()])
    if isinstance(data, list):
        return ("seq", [canonical(item) for item in data])
    if isinstance(data, float) and math.isnan(data):
        return ("float", "nan")
    kind = next(kind for kind in (bool, int, float, str, datetime.datetime, datetime.date, type(None)) if isinstance(data, kind))
    # ruamel's scalars are subclasses (ScalarFloat, HexInt, LiteralScalarString, ...); compare their plain values.
    return (kind.__name__, kind(data) if kind in (int, float, str) else data)


def ruamel_lines(data: object, path: KeyPath, lines: dict[KeyPath, int]) -> dict[KeyPath, int]:
    if isinstance(data, CommentedMap):
        for key in data:
            lines[(*path, str(key))] = data.lc.key(key)[0] + 1
            ruamel_lines(data[key], (*path, str(key)), lines)
    elif isinstance(data, CommentedSeq):
        for index, item in enumerate(data):
            lines[(*path, index)] = data.lc.item(index)[0] + 1
            ruamel_lines(item, (*path, index), lines)
    return lines


def ruamel_reading(text: str) -> tuple[object, dict[KeyPath, int]] | None:
    """What ruamel's YAML 1.2 round-trip loader reads, as canonical data and line map; None if it refuses the text.

    Refused as well is what the reader refuses whatever the syntax: a list or mapping as a key, and a
    lone surrogate from an escape such as "\\ud800", which is no text.
    """
    try:
        data = YAML(typ="rt").load(text)
    except Exception:
        # Not only YAMLError: ruamel converts values such as 0x_ or 2027-02-30 with unchecked int() and date().
        return None
    scalars = (dict, list, str, int, float, datetime.date, type(None))
    if not all(isinstance(value, scalars) for value in values(data)):
        return None
    if any(isinstance(value, str) and re.search("[\ud800-\udfff]", value) for value in values(data)):
        return None
    return canonical(data), ruamel_lines(data, (), {})


def ruamel_empty_keys(text: str) -> set[tuple[int, int]]:
    """The (line, column) of each key ruamel reads from nothing, as in `: v`."""
    found = set()
    nodes = [YAML(typ="rt").compose(text)]
    while nodes:
        node = nodes.pop()
        if isinstance(node, MappingNode):
            for key, value in node.value:
                if isinstance(key, ScalarNode) and key.value == "" and key.style is None:
                    found.add((key.start_mark.line + 1, key.start_mark.column + 1))
                nodes += [key, value]
        elif isinstance(node, SequenceNode):
            nodes += node.value
    return found


def libyaml_refuses_yaml_1_2(path: Path, text: str, error: str) -> bool:
    """Whether `error` is where libyaml, a YAML 1.1 parser, refuses a colon that YAML 1.2 (and ruamel) reads.

    Two such places: a key left empty (`: v`, or `{: v}`), and a colon directly followed by more text inside
    [...] or {...} (`{a: :b}`, `[a:, b]`), which YAML 1.2 reads as part of a plain scalar.
    """
    match = re.fullmatch(rf"{re.escape(str(path))}:(\d+):(\d+): invalid YAML: (.*)", error)
    if match is None:
        return False
    line, column, problem = int(match[1]), int(match[2]), match[3]
    here = re.split("\r\n|\r|\n", text)[line - 1][column - 1 :]
    if not here.startswith(":"):
        return False
    # ruamel puts an empty key at its colon in a block, just past it inside braces.
    if problem.endswith(("did not find expected key", "did not find expected node content")):
        if {(line, column), (line, column + 1)} & ruamel_empty_keys(text):
            return True
    return problem.endswith(("found unexpected ':'", "did not find expected node content")) and here[1:2] not in ("", " ")


def check_agrees_with_ruamel(path: Path, text: str) -> None:
    """The property: the reader reads what ruamel reads, or both refuse, or libyaml refuses a YAML 1.2 colon."""
    expected = ruamel_reading(text)
    try:
        data, lines = parse_bytes(path, text.encode("utf-8"))
    except InputError as e:
        assert expected is None or libyaml_refuses_yaml_1_2(path, text, str(e)), str(e)
        return
    assert expected is not None, "ruamel refuses what the reader reads"
    assert all(type(value) in PLAIN_TYPES for value in values(data))
    assert (canonical(data), lines) == expected


def yaml_files() -> list[Path]:
    found = []
    for directory, subdirectories, files in os.walk(REPO):
        # Hidden directories hold caches and environments, except .github, which holds workflows.
        subdirectories[:] = [name for name in subdirectories if name == ".github" or not name.startswith((".", "node_modules"))]
        found += [Path(directory) / name for name in files if name.endswith((".yaml", ".yml"))]
    return sorted(found)


@pytest.mark.parametrize("path", yaml_files(), ids=lambda path: str(path.relative_to(REPO)))
def test_repository_file_reads_as_ruamel_reads_it(path: Path) -> None:
    data, lines = load_yaml(path)
    assert (canonical(data), lines) == ruamel_reading(path.read_text(encoding="utf-8"))


# Edits for the comparison with ruamel: YAML's syntax, and scalars whose type the schema decides. Left
# out is what the reader refuses by policy whatever a parser says (anchors, tags, merge keys, directives,
# deep nesting, NEL/LS/PS/BOM: the tests above cover them), and tabs, which ruamel refuses between tokens
# although YAML 1.2 allows them there (test_tabs_between_tokens_are_read).
COMPARED_PIECES = [
    "\n", " ", "  ", "\r", ":", ": ", "- ", "[", "]", "{", "}", ",", "#", "? ", "|", ">", "'", '"', "\\", "---\n", "...\n",
    '"\\UFFFFFFFF"', '"\\ud800"', '"\\x85"', "\x00", "\x01", "\x7f", "\U0001f600", "é", "2027-02-30", "2027-02-28",
    "2027-02-28 10:20:30.5", "0x_", "+_", "0o_", "._", "1_0", "9" * 5000, "1e999", ".inf", ".NaN", "~", "null", "yes", "Off",
    "=", "010", "0o17", "0x1F", "0b11", "1e5", "-.5", "True", "FALSE", "1:20",
]
COMPARED_CHARACTERS = st.one_of(
    st.sampled_from(COMPARED_PIECES),
    st.characters(exclude_categories=["Cs"], exclude_characters="\t!&*%<\x85\u2028\u2029\ufeff"),
)
COMPARED_EDITS = st.lists(
    st.tuples(st.sampled_from(["insert", "delete", "replace"]), st.integers(0, len(SPEC)), st.integers(1, 40), COMPARED_CHARACTERS),
    min_size=1,
    max_size=6,
)


@settings(PROPERTY_SETTINGS, max_examples=250)
@given(edits=COMPARED_EDITS)
def test_mutated_spec_reads_as_ruamel_reads_it(edits: list[tuple[str, int, int, str]]) -> None:
    check_agrees_with_ruamel(Path("mutated.yaml"), mutate(SPEC, edits))
