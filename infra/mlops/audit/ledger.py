"""The append-only, hash-chained audit ledger: one JSON line per recorded decision.

Every line is a JSON object with `format` (1), `seq` (1, 2, 3, …), a UTC `timestamp`, a
`kind` ("gate" for gate decisions; other commands record their own kinds), the kind's fields,
`prev_hash` (the `hash` of the line before; 64 zeros for the first) and `hash`: the SHA-256 of
the canonical JSON of the entry without `hash` (keys sorted, separators "," and ":", UTF-8,
not ASCII-escaped). Editing an entry breaks its hash; removing, reordering or inserting one
breaks the seq run or the next entry's `prev_hash`. A writer who rewrites every later entry
as well is not caught by the chain alone: keep the head hash `mlops audit verify` prints
somewhere the ledger's writers cannot change (a CI log, a release note) to catch that.

Cost: `append_entry` checks only the last entry (its hash and seq) before it extends the
chain, which keeps every gate O(1) in the ledger's size; the full check of every link is
`verify`, which `mlops audit verify` and `mlops audit report` run.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import subprocess
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any

from ..errors import ExitCode, InputError, MlopsError, StorageError
from .controls import control_tallies

LEDGER_FORMAT = 1
GENESIS_HASH = "0" * 64
LEDGER_ENV = "MLOPS_LEDGER"
DEFAULT_LEDGER = Path("reports") / "audit-ledger.jsonl"
# Fields append_entry sets; an entry handed to it must not carry them.
RESERVED_FIELDS: tuple[str, ...] = ("format", "seq", "timestamp", "prev_hash", "hash")
_REQUIRED: tuple[tuple[str, type], ...] = (
    ("format", int), ("seq", int), ("timestamp", str), ("kind", str), ("prev_hash", str), ("hash", str)
)
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$")
_TAIL_CHUNK = 65536
REPAIR_ADVICE = (
    "do not edit the ledger to make it verify: restore it from a backup, or keep it as evidence "
    f"and start a new ledger ({LEDGER_ENV}=<new path> or --ledger)"
)


# --- where the ledger lives and who writes -----------------------------------------------------


def default_ledger_path(project_dir: Path, environ: Mapping[str, str] = os.environ) -> Path:
    """MLOPS_LEDGER when set (a relative value is relative to the working directory), else <project>/reports/audit-ledger.jsonl."""
    configured = environ.get(LEDGER_ENV, "").strip()
    if configured:
        return Path(configured).expanduser()
    return project_dir / DEFAULT_LEDGER


def current_actor(environ: Mapping[str, str] = os.environ) -> str:
    """Who is deciding: MLOPS_ACTOR, else GITHUB_ACTOR (CI), else git's user.email, else the login name, else "unknown"."""
    for variable in ("MLOPS_ACTOR", "GITHUB_ACTOR"):
        value = environ.get(variable, "").strip()
        if value:
            return value
    email = _git_user_email(environ)
    if email:
        return email
    for variable in ("USER", "LOGNAME", "USERNAME"):
        value = environ.get(variable, "").strip()
        if value:
            return value
    return "unknown"


def _git_user_email(environ: Mapping[str, str]) -> str | None:
    try:
        done = subprocess.run(
            ["git", "config", "--get", "user.email"],
            capture_output=True, text=True, timeout=5, env=dict(environ), check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    email = done.stdout.strip()
    return email if done.returncode == 0 and email else None


# --- hashing ------------------------------------------------------------------------------------


def canonical_json(value: Any) -> bytes:
    """The bytes an entry's hash is taken over: sorted keys, no whitespace, UTF-8, no NaN."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")


def entry_hash(entry: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of the canonical JSON of the entry without its `hash` field."""
    return hashlib.sha256(canonical_json({k: v for k, v in entry.items() if k != "hash"})).hexdigest()


# --- appending ----------------------------------------------------------------------------------


class LedgerTamperedError(MlopsError):
    """The ledger does not verify: nothing built from it can be trusted (exit 1, like a failed gate)."""

    exit_code = ExitCode.GATE_FAILED


def check_tail(path: Path) -> None:
    """Raise LedgerTamperedError when the ledger's last entry does not verify (O(1); a missing ledger is fine).

    Deciding commands call this before they write anything, so a decision is never reported
    without its ledger entry.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return
    except OSError as e:
        raise StorageError(f"{path}: cannot read the audit ledger: {e.strerror or e}; check the path and its permissions") from e
    try:
        fcntl.flock(fd, fcntl.LOCK_SH)
        _tail(fd, os.fstat(fd).st_size, path)
    finally:
        os.close(fd)


def append_entry(path: Path, entry: Mapping[str, Any], *, now: datetime | None = None) -> dict[str, Any]:
    """Append one entry; returns it as written, with `format`, `seq`, `timestamp`, `prev_hash` and `hash` added.

    The file is locked (flock) for the whole read-tail-then-write, so concurrent writers on one
    machine serialise; the line goes out in a single write followed by fsync, and a failed write
    is truncated away so it cannot leave half a line. The last entry must verify (complete line,
    valid JSON, its own hash right), or the append is refused with LedgerTamperedError (exit 1):
    a broken chain is never extended. `now` (for tests and imports) defaults to the current UTC time.
    """
    _check_new_entry(entry)
    timestamp = format_timestamp(now or datetime.now(timezone.utc))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        created = not path.exists()
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o644)
    except OSError as e:
        raise StorageError(f"{path}: cannot open the audit ledger for appending: {e.strerror or e}; check the path and its permissions") from e
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        size = os.fstat(fd).st_size
        last_seq, last_hash = _tail(fd, size, path)
        record = {"format": LEDGER_FORMAT, "seq": last_seq + 1, "timestamp": timestamp, **entry, "prev_hash": last_hash}
        record["hash"] = entry_hash(record)
        line = (json.dumps(record, ensure_ascii=False, separators=(",", ":"), allow_nan=False) + "\n").encode("utf-8")
        _write_whole_line(fd, line, size, path)
    finally:
        os.close(fd)  # also releases the lock
    if created:
        _fsync_directory(path.parent)
    return json.loads(line)


def format_timestamp(moment: datetime) -> str:
    """UTC, ISO 8601, millisecond precision, `Z` suffix (a naive datetime is taken as local time)."""
    utc = moment.astimezone(timezone.utc)
    return utc.replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


def parse_timestamp(value: str) -> datetime:
    """A ledger timestamp as an aware UTC datetime."""
    return datetime.fromisoformat(value.removesuffix("Z")).replace(tzinfo=timezone.utc)


def _check_new_entry(entry: Mapping[str, Any]) -> None:
    """Caller bugs (not user input): a kind is required, reserved fields are the ledger's, values must be JSON."""
    if not isinstance(entry, Mapping):
        raise ValueError(f"a ledger entry must be a mapping, got {type(entry).__name__}")
    if not (isinstance(entry.get("kind"), str) and entry["kind"].strip()):
        raise ValueError("a ledger entry needs a non-empty 'kind' (e.g. 'gate')")
    reserved = [field for field in RESERVED_FIELDS if field in entry]
    if reserved:
        raise ValueError(f"a ledger entry must not set {', '.join(reserved)}: append_entry sets them")
    try:
        canonical_json(dict(entry))
    except (TypeError, ValueError) as e:
        raise ValueError(f"a ledger entry must be plain JSON data (str, int, float, bool, None, list, dict): {e}") from e


def _tail(fd: int, size: int, path: Path) -> tuple[int, str]:
    """seq and hash of the last entry, after checking that entry on its own (O(1) in the ledger's size)."""
    if size == 0:
        return 0, GENESIS_HASH
    if os.pread(fd, 1, size - 1) != b"\n":
        line = _count_lines(fd, size) + 1
        raise LedgerTamperedError(
            f"{path}:{line}: the audit ledger's last line is incomplete (no newline at the end of the file): "
            "it was truncated or a write was cut short; refusing to extend a broken chain",
            problems=[f"run `mlops audit verify --ledger {path}`", REPAIR_ADVICE],
        )
    start = _last_line_start(fd, size)
    raw = os.pread(fd, size - start, start)
    problems: list[str] = []
    entry = _parse_line(raw, problems)
    if entry is not None:
        problems.extend(_entry_problems(entry))
    if problems:
        line = _count_lines(fd, start) + 1
        seq = entry.get("seq") if entry is not None else None
        raise LedgerTamperedError(
            f"{path}:{line}: the audit ledger's last entry{_seq_label(seq)} does not verify; refusing to extend a broken chain",
            problems=[*problems, f"run `mlops audit verify --ledger {path}`", REPAIR_ADVICE],
        )
    assert entry is not None
    return entry["seq"], entry["hash"]


def _last_line_start(fd: int, size: int) -> int:
    """Offset of the first byte of the last line (the file ends with a newline)."""
    end = size - 1  # the final newline
    while end > 0:
        begin = max(0, end - _TAIL_CHUNK)
        chunk = os.pread(fd, end - begin, begin)
        newline = chunk.rfind(b"\n")
        if newline != -1:
            return begin + newline + 1
        end = begin
    return 0


def _count_lines(fd: int, upto: int) -> int:
    """Newlines before offset `upto`: only used to name a line in an error."""
    count, offset = 0, 0
    while offset < upto:
        chunk = os.pread(fd, min(1 << 20, upto - offset), offset)
        if not chunk:
            break
        count += chunk.count(b"\n")
        offset += len(chunk)
    return count


def _write_whole_line(fd: int, line: bytes, size: int, path: Path) -> None:
    try:
        written = os.write(fd, line)
        if written != len(line):
            raise OSError(f"short write: {written} of {len(line)} bytes")
        os.fsync(fd)
    except OSError as e:
        try:
            os.ftruncate(fd, size)  # never leave half a line behind: the chain must stay intact
        except OSError:
            pass
        raise StorageError(f"{path}: cannot append to the audit ledger: {e}; check free space and permissions") from e


def _fsync_directory(directory: Path) -> None:
    """Make a new ledger's directory entry durable too (best effort: not every filesystem allows it)."""
    try:
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# --- verifying ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class BrokenEntry:
    """The first entry that does not verify: its line, its seq when readable, and what is wrong."""

    line: int
    seq: int | None
    problems: tuple[str, ...]

    @property
    def where(self) -> str:
        return f"line {self.line}{_seq_label(self.seq)}"


@dataclass(frozen=True)
class VerifyResult:
    """The outcome of checking every link of a ledger."""

    path: Path
    entries: int  # entries that verify, counted from the first
    head: str  # hash of the last entry that verifies (GENESIS_HASH when none)
    head_seq: int
    broken: BrokenEntry | None = None

    @property
    def ok(self) -> bool:
        return self.broken is None

    def summary(self) -> str:
        if self.broken is None:
            return f"ledger OK: {self.entries} entries, head {self.head[:12]}"
        broken = self.broken
        return f"ledger TAMPERED: first broken entry at {self.path}:{broken.line}{_seq_label(broken.seq)}: {'; '.join(broken.problems)}"


def verify(path: Path, visit: Callable[[dict[str, Any]], None] | None = None) -> VerifyResult:
    """Check every entry and every link, in one streaming pass; stop at the first broken entry.

    Detects an edited entry (its hash no longer matches its content), an edited hash, removed
    entries (a seq gap, a first entry that is not seq 1, a `prev_hash` that does not link),
    reordered, duplicated or inserted entries (seq out of order, `prev_hash` mismatch), and a
    truncated, blank, non-UTF-8 or non-JSON line. `visit` is called with each entry that
    verifies, in order, so readers can build their view in the same pass. The file is read under
    a shared lock, so an append in progress is never seen half-written. Raises InputError when
    the file is missing or unreadable.
    """
    with _open_for_reading(path) as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_SH)
        count, head, head_seq = 0, GENESIS_HASH, 0
        for number, raw in enumerate(handle, start=1):
            problems: list[str] = []
            entry = _parse_line(raw, problems)
            if entry is not None:
                problems.extend(_entry_problems(entry))
                if not problems:
                    problems.extend(_link_problems(entry, head_seq, head, number, handle))
            if problems:
                seq = entry.get("seq") if entry is not None and _is_int(entry.get("seq")) else None
                return VerifyResult(path, count, head, head_seq, BrokenEntry(number, seq, tuple(problems)))
            assert entry is not None
            if visit is not None:
                visit(entry)
            count, head, head_seq = count + 1, entry["hash"], entry["seq"]
    return VerifyResult(path, count, head, head_seq)


def read_entries(path: Path) -> list[dict[str, Any]]:
    """Every entry, in file order, WITHOUT checking the chain (use `verify` for that).

    Raises InputError naming the line when a line is not a complete JSON object.
    """
    return list(_iter_entries(path))


def _iter_entries(path: Path) -> Iterator[dict[str, Any]]:
    # Holds a shared lock while iterating: private, so no caller appends (and deadlocks) mid-way.
    with _open_for_reading(path) as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_SH)
        for number, raw in enumerate(handle, start=1):
            problems: list[str] = []
            entry = _parse_line(raw, problems)
            if entry is None:
                raise InputError(f"{path}:{number}: {'; '.join(problems)}", problems=[f"run `mlops audit verify --ledger {path}`"])
            yield entry


def _open_for_reading(path: Path) -> IO[bytes]:
    try:
        return path.open("rb")
    except FileNotFoundError as e:
        raise InputError(
            f"{path}: no audit ledger here; it is created by the first gated command "
            f"(mlops plan --stack STACK), or point --ledger or {LEDGER_ENV} at an existing ledger"
        ) from e
    except OSError as e:
        raise StorageError(f"{path}: cannot read the audit ledger: {e.strerror or e}; check the path and its permissions") from e


class _DuplicateKey(ValueError):
    pass


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # A repeated key would let a line show one value to a reader (grep, jq) and hash another.
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKey(key)
        result[key] = value
    return result


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _parse_line(raw: bytes, problems: list[str]) -> dict[str, Any] | None:
    """The line's JSON object, or None with the reason appended to `problems`."""
    if not raw.endswith(b"\n"):
        problems.append("incomplete last line (no newline at the end of the file): the ledger was truncated or a write was cut short")
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        problems.append("not UTF-8 text: the line was corrupted or written by something else")
        return None
    if not text.strip():
        problems.append("blank line: the ledger never writes one, so the file was edited")
        return None
    try:
        value = json.loads(text, object_pairs_hook=_no_duplicate_keys, parse_constant=_reject_constant)
    except _DuplicateKey as e:
        problems.append(f"the key '{e}' appears twice in the entry: the line was edited")
        return None
    except ValueError as e:
        detail = f"{e.msg} at column {e.colno}" if isinstance(e, json.JSONDecodeError) else str(e)
        problems.append(f"not a JSON entry ({detail}): the line was corrupted or edited")
        return None
    if not isinstance(value, dict):
        problems.append(f"expected a JSON object, found a JSON {type(value).__name__}: the line was edited")
        return None
    return value


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _entry_problems(entry: dict[str, Any]) -> list[str]:
    """What is wrong with one entry on its own: required fields, format, and its hash."""
    problems = []
    for field, kind in _REQUIRED:
        value = entry.get(field)
        if field not in entry:
            problems.append(f"required field '{field}' is missing")
        elif not (_is_int(value) if kind is int else isinstance(value, kind)):
            problems.append(f"'{field}' must be {'an integer' if kind is int else 'text'}, found {value!r}")
    if problems:
        return problems
    if not _HEX64.match(entry["hash"]):
        return [f"hash {entry['hash']!r} is not 64 lowercase hex digits: the entry was edited"]
    actual = entry_hash(entry)
    if actual != entry["hash"]:
        return [
            f"hash mismatch: the entry's content hashes to {actual[:12]}, its recorded hash is "
            f"{entry['hash'][:12]}: the entry or its hash was edited"
        ]
    # The content is what was hashed; what follows are entries this version cannot have written.
    if entry["format"] != LEDGER_FORMAT:
        return [f"ledger format {entry['format']} is not format {LEDGER_FORMAT}, the one this mlops reads; use a matching mlops version"]
    if not _valid_timestamp(entry["timestamp"]):
        problems.append(f"timestamp {entry['timestamp']!r} is not a UTC time like 2025-01-31T12:00:00.000Z")
    if not _HEX64.match(entry["prev_hash"]):
        problems.append(f"prev_hash {entry['prev_hash']!r} is not 64 lowercase hex digits")
    return problems


def _valid_timestamp(value: str) -> bool:
    if not _TIMESTAMP.match(value):
        return False
    try:
        parse_timestamp(value)
    except ValueError:
        return False
    return True


def _link_problems(entry: dict[str, Any], prev_seq: int, prev_hash: str, number: int, rest: IO[bytes]) -> list[str]:
    """Whether the entry follows the one before it: seq + 1 and prev_hash = its hash."""
    problems = []
    expected, seq = prev_seq + 1, entry["seq"]
    before = f"line {number - 1} (seq {prev_seq}, hash {prev_hash[:12]})"
    if seq > expected:
        elsewhere = _line_of_seq(rest, expected, number)
        if elsewhere is not None:
            problems.append(f"seq {seq} where seq {expected} was expected, and seq {expected} is at line {elsewhere}: entries were reordered")
        elif prev_seq == 0:
            removed = "the first entry was" if seq == 2 else f"the first {seq - 1} entries were"
            problems.append(f"the first entry has seq {seq}, not 1: {removed} removed")
        else:
            removed = f"seq {expected} was" if seq == expected + 1 else f"seq {expected} to {seq - 1} were"
            problems.append(f"seq {seq} follows seq {prev_seq}: {removed} removed")
    elif seq == prev_seq:
        problems.append(f"seq {seq} repeats the seq of line {number - 1}: an entry was inserted or duplicated")
    elif seq < prev_seq:
        problems.append(f"seq {seq} follows seq {prev_seq}: entries are out of order, or one was inserted")
    if entry["prev_hash"] != prev_hash:
        if prev_seq == 0:
            problems.append(
                f"prev_hash is {entry['prev_hash'][:12]}, but the first entry's must be 64 zeros: entries before it were removed"
            )
        else:
            problems.append(
                f"prev_hash {entry['prev_hash'][:12]} does not match the hash of {before}: an entry was inserted, "
                "removed or reordered here, or the entry before was rewritten"
            )
    return problems


def _line_of_seq(rest: IO[bytes], seq: int, number: int) -> int | None:
    """The line further down holding `seq`, if any (only read once the ledger is known to be broken)."""
    for offset, raw in enumerate(rest, start=1):
        entry = _parse_line(raw, [])
        if entry is not None and entry.get("seq") == seq and _is_int(entry.get("seq")):
            return number + offset
    return None


def _seq_label(seq: Any) -> str:
    return f" (seq {seq})" if _is_int(seq) else ""


# --- gate decisions -----------------------------------------------------------------------------


def gate_entry(
    report: Mapping[str, Any], report_path: Path, report_sha256: str, actor: str, *, base: Path | None = None
) -> dict[str, Any]:
    """The ledger entry of one gate decision (kind "gate"), built from the canonical report alone.

    Carries who decided what, on which stack, environment and commit, with which counts and
    waivers, which policy bundle, and per-control tallies (see `mlops.audit.controls`), so the
    audit report needs only the ledger; the evidence report is named by path and SHA-256. The
    path is stored relative to `base` (the project directory) when it lies under it, else
    absolute; always with forward slashes.
    """
    git = (report.get("metadata") or {}).get("git") or {}
    return {
        "kind": "gate",
        "decision_id": str(uuid.uuid4()),
        "stack": report.get("stack"),
        "environment": report.get("environment"),
        "commit": git.get("commit"),
        "dirty": git.get("dirty"),
        "branch": git.get("branch"),
        "actor": actor,
        "decision": report.get("decision"),
        "require_verified": bool(report.get("require_verified", False)),
        "engine": report.get("engine"),
        "policies_evaluated": report.get("policies_evaluated"),
        "counts": dict(report.get("counts") or {}),
        "waivers_used": [_waiver_used(w) for w in report.get("waivers_applied") or []],
        "report_path": relative_report_path(report_path, base),
        "report_sha256": report_sha256,
        "policy_bundle_sha256": report.get("policy_bundle_sha256"),
        "controls": control_tallies(report),
    }


def _waiver_used(waiver: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "policy_id": waiver.get("policy_id"),
        "model": waiver.get("model"),
        "resource": waiver.get("resource"),
        "approver": waiver.get("approver"),
        "expires": waiver.get("expires"),
        "waived": len(waiver.get("waived") or []),
    }


def relative_report_path(report_path: Path, base: Path | None = None) -> str:
    """The report's path relative to `base` (the project) when it lies under it, else absolute (POSIX separators).

    Readers (`mlops audit report`) resolve a stored path against the project, so a path
    relative to any other directory (the working directory of the run) would point elsewhere.
    """
    absolute = Path(os.path.abspath(report_path))
    if base is not None:
        try:
            return absolute.relative_to(os.path.abspath(base)).as_posix()
        except ValueError:
            pass
    return absolute.as_posix()


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
