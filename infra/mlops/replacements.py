"""Which input changes make AWS replace a resource, and which replacements or deletions lose data.

A preview is only as good as its replacement rules. They come, per resource type this program
declares, from the schemas that decide it at deploy time:

- pulumi-aws 7.x bridges terraform-provider-aws v6: an argument marked `ForceNew: true` in the
  provider's resource schema (`internal/service/<service>/<resource>.go`) replaces the resource
  when it changes. A ForceNew *block* whose nested arguments are not ForceNew replaces only when
  the block itself appears or disappears (Terraform SDKv2 sets RequiresNew on the block's count).
  Since provider v6 (pulumi-aws 7) every resource also takes `region`, which forces a new resource.
- pulumi-aws-native is generated from the CloudFormation registry schemas: a property listed in
  `createOnlyProperties` replaces the resource when it changes.

The rules live with everything else known about a type in its `mlops.resources` catalogue
module, each with the schema line it comes from. Types without a rule are classified by a stated
heuristic (a changed name-like input replaces, anything else updates in place) and the change says so.
"""

from __future__ import annotations

import re

from .resources import CATALOGUE, InputPath, Rule, format_path, matches, parse_pattern

# The replacement rule of every catalogued type token (aliases included).
RULES: dict[str, Rule] = {token: entry.replacement for token, entry in CATALOGUE.items() if entry.replacement is not None}

# For types without a rule: top-level inputs that name the resource are assumed immutable.
NAME_LIKE = re.compile(r"^(name|namePrefix|[a-z][A-Za-z0-9]*Name)$")
FALLBACK_NOTE = "no replacement rules for {type}: only a changed name-like input ({inputs}) is taken to force a new resource"


def rule_for(type_token: str) -> Rule | None:
    return RULES.get(type_token)



def fallback_replaces(path: InputPath) -> bool:
    """The heuristic for types without a rule: a changed top-level name-like input replaces."""
    return bool(path) and isinstance(path[0], str) and NAME_LIKE.match(path[0]) is not None


__all__ = ["FALLBACK_NOTE", "NAME_LIKE", "RULES", "InputPath", "Rule", "fallback_replaces", "format_path", "matches", "parse_pattern", "rule_for"]
