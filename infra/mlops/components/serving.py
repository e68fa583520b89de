"""A model's endpoint: model, endpoint configuration, blue/green endpoint and autoscaling."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from .. import config as stack_config
from ..sagemaker_adapter import has_instance_storage
from ..specs.model import DeploymentStrategy, ModelSpec, SecretRef, ServingMode
from ..specs.stack import Network

VARIANT = "primary"
_TRAFFIC_TYPES = {
    DeploymentStrategy.ALL_AT_ONCE: "ALL_AT_ONCE",
    DeploymentStrategy.CANARY: "CANARY",
    DeploymentStrategy.LINEAR: "LINEAR",
}


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
    model_package_arn: pulumi.Input[str] | None
    capture_uri: pulumi.Input[str]
    async_output_uri: pulumi.Input[str]
    network: Network | None
    tags: dict[str, str]


class Serving(pulumi.ComponentResource):
    """Model → EndpointConfiguration → Endpoint, shifting traffic blue/green with alarm rollback."""

    endpoint_name: pulumi.Output[str]

    def __init__(self, name: str, args: ServingArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:sagemaker:Serving", name, None, opts)
        serving = args.spec.serving
        child = pulumi.ResourceOptions(parent=self)

        container = (
            {"model_package_name": args.model_package_arn}
            if args.model_package_arn is not None
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
        model = aws.sagemaker.Model(
            f"{name}-model",
            execution_role_arn=args.role_arn,
            primary_container=container,
            enable_network_isolation=serving.network_isolation and not serverless,
            vpc_config=(
                {"subnets": args.network.subnet_ids, "security_group_ids": args.network.security_group_ids}
                if args.network and not serverless
                else None
            ),
            tags=args.tags,
            opts=child,
        )

        variant: dict = {"variant_name": VARIANT, "model_name": model.name}
        encrypt_volume = True
        if serverless:
            variant["serverless_config"] = {
                "memory_size_in_mb": serving.serverless.memory_size_mb if serving.serverless else 2048,
                "max_concurrency": serving.serverless.max_concurrency if serving.serverless else 5,
            }
            # Serverless variants have no ML storage volume for a key to encrypt.
            encrypt_volume = False
        else:
            variant["instance_type"] = serving.instance_type
            variant["initial_instance_count"] = serving.initial_instance_count
            # SageMaker rejects KmsKeyId for instance types with local NVMe storage,
            # which the hardware encrypts itself.
            encrypt_volume = not has_instance_storage(serving.instance_type)

        config = aws.sagemaker.EndpointConfiguration(
            f"{name}-config",
            production_variants=[variant],
            kms_key_arn=args.key_arn if encrypt_volume else None,
            data_capture_config=self._data_capture(args) if serving.data_capture.enabled else None,
            async_inference_config=self._async(args) if serving.mode is ServingMode.ASYNC else None,
            tags=args.tags,
            opts=child,
        )

        alarms = self._rollback_alarms(name, args)
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
            scaling = serving.autoscaling
            target = aws.appautoscaling.Target(
                f"{name}-scaling-target",
                service_namespace="sagemaker",
                resource_id=pulumi.Output.concat("endpoint/", endpoint.name, f"/variant/{VARIANT}"),
                scalable_dimension="sagemaker:variant:DesiredInstanceCount",
                min_capacity=scaling.min_capacity,
                max_capacity=scaling.max_capacity,
                tags=args.tags,
                opts=child,
            )
            aws.appautoscaling.Policy(
                f"{name}-scaling-policy",
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
        self.endpoint_name = endpoint.name
        self.register_outputs({"endpointName": endpoint.name, "endpointConfigName": config.name})

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

    def _rollback_alarms(self, name: str, args: ServingArgs) -> list[aws.cloudwatch.MetricAlarm]:
        alarms = args.spec.monitoring.alarms
        dimensions = {"EndpointName": args.endpoint_name, "VariantName": VARIANT}
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
            f"{name}-latency-alarm",
            name=f"{args.endpoint_name}-latency-p99",
            alarm_description=f"p99 model latency of {args.endpoint_name} above {alarms.latency_p99_ms} ms",
            metric_name="ModelLatency",
            extended_statistic="p99",
            # ModelLatency is reported in microseconds.
            threshold=alarms.latency_p99_ms * 1000,
            **common,
        )
        errors = aws.cloudwatch.MetricAlarm(
            f"{name}-5xx-alarm",
            name=f"{args.endpoint_name}-5xx",
            alarm_description=f"more than {alarms.error_5xx_count} 5xx responses a minute from {args.endpoint_name}",
            metric_name="Invocation5XXErrors",
            statistic="Sum",
            threshold=alarms.error_5xx_count,
            **common,
        )
        return [latency, errors]
