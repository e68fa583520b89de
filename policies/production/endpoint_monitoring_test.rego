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

_no_job := {{
	"resource": fixtures.endpoint,
	"message": "Endpoint fraud-detector-serving-endpoint must have a data-quality monitoring job definition",
}}

_unscheduled := {{
	"resource": fixtures.endpoint,
	"message": "Endpoint fraud-detector-serving-endpoint must run its data-quality monitoring job on a monitoring schedule",
}}

_job_unlinked := fixtures.patch_resource(fixtures.stack, fixtures.data_quality_job, [{"op": "replace", "path": "/dependencies", "value": []}])

# A job is matched to the endpoint by its dependency alone, or by the endpoint's name alone.
test_job_linked_by_dependency_only_allowed if {
	doc := fixtures.patch_resource(fixtures.stack, fixtures.data_quality_job, [{"op": "remove", "path": "/inputs/dataQualityJobInput"}])
	count(endpoint_monitoring.deny) == 0 with input as doc
}

test_job_of_another_endpoint_denied if {
	doc := fixtures.with_inputs(_job_unlinked, fixtures.data_quality_job, {"dataQualityJobInput": {"endpointInput": {"endpointName": "acme-prod-other"}}})
	endpoint_monitoring.deny == _no_job with input as doc
}

# Two empty names do not match.
test_unnamed_endpoint_and_job_denied if {
	unnamed := fixtures.patch_resource(_job_unlinked, fixtures.endpoint, [{"op": "remove", "path": "/inputs/name"}])
	doc := fixtures.patch_resource(unnamed, fixtures.data_quality_job, [{"op": "remove", "path": "/inputs/dataQualityJobInput"}])
	endpoint_monitoring.deny == _no_job with input as doc
}

# A schedule is matched to the job by its dependency alone, or by the job's name alone.
test_schedule_linked_by_dependency_only_allowed if {
	doc := fixtures.patch_resource(fixtures.stack, fixtures.schedule, [{"op": "remove", "path": "/inputs/monitoringScheduleConfig/monitoringJobDefinitionName"}])
	count(endpoint_monitoring.deny) == 0 with input as doc
}

test_schedule_of_another_job_denied if {
	unlinked := fixtures.patch_resource(fixtures.stack, fixtures.schedule, [{"op": "replace", "path": "/dependencies", "value": []}])
	doc := fixtures.with_inputs(unlinked, fixtures.schedule, {"monitoringScheduleConfig": {"monitoringJobDefinitionName": "acme-prod-other-dq"}})
	endpoint_monitoring.deny == _unscheduled with input as doc
}

test_unnamed_job_and_schedule_denied if {
	unlinked := fixtures.patch_resource(fixtures.stack, fixtures.schedule, [
		{"op": "replace", "path": "/dependencies", "value": []},
		{"op": "remove", "path": "/inputs/monitoringScheduleConfig/monitoringJobDefinitionName"},
	])
	doc := fixtures.patch_resource(unlinked, fixtures.data_quality_job, [{"op": "remove", "path": "/inputs/name"}])
	endpoint_monitoring.deny == _unscheduled with input as doc
}

# Only a monitoring schedule schedules a job: another resource depending on it does not.
test_other_resource_depending_on_job_denied if {
	alarm := fixtures.resource("aws:cloudwatch/metricAlarm:MetricAlarm", "fraud-detector-dq-alarm", "fraud-detector", [fixtures.data_quality_job], {"monitoringScheduleConfig": {"monitoringJobDefinitionName": "acme-prod-fraud-detector-dq"}})
	doc := fixtures.with_resources(fixtures.without(fixtures.stack, fixtures.schedule), [alarm])
	endpoint_monitoring.deny == _unscheduled with input as doc
}

# The aws-native job and schedule types, matched by name: the native job names itself in jobDefinitionName.
test_native_job_and_schedule_matched_by_name_allowed if {
	native_job := fixtures.patch_resource(_job_unlinked, fixtures.data_quality_job, [
		{"op": "replace", "path": "/type", "value": "aws-native:sagemaker:DataQualityJobDefinition"},
		{"op": "move", "from": "/inputs/name", "path": "/inputs/jobDefinitionName"},
	])
	doc := fixtures.patch_resource(native_job, fixtures.schedule, [
		{"op": "replace", "path": "/type", "value": "aws-native:sagemaker:MonitoringSchedule"},
		{"op": "replace", "path": "/dependencies", "value": []},
	])
	count(endpoint_monitoring.deny) == 0 with input as doc
}

test_native_job_named_in_name_field_not_matched_denied if {
	native_job := fixtures.patch_resource(fixtures.stack, fixtures.data_quality_job, [{"op": "replace", "path": "/type", "value": "aws-native:sagemaker:DataQualityJobDefinition"}])
	doc := fixtures.patch_resource(native_job, fixtures.schedule, [{"op": "replace", "path": "/dependencies", "value": []}])
	endpoint_monitoring.deny == _unscheduled with input as doc
}
