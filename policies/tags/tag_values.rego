# METADATA
# title: Tag values are consistent with the stack and the model
# description: Checks whether the environment and model tags of every taggable resource match its stack and model, and whether classification tags use allowed values.
# custom:
#   id: tag-values-consistent
#   severity: low
#   controls: [SOC2:C1.1, ISO27001:A.5.12, ISO27001:A.5.13, NIST800-53:CM-8, NIST800-53:RA-2]
#   resource_types: [aws:appautoscaling/target:Target, aws:cloudwatch/eventRule:EventRule, aws:cloudwatch/metricAlarm:MetricAlarm, aws:iam/policy:Policy, aws:iam/role:Role, aws:kms/key:Key, aws:s3/bucket:Bucket, aws:s3/bucketObjectv2:BucketObjectv2, aws:sagemaker/dataQualityJobDefinition:DataQualityJobDefinition, aws:sagemaker/endpoint:Endpoint, aws:sagemaker/endpointConfiguration:EndpointConfiguration, aws:sagemaker/featureGroup:FeatureGroup, aws:sagemaker/mlflowTrackingServer:MlflowTrackingServer, aws:sagemaker/model:Model, aws:sagemaker/modelPackageGroup:ModelPackageGroup, aws:sagemaker/monitoringSchedule:MonitoringSchedule, aws:sagemaker/pipeline:Pipeline, aws:sns/topic:Topic, aws-native:sagemaker:DataQualityJobDefinition, aws-native:sagemaker:ModelBiasJobDefinition, aws-native:sagemaker:ModelExplainabilityJobDefinition, aws-native:sagemaker:ModelQualityJobDefinition]
#   waivable: true
#   resource_local: true
package mlops.tags.tag_values

import rego.v1

import data.mlops.lib.resources as lib

deny contains violation if {
	some resource in _tagged
	found := lib.tags(resource).environment
	not _blank(found)
	found != input.environment
	violation := {
		"resource": resource.urn,
		"message": sprintf("Resource %s must carry the environment tag %v of its stack (found %v)", [resource.name, input.environment, found]),
	}
}

deny contains violation if {
	some resource in _tagged
	is_string(resource.model)
	found := lib.tags(resource).model
	not _blank(found)
	found != resource.model
	violation := {
		"resource": resource.urn,
		"message": sprintf("Resource %s must carry the model tag %s (found %v)", [resource.name, resource.model, found]),
	}
}

deny contains violation if {
	some resource in _tagged
	some tag, allowed in lib.parameters.allowed_tag_values
	found := lib.tags(resource)[tag]
	not _blank(found)
	not found in allowed
	violation := {
		"resource": resource.urn,
		"message": sprintf("Resource %s must set the %s tag to one of %s (found %v)", [resource.name, tag, concat(", ", allowed), found]),
	}
}

# A missing or empty tag is the required-tags policy's finding, not this one's.
_blank(value) if {
	is_string(value)
	trim_space(value) == ""
}

_tagged := [resource | some resource in lib.all_resources; resource.type in lib.parameters.taggable_types]
