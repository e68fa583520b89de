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
