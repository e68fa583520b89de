package mlops.governance.bias_monitoring_test

import rego.v1

import data.mlops.governance.bias_monitoring
import data.mlops.lib.fixtures_test as fixtures

_job := fixtures.urn("aws-native:sagemaker:ModelBiasJobDefinition", "fraud-detector-monitoring-model-bias")

_schedule := fixtures.urn("aws:sagemaker/monitoringSchedule:MonitoringSchedule", "fraud-detector-monitoring-model-bias-schedule")

# The fixture's high-risk fraud-detector endpoint with a bias job watching it and a schedule running it.
_stack := fixtures.with_resources(fixtures.stack, [
	fixtures.resource("aws-native:sagemaker:ModelBiasJobDefinition", "fraud-detector-monitoring-model-bias", "fraud-detector", [fixtures.endpoint], {
		"jobDefinitionName": "acme-prod-fraud-detector-bias",
		"modelBiasJobInput": {"endpointInput": {"endpointName": "acme-prod-fraud-detector"}},
	}),
	fixtures.resource("aws:sagemaker/monitoringSchedule:MonitoringSchedule", "fraud-detector-monitoring-model-bias-schedule", "fraud-detector", [_job], {
		"name": "acme-prod-fraud-detector-bias-schedule",
		"monitoringScheduleConfig": {"monitoringJobDefinitionName": "acme-prod-fraud-detector-bias", "monitoringType": "ModelBias"},
	}),
])

_no_job := {{
	"resource": fixtures.endpoint,
	"message": "Endpoint fraud-detector-serving-endpoint of high-risk model fraud-detector must have a model-bias monitoring job definition; declare monitoring.bias (label, facets, ground_truth_s3_uri) in its spec",
}}

_unscheduled := {{
	"resource": fixtures.endpoint,
	"message": "Endpoint fraud-detector-serving-endpoint of high-risk model fraud-detector must run its model-bias job definition on a monitoring schedule; set monitoring.bias.enabled: true in its spec",
}}

_unlinked(doc, urn) := fixtures.patch_resource(doc, urn, [{"op": "replace", "path": "/dependencies", "value": []}])

# The serverless ticket-router endpoint is low risk and not monitored: Model Monitor does not support it.
test_scheduled_bias_monitoring_allowed if {
	count(bias_monitoring.deny) == 0 with input as _stack
}

# A local document: regorus leaves a rule of the fixtures package undefined under `with input as` that package's own rule.
test_missing_job_denied if {
	doc := fixtures.stack
	bias_monitoring.deny == _no_job with input as doc
}

test_unscheduled_job_denied if {
	doc := fixtures.without(_stack, _schedule)
	bias_monitoring.deny == _unscheduled with input as doc
}

test_not_required_in_dev_allowed if {
	count(bias_monitoring.deny) == 0 with input as fixtures.in_environment(fixtures.stack, "dev")
}

test_medium_risk_model_allowed if {
	specs := [object.union(m, {"spec": {"metadata": {"risk_tier": "medium"}}}) | some m in fixtures.stack.models]
	count(bias_monitoring.deny) == 0 with input as object.union(fixtures.stack, {"models": specs})
}

# A job is matched to the endpoint by its dependency alone, or by the endpoint's name alone.
test_job_linked_by_dependency_only_allowed if {
	doc := fixtures.patch_resource(_stack, _job, [{"op": "remove", "path": "/inputs/modelBiasJobInput"}])
	count(bias_monitoring.deny) == 0 with input as doc
}

test_job_linked_by_endpoint_name_only_allowed if {
	count(bias_monitoring.deny) == 0 with input as _unlinked(_stack, _job)
}

test_job_of_another_endpoint_denied if {
	doc := fixtures.with_inputs(_unlinked(_stack, _job), _job, {"modelBiasJobInput": {"endpointInput": {"endpointName": "acme-prod-other"}}})
	bias_monitoring.deny == _no_job with input as doc
}

test_endpoint_without_name_matches_no_job_by_name_denied if {
	unnamed := fixtures.patch_resource(_unlinked(_stack, _job), fixtures.endpoint, [{"op": "remove", "path": "/inputs/name"}])
	doc := fixtures.with_inputs(unnamed, _job, {"modelBiasJobInput": {"endpointInput": {"endpointName": ""}}})
	bias_monitoring.deny == _no_job with input as doc
}

# Another monitor's job definition is no bias monitor.
test_data_quality_job_alone_denied if {
	doc := fixtures.with_resources(fixtures.stack, [fixtures.resource("aws-native:sagemaker:ModelQualityJobDefinition", "fraud-detector-monitoring-other", "fraud-detector", [fixtures.endpoint], {
		"jobDefinitionName": "acme-prod-fraud-detector-other",
		"modelBiasJobInput": {"endpointInput": {"endpointName": "acme-prod-fraud-detector"}},
	})])
	bias_monitoring.deny == _no_job with input as doc
}

# A schedule is matched to the job by its dependency alone, or by the job's name alone.
test_schedule_linked_by_name_only_allowed if {
	count(bias_monitoring.deny) == 0 with input as _unlinked(_stack, _schedule)
}

test_schedule_linked_by_dependency_only_allowed if {
	doc := fixtures.patch_resource(_stack, _schedule, [{"op": "remove", "path": "/inputs/monitoringScheduleConfig"}])
	count(bias_monitoring.deny) == 0 with input as doc
}

test_schedule_of_another_job_denied if {
	doc := fixtures.with_inputs(_unlinked(_stack, _schedule), _schedule, {"monitoringScheduleConfig": {"monitoringJobDefinitionName": "acme-prod-fraud-detector-dq"}})
	bias_monitoring.deny == _unscheduled with input as doc
}

test_unnamed_job_matches_no_schedule_by_name_denied if {
	unnamed := fixtures.patch_resource(_unlinked(_stack, _schedule), _job, [{"op": "remove", "path": "/inputs/jobDefinitionName"}])
	doc := fixtures.with_inputs(unnamed, _schedule, {"monitoringScheduleConfig": {"monitoringJobDefinitionName": ""}})
	bias_monitoring.deny == _unscheduled with input as doc
}

test_aws_native_schedule_allowed if {
	doc := fixtures.patch_resource(_stack, _schedule, [{"op": "replace", "path": "/type", "value": "aws-native:sagemaker:MonitoringSchedule"}])
	count(bias_monitoring.deny) == 0 with input as doc
}

test_other_resource_named_like_the_job_is_no_schedule_denied if {
	doc := fixtures.patch_resource(_stack, _schedule, [{"op": "replace", "path": "/type", "value": "aws:cloudwatch/metricAlarm:MetricAlarm"}])
	bias_monitoring.deny == _unscheduled with input as doc
}

# Model Monitor does not support Serverless Inference: a high-risk serverless endpoint is exempt.
test_serverless_endpoint_of_high_risk_model_allowed if {
	doc := fixtures.with_inputs(fixtures.stack, fixtures.endpoint_config, {"productionVariants": [{
		"variantName": "primary",
		"modelName": "fraud-detector-serving-model",
		"serverlessConfig": {"maxConcurrency": 20, "memorySizeInMb": 3072},
	}]})
	count(bias_monitoring.deny) == 0 with input as doc
}
