"""aws:kms/key:Key — the platform's customer managed KMS key (CreateKey, ScheduleKeyDeletion)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .base import TF, Call, Fields, Read, ResourceType, Rule, Via

FIELDS: Fields = (("description", "Description", "exact"),)


def _data_loss(inputs: Mapping[str, Any]) -> str:
    window = inputs.get("deletionWindowInDays")
    days = f"{window} days" if isinstance(window, int) else "its deletion window"
    return (
        f"data encrypted under the old key (S3 objects, feature store, captured data) becomes unreadable "
        f"once the old key's deletion is final after {days}; re-encrypt it under the new key first"
    )


RESOURCE = ResourceType(
    token="aws:kms/key:Key",
    spec_path=None,
    # internal/service/kms/key.go: customer_master_key_spec, key_usage, multi_region,
    # custom_key_store_id and xks_key_id are ForceNew; policy, rotation, description and
    # is_enabled update in place. KMS generates the key id, so a new key has a new ARN.
    replacement=Rule(
        source=f"{TF}: internal/service/kms/key.go ForceNew customer_master_key_spec, key_usage, multi_region, custom_key_store_id, xks_key_id",
        force_new=("customerMasterKeySpec", "keyUsage", "multiRegion", "customKeyStoreId", "xksKeyId", "region"),
        name_inputs=(),
        generated_identity=True,
        policy_documents=("policy",),
        data_loss=_data_loss,
    ),
    # resourceKeyCreate: CreateKey; enable_key_rotation decides whether EnableKeyRotation is called
    # (a flag of the provider's, not a request member); deletion_window_in_days is the
    # PendingWindowInDays of the ScheduleKeyDeletion sent when the key is destroyed.
    calls=(
        Call(
            "kms",
            "CreateKey",
            inputs=("description", "policy", "tags", "customerMasterKeySpec", "keyUsage", "multiRegion"),
            renames={"customerMasterKeySpec": "KeySpec"},
        ),
        Call(
            "kms",
            "ScheduleKeyDeletion",
            inputs=("deletionWindowInDays",),
            renames={"deletionWindowInDays": "PendingWindowInDays"},
            generated=("KeyId",),
        ),
    ),
    provider_only=("enableKeyRotation",),
    verify={"resource": FIELDS},
    read=Read(
        "kms",
        "DescribeKey",
        by={"KeyId": Via("aws:kms/alias:Alias", input="targetKeyId", path="KeyId")},
        found_at=("KeyMetadata",),
        extra=(("GetKeyPolicy", "policy", "Policy"), ("GetKeyRotationStatus", "enableKeyRotation", "KeyRotationEnabled")),
    ),
)
