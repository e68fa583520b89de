"""Mutation testing of Rego policies (`mlops policy mutate`) and test selection (`mlops policy test --package`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from gov_fixtures import policy_source, write
from mlops.cli import app
from mlops.errors import InputError
from mlops.governance.mutation import OPERATORS, generate_mutants, module_mutants, mutate
from typer.testing import CliRunner

runner = CliRunner()

# One module exercising every operator; METADATA, package and import lines hold numbers, booleans
# and comparisons that must never be mutated.
ALL_OPERATORS = """\
# METADATA
# title: Sized buckets
# custom:
#   waivable: true
#   max: 3
package mlops.fixture.operators

import rego.v1

deny contains r.urn if {
	some r in input.resources
	r.kind == "bucket"
	not r.encrypted
	r.size > 10
	r.public == false
}

small(r) if r.size <= 2
"""


def test_each_operator_produces_its_mutants() -> None:
    mutants = module_mutants(ALL_OPERATORS, "fixture/operators.rego", "fixture-operators", "mlops.fixture.operators")
    assert [(m.line, m.operator, m.change) for m in mutants] == [
        (11, "empty-collection", "some r in input.resources → some r in []"),
        (12, "add-not", 'r.kind == "bucket" → not r.kind == "bucket"'),
        (12, "flip-comparison", 'r.kind == "bucket" → r.kind != "bucket"'),
        (12, "drop-condition", 'r.kind == "bucket" → true'),
        (12, "change-string", 'r.kind == "bucket" → r.kind == ""'),
        (13, "remove-not", "not r.encrypted → r.encrypted"),
        (13, "drop-condition", "not r.encrypted → true"),
        (14, "add-not", "r.size > 10 → not r.size > 10"),
        (14, "flip-comparison", "r.size > 10 → r.size >= 10"),
        (14, "drop-condition", "r.size > 10 → true"),
        (14, "shift-number", "r.size > 10 → r.size > 11"),
        (14, "shift-number", "r.size > 10 → r.size > 9"),
        (15, "add-not", "r.public == false → not r.public == false"),
        (15, "flip-comparison", "r.public == false → r.public != false"),
        (15, "drop-condition", "r.public == false → true"),
        (15, "swap-boolean", "r.public == false → r.public == true"),
        (18, "add-not", "small(r) if r.size <= 2 → small(r) if not r.size <= 2"),
        (18, "flip-comparison", "small(r) if r.size <= 2 → small(r) if r.size < 2"),
        (18, "drop-condition", "small(r) if r.size <= 2 → small(r) if true"),
        (18, "shift-number", "small(r) if r.size <= 2 → small(r) if r.size <= 3"),
        (18, "shift-number", "small(r) if r.size <= 2 → small(r) if r.size <= 1"),
    ]
    assert {m.operator for m in mutants} == set(OPERATORS)
    # The mutated module is the original with exactly that one change.
    flipped = next(m for m in mutants if m.operator == "flip-comparison" and m.line == 14)
    assert flipped.source == ALL_OPERATORS.replace("r.size > 10", "r.size >= 10")
    # Ids are short, stable and distinct.
    assert flipped.id == module_mutants(ALL_OPERATORS, "fixture/operators.rego", "x", "y")[8].id
    assert len({m.id for m in mutants}) == len(mutants) and all(len(m.id) == 8 for m in mutants)


def test_comprehensions_and_multiline_literals() -> None:
    source = """\
package mlops.fixture.shapes

import rego.v1

names := [r.name | some r in input.resources; r.kind != "queue"]

deny contains violation if {
	some r in input.resources
	violation := {
		"resource": r.urn,
		"ok": true,
	}
}
"""
    changes = [(m.line, m.operator, m.change) for m in module_mutants(source, "f.rego", "u", "p")]
    assert changes == [
        (5, "add-not", 'names := [r.name | some r in input.resources; r.kind != "queue"] → names := [r.name | some r in input.resources; not r.kind != "queue"]'),
        (5, "flip-comparison", 'names := [r.name | some r in input.resources; r.kind != "queue"] → names := [r.name | some r in input.resources; r.kind == "queue"]'),
        (5, "empty-collection", 'names := [r.name | some r in input.resources; r.kind != "queue"] → names := [r.name | some r in []; r.kind != "queue"]'),
        (5, "drop-condition", 'names := [r.name | some r in input.resources; r.kind != "queue"] → names := [r.name | some r in input.resources; true]'),
        (5, "change-string", 'names := [r.name | some r in input.resources; r.kind != "queue"] → names := [r.name | some r in input.resources; r.kind != ""]'),
        (8, "empty-collection", "some r in input.resources → some r in []"),
        # An object literal is neither a condition nor droppable, but its values are mutated.
        (11, "swap-boolean", '"ok": true, → "ok": false,'),
    ]


# A scored fixture library: one policy, one library module it imports, and their tests.
POLICY = """
deny contains r.urn if {
	some r in input.resources
	r.size > util.limit
	not r.encrypted
}
"""

LIBRARY = """\
package mlops.lib.util

import rego.v1

limit := 10
"""

STRONG_TESTS = """\
package mlops.storage.sized_test

import rego.v1

import data.mlops.storage.sized

test_large_plain_denied if {
	sized.deny == {"a"} with input as {"resources": [{"urn": "a", "size": 11, "encrypted": false}]}
}

test_limit_itself_allowed if {
	count(sized.deny) == 0 with input as {"resources": [{"urn": "a", "size": 10, "encrypted": false}]}
}

test_encrypted_allowed if {
	count(sized.deny) == 0 with input as {"resources": [{"urn": "a", "size": 11, "encrypted": true}]}
}
"""

# Only the denied case: the boundary and the exemption go untested.
WEAK_TESTS = STRONG_TESTS.split("\ntest_limit_itself_allowed")[0]

OTHER_POLICY = """
deny contains r.urn if {
	some r in input.resources
	r.name == ""
}
"""

OTHER_TESTS = """\
package mlops.storage.named_test

import rego.v1

import data.mlops.storage.named

test_unnamed_denied if {
	named.deny == {"a"} with input as {"resources": [{"urn": "a", "name": ""}]}
}

test_named_allowed if {
	count(named.deny) == 0 with input as {"resources": [{"urn": "a", "name": "n"}]}
}
"""


def scored_library(root: Path, tests: str) -> Path:
    policies = root / "policies"
    rule = "import data.mlops.lib.util\n" + POLICY
    write(policies / "storage" / "sized.rego", policy_source("mlops.storage.sized", rule, policy_id="storage-sized"))
    write(policies / "storage" / "sized_test.rego", tests)
    write(policies / "lib" / "util.rego", LIBRARY)
    return policies


def test_tests_that_kill_everything_score_100(tmp_path: Path) -> None:
    policies = scored_library(tmp_path, STRONG_TESTS)
    report = mutate(policies, jobs=2)
    assert [(u.unit, u.mutants, u.killed, u.survived, u.score) for u in report.units] == [
        ("storage-sized", 6, 6, 0, 100.0),
        ("lib", 2, 2, 0, 100.0),
    ]
    assert report.total.score == 100.0 and report.passes(100)


def test_weak_tests_leave_named_survivors(tmp_path: Path) -> None:
    policies = scored_library(tmp_path, WEAK_TESTS)
    report = mutate(policies, jobs=1)
    survivors = sorted((r.mutant.file, r.mutant.line, r.mutant.change) for r in report.of("survived"))
    assert survivors == [
        ("lib/util.rego", 5, "limit := 10 → limit := 9"),
        ("storage/sized.rego", 16, "r.size > util.limit → r.size >= util.limit"),
        ("storage/sized.rego", 16, "r.size > util.limit → true"),
        ("storage/sized.rego", 17, "not r.encrypted → true"),
    ]
    sized = report.units[0]
    assert (sized.mutants, sized.killed, sized.survived, sized.score) == (6, 3, 3, 50.0)
    assert report.total.score == 50.0

    result = runner.invoke(app, ["policy", "mutate", "--policies-dir", str(policies), "--jobs", "1"])
    assert result.exit_code == 0, result.output
    line = next(text for text in result.output.splitlines() if "r.size >= util.limit" in text)
    assert f"{policies}/storage/sized.rego:16" in line and "[flip-comparison]" in line
    assert "r.size > util.limit → r.size >= util.limit" in line


def test_only_the_selected_policy_is_mutated(tmp_path: Path) -> None:
    policies = scored_library(tmp_path, STRONG_TESTS)
    write(policies / "storage" / "named.rego", policy_source("mlops.storage.named", OTHER_POLICY, policy_id="storage-named"))
    write(policies / "storage" / "named_test.rego", OTHER_TESTS)
    report = mutate(policies, policies=["storage-named"], jobs=1)
    assert [(u.unit, u.mutants, u.score) for u in report.units] == [("storage-named", 5, 100.0)]
    with pytest.raises(InputError, match=r"--policy nope: no such policy id; expected one of lib, storage-named, storage-sized"):
        mutate(policies, policies=["nope"])


def test_compile_errors_are_excluded_from_the_score(tmp_path: Path) -> None:
    policies = tmp_path / "policies"
    rule = """
deny contains path if {
	walk(input, [path, value])
	value == "secret"
}
"""
    write(policies / "fixture" / "walker.rego", policy_source("mlops.fixture.walker", rule, policy_id="fixture-walker"))
    write(policies / "fixture" / "walker_test.rego", """\
package mlops.fixture.walker_test

import rego.v1

import data.mlops.fixture.walker

test_secret_found if {
	walker.deny == {["a"]} with input as {"a": "secret"}
}

test_nothing_found if {
	count(walker.deny) == 0 with input as {"a": "public"}
}
""")
    report = mutate(policies, jobs=1)
    errors = {(r.mutant.line, r.mutant.change): r.detail for r in report.of("compile-error")}
    # Without the walk, `path` and `value` are bound nowhere.
    assert list(errors) == [(13, "walk(input, [path, value]) → true")]
    assert all("unsafe" in detail for detail in errors.values())
    total = report.total
    assert total.compile_errors == len(errors) > 0
    assert total.scored == total.mutants - total.compile_errors
    assert total.score == round(100 * total.killed / total.scored, 1)


def test_equivalent_mutants_file(tmp_path: Path) -> None:
    policies = scored_library(tmp_path, WEAK_TESTS)
    mutants = {m.change: m for m in generate_mutants(policies)}
    lib_mutant = mutants["limit := 10 → limit := 9"]
    good = policies / "mutants-equivalent.yaml"
    write(good, f"""\
equivalent:
  - id: "{lib_mutant.id}"
    file: lib/util.rego
    line: 5
    change: "limit := 10 → limit := 9"
    reason: sizes are whole gigabytes here, so no bucket sits between 9 and 10
""")
    report = mutate(policies, jobs=1, equivalent_file=good)
    assert [r.mutant.id for r in report.of("equivalent")] == [lib_mutant.id]
    lib = report.units[1]
    assert (lib.unit, lib.mutants, lib.killed, lib.equivalent, lib.survived, lib.score) == ("lib", 2, 1, 1, 0, 100.0)
    assert report.total.scored == report.total.mutants - 1

    # A mutant that is no longer generated (the policy changed) is an error naming it.
    stale = write(tmp_path / "stale.yaml", good.read_text().replace(lib_mutant.id, "0badc0de"))
    with pytest.raises(InputError) as error:
        mutate(policies, jobs=1, equivalent_file=stale)
    assert "mutant 0badc0de (lib/util.rego:5 limit := 10 → limit := 9) is not generated any more" in str(error.value)
    assert f"now {lib_mutant.id} at line 5" in str(error.value)

    # Unknown keys and empty reasons are errors, each with its line.
    wrong = write(tmp_path / "wrong.yaml", good.read_text().replace("reason: sizes are whole gigabytes here, so no bucket sits between 9 and 10", "reason: ' '\n    approver: me"))
    with pytest.raises(InputError) as error:
        mutate(policies, jobs=1, equivalent_file=wrong)
    problems = "\n".join(error.value.problems)
    assert "reason" in problems and "approver" in problems and f"{wrong}:" in problems

    # An id of digits alone must be quoted, or YAML reads a number.
    numeric = write(tmp_path / "numeric.yaml", good.read_text().replace(f'id: "{lib_mutant.id}"', "id: 12345678"))
    with pytest.raises(InputError) as error:
        mutate(policies, jobs=1, equivalent_file=numeric)
    assert "YAML read 12345678 as a number, quote it" in "\n".join(error.value.problems)

    # Through the CLI: input errors exit 2.
    result = runner.invoke(app, ["policy", "mutate", "--policies-dir", str(policies), "--equivalent", str(stale)])
    assert result.exit_code == 2
    assert "0badc0de" in result.output


def test_min_score_exit_codes_and_json(tmp_path: Path) -> None:
    policies = scored_library(tmp_path, WEAK_TESTS)
    report_path = tmp_path / "mutation.json"
    failing = runner.invoke(
        app, ["policy", "mutate", "--policies-dir", str(policies), "--jobs", "1", "--min-score", "75", "--json", str(report_path)]
    )
    assert failing.exit_code == 1, failing.output
    assert "mutation score 50.0% is below --min-score 75%" in failing.output
    document = json.loads(report_path.read_text())
    assert set(document) == {
        "policies_dir", "equivalent_file", "operators", "jobs", "seconds", "min_score", "passed",
        "total", "policies", "survivors", "compile_errors", "equivalent", "stale_equivalents",
    }
    assert (document["min_score"], document["passed"], document["operators"]) == (75.0, False, list(OPERATORS))
    assert document["total"] == {
        "policy": "total", "files": ["lib/util.rego", "storage/sized.rego"], "mutants": 8, "killed": 4,
        "compile_errors": 0, "equivalent": 0, "survived": 4, "score": 50.0,
    }
    assert [p["policy"] for p in document["policies"]] == ["storage-sized", "lib"]
    survivor = document["survivors"][0]
    assert set(survivor) == {"id", "policy", "file", "line", "operator", "original", "replacement", "change"}

    passing = runner.invoke(app, ["policy", "mutate", "--policies-dir", str(policies), "--jobs", "1", "--min-score", "50"])
    assert passing.exit_code == 0, passing.output
    assert "mutation score: 50.0% (4 killed of 8 scored" in passing.output


def test_failing_tests_stop_mutation(tmp_path: Path) -> None:
    policies = scored_library(tmp_path, WEAK_TESTS.replace('{"a"}', '{"b"}'))
    result = runner.invoke(app, ["policy", "mutate", "--policies-dir", str(policies)])
    assert result.exit_code == 2
    assert "1 Rego test(s) fail on the unchanged policies" in result.output
    assert "data.mlops.storage.sized_test.test_large_plain_denied undefined" in result.output


def test_policy_test_runs_only_the_selected_package(tmp_path: Path) -> None:
    policies = scored_library(tmp_path, STRONG_TESTS)
    write(policies / "storage" / "named.rego", policy_source("mlops.storage.named", OTHER_POLICY, policy_id="storage-named"))
    write(policies / "storage" / "named_test.rego", OTHER_TESTS)

    def ran(*args: str) -> list[str]:
        result = runner.invoke(app, ["policy", "test", "--policies-dir", str(policies), "-v", *args])
        assert result.exit_code == 0, result.output
        return sorted(line.split()[1].rsplit(".", 1)[1] for line in result.output.splitlines() if line.startswith("PASSED"))

    assert ran("--package", "mlops.storage.named") == ["test_named_allowed", "test_unnamed_denied"]
    assert ran("--package", "mlops.storage.named_test") == ["test_named_allowed", "test_unnamed_denied"]
    assert ran("--path", str(policies / "storage" / "sized_test.rego")) == ["test_encrypted_allowed", "test_large_plain_denied", "test_limit_itself_allowed"]
    # The library is used by storage.sized only: its tests are the ones a library change can affect.
    assert ran("--package", "mlops.lib.util") == ["test_encrypted_allowed", "test_large_plain_denied", "test_limit_itself_allowed"]
    assert len(ran()) == 5

    unknown = runner.invoke(app, ["policy", "test", "--policies-dir", str(policies), "--package", "mlops.nope", "--path", "x.rego"])
    assert unknown.exit_code == 2
    assert "--package mlops.nope: no Rego module under" in unknown.output
    assert "--path x.rego: not a .rego file under" in unknown.output


def test_test_files_and_headers_are_never_mutated(tmp_path: Path) -> None:
    policies = scored_library(tmp_path, STRONG_TESTS)
    mutants = generate_mutants(policies)
    assert {m.file for m in mutants} == {"storage/sized.rego", "lib/util.rego"}
    # The METADATA block's `# custom:` lines and the import and package lines stay as they are.
    assert min(m.line for m in mutants if m.file == "storage/sized.rego") == 15


def test_survivor_on_a_line_no_test_reaches_says_so(tmp_path: Path) -> None:
    policies = scored_library(tmp_path, WEAK_TESTS.replace('"size": 11', '"size": 9'))
    # With only a small bucket in the tests, `not r.encrypted` is never evaluated.
    write(policies / "storage" / "sized_test.rego", WEAK_TESTS.replace(
        'sized.deny == {"a"} with input as {"resources": [{"urn": "a", "size": 11, "encrypted": false}]}',
        'count(sized.deny) == 0 with input as {"resources": [{"urn": "a", "size": 9, "encrypted": false}]}',
    ))
    report = mutate(policies, policies=["storage-sized"], jobs=1)
    unreached = {(r.mutant.line, r.mutant.change): r.detail for r in report.of("survived")}
    assert unreached[(17, "not r.encrypted → r.encrypted")] == "no test evaluates this line"
    assert unreached[(17, "not r.encrypted → true")] == "no test evaluates this line"
