"""Model Monitor jobs and schedules for one endpoint, and the alarms that page the team."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_aws_native as aws_native

from ..specs.model import FeatureType, ModelSpec
from ..specs.stack import Network


@dataclass
class MonitoringArgs:
    spec: ModelSpec
    endpoint_name: pulumi.Input[str]
    schedule_prefix: str
    role_arn: pulumi.Input[str]
    key_arn: pulumi.Input[str]
    topic_arn: pulumi.Input[str]
    monitor_image: str
    reports_uri: pulumi.Input[str]
    network: Network | None
    tags: dict[str, str]


class Monitoring(pulumi.ComponentResource):
    """Data-quality and model-quality schedules, drift and client-error alarms."""

    def __init__(self, name: str, args: MonitoringArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:sagemaker:Monitoring", name, None, opts)
        spec = args.spec
        child = pulumi.ResourceOptions(parent=self)
        network = {
            "enable_inter_container_traffic_encryption": True,
            "enable_network_isolation": True,
            **(
                {"vpc_config": {"subnets": args.network.subnet_ids, "security_group_ids": args.network.security_group_ids}}
                if args.network
                else {}
            ),
        }
        schedules = {}
        dq = spec.monitoring.data_quality
        if dq is not None and dq.enabled:
            definition = aws.sagemaker.DataQualityJobDefinition(
                f"{name}-data-quality",
                name=f"{args.schedule_prefix}-dq",
                role_arn=args.role_arn,
                data_quality_app_specification={"image_uri": args.monitor_image},
                data_quality_baseline_config=(
                    {
                        "constraints_resource": {"s3_uri": f"{dq.baseline_s3_uri.rstrip('/')}/constraints.json"},
                        "statistics_resource": {"s3_uri": f"{dq.baseline_s3_uri.rstrip('/')}/statistics.json"},
                    }
                    if dq.baseline_s3_uri
                    else None
                ),
                data_quality_job_input={
                    "endpoint_input": {"endpoint_name": args.endpoint_name, "local_path": "/opt/ml/processing/input"}
                },
                data_quality_job_output_config={
                    "kms_key_id": args.key_arn,
                    "monitoring_outputs": {
                        "s3_output": {
                            "s3_uri": pulumi.Output.concat(args.reports_uri, "/data-quality"),
                            "local_path": "/opt/ml/processing/output",
                        }
                    },
                },
                job_resources=_cluster(dq.instance_type, args.key_arn),
                network_config=network,
                stopping_condition={"max_runtime_in_seconds": 3600},
                tags=args.tags,
                opts=child,
            )
            schedules["dq"] = self._schedule(
                f"{name}-data-quality-schedule", f"{args.schedule_prefix}-dq-schedule", definition.name, "DataQuality",
                dq.schedule, args.tags,
            )

        mq = spec.monitoring.model_quality
        if mq is not None and mq.enabled:
            # pulumi-aws has no ModelQualityJobDefinition; the AWS Cloud Control
            # provider declares it, and pulumi-aws schedules it by name.
            definition = aws_native.sagemaker.ModelQualityJobDefinition(
                f"{name}-model-quality",
                job_definition_name=f"{args.schedule_prefix}-mq",
                role_arn=args.role_arn,
                model_quality_app_specification={"image_uri": args.monitor_image, "problem_type": mq.problem_type.value},
                model_quality_job_input={
                    # Where the model's answer is in the captured output, per problem type (the spec checks
                    # that the ones SageMaker needs are set).
                    "endpoint_input": {
                        "endpoint_name": args.endpoint_name,
                        "local_path": "/opt/ml/processing/input",
                        "inference_attribute": mq.inference_attribute,
                        "probability_attribute": mq.probability_attribute,
                        "probability_threshold_attribute": mq.probability_threshold,
                    },
                    "ground_truth_s3_input": {"s3_uri": mq.ground_truth_s3_uri},
                },
                model_quality_job_output_config={
                    "kms_key_id": args.key_arn,
                    "monitoring_outputs": [
                        {
                            "s3_output": {
                                "s3_uri": pulumi.Output.concat(args.reports_uri, "/model-quality"),
                                "local_path": "/opt/ml/processing/output",
                            }
                        }
                    ],
                },
                job_resources=_cluster(mq.instance_type, args.key_arn),
                network_config=network,
                stopping_condition={"max_runtime_in_seconds": 3600},
                tags=[{"key": k, "value": v} for k, v in args.tags.items()],
                opts=child,
            )
            schedules["mq"] = self._schedule(
                f"{name}-model-quality-schedule", f"{args.schedule_prefix}-mq-schedule", definition.job_definition_name,
                "ModelQuality", mq.schedule, args.tags,
            )

        self._alarms(name, args, schedules.get("dq"))
        self.register_outputs({"schedules": {kind: s.name for kind, s in schedules.items()}})

    def _schedule(
        self, name: str, physical: str, definition: pulumi.Input[str], kind: str, expression: str, tags: dict[str, str]
    ) -> aws.sagemaker.MonitoringSchedule:
        return aws.sagemaker.MonitoringSchedule(
            name,
            name=physical,
            monitoring_schedule_config={
                "monitoring_job_definition_name": definition,
                "monitoring_type": kind,
                "schedule_config": {"schedule_expression": expression},
            },
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _alarms(self, name: str, args: MonitoringArgs, data_quality: aws.sagemaker.MonitoringSchedule | None) -> None:
        spec = args.spec
        alarms = spec.monitoring.alarms
        common = dict(
            period=60 * alarms.evaluation_minutes,
            evaluation_periods=1,
            comparison_operator="GreaterThanThreshold",
            treat_missing_data="notBreaching",
            alarm_actions=[args.topic_arn],
            ok_actions=[args.topic_arn],
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.cloudwatch.MetricAlarm(
            f"{name}-4xx-alarm",
            name=pulumi.Output.concat(args.endpoint_name, "-4xx"),
            alarm_description=f"client errors on {spec.name} above {alarms.error_4xx_count} per {alarms.evaluation_minutes} min",
            namespace="AWS/SageMaker",
            metric_name="Invocation4XXErrors",
            dimensions={"EndpointName": args.endpoint_name, "VariantName": "primary"},
            statistic="Sum",
            threshold=alarms.error_4xx_count,
            **common,
        )
        if data_quality is None:
            return
        # Model Monitor publishes one baseline-drift distance per numeric feature.
        for feature in _monitored_features(spec):
            aws.cloudwatch.MetricAlarm(
                f"{name}-drift-{feature}",
                name=pulumi.Output.concat(args.endpoint_name, f"-drift-{feature}"),
                alarm_description=f"baseline drift of feature {feature} of {spec.name} above {alarms.drift_threshold}",
                namespace="aws/sagemaker/Endpoints/data-metrics",
                metric_name=f"feature_baseline_drift_{feature}",
                dimensions={"Endpoint": args.endpoint_name, "MonitoringSchedule": data_quality.name},
                statistic="Maximum",
                threshold=alarms.drift_threshold,
                **common,
            )


def _cluster(instance_type: str, key_arn: pulumi.Input[str]) -> dict:
    return {
        "cluster_config": {
            "instance_count": 1,
            "instance_type": instance_type,
            "volume_size_in_gb": 20,
            "volume_kms_key_id": key_arn,
        }
    }


def _monitored_features(spec: ModelSpec) -> list[str]:
    keys = {name for g in spec.feature_groups for name in (g.record_identifier, g.event_time)}
    numeric = (FeatureType.INTEGRAL, FeatureType.FRACTIONAL)
    return sorted({f.name for g in spec.feature_groups for f in g.features if f.type in numeric and f.name not in keys})
