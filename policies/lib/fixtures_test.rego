# A small, fully compliant prod stack for the policy tests: shared platform resources (a bucket
# that logs server access to a dedicated log bucket), one realtime model (fraud-detector, high
# risk, PII features) and one serverless model (ticket-router). Tests change one field of it
# per case with the helpers at the end.
# Test-only (its name ends in _test.rego), so it never ships in the policy bundle.
package mlops.lib.fixtures_test

import rego.v1

_urn(type, name) := sprintf("urn:pulumi:prod::mlops-platform::%s::%s", [type, name])

key_arn := "arn:aws:kms:eu-west-1:123456789012:key/platform-key"

topic_arn := "arn:aws:sns:eu-west-1:123456789012:acme-prod-ml-alerts"

subnets := ["subnet-0a", "subnet-0b"]

security_groups := ["sg-0a"]

# URNs of the fixture's resources, for building cases and asserting violations.
key := _urn("aws:kms/key:Key", "platform-key")

bucket := _urn("aws:s3/bucket:Bucket", "platform-artifacts")

bucket_encryption := _urn("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "platform-artifacts-sse")

public_access_block := _urn("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "platform-artifacts-public-access")

bucket_versioning := _urn("aws:s3/bucketVersioning:BucketVersioning", "platform-artifacts-versioning")

bucket_policy := _urn("aws:s3/bucketPolicy:BucketPolicy", "platform-artifacts-tls-only")

bucket_lifecycle := _urn("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "platform-artifacts-lifecycle")

bucket_logging := _urn("aws:s3/bucketLogging:BucketLogging", "platform-artifacts-access-logging")

log_bucket := _urn("aws:s3/bucket:Bucket", "platform-access-logs")

log_bucket_encryption := _urn("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "platform-access-logs-sse")

log_public_access_block := _urn("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "platform-access-logs-public-access")

log_bucket_versioning := _urn("aws:s3/bucketVersioning:BucketVersioning", "platform-access-logs-versioning")

log_bucket_policy := _urn("aws:s3/bucketPolicy:BucketPolicy", "platform-access-logs-tls-only")

log_bucket_lifecycle := _urn("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "platform-access-logs-lifecycle")

topic := _urn("aws:sns/topic:Topic", "platform-alerts")

fraud_detector := _urn("mlops:model:ModelStack", "fraud-detector")

role := _urn("aws:iam/role:Role", "fraud-detector-access-execution")

role_policy := _urn("aws:iam/rolePolicy:RolePolicy", "fraud-detector-access-execution-policy")

feature_group := _urn("aws:sagemaker/featureGroup:FeatureGroup", "fraud-detector-features-card-transactions")

pipeline := _urn("aws:sagemaker/pipeline:Pipeline", "fraud-detector-training-pipeline")

model := _urn("aws:sagemaker/model:Model", "fraud-detector-serving-model")

endpoint_config := _urn("aws:sagemaker/endpointConfiguration:EndpointConfiguration", "fraud-detector-serving-config")

endpoint := _urn("aws:sagemaker/endpoint:Endpoint", "fraud-detector-serving-endpoint")

scaling_target := _urn("aws:appautoscaling/target:Target", "fraud-detector-serving-scaling-target")

latency_alarm := _urn("aws:cloudwatch/metricAlarm:MetricAlarm", "fraud-detector-serving-latency-alarm")

errors_alarm := _urn("aws:cloudwatch/metricAlarm:MetricAlarm", "fraud-detector-serving-5xx-alarm")

data_quality_job := _urn("aws:sagemaker/dataQualityJobDefinition:DataQualityJobDefinition", "fraud-detector-monitoring-data-quality")

model_quality_job := _urn("aws-native:sagemaker:ModelQualityJobDefinition", "fraud-detector-monitoring-model-quality")

schedule := _urn("aws:sagemaker/monitoringSchedule:MonitoringSchedule", "fraud-detector-monitoring-data-quality-schedule")

ticket_router := _urn("mlops:model:ModelStack", "ticket-router")

serverless_model := _urn("aws:sagemaker/model:Model", "ticket-router-serving-model")

serverless_config := _urn("aws:sagemaker/endpointConfiguration:EndpointConfiguration", "ticket-router-serving-config")

serverless_endpoint := _urn("aws:sagemaker/endpoint:Endpoint", "ticket-router-serving-endpoint")

serverless_alarm := _urn("aws:cloudwatch/metricAlarm:MetricAlarm", "ticket-router-serving-5xx-alarm")

_shared_tags := {
	"owner": "platform-oncall@example.com",
	"team": "ml-platform",
	"cost-center": "CC-1000",
	"data-classification": "pii",
	"model": "shared",
	"environment": "prod",
	"risk-tier": "high",
	"managed-by": "mlops-platform",
}

# The platform's tags, for cases that change one of them.
shared_tags := _shared_tags

_fraud_tags := {
	"owner": "priya.raman@example.com",
	"team": "payments-risk",
	"cost-center": "CC-4410",
	"data-classification": "pii",
	"model": "fraud-detector",
	"environment": "prod",
	"risk-tier": "high",
	"managed-by": "mlops-platform",
}

_ticket_tags := object.union(_fraud_tags, {
	"owner": "amara.okafor@example.com",
	"team": "support-tooling",
	"cost-center": "CC-3300",
	"data-classification": "internal",
	"model": "ticket-router",
	"risk-tier": "low",
})

_resource(urn, model_name, dependencies, inputs, tags) := {
	"urn": urn,
	"type": split(urn, "::")[2],
	"name": split(urn, "::")[3],
	"parent": null,
	"dependencies": dependencies,
	"inputs": inputs,
	"tags": tags,
	"model": model_name,
}

_vpc := {"subnets": subnets, "securityGroupIds": security_groups}

_network := {
	"enableInterContainerTrafficEncryption": true,
	"enableNetworkIsolation": true,
	"vpcConfig": _vpc,
}

# Prepare (Processing) → Train (Training) → CheckThreshold (Condition) → Register (RegisterModel).
pipeline_definition := {
	"Version": "2020-12-01",
	"Parameters": [],
	"Steps": [
		{
			"Name": "Prepare",
			"Type": "Processing",
			"Arguments": {
				"ProcessingResources": {"ClusterConfig": {
					"InstanceType": "ml.m5.xlarge",
					"InstanceCount": 1,
					"VolumeSizeInGB": 30,
					"VolumeKmsKeyId": key_arn,
				}},
				"ProcessingOutputConfig": {
					"Outputs": [{"OutputName": "train", "S3Output": {"S3Uri": "s3://acme-prod-artifacts-x/fraud-detector/prepared"}}],
					"KmsKeyId": key_arn,
				},
				"NetworkConfig": {
					"EnableNetworkIsolation": false,
					"EnableInterContainerTrafficEncryption": true,
					"VpcConfig": {"Subnets": subnets, "SecurityGroupIds": security_groups},
				},
			},
		},
		{
			"Name": "Train",
			"Type": "Training",
			"Arguments": {
				"OutputDataConfig": {"S3OutputPath": "s3://acme-prod-artifacts-x/fraud-detector/models", "KmsKeyId": key_arn},
				"ResourceConfig": {
					"InstanceType": "ml.m5.2xlarge",
					"InstanceCount": 1,
					"VolumeSizeInGB": 100,
					"VolumeKmsKeyId": key_arn,
				},
				"VpcConfig": {"Subnets": subnets, "SecurityGroupIds": security_groups},
				"EnableNetworkIsolation": true,
				"EnableInterContainerTrafficEncryption": true,
			},
		},
		{
			"Name": "CheckThreshold",
			"Type": "Condition",
			"Arguments": {
				"Conditions": [{"Type": "GreaterThanOrEqualTo", "LeftValue": {"Std:JsonGet": {"Path": "metrics.auc.value"}}, "RightValue": 0.92}],
				"IfSteps": [{
					"Name": "Register",
					"Type": "RegisterModel",
					"Arguments": {"ModelPackageGroupName": "acme-prod-fraud-detector", "ModelApprovalStatus": "PendingManualApproval"},
				}],
				"ElseSteps": [{"Name": "BelowThreshold", "Type": "Fail", "Arguments": {"ErrorMessage": "auc below 0.92"}}],
			},
		},
	],
}

_execution_policy := {
	"Version": "2012-10-17",
	"Statement": [
		{
			"Sid": "ModelObjects",
			"Effect": "Allow",
			"Action": ["s3:GetObject", "s3:PutObject"],
			"Resource": ["arn:aws:s3:::acme-prod-artifacts-x/fraud-detector/*"],
		},
		{
			"Sid": "ModelPrefixes",
			"Effect": "Allow",
			"Action": ["s3:ListBucket"],
			"Resource": ["arn:aws:s3:::acme-prod-artifacts-x"],
			"Condition": {"StringLike": {"s3:prefix": ["fraud-detector/*"]}},
		},
		{
			"Sid": "KeyUse",
			"Effect": "Allow",
			"Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
			"Resource": [key_arn],
		},
		{
			"Sid": "AccountScopedCalls",
			"Effect": "Allow",
			"Action": ["ecr:GetAuthorizationToken", "cloudwatch:PutMetricData"],
			"Resource": "*",
		},
	],
}

_tls_only_policy := {
	"Version": "2012-10-17",
	"Statement": [{
		"Sid": "DenyInsecureTransport",
		"Effect": "Deny",
		"Principal": "*",
		"Action": "s3:*",
		"Resource": ["arn:aws:s3:::acme-prod-artifacts-x", "arn:aws:s3:::acme-prod-artifacts-x/*"],
		"Condition": {"Bool": {"aws:SecureTransport": "false"}},
	}],
}

# The destination of server access logs: TLS only, and the S3 logging service may put objects
# for this account's buckets.
log_bucket_policy_document := {
	"Version": "2012-10-17",
	"Statement": [
		{
			"Sid": "DenyInsecureTransport",
			"Effect": "Deny",
			"Principal": "*",
			"Action": "s3:*",
			"Resource": ["arn:aws:s3:::acme-prod-access-logs-x", "arn:aws:s3:::acme-prod-access-logs-x/*"],
			"Condition": {"Bool": {"aws:SecureTransport": "false"}},
		},
		{
			"Sid": "ServerAccessLogDelivery",
			"Effect": "Allow",
			"Principal": {"Service": "logging.s3.amazonaws.com"},
			"Action": "s3:PutObject",
			"Resource": "arn:aws:s3:::acme-prod-access-logs-x/*",
			"Condition": {
				"StringEquals": {"aws:SourceAccount": "123456789012"},
				"ArnLike": {"aws:SourceArn": ["arn:aws:s3:::acme-prod-artifacts-*"]},
			},
		},
	],
}

# The platform key's policy: named principals, and services narrowed to this account.
key_policy_document := {
	"Version": "2012-10-17",
	"Statement": [
		{
			"Sid": "AccountAdministration",
			"Effect": "Allow",
			"Principal": {"AWS": "arn:aws:iam::123456789012:root"},
			"Action": "kms:*",
			"Resource": "*",
		},
		{
			"Sid": "AlertPublishers",
			"Effect": "Allow",
			"Principal": {"Service": ["cloudwatch.amazonaws.com", "events.amazonaws.com"]},
			"Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
			"Resource": "*",
			"Condition": {"StringEquals": {"aws:SourceAccount": "123456789012"}},
		},
	],
}

# Who may assume fraud-detector's execution role.
trust_policy_document := {
	"Version": "2012-10-17",
	"Statement": [{"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}

# Noncurrent versions expire after prod's retention for the bucket's role (parameters.json).
_lifecycle(days) := {"rules": [{
	"id": "expire-noncurrent-versions",
	"status": "Enabled",
	"filter": {},
	"noncurrentVersionExpiration": {"noncurrentDays": days},
	"abortIncompleteMultipartUpload": {"daysAfterInitiation": 7},
}]}

_fraud_spec := {
	"metadata": {"name": "fraud-detector", "risk_tier": "high", "data_classification": "pii"},
	"registry": {"approval": "manual", "pinned_version": 14},
	"serving": {"mode": "realtime"},
}

_ticket_spec := {
	"metadata": {"name": "ticket-router", "risk_tier": "low", "data_classification": "internal"},
	"registry": {"approval": "manual", "pinned_version": 3},
	"serving": {"mode": "serverless"},
}

stack := {
	"version": 1,
	"stack": "prod",
	"environment": "prod",
	"region": "eu-west-1",
	"network": {"subnet_ids": subnets, "security_group_ids": security_groups},
	"models": [
		{"name": "fraud-detector", "source": "models/fraud-detector.yaml", "spec": _fraud_spec},
		{"name": "ticket-router", "source": "models/ticket-router.yaml", "spec": _ticket_spec},
	],
	"resources": [
		_resource(key, null, [], {"enableKeyRotation": true, "policy": json.marshal(key_policy_document), "tags": _shared_tags}, _shared_tags),
		_resource(bucket, null, [], {"bucketPrefix": "acme-prod-artifacts-", "tags": _shared_tags}, _shared_tags),
		_resource(bucket_encryption, null, [key, bucket], {
			"bucket": "acme-prod-artifacts-x",
			"rules": [{
				"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": key_arn},
				"bucketKeyEnabled": true,
			}],
		}, {}),
		_resource(public_access_block, null, [bucket], {
			"bucket": "acme-prod-artifacts-x",
			"blockPublicAcls": true,
			"blockPublicPolicy": true,
			"ignorePublicAcls": true,
			"restrictPublicBuckets": true,
		}, {}),
		_resource(bucket_versioning, null, [bucket], {
			"bucket": "acme-prod-artifacts-x",
			"versioningConfiguration": {"status": "Enabled"},
		}, {}),
		_resource(bucket_policy, null, [bucket], {"bucket": "acme-prod-artifacts-x", "policy": json.marshal(_tls_only_policy)}, {}),
		_resource(bucket_lifecycle, null, [bucket, bucket_versioning], object.union({"bucket": "acme-prod-artifacts-x"}, _lifecycle(90)), {}),
		_resource(bucket_logging, null, [bucket, log_bucket, log_bucket_policy], {
			"bucket": "acme-prod-artifacts-x",
			"targetBucket": "acme-prod-access-logs-x",
			"targetPrefix": "artifacts/",
		}, {}),
		_resource(log_bucket, null, [], {"bucketPrefix": "acme-prod-access-logs-", "tags": _shared_tags}, _shared_tags),
		_resource(log_bucket_encryption, null, [log_bucket], {
			"bucket": "acme-prod-access-logs-x",
			"rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}],
		}, {}),
		_resource(log_public_access_block, null, [log_bucket], {
			"bucket": "acme-prod-access-logs-x",
			"blockPublicAcls": true,
			"blockPublicPolicy": true,
			"ignorePublicAcls": true,
			"restrictPublicBuckets": true,
		}, {}),
		_resource(log_bucket_versioning, null, [log_bucket], {
			"bucket": "acme-prod-access-logs-x",
			"versioningConfiguration": {"status": "Enabled"},
		}, {}),
		_resource(log_bucket_policy, null, [log_bucket, log_public_access_block], {"bucket": "acme-prod-access-logs-x", "policy": json.marshal(log_bucket_policy_document)}, {}),
		_resource(log_bucket_lifecycle, null, [log_bucket, log_bucket_versioning], object.union({"bucket": "acme-prod-access-logs-x"}, _lifecycle(365)), {}),
		_resource(topic, null, [key], {"name": "acme-prod-ml-alerts", "kmsMasterKeyId": key_arn, "tags": _shared_tags}, _shared_tags),
		_resource(fraud_detector, "fraud-detector", [], {}, {}),
		_resource(role, "fraud-detector", [], {
			"name": "acme-prod-fraud-detector-sagemaker",
			"assumeRolePolicy": json.marshal(trust_policy_document),
			"tags": _fraud_tags,
		}, _fraud_tags),
		_resource(role_policy, "fraud-detector", [role, key, bucket], {"role": "acme-prod-fraud-detector-sagemaker", "policy": json.marshal(_execution_policy)}, {}),
		_resource(feature_group, "fraud-detector", [role, key, bucket], {
			"featureGroupName": "acme-prod-fraud-detector-card-transactions",
			"onlineStoreConfig": {"enableOnlineStore": true, "securityConfig": {"kmsKeyId": key_arn}},
			"offlineStoreConfig": {"s3StorageConfig": {"kmsKeyId": key_arn, "s3Uri": "s3://acme-prod-artifacts-x/fraud-detector/card-transactions"}},
			"tags": object.union(_fraud_tags, {"contains-pii": "true"}),
		}, object.union(_fraud_tags, {"contains-pii": "true"})),
		_resource(pipeline, "fraud-detector", [role, key, bucket], {
			"pipelineName": "acme-prod-fraud-detector",
			"pipelineDefinition": json.marshal(pipeline_definition),
			"tags": _fraud_tags,
		}, _fraud_tags),
		_resource(model, "fraud-detector", [role], {
			"enableNetworkIsolation": true,
			"executionRoleArn": "arn:aws:iam::123456789012:role/acme-prod-fraud-detector-sagemaker",
			"primaryContainer": {"modelPackageName": "arn:aws:sagemaker:eu-west-1:123456789012:model-package/acme-prod-fraud-detector/14"},
			"vpcConfig": _vpc,
			"tags": _fraud_tags,
		}, _fraud_tags),
		_resource(endpoint_config, "fraud-detector", [model, key, bucket], {
			"kmsKeyArn": key_arn,
			"dataCaptureConfig": {
				"enableCapture": true,
				"destinationS3Uri": "s3://acme-prod-artifacts-x/fraud-detector/capture",
				"initialSamplingPercentage": 100,
				"kmsKeyId": key_arn,
				"captureOptions": [{"captureMode": "Input"}, {"captureMode": "Output"}],
			},
			"productionVariants": [{
				"variantName": "primary",
				"modelName": "fraud-detector-serving-model",
				"instanceType": "ml.c5.2xlarge",
				"initialInstanceCount": 3,
			}],
			"tags": _fraud_tags,
		}, _fraud_tags),
		_resource(endpoint, "fraud-detector", [endpoint_config, latency_alarm, errors_alarm], {
			"name": "acme-prod-fraud-detector",
			"endpointConfigName": "fraud-detector-serving-config",
			"deploymentConfig": {
				"blueGreenUpdatePolicy": {"trafficRoutingConfiguration": {"type": "CANARY", "canarySize": {"type": "CAPACITY_PERCENT", "value": 10}, "waitIntervalInSeconds": 900}},
				"autoRollbackConfiguration": {"alarms": [{"alarmName": "acme-prod-fraud-detector-latency-p99"}, {"alarmName": "acme-prod-fraud-detector-5xx"}]},
			},
			"tags": _fraud_tags,
		}, _fraud_tags),
		_resource(scaling_target, "fraud-detector", [endpoint], {
			"resourceId": "endpoint/acme-prod-fraud-detector/variant/primary",
			"scalableDimension": "sagemaker:variant:DesiredInstanceCount",
			"serviceNamespace": "sagemaker",
			"minCapacity": 3,
			"maxCapacity": 12,
			"tags": _fraud_tags,
		}, _fraud_tags),
		_resource(latency_alarm, "fraud-detector", [topic], {
			"name": "acme-prod-fraud-detector-latency-p99",
			"alarmActions": [topic_arn],
			"dimensions": {"EndpointName": "acme-prod-fraud-detector", "VariantName": "primary"},
			"tags": _fraud_tags,
		}, _fraud_tags),
		_resource(errors_alarm, "fraud-detector", [topic], {
			"name": "acme-prod-fraud-detector-5xx",
			"alarmActions": [topic_arn],
			"dimensions": {"EndpointName": "acme-prod-fraud-detector", "VariantName": "primary"},
			"tags": _fraud_tags,
		}, _fraud_tags),
		_resource(data_quality_job, "fraud-detector", [endpoint, key, bucket], {
			"name": "acme-prod-fraud-detector-dq",
			"dataQualityJobInput": {"endpointInput": {"endpointName": "acme-prod-fraud-detector"}},
			"dataQualityJobOutputConfig": {"kmsKeyId": key_arn},
			"jobResources": {"clusterConfig": {"instanceCount": 1, "instanceType": "ml.m5.large", "volumeKmsKeyId": key_arn, "volumeSizeInGb": 20}},
			"networkConfig": _network,
			"tags": _fraud_tags,
		}, _fraud_tags),
		_resource(model_quality_job, "fraud-detector", [endpoint, key, bucket], {
			"jobDefinitionName": "acme-prod-fraud-detector-mq",
			"modelQualityJobOutputConfig": {"kmsKeyId": key_arn},
			"jobResources": {"clusterConfig": {"instanceCount": 1, "instanceType": "ml.m5.large", "volumeKmsKeyId": key_arn, "volumeSizeInGb": 20}},
			"networkConfig": _network,
		}, _fraud_tags),
		_resource(schedule, "fraud-detector", [data_quality_job], {
			"name": "acme-prod-fraud-detector-dq-schedule",
			"monitoringScheduleConfig": {"monitoringJobDefinitionName": "acme-prod-fraud-detector-dq", "monitoringType": "DataQuality"},
			"tags": _fraud_tags,
		}, _fraud_tags),
		_resource(ticket_router, "ticket-router", [], {}, {}),
		_resource(serverless_model, "ticket-router", [], {
			"executionRoleArn": "arn:aws:iam::123456789012:role/acme-prod-ticket-router-sagemaker",
			"primaryContainer": {"modelPackageName": "arn:aws:sagemaker:eu-west-1:123456789012:model-package/acme-prod-ticket-router/3"},
			"tags": _ticket_tags,
		}, _ticket_tags),
		_resource(serverless_config, "ticket-router", [serverless_model], {
			"productionVariants": [{
				"variantName": "primary",
				"modelName": "ticket-router-serving-model",
				"serverlessConfig": {"maxConcurrency": 20, "memorySizeInMb": 3072},
			}],
			"tags": _ticket_tags,
		}, _ticket_tags),
		_resource(serverless_endpoint, "ticket-router", [serverless_config, serverless_alarm], {
			"name": "acme-prod-ticket-router",
			"deploymentConfig": {
				"blueGreenUpdatePolicy": {"trafficRoutingConfiguration": {"type": "ALL_AT_ONCE", "waitIntervalInSeconds": 600}},
				"autoRollbackConfiguration": {"alarms": [{"alarmName": "acme-prod-ticket-router-5xx"}]},
			},
			"tags": _ticket_tags,
		}, _ticket_tags),
		_resource(serverless_alarm, "ticket-router", [topic], {
			"name": "acme-prod-ticket-router-5xx",
			"alarmActions": [topic_arn],
			"dimensions": {"EndpointName": "acme-prod-ticket-router"},
			"tags": _ticket_tags,
		}, _ticket_tags),
	],
}

# `doc` with the inputs of resource `urn` deep-merged with `patch` (a null value stays null).
with_inputs(doc, urn, patch) := object.union(doc, {"resources": [_merged(r, urn, patch) | some r in doc.resources]})

_merged(resource, urn, patch) := object.union(resource, {"inputs": patch}) if {
	resource.urn == urn
} else := resource

# `doc` with JSON Patch `operations` applied to resource `urn` (paths start at the resource).
patch_resource(doc, urn, operations) := object.union(doc, {"resources": [_patched(r, urn, operations) | some r in doc.resources]})

_patched(resource, urn, operations) := json.patch(resource, operations) if {
	resource.urn == urn
} else := resource

# `doc` with the tags of resource `urn` (both its tags and its inputs' tags) replaced.
with_tags(doc, urn, tags) := patch_resource(doc, urn, [
	{"op": "replace", "path": "/tags", "value": tags},
	{"op": "add", "path": "/inputs/tags", "value": tags},
])

without(doc, urn) := object.union(doc, {"resources": [r | some r in doc.resources; r.urn != urn]})

with_resources(doc, extra) := object.union(doc, {"resources": array.concat(doc.resources, extra)})

# A new resource for `with_resources`, URN and tags chosen like the fixture's own.
resource(type, name, model_name, dependencies, inputs) := _resource(_urn(type, name), model_name, dependencies, inputs, {})

urn(type, name) := _urn(type, name)

with_pipeline(doc, definition) := with_inputs(doc, pipeline, {"pipelineDefinition": json.marshal(definition)})

# The fixture in another environment.
in_environment(doc, environment) := object.union(doc, {"environment": environment, "stack": environment})
