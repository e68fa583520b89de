"""Parliament, an IAM policy linter, on every IAM document the dev, staging and prod stacks declare."""

from __future__ import annotations

import importlib.resources
import json
import sys
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from mlops.plan import Plan

from .conftest import example_plan


def _import_parliament() -> types.ModuleType:
    """parliament 1.6.4 finds its bundled IAM catalogue through pkg_resources, which setuptools
    removed in 82 (duo-labs/parliament#247); a stand-in answers that one call during the import."""
    stand_in = types.ModuleType("pkg_resources")
    stand_in.resource_filename = lambda package, name: str(importlib.resources.files(package) / name)
    previous = sys.modules.get("pkg_resources")
    sys.modules["pkg_resources"] = stand_in
    try:
        import parliament
    finally:
        if previous is None:
            del sys.modules["pkg_resources"]
        else:
            sys.modules["pkg_resources"] = previous
    return parliament


parliament = _import_parliament()

STACKS = ("dev", "staging", "prod")

# The inputs that hold an IAM JSON document, by resource type.
DOCUMENT_INPUTS: dict[str, tuple[str, ...]] = {
    "aws:iam/role:Role": ("assumeRolePolicy",),
    "aws:iam/rolePolicy:RolePolicy": ("policy",),
    "aws:iam/policy:Policy": ("policy",),
    "aws:s3/bucketPolicy:BucketPolicy": ("policy",),
    "aws:kms/key:Key": ("policy",),
    "aws:sns/topic:Topic": ("policy",),
    "aws:sns/topicPolicy:TopicPolicy": ("policy",),
}

# Types whose every resource in these stacks must carry a document (an unknown or missing
# value under the mocks would otherwise drop it from the lint unnoticed).
ALWAYS_DOCUMENTED = (
    "aws:iam/role:Role",
    "aws:iam/rolePolicy:RolePolicy",
    "aws:s3/bucketPolicy:BucketPolicy",
    "aws:kms/key:Key",
)


@dataclass(frozen=True)
class FalsePositive:
    resource_type: str
    input_name: str
    issue: str
    detail: Callable[[Any], bool]
    reason: str


FALSE_POSITIVES = (
    FalsePositive(
        "aws:iam/role:Role", "assumeRolePolicy", "MALFORMED",
        lambda detail: detail == "Statement contains neither Resource nor NotResource",
        "a trust policy has no Resource element: the role it is attached to is the resource",
    ),
    FalsePositive(
        "aws:kms/key:Key", "policy", "RESOURCE_STAR",
        lambda detail: all(action.startswith("kms:") for action in detail),
        'in a key policy "Resource": "*" means the key the policy is attached to, which is how KMS key policies are written',
    ),
)


@dataclass(frozen=True)
class Document:
    urn: str
    type: str
    input_name: str
    text: str

    def describe(self, finding: Any) -> str:
        finding = parliament.enhance_finding(finding)
        location = {k: v for k, v in finding.location.items() if k != "filepath"}
        return (
            f"{finding.issue} ({finding.severity}, {finding.title}): {finding.detail} at {location}\n"
            f"  resource: {self.urn}, input {self.input_name}\n"
            f"  document:\n{_indent(_pretty(self.text))}"
        )


def _pretty(text: str) -> str:
    try:
        return json.dumps(json.loads(text), indent=2)
    except ValueError:
        return text


def _indent(text: str) -> str:
    return "\n".join(f"    {line}" for line in text.splitlines())


def _is_iam_document(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        document = json.loads(value)
    except ValueError:
        return False
    return isinstance(document, dict) and "Statement" in document


def documents(plan: Plan) -> list[Document]:
    return [
        Document(r["urn"], r["type"], name, r["inputs"][name])
        for r in plan.resources
        for name in DOCUMENT_INPUTS.get(r["type"], ())
        if name in r["inputs"]
    ]


def _strings(value: Any, path: str) -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, f"{path}[{index}]")
    else:
        yield path, value


def _false_positive(document: Document, finding: Any) -> FalsePositive | None:
    for fp in FALSE_POSITIVES:
        where = (fp.resource_type, fp.input_name, fp.issue) == (document.type, document.input_name, finding.issue)
        if where and fp.detail(finding.detail):
            return fp
    return None


@pytest.fixture(scope="module", params=STACKS)
def plan(request: pytest.FixtureRequest) -> Plan:
    return example_plan(request.param)


def test_every_iam_document_the_program_emits_is_linted(plan: Plan) -> None:
    linted = {(d.urn, d.input_name) for d in documents(plan)}
    found = {
        (r["urn"], path) for r in plan.resources for path, value in _strings(r["inputs"], "") if _is_iam_document(value)
    }
    assert found <= linted, f"IAM documents in inputs DOCUMENT_INPUTS does not list: {sorted(found - linted)}"
    assert linted <= found, f"inputs DOCUMENT_INPUTS lists that hold no IAM document: {sorted(linted - found)}"
    documented = {urn for urn, _input in linted}
    for type_token in ALWAYS_DOCUMENTED:
        urns = {r["urn"] for r in plan.resources if r["type"] == type_token}
        assert urns, f"the {plan.stack.stack} stack declares no {type_token}"
        assert urns <= documented, f"{type_token} without a document: {sorted(urns - documented)}"


def test_parliament_finds_nothing_but_the_documented_false_positives(plan: Plan) -> None:
    unexpected: list[str] = []
    used: set[FalsePositive] = set()
    for document in documents(plan):
        # Parliament's own checks, as its CLI runs them: the community auditors only flag what a
        # policy grants (iam:PassRole, kms:CreateGrant), which the Rego gate's IAM policies judge.
        for finding in parliament.analyze_policy_string(document.text).findings:
            fp = _false_positive(document, finding)
            if fp is None:
                unexpected.append(document.describe(finding))
            else:
                used.add(fp)
    assert not unexpected, f"parliament on the {plan.stack.stack} stack:\n" + "\n".join(unexpected)
    stale = [fp.reason for fp in FALSE_POSITIVES if fp not in used]
    assert not stale, f"false positives parliament no longer reports (remove them): {stale}"


def test_trust_policies_name_known_actions(plan: Plan) -> None:
    """Parliament stops at a statement without Resource, so it never checks a trust policy's actions."""
    unknown: list[str] = []
    for document in documents(plan):
        if document.input_name != "assumeRolePolicy":
            continue
        for statement in json.loads(document.text)["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            for action in actions:
                try:
                    parliament.expand_action(action)
                except (parliament.UnknownActionException, parliament.UnknownPrefixException) as e:
                    unknown.append(f"{document.urn}: {e}\n{_indent(document.text)}")
    assert not unknown, "\n".join(unknown)
