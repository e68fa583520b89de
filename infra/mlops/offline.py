"""Runs the Pulumi program under the mock runtime and captures the resource graph it declares.

This is the only module that touches Pulumi's internal mock monitor: `MockResourceArgs` carries
no parent and no dependencies, so the monitor itself is wrapped to record them.
"""

from __future__ import annotations

import gc
import json
import re
import runpy
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc, settings
from pulumi.runtime.sync_await import _sync_await

from .errors import MlopsError, ProgramError
from .program_inputs import ProgramInputs, provided_inputs
from .resources.base import MOCK_ACCOUNT
from .specs.loader import secure_value

STACK_TYPE = "pulumi:pulumi:Stack"
# Input names that hold a resource's physical name, by preference.
_NAME_INPUTS = (
    "name", "bucket", "featureGroupName", "pipelineName", "modelPackageGroupName", "jobDefinitionName", "trackingServerName",
)


@dataclass(frozen=True)
class CapturedResource:
    urn: str
    type: str
    name: str
    custom: bool
    parent: str | None
    dependencies: list[str]
    inputs: dict[str, Any]


class PlanMocks(pulumi.runtime.Mocks):
    """Deterministic stand-ins for what AWS would return: ids, names and ARNs derived from inputs."""

    def __init__(self, region: str) -> None:
        self.region = region

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict]:
        if not args.custom:
            return "", {}
        state = dict(args.inputs)
        physical = next((state[k] for k in _NAME_INPUTS if isinstance(state.get(k), str)), None)
        if args.typ == "aws:s3/bucket:Bucket" and physical is None:
            physical = f"{state.get('bucketPrefix', args.name + '-')}mock"
            state["bucket"] = physical
        physical = physical or args.name
        state.setdefault("name", physical)
        if args.typ == "aws:kms/key:Key":
            state["keyId"] = f"mock-{args.name}"
            physical = state["keyId"]
        state.setdefault("arn", self._arn(args.typ, physical))
        return f"{physical}-id", state

    def _arn(self, type_token: str, physical: str) -> str:
        """ARNs in the shape AWS gives them, so policies and IAM scoping see realistic values."""
        package, _, rest = type_token.partition(":")
        service = rest.split("/")[0] if package == "aws" else rest.split(":")[0]
        kind = re.sub(r"(?<!^)(?=[A-Z])", "-", rest.split(":")[-1]).lower()
        region, account = self.region, MOCK_ACCOUNT
        special = {
            "s3": f"arn:aws:s3:::{physical}",
            "iam": f"arn:aws:iam::{account}:{kind}/{physical}",
            "sns": f"arn:aws:sns:{region}:{account}:{physical}",
            "cloudwatch": f"arn:aws:cloudwatch:{region}:{account}:{kind}:{physical}",
        }
        if service == "sagemaker" and kind == "endpoint-configuration":
            kind = "endpoint-config"
        return special.get(service, f"arn:aws:{service}:{region}:{account}:{kind}/{physical}")

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict:
        if args.token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {
                "accountId": MOCK_ACCOUNT,
                "arn": f"arn:aws:iam::{MOCK_ACCOUNT}:user/offline-plan",
                "userId": "OFFLINEPLAN",
                "id": MOCK_ACCOUNT,
            }
        if args.token == "aws:index/getPartition:getPartition":
            return {"partition": "aws", "dnsSuffix": "amazonaws.com", "id": "aws"}
        return {}


def _component_parent(parent: str) -> str | None:
    """The parent URN unless it is the root stack, which the engine leaves out of URNs and graphs."""
    return parent if parent and parent.split("::")[2] != STACK_TYPE else None


class CapturingMonitor(pulumi_mocks.MockMonitor):
    """A mock monitor that also records each registration's parent and dependencies."""

    def __init__(self, mocks: pulumi.runtime.Mocks, project: str, stack: str) -> None:
        super().__init__(mocks)
        # Registrations run on executor threads, which do not see the settings'
        # context variables, so the URN parts are fixed here.
        self.project = project
        self.stack = stack
        self.captured: list[CapturedResource] = []

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        # The engine leaves the root stack out of a child's qualified type; so do we,
        # so offline URNs equal the ones `pulumi up` and CrossGuard see.
        if _component_parent(parent):
            type_ = parent.split("::")[2] + "$" + type_
        return "urn:pulumi:" + "::".join([self.stack, self.project, type_, name])

    def RegisterResource(self, request):  # noqa: N802 - the gRPC method name
        response = super().RegisterResource(request)
        if request.type != STACK_TYPE:
            self.captured.append(
                CapturedResource(
                    urn=response.urn,
                    type=request.type,
                    name=request.name,
                    custom=bool(request.custom),
                    parent=_component_parent(request.parent),
                    dependencies=sorted(set(request.dependencies)),
                    inputs=_unwrap_secrets(rpc.deserialize_properties(request.object)),
                )
            )
        return response


def _unwrap_secrets(value: Any) -> Any:
    """Inputs with Pulumi's secret markers removed, so policies see the real structure.

    A secret nested in an input (a container's secret environment variable) marks the whole
    top-level property secret on the wire; the values themselves are redacted from every plan
    and report by `mlops.reports.redact`, which knows from the specs where secrets sit.
    """
    if rpc.is_rpc_secret(value):
        return _unwrap_secrets(rpc.unwrap_rpc_secret(value))
    if isinstance(value, dict):
        return {k: _unwrap_secrets(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unwrap_secrets(v) for v in value]
    return value


def runtime_config(config: dict[str, Any]) -> tuple[dict[str, str], list[str]]:
    """Config as the Pulumi runtime takes it (objects as JSON text), and the keys that are secrets.

    A `secure:` value reaches the program as its ciphertext, marked secret as `pulumi up` marks
    the decrypted value: offline plans never decrypt (no passphrase, no Pulumi service here), and
    whatever value a secret carries is redacted from plans and reports (`mlops.reports.redact`).
    """
    values: dict[str, str] = {}
    secret_keys: list[str] = []
    for key, value in config.items():
        ciphertext = secure_value(value)
        if ciphertext is not None:
            values[key] = ciphertext
            secret_keys.append(key)
        else:
            values[key] = value if isinstance(value, str) else json.dumps(value)
    return values, sorted(secret_keys)


# Generation-0 collections per program run: rare enough that the collector stops walking the
# pending-output graph Pulumi keeps alive until the program ends, frequent enough to bound garbage.
_GC_THRESHOLD = 200_000


@contextmanager
def _collector_for_program() -> Iterator[None]:
    """Python's cyclic collector tuned for a program run: objects alive before it are frozen
    out of collection, and collections become rare.

    Every Output, task and future of the run stays reachable until the run ends, so each
    collection walked an ever larger graph and found nothing: about 40% of the run's CPU.
    A capture worker runs with the collector off altogether and leaves it so.
    """
    if not gc.isenabled():
        yield
        return
    gc.collect()
    gc.freeze()
    threshold = gc.get_threshold()
    gc.set_threshold(_GC_THRESHOLD, *threshold[1:])
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()


def run_program(
    project: str, stack: str, region: str, config: dict[str, Any], program: Callable[[], None]
) -> list[CapturedResource]:
    """Run `program` under mocks with `config` as its Pulumi config; return what it declared."""
    pulumi.runtime.set_all_config(*runtime_config(config))
    monitor = CapturingMonitor(PlanMocks(region), project, stack)
    settings.ROOT.set(None)
    pulumi.runtime.set_mocks(monitor.mocks, project=project, stack=stack, preview=False, monitor=monitor)
    try:
        with _collector_for_program():
            _sync_await(pulumi.runtime.stack.run_pulumi_func(program))
    except MlopsError:
        raise
    except Exception as e:  # the program is user-extensible code; report, don't crash
        raise ProgramError(f"the Pulumi program failed under the mock runtime: {type(e).__name__}: {e}") from e
    return sorted(monitor.captured, key=lambda r: r.urn)


def run_entry_point(
    project_dir: Path, project: str, config: dict[str, Any], inputs: ProgramInputs
) -> list[CapturedResource]:
    """Run the project's own `infra/__main__.py`, exactly the file `pulumi up` runs, handing it `inputs`."""
    entry = project_dir / "infra" / "__main__.py"

    def program() -> None:
        with provided_inputs(inputs):
            runpy.run_path(str(entry), run_name="__main__")

    return run_program(project, inputs.stack.stack, inputs.stack.region, config, program)
