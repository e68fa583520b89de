"""Keeps secrets out of plans and reports.

Two kinds of secret exist in a project:

- Pulumi config values stored encrypted in `Pulumi.<stack>.yaml` (`key: {secure: v1:...}`).
  Offline the program receives the ciphertext (nothing here can decrypt), under `pulumi up` the
  plaintext; either way it is a secret.
- Model spec fields meant for secrets: `serving.environment.<VAR>: {secret: <config key>}`. The
  spec holds only the key; the value ends up in the model's container environment.

A `Redactor` knows both: the secret *values* (replaced wherever they occur, whole or inside a
longer string) and the secret *positions* (the environment variables that came from a
SecretRef, replaced whatever their value). Digests are never redacted: they are not secrets,
and a hex digest that happened to contain a short secret must stay a valid digest.

A Pulumi ciphertext (which the stack file already publishes) is replaced by
`[REDACTED:<first 12 hex of its SHA-256>]`, so rotating a secret still shows up as a changed
input in `mlops diff` (the SageMaker model is immutable and gets replaced); any other secret
value (a plaintext) becomes a bare `[REDACTED]`, since a digest of it would let anyone test
guesses.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..files import write_atomically
from ..plan import render_json
from ..specs.loader import LoadedSpec, secure_value
from ..specs.model import ModelSpec
from ..specs.plaintext_secrets import suspected_secrets

if TYPE_CHECKING:
    from ..plan import Plan

REDACTED = "[REDACTED]"
# A secret shorter than this is replaced only where it is a whole value: replacing every
# occurrence of, say, "ab" inside other text would destroy the report and hide nothing.
MIN_SUBSTRING_LENGTH = 4
MODEL_TYPE = "aws:sagemaker/model:Model"
# Keys whose values are digests of files, never secrets.
DIGEST_KEYS = frozenset({"sha256", "policy_bundle_sha256", "partialFingerprints"})


@dataclass(frozen=True)
class Redactor:
    """Replaces secret values and secret environment variables with "[REDACTED]" in JSON documents."""

    values: frozenset[str] = frozenset()
    # model name → names of its container environment variables that hold secrets
    secret_environment: Mapping[str, frozenset[str]] = field(default_factory=dict)
    # Ciphertexts (public in the stack file): redacted with a fingerprint of the ciphertext.
    fingerprinted: frozenset[str] = frozenset()

    def with_values(self, values: Iterable[str]) -> Redactor:
        return Redactor(frozenset({*self.values, *(v for v in values if v)}), self.secret_environment, self.fingerprinted)

    def marker(self, value: Any) -> str:
        """What replaces one whole secret value."""
        if isinstance(value, str) and value in self.fingerprinted:
            return f"[REDACTED:{hashlib.sha256(value.encode()).hexdigest()[:12]}]"
        return REDACTED

    def learn(self, resources: Iterable[Mapping[str, Any]]) -> Redactor:
        """This redactor plus every value found at a secret position of the given plan resources.

        So a secret's plaintext (or whatever the runner was given) is also scrubbed where it was
        copied elsewhere, not only where the spec put it.
        """
        found = [value for r in resources for value in self._positional_values(r)]
        return self.with_values(v for v in found if isinstance(v, str))

    def redact(self, document: Any) -> Any:
        """A copy of `document` (JSON-like) without any secret; the input is left untouched."""
        return self._walk(document)

    def redact_text(self, text: str) -> str:
        if text in self.values:
            return self.marker(text)
        for value in sorted(self.values, key=len, reverse=True):
            if len(value) >= MIN_SUBSTRING_LENGTH and value in text:
                text = text.replace(value, REDACTED)
        return text

    def _walk(self, node: Any) -> Any:
        if isinstance(node, str):
            return self.redact_text(node)
        if isinstance(node, list):
            return [self._walk(item) for item in node]
        if isinstance(node, Mapping):
            # Secret positions first, while their values are still the secrets the markers describe.
            node = self._redact_positions(node)
            return {
                self.redact_text(key) if isinstance(key, str) else key: value if key in DIGEST_KEYS else self._walk(value)
                for key, value in node.items()
            }
        return node

    def _secret_variables(self, resource: Mapping[str, Any]) -> frozenset[str]:
        if resource.get("type") != MODEL_TYPE or not isinstance(resource.get("inputs"), Mapping):
            return frozenset()
        return self.secret_environment.get(resource.get("model") or "", frozenset())

    def _environments(self, inputs: Mapping[str, Any]) -> list[Mapping[str, Any]]:
        """Every container environment of a SageMaker model's inputs (primary and inference-pipeline containers)."""
        containers = [inputs.get("primaryContainer"), *(inputs.get("containers") or [])]
        return [c["environment"] for c in containers if isinstance(c, Mapping) and isinstance(c.get("environment"), Mapping)]

    def _positional_values(self, resource: Mapping[str, Any]) -> list[Any]:
        variables = self._secret_variables(resource)
        if not variables:
            return []
        return [env[v] for env in self._environments(resource["inputs"]) for v in variables if v in env]

    def _redact_positions(self, node: Mapping[str, Any]) -> Mapping[str, Any]:
        variables = self._secret_variables(node)
        if not variables:
            return node
        inputs = dict(node["inputs"])
        for key in ("primaryContainer", "containers"):
            if key in inputs:
                inputs[key] = self._replace_env(inputs[key], variables)
        return {**node, "inputs": inputs}

    def _replace_env(self, container: Any, variables: frozenset[str]) -> Any:
        if isinstance(container, list):
            return [self._replace_env(c, variables) for c in container]
        if not (isinstance(container, Mapping) and isinstance(container.get("environment"), Mapping)):
            return container
        environment = {k: self.marker(v) if k in variables else v for k, v in container["environment"].items()}
        return {**container, "environment": environment}


def secret_config_values(raw_config: Mapping[str, Any] | None) -> set[str]:
    """The ciphertext of every `secure:` value in a stack file's `config:` mapping."""
    return {text for value in (raw_config or {}).values() if (text := secure_value(value)) is not None}


def _spec_of(item: LoadedSpec | ModelSpec) -> ModelSpec:
    return item.spec if isinstance(item, LoadedSpec) else item


def secrets_for(
    specs: Iterable[LoadedSpec | ModelSpec],
    raw_config: Mapping[str, Any] | None,
    *,
    resources: Iterable[Mapping[str, Any]] = (),
    plaintexts: Iterable[str] = (),
) -> Redactor:
    """Everything secret in one stack.

    - `raw_config`: the stack file's `config:` mapping (every `secure:` value is a secret);
    - `specs`: the models, whose `serving.environment` SecretRefs mark secret positions;
    - `resources`: plan resources, whose values at those positions are secrets too (that is
      where a plaintext given to the runner, or decrypted by `pulumi up`, shows up);
    - `plaintexts`: any other value known to be secret.
    """
    positions = {
        spec.name: frozenset(spec.serving.secret_environment) for spec in map(_spec_of, specs) if spec.serving.secret_environment
    }
    ciphertexts = secret_config_values(raw_config)
    redactor = Redactor(secret_environment=positions, fingerprinted=frozenset(ciphertexts)).with_values([*ciphertexts, *plaintexts])
    return redactor.learn(resources)


def plan_redactor(plan: Plan) -> Redactor:
    """The redactor for one plan: its stack file's secure values, its specs' secret positions and
    the values found there, and every spec value that looks like a credential in plain text."""
    suspected = [s.value for item in plan.specs for s in suspected_secrets(item.spec)]
    return secrets_for(plan.specs, plan.inputs.config, resources=plan.resources, plaintexts=suspected)


@dataclass(frozen=True)
class PlanFile:
    """A plan's `plan.json`, rendered once with every secret redacted: what is compared, hashed and written."""

    stack: str
    redactor: Redactor
    document: dict[str, Any]
    data: bytes

    @classmethod
    def of(cls, plan: Plan) -> PlanFile:
        redactor = plan_redactor(plan)
        document = redactor.redact(plan.to_dict())
        return cls(stack=plan.stack.stack, redactor=redactor, document=document, data=render_json(document).encode("utf-8"))

    def write(self, reports_dir: Path, name: str = "plan.json") -> Path:
        """Write `<reports>/<stack>/<name>` (atomically: a reader never sees half a plan)."""
        path = reports_dir / self.stack / name
        write_atomically(path, self.data)
        return path
