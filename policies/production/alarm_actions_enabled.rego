# METADATA
# title: CloudWatch alarms notify when they fire
# description: Checks whether every CloudWatch metric alarm keeps its actions enabled (actionsEnabled is not false) and has at least one alarm action, so an alarm that fires reaches someone instead of changing state unseen.
# custom:
#   id: alarm-actions-enabled
#   severity: medium
#   controls: [SOC2:CC7.2, SOC2:CC7.3, ISO27001:A.8.16, NIST800-53:SI-4(5), NIST800-53:IR-6, HIPAA:164.308(a)(6)(ii)]
#   resource_types: [aws:cloudwatch/metricAlarm:MetricAlarm]
#   waivable: true
#   resource_local: true
package mlops.production.alarm_actions_enabled

import rego.v1

import data.mlops.lib.resources as lib

_alarm_type := "aws:cloudwatch/metricAlarm:MetricAlarm"

# CloudWatch enables actions when actionsEnabled is left out.
deny contains violation if {
	some alarm in lib.resources_of(_alarm_type)
	lib.value_at(alarm, ["inputs", "actionsEnabled"]) == false
	violation := {
		"resource": alarm.urn,
		"message": sprintf("CloudWatch alarm %s must not disable its actions (actionsEnabled false): it would change state without notifying anyone", [alarm.name]),
	}
}

deny contains violation if {
	some alarm in lib.resources_of(_alarm_type)
	not _has_alarm_action(alarm)
	violation := {
		"resource": alarm.urn,
		"message": sprintf("CloudWatch alarm %s must have at least one alarm action (alarmActions), such as the stack's alert topic", [alarm.name]),
	}
}

_has_alarm_action(alarm) if {
	some action in lib.array_at(alarm, ["inputs", "alarmActions"])
	is_string(action)
	trim_space(action) != ""
}
