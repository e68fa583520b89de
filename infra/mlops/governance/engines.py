"""Policy engines behind one interface: the embedded regorus engine and an OPA server."""

from __future__ import annotations

import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

import requests
from opa_client import OpaClient
from opa_client.errors import DeletePolicyError, RegoParseError

from ..errors import InputError, PolicyEngineError
from .bundle import ROOT_PACKAGE, PolicyBundle, PolicyMeta, evaluate_in_child, policy_rules
from .regorus_worker import DEFAULT_TIMEOUT_SECONDS, Worker

# Prefix of the policy ids this tool writes to an OPA server; stale ones under it are removed.
OPA_POLICY_PREFIX = "mlops-platform/"

Violations = dict[str, list[dict[str, str]]]


@dataclass(frozen=True)
class Findings:
    """Per policy package: what `deny` found, and what `unverified` could not check for want of facts."""

    deny: Violations
    unverified: Violations = field(default_factory=dict)


class Engine(Protocol):
    """Evaluates every policy's `deny` (and `unverified`) set for one policy input document."""

    name: str

    def evaluate(self, bundle: PolicyBundle, document: dict[str, Any]) -> Findings:
        """Per policy package, e.g. `Findings(deny={"mlops.x.y": [{"resource": urn, "message": text}]})`."""
        ...


def checked_violations(policy: PolicyMeta, found: Any, rule: str = "deny") -> list[dict[str, str]]:
    """A rule's set as a sorted list of `{"resource", "message"}`; anything else is a policy bug and fails closed."""
    if not isinstance(found, list):
        raise PolicyEngineError(
            f"{policy.path}: `{rule}` in package {policy.package} evaluated to {type(found).__name__}, not a set; "
            f"declare it as `{rule} contains violation if {{ ... }}`"
        )
    violations = set()
    for item in found:
        if not (isinstance(item, dict) and isinstance(item.get("resource"), str) and isinstance(item.get("message"), str)):
            raise PolicyEngineError(
                f"{policy.path}: policy {policy.id} produced a malformed `{rule}` entry {item!r}; each must be "
                '{"resource": <urn string>, "message": <string>}'
            )
        violations.add((item["resource"], item["message"]))
    return [{"resource": resource, "message": message} for resource, message in sorted(violations)]


_TIMED_OUT = "embedded Rego engine reached no decision within {timeout:g}s; a policy may loop over the input: fix it, or raise the timeout"
_CRASHED = "embedded Rego engine failed: {error}"
_NOT_LOADED = "{error}; the policy bundle did not load into the embedded engine"


class EmbeddedEngine:
    """regorus, run in a child process that is killed when `timeout` seconds pass.

    `persistent`: one long-lived child per bundle, which loads the modules once and evaluates each
    document on a clone (the CrossGuard pack evaluates once per resource); same deadline, killed
    and restarted when it passes. Otherwise a fresh child per evaluation.
    """

    name = "embedded"

    def __init__(self, timeout: float = DEFAULT_TIMEOUT_SECONDS, *, persistent: bool = False) -> None:
        self.timeout = timeout
        self.persistent = persistent
        self._workers: dict[str, Worker] = {}
        self._lock = threading.Lock()

    def _outcome(self, bundle: PolicyBundle, document: dict[str, Any], rules: list[str]) -> dict[str, Any]:
        if not self.persistent:
            return evaluate_in_child(
                {"modules": bundle.modules, "data": bundle.data, "document": document, "rules": rules},
                self.timeout, timed_out=_TIMED_OUT, crashed=_CRASHED, not_loaded=_NOT_LOADED,
            )
        with self._lock:
            worker = self._workers.setdefault(bundle.sha256, Worker(bundle.modules, bundle.data))
            try:
                outcome = worker.evaluate(document, rules, self.timeout)
            except subprocess.TimeoutExpired as e:
                raise PolicyEngineError(_TIMED_OUT.format(timeout=self.timeout)) from e
            except RuntimeError as e:
                raise PolicyEngineError(_CRASHED.format(error=e)) from e
        if "error" in outcome:
            raise PolicyEngineError(_NOT_LOADED.format(error=outcome["error"]))
        return outcome

    def evaluate(self, bundle: PolicyBundle, document: dict[str, Any]) -> Findings:
        rules = policy_rules(bundle.policies)
        outcome = self._outcome(bundle, document, list(rules))
        findings = Findings(deny={}, unverified={})
        for rule, (policy, kind) in rules.items():
            result = outcome["results"][rule]
            if "error" in result:
                raise PolicyEngineError(f"{result['error']}; policy {policy.id} failed on this stack's input, fix the policy")
            if "undefined" in result:
                raise PolicyEngineError(f"{policy.path}: {rule} is undefined; declare `{kind} contains violation if {{ ... }}`")
            getattr(findings, kind)[policy.package] = checked_violations(policy, result["value"], kind)
        return findings


class OpaEngine:
    """An OPA server: upload the bundle with idempotent PUTs, then one query of `data.mlops`."""

    name = "opa"

    def __init__(self, url: str, timeout: float = DEFAULT_TIMEOUT_SECONDS) -> None:
        parts = urlsplit(url)
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            port = None
        if parts.scheme not in ("http", "https") or not parts.hostname or port is None or parts.path.strip("/") or parts.query:
            raise InputError(f"OPA server URL {url!r} is invalid; expected http(s)://host[:port], for example http://localhost:8181")
        self.url = url
        self.timeout = timeout
        self._host, self._port, self._tls = parts.hostname, port, parts.scheme == "https"

    def evaluate(self, bundle: PolicyBundle, document: dict[str, Any]) -> Findings:
        # One deadline for the whole exchange: a server that answers each of the bundle's ~80
        # uploads just before the per-request timeout would otherwise hold the gate for minutes.
        outcome: dict[str, Any] = {}
        worker = threading.Thread(target=self._exchange, args=(bundle, document, outcome), daemon=True)
        worker.start()
        worker.join(self.timeout)
        if worker.is_alive():
            raise PolicyEngineError(
                f"OPA server {self.url} reached no decision within {self.timeout:g}s; check that the server is healthy, "
                "raise mlops:policyTimeout (or MLOPS_POLICY_TIMEOUT), or unset MLOPS_OPA_URL to use the embedded engine"
            )
        if "error" in outcome:
            e = outcome["error"]
            raise PolicyEngineError(
                f"OPA server {self.url} reached no decision: {type(e).__name__}: {e}; check that the server is "
                "running and reachable, or unset MLOPS_OPA_URL to use the embedded engine"
            ) from e
        response = outcome["response"]
        if not isinstance(response.get("result"), dict):
            raise PolicyEngineError(f"OPA server {self.url}: data.{ROOT_PACKAGE} is undefined after upload; check the server's logs")
        findings = Findings(deny={}, unverified={})
        for policy, kind in policy_rules(bundle.policies).values():
            found = self._rule(response["result"], policy, kind)
            getattr(findings, kind)[policy.package] = checked_violations(policy, found, kind)
        return findings

    def _exchange(self, bundle: PolicyBundle, document: dict[str, Any], outcome: dict[str, Any]) -> None:
        """Upload the bundle and query it; the answer or the error goes into `outcome`."""
        # No retries: the deadline is the one bound, and urllib3 would log each retry on stderr.
        client = OpaClient(host=self._host, port=self._port, ssl=self._tls, timeout=self.timeout, retries=0)
        try:
            self._upload(client, bundle)
            outcome["response"] = client.query_rule(input_data=document, package_path=ROOT_PACKAGE)
        except (requests.RequestException, ValueError, RegoParseError, DeletePolicyError) as e:
            outcome["error"] = e
        finally:
            client.close_connection()

    def _upload(self, client: OpaClient, bundle: PolicyBundle) -> None:
        ids = {OPA_POLICY_PREFIX + Path(path).relative_to(bundle.root).as_posix(): source for path, source in bundle.modules}
        # A module left over from an older bundle would still add rules to its package.
        for stale in sorted(set(client.get_policies_list()) - set(ids)):
            if stale.startswith(OPA_POLICY_PREFIX):
                client.delete_policy(stale)
        for policy_id, source in ids.items():
            client.update_policy_from_string(source, policy_id, rego_compat=False)
        for name, value in bundle.data.items():
            client.update_or_create_data(value, name)

    def _rule(self, tree: dict[str, Any], policy: PolicyMeta, rule: str) -> Any:
        node: Any = tree
        for part in [*policy.package.split(".")[1:], rule]:
            node = node.get(part) if isinstance(node, dict) else None
        if node is None:
            raise PolicyEngineError(
                f"OPA server {self.url}: data.{policy.package}.{rule} is undefined in the server's answer; "
                f"check that {policy.path} was accepted and declares `{rule}`"
            )
        return node


def engine_from_settings(opa_url: str | None, timeout: float = DEFAULT_TIMEOUT_SECONDS) -> Engine:
    """The OPA server at `opa_url` when one is configured, else the embedded engine."""
    return OpaEngine(opa_url, timeout) if opa_url else EmbeddedEngine(timeout)
