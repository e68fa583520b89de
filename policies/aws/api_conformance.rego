# METADATA
# title: Every planned request is one AWS's API model accepts
# description: Checks every planned resource's AWS API requests (what the provider sends to create it, and each SageMaker pipeline step's job request) against AWS's own API model from botocore, including the maximum lengths, patterns and enums botocore's client-side validator skips, so a value AWS would refuse stops the gate instead of failing `pulumi up` half-way. Inputs the resource catalogue cannot translate into a request are reported unverified.
# custom:
#   id: aws-api-conformance
#   severity: critical
#   controls: [SOC2:CC8.1, ISO27001:A.8.32, NIST800-53:CM-3, NIST800-53:SI-10]
#   resource_types: [aws-native:sagemaker:ModelBiasJobDefinition, aws-native:sagemaker:ModelExplainabilityJobDefinition, aws-native:sagemaker:ModelQualityJobDefinition, aws:appautoscaling/policy:Policy, aws:appautoscaling/target:Target, aws:cloudwatch/eventRule:EventRule, aws:cloudwatch/eventTarget:EventTarget, aws:cloudwatch/metricAlarm:MetricAlarm, aws:iam/role:Role, aws:iam/rolePolicy:RolePolicy, aws:kms/alias:Alias, aws:kms/key:Key, aws:s3/bucket:Bucket, aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration, aws:s3/bucketLogging:BucketLogging, aws:s3/bucketObjectv2:BucketObjectv2, aws:s3/bucketPolicy:BucketPolicy, aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock, aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration, aws:s3/bucketVersioning:BucketVersioning, aws:sagemaker/dataQualityJobDefinition:DataQualityJobDefinition, aws:sagemaker/endpoint:Endpoint, aws:sagemaker/endpointConfiguration:EndpointConfiguration, aws:sagemaker/featureGroup:FeatureGroup, aws:sagemaker/mlflowTrackingServer:MlflowTrackingServer, aws:sagemaker/model:Model, aws:sagemaker/modelCard:ModelCard, aws:sagemaker/modelPackageGroup:ModelPackageGroup, aws:sagemaker/monitoringSchedule:MonitoringSchedule, aws:sagemaker/pipeline:Pipeline, aws:sns/topic:Topic, aws:sns/topicSubscription:TopicSubscription]
#   waivable: false
#   resource_local: true
package mlops.aws.api_conformance

import rego.v1

import data.mlops.lib.resources as lib

# The findings come from mlops.resources.conformance, which translates each resource's inputs
# into API requests through the resource catalogue and validates them with botocore's models;
# the policy input carries them in `conformance`.
deny contains violation if {
	some found in lib.array_at(input, ["conformance", "violations"])
	violation := {
		"resource": found.resource,
		"message": sprintf(
			"%s%s %s%s%s = %s: %s; AWS refuses the request (botocore %s model)",
			[_spec_prefix(found), found.operation, found.field, _context(found), _input(found), found.value, found.rule, found.service],
		),
	}
}

unverified contains finding if {
	some missed in lib.array_at(input, ["conformance", "unverified"])
	finding := {
		"resource": missed.resource,
		"message": sprintf(
			"%d input value(s) not checked against AWS's API model (%s): %s",
			[missed.count, concat(", ", missed.inputs), missed.reason],
		),
	}
}

# The spec field the value came from leads the message, so reports point at its line.
_spec_prefix(found) := sprintf("%s: ", [found.spec_field]) if is_string(found.spec_field)

_spec_prefix(found) := "" if not is_string(found.spec_field)

_context(found) := sprintf(" in %s", [found.context]) if found.context != ""

_context(found) := "" if found.context == ""

_input(found) := sprintf(" (input %s)", [found.input]) if is_string(found.input)

_input(found) := "" if not is_string(found.input)
