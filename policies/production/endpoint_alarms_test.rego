package mlops.production.endpoint_alarms_test

import rego.v1

import data.mlops.lib.fixtures_test as fixtures
import data.mlops.production.endpoint_alarms

_silent(doc, urn) := fixtures.with_inputs(doc, urn, {"alarmActions": []})

# The fixture's alarms name their endpoint in dimensions.EndpointName.
test_notifying_alarm_allowed if {
	count(endpoint_alarms.deny) == 0 with input as fixtures.stack
}

test_alarms_without_actions_denied if {
	doc := _silent(_silent(fixtures.stack, fixtures.latency_alarm), fixtures.errors_alarm)
	endpoint_alarms.deny == {{
		"resource": fixtures.endpoint,
		"message": "Endpoint fraud-detector-serving-endpoint must have at least one CloudWatch alarm with alarmActions",
	}} with input as doc
}

test_alarm_linked_by_dependency_allowed if {
	silent := _silent(fixtures.stack, fixtures.latency_alarm)
	doc := fixtures.patch_resource(silent, fixtures.errors_alarm, [
		{"op": "remove", "path": "/inputs/dimensions"},
		{"op": "replace", "path": "/dependencies", "value": [fixtures.endpoint, fixtures.topic]},
	])
	count(endpoint_alarms.deny) == 0 with input as doc
}

test_no_alarms_in_dev_allowed if {
	doc := fixtures.in_environment(_silent(_silent(fixtures.stack, fixtures.latency_alarm), fixtures.errors_alarm), "dev")
	count(endpoint_alarms.deny) == 0 with input as doc
}

# Serverless endpoints are exempt.
test_serverless_endpoint_without_notifying_alarm_allowed if {
	doc := _silent(fixtures.stack, fixtures.serverless_alarm)
	count(endpoint_alarms.deny) == 0 with input as doc
}

# An endpoint without a name is not watched by alarms whose EndpointName is empty.
test_unnamed_endpoint_not_matched_by_empty_dimension if {
	unnamed := fixtures.patch_resource(fixtures.stack, fixtures.endpoint, [{"op": "remove", "path": "/inputs/name"}])
	latency := fixtures.with_inputs(unnamed, fixtures.latency_alarm, {"dimensions": {"EndpointName": ""}})
	doc := fixtures.with_inputs(latency, fixtures.errors_alarm, {"dimensions": {"EndpointName": ""}})
	endpoint_alarms.deny == {{
		"resource": fixtures.endpoint,
		"message": "Endpoint fraud-detector-serving-endpoint must have at least one CloudWatch alarm with alarmActions",
	}} with input as doc
}
