"""A model's endpoint: a model per variant, endpoint configuration, blue/green endpoint and autoscaling."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from .. import config as stack_config
from ..sagemaker_adapter import has_instance_storage
from ..specs.model import PRIMARY_VARIANT, Autoscaling, DeploymentStrategy, ModelSpec, SecretRef, ServingMode
from ..specs.stack import Network

_TRAFFIC_TYPES = {
    DeploymentStrategy.ALL_AT_ONCE: "ALL_AT_ONCE",
    DeploymentStrategy.CANARY: "CANARY",
    DeploymentStrategy.LINEAR: "LINEAR",
}


def variant_suffix(variant: str) -> str:
    """What a variant adds to the logical and alarm names of its resources; the primary adds nothing,
    so an endpoint that gains a shadow, or an A/B test whose champion is named `primary`, keeps its resources."""
    return "" if variant == PRIMARY_VARIANT else f"-{variant}"


@dataclass(frozen=True)
class EndpointVariant:
    """One variant of the endpoint as SageMaker runs it: its model, instances and share of the traffic."""

    name: str
    # The model package version it serves; None: the artifact the pipeline last promoted.
    package_version: int | None
    instance_type: str | None
    initial_instance_count: int
    # InitialVariantWeight; None leaves SageMaker's default (1.0) on the lone primary variant.
    weight: float | None = None
    shadow: bool = False

    @property
    def suffix(self) -> str:
        return variant_suffix(self.name)


def endpoint_variants(spec: ModelSpec) -> list[EndpointVariant]:
    """The production variants (the A/B variants, else the primary) and then the shadow, if any."""
    serving = spec.serving
    if serving.variants:
        production = [
            EndpointVariant(
                name=v.name,
                package_version=v.model_version,
                instance_type=v.instance_type or serving.instance_type,
                initial_instance_count=v.initial_instance_count or serving.initial_instance_count,
                # SageMaker splits requests in the ratio of the weights, which sum to 100: percentages.
                weight=float(v.weight),
            )
            for v in serving.variants
        ]
    else:
        production = [
            EndpointVariant(
                name=PRIMARY_VARIANT,
                package_version=spec.registry.pinned_version,
                instance_type=serving.instance_type,
                initial_instance_count=serving.initial_instance_count,
                # With a shadow the weights state the sampling ratio (see the shadow's weight).
                weight=1.0 if serving.shadow is not None else None,
            )
        ]
    if serving.shadow is None:
        return production
    shadow = serving.shadow
    # SageMaker copies to a shadow variant the share of the production variant's requests that the
    # shadow's weight bears to the production variant's (1.0 here), so a weight of 0.5 mirrors half
    # the requests. The shadow's answers are captured, never returned to the caller.
    return [
        *production,
        EndpointVariant(
            name=shadow.name,
            package_version=shadow.model_version,
            instance_type=shadow.instance_type or serving.instance_type,
            initial_instance_count=shadow.initial_instance_count or serving.initial_instance_count,
            weight=shadow.traffic_percent / 100,
            shadow=True,
        ),
    ]


def package_versions(spec: ModelSpec) -> list[int]:
    """Every model package version the endpoint serves, for the ARNs `ServingArgs` takes."""
    return sorted({v.package_version for v in endpoint_variants(spec) if v.package_version is not None})


@dataclass
class ServingArgs:
    spec: ModelSpec
    endpoint_name: str
    region: str
    role_arn: pulumi.Input[str]
    key_arn: pulumi.Input[str]
    topic_arn: pulumi.Input[str]
    image_uri: str
    model_data_url: pulumi.Input[str] | None
    # The ARN of every version `package_versions` lists.
    model_package_arns: dict[int, pulumi.Input[str]]
    capture_uri: pulumi.Input[str]
    async_output_uri: pulumi.Input[str]
    network: Network | None
    tags: dict[str, str]


class Serving(pulumi.ComponentResource):
    """Models → EndpointConfiguration → Endpoint, shifting traffic blue/green with alarm rollback."""

    endpoint_name: pulumi.Output[str]

    def __init__(self, name: str, args: ServingArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:sagemaker:Serving", name, None, opts)
        serving = args.spec.serving
        child = pulumi.ResourceOptions(parent=self)
        serverless = serving.mode is ServingMode.SERVERLESS
        variants = endpoint_variants(args.spec)
        configured = {v.name: self._variant(v, self._model(name, v, args), args) for v in variants}

        # SageMaker rejects KmsKeyId when any variant runs on an instance type with local NVMe
        # storage, which the hardware encrypts itself; serverless variants have no volume to encrypt.
        encrypt_volume = not serverless and not any(v.instance_type and has_instance_storage(v.instance_type) for v in variants)
        config = aws.sagemaker.EndpointConfiguration(
            f"{name}-config",
            production_variants=[configured[v.name] for v in variants if not v.shadow],
            shadow_production_variants=[configured[v.name] for v in variants if v.shadow] or None,
            kms_key_arn=args.key_arn if encrypt_volume else None,
            # Capture is endpoint-wide: it records the requests and answers of every variant, the shadow's too.
            data_capture_config=self._data_capture(args) if serving.data_capture.enabled else None,
            async_inference_config=self._async(args) if serving.mode is ServingMode.ASYNC else None,
            tags=args.tags,
            opts=child,
        )

        alarms = [alarm for v in variants if not v.shadow for alarm in self._rollback_alarms(name, v, args)]
        deployment = serving.deployment
        routing: dict = {"type": _TRAFFIC_TYPES[deployment.strategy], "wait_interval_in_seconds": deployment.bake_minutes * 60}
        if deployment.strategy is DeploymentStrategy.CANARY:
            routing["canary_size"] = {"type": "CAPACITY_PERCENT", "value": deployment.canary_percent}
        elif deployment.strategy is DeploymentStrategy.LINEAR:
            routing["linear_step_size"] = {"type": "CAPACITY_PERCENT", "value": deployment.linear_step_percent}
        deployment_config: dict = {
            "blue_green_update_policy": {
                "traffic_routing_configuration": routing,
                "termination_wait_in_seconds": 300,
                # SageMaker requires 600..14400 s; leave room for every linear step to bake.
                "maximum_execution_timeout_in_seconds": min(14400, max(3600, deployment.bake_minutes * 60 * 12)),
            }
        }
        if deployment.auto_rollback:
            # Any production variant in alarm rolls the whole deployment back.
            deployment_config["auto_rollback_configuration"] = {"alarms": [{"alarm_name": a.name} for a in alarms]}

        endpoint = aws.sagemaker.Endpoint(
            f"{name}-endpoint",
            name=args.endpoint_name,
            endpoint_config_name=config.name,
            deployment_config=deployment_config,
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=alarms),
        )

        if serving.autoscaling is not None:
            for variant in variants:
                self._autoscaling(name, variant, endpoint, serving.autoscaling, args.tags)
        self.endpoint_name = endpoint.name
        self.register_outputs({"endpointName": endpoint.name, "endpointConfigName": config.name})

    def _model(self, name: str, variant: EndpointVariant, args: ServingArgs) -> aws.sagemaker.Model:
        """The SageMaker model one variant serves: its pinned model package, else the promoted artifact."""
        serving = args.spec.serving
        container = (
            {"model_package_name": args.model_package_arns[variant.package_version]}
            if variant.package_version is not None
            else {"image": args.image_uri, "model_data_url": args.model_data_url, "mode": "SingleModel"}
        )
        environment = self._environment(args)
        if environment:
            container["environment"] = environment
        # Models and endpoint configurations are immutable in SageMaker: any change
        # replaces them. Auto-naming lets the replacement exist beside the old one so the
        # endpoint can shift traffic blue/green instead of being deleted and recreated.
        # Serverless Inference rejects models with a VPC configuration or network isolation.
        serverless = serving.mode is ServingMode.SERVERLESS
        return aws.sagemaker.Model(
            f"{name}{variant.suffix}-model",
            execution_role_arn=args.role_arn,
            primary_container=container,
            enable_network_isolation=serving.network_isolation and not serverless,
            vpc_config=(
                {"subnets": args.network.subnet_ids, "security_group_ids": args.network.security_group_ids}
                if args.network and not serverless
                else None
            ),
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _variant(self, variant: EndpointVariant, model: aws.sagemaker.Model, args: ServingArgs) -> dict:
        serving = args.spec.serving
        configured: dict = {"variant_name": variant.name, "model_name": model.name}
        if serving.mode is ServingMode.SERVERLESS:
            configured["serverless_config"] = {
                "memory_size_in_mb": serving.serverless.memory_size_mb if serving.serverless else 2048,
                "max_concurrency": serving.serverless.max_concurrency if serving.serverless else 5,
            }
        else:
            configured["instance_type"] = variant.instance_type
            configured["initial_instance_count"] = variant.initial_instance_count
        if variant.weight is not None:
            configured["initial_variant_weight"] = variant.weight
        return configured

    def _environment(self, args: ServingArgs) -> dict[str, pulumi.Input[str]]:
        """The container's environment; `{secret: key}` values come from secret config as Pulumi secrets,
        so the deployed state stores them encrypted and plans and reports redact them."""
        environment: dict[str, pulumi.Input[str]] = {}
        for variable, value in sorted(args.spec.serving.environment.items()):
            if isinstance(value, SecretRef):
                where = f"model '{args.spec.name}': serving.environment.{variable}"
                environment[variable] = stack_config.secret_value(value.secret, where)
            else:
                environment[variable] = value
        return environment

    def _data_capture(self, args: ServingArgs) -> dict:
        return {
            "enable_capture": True,
            "initial_sampling_percentage": args.spec.serving.data_capture.sampling_percent,
            "destination_s3_uri": args.capture_uri,
            "kms_key_id": args.key_arn,
            "capture_options": [{"capture_mode": "Input"}, {"capture_mode": "Output"}],
            "capture_content_type_header": {"csv_content_types": ["text/csv"], "json_content_types": ["application/json"]},
        }

    def _async(self, args: ServingArgs) -> dict:
        settings = args.spec.serving.async_inference
        return {
            "output_config": {
                "s3_output_path": args.async_output_uri,
                "kms_key_id": args.key_arn,
                "notification_config": {"success_topic": args.topic_arn, "error_topic": args.topic_arn},
            },
            "client_config": {
                "max_concurrent_invocations_per_instance": settings.max_concurrent_invocations_per_instance if settings else 4
            },
        }

    def _autoscaling(
        self, name: str, variant: EndpointVariant, endpoint: aws.sagemaker.Endpoint, scaling: Autoscaling, tags: dict[str, str]
    ) -> None:
        """A target-tracking policy on one variant's instance count; a shadow scales like the rest."""
        child = pulumi.ResourceOptions(parent=self)
        target = aws.appautoscaling.Target(
            f"{name}{variant.suffix}-scaling-target",
            service_namespace="sagemaker",
            resource_id=pulumi.Output.concat("endpoint/", endpoint.name, f"/variant/{variant.name}"),
            scalable_dimension="sagemaker:variant:DesiredInstanceCount",
            min_capacity=scaling.min_capacity,
            max_capacity=scaling.max_capacity,
            tags=tags,
            opts=child,
        )
        aws.appautoscaling.Policy(
            f"{name}{variant.suffix}-scaling-policy",
            policy_type="TargetTrackingScaling",
            service_namespace=target.service_namespace,
            resource_id=target.resource_id,
            scalable_dimension=target.scalable_dimension,
            target_tracking_scaling_policy_configuration={
                "target_value": scaling.target_invocations_per_instance,
                "predefined_metric_specification": {"predefined_metric_type": "SageMakerVariantInvocationsPerInstance"},
                "scale_in_cooldown": scaling.scale_in_cooldown_seconds,
                "scale_out_cooldown": scaling.scale_out_cooldown_seconds,
            },
            opts=child,
        )

    def _rollback_alarms(self, name: str, variant: EndpointVariant, args: ServingArgs) -> list[aws.cloudwatch.MetricAlarm]:
        """Latency and 5xx alarms on one production variant, which roll a deployment back."""
        alarms = args.spec.monitoring.alarms
        dimensions = {"EndpointName": args.endpoint_name, "VariantName": variant.name}
        subject = args.endpoint_name if not variant.suffix else f"{args.endpoint_name} variant {variant.name}"
        periods = max(1, alarms.evaluation_minutes)
        common = dict(
            namespace="AWS/SageMaker",
            dimensions=dimensions,
            period=60,
            evaluation_periods=periods,
            datapoints_to_alarm=periods,
            comparison_operator="GreaterThanThreshold",
            # No traffic is not a failure: idle canaries must not roll back.
            treat_missing_data="notBreaching",
            alarm_actions=[args.topic_arn],
            ok_actions=[args.topic_arn],
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        latency = aws.cloudwatch.MetricAlarm(
            f"{name}{variant.suffix}-latency-alarm",
            name=f"{args.endpoint_name}{variant.suffix}-latency-p99",
            alarm_description=f"p99 model latency of {subject} above {alarms.latency_p99_ms} ms",
            metric_name="ModelLatency",
            extended_statistic="p99",
            # ModelLatency is reported in microseconds.
            threshold=alarms.latency_p99_ms * 1000,
            **common,
        )
        errors = aws.cloudwatch.MetricAlarm(
            f"{name}{variant.suffix}-5xx-alarm",
            name=f"{args.endpoint_name}{variant.suffix}-5xx",
            alarm_description=f"more than {alarms.error_5xx_count} 5xx responses a minute from {subject}",
            metric_name="Invocation5XXErrors",
            statistic="Sum",
            threshold=alarms.error_5xx_count,
            **common,
        )
        return [latency, errors]
