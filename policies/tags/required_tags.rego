# METADATA
# title: Taggable resources carry the required tags
# description: Checks whether every resource of a taggable type carries each required tag (owner, team, cost center, data classification, model, environment and more) with a non-empty value.
# custom:
#   id: required-tags
#   severity: medium
#   controls: [SOC2:CC6.1, ISO27001:A.5.9, ISO27001:A.5.13, NIST800-53:CM-8]
#   resource_types: [aws:appautoscaling/target:Target, aws:cloudwatch/eventRule:EventRule, aws:cloudwatch/metricAlarm:MetricAlarm, aws:iam/policy:Policy, aws:iam/role:Role, aws:kms/key:Key, aws:s3/bucket:Bucket, aws:s3/bucketObjectv2:BucketObjectv2, aws:sagemaker/dataQualityJobDefinition:DataQualityJobDefinition, aws:sagemaker/endpoint:Endpoint, aws:sagemaker/endpointConfiguration:EndpointConfiguration, aws:sagemaker/featureGroup:FeatureGroup, aws:sagemaker/mlflowTrackingServer:MlflowTrackingServer, aws:sagemaker/model:Model, aws:sagemaker/modelPackageGroup:ModelPackageGroup, aws:sagemaker/monitoringSchedule:MonitoringSchedule, aws:sagemaker/pipeline:Pipeline, aws:sns/topic:Topic, aws-native:sagemaker:DataQualityJobDefinition, aws-native:sagemaker:ModelBiasJobDefinition, aws-native:sagemaker:ModelExplainabilityJobDefinition, aws-native:sagemaker:ModelQualityJobDefinition]
#   waivable: true
#   resource_local: true
package mlops.tags.required_tags

import rego.v1

import data.mlops.lib.resources as lib

deny contains violation if {
	some resource in lib.all_resources
	resource.type in lib.parameters.taggable_types
	tags := lib.tags(resource)
	missing := [tag | some tag in lib.parameters.required_tags; not _present(tags, tag)]
	count(missing) > 0
	violation := {
		"resource": resource.urn,
		"message": sprintf("Resource %s must carry non-empty tags %s", [resource.name, concat(", ", missing)]),
	}
}

_present(tags, tag) if {
	is_string(tags[tag])
	trim_space(tags[tag]) != ""
}
