"""Everything one model spec declares: access, features, pipeline, registry, serving, monitoring."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from ..specs.model import ModelSpec, ServingMode
from ..specs.names import resource_name
from ..specs.stack import StackConfig
from .access import ModelAccess, ModelAccessArgs
from .batch import Batch, BatchArgs
from .feature_store import FeatureStore, FeatureStoreArgs
from .monitoring import Monitoring, MonitoringArgs
from .platform import PlatformOutputs
from .registry import ModelRegistry, ModelRegistryArgs, model_card_content
from .serving import Serving, ServingArgs, package_versions
from .tags import model_tags
from .training import TrainingPipeline, TrainingPipelineArgs


@dataclass
class Images:
    training: str
    inference: str
    monitor: str
    # SageMaker Clarify's, for the models whose bias or attribution jobs run in it.
    clarify: str | None = None


@dataclass
class ModelStackArgs:
    spec: ModelSpec
    stack: StackConfig
    platform: PlatformOutputs
    images: Images


class ModelStack(pulumi.ComponentResource):
    """One model on one environment, wired to the shared platform base."""

    def __init__(self, name: str, args: ModelStackArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:model:ModelStack", name, None, opts)
        spec, stack, platform = args.spec, args.stack, args.platform
        child = pulumi.ResourceOptions(parent=self)
        tags = model_tags(spec, stack.environment)
        physical = resource_name(stack.name_prefix, stack.environment, spec.name)
        buckets = platform.buckets

        read_uris = [i.s3_uri for i in spec.training.inputs if i.s3_uri]
        if spec.training.triggers.on_new_data:
            read_uris.append(spec.training.triggers.on_new_data.s3_uri)
        if spec.monitoring.model_quality:
            read_uris.append(spec.monitoring.model_quality.ground_truth_s3_uri)
        if spec.monitoring.data_quality and spec.monitoring.data_quality.baseline_s3_uri:
            read_uris.append(spec.monitoring.data_quality.baseline_s3_uri)
        bias, explainability = spec.monitoring.bias, spec.monitoring.explainability
        if bias and bias.enabled:
            read_uris += [u for u in (bias.ground_truth_s3_uri, bias.baseline_s3_uri) if u]
        if explainability and explainability.enabled:
            read_uris += [u for u in (explainability.shap_baseline_s3_uri, explainability.baseline_s3_uri) if u]
        if spec.serving.batch:
            read_uris.append(spec.serving.batch.input_s3_uri)
        access = ModelAccess(
            f"{name}-access",
            ModelAccessArgs(
                model=spec.name,
                name_prefix=f"{stack.name_prefix}-{stack.environment}",
                region=stack.region,
                platform=platform,
                read_uris=read_uris,
                image_uris=sorted(
                    {args.images.training, args.images.inference, args.images.monitor} | ({args.images.clarify} - {None})
                ),
                batch=spec.serving.mode is ServingMode.BATCH,
                tags=tags,
            ),
            opts=child,
        )

        offline_uris: dict[str, pulumi.Output[str]] = {}
        if spec.feature_groups:
            features = FeatureStore(
                f"{name}-features",
                FeatureStoreArgs(
                    model=spec.name,
                    name_prefix=stack.name_prefix,
                    environment=stack.environment,
                    groups=spec.feature_groups,
                    role_arn=access.role_arn,
                    key_arn=platform.key_arn,
                    offline_bucket=buckets["feature-store"].name,
                    tags=tags,
                ),
                opts=child,
            )
            offline_uris = features.offline_uris

        registry = ModelRegistry(
            f"{name}-registry",
            ModelRegistryArgs(
                group_name=physical,
                description=spec.metadata.description,
                tags=tags,
                card_content=model_card_content(spec),
                card_status=spec.model_card.status.value,
                key_arn=platform.key_arn,
            ),
            opts=child,
        )
        network = stack.network
        TrainingPipeline(
            f"{name}-training",
            TrainingPipelineArgs(
                spec=spec,
                name_prefix=stack.name_prefix,
                environment=stack.environment,
                region=stack.region,
                role_arn=access.role_arn,
                trigger_role_arn=access.trigger_role_arn,
                trigger_role_name=access.trigger_role_name,
                key_arn=platform.key_arn,
                artifacts_bucket=buckets["artifacts"].name,
                model_package_group=registry.group_name,
                input_uris={
                    i.channel: (i.s3_uri if i.s3_uri else offline_uris[i.feature_group]) for i in spec.training.inputs
                },
                subnet_ids=network.subnet_ids if network else [],
                security_group_ids=network.security_group_ids if network else [],
                tags=tags,
                tracking_server_arn=platform.tracking_server_arn,
            ),
            opts=child,
        )

        def package_arn(version: int) -> pulumi.Output[str]:
            return pulumi.Output.format(
                "arn:{0}:sagemaker:{1}:{2}:model-package/{3}/{4}",
                platform.partition, stack.region, platform.account_id, registry.group_name, version,
            )

        # Where the endpoint or the batch transform captures requests and answers, and the monitors read them.
        capture_uri = pulumi.Output.concat("s3://", buckets["data-capture"].name, f"/{spec.name}")
        # A batch-scored model has no endpoint: a pipeline transforms its data instead.
        pinned = spec.registry.pinned_version
        batch = (
            Batch(
                f"{name}-batch",
                BatchArgs(
                    spec=spec,
                    pipeline_name=f"{physical}-batch",
                    region=stack.region,
                    role_arn=access.role_arn,
                    trigger_role_arn=access.trigger_role_arn,
                    trigger_role_name=access.trigger_role_name,
                    key_arn=platform.key_arn,
                    topic_arn=platform.topic_arn,
                    artifacts_bucket=buckets["artifacts"].name,
                    image_uri=args.images.inference,
                    model_package_arn=package_arn(pinned) if pinned is not None else None,
                    capture_uri=capture_uri,
                    network=network,
                    tags=tags,
                ),
                opts=child,
            )
            if spec.serving.mode is ServingMode.BATCH
            else None
        )
        serving = None if batch is not None else Serving(
            f"{name}-serving",
            ServingArgs(
                spec=spec,
                endpoint_name=physical,
                region=stack.region,
                role_arn=access.role_arn,
                key_arn=platform.key_arn,
                topic_arn=platform.topic_arn,
                image_uri=args.images.inference,
                # Unpinned environments serve the artifact promoted to this fixed key.
                model_data_url=pulumi.Output.concat("s3://", buckets["artifacts"].name, f"/{spec.name}/serving/model.tar.gz"),
                model_package_arns={version: package_arn(version) for version in package_versions(spec)},
                capture_uri=capture_uri,
                async_output_uri=pulumi.Output.concat("s3://", buckets["artifacts"].name, f"/{spec.name}/async-output"),
                network=network,
                tags=tags,
            ),
            opts=child,
        )
        Monitoring(
            f"{name}-monitoring",
            MonitoringArgs(
                spec=spec,
                endpoint_name=serving.endpoint_name if serving else None,
                schedule_prefix=physical,
                region=stack.region,
                role_arn=access.role_arn,
                key_arn=platform.key_arn,
                topic_arn=platform.topic_arn,
                monitor_image=args.images.monitor,
                reports_uri=pulumi.Output.concat("s3://", buckets["reports"].name, f"/{spec.name}/monitoring"),
                reports_bucket=buckets["reports"].name,
                capture_uri=capture_uri,
                network=network,
                tags=tags,
            ),
            opts=child,
        )
        self.endpoint_name = serving.endpoint_name if serving else None
        self.register_outputs({"endpointName": self.endpoint_name, "modelPackageGroup": registry.group_name})
