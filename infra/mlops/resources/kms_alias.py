"""aws:kms/alias:Alias — the alias the platform key is found by (CreateAlias)."""

from __future__ import annotations

from .base import TF, Call, Read, ResourceType, Rule

RESOURCE = ResourceType(
    token="aws:kms/alias:Alias",
    spec_path=None,
    # internal/service/kms/alias.go: name and name_prefix are ForceNew; target_key_id updates in place.
    replacement=Rule(source=f"{TF}: internal/service/kms/alias.go ForceNew name, name_prefix", force_new=("name", "namePrefix", "region")),
    calls=(Call("kms", "CreateAlias", renames={"name": "AliasName"}, omit=("namePrefix",), generated=("AliasName",)),),
    read=Read("kms", "DescribeKey", by={"KeyId": "name"}, found_at=("KeyMetadata",), fields={"targetKeyId": "KeyId"}),
)
