"""Reads the stack's Pulumi config once, for the program; components never call pulumi.Config."""

from __future__ import annotations

import pulumi

from .errors import InputError
from .specs.loader import qualified_key, stack_config_from_values
from .specs.stack import CONFIG_KEYS, StackConfig

OBJECT_KEYS = frozenset({"network"})


def stack_config() -> StackConfig:
    """The `mlops:*` and `aws:region` config of the running stack, typed and validated."""
    mlops = pulumi.Config("mlops")
    values = {f"mlops:{key}": mlops.get_object(key) if key in OBJECT_KEYS else mlops.get(key) for key in CONFIG_KEYS}
    values = {key: value for key, value in values.items() if value is not None}
    values["aws:region"] = pulumi.Config("aws").get("region")
    return stack_config_from_values(pulumi.get_stack(), values)


def secret_value(key: str, where: str) -> pulumi.Output[str]:
    """The value of a secret config key as a Pulumi secret, for a spec's `{secret: key}` reference.

    The key must be set *as a secret* (`pulumi config set --secret`): a plain value would sit
    readable in `Pulumi.<stack>.yaml`. `where` names the spec field for the error message.
    """
    full = qualified_key(key, pulumi.get_project())
    namespace, _, name = full.rpartition(":")
    stack = pulumi.get_stack()
    set_it = f"`pulumi config set --secret {key} <value> --stack {stack}`"
    value = pulumi.Config(namespace).get_secret(name)
    if value is None:
        raise InputError(f"{where}: secret config key '{full}' is not set for stack '{stack}'; set it with {set_it}")
    if not pulumi.runtime.is_config_secret(full):
        raise InputError(
            f"{where}: config key '{full}' of stack '{stack}' holds a plain value, readable in Pulumi.{stack}.yaml; "
            f"store it encrypted with {set_it}"
        )
    return value
