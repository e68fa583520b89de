"""The embedded and OPA engines: same decisions, and every failure fails closed."""

from __future__ import annotations

from dataclasses import replace

import socket
import time
from pathlib import Path

import pytest
from gov_fixtures import PROD_VIOLATIONS, FakeOpa, policy_source, stack_document, write
from mlops.errors import InputError, PolicyEngineError
from mlops.governance.bundle import load_bundle
from mlops.governance.engines import EmbeddedEngine, OpaEngine, engine_from_settings


def test_embedded_engine_finds_each_violation(library: Path) -> None:
    assert EmbeddedEngine().evaluate(load_bundle(library), stack_document("prod")).deny == PROD_VIOLATIONS


def test_embedded_engine_reads_parameters_per_environment(library: Path) -> None:
    found = EmbeddedEngine().evaluate(load_bundle(library), stack_document("dev")).deny
    assert found["mlops.serving.min_instances"] == []
    assert found["mlops.encryption.endpoint_kms"] == PROD_VIOLATIONS["mlops.encryption.endpoint_kms"]


def test_compliant_stack_has_no_violations(library: Path) -> None:
    document = stack_document("prod")
    document["resources"] = []
    assert EmbeddedEngine().evaluate(load_bundle(library), document).deny == {package: [] for package in PROD_VIOLATIONS}


@pytest.mark.parametrize(
    "violation",
    ['{"resource": r.urn}', '{"resource": r.urn, "message": 42}', '"just a string"', '{"resource": null, "message": "m"}'],
)
def test_malformed_violation_fails_closed(library: Path, violation: str) -> None:
    rule = f"deny contains v if {{\n\tsome r in input.resources\n\tv := {violation}\n}}"
    path = write(library / "bad" / "shape.rego", policy_source("mlops.bad.shape", rule, policy_id="bad-shape"))
    with pytest.raises(PolicyEngineError, match=r"produced a malformed `deny` entry") as error:
        EmbeddedEngine().evaluate(load_bundle(library), stack_document())
    assert str(error.value).startswith(f"{path}: policy bad-shape produced a malformed `deny` entry ")
    assert str(error.value).endswith('; each must be {"resource": <urn string>, "message": <string>}')


def test_runtime_error_in_a_policy_fails_closed(library: Path) -> None:
    rule = 'deny contains v if {\n\tsome r in input.resources\n\tcount(r.name) / 0 > 1\n\tv := {"resource": r.urn, "message": "unreachable"}\n}'
    path = write(library / "bad" / "runtime.rego", policy_source("mlops.bad.runtime", rule, policy_id="bad-runtime"))
    with pytest.raises(PolicyEngineError) as error:
        EmbeddedEngine().evaluate(load_bundle(library), stack_document())
    assert str(error.value) == f"{path}:14:19: divide by zero; policy bad-runtime failed on this stack's input, fix the policy"


def test_embedded_engine_stops_a_runaway_policy(library: Path) -> None:
    # Bounded by the input's size, so the load-time check (which has no input) stays fast.
    rule = (
        "deny contains v if {\n\tn := count(input.resources) * 100000\n\tsome i in numbers.range(1, n)\n"
        '\tsome j in numbers.range(1, n)\n\ti * j < 0\n\tv := {"resource": "x", "message": "never"}\n}'
    )
    write(library / "slow" / "loop.rego", policy_source("mlops.slow.loop", rule, policy_id="slow-loop"))
    bundle = load_bundle(library)
    started = time.monotonic()
    with pytest.raises(PolicyEngineError) as error:
        EmbeddedEngine(timeout=0.5).evaluate(bundle, stack_document())
    assert time.monotonic() - started < 5
    assert str(error.value) == (
        "embedded Rego engine reached no decision within 0.5s; a policy may loop over the input: fix it, or raise the timeout"
    )


def test_persistent_embedded_engine_decides_the_same_and_fails_closed_like_a_fresh_child(library: Path) -> None:
    bundle = load_bundle(library)
    persistent = EmbeddedEngine(persistent=True)
    for environment in ("dev", "prod", "dev"):
        assert persistent.evaluate(bundle, stack_document(environment)) == EmbeddedEngine().evaluate(bundle, stack_document(environment))
    # A runaway document: the worker is killed at the deadline, the gate fails closed, and the next
    # evaluation gets a fresh worker.
    rule = (
        "deny contains v if {\n\tn := count(input.resources) * 100000\n\tsome i in numbers.range(1, n)\n"
        '\tsome j in numbers.range(1, n)\n\ti * j < 0\n\tv := {"resource": "x", "message": "never"}\n}'
    )
    write(library / "slow" / "loop.rego", policy_source("mlops.slow.loop", rule, policy_id="slow-loop"))
    slow = load_bundle(library)
    engine = EmbeddedEngine(timeout=0.5, persistent=True)
    started = time.monotonic()
    with pytest.raises(PolicyEngineError, match=r"^embedded Rego engine reached no decision within 0.5s"):
        engine.evaluate(slow, stack_document())
    assert time.monotonic() - started < 5
    assert engine.evaluate(slow, {**stack_document(), "resources": []}).deny is not None
    # A bundle that does not load fails closed in the persistent worker too.
    broken = replace(bundle, modules=[*bundle.modules, ("broken.rego", "package broken\n\ndeny contains {\n")], sha256="broken")
    with pytest.raises(PolicyEngineError, match="did not load into the embedded engine"):
        EmbeddedEngine(persistent=True).evaluate(broken, stack_document())


def test_opa_engine_matches_embedded_engine(library: Path, fake_opa: FakeOpa) -> None:
    bundle = load_bundle(library)
    for environment in ("dev", "prod"):
        document = stack_document(environment)
        assert OpaEngine(fake_opa.url, timeout=5).evaluate(bundle, document) == EmbeddedEngine().evaluate(bundle, document)
    assert OpaEngine(fake_opa.url, timeout=5).evaluate(bundle, stack_document("prod")).deny == PROD_VIOLATIONS


def test_opa_engine_uploads_modules_and_data_then_queries_once(library: Path, fake_opa: FakeOpa) -> None:
    fake_opa.policies["mlops-platform/retired/old.rego"] = "package mlops.retired.old\n"
    fake_opa.policies["someone-else/policy.rego"] = "package other\n"
    write(library / "lib" / "helpers.rego", "package mlops.lib.helpers\n\nimport rego.v1\n\nanswer := 42\n")
    OpaEngine(fake_opa.url, timeout=5).evaluate(load_bundle(library), stack_document())

    assert sorted(fake_opa.policies) == [
        "mlops-platform/encryption/endpoint_kms.rego",
        "mlops-platform/iam/no_wildcard.rego",
        "mlops-platform/lib/helpers.rego",
        "mlops-platform/serving/min_instances.rego",
        "mlops-platform/tagging/owner_tag.rego",
        "someone-else/policy.rego",
    ]
    assert fake_opa.data == {"parameters": {"dev": {"min_instances": 1}, "staging": {"min_instances": 1}, "prod": {"min_instances": 2}}}
    assert "DELETE /v1/policies/mlops-platform/retired/old.rego" in fake_opa.requests
    assert [r for r in fake_opa.requests if r.startswith("POST")] == ["POST /v1/data/mlops"]


def test_opa_server_unreachable_fails_closed(library: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(PolicyEngineError) as error:
        OpaEngine(f"http://127.0.0.1:{port}", timeout=1).evaluate(load_bundle(library), stack_document())
    message = str(error.value)
    assert message.startswith(f"OPA server http://127.0.0.1:{port} reached no decision: ConnectionError: ")
    assert message.endswith("; check that the server is running and reachable, or unset MLOPS_OPA_URL to use the embedded engine")


def test_opa_http_error_fails_closed(library: Path, fake_opa: FakeOpa) -> None:
    fake_opa.query_status = 500
    with pytest.raises(PolicyEngineError, match=r"reached no decision: HTTPError: 500 Server Error"):
        OpaEngine(fake_opa.url, timeout=5).evaluate(load_bundle(library), stack_document())


def test_opa_missing_package_fails_closed(library: Path, fake_opa: FakeOpa) -> None:
    fake_opa.drop_packages = ["mlops.tagging.owner_tag"]
    with pytest.raises(PolicyEngineError) as error:
        OpaEngine(fake_opa.url, timeout=5).evaluate(load_bundle(library), stack_document())
    assert str(error.value) == (
        f"OPA server {fake_opa.url}: data.mlops.tagging.owner_tag.deny is undefined in the server's answer; "
        f"check that {library / 'tagging' / 'owner_tag.rego'} was accepted and declares `deny`"
    )


def test_opa_non_set_deny_fails_closed(library: Path, fake_opa: FakeOpa) -> None:
    fake_opa.replace_deny = {"mlops.tagging.owner_tag": {"resource": "x", "message": "not in a set"}}
    with pytest.raises(PolicyEngineError) as error:
        OpaEngine(fake_opa.url, timeout=5).evaluate(load_bundle(library), stack_document())
    assert str(error.value) == (
        f"{library / 'tagging' / 'owner_tag.rego'}: `deny` in package mlops.tagging.owner_tag evaluated to dict, not a set; "
        "declare it as `deny contains violation if { ... }`"
    )


@pytest.mark.parametrize("url", ["ftp://opa:8181", "http://", "http://opa:8181/v1", "http://opa:notaport"])
def test_invalid_opa_url(url: str) -> None:
    with pytest.raises(InputError) as error:
        OpaEngine(url)
    assert str(error.value) == f"OPA server URL {url!r} is invalid; expected http(s)://host[:port], for example http://localhost:8181"


def test_engine_from_settings() -> None:
    assert isinstance(engine_from_settings(None), EmbeddedEngine)
    assert isinstance(engine_from_settings(""), EmbeddedEngine)
    opa = engine_from_settings("https://opa.internal:8443", timeout=7)
    assert isinstance(opa, OpaEngine)
    assert (opa.url, opa.timeout, opa.name) == ("https://opa.internal:8443", 7, "opa")
