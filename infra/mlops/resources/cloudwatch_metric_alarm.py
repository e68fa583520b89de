"""aws:cloudwatch/metricAlarm:MetricAlarm — a CloudWatch metric alarm (PutMetricAlarm)."""

from __future__ import annotations

from .base import TF, Call, Fields, Read, ResourceType, Rule

FIELDS: Fields = (
    ("metricName", "MetricName", "exact"),
    ("namespace", "Namespace", "exact"),
    ("statistic", "Statistic", "exact"),
    ("extendedStatistic", "ExtendedStatistic", "exact"),
    ("threshold", "Threshold", "number"),
    ("comparisonOperator", "ComparisonOperator", "exact"),
    ("evaluationPeriods", "EvaluationPeriods", "number"),
    ("period", "Period", "number"),
    ("datapointsToAlarm", "DatapointsToAlarm", "number"),
    ("treatMissingData", "TreatMissingData", "exact"),
    ("actionsEnabled", "ActionsEnabled", "exact"),
    ("alarmActions", "AlarmActions", "set"),
    ("okActions", "OKActions", "set"),
)


RESOURCE = ResourceType(
    token="aws:cloudwatch/metricAlarm:MetricAlarm",
    spec_path=("monitoring", "alarms"),
    # internal/service/cloudwatch/metric_alarm.go: alarm_name (Pulumi `name`) is ForceNew.
    replacement=Rule(
        source=f"{TF}: internal/service/cloudwatch/metric_alarm.go ForceNew alarm_name",
        force_new=("name", "region"),
        unordered=("alarmActions", "okActions", "insufficientDataActions"),
    ),
    # Dimensions: pulumi-aws's map becomes PutMetricAlarm's list of {Name, Value} (api.translate).
    calls=(Call("cloudwatch", "PutMetricAlarm", renames={"name": "AlarmName"}, generated=("AlarmName",)),),
    verify={"resource": FIELDS},
    read=Read("cloudwatch", "DescribeAlarms", by={"AlarmNames": "name"}, found_at=("MetricAlarms", 0)),
)
