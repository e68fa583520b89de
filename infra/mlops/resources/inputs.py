"""Which properties of a resource are its inputs, from the provider SDK's own `<Type>Args` class.

The policies are written against a plan's inputs. Inside `pulumi up`, the engine hands the
CrossGuard pack's stack policies each resource's *outputs*: its inputs plus what AWS or the
provider computed (`arn`, `id`, `tagsAll`, defaults). Those extra properties would be unknown in a
preview and untranslatable for the conformance check, so the pack keeps only the input names the
provider declares (each `@pulumi.getter(name=...)` of the Args class).
"""

from __future__ import annotations

import functools
import importlib
import sys

# Pulumi package name in a type token → the Python SDK package.
_SDKS = {"aws": "pulumi_aws", "aws-native": "pulumi_aws_native"}


def _getter_names(cls: type) -> frozenset[str]:
    return frozenset(
        n for member in vars(cls).values() if isinstance(member, property)
        if isinstance(n := getattr(member.fget, "_pulumi_name", None), str)
    )


@functools.cache
def output_only_names(type_token: str) -> frozenset[str]:
    """The properties a provider resource type has as outputs but not as inputs (`arn`, `tagsAll`,
    …), plus the engine's `id` and `urn`: what the engine adds to a resource's inputs."""
    inputs = input_names(type_token)
    resource = _resource_class(type_token)
    if inputs is None or resource is None:
        return frozenset({"id", "urn"})
    return (_getter_names(resource) - inputs) | {"id", "urn"}


def _resource_class(type_token: str) -> type | None:
    package, _, rest = type_token.partition(":")
    sdk = _SDKS.get(package)
    if sdk is None or rest.count(":") != 1:
        return None
    module_path, class_name = rest.split(":")
    try:
        resource = getattr(importlib.import_module(f"{sdk}.{module_path.split('/')[0]}"), class_name, None)
    except ImportError:
        return None
    return resource if isinstance(resource, type) else None


@functools.cache
def input_names(type_token: str) -> frozenset[str] | None:
    """The camelCase input names of a provider resource type; None when its SDK class is unknown."""
    package, _, rest = type_token.partition(":")
    sdk = _SDKS.get(package)
    if sdk is None or rest.count(":") != 1:
        return None
    module_path, class_name = rest.split(":")
    module = module_path.split("/")[0]
    try:
        resource = getattr(importlib.import_module(f"{sdk}.{module}"), class_name, None)
    except ImportError:
        return None
    # The Args class beside the resource class. Where a nested input type has the same name (s3's
    # BucketLoggingArgs is Bucket's `logging` block), the provider names the resource's `…InitArgs`.
    module_of = sys.modules.get(getattr(resource, "__module__", ""))
    args = getattr(module_of, f"{class_name}InitArgs", None) or getattr(module_of, f"{class_name}Args", None)
    if args is None:
        return None
    names = {getattr(member.fget, "_pulumi_name", None) for member in vars(args).values() if isinstance(member, property)}
    return frozenset(n for n in names if isinstance(n, str)) or None
