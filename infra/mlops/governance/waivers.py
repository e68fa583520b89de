"""Approved, expiring exceptions to waivable policies (policies/waivers.yaml)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Annotated, Any

from pydantic import PlainValidator, ValidationError, ValidationInfo, field_validator, model_validator

from ..errors import InputError
from ..specs.loader import plain, read_yaml, validation_problems
from ..specs.model import Environment, NonEmpty, Strict
from .bundle import PolicyBundle

# Two URNs that share only what every URN has (`urn:pulumi:`, the `::` separators, a `:` in the
# type): a glob that matches both names no stack, project, type or resource, so it waives everything.
_UNRELATED_URNS = (
    "urn:pulumi:a::b::c:d:E::f",
    "urn:pulumi:x-1::y_2::g$h:i/j:K::Z.3",
)


@dataclass(frozen=True)
class Waiver:
    """One approved exception: a policy, a model or URN selector, environments, and an expiry date."""

    policy: str
    reason: str
    approver: str
    expires: date
    source: str
    model: str | None = None
    resource: str | None = None
    environments: tuple[str, ...] | None = None

    def covers(self, policy_id: str, environment: str, urn: str, model: str | None) -> bool:
        """Whether this waiver's selector matches the violation, ignoring expiry."""
        if self.policy != policy_id or (self.environments is not None and environment not in self.environments):
            return False
        if self.model is not None:
            return model == self.model
        return self.resource is not None and fnmatchcase(urn, self.resource)

    def expired(self, today: date) -> bool:
        """A waiver applies through its expiry date, inclusive."""
        return today > self.expires

    def to_dict(self) -> dict[str, Any]:
        return {"reason": self.reason, "approver": self.approver, "expires": self.expires.isoformat()}


def _iso_date(value: Any) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError("expected an ISO date YYYY-MM-DD")


class WaiverEntry(Strict):
    """One entry of waivers.yaml. The validation context holds the `bundle` its policy must be a
    waivable policy of and the `models` its model must be one of (None: not checked)."""

    policy: NonEmpty
    model: NonEmpty | None = None
    resource: NonEmpty | None = None
    environments: list[Environment] | None = None
    reason: NonEmpty
    approver: NonEmpty
    expires: Annotated[date, PlainValidator(_iso_date)]

    @model_validator(mode="before")
    @classmethod
    def _time_as_written(cls, entry: Any) -> Any:
        # YAML reads `2027-03-31T12:00:00` as a datetime; refuse it quoting what the file says.
        if isinstance(entry, dict) and isinstance(entry.get("expires"), datetime):
            return {**entry, "expires": entry["expires"].isoformat()}
        return entry

    @field_validator("policy")
    @classmethod
    def _waivable_policy(cls, policy_id: str, info: ValidationInfo) -> str:
        bundle: PolicyBundle | None = (info.context or {}).get("bundle")
        if bundle is None:
            return policy_id
        policy = bundle.policy(policy_id)
        if policy is None:
            raise ValueError(f"expected one of the policy ids {', '.join(bundle.policy_ids)}")
        if not policy.waivable:
            raise ValueError(f"not waivable (custom.waivable: false in {policy.path}); fix the violation instead")
        return policy_id

    @field_validator("model")
    @classmethod
    def _known_model(cls, model: str | None, info: ValidationInfo) -> str | None:
        models: Collection[str] | None = (info.context or {}).get("models")
        if model is not None and models is not None and model not in models:
            raise ValueError(f"expected the name of a model of the stacks' specs ({', '.join(sorted(models)) or 'none'})")
        return model

    @field_validator("resource")
    @classmethod
    def _specific_resource(cls, glob: str | None) -> str | None:
        if glob is not None and all(fnmatchcase(urn, glob) for urn in _UNRELATED_URNS):
            raise ValueError(
                "expected a URN or a URN glob naming a stack, type or resource, but this glob matches every URN; "
                "narrow it (e.g. urn:pulumi:prod::*::aws:s3/bucket:Bucket::fraud-detector-*) or waive one model's resources with 'model'"
            )
        return glob

    @field_validator("environments", mode="before")
    @classmethod
    def _listed(cls, environments: Any) -> Any:
        # An empty `environments:` (null) or `[]` must not silently mean every environment, nor none.
        if not environments:
            raise ValueError("expected a list of dev, staging or prod; leave 'environments' out to cover every environment")
        return environments

    @model_validator(mode="after")
    def _one_selector(self) -> WaiverEntry:
        if (self.model is None) == (self.resource is None):
            raise ValueError("give exactly one selector: 'model' (a model name) or 'resource' (a URN or URN glob)")
        return self


class WaiversFile(Strict):
    """The whole of waivers.yaml."""

    waivers: list[WaiverEntry]


def load_waivers(path: Path, bundle: PolicyBundle | None, models: Collection[str] | None = None) -> list[Waiver]:
    """Read and check waivers.yaml; every problem is reported together, with file:line.

    Each waiver's policy must be a waivable policy of `bundle`, and its model one of `models`
    (the names in the stacks' loaded specs). Either check is skipped when its argument is None:
    `mlops validate` when the policies or specs do not load, callers that hold no specs.
    """
    source = read_yaml(path)
    raw = plain(source.data)
    if not isinstance(raw, dict) or not isinstance(raw.get("waivers"), list):
        raise InputError(f"{path}:1: expected a top-level 'waivers:' list (use 'waivers: []' for none)")
    try:
        entries = WaiversFile.model_validate(raw, context={"bundle": bundle, "models": models}).waivers
    except ValidationError as e:
        raise InputError(f"{path}: invalid waivers", problems=validation_problems(e, WaiversFile, source)) from e
    return [
        Waiver(
            policy=entry.policy,
            reason=entry.reason,
            approver=entry.approver,
            expires=entry.expires,
            source=f"{path}:{source.line_of(('waivers', index)) or 1}",
            model=entry.model,
            resource=entry.resource,
            environments=tuple(entry.environments) if entry.environments else None,
        )
        for index, entry in enumerate(entries)
    ]
