package mlops.production.endpoint_monitoring_test

import rego.v1

import data.mlops.lib.fixtures_test as fixtures
import data.mlops.production.endpoint_monitoring

# The serverless ticket-router endpoint is not monitored: Model Monitor does not support it.
test_scheduled_monitoring_allowed if {
	count(endpoint_monitoring.deny) == 0 with input as fixtures.stack
}

test_missing_job_denied if {
	doc := fixtures.without(fixtures.without(fixtures.stack, fixtures.data_quality_job), fixtures.schedule)
	endpoint_monitoring.deny == {{
		"resource": fixtures.endpoint,
		"message": "Endpoint fraud-detector-serving-endpoint must have a data-quality monitoring job definition",
	}} with input as doc
}

test_unscheduled_job_denied if {
	doc := fixtures.without(fixtures.stack, fixtures.schedule)
	endpoint_monitoring.deny == {{
		"resource": fixtures.endpoint,
		"message": "Endpoint fraud-detector-serving-endpoint must run its data-quality monitoring job on a monitoring schedule",
	}} with input as doc
}

test_job_and_schedule_matched_by_name_allowed if {
	unlinked := fixtures.patch_resource(fixtures.stack, fixtures.data_quality_job, [{"op": "replace", "path": "/dependencies", "value": []}])
	doc := fixtures.patch_resource(unlinked, fixtures.schedule, [{"op": "replace", "path": "/dependencies", "value": []}])
	count(endpoint_monitoring.deny) == 0 with input as doc
}

test_no_monitoring_in_dev_allowed if {
	doc := fixtures.in_environment(fixtures.without(fixtures.stack, fixtures.data_quality_job), "dev")
	count(endpoint_monitoring.deny) == 0 with input as doc
}
