"""Reads the stack's Pulumi config once, for the program; components never call pulumi.Config."""

from __future__ import annotations

import pulumi

from .specs.loader import stack_config_from_values
from .specs.stack import CONFIG_KEYS, StackConfig

OBJECT_KEYS = frozenset({"network"})


def stack_config() -> StackConfig:
    """The `mlops:*` and `aws:region` config of the running stack, typed and validated."""
    mlops = pulumi.Config("mlops")
    values = {f"mlops:{key}": mlops.get_object(key) if key in OBJECT_KEYS else mlops.get(key) for key in CONFIG_KEYS}
    values = {key: value for key, value in values.items() if value is not None}
    values["aws:region"] = pulumi.Config("aws").get("region")
    return stack_config_from_values(pulumi.get_stack(), values)
