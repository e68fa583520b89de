"""aws:iam/rolePolicy:RolePolicy — an inline policy of a role (PutRolePolicy)."""

from __future__ import annotations

from .base import TF, Call, Read, ResourceType, Rule

RESOURCE = ResourceType(
    token="aws:iam/rolePolicy:RolePolicy",
    spec_path=None,
    # internal/service/iam/role_policy.go: name, name_prefix and role are ForceNew.
    replacement=Rule(
        source=f"{TF}: internal/service/iam/role_policy.go ForceNew name, name_prefix, role",
        force_new=("name", "namePrefix", "role"),
        policy_documents=("policy",),
    ),
    calls=(
        Call(
            "iam",
            "PutRolePolicy",
            renames={"name": "PolicyName", "role": "RoleName", "policy": "PolicyDocument"},
            omit=("namePrefix",),
            generated=("PolicyName",),
        ),
    ),
    read=Read(
        "iam",
        "GetRolePolicy",
        by={"RoleName": "role", "PolicyName": "name"},
        documents=("PolicyDocument",),
        listed=("ListRolePolicies", "PolicyNames", ""),
    ),
)
