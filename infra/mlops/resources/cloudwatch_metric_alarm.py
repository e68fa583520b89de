"""aws:cloudwatch/metricAlarm:MetricAlarm — a CloudWatch metric alarm (PutMetricAlarm)."""

from __future__ import annotations

from typing import Any

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


def _queries_as_metrics(inputs: dict[str, Any]) -> dict[str, Any]:
    """pulumi-aws's `metric_queries` are PutMetricAlarm's Metrics."""
    queries = inputs.get("metricQueries")
    if not isinstance(queries, list):
        return inputs
    return {**{k: v for k, v in inputs.items() if k != "metricQueries"}, "metrics": [_metric_query(q) for q in queries]}


def _metric_query(query: Any) -> Any:
    """A query's `metric` block holds both the MetricStat (period, stat, unit) and the Metric it reads."""
    metric = query.get("metric") if isinstance(query, dict) else None
    if not isinstance(metric, dict):
        return query
    stat = {k: metric[k] for k in ("period", "stat", "unit") if k in metric}
    rest = {k: v for k, v in query.items() if k != "metric"}
    return {**rest, "metricStat": {**stat, "metric": {k: v for k, v in metric.items() if k not in stat}}}


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
    calls=(
        Call(
            "cloudwatch", "PutMetricAlarm", renames={"name": "AlarmName"}, generated=("AlarmName",), reshape=_queries_as_metrics
        ),
    ),
    verify={"resource": FIELDS},
    read=Read("cloudwatch", "DescribeAlarms", by={"AlarmNames": "name"}, found_at=("MetricAlarms", 0)),
)
