"""Seed a local AWS emulator with what a stack's plan declares, as `pulumi up` would have created it.

Each planned resource is created from its resource catalogue entry's translation: the API requests
its pulumi inputs become (`mlops.resources.lookup(type).requests(inputs)`, the same requests the
`aws-api-conformance` control validates), sent with boto3 in dependency order. What the offline
plan could not know is filled in as the provider would:

- a member the provider generates (`mlops.resources.base.GENERATED`) gets a Pulumi-style auto-name,
  `<logical name>-<7 hex digits>` (deterministic: from a hash of the resource's URN); in a
  resource's later requests (a bucket's PutBucketTagging) it is the name its first request created;
  a `ClientRequestToken` gets a fresh UUID;
- a bucket made from a `bucketPrefix` is named `<bucketPrefix>` + `BUCKET_SUFFIX`;
- the offline stand-ins for other resources' outputs are replaced by the live values created so
  far: bucket names and ids (`<bucketPrefix>mock`, `<bucketPrefix>mock-id`), KMS key ids
  (`mock-<logical name>`, from CreateKey's answer), an auto-named resource's logical name (and its
  `-id` and ARN) by its auto-name, and the mock account id by the caller's (STS).

Only a resource's own create requests are sent: a pipeline definition's step requests (which
SageMaker makes when the pipeline runs) and requests sent on destroy (ScheduleKeyDeletion) are not;
the provider's own flags that become a request of their own (a key's `enableKeyRotation`) are.
Each resource is recorded as created, not supported by the emulator (HTTP 5xx, NotImplemented,
an operation botocore does not know) or failed with the error; seeding goes on either way.

It refuses to run without an endpoint override (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_<SERVICE> or a
profile's endpoint_url): it is meant for emulators, never for a real account.

Use, e.g. against `moto_server` from a Python shell::

    $ moto_server -p 5000 &
    $ export AWS_ENDPOINT_URL=http://127.0.0.1:5000 AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing
    >>> from pathlib import Path
    >>> import boto3
    >>> from mlops.plan import capture, load_inputs
    >>> from mlops.live.seed import seed_emulator
    >>> plan = capture(load_inputs(Path("."), "dev"), jobs=1, cache_dir=None)
    >>> seeded = seed_emulator(plan, boto3.Session())
    >>> print(seeded.summary())
    >>> seeded.names["fraud-detector-serving-config"]
    'fraud-detector-serving-config-…'

then `mlops scan --stack dev` or `mlops verify --stack dev` read it back. The same from a shell:
`python -m mlops.live.seed --stack dev [-C project]`.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import boto3
from botocore import xform_name
from botocore.client import BaseClient
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionError as BotoConnectionError,
    HTTPClientError,
    ParamValidationError,
)

from .. import resources as catalogue
from ..errors import ExitCode, MlopsError
from ..offline import _NAME_INPUTS  # the inputs the offline mocks take a physical name from
from ..plan import Plan
from ..resources import api
from ..resources.base import GENERATED, MOCK_ACCOUNT, PlannedRequest
from .aws import EMULATOR_CREDENTIALS, configured_endpoint_url, error_code, has_credentials, http_status

# What S3 appends to a bucket_prefix here (the provider appends a 26-character unique suffix).
BUCKET_SUFFIX = "20260101000000000000000001"
# Requests the catalogue lists that the provider sends when it destroys the resource, not when it creates it.
ON_DESTROY = frozenset({"ScheduleKeyDeletion"})
# Error codes emulators answer for operations they do not implement.
NOT_IMPLEMENTED_CODES = frozenset({"NotImplemented", "NotImplementedError", "InternalFailure", "InternalError"})
# Few retries and short time-outs: an emulator answers at once or not at all.
SEED_CLIENT_CONFIG = Config(connect_timeout=5, read_timeout=30, retries={"max_attempts": 1, "mode": "standard"})

Status = Literal["created", "unsupported", "failed"]
CREATED: Status = "created"
UNSUPPORTED: Status = "unsupported"
FAILED: Status = "failed"


class SeedError(MlopsError):
    """Seeding cannot start or go on: no emulator endpoint configured, or the emulator is unreachable."""

    exit_code = ExitCode.INVALID_INPUT


@dataclass(frozen=True)
class Outcome:
    """What seeding did with one planned resource."""

    urn: str
    type: str
    name: str  # the logical name
    status: Status
    live_name: str | None = None  # its physical name (or id) when its first request succeeded
    operations: tuple[str, ...] = ()  # the requests sent, in order, up to and including the one that did not succeed
    detail: str = ""  # why it is not (fully) created: "<Operation>: <error>"


@dataclass
class Seeded:
    """What is in the emulator now, per planned resource."""

    region: str
    account: str
    endpoint_url: str | None
    outcomes: list[Outcome] = field(default_factory=list)
    _values: _Values | None = field(default=None, repr=False)

    @property
    def substitutions(self) -> dict[str, str]:
        """Offline stand-in → live value, as substituted into the requests."""
        return self._values.substitutions() if self._values is not None else {}

    def live(self, value: Any) -> Any:
        """A planned value (or a request built from one) with every offline stand-in replaced by its live value."""
        return self._values.live(value) if self._values is not None else value

    @property
    def names(self) -> dict[str, str]:
        """Logical name → live physical name (or id) of every resource whose first request succeeded."""
        return {o.name: o.live_name for o in self.outcomes if o.live_name is not None}

    def by_status(self, status: Status) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == status]

    @property
    def created(self) -> list[str]:
        return [o.name for o in self.by_status(CREATED)]

    @property
    def skipped(self) -> dict[str, str]:
        """Logical name → why it is not (fully) in the emulator: not supported there, or failed."""
        return {o.name: f"{o.status}: {o.detail}" for o in self.outcomes if o.status != CREATED}

    @property
    def unsupported(self) -> dict[str, str]:
        return {o.name: o.detail for o in self.by_status(UNSUPPORTED)}

    @property
    def failed(self) -> dict[str, str]:
        return {o.name: o.detail for o in self.by_status(FAILED)}

    def outcome(self, name: str) -> Outcome:
        """The outcome of the resource with this logical name."""
        return next(o for o in self.outcomes if o.name == name)

    def summary(self) -> str:
        lines = [
            f"{len(self.created)} of {len(self.outcomes)} planned resources created in {self.endpoint_url} "
            f"({self.region}, account {self.account})"
        ]
        lines += [f"  {o.status}: {o.type.rsplit(':', 1)[-1]} {o.name}: {o.detail}" for o in self.outcomes if o.status != CREATED]
        return "\n".join(lines)


# --- order ------------------------------------------------------------------------------------


def dependency_order(plan: Plan) -> list[dict[str, Any]]:
    """The plan's custom resources, each after everything it depends on (a dependency on a component
    stands for every resource under it); plan order among independent resources."""
    custom = [r for r in plan.resources if r.get("custom", True) and not r["type"].startswith("mlops:")]
    by_urn = {r["urn"]: r for r in custom}
    children: dict[str, list[str]] = {}
    for r in plan.resources:
        if r.get("parent"):
            children.setdefault(r["parent"], []).append(r["urn"])

    def expand(urn: str, seen: set[str]) -> Iterable[str]:
        if urn in seen:
            return
        seen.add(urn)
        if urn in by_urn:
            yield urn
        for child in children.get(urn, []):
            yield from expand(child, seen)

    position = {urn: index for index, urn in enumerate(by_urn)}
    needs = {r["urn"]: {d for dep in r.get("dependencies", []) for d in expand(dep, set()) if d != r["urn"]} for r in custom}
    ordered: list[dict[str, Any]] = []
    done: set[str] = set()
    visiting: set[str] = set()

    def visit(urn: str) -> None:
        if urn in done or urn in visiting:  # a cycle cannot be created in order anyway: break it
            return
        visiting.add(urn)
        for dep in sorted(needs[urn], key=position.__getitem__):
            visit(dep)
        visiting.discard(urn)
        done.add(urn)
        ordered.append(by_urn[urn])

    for r in custom:
        visit(r["urn"])
    return ordered


# --- values -----------------------------------------------------------------------------------


def offline_physical_name(resource: Mapping[str, Any]) -> str:
    """The name the offline plan's mocks gave the resource: what its planned inputs name it, else its logical name."""
    inputs = resource["inputs"]
    if resource["type"] == "aws:kms/key:Key":
        return f"mock-{resource['name']}"
    if resource["type"] in ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2") and not isinstance(inputs.get("bucket"), str):
        return f"{inputs.get('bucketPrefix', resource['name'] + '-')}mock"
    return next((inputs[k] for k in _NAME_INPUTS if isinstance(inputs.get(k), str)), resource["name"])


def auto_name(resource: Mapping[str, Any]) -> str:
    """Pulumi's auto-name of a resource: its logical name, a dash and 7 hex digits (here from its URN)."""
    return f"{resource['name']}-{hashlib.sha256(resource['urn'].encode()).hexdigest()[:7]}"


class _Values:
    """Offline stand-ins → live values, learnt as resources are created."""

    def __init__(self, account: str) -> None:
        self.exact: dict[str, str] = {}
        self.within: dict[str, str] = {}
        self.arn_names: dict[str, str] = {}
        if account != MOCK_ACCOUNT:
            self.within[MOCK_ACCOUNT] = account

    def learn_auto_name(self, logical: str, live: str) -> None:
        # Under mocks an auto-named resource's name output is its logical name, its id `<name>-id`.
        self.exact[logical] = live
        self.exact[f"{logical}-id"] = live
        self.arn_names[logical] = live

    def learn_id(self, resource: Mapping[str, Any], live: str) -> None:
        # Under mocks every resource's id is `<its physical name>-id` (`mlops.offline.PlanMocks`); the
        # provider's id of the types planned here is their name (a role policy's `role` input holds it).
        self.exact.setdefault(f"{offline_physical_name(resource)}-id", live)

    def learn_bucket(self, prefix: str, live: str) -> None:
        self.within[f"{prefix}mock-id"] = live
        self.within[f"{prefix}mock"] = live

    def learn_key(self, logical: str, key_id: str) -> None:
        self.within[f"mock-{logical}"] = key_id

    def substitutions(self) -> dict[str, str]:
        return {**self.within, **self.exact}

    def live(self, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: self.live(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.live(v) for v in value]
        if not isinstance(value, str):
            return value
        if value in self.exact:
            return self.exact[value]
        for stand_in in sorted(self.within, key=len, reverse=True):  # `<prefix>mock-id` before `<prefix>mock`
            value = value.replace(stand_in, self.within[stand_in])
        if value.startswith("arn:"):
            head, sep, last = max((value.rpartition("/"), value.rpartition(":")), key=lambda p: len(p[0]))
            if sep and last in self.arn_names:
                value = f"{head}{sep}{self.arn_names[last]}"
        return value


def _fill_generated(value: Any, fill: Callable[[tuple[str | int, ...]], str], path: tuple[str | int, ...] = ()) -> Any:
    if isinstance(value, dict):
        return {k: _fill_generated(v, fill, (*path, k)) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill_generated(v, fill, (*path, i)) for i, v in enumerate(value)]
    return fill(path) if value == GENERATED else value


# --- requests ---------------------------------------------------------------------------------


def create_requests(resource: Mapping[str, Any]) -> list[PlannedRequest]:
    """The requests that create the resource: its catalogue translation less pipeline step requests
    and requests sent on destroy, plus those the provider's own flags stand for."""
    entry = catalogue.lookup(resource["type"])
    if entry is None:
        return []
    planned = [p for p in entry.requests(resource["inputs"]) if not p.context and p.request.operation not in ON_DESTROY]
    if resource["type"] == "aws:kms/key:Key" and resource["inputs"].get("enableKeyRotation") is True:
        # terraform-provider-aws resourceKeyCreate: enable_key_rotation → EnableKeyRotation on the new key.
        planned.append(PlannedRequest(api.Request("kms", "EnableKeyRotation", {"KeyId": GENERATED}, {})))
    return planned


class _Unsupported(Exception):
    pass


class _Failed(Exception):
    pass


class _Seeder:
    def __init__(self, session: boto3.Session, region: str) -> None:
        self.session = session
        self.region = region
        self.endpoint_url = configured_endpoint_url(session, "sts")
        if self.endpoint_url is None and configured_endpoint_url(session, "sagemaker") is None:
            raise SeedError(
                "seeding creates resources: it runs only against a local emulator; set AWS_ENDPOINT_URL "
                "(or AWS_ENDPOINT_URL_<SERVICE>, or a profile's endpoint_url) to its address"
            )
        self.extra = {} if has_credentials(session) else dict(EMULATOR_CREDENTIALS)
        self.clients: dict[str, BaseClient] = {}

    def client(self, service: str) -> Any:
        if service not in self.clients:
            self.clients[service] = self.session.client(service, region_name=self.region, config=SEED_CLIENT_CONFIG, **self.extra)
        return self.clients[service]

    def send(self, service: str, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        client = self.client(service)
        method = xform_name(operation)
        if not hasattr(client, method):
            raise _Unsupported(f"{operation}: botocore's {service} client has no such operation")
        try:
            return getattr(client, method)(**params)
        except ClientError as e:
            code, status = error_code(e), http_status(e)
            lines = str(e.response.get("Error", {}).get("Message", "")).strip().splitlines()
            message = lines[0][:300] if lines and not lines[0].startswith("<") else ""  # not an HTML error page
            detail = ": ".join(part for part in (code if code != str(status) else "", message) if part)
            if status >= 500 or code in NOT_IMPLEMENTED_CODES:
                raise _Unsupported(f"{operation}: HTTP {status}" + (f" {detail}" if detail else "")) from e
            raise _Failed(f"{operation}: {detail or f'HTTP {status}'}") from e
        except ParamValidationError as e:
            raise _Failed(f"{operation}: {e}") from e
        except (BotoConnectionError, HTTPClientError) as e:
            where = self.endpoint_url or client.meta.endpoint_url
            raise SeedError(f"cannot reach the emulator at {where} while seeding ({operation}): {e}") from e
        except BotoCoreError as e:
            raise _Failed(f"{operation}: {e}") from e

    def account(self) -> str:
        return str(self.send("sts", "GetCallerIdentity", {})["Account"])


def _identity(
    resource: Mapping[str, Any], request: PlannedRequest, params: Mapping[str, Any], answer: Mapping[str, Any], generated: str | None
) -> str | None:
    """The live name (or id) the first create request gave the resource: its auto-name, its bucket
    name, the key id KMS generated, the name the program gave it, or the ARN the answer holds."""
    if generated is not None:
        return generated
    if request.request.origins.get(("Bucket",)) == ("bucketPrefix",):
        return str(params["Bucket"])
    metadata = answer.get("KeyMetadata")
    if isinstance(metadata, Mapping) and isinstance(metadata.get("KeyId"), str):
        return metadata["KeyId"]
    entry = catalogue.lookup(resource["type"])
    explicit = entry.replacement.explicit_name(resource["inputs"]) if entry is not None and entry.replacement is not None else None
    if explicit is not None:
        return explicit
    return next((v for k, v in answer.items() if k.lower().endswith("arn") and isinstance(v, str)), None)


def seed_emulator(plan: Plan, session: boto3.Session | None = None) -> Seeded:
    """Create every planned resource the emulator supports, from the catalogue's translations, in
    dependency order; SeedError when no emulator endpoint is configured or it cannot be reached."""
    seeder = _Seeder(session or boto3.Session(), plan.stack.region)
    account = seeder.account()
    values = _Values(account)
    seeded = Seeded(region=plan.stack.region, account=account, endpoint_url=seeder.endpoint_url, _values=values)
    for resource in dependency_order(plan):
        seeded.outcomes.append(_seed_one(seeder, values, resource))
    return seeded


def _seed_one(seeder: _Seeder, values: _Values, resource: Mapping[str, Any]) -> Outcome:
    urn, type_, logical = resource["urn"], resource["type"], resource["name"]
    requests = create_requests(resource)
    if not requests:
        why = "no catalogue entry for this type" if catalogue.lookup(type_) is None else "its catalogue entry makes no request"
        return Outcome(urn, type_, logical, FAILED, detail=why)
    live_name: str | None = None
    sent: list[str] = []
    for index, planned in enumerate(requests):
        request = planned.request
        generated: list[str] = []

        def fill(path: tuple[str | int, ...], first: bool = index == 0) -> str:
            if path == ("ClientRequestToken",):
                return str(uuid.uuid4())
            if first or live_name is None:
                generated.append(auto_name(resource))
                return generated[-1]
            return live_name

        params = values.live(_fill_generated(request.params, fill))
        if request.origins.get(("Bucket",)) == ("bucketPrefix",) and isinstance(params.get("Bucket"), str):
            params["Bucket"] += BUCKET_SUFFIX
        if request.service == "s3" and request.operation == "CreateBucket" and seeder.region != "us-east-1":
            params.setdefault("CreateBucketConfiguration", {"LocationConstraint": seeder.region})
        sent.append(request.operation)
        try:
            answer = seeder.send(request.service, request.operation, params)
        except _Unsupported as e:
            return Outcome(urn, type_, logical, UNSUPPORTED, live_name, tuple(sent), str(e))
        except _Failed as e:
            return Outcome(urn, type_, logical, FAILED, live_name, tuple(sent), str(e))
        if index == 0:
            live_name = _identity(resource, planned, params, answer, generated[0] if generated else None)
            if generated:
                values.learn_auto_name(logical, generated[0])
            if request.origins.get(("Bucket",)) == ("bucketPrefix",):
                values.learn_bucket(str(resource["inputs"]["bucketPrefix"]), str(params["Bucket"]))
            if type_ == "aws:kms/key:Key" and live_name is not None:
                values.learn_key(logical, live_name)
            if live_name is not None:
                values.learn_id(resource, live_name)
    return Outcome(urn, type_, logical, CREATED, live_name, tuple(sent))


def _main(argv: list[str] | None = None) -> int:
    import argparse
    import sys
    from pathlib import Path

    from ..plan import capture, load_inputs

    parser = argparse.ArgumentParser(prog="python -m mlops.live.seed", description=__doc__.split("\n", 1)[0])
    parser.add_argument("--stack", "-s", required=True)
    parser.add_argument("-C", "--project-dir", type=Path, default=Path("."))
    args = parser.parse_args(argv)
    try:
        plan = capture(load_inputs(args.project_dir, args.stack), jobs=1, cache_dir=None)
        seeded = seed_emulator(plan)
    except MlopsError as e:
        print(f"error: {e.message}", file=sys.stderr)
        return int(e.exit_code)
    print(seeded.summary())
    return 0 if not seeded.failed else 1


if __name__ == "__main__":
    raise SystemExit(_main())


__all__ = ["BUCKET_SUFFIX", "Outcome", "SeedError", "Seeded", "auto_name", "create_requests", "dependency_order", "seed_emulator"]
