"""Fixture policies, a policy input document and a fake OPA server for the governance tests."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import regorus

ENDPOINT_CONFIG = "aws:sagemaker/endpointConfiguration:EndpointConfiguration"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"


def urn(resource_type: str, name: str, stack: str = "prod") -> str:
    return f"urn:pulumi:{stack}::mlops-platform::{resource_type}::{name}"


def policy_source(
    package: str,
    rule: str,
    *,
    policy_id: str,
    severity: str = "high",
    title: str = "A fixture policy",
    controls: str = "[SOC2:CC6.1]",
    waivable: str | None = None,
    custom: dict[str, str] | None = None,
) -> str:
    """A policy module with its METADATA; `custom` adds `custom:` fields (e.g. resource_types, needs)."""
    waivable_line = f"#   waivable: {waivable}\n" if waivable is not None else ""
    waivable_line += "".join(f"#   {key}: {value}\n" for key, value in (custom or {}).items())
    return (
        "# METADATA\n"
        f"# title: {title}\n"
        "# description: Checks whether the fixture holds.\n"
        "# custom:\n"
        f"#   id: {policy_id}\n"
        f"#   severity: {severity}\n"
        f"#   controls: {controls}\n"
        f"{waivable_line}"
        f"package {package}\n\nimport rego.v1\n\n{rule.strip()}\n"
    )


KMS_RULE = """
deny contains violation if {
	some r in input.resources
	r.type == "aws:sagemaker/endpointConfiguration:EndpointConfiguration"
	not r.inputs.kmsKeyArn
	violation := {"resource": r.urn, "message": sprintf("Endpoint configuration %s must set kmsKeyArn", [r.name])}
}
"""

MIN_INSTANCES_RULE = """
deny contains violation if {
	some r in input.resources
	r.type == "aws:sagemaker/endpointConfiguration:EndpointConfiguration"
	some variant in r.inputs.productionVariants
	minimum := data.parameters[input.environment].min_instances
	variant.initialInstanceCount < minimum
	violation := {"resource": r.urn, "message": sprintf("Endpoint configuration %s must run at least %d instances", [r.name, minimum])}
}
"""

OWNER_TAG_RULE = """
deny contains violation if {
	some r in input.resources
	not r.tags.owner
	violation := {"resource": r.urn, "message": sprintf("Resource %s must carry an owner tag", [r.name])}
}
"""

WILDCARD_RULE = """
deny contains violation if {
	some r in input.resources
	r.type == "aws:iam/rolePolicy:RolePolicy"
	r.inputs.action == "*"
	violation := {"resource": r.urn, "message": sprintf("Role policy %s must not allow every action", [r.name])}
}
"""

PARAMETERS = {"parameters": {"dev": {"min_instances": 1}, "staging": {"min_instances": 1}, "prod": {"min_instances": 2}}}
_ENVIRONMENT_PARAMETERS = {
    "type": "object",
    "required": ["min_instances"],
    "additionalProperties": False,
    "properties": {"min_instances": {"type": "integer", "minimum": 1}},
}
PARAMETERS_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["parameters"],
    "additionalProperties": False,
    "properties": {
        "parameters": {
            "type": "object",
            "required": ["dev", "staging", "prod"],
            "additionalProperties": False,
            "properties": {env: {"$ref": "#/$defs/environment"} for env in ("dev", "staging", "prod")},
        }
    },
    "$defs": {"environment": _ENVIRONMENT_PARAMETERS},
}


_SHIPPED_ENFORCEMENT = Path(__file__).resolve().parents[2] / "policies" / "enforcement.yaml"
# The shipped per-environment defaults, without the per-policy overrides (which name shipped
# policies the fixture library does not have).
SHIPPED_DEFAULTS_TEXT = _SHIPPED_ENFORCEMENT.read_text().split("\npolicies:", 1)[0] + "\npolicies: {}\n"


def shipped_enforcement(directory: Path) -> Path:
    return write(directory / "shipped-enforcement.yaml", SHIPPED_DEFAULTS_TEXT)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def write_library(policies: Path) -> Path:
    """Four fixture policies (one per severity, one not waivable), their parameters and its schema."""
    write(policies / "encryption" / "endpoint_kms.rego", policy_source(
        "mlops.encryption.endpoint_kms", KMS_RULE, policy_id="endpoint-kms-encryption", severity="high",
        title="Endpoint configurations encrypt with a KMS key", controls="[SOC2:CC6.1, NIST800-53:SC-28]"))
    write(policies / "serving" / "min_instances.rego", policy_source(
        "mlops.serving.min_instances", MIN_INSTANCES_RULE, policy_id="endpoint-min-instances", severity="medium",
        title="Endpoints run enough instances", controls="[SOC2:A1.2]"))
    write(policies / "tagging" / "owner_tag.rego", policy_source(
        "mlops.tagging.owner_tag", OWNER_TAG_RULE, policy_id="resource-owner-tag", severity="low",
        title="Resources name an owner", controls="[SOC2:CC1.3]"))
    write(policies / "iam" / "no_wildcard.rego", policy_source(
        "mlops.iam.no_wildcard", WILDCARD_RULE, policy_id="iam-no-wildcard-actions", severity="critical",
        title="Role policies never allow every action", controls="[NIST800-53:AC-6]", waivable="false"))
    write(policies / "data" / "parameters.json", json.dumps(PARAMETERS, indent=2))
    write(policies / "data" / "parameters.schema.json", json.dumps(PARAMETERS_SCHEMA, indent=2))
    return policies


def resource(resource_type: str, name: str, inputs: dict[str, Any], tags: dict[str, str], model: str | None) -> dict[str, Any]:
    return {
        "urn": urn(resource_type, name),
        "type": resource_type,
        "name": name,
        "parent": None,
        "dependencies": [],
        "inputs": {**inputs, "tags": tags},
        "tags": tags,
        "model": model,
    }


def stack_document(environment: str = "prod") -> dict[str, Any]:
    """A stack whose fraud-detector config breaks KMS and instance count, ticket-router lacks an owner, and a role policy allows `*`."""
    return {
        "stack": environment,
        "environment": environment,
        "region": "eu-west-1",
        "network": None,
        "models": [],
        "resources": [
            resource(ENDPOINT_CONFIG, "fraud-detector-config", {"productionVariants": [{"initialInstanceCount": 1}]},
                     {"owner": "risk@example.com", "model": "fraud-detector"}, "fraud-detector"),
            resource(ENDPOINT_CONFIG, "ticket-router-config", {"kmsKeyArn": "arn:aws:kms:eu-west-1:111122223333:key/k",
                     "productionVariants": [{"initialInstanceCount": 2.0}]}, {"model": "ticket-router"}, "ticket-router"),
            resource(ROLE_POLICY, "platform-admin", {"action": "*"}, {"owner": "platform@example.com"}, None),
        ],
    }


# What the fixture library reports on `stack_document("prod")`, per package.
PROD_VIOLATIONS = {
    "mlops.encryption.endpoint_kms": [
        {"resource": urn(ENDPOINT_CONFIG, "fraud-detector-config"), "message": "Endpoint configuration fraud-detector-config must set kmsKeyArn"},
    ],
    "mlops.serving.min_instances": [
        {"resource": urn(ENDPOINT_CONFIG, "fraud-detector-config"), "message": "Endpoint configuration fraud-detector-config must run at least 2 instances"},
    ],
    "mlops.tagging.owner_tag": [
        {"resource": urn(ENDPOINT_CONFIG, "ticket-router-config"), "message": "Resource ticket-router-config must carry an owner tag"},
    ],
    "mlops.iam.no_wildcard": [
        {"resource": urn(ROLE_POLICY, "platform-admin"), "message": "Role policy platform-admin must not allow every action"},
    ],
}


@pytest.fixture
def library(tmp_path: Path) -> Path:
    return write_library(tmp_path / "policies")


@dataclass
class FakeOpa:
    """The subset of OPA's REST API that opa-python-client uses, answering with regorus."""

    policies: dict[str, str] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)
    query_status: int = 200
    drop_packages: list[str] = field(default_factory=list)
    replace_deny: dict[str, Any] = field(default_factory=dict)
    url: str = ""

    def evaluate(self, document: Any) -> dict[str, Any]:
        engine = regorus.Engine()
        for policy_id, source in self.policies.items():
            engine.add_policy(policy_id, source)
        engine.add_data(self.data)
        engine.set_input(document)
        answer = json.loads(engine.eval_query_as_json("data.mlops"))
        if not answer["result"]:
            return {}
        tree = answer["result"][0]["expressions"][0]["value"]
        for package in self.drop_packages:
            *parents, leaf = package.split(".")[1:]
            node = tree
            for part in parents:
                node = node[part]
            del node[leaf]
        for package, deny in self.replace_deny.items():
            node = tree
            for part in package.split(".")[1:]:
                node = node[part]
            node["deny"] = deny
        return {"result": tree}


def _handler(opa: FakeOpa) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _reply(self, status: int, body: Any = None) -> None:
            payload = b"" if body is None else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def _body(self) -> bytes:
            return self.rfile.read(int(self.headers.get("Content-Length", 0)))

        def do_GET(self) -> None:
            opa.requests.append(f"GET {self.path}")
            if self.path.rstrip("/") == "/v1/policies":
                self._reply(200, {"result": [{"id": i, "raw": s} for i, s in opa.policies.items()]})
            else:
                self._reply(404, {"code": "resource_not_found", "message": self.path})

        def do_PUT(self) -> None:
            opa.requests.append(f"PUT {self.path}")
            body = self._body()
            if match := re.fullmatch(r"/v1/policies/(.+)", self.path):
                try:
                    regorus.Engine().add_policy(match.group(1), body.decode())
                except RuntimeError as e:
                    self._reply(400, {"code": "invalid_parameter", "message": "error(s) occurred while compiling module(s)",
                                      "errors": [{"message": str(e).split("Stack backtrace")[0].strip()}]})
                    return
                opa.policies[match.group(1)] = body.decode()
                self._reply(200, {})
            elif match := re.fullmatch(r"/v1/data/(.+)", self.path):
                opa.data[match.group(1)] = json.loads(body)
                self._reply(204)
            else:
                self._reply(404, {"code": "resource_not_found", "message": self.path})

        def do_DELETE(self) -> None:
            opa.requests.append(f"DELETE {self.path}")
            policy_id = self.path.removeprefix("/v1/policies/")
            if opa.policies.pop(policy_id, None) is None:
                self._reply(404, {"code": "resource_not_found", "message": policy_id})
            else:
                self._reply(200, {})

        def do_POST(self) -> None:
            opa.requests.append(f"POST {self.path}")
            body = json.loads(self._body())
            if self.path != "/v1/data/mlops":
                self._reply(404, {"code": "resource_not_found", "message": self.path})
            elif opa.query_status != 200:
                self._reply(opa.query_status, {"code": "internal_error", "message": "evaluation failed"})
            else:
                self._reply(200, opa.evaluate(body["input"]))

    return Handler


@pytest.fixture
def fake_opa() -> Iterator[FakeOpa]:
    opa = FakeOpa()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(opa))
    opa.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield opa
    server.shutdown()
    server.server_close()
