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

_challenger_variant := {"variantName": "challenger", "modelName": "fraud-detector-serving-model", "instanceType": "ml.c5.2xlarge", "initialInstanceCount": 3}

# The fixture's endpoint as an A/B test whose alarms all watch the primary variant.
_ab := fixtures.patch_resource(fixtures.stack, fixtures.endpoint_config, [{"op": "add", "path": "/inputs/productionVariants/-", "value": _challenger_variant}])

_alarm(name, dimensions) := fixtures.resource("aws:cloudwatch/metricAlarm:MetricAlarm", name, "fraud-detector", [fixtures.topic], {
	"name": name,
	"alarmActions": [fixtures.topic_arn],
	"dimensions": dimensions,
})

_challenger_denied := {{
	"resource": fixtures.endpoint,
	"message": "Endpoint fraud-detector-serving-endpoint must have a CloudWatch alarm with alarmActions on its variant challenger (dimensions.VariantName challenger, or no VariantName for the whole endpoint)",
}}

test_variant_without_alarm_denied if {
	doc := _ab
	endpoint_alarms.deny == _challenger_denied with input as doc
}

test_alarm_on_each_variant_allowed if {
	doc := fixtures.with_resources(_ab, [_alarm("acme-prod-fraud-detector-challenger-5xx", {"EndpointName": "acme-prod-fraud-detector", "VariantName": "challenger"})])
	count(endpoint_alarms.deny) == 0 with input as doc
}

test_endpoint_wide_alarm_watches_every_variant_allowed if {
	doc := fixtures.with_resources(_ab, [_alarm("acme-prod-fraud-detector-invocations", {"EndpointName": "acme-prod-fraud-detector"})])
	count(endpoint_alarms.deny) == 0 with input as doc
}

test_silent_alarm_on_the_variant_denied if {
	silent := object.union(_alarm("acme-prod-fraud-detector-challenger-5xx", {"EndpointName": "acme-prod-fraud-detector", "VariantName": "challenger"}), {"inputs": {"alarmActions": []}})
	doc := fixtures.with_resources(_ab, [silent])
	endpoint_alarms.deny == _challenger_denied with input as doc
}

test_alarm_on_another_endpoints_variant_denied if {
	doc := fixtures.with_resources(_ab, [_alarm("acme-prod-other-challenger-5xx", {"EndpointName": "acme-prod-other", "VariantName": "challenger"})])
	endpoint_alarms.deny == _challenger_denied with input as doc
}

# Serverless variants have their own exemption.
test_serverless_variant_without_its_own_alarm_allowed if {
	serverless := object.union(_challenger_variant, {"serverlessConfig": {"maxConcurrency": 5, "memorySizeInMb": 2048}})
	doc := fixtures.patch_resource(fixtures.stack, fixtures.endpoint_config, [{"op": "add", "path": "/inputs/productionVariants/-", "value": serverless}])
	count(endpoint_alarms.deny) == 0 with input as doc
}

test_variant_alarms_in_dev_allowed if {
	doc := fixtures.in_environment(_ab, "dev")
	count(endpoint_alarms.deny) == 0 with input as doc
}
