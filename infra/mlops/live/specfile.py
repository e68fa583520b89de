"""Edit one value of a model spec file in place, keeping every other byte: comments, order, quotes, layout.

A YAML dump, even ruamel's round-trip one, re-flows indentation, quoting and line breaks it
does not understand. Here ruamel only *locates* the keys (line and column); the edit itself
is a textual change of the one value line, or the insertion of the missing keys as new lines
in the file's own indentation. The result is parsed again and must equal the old document
with just that value set, or nothing is written.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.error import YAMLError

from ..errors import InputError, ProgramError
from ..specs.loader import plain

_COMMENT = re.compile(r"\s+#.*$")


def pin_path(environment: str) -> tuple[str, ...]:
    """Where an environment's pinned model package version lives in a spec file."""
    return ("environments", environment, "registry", "pinned_version")


def card_status_path(environment: str) -> tuple[str, ...]:
    """Where an environment's model card status lives in a spec file."""
    return ("environments", environment, "model_card", "status")


def set_value(text: str, source: Path, keys: tuple[str, ...], value: int | str) -> str:
    """`text` with the mapping value at `keys` set to `value` (an integer, or a plain word such as
    Approved, which YAML reads back as the same string); missing keys are created."""
    if isinstance(value, str) and not re.fullmatch(r"[A-Za-z][A-Za-z0-9]*", value):
        raise ProgramError(f"set_value writes integers and plain words only; {value!r} would need quoting")
    try:
        document = YAML(typ="rt").load(text)
    except YAMLError as e:
        raise InputError(f"{source}: invalid YAML: {e}") from e
    if not isinstance(document, CommentedMap):
        raise InputError(f"{source}:1: a model spec must be a mapping")
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    default_step = _indent_step(document)
    node: Any = document
    holder_column: int | None = None  # column of the key holding `node`; None at the top level
    for depth, key in enumerate(keys):
        where = ".".join(keys[:depth]) or "(top level)"
        if not isinstance(node, CommentedMap):
            raise InputError(f"{source}: {where}: expected a mapping to hold '{key}', found {type(node).__name__}")
        if node.fa.flow_style():
            line = node.lc.line + 1
            raise InputError(
                f"{source}:{line}: {where}: written in flow style ({{...}}); write it as a block mapping "
                "so mlops promote can edit it in place"
            )
        column = node.lc.key(next(iter(node)))[1] if node else 0
        # Indent new keys the way this part of the file is indented.
        step = column - holder_column if holder_column is not None and column > holder_column else default_step
        if key not in node:
            _insert(lines, node, keys[depth:], value, step, top=depth == 0)
            break
        child = node[key]
        if depth == len(keys) - 1:
            _replace_scalar(lines, node, key, value, source, ".".join(keys))
            break
        if child is None or (isinstance(child, CommentedMap) and not child):
            _open_empty(lines, node, key, keys[depth + 1 :], value, step)
            break
        holder_column = node.lc.key(key)[1]
        node = child
    updated = "".join(lines)
    _check(text, updated, keys, value, source)
    return updated


def _indent_step(document: CommentedMap) -> int:
    """The file's mapping indentation: the column of the first nested block mapping's keys."""
    for key in document:
        child = document[key]
        if isinstance(child, CommentedMap) and child and not child.fa.flow_style():
            return max(child.lc.key(next(iter(child)))[1] - document.lc.key(key)[1], 1)
    return 2


def _replace_scalar(lines: list[str], node: CommentedMap, key: str, value: int | str, source: Path, dotted: str) -> None:
    line_no, column = node.lc.key(key)
    line = lines[line_no]
    match = re.compile(rf"{re.escape(str(key))}\s*:").match(line, column)
    if not match:
        raise ProgramError(f"{source}:{line_no + 1}: cannot find '{key}:' where the YAML parser put it")
    rest = line[match.end() :].rstrip("\n")
    comment = _COMMENT.search(rest)
    current = (rest[: comment.start()] if comment else rest).strip()
    if current in ("", "~", "null", "Null", "NULL") and node[key] is not None:
        raise InputError(f"{source}:{line_no + 1}: {dotted}: the value is not on the key's line; write it as `{key}: <version>`")
    if current.startswith(("|", ">", "&", "!", "*")):
        raise InputError(f"{source}:{line_no + 1}: {dotted}: expected a plain number, found '{current}'")
    tail = comment.group(0) if comment else ""
    lines[line_no] = f"{line[: match.end()]} {value}{tail}\n"


def _insert(lines: list[str], node: CommentedMap, keys: tuple[str, ...], value: int | str, step: int, *, top: bool) -> None:
    """Add `keys` (nested) with `value` as the last entry of the block mapping `node`."""
    if node:
        column = node.lc.key(next(iter(node)))[1]
        end = _block_end(lines, node.lc.key(list(node)[-1])[0], column)
    else:
        column, end = 0, len(lines)
    new = _nested(keys, value, column, step)
    if top and end == len(lines) and lines and lines[-1].strip():
        new.insert(0, "\n")  # top-level sections are separated by a blank line
    lines[end:end] = new


def _open_empty(lines: list[str], node: CommentedMap, key: str, keys: tuple[str, ...], value: int | str, step: int) -> None:
    """`key:` (or `key: {}` / `key: ~`) becomes a block mapping holding `keys`."""
    line_no, column = node.lc.key(key)
    line = lines[line_no]
    match = re.compile(rf"{re.escape(str(key))}\s*:").match(line, column)
    if not match:
        raise ProgramError(f"cannot find '{key}:' on line {line_no + 1} where the YAML parser put it")
    comment = _COMMENT.search(line[match.end() :].rstrip("\n"))
    lines[line_no] = line[: match.end()] + (comment.group(0) if comment else "") + "\n"
    lines[line_no + 1 : line_no + 1] = _nested(keys, value, column + step, step)


def _block_end(lines: list[str], last_key_line: int, column: int) -> int:
    """The index after the last line of the entry starting at `last_key_line` in a mapping at `column`.

    Lines indented deeper than the mapping's keys belong to the entry; comment and blank lines
    after it belong to whatever follows.
    """
    end = last_key_line + 1
    index = end
    while index < len(lines):
        stripped = lines[index].strip()
        if stripped and not stripped.startswith("#"):
            indent = len(lines[index]) - len(lines[index].lstrip(" "))
            if indent <= column and not stripped.startswith("- ") or indent < column:
                break
            end = index + 1
        index += 1
    return end


def _nested(keys: tuple[str, ...], value: int | str, column: int, step: int) -> list[str]:
    out = []
    for depth, key in enumerate(keys):
        pad = " " * (column + depth * step)
        out.append(f"{pad}{key}: {value}\n" if depth == len(keys) - 1 else f"{pad}{key}:\n")
    return out


def _check(before: str, after: str, keys: tuple[str, ...], value: int | str, source: Path) -> None:
    """The edit must change exactly one value: the reparsed document equals the old one with it set."""
    expected = copy.deepcopy(plain(YAML(typ="rt").load(before)))
    node = expected
    for key in keys[:-1]:
        if not isinstance(node.get(key), dict):
            node[key] = {}
        node = node[key]
    node[keys[-1]] = value
    try:
        found = plain(YAML(typ="rt").load(after))
    except YAMLError as e:
        raise ProgramError(f"{source}: editing {'.'.join(keys)} produced invalid YAML ({e}); the file was left unchanged") from e
    if found != expected:
        raise ProgramError(f"{source}: editing {'.'.join(keys)} changed more than that value; the file was left unchanged")
