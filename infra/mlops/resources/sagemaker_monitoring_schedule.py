"""aws:sagemaker/monitoringSchedule:MonitoringSchedule — when a Model Monitor job runs (CreateMonitoringSchedule)."""

from __future__ import annotations

from .base import TF, Call, Fields, Read, ResourceType, Rule

FIELDS: Fields = (
    ("monitoringScheduleConfig.monitoringType", "MonitoringScheduleConfig.MonitoringType", "exact"),
    ("monitoringScheduleConfig.monitoringJobDefinitionName", "MonitoringScheduleConfig.MonitoringJobDefinitionName", "exact"),
    (
        "monitoringScheduleConfig.scheduleConfig.scheduleExpression",
        "MonitoringScheduleConfig.ScheduleConfig.ScheduleExpression",
        "exact",
    ),
)

RESOURCE = ResourceType(
    token="aws:sagemaker/monitoringSchedule:MonitoringSchedule",
    spec_path=("monitoring",),
    # internal/service/sagemaker/monitoring_schedule.go: only name is ForceNew;
    # monitoring_schedule_config goes through UpdateMonitoringSchedule.
    replacement=Rule(source=f"{TF}: internal/service/sagemaker/monitoring_schedule.go ForceNew name", force_new=("name", "region")),
    calls=(
        Call(
            "sagemaker",
            "CreateMonitoringSchedule",
            renames={"name": "MonitoringScheduleName"},
            generated=("MonitoringScheduleName",),
        ),
    ),
    verify={"resource": FIELDS},
    read=Read("sagemaker", "DescribeMonitoringSchedule", by={"MonitoringScheduleName": "name"}),
)
