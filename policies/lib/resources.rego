# Shared helpers for the policies: type-safe access to the input document, links between
# resources, KMS key and instance-type rules, and the parsed SageMaker pipeline definitions.
# A library, not a policy: no METADATA and no deny. Every helper tolerates missing or
# mistyped values (regorus raises on builtin type errors, which would fail the whole gate).
package mlops.lib.resources

import rego.v1

# Thresholds and switches of the stack's environment. An environment without its own entry
# gets prod's, the strictest, so a misspelt environment name never switches a check off.
parameters := object.get(data.parameters, _environment, data.parameters.prod)

_environment := input.environment if {
	is_string(input.environment)
} else := "prod"

# True when the stack has a VPC to place SageMaker workloads in and its environment requires it.
vpc_required if {
	parameters.require_vpc == true
	is_object(input.network)
}

_at(value, path) := object.get(value, path, null) if is_object(value)

# The value at `path` (a key or an array of keys) when it has the named type, else an empty one.
array_at(value, path) := found if {
	found := _at(value, path)
	is_array(found)
} else := []

object_at(value, path) := found if {
	found := _at(value, path)
	is_object(found)
} else := {}

string_at(value, path) := found if {
	found := _at(value, path)
	is_string(found)
} else := ""

number_at(value, path) := found if {
	found := _at(value, path)
	is_number(found)
} else := 0

# The raw value at `path`, null when absent: for messages and for values of several types.
value_at(value, path) := _at(value, path)

# Whether the value at `path` is exactly true: false for false, absent and anything else.
true_at(value, path) := true if {
	_at(value, path) == true
} else := false

all_resources := array_at(input, ["resources"])

# Indexes built once per evaluation: helpers look resources up in them instead of scanning
# every resource on every call, which made policies quadratic in the size of a stack.
_by_type[type] contains r if {
	some r in all_resources
	type := r.type
}

_dependents[urn] contains r if {
	some r in all_resources
	some urn in array_at(r, ["dependencies"])
}

resources_of(type) := [r | some r in _by_type[type]]

depends_on(resource, target) if target.urn in array_at(resource, ["dependencies"])

# Resources of `type` that declare a dependency on `target` (how Pulumi records that one
# resource takes another's output, e.g. a bucket policy the bucket's id).
linked(type, target) := [r | some r in _dependents[target.urn]; r.type == type]

tags(resource) := object_at(resource, ["tags"])

_specs := {m.name: m.spec | some m in array_at(input, ["models"])}

model_spec(name) := _specs[name]

# Where findings about a model's spec (not one AWS resource) land: its component resource,
# else the first of its resources, so the finding is never lost.
model_urn(name) := urn if {
	some r in resources_of("mlops:model:ModelStack")
	r.name == name
	urn := r.urn
} else := urn if {
	urns := sort([r.urn | some r in all_resources; r.model == name])
	urn := urns[0]
}

# Set, non-empty and not an AWS managed key (`alias/aws/<service>`, bare or as an alias ARN):
# AWS managed keys cannot be restricted by key policy, rotated on demand or disabled.
customer_managed_key(key) if {
	is_string(key)
	trim_space(key) != ""
	not regex.match(`(^|:)alias/aws/`, key)
}

# Instance families with local NVMe storage, which SageMaker encrypts in hardware: it rejects
# any KMS key for their volumes, so the volume-key requirement cannot apply to them.
instance_storage(instance_type) if {
	is_string(instance_type)
	regex.match(parameters.instance_storage_pattern, instance_type)
}

endpoint_config_type := "aws:sagemaker/endpointConfiguration:EndpointConfiguration"

variants(config) := array.concat(
	array_at(config, ["inputs", "productionVariants"]),
	array_at(config, ["inputs", "shadowProductionVariants"]),
)

serverless(variant) if is_object(variant.serverlessConfig)

instance_variants(config) := [v | some v in variants(config); not serverless(v)]

# An endpoint configuration with at least one variant on provisioned instances (realtime or async).
instance_backed(config) if count(instance_variants(config)) > 0

endpoint_configs(endpoint) := [c |
	some c in resources_of(endpoint_config_type)
	_serves(endpoint, c)
]

_serves(endpoint, config) if depends_on(endpoint, config)

_serves(endpoint, config) if {
	name := string_at(config, ["inputs", "name"])
	name != ""
	string_at(endpoint, ["inputs", "endpointConfigName"]) == name
}

instance_backed_endpoint(endpoint) if {
	some config in endpoint_configs(endpoint)
	instance_backed(config)
}

# A model served by at least one serverless variant and by no provisioned instances. SageMaker
# Serverless Inference supports neither VPC configuration nor network isolation, so those
# requirements cannot apply to it. A model no endpoint configuration serves, or whose serving
# configurations declare no variant the plan knows, is not serverless: the exemption needs proof.
serverless_model(model) if {
	configs := linked(endpoint_config_type, model)
	some config in configs
	some variant in variants(config)
	serverless(variant)
	every other in configs {
		not instance_backed(other)
	}
}

# Auto scaling targets of one endpoint variant, matched on the endpoint link and the variant name.
scaling_targets(endpoint, variant) := [target |
	some target in linked("aws:appautoscaling/target:Target", endpoint)
	endswith(string_at(target, ["inputs", "resourceId"]), sprintf("/variant/%s", [string_at(variant, ["variantName"])]))
]

pipeline_definition(pipeline) := json.unmarshal(text) if {
	text := string_at(pipeline, ["inputs", "pipelineDefinition"])
	json.is_valid(text)
}

# Every step of a pipeline definition, including those nested in a Condition step's branches.
# Parsed once per evaluation for all pipelines: definitions are large and many policies read them.
pipeline_steps(pipeline) := object.get(_steps, pipeline.urn, [])

_steps := {p.urn: steps |
	some p in resources_of("aws:sagemaker/pipeline:Pipeline")
	steps := [step |
		walk(pipeline_definition(p), [path, step])
		count(path) >= 2
		path[count(path) - 2] in {"Steps", "IfSteps", "ElseSteps"}
		is_object(step)
	]
}

# The training and processing jobs of a pipeline, with the settings policies check in one shape.
# QualityCheck and ClarifyCheck steps run processing jobs and carry the same arguments.
pipeline_jobs(pipeline) := object.get(_jobs, pipeline.urn, [])

_jobs := {urn: jobs |
	some urn, steps in _steps
	jobs := array.concat(
		[_training_job(step) | some step in steps; step.Type == "Training"],
		[_processing_job(step) | some step in steps; step.Type in _processing_step_types],
	)
}

_processing_step_types := {"Processing", "QualityCheck", "ClarifyCheck"}

_training_job(step) := {
	"step": string_at(step, ["Name"]),
	"kind": "training",
	"writes_outputs": true,
	"instance_type": value_at(step, ["Arguments", "ResourceConfig", "InstanceType"]),
	"volume_kms_key": value_at(step, ["Arguments", "ResourceConfig", "VolumeKmsKeyId"]),
	"output_kms_key": value_at(step, ["Arguments", "OutputDataConfig", "KmsKeyId"]),
	"subnets": array_at(step, ["Arguments", "VpcConfig", "Subnets"]),
	"security_groups": array_at(step, ["Arguments", "VpcConfig", "SecurityGroupIds"]),
	"network_isolation": true_at(step, ["Arguments", "EnableNetworkIsolation"]),
	"inter_container_encryption": true_at(step, ["Arguments", "EnableInterContainerTrafficEncryption"]),
}

_processing_job(step) := {
	"step": string_at(step, ["Name"]),
	"kind": "processing",
	"writes_outputs": is_object(value_at(step, ["Arguments", "ProcessingOutputConfig"])),
	"instance_type": value_at(step, ["Arguments", "ProcessingResources", "ClusterConfig", "InstanceType"]),
	"volume_kms_key": value_at(step, ["Arguments", "ProcessingResources", "ClusterConfig", "VolumeKmsKeyId"]),
	"output_kms_key": value_at(step, ["Arguments", "ProcessingOutputConfig", "KmsKeyId"]),
	"subnets": array_at(step, ["Arguments", "NetworkConfig", "VpcConfig", "Subnets"]),
	"security_groups": array_at(step, ["Arguments", "NetworkConfig", "VpcConfig", "SecurityGroupIds"]),
	"network_isolation": true_at(step, ["Arguments", "NetworkConfig", "EnableNetworkIsolation"]),
	"inter_container_encryption": true_at(step, ["Arguments", "NetworkConfig", "EnableInterContainerTrafficEncryption"]),
}

# Model Monitor job definitions, by type, with the input key of their output configuration.
_monitoring_output_keys := {
	"aws:sagemaker/dataQualityJobDefinition:DataQualityJobDefinition": "dataQualityJobOutputConfig",
	"aws-native:sagemaker:DataQualityJobDefinition": "dataQualityJobOutputConfig",
	"aws-native:sagemaker:ModelQualityJobDefinition": "modelQualityJobOutputConfig",
	"aws-native:sagemaker:ModelBiasJobDefinition": "modelBiasJobOutputConfig",
	"aws-native:sagemaker:ModelExplainabilityJobDefinition": "modelExplainabilityJobOutputConfig",
}

# Every monitoring job definition with the settings policies check in one shape.
monitoring_jobs := [job |
	some r in all_resources
	output_key := _monitoring_output_keys[r.type]
	job := {
		"resource": r,
		"instance_type": value_at(r, ["inputs", "jobResources", "clusterConfig", "instanceType"]),
		"volume_kms_key": value_at(r, ["inputs", "jobResources", "clusterConfig", "volumeKmsKeyId"]),
		"output_kms_key": value_at(r, ["inputs", output_key, "kmsKeyId"]),
		"subnets": array_at(r, ["inputs", "networkConfig", "vpcConfig", "subnets"]),
		"security_groups": array_at(r, ["inputs", "networkConfig", "vpcConfig", "securityGroupIds"]),
		"inter_container_encryption": true_at(r, ["inputs", "networkConfig", "enableInterContainerTrafficEncryption"]),
	}
]

_identity_policy_types := {
	"aws:iam/rolePolicy:RolePolicy",
	"aws:iam/policy:Policy",
	"aws:iam/userPolicy:UserPolicy",
	"aws:iam/groupPolicy:GroupPolicy",
}

_policy_document(value) := json.unmarshal(value) if {
	is_string(value)
	json.is_valid(value)
}

_policy_document(value) := value if is_object(value)

_documents contains {"resource": r, "document": document} if {
	some r in all_resources
	r.type in _identity_policy_types
	document := _policy_document(value_at(r, ["inputs", "policy"]))
}

_documents contains {"resource": r, "document": document} if {
	some r in resources_of("aws:iam/role:Role")
	some inline in array_at(r, ["inputs", "inlinePolicies"])
	document := _policy_document(value_at(inline, ["policy"]))
}

_statements(document) := document.Statement if is_array(document.Statement)

_statements(document) := [document.Statement] if is_object(document.Statement)

_strings(value) := [value] if is_string(value)

_strings(value) := [s | some s in value; is_string(s)] if is_array(value)

_strings(value) := [] if {
	not is_string(value)
	not is_array(value)
}

# Allow statements of every identity policy (role, user, group, managed and inline), with
# Action and Resource always arrays of strings and the owning resource's URN, name and model.
allow_statements contains statement if {
	some entry in _documents
	some s in _statements(entry.document)
	s.Effect == "Allow"
	statement := {
		"urn": entry.resource.urn,
		"name": entry.resource.name,
		"model": value_at(entry.resource, ["model"]),
		"sid": string_at(s, ["Sid"]),
		"actions": _strings(value_at(s, ["Action"])),
		"resources": _strings(value_at(s, ["Resource"])),
	}
}

# The statements of an IAM or resource-based policy document (a key policy, a trust policy, a
# bucket policy) given as JSON text or an object, always as an array; empty when it does not parse.
policy_statements(value) := statements if {
	statements := _statements(_policy_document(value))
} else := []

# A bucket that receives S3 server access logs: its own bucket policy lets the S3 logging service
# put objects. S3 cannot deliver access logs to a bucket whose default encryption is SSE-KMS, and
# logging a log bucket would need yet another log bucket, so policies on buckets treat these apart.
access_log_destination(bucket) if {
	some policy in linked("aws:s3/bucketPolicy:BucketPolicy", bucket)
	_of_bucket_alone(policy, bucket)
	_grants_log_delivery(policy)
}

# A resource that depends on `bucket` and on no other bucket: one that also names another
# bucket's ARN depends on both, and could as well be that bucket's.
_of_bucket_alone(resource, bucket) if {
	every urn in array_at(resource, ["dependencies"]) {
		not _other_bucket(urn, bucket)
	}
}

_other_bucket(urn, bucket) if {
	some other in resources_of("aws:s3/bucket:Bucket")
	other.urn == urn
	urn != bucket.urn
}

_grants_log_delivery(policy) if {
	some statement in policy_statements(value_at(policy, ["inputs", "policy"]))
	value_at(statement, ["Effect"]) == "Allow"
	"logging.s3.amazonaws.com" in _strings(value_at(statement, ["Principal", "Service"]))
	some action in _strings(value_at(statement, ["Action"]))
	lower(action) == "s3:putobject"
}

# The model package version a model's spec pins, if it pins one.
pinned_version(name) := version if {
	some model in array_at(input, ["models"])
	model.name == name
	version := value_at(model, ["spec", "registry", "pinned_version"])
	is_number(version)
}

# The SageMaker model of `name` that serves its pinned package (an A/B test or a shadow has a model
# per variant), else its first SageMaker model, else its component: where a registry finding points.
serving_model(name) := urn if {
	pinned := pinned_version(name)
	urns := sort([r.urn |
		some r in resources_of("aws:sagemaker/model:Model")
		r.model == name
		endswith(string_at(r, ["inputs", "primaryContainer", "modelPackageName"]), sprintf("/%v", [pinned]))
	])
	urn := urns[0]
} else := urn if {
	urns := sort([r.urn | some r in resources_of("aws:sagemaker/model:Model"); r.model == name])
	urn := urns[0]
} else := model_urn(name)

# The bucket of an `s3://bucket/key` URI; "" for anything else (a pipeline expression, an https:// URI, a number).
s3_uri_bucket(uri) := bucket if {
	is_string(uri)
	startswith(uri, "s3://")
	bucket := split(trim_prefix(uri, "s3://"), "/")[0]
} else := ""

# The stack's buckets a physical bucket name can be: by explicit name, name prefix, or (auto-named)
# logical name followed by Pulumi's random suffix.
buckets_named(name) := [bucket |
	name != ""
	some bucket in resources_of("aws:s3/bucket:Bucket")
	_bucket_named(bucket, name)
]

_bucket_named(bucket, name) if string_at(bucket, ["inputs", "bucket"]) == name

_bucket_named(bucket, name) if {
	prefix := string_at(bucket, ["inputs", "bucketPrefix"])
	prefix != ""
	startswith(name, prefix)
}

_bucket_named(bucket, name) if {
	string_at(bucket, ["inputs", "bucket"]) == ""
	string_at(bucket, ["inputs", "bucketPrefix"]) == ""
	startswith(name, sprintf("%s-", [bucket.name]))
}

# The input key of each Model Monitor job definition type, where its endpoint input names the endpoint.
_monitoring_input_keys := {
	"aws:sagemaker/dataQualityJobDefinition:DataQualityJobDefinition": "dataQualityJobInput",
	"aws-native:sagemaker:DataQualityJobDefinition": "dataQualityJobInput",
	"aws-native:sagemaker:ModelQualityJobDefinition": "modelQualityJobInput",
	"aws-native:sagemaker:ModelBiasJobDefinition": "modelBiasJobInput",
	"aws-native:sagemaker:ModelExplainabilityJobDefinition": "modelExplainabilityJobInput",
}

_monitoring_schedule_types := {
	"aws:sagemaker/monitoringSchedule:MonitoringSchedule",
	"aws-native:sagemaker:MonitoringSchedule",
}

# The job definitions of `types` that watch `endpoint`: linked by dependency, or by the endpoint
# name their endpoint input holds (the pack's inputs may carry names rather than dependencies).
monitors_of(endpoint, types) := [job |
	some job in all_resources
	job.type in types
	_watches(job, endpoint)
]

_watches(job, endpoint) if depends_on(job, endpoint)

_watches(job, endpoint) if {
	name := string_at(endpoint, ["inputs", "name"])
	name != ""
	string_at(job, ["inputs", _monitoring_input_keys[job.type], "endpointInput", "endpointName"]) == name
}

# Whether a monitoring schedule runs one of the jobs: by dependency, or by the job definition's name.
scheduled(jobs) if {
	some job in jobs
	some schedule in all_resources
	schedule.type in _monitoring_schedule_types
	_runs(schedule, job)
}

_runs(schedule, job) if depends_on(schedule, job)

_runs(schedule, job) if {
	name := _job_definition_name(job)
	name != ""
	string_at(schedule, ["inputs", "monitoringScheduleConfig", "monitoringJobDefinitionName"]) == name
}

# pulumi-aws names a job definition `name`, the Cloud Control schema `jobDefinitionName`.
_job_definition_name(job) := string_at(job, ["inputs", "name"]) if startswith(job.type, "aws:")

_job_definition_name(job) := string_at(job, ["inputs", "jobDefinitionName"]) if startswith(job.type, "aws-native:")
