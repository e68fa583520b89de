"""Model Monitor jobs and schedules for one endpoint or batch transform, and the alarms that page the team."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_aws_native as aws_native

from .. import sagemaker_adapter
from ..specs.model import FeatureType, ModelSpec
from ..specs.stack import Network
from .serving import variant_suffix

# Where the monitoring container finds its input and writes its report.
_INPUT_PATH = "/opt/ml/processing/input"
_OUTPUT_PATH = "/opt/ml/processing/output"
# Clarify monitors publish their metrics only when asked to (SDK: enable_cloudwatch_metrics).
_PUBLISH_METRICS = {"publish_cloudwatch_metrics": "Enabled"}
# Model Monitor runs at most hourly and publishes one datapoint per run.
_MONITOR_PERIOD_SECONDS = 3600
# Width of the expected band of a feature's attribution, in standard deviations (CloudWatch's default).
_ATTRIBUTION_BAND_WIDTH = 2


@dataclass
class MonitoringArgs:
    spec: ModelSpec
    # None in batch mode: the monitors read what the batch transform captured instead.
    endpoint_name: pulumi.Input[str] | None
    schedule_prefix: str
    region: str
    role_arn: pulumi.Input[str]
    key_arn: pulumi.Input[str]
    topic_arn: pulumi.Input[str]
    monitor_image: str
    reports_uri: pulumi.Input[str]
    # The platform's reports bucket, which holds the Clarify analysis configurations.
    reports_bucket: pulumi.Input[str]
    # Where the endpoint or the batch transform captures its inputs and outputs.
    capture_uri: pulumi.Input[str]
    network: Network | None
    tags: dict[str, str]


class Monitoring(pulumi.ComponentResource):
    """Data-quality, model-quality, bias and feature-attribution schedules; drift, bias and client-error alarms."""

    def __init__(self, name: str, args: MonitoringArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:sagemaker:Monitoring", name, None, opts)
        self._name, self._args = name, args
        spec = args.spec
        schedules: dict[str, aws.sagemaker.MonitoringSchedule] = {}
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
                data_quality_job_input=self._data_quality_input(),
                data_quality_job_output_config={
                    "kms_key_id": args.key_arn,
                    "monitoring_outputs": {"s3_output": self._output("data-quality")},
                },
                job_resources=_cluster(dq.instance_type, args.key_arn),
                network_config=self._network(),
                stopping_condition={"max_runtime_in_seconds": 3600},
                tags=args.tags,
                opts=self._child(),
            )
            schedules["dq"] = self._schedule("data-quality", "dq", definition.name, "DataQuality", dq.schedule)

        mq = spec.monitoring.model_quality
        if mq is not None and mq.enabled:
            # pulumi-aws has no ModelQualityJobDefinition; the AWS Cloud Control
            # provider declares it, and pulumi-aws schedules it by name.
            definition = aws_native.sagemaker.ModelQualityJobDefinition(
                f"{name}-model-quality",
                job_definition_name=f"{args.schedule_prefix}-mq",
                model_quality_app_specification={"image_uri": args.monitor_image, "problem_type": mq.problem_type.value},
                model_quality_job_input={
                    # Where the model's answer is in the captured output, per problem type (the spec checks
                    # that the ones SageMaker needs are set).
                    "endpoint_input": {
                        "endpoint_name": args.endpoint_name,
                        "local_path": _INPUT_PATH,
                        "inference_attribute": mq.inference_attribute,
                        "probability_attribute": mq.probability_attribute,
                        "probability_threshold_attribute": mq.probability_threshold,
                    },
                    "ground_truth_s3_input": {"s3_uri": mq.ground_truth_s3_uri},
                },
                model_quality_job_output_config=self._native_output("model-quality"),
                **self._native_job(mq.instance_type),
            )
            schedules["mq"] = self._schedule(
                "model-quality", "mq", definition.job_definition_name, "ModelQuality", mq.schedule
            )

        bias = spec.monitoring.bias
        if bias is not None and bias.enabled:
            schedules["bias"] = self._bias()
        explainability = spec.monitoring.explainability
        if explainability is not None and explainability.enabled:
            schedules["explainability"] = self._explainability()

        self._alarms(schedules)
        self.register_outputs({"schedules": {kind: s.name for kind, s in schedules.items()}})

    def _bias(self) -> aws.sagemaker.MonitoringSchedule:
        args = self._args
        bias = args.spec.monitoring.bias
        config = self._analysis_config(
            "model-bias",
            sagemaker_adapter.bias_analysis_config(
                headers=[*_clarify_features(args.spec), bias.label],
                label=bias.label,
                positive_label=bias.positive_label,
                facets=[(f.name, f.values_or_threshold) for f in bias.facets],
            ),
        )
        definition = aws_native.sagemaker.ModelBiasJobDefinition(
            f"{self._name}-model-bias",
            job_definition_name=f"{args.schedule_prefix}-bias",
            model_bias_app_specification=self._clarify_app(config),
            model_bias_baseline_config=_constraints(bias.baseline_s3_uri),
            model_bias_job_input={
                "endpoint_input": {
                    "endpoint_name": args.endpoint_name,
                    "local_path": _INPUT_PATH,
                    "inference_attribute": bias.inference_attribute,
                    "probability_attribute": bias.probability_attribute,
                    "probability_threshold_attribute": bias.probability_threshold,
                },
                "ground_truth_s3_input": {"s3_uri": bias.ground_truth_s3_uri},
            },
            model_bias_job_output_config=self._native_output("model-bias"),
            **self._native_job(bias.instance_type),
        )
        return self._schedule("model-bias", "bias", definition.job_definition_name, "ModelBias", bias.schedule)

    def _explainability(self) -> aws.sagemaker.MonitoringSchedule:
        args = self._args
        explainability = args.spec.monitoring.explainability
        content = pulumi.Output.from_input(args.endpoint_name).apply(
            lambda endpoint: sagemaker_adapter.explainability_analysis_config(
                headers=_clarify_features(args.spec),
                endpoint_name=endpoint,
                shap_baseline_uri=explainability.shap_baseline_s3_uri,
                num_samples=explainability.num_samples,
                agg_method=explainability.agg_method.value,
            )
        )
        config = self._analysis_config("model-explainability", content)
        definition = aws_native.sagemaker.ModelExplainabilityJobDefinition(
            f"{self._name}-model-explainability",
            job_definition_name=f"{args.schedule_prefix}-explainability",
            model_explainability_app_specification=self._clarify_app(config),
            model_explainability_baseline_config=_constraints(explainability.baseline_s3_uri),
            model_explainability_job_input={
                "endpoint_input": {
                    "endpoint_name": args.endpoint_name,
                    "local_path": _INPUT_PATH,
                    "probability_attribute": explainability.probability_attribute,
                }
            },
            model_explainability_job_output_config=self._native_output("model-explainability"),
            **self._native_job(explainability.instance_type),
        )
        return self._schedule(
            "model-explainability", "explainability", definition.job_definition_name, "ModelExplainability",
            explainability.schedule,
        )

    def _analysis_config(self, role: str, content: pulumi.Input[str]) -> pulumi.Output[str]:
        """Uploads a Clarify analysis configuration beside the model's reports; its s3:// URI."""
        args = self._args
        key = f"{args.spec.name}/monitoring/{role}/analysis_config.json"
        config = aws.s3.BucketObjectv2(
            f"{self._name}-{role}-analysis-config",
            bucket=args.reports_bucket,
            key=key,
            content=content,
            content_type="application/json",
            server_side_encryption="aws:kms",
            kms_key_id=args.key_arn,
            bucket_key_enabled=True,
            tags=args.tags,
            opts=self._child(),
        )
        return pulumi.Output.concat("s3://", config.bucket, "/", config.key)

    def _data_quality_input(self) -> dict:
        args = self._args
        if args.endpoint_name is None:
            # Batch transform writes what it captured under the model's capture prefix, as CSV like its input.
            return {
                "batch_transform_input": {
                    "data_captured_destination_s3_uri": args.capture_uri,
                    "dataset_format": {"csv": {"header": False}},
                    "local_path": _INPUT_PATH,
                }
            }
        return {"endpoint_input": {"endpoint_name": args.endpoint_name, "local_path": _INPUT_PATH}}

    def _output(self, kind: str) -> dict:
        return {"s3_uri": pulumi.Output.concat(self._args.reports_uri, f"/{kind}"), "local_path": _OUTPUT_PATH}

    def _native_output(self, kind: str) -> dict:
        # The Cloud Control schema takes a list of outputs where pulumi-aws takes one block.
        return {"kms_key_id": self._args.key_arn, "monitoring_outputs": [{"s3_output": self._output(kind)}]}

    def _native_job(self, instance_type: str) -> dict:
        """What every aws-native job definition here shares: role, instances, network, time limit, tags."""
        return dict(
            role_arn=self._args.role_arn,
            job_resources=_cluster(instance_type, self._args.key_arn),
            network_config=self._network(),
            stopping_condition={"max_runtime_in_seconds": 3600},
            # The Cloud Control schema takes tags as key/value pairs.
            tags=[{"key": k, "value": v} for k, v in self._args.tags.items()],
            opts=self._child(),
        )

    def _clarify_app(self, config: pulumi.Input[str]) -> dict:
        """Clarify's image reading its analysis configuration, publishing the metrics the alarms watch."""
        return {
            "image_uri": sagemaker_adapter.clarify_image(self._args.region),
            "config_uri": config,
            "environment": _PUBLISH_METRICS,
        }

    def _network(self) -> dict:
        network = self._args.network
        return {
            "enable_inter_container_traffic_encryption": True,
            "enable_network_isolation": True,
            **(
                {"vpc_config": {"subnets": network.subnet_ids, "security_group_ids": network.security_group_ids}}
                if network
                else {}
            ),
        }

    def _child(self) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self)

    def _schedule(
        self, role: str, suffix: str, definition: pulumi.Input[str], kind: str, expression: str
    ) -> aws.sagemaker.MonitoringSchedule:
        return aws.sagemaker.MonitoringSchedule(
            f"{self._name}-{role}-schedule",
            name=f"{self._args.schedule_prefix}-{suffix}-schedule",
            monitoring_schedule_config={
                "monitoring_job_definition_name": definition,
                "monitoring_type": kind,
                "schedule_config": {"schedule_expression": expression},
            },
            tags=self._args.tags,
            opts=self._child(),
        )

    def _alarms(self, schedules: dict[str, aws.sagemaker.MonitoringSchedule]) -> None:
        name, args = self._name, self._args
        spec = args.spec
        alarms = spec.monitoring.alarms
        endpoint = args.endpoint_name
        common = dict(
            evaluation_periods=1,
            treat_missing_data="notBreaching",
            alarm_actions=[args.topic_arn],
            ok_actions=[args.topic_arn],
            tags=args.tags,
            opts=self._child(),
        )
        variants = spec.serving.production_variants if endpoint is not None else []
        for variant in variants:
            suffix = variant_suffix(variant)
            aws.cloudwatch.MetricAlarm(
                f"{name}-4xx-alarm{suffix}",
                name=pulumi.Output.concat(endpoint, f"{suffix}-4xx"),
                alarm_description=(
                    f"client errors on {spec.name} variant {variant} above {alarms.error_4xx_count} "
                    f"per {alarms.evaluation_minutes} min"
                ),
                namespace="AWS/SageMaker",
                metric_name="Invocation4XXErrors",
                dimensions={"EndpointName": endpoint, "VariantName": variant},
                statistic="Sum",
                period=60 * alarms.evaluation_minutes,
                comparison_operator="GreaterThanThreshold",
                threshold=alarms.error_4xx_count,
                **common,
            )
        data_quality = schedules.get("dq")
        if data_quality is not None:
            # Model Monitor publishes one baseline-drift distance per numeric feature: per endpoint,
            # or for a batch transform per schedule in its own namespace.
            if endpoint is not None:
                namespace, where = "aws/sagemaker/Endpoints/data-metrics", {"Endpoint": endpoint}
            else:
                namespace, where = "aws/sagemaker/ModelMonitoring/data-metrics", {}
            for feature in _monitored_features(spec):
                aws.cloudwatch.MetricAlarm(
                    f"{name}-drift-{feature}",
                    name=f"{args.schedule_prefix}-drift-{feature}",
                    alarm_description=f"baseline drift of feature {feature} of {spec.name} above {alarms.drift_threshold}",
                    namespace=namespace,
                    metric_name=f"feature_baseline_drift_{feature}",
                    dimensions={**where, "MonitoringSchedule": data_quality.name},
                    statistic="Maximum",
                    period=60 * alarms.evaluation_minutes,
                    comparison_operator="GreaterThanThreshold",
                    threshold=alarms.drift_threshold,
                    **common,
                )
        bias = schedules.get("bias")
        if bias is not None:
            # Clarify publishes each bias metric as bias_metric_<short name>, per facet value and label
            # value, but no violation count. Disparate impact (DI) is the favourable-outcome rate of a
            # facet's group over the rest's; a Metrics Insights query takes its worst value across the
            # facet's values, whose exact dimension values an alarm could not name in advance.
            for facet in spec.monitoring.bias.facets:
                aws.cloudwatch.MetricAlarm(
                    f"{name}-bias-{facet.name}",
                    name=f"{args.schedule_prefix}-bias-{facet.name}",
                    alarm_description=(
                        f"disparate impact across facet {facet.name} of {spec.name} below {alarms.disparate_impact_min}"
                    ),
                    metric_queries=[
                        {
                            "id": "disparate_impact",
                            "expression": pulumi.Output.format(
                                "SELECT MIN(bias_metric_DI) FROM \"aws/sagemaker/Endpoints/bias-metrics\" "
                                "WHERE Endpoint = '{0}' AND MonitoringSchedule = '{1}' AND Facet = '{2}'",
                                endpoint, bias.name, facet.name,
                            ),
                            "period": _MONITOR_PERIOD_SECONDS,
                            "return_data": True,
                        }
                    ],
                    comparison_operator="LessThanThreshold",
                    threshold=alarms.disparate_impact_min,
                    **common,
                )
        explainability = schedules.get("explainability")
        if explainability is not None:
            # Clarify publishes each feature's global SHAP value (feature_<name>), not the nDCG drift
            # score it checks against the baseline; an anomaly-detection band on each attribution
            # pages when it leaves its learned range. "label0" is Clarify's name for the single score.
            for feature in _clarify_features(spec):
                aws.cloudwatch.MetricAlarm(
                    f"{name}-attribution-{feature}",
                    name=f"{args.schedule_prefix}-attribution-{feature}",
                    alarm_description=f"attribution of feature {feature} of {spec.name} outside its expected band",
                    metric_queries=[
                        {
                            "id": "attribution",
                            "metric": {
                                "namespace": "aws/sagemaker/Endpoints/explainability-metrics",
                                "metric_name": f"feature_{feature}",
                                "dimensions": {
                                    "Endpoint": endpoint,
                                    "MonitoringSchedule": explainability.name,
                                    "ExplainabilityMethod": "KernelShap",
                                    "Label": "label0",
                                    "ValueType": "GlobalShapValues",
                                },
                                "period": _MONITOR_PERIOD_SECONDS,
                                "stat": "Maximum",
                            },
                            "return_data": True,
                        },
                        {
                            "id": "expected",
                            "expression": f"ANOMALY_DETECTION_BAND(attribution, {_ATTRIBUTION_BAND_WIDTH})",
                            "label": f"expected attribution of {feature}",
                            "return_data": True,
                        },
                    ],
                    threshold_metric_id="expected",
                    comparison_operator="LessThanLowerOrGreaterThanUpperThreshold",
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


def _constraints(baseline_s3_uri: str | None) -> dict | None:
    if baseline_s3_uri is None:
        return None
    return {"constraints_resource": {"s3_uri": f"{baseline_s3_uri.rstrip('/')}/constraints.json"}}


def _clarify_features(spec: ModelSpec) -> list[str]:
    return [f.name for f in spec.input_features]


def _monitored_features(spec: ModelSpec) -> list[str]:
    numeric = (FeatureType.INTEGRAL, FeatureType.FRACTIONAL)
    return sorted({f.name for f in spec.input_features if f.type in numeric})
