"""What a report records about its making: commit and dirtiness from git, UTC time, digests of its inputs."""

from __future__ import annotations

import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from mlops.reports.metadata import digest_files, git_state, utc_timestamp


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=Test", "-c", "user.email=test@example.com", "-c", "commit.gpgsign=false", *args],
        capture_output=True, text=True, check=True,
    )
    return done.stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "project" / "models").mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    (root / "project" / "models" / "a.yaml").write_text("metadata: {name: a}\n")
    (root / "README.md").write_text("outside the project\n")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "first")
    return root


def test_clean_repository(repo: Path) -> None:
    state = git_state(repo / "project", environ={})
    assert state == {"commit": git(repo, "rev-parse", "HEAD"), "dirty": False, "branch": "main"}
    assert len(state["commit"]) == 40


def test_changed_or_untracked_files_make_it_dirty(repo: Path) -> None:
    (repo / "project" / "models" / "a.yaml").write_text("metadata: {name: b}\n")
    assert git_state(repo / "project", environ={})["dirty"] is True
    git(repo, "checkout", "--", ".")
    (repo / "project" / "models" / "new.yaml").write_text("x: 1\n")
    assert git_state(repo / "project", environ={})["dirty"] is True


def test_reports_and_changes_outside_the_project_do_not_count(repo: Path) -> None:
    reports = repo / "project" / "reports"
    (reports / "dev").mkdir(parents=True)
    (reports / "dev" / "plan.json").write_text("{}\n")
    (repo / "README.md").write_text("edited\n")
    assert git_state(repo / "project", exclude=[reports], environ={})["dirty"] is False
    assert git_state(repo / "project", environ={})["dirty"] is True


def test_detached_head_takes_the_branch_from_ci(repo: Path) -> None:
    git(repo, "checkout", "-q", "--detach")
    assert git_state(repo / "project", environ={})["branch"] is None
    assert git_state(repo / "project", environ={"GITHUB_REF_NAME": "feature/x"})["branch"] == "feature/x"
    assert git_state(repo / "project", environ={"GITHUB_HEAD_REF": "pr-branch", "GITHUB_REF_NAME": "42/merge"})["branch"] == "pr-branch"


def test_outside_a_repository_everything_is_null(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    assert git_state(plain, environ={}) == {"commit": None, "dirty": None, "branch": None}


def test_repository_without_commits_is_treated_as_none(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q")
    assert git_state(tmp_path, environ={})["commit"] is None


def test_no_git_binary(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(repo / "no-such-bin"))
    assert git_state(repo / "project", environ={}) == {"commit": None, "dirty": None, "branch": None}


def test_timestamp_is_utc_to_the_second() -> None:
    moment = datetime(2026, 3, 2, 11, 15, 7, 999, tzinfo=timezone(timedelta(hours=1)))
    assert utc_timestamp(moment) == "2026-03-02T10:15:07Z"


def test_spec_digest_depends_on_names_and_bytes_not_location(tmp_path: Path) -> None:
    def project(root: Path, files: dict[str, str]) -> dict[Path, bytes]:
        return {root / "models" / name: text.encode() for name, text in files.items()}

    files = {"a.yaml": "a: 1\n", "b.yaml": "b: 2\n"}
    first = digest_files(tmp_path / "one", project(tmp_path / "one", files))
    assert first == digest_files(tmp_path / "two", dict(reversed(project(tmp_path / "two", files).items())))
    assert first != digest_files(tmp_path / "three", project(tmp_path / "three", {"a.yaml": "a: 1\n", "b.yaml": "b: 3\n"}))
    assert first != digest_files(tmp_path / "four", project(tmp_path / "four", {"a.yaml": "a: 1\n", "c.yaml": "b: 2\n"}))
