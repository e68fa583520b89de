"""What a report records about how it was made: tool, commit, time and the digests of its inputs.

An auditor must be able to tell, from the report alone, which policies judged which specs
and which plan, at which commit, and whether uncommitted changes were part of it.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .. import __version__

TOOL_NAME = "mlops"
GIT_TIMEOUT_SECONDS = 10


def utc_timestamp(now: datetime | None = None) -> str:
    """`YYYY-MM-DDTHH:MM:SSZ`, in UTC, to the second."""
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _git(directory: Path, *args: str) -> str | None:
    """A git command's output, or None when there is no git, no repository or any other failure."""
    try:
        done = subprocess.run(
            ["git", "-C", str(directory), *args],
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT_SECONDS,
            check=False,
            env={**os.environ, "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"},
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


def git_state(directory: Path, *, exclude: Iterable[Path] = (), environ: Mapping[str, str] = os.environ) -> dict[str, Any]:
    """`{commit, dirty, branch}` of the repository holding `directory`; all None outside a repository.

    `dirty` covers tracked changes and untracked files under `directory`, except the paths in
    `exclude` (the reports the tool itself writes). `branch` is None on a detached HEAD unless CI
    names it (GITHUB_HEAD_REF for pull requests, else GITHUB_REF_NAME).
    """
    commit = _git(directory, "rev-parse", "--verify", "--quiet", "HEAD^{commit}")
    if commit is None:
        return {"commit": None, "dirty": None, "branch": None}
    top = _git(directory, "rev-parse", "--show-toplevel")
    root = Path(top.strip()).resolve() if top else None
    pathspecs = ["."]
    for path in exclude:
        resolved = path.resolve()
        if root is not None and resolved.is_relative_to(root):
            pathspecs.append(f":(top,exclude){resolved.relative_to(root).as_posix()}")
    status = _git(directory, "status", "--porcelain", "--untracked-files=normal", "--", *pathspecs)
    branch = (_git(directory, "symbolic-ref", "--quiet", "--short", "HEAD") or "").strip()
    if not branch:
        branch = environ.get("GITHUB_HEAD_REF") or environ.get("GITHUB_REF_NAME") or ""
    return {
        "commit": commit.strip(),
        "dirty": None if status is None else bool(status.strip()),
        "branch": branch or None,
    }


def digest_files(root: Path, contents: Mapping[Path, bytes]) -> str:
    """SHA-256 over files' paths relative to `root` and their bytes, in path order.

    Same scheme as the policy bundle's digest: a rename, an added file or one changed byte
    changes it, and it does not depend on where the project is checked out. `contents` holds
    the bytes that were evaluated (a proposed pin included), never re-read from disk.
    """
    digest = hashlib.sha256()
    for relative, data in sorted((relative_path(root, path), data) for path, data in contents.items()):
        digest.update(f"{relative}\0{len(data)}\0".encode())
        digest.update(data)
    return digest.hexdigest()


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def relative_path(root: Path, path: Path) -> str:
    """`path` relative to the project root, in POSIX form (what reports and SARIF URIs use)."""
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return Path(os.path.relpath(path.resolve(), root.resolve())).as_posix()


def report_metadata(
    *,
    project: str,
    project_dir: Path,
    bundle_sha256: str,
    spec_contents: Mapping[Path, bytes],
    stack_file: bytes,
    plan_bytes: bytes,
    exclude: Iterable[Path] = (),
    now: datetime | None = None,
    environ: Mapping[str, str] = os.environ,
) -> dict[str, Any]:
    """The `metadata` section of a canonical report."""
    return {
        "tool": {"name": TOOL_NAME, "version": __version__},
        "project": project,
        "git": git_state(project_dir, exclude=exclude, environ=environ),
        "generated_at": utc_timestamp(now),
        "sha256": {
            "policy_bundle": bundle_sha256,
            "specs": digest_files(project_dir, spec_contents),
            "stack_file": sha256_bytes(stack_file),
            "plan": sha256_bytes(plan_bytes),
        },
    }
