"""The hash-chained audit ledger: appending, verifying, and naming the first entry each kind of tampering breaks."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from mlops.audit.ledger import (
    GENESIS_HASH,
    LedgerTamperedError,
    append_entry,
    current_actor,
    default_ledger_path,
    entry_hash,
    gate_entry,
    read_entries,
    verify,
)
from mlops.errors import InputError

from .ledgers import at, dump, lines, passing_report, prod_report, rewrite, simple_ledger

REPO = Path(__file__).resolve().parents[2]


def independent_hash(entry: dict) -> str:
    """The documented hash, computed without the module: sha256 of canonical JSON without `hash`."""
    body = {k: v for k, v in entry.items() if k != "hash"}
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")).hexdigest()


# --- round trip -----------------------------------------------------------------------------------


def test_appended_entries_form_a_chain_that_verifies(tmp_path: Path) -> None:
    ledger = tmp_path / "reports" / "audit-ledger.jsonl"
    written = [
        append_entry(ledger, {"kind": "gate", "stack": "prod", "note": "décision über"}, now=at("2025-03-01", 9)),
        append_entry(ledger, {"kind": "promotion", "model": "fraud-detector", "to": "prod"}, now=at("2025-03-02", 10)),
        append_entry(ledger, {"kind": "gate", "stack": "dev", "ratio": 0.25}, now=at("2025-03-03", 11)),
    ]
    assert [e["seq"] for e in written] == [1, 2, 3]
    assert [e["format"] for e in written] == [1, 1, 1]
    assert written[0]["prev_hash"] == GENESIS_HASH == "0" * 64
    assert [e["prev_hash"] for e in written[1:]] == [e["hash"] for e in written[:-1]]
    assert [e["timestamp"] for e in written] == ["2025-03-01T09:00:00.000Z", "2025-03-02T10:00:00.000Z", "2025-03-03T11:00:00.000Z"]
    assert all(e["hash"] == independent_hash(e) == entry_hash(e) for e in written)
    assert read_entries(ledger) == written
    # one JSON object per line, UTF-8 not escaped, newline-terminated
    raw = ledger.read_bytes()
    assert raw.endswith(b"\n") and raw.count(b"\n") == 3 and "décision über".encode() in raw

    result = verify(ledger)
    assert result.ok and result.broken is None
    assert (result.entries, result.head, result.head_seq) == (3, written[-1]["hash"], 3)
    assert result.summary() == f"ledger OK: 3 entries, head {written[-1]['hash'][:12]}"


def test_verify_hands_each_verified_entry_to_the_visitor_in_order(tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.jsonl"
    written = simple_ledger(ledger, 4)
    seen: list[dict] = []
    assert verify(ledger, visit=seen.append).ok
    assert seen == written


def test_an_empty_ledger_verifies_with_the_genesis_head(tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.jsonl"
    ledger.write_bytes(b"")
    result = verify(ledger)
    assert result.ok and result.summary() == "ledger OK: 0 entries, head 000000000000"


def test_a_missing_ledger_is_an_input_error_that_says_how_it_is_created(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        verify(tmp_path / "nope.jsonl")
    assert caught.value.message == (
        f"{tmp_path / 'nope.jsonl'}: no audit ledger here; it is created by the first gated command "
        "(mlops plan --stack STACK), or point --ledger or MLOPS_LEDGER at an existing ledger"
    )


# --- tampering ------------------------------------------------------------------------------------


def edit_field(entries: list[bytes]) -> list[bytes]:
    entry = json.loads(entries[2])
    entry["decision"] = "fail"
    return [*entries[:2], dump(entry), *entries[3:]]


def edit_hash(entries: list[bytes]) -> list[bytes]:
    entry = json.loads(entries[2])
    entry["hash"] = hashlib.sha256(b"forged").hexdigest()
    return [*entries[:2], dump(entry), *entries[3:]]


def edit_field_and_rehash(entries: list[bytes]) -> list[bytes]:
    entry = json.loads(entries[2])
    entry["decision"] = "fail"
    entry["hash"] = independent_hash(entry)
    return [*entries[:2], dump(entry), *entries[3:]]


def remove_middle(entries: list[bytes]) -> list[bytes]:
    return [*entries[:2], *entries[3:]]


def remove_first(entries: list[bytes]) -> list[bytes]:
    return entries[1:]


def reorder(entries: list[bytes]) -> list[bytes]:
    return [entries[0], entries[2], entries[1], *entries[3:]]


def insert_forged(entries: list[bytes]) -> list[bytes]:
    """A well-formed entry with a correct own hash, linked to its predecessor, slipped in after seq 2."""
    before = json.loads(entries[1])
    forged = {**json.loads(entries[2]), "decision": "pass", "n": 99, "prev_hash": before["hash"]}
    forged["hash"] = independent_hash(forged)
    return [*entries[:2], dump(forged), *entries[2:]]


def truncate_last(entries: list[bytes]) -> list[bytes]:
    return [*entries[:-1], entries[-1][:40]]


def garbage_line(entries: list[bytes]) -> list[bytes]:
    return [*entries[:2], b"this is not json\n", *entries[2:]]


def blank_line(entries: list[bytes]) -> list[bytes]:
    return [*entries[:3], b"\n", *entries[3:]]


def duplicate_key(entries: list[bytes]) -> list[bytes]:
    # jq and json.loads keep the last value; a reader of the raw line may see the first
    return [*entries[:1], entries[1].replace(b'"decision":"pass"', b'"decision":"fail","decision":"pass"'), *entries[2:]]


def not_utf8(entries: list[bytes]) -> list[bytes]:
    return [*entries[:3], entries[3].replace(b'"kind"', b'"k\xffind"'), *entries[4:]]


def link_after_rehash(written: list[dict], tampered: list[bytes]) -> str:
    return f"prev_hash {written[2]['hash'][:12]} does not match the hash of line 3 (seq 3, hash {json.loads(tampered[2])['hash'][:12]})"


def link_after_forgery(written: list[dict], tampered: list[bytes]) -> str:
    return f"prev_hash {written[1]['hash'][:12]} does not match the hash of line 3 (seq 3, hash {json.loads(tampered[2])['hash'][:12]})"


TAMPERING = [
    # (how, first broken line, its seq as stored, what the problem says)
    (edit_field, 3, 3, "hash mismatch: the entry's content hashes to"),
    (edit_hash, 3, 3, "hash mismatch"),
    (edit_field_and_rehash, 4, 4, link_after_rehash),
    (remove_middle, 3, 4, "seq 4 follows seq 2: seq 3 was removed"),
    (remove_first, 1, 2, "the first entry has seq 2, not 1: the first entry was removed"),
    (reorder, 2, 3, "seq 3 where seq 2 was expected, and seq 2 is at line 3: entries were reordered"),
    (insert_forged, 4, 3, link_after_forgery),
    (truncate_last, 5, None, "incomplete last line (no newline at the end of the file)"),
    (garbage_line, 3, None, "not a JSON entry (Expecting value at column 1): the line was corrupted or edited"),
    (blank_line, 4, None, "blank line: the ledger never writes one"),
    (duplicate_key, 2, None, "the key 'decision' appears twice in the entry"),
    (not_utf8, 4, None, "not UTF-8 text"),
]


@pytest.mark.parametrize(("tamper", "line", "seq", "problem"), TAMPERING, ids=[t[0].__name__ for t in TAMPERING])
def test_each_kind_of_tampering_names_the_first_broken_entry(tmp_path: Path, tamper, line: int, seq: int | None, problem) -> None:
    ledger = tmp_path / "ledger.jsonl"
    written = simple_ledger(ledger, 5)
    rewrite(ledger, tamper(lines(ledger)))
    tampered = lines(ledger)
    expected = problem(written, tampered) if callable(problem) else problem

    result = verify(ledger)

    assert not result.ok
    assert (result.broken.line, result.broken.seq) == (line, seq)
    assert any(expected in p for p in result.broken.problems), result.broken.problems
    # everything before the broken entry still verifies, and the head is the last good entry's hash
    good = [json.loads(raw) for raw in tampered[: line - 1]]
    assert result.entries == line - 1
    assert result.head == (good[-1]["hash"] if good else GENESIS_HASH)
    assert result.summary().startswith(f"ledger TAMPERED: first broken entry at {ledger}:{line}")


def test_a_removed_middle_entry_is_also_reported_as_a_broken_link(tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.jsonl"
    written = simple_ledger(ledger, 5)
    rewrite(ledger, remove_middle(lines(ledger)))
    problems = verify(ledger).broken.problems
    assert problems == (
        "seq 4 follows seq 2: seq 3 was removed",
        f"prev_hash {written[2]['hash'][:12]} does not match the hash of line 2 (seq 2, hash {written[1]['hash'][:12]}): "
        "an entry was inserted, removed or reordered here, or the entry before was rewritten",
    )


def test_removing_several_entries_names_the_gap(tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.jsonl"
    simple_ledger(ledger, 6)
    entries = lines(ledger)
    rewrite(ledger, [*entries[:1], *entries[4:]])
    broken = verify(ledger).broken
    assert (broken.line, broken.seq) == (2, 5)
    assert broken.problems[0] == "seq 5 follows seq 1: seq 2 to 4 were removed"


def test_a_duplicated_entry_repeats_its_seq(tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.jsonl"
    simple_ledger(ledger, 3)
    entries = lines(ledger)
    rewrite(ledger, [*entries, entries[-1]])
    broken = verify(ledger).broken
    assert (broken.line, broken.seq) == (4, 3)
    assert broken.problems[0] == "seq 3 repeats the seq of line 3: an entry was inserted or duplicated"


# --- appending to a broken ledger -----------------------------------------------------------------


def edit_last(entries: list[bytes]) -> list[bytes]:
    entry = json.loads(entries[-1])
    entry["decision"] = "fail"
    return [*entries[:-1], dump(entry)]


def garbage_last(entries: list[bytes]) -> list[bytes]:
    return [*entries, b"this is not json\n"]


@pytest.mark.parametrize("tamper", [edit_last, truncate_last, garbage_last])
def test_append_refuses_to_extend_a_ledger_whose_last_entry_is_broken(tmp_path: Path, tamper) -> None:
    ledger = tmp_path / "ledger.jsonl"
    simple_ledger(ledger, 3)
    broken = tamper(lines(ledger))
    rewrite(ledger, broken)
    before = ledger.read_bytes()

    with pytest.raises(LedgerTamperedError) as caught:
        append_entry(ledger, {"kind": "gate", "stack": "dev"})
    assert caught.value.exit_code == 1

    assert caught.value.message.startswith(f"{ledger}:{len(broken)}: the audit ledger's last ")
    assert caught.value.message.endswith("refusing to extend a broken chain")
    assert f"run `mlops audit verify --ledger {ledger}`" in caught.value.problems
    assert ledger.read_bytes() == before


def test_append_names_the_seq_of_an_edited_last_entry(tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.jsonl"
    simple_ledger(ledger, 3)
    rewrite(ledger, edit_last(lines(ledger)))
    with pytest.raises(LedgerTamperedError) as caught:
        append_entry(ledger, {"kind": "gate"})
    assert caught.value.message == (
        f"{ledger}:3: the audit ledger's last entry (seq 3) does not verify; refusing to extend a broken chain"
    )
    assert caught.value.problems[0].startswith("hash mismatch: the entry's content hashes to")


def test_append_checks_only_the_last_entry_and_verify_still_finds_older_tampering(tmp_path: Path) -> None:
    """The documented trade-off: O(1) appends; `mlops audit verify` is the full check."""
    ledger = tmp_path / "ledger.jsonl"
    simple_ledger(ledger, 4)
    rewrite(ledger, edit_field(lines(ledger)))  # line 3 edited, line 4 intact
    appended = append_entry(ledger, {"kind": "gate"})
    assert appended["seq"] == 5
    broken = verify(ledger).broken
    assert (broken.line, broken.seq) == (3, 3)


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"stack": "dev"}, "a ledger entry needs a non-empty 'kind'"),
        ({"kind": "gate", "seq": 7}, "a ledger entry must not set seq: append_entry sets them"),
        ({"kind": "gate", "hash": "x", "prev_hash": "y"}, "a ledger entry must not set prev_hash, hash"),
        ({"kind": "gate", "path": Path("x")}, "a ledger entry must be plain JSON data"),
        ({"kind": "gate", "ratio": float("nan")}, "a ledger entry must be plain JSON data"),
    ],
)
def test_append_rejects_entries_it_could_not_hash_faithfully(tmp_path: Path, entry: dict, message: str) -> None:
    ledger = tmp_path / "ledger.jsonl"
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        append_entry(ledger, entry)
    assert not ledger.exists()


WRITER = """
import sys, time
from pathlib import Path
from mlops.audit.ledger import append_entry
ledger, go, writer, count = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], int(sys.argv[4])
while not go.exists():  # start together, so the appends really overlap
    time.sleep(0.001)
for i in range(count):
    append_entry(ledger, {"kind": "gate", "stack": "dev", "writer": writer, "i": i, "padding": "x" * 3000})
"""


def test_concurrent_writers_keep_the_chain_valid(tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.jsonl"
    go = tmp_path / "go"
    writers, per_writer = 4, 50
    env = {**os.environ, "PYTHONPATH": str(REPO / "infra")}
    processes = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(ledger), str(go), f"w{n}", str(per_writer)], env=env, stderr=subprocess.PIPE)
        for n in range(writers)
    ]
    go.touch()
    for process in processes:
        _, stderr = process.communicate()
        assert process.returncode == 0, stderr.decode()

    result = verify(ledger)
    assert result.ok, result.summary()
    assert result.entries == writers * per_writer
    entries = read_entries(ledger)
    assert [e["seq"] for e in entries] == list(range(1, writers * per_writer + 1))
    assert Counter(e["writer"] for e in entries) == {f"w{n}": per_writer for n in range(writers)}
    # each writer's own entries stay in its order
    for n in range(writers):
        assert [e["i"] for e in entries if e["writer"] == f"w{n}"] == list(range(per_writer))


# --- where and who --------------------------------------------------------------------------------


def test_default_ledger_path_is_under_reports_unless_mlops_ledger_is_set(tmp_path: Path) -> None:
    assert default_ledger_path(tmp_path, environ={}) == tmp_path / "reports" / "audit-ledger.jsonl"
    assert default_ledger_path(tmp_path, environ={"MLOPS_LEDGER": "/var/audit/ledger.jsonl"}) == Path("/var/audit/ledger.jsonl")
    assert default_ledger_path(tmp_path, environ={"MLOPS_LEDGER": "  "}) == tmp_path / "reports" / "audit-ledger.jsonl"


def test_current_actor_prefers_explicit_then_ci_then_git_then_login(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # outside any repository, so only the config file below is read
    gitconfig = tmp_path / "gitconfig"
    gitconfig.write_text("[user]\n\temail = dev@example.com\n")
    git_env = {
        "PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), "GIT_CONFIG_GLOBAL": str(gitconfig),
        "GIT_CONFIG_NOSYSTEM": "1", "GIT_CEILING_DIRECTORIES": str(tmp_path.parent),
    }
    assert current_actor({**git_env, "MLOPS_ACTOR": "release-bot", "GITHUB_ACTOR": "octocat", "USER": "me"}) == "release-bot"
    assert current_actor({**git_env, "GITHUB_ACTOR": "octocat", "USER": "me"}) == "octocat"
    assert current_actor({**git_env, "USER": "me"}) == "dev@example.com"
    no_git_email = {**git_env, "GIT_CONFIG_GLOBAL": str(tmp_path / "absent")}
    assert current_actor({**no_git_email, "USER": "me"}) == "me"
    assert current_actor(no_git_email) == "unknown"


# --- gate entries ---------------------------------------------------------------------------------


def test_gate_entry_records_the_decision_its_evidence_and_per_control_tallies(tmp_path: Path) -> None:
    report = prod_report()
    project = tmp_path / "project"
    report_path = project / "reports" / "prod" / "policy-report.json"

    entry = gate_entry(report, report_path, "ab" * 32, "ci@example.com", base=project)

    assert entry["kind"] == "gate" and len(entry["decision_id"]) == 36
    assert {k: entry[k] for k in ("stack", "environment", "decision", "commit", "dirty", "branch", "actor", "engine")} == {
        "stack": "prod", "environment": "prod", "decision": "fail", "commit": "3f9c2a1b7d4e5f60718293a4b5c6d7e8f9012345",
        "dirty": False, "branch": "main", "actor": "ci@example.com", "engine": "embedded",
    }
    assert entry["counts"] == report["counts"]
    assert entry["report_path"] == "reports/prod/policy-report.json"
    assert entry["report_sha256"] == "ab" * 32
    assert entry["policy_bundle_sha256"] == report["policy_bundle_sha256"]
    assert entry["waivers_used"] == [{
        "policy_id": "endpoint-min-instances", "model": "churn-predictor", "resource": None,
        "approver": "cto@example.com", "expires": "2999-12-31", "waived": 1,
    }]
    controls = entry["controls"]
    # endpoint-min-instances (1 fail, 1 waived) and s3-bucket-versioning (2 pass) both map to SOC2:A1.2
    assert controls["SOC2:A1.2"] == {"checked": 4, "passed": 2, "failed": 1, "advisory": 0, "waived": 1, "unverified": 0}
    assert controls["SOC2:CC6.1"] == {"checked": 2, "passed": 2, "failed": 0, "advisory": 0, "waived": 0, "unverified": 0}
    assert controls["SOC2:CC8.1"] == {"checked": 1, "passed": 0, "failed": 0, "advisory": 0, "waived": 0, "unverified": 1}
    # an advisory failure is a failure, counted apart as advisory
    assert controls["SOC2:C1.1"] == {"checked": 2, "passed": 1, "failed": 1, "advisory": 1, "waived": 0, "unverified": 0}
    assert list(controls)[:3] == ["HIPAA:164.308(a)(7)(ii)(A)", "HIPAA:164.312(a)(2)(iv)", "ISO27001:A.5.12"]
    # SC-28, SC-5(2), CP-9: 2 checks each; CM-2 and CM-3: 1 each; CM-8 and RA-2: 2 each
    assert sum(t["checked"] for c, t in controls.items() if c.startswith("NIST800-53:")) == 12
    # the entry is plain JSON and appends as is
    appended = append_entry(tmp_path / "ledger.jsonl", entry)
    assert appended["controls"] == controls and verify(tmp_path / "ledger.jsonl").ok


def test_gate_entry_without_checks_tallies_the_findings_only(tmp_path: Path) -> None:
    report = prod_report()
    del report["checks"]
    controls = gate_entry(report, tmp_path / "r.json", "0" * 64, "me")["controls"]
    assert controls["SOC2:A1.2"] == {"checked": 2, "passed": 0, "failed": 1, "advisory": 0, "waived": 1, "unverified": 0}
    assert controls["SOC2:C1.1"] == {"checked": 1, "passed": 0, "failed": 1, "advisory": 1, "waived": 0, "unverified": 0}
    assert controls["SOC2:CC8.1"]["unverified"] == 1
    assert "SOC2:CC6.1" not in controls


def test_gate_entry_of_a_report_without_git_metadata_records_unknown_commit(tmp_path: Path) -> None:
    report = passing_report()
    del report["metadata"]
    entry = gate_entry(report, Path("/elsewhere/policy-report.json"), "0" * 64, "me", base=tmp_path)
    assert (entry["commit"], entry["dirty"], entry["report_path"]) == (None, None, "/elsewhere/policy-report.json")
    assert all(t["passed"] == t["checked"] for t in entry["controls"].values())


def test_a_report_outside_the_project_is_recorded_by_its_absolute_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # `mlops plan -C proj --reports-dir out` run from tmp_path: a path relative to the working
    # directory would be resolved against the project by `mlops audit report`, and miss.
    monkeypatch.chdir(tmp_path)
    entry = gate_entry(passing_report(), Path("out/prod/policy-report.json"), "0" * 64, "me", base=tmp_path / "proj")
    assert entry["report_path"] == (tmp_path / "out" / "prod" / "policy-report.json").as_posix()


def test_a_rehashed_last_entry_with_an_impossible_timestamp_does_not_verify(tmp_path: Path) -> None:
    """Nothing links after the last entry, so its own fields are all that can betray a forgery."""
    ledger = tmp_path / "ledger.jsonl"
    simple_ledger(ledger, 2)
    entries = lines(ledger)
    forged = {**json.loads(entries[1]), "timestamp": "2025-02-30T12:00:00.000Z"}
    forged["hash"] = independent_hash(forged)
    rewrite(ledger, [entries[0], dump(forged)])
    broken = verify(ledger).broken
    assert (broken.line, broken.seq) == (2, 2)
    assert broken.problems == ("timestamp '2025-02-30T12:00:00.000Z' is not a UTC time like 2025-01-31T12:00:00.000Z",)
