package mlops.production.alarm_actions_enabled_test

import rego.v1

import data.mlops.lib.fixtures_test as fixtures
import data.mlops.production.alarm_actions_enabled

_no_action := {{
	"resource": fixtures.latency_alarm,
	"message": "CloudWatch alarm fraud-detector-serving-latency-alarm must have at least one alarm action (alarmActions), such as the stack's alert topic",
}}

_disabled := {{
	"resource": fixtures.latency_alarm,
	"message": "CloudWatch alarm fraud-detector-serving-latency-alarm must not disable its actions (actionsEnabled false): it would change state without notifying anyone",
}}

# The fixture's alarms leave actionsEnabled out (CloudWatch's default, true) and notify the topic.
test_alarms_notifying_the_topic_allowed if {
	count(alarm_actions_enabled.deny) == 0 with input as fixtures.stack
}

test_actions_enabled_explicitly_allowed if {
	doc := fixtures.with_inputs(fixtures.stack, fixtures.latency_alarm, {"actionsEnabled": true})
	count(alarm_actions_enabled.deny) == 0 with input as doc
}

test_actions_disabled_denied if {
	doc := fixtures.with_inputs(fixtures.stack, fixtures.latency_alarm, {"actionsEnabled": false})
	alarm_actions_enabled.deny == _disabled with input as doc
}

test_no_alarm_actions_denied if {
	doc := fixtures.with_inputs(fixtures.stack, fixtures.latency_alarm, {"alarmActions": []})
	alarm_actions_enabled.deny == _no_action with input as doc
}

test_missing_alarm_actions_denied if {
	doc := fixtures.patch_resource(fixtures.stack, fixtures.latency_alarm, [{"op": "remove", "path": "/inputs/alarmActions"}])
	alarm_actions_enabled.deny == _no_action with input as doc
}

test_blank_alarm_action_denied if {
	doc := fixtures.with_inputs(fixtures.stack, fixtures.latency_alarm, {"alarmActions": [" "]})
	alarm_actions_enabled.deny == _no_action with input as doc
}

# OK and insufficient-data actions do not page anyone when the alarm fires.
test_only_ok_actions_denied if {
	doc := fixtures.with_inputs(fixtures.stack, fixtures.latency_alarm, {"alarmActions": [], "okActions": [fixtures.topic_arn]})
	alarm_actions_enabled.deny == _no_action with input as doc
}

test_disabled_and_silent_denied if {
	doc := fixtures.with_inputs(fixtures.stack, fixtures.latency_alarm, {"actionsEnabled": false, "alarmActions": []})
	alarm_actions_enabled.deny == _disabled | _no_action with input as doc
}

# An action that is not an ARN string (an unknown output) is no action, and does not fail the evaluation.
test_non_text_alarm_action_denied if {
	doc := fixtures.with_inputs(fixtures.stack, fixtures.latency_alarm, {"alarmActions": [7, null]})
	alarm_actions_enabled.deny == _no_action with input as doc
}
