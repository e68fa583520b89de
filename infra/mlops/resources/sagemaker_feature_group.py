"""aws:sagemaker/featureGroup:FeatureGroup — a SageMaker Feature Store feature group (CreateFeatureGroup)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .base import GROUP, TF, Call, Read, ResourceType, Rule


def _data_loss(inputs: Mapping[str, Any]) -> str:
    online = isinstance(inputs.get("onlineStoreConfig"), dict) and inputs["onlineStoreConfig"].get("enableOnlineStore") is True
    offline = isinstance(inputs.get("offlineStoreConfig"), dict)
    parts = []
    if online:
        parts.append("its online store records are deleted with the group")
    if offline:
        parts.append("its offline store data stays in S3 but is detached from the new, empty group (re-ingest or backfill it)")
    return "; ".join(parts) or "the group's records are deleted with it"


RESOURCE = ResourceType(
    token="aws:sagemaker/featureGroup:FeatureGroup",
    spec_path=("feature_groups", GROUP),
    # internal/service/sagemaker/feature_group.go: feature_group_name, record_identifier_feature_name,
    # event_time_feature_name, feature_definition, description, role_arn, offline_store_config and
    # online_store_config (enable_online_store, security_config, storage_type) are ForceNew;
    # online_store_config.ttl_duration and throughput_config update in place (UpdateFeatureGroup).
    # CloudFormation AWS::SageMaker::FeatureGroup createOnlyProperties agree.
    replacement=Rule(
        source=f"{TF}: internal/service/sagemaker/feature_group.go ForceNew",
        force_new=(
            "featureGroupName", "recordIdentifierFeatureName", "eventTimeFeatureName", "featureDefinitions",
            "description", "roleArn", "offlineStoreConfig", "onlineStoreConfig", "region",
        ),
        updatable=("onlineStoreConfig.ttlDuration", "throughputConfig"),
        name_inputs=("featureGroupName",),
        data_loss=_data_loss,
    ),
    # internal/service/sagemaker/feature_group.go resourceFeatureGroupCreate: one CreateFeatureGroup.
    calls=(Call("sagemaker", "CreateFeatureGroup"),),
    read=Read("sagemaker", "DescribeFeatureGroup", by={"FeatureGroupName": "featureGroupName"}),
)
