"""SageMaker Feature Store groups of one model, encrypted with the stack's key."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from ..specs.model import FeatureGroup
from ..specs.names import resource_name

_FEATURE_TYPES = {"integral": "Integral", "fractional": "Fractional", "string": "String"}


@dataclass
class FeatureStoreArgs:
    model: str
    name_prefix: str
    environment: str
    groups: list[FeatureGroup]
    role_arn: pulumi.Input[str]
    key_arn: pulumi.Input[str]
    offline_bucket: pulumi.Input[str]
    tags: dict[str, str]


class FeatureStore(pulumi.ComponentResource):
    """One FeatureGroup per spec group; names, record id and event time force replacement."""

    offline_uris: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: FeatureStoreArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:sagemaker:FeatureStore", name, None, opts)
        self.offline_uris = {}
        names = {}
        for group in args.groups:
            physical = resource_name(args.name_prefix, args.environment, args.model, group.name)
            offline_uri = pulumi.Output.concat("s3://", args.offline_bucket, f"/{args.model}/{group.name}")
            aws.sagemaker.FeatureGroup(
                f"{name}-{group.name}",
                feature_group_name=physical,
                description=group.description,
                record_identifier_feature_name=group.record_identifier,
                event_time_feature_name=group.event_time,
                role_arn=args.role_arn,
                # AWS replaces a feature group (and drops its stored records) when any
                # definition changes; add features with a new group version instead.
                feature_definitions=[
                    {"feature_name": f.name, "feature_type": _FEATURE_TYPES[f.type.value]} for f in group.features
                ],
                online_store_config=(
                    {"enable_online_store": True, "security_config": {"kms_key_id": args.key_arn}}
                    if group.online_store
                    else None
                ),
                offline_store_config=(
                    {
                        "s3_storage_config": {"s3_uri": offline_uri, "kms_key_id": args.key_arn},
                        "disable_glue_table_creation": False,
                    }
                    if group.offline_store
                    else None
                ),
                tags={**args.tags, "contains-pii": str(group.contains_pii).lower()},
                opts=pulumi.ResourceOptions(parent=self),
            )
            names[group.name] = physical
            if group.offline_store:
                self.offline_uris[group.name] = offline_uri
        self.register_outputs({"featureGroupNames": names})
