"""AWS sessions from the standard configuration, and botocore failures as errors that fail closed.

Region comes from the stack (`aws:region`), everything else from the standard AWS configuration:
credentials from the environment, a profile or SSO; the endpoint URL from `AWS_ENDPOINT_URL`,
`AWS_ENDPOINT_URL_<SERVICE>` or a profile's `endpoint_url` (botocore resolves these natively),
which is how every command here is pointed at a local emulator such as `moto_server`.

A fact that could not be fetched is never read as "fine": unreachable endpoints, missing or
rejected credentials and server errors raise `LiveFactsError`, a `PolicyEngineError` (exit 3),
whose message names the endpoint and what was being fetched.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.client import BaseClient
from botocore.config import Config
from botocore.configprovider import ConfiguredEndpointProvider
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionError as BotoConnectionError,
    CredentialRetrievalError,
    HTTPClientError,
    NoCredentialsError,
    NoRegionError,
    ParamValidationError,
    PartialCredentialsError,
    ProfileNotFound,
)

from ..errors import InputError, PolicyEngineError

# Short time-outs and few retries: a gate waiting minutes on an unreachable endpoint helps nobody,
# and the answer (fail closed) is the same.
CLIENT_CONFIG = Config(connect_timeout=5, read_timeout=30, retries={"max_attempts": 2, "mode": "standard"})
# Signing credentials used only when an endpoint URL override is set and no credentials are
# configured: local emulators accept any, and botocore refuses to send unsigned requests.
EMULATOR_CREDENTIALS = {"aws_access_key_id": "mlops-local", "aws_secret_access_key": "mlops-local"}
# Error codes that mean "you may not ask" rather than "it does not exist": never read as an answer.
AUTH_ERROR_CODES = frozenset({
    "AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnrecognizedClientException",
    "InvalidClientTokenId", "ExpiredToken", "ExpiredTokenException", "SignatureDoesNotMatch",
    "AuthFailure", "InvalidAccessKeyId", "MissingAuthenticationToken", "IncompleteSignature",
})
CREDENTIALS_HINT = (
    "configure AWS credentials the standard way (AWS_PROFILE, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or SSO), "
    "or set AWS_ENDPOINT_URL to a local emulator"
)


class LiveFactsError(PolicyEngineError):
    """Facts from AWS were needed and could not be fetched; whatever needed them fails closed (exit 3)."""


class Unanswered(Exception):
    """The endpoint could not answer one operation (HTTP 5xx or not implemented), as opposed to "not found".

    Raised only where the caller asked for it (`call(..., unanswered_ok=True)`): `mlops verify`
    reports such resources as not checkable; everything that decides raises LiveFactsError instead.
    """

    def __init__(self, operation: str, detail: str) -> None:
        super().__init__(f"{operation}: {detail}")
        self.operation = operation
        self.detail = detail


def configured_endpoint_url(session: boto3.Session, service: str, environ: Mapping[str, str] = os.environ) -> str | None:
    """The endpoint URL override botocore will use for `service`, or None for the AWS endpoint.

    Same lookup order as botocore: AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL, then the
    profile's services section and `endpoint_url`; AWS_IGNORE_CONFIGURED_ENDPOINT_URLS turns it off.
    """
    core = session._session  # boto3 keeps its botocore session here; there is no public accessor
    if core.get_config_variable("ignore_configured_endpoint_urls"):
        return None
    try:
        provider = ConfiguredEndpointProvider(
            full_config=core.full_config, scoped_config=core.get_scoped_config(), client_name=service, environ=dict(environ)
        )
        return provider.provide()
    except (ProfileNotFound, BotoCoreError) as e:
        raise LiveFactsError(f"cannot read the AWS configuration: {e}; fix AWS_PROFILE or ~/.aws/config") from e


def has_credentials(session: boto3.Session) -> bool:
    """Whether the standard credential chain (environment, profile, SSO, container/instance role) finds any."""
    try:
        return session.get_credentials() is not None
    except (ProfileNotFound, CredentialRetrievalError, PartialCredentialsError) as e:
        raise LiveFactsError(f"cannot load AWS credentials: {e}; {CREDENTIALS_HINT}") from e


def facts_available(session: boto3.Session | None = None, environ: Mapping[str, str] = os.environ) -> bool:
    """Whether live facts can be fetched at all: credentials found, or an endpoint URL override set."""
    session = session or boto3.Session()
    return has_credentials(session) or configured_endpoint_url(session, "sagemaker", environ) is not None


@dataclass
class AwsContext:
    """One region of one account as the standard configuration reaches it; clients and identity cached."""

    session: boto3.Session
    region: str
    emulator_credentials: bool = False
    _clients: dict[str, BaseClient] = field(default_factory=dict, repr=False)
    _identity: tuple[str, str] | None = field(default=None, repr=False)

    def client(self, service: str) -> Any:
        if service not in self._clients:
            extra = EMULATOR_CREDENTIALS if self.emulator_credentials else {}
            try:
                self._clients[service] = self.session.client(service, region_name=self.region, config=CLIENT_CONFIG, **extra)
            except (NoRegionError, BotoCoreError) as e:
                raise LiveFactsError(f"cannot create an AWS {service} client for region {self.region}: {e}") from e
        return self._clients[service]

    def endpoint_url(self, service: str) -> str | None:
        """The override in use for `service`, None when it is AWS's own endpoint."""
        return configured_endpoint_url(self.session, service)

    def where(self, service: str) -> str:
        """Where requests for `service` go, for messages: the override URL, else the AWS endpoint."""
        return self.endpoint_url(service) or self.client(service).meta.endpoint_url

    def identity(self) -> tuple[str, str]:
        """(account id, partition) of the caller, from STS."""
        if self._identity is None:
            answer = call(self, "sts", "get_caller_identity", doing="identifying the AWS account")
            assert answer is not None
            self._identity = (answer["Account"], answer["Arn"].split(":")[1])
        return self._identity


def live_context(region: str, session: boto3.Session | None = None, *, purpose: str) -> AwsContext:
    """A context for `region`, or LiveFactsError naming what to configure when no facts can be fetched.

    `purpose` completes "… needs AWS credentials" in the message (e.g. "mlops up").
    """
    session = session or boto3.Session()
    if has_credentials(session):
        return AwsContext(session=session, region=region)
    if configured_endpoint_url(session, "sagemaker") is not None:
        return AwsContext(session=session, region=region, emulator_credentials=True)
    raise LiveFactsError(f"{purpose} needs AWS credentials and none were found; {CREDENTIALS_HINT}")


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def http_status(error: ClientError) -> int:
    return int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)


def call(
    ctx: AwsContext,
    service: str,
    operation: str,
    *,
    doing: str,
    absent: tuple[str, ...] = (),
    unanswered_ok: bool = False,
    **params: Any,
) -> dict[str, Any] | None:
    """Call `operation` (snake_case) on `service`; None when AWS answers with an error code in `absent`.

    Any other failure raises LiveFactsError naming the endpoint and `doing` (what was being
    fetched), except HTTP 5xx with `unanswered_ok`, which raises `Unanswered`.
    """
    client = ctx.client(service)
    with translated_errors(ctx, service, doing):
        try:
            return getattr(client, operation)(**params)
        except ClientError as e:
            code, status = error_code(e), http_status(e)
            if code in absent:
                return None
            if status >= 500 and unanswered_ok:
                raise Unanswered(client.meta.method_to_api_mapping.get(operation, operation), f"HTTP {status}") from e
            raise


@contextmanager
def translated_errors(ctx: AwsContext, service: str, doing: str) -> Iterator[None]:
    """botocore failures as LiveFactsError (exit 3) or InputError (exit 2, parameters a user gave)."""
    try:
        yield
    except ParamValidationError as e:
        raise InputError(f"invalid value while {doing}: {e}") from e
    except (BotoConnectionError, HTTPClientError) as e:
        raise LiveFactsError(
            f"cannot reach the AWS {service} endpoint {ctx.where(service)} while {doing}: {e}; "
            "nothing was decided (fails closed): check the network, AWS_ENDPOINT_URL and the region"
        ) from e
    except (NoCredentialsError, PartialCredentialsError, CredentialRetrievalError, ProfileNotFound) as e:
        raise LiveFactsError(f"no usable AWS credentials while {doing}: {e}; {CREDENTIALS_HINT}") from e
    except ClientError as e:
        code, status = error_code(e), http_status(e)
        message = str(e.response.get("Error", {}).get("Message", "")).strip().splitlines()
        detail = message[0][:200] if message and not message[0].startswith("<") else f"HTTP {status}"
        if code in AUTH_ERROR_CODES:
            raise LiveFactsError(
                f"AWS refused {service} at {ctx.where(service)} while {doing}: {code}: {detail}; "
                "check the credentials and their permissions (fails closed)"
            ) from e
        raise LiveFactsError(
            f"AWS {service} at {ctx.where(service)} failed while {doing}: {code or status}: {detail} (fails closed)"
        ) from e
    except BotoCoreError as e:
        raise LiveFactsError(f"AWS {service} request failed while {doing}: {e} (fails closed)") from e
