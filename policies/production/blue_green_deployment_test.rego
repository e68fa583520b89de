package mlops.production.blue_green_deployment_test

import rego.v1

import data.mlops.lib.fixtures_test as fixtures
import data.mlops.production.blue_green_deployment

test_blue_green_with_rollback_allowed if {
	count(blue_green_deployment.deny) == 0 with input as fixtures.stack
}

test_missing_blue_green_policy_denied if {
	doc := fixtures.patch_resource(fixtures.stack, fixtures.endpoint, [{"op": "remove", "path": "/inputs/deploymentConfig/blueGreenUpdatePolicy"}])
	blue_green_deployment.deny == {{
		"resource": fixtures.endpoint,
		"message": "Endpoint fraud-detector-serving-endpoint must deploy through a blue/green update policy (deploymentConfig.blueGreenUpdatePolicy)",
	}} with input as doc
}

test_missing_rollback_alarms_denied if {
	doc := fixtures.patch_resource(fixtures.stack, fixtures.serverless_endpoint, [{"op": "remove", "path": "/inputs/deploymentConfig/autoRollbackConfiguration"}])
	blue_green_deployment.deny == {{
		"resource": fixtures.serverless_endpoint,
		"message": "Endpoint ticket-router-serving-endpoint must roll back automatically on CloudWatch alarms (deploymentConfig.autoRollbackConfiguration.alarms)",
	}} with input as doc
}

test_rollback_on_undefined_alarm_denied if {
	doc := fixtures.without(fixtures.stack, fixtures.errors_alarm)
	blue_green_deployment.deny == {{
		"resource": fixtures.endpoint,
		"message": "Endpoint fraud-detector-serving-endpoint must roll back on alarms the stack defines; no CloudWatch alarm is named \"acme-prod-fraud-detector-5xx\"",
	}} with input as doc
}

test_no_deployment_config_in_dev_allowed if {
	doc := fixtures.patch_resource(fixtures.stack, fixtures.endpoint, [{"op": "remove", "path": "/inputs/deploymentConfig"}])
	dev := fixtures.in_environment(doc, "dev")
	count(blue_green_deployment.deny) == 0 with input as dev
}

_rollback_on(alarms) := fixtures.with_inputs(fixtures.stack, fixtures.endpoint, {"deploymentConfig": {"autoRollbackConfiguration": {"alarms": alarms}}})

# A composite alarm the stack defines is a valid rollback alarm.
test_rollback_on_composite_alarm_allowed if {
	composite := fixtures.resource("aws:cloudwatch/compositeAlarm:CompositeAlarm", "fraud-detector-serving-health", "fraud-detector", [], {"alarmName": "acme-prod-fraud-detector-health"})
	doc := fixtures.with_resources(_rollback_on([{"alarmName": "acme-prod-fraud-detector-health"}]), [composite])
	count(blue_green_deployment.deny) == 0 with input as doc
}

# An alarm without a name is no alarm to roll back on, even when an unnamed alarm exists.
test_rollback_on_unnamed_alarm_denied if {
	unnamed := [
		fixtures.resource("aws:cloudwatch/metricAlarm:MetricAlarm", "fraud-detector-unnamed", "fraud-detector", [], {}),
		fixtures.resource("aws:cloudwatch/compositeAlarm:CompositeAlarm", "fraud-detector-unnamed-composite", "fraud-detector", [], {"alarmName": ""}),
	]
	doc := fixtures.with_resources(_rollback_on([{"alarmName": ""}]), unnamed)
	blue_green_deployment.deny == {{
		"resource": fixtures.endpoint,
		"message": "Endpoint fraud-detector-serving-endpoint must roll back on alarms the stack defines; no CloudWatch alarm is named \"\"",
	}} with input as doc
}

# A metric alarm's name and a composite alarm's name are read from their own fields.
test_rollback_on_composite_named_in_wrong_field_denied if {
	composite := fixtures.resource("aws:cloudwatch/compositeAlarm:CompositeAlarm", "fraud-detector-serving-health", "fraud-detector", [], {"name": "acme-prod-fraud-detector-health"})
	doc := fixtures.with_resources(_rollback_on([{"alarmName": "acme-prod-fraud-detector-health"}]), [composite])
	blue_green_deployment.deny == {{
		"resource": fixtures.endpoint,
		"message": "Endpoint fraud-detector-serving-endpoint must roll back on alarms the stack defines; no CloudWatch alarm is named \"acme-prod-fraud-detector-health\"",
	}} with input as doc
}
