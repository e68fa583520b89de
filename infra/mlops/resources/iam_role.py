"""aws:iam/role:Role — an IAM role (CreateRole)."""

from __future__ import annotations

from .base import TF, Call, Read, ResourceType, Rule

RESOURCE = ResourceType(
    token="aws:iam/role:Role",
    spec_path=None,
    # internal/service/iam/role.go: name, name_prefix and path are ForceNew.
    replacement=Rule(
        source=f"{TF}: internal/service/iam/role.go ForceNew name, name_prefix, path",
        force_new=("name", "namePrefix", "path"),
        policy_documents=("assumeRolePolicy", "inlinePolicies[*].policy"),
    ),
    # resourceRoleCreate: name → RoleName (Pulumi's auto-name when absent), assume_role_policy →
    # AssumeRolePolicyDocument, permissions_boundary → PermissionsBoundary.
    calls=(
        Call(
            "iam",
            "CreateRole",
            renames={"name": "RoleName", "assumeRolePolicy": "AssumeRolePolicyDocument"},
            omit=("namePrefix",),
            generated=("RoleName",),
        ),
    ),
    read=Read("iam", "GetRole", by={"RoleName": "name"}, found_at=("Role",), documents=("AssumeRolePolicyDocument",)),
)
