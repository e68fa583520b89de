package mlops.governance.experiment_tracking_test

import rego.v1

import data.mlops.governance.experiment_tracking
import data.mlops.lib.fixtures_test as fixtures

_role_arn := "arn:aws:iam::123456789012:role/acme-prod-mlflow-server"

_server_role := fixtures.resource("aws:iam/role:Role", "platform-mlflow-role", null, [], {"name": "acme-prod-mlflow-server"})

_server := fixtures.resource("aws:sagemaker/mlflowTrackingServer:MlflowTrackingServer", "platform-mlflow-server", null, [_server_role.urn, fixtures.bucket], {
	"trackingServerName": "acme-prod-mlflow",
	"artifactStoreUri": "s3://acme-prod-artifacts-x/mlflow",
	"roleArn": _role_arn,
	"trackingServerSize": "Small",
})

_stack := fixtures.with_resources(fixtures.stack, [_server_role, _server])

# The server's role granted `arn` by a resource of `type` with `inputs`, depending on `dependencies`.
_attached(type, inputs, dependencies) := fixtures.with_resources(_stack, [fixtures.resource(type, "platform-mlflow-extra", null, dependencies, inputs)])

_s3_full_access := "arn:aws:iam::aws:policy/AmazonS3FullAccess"

_full_access_denied := {{
	"resource": _server.urn,
	"message": "MLflow tracking server platform-mlflow-server must not have its role platform-mlflow-role granted the AWS managed policy arn:aws:iam::aws:policy/AmazonS3FullAccess; grant it the artifact prefix and the KMS key only",
}}

_store(doc, uri) := fixtures.with_inputs(doc, _server.urn, {"artifactStoreUri": uri})

_not_kms(bucket) := {{
	"resource": _server.urn,
	"message": sprintf("MLflow tracking server platform-mlflow-server must keep its artifacts in a bucket that defaults to SSE-KMS with a customer-managed key; bucket %s does not", [bucket]),
}}

test_encrypted_store_and_narrow_role_allowed if {
	count(experiment_tracking.deny) == 0 with input as _stack
}

test_https_store_denied if {
	doc := _store(_stack, "https://mlflow.example.com/artifacts")
	experiment_tracking.deny == {{
		"resource": _server.urn,
		"message": "MLflow tracking server platform-mlflow-server must keep its artifacts in S3 (artifactStoreUri s3://<bucket>/<prefix>), not https://mlflow.example.com/artifacts",
	}} with input as doc
}

test_missing_store_denied if {
	doc := fixtures.patch_resource(_stack, _server.urn, [{"op": "remove", "path": "/inputs/artifactStoreUri"}])
	experiment_tracking.deny == {{
		"resource": _server.urn,
		"message": "MLflow tracking server platform-mlflow-server must keep its artifacts in S3 (artifactStoreUri s3://<bucket>/<prefix>), not null",
	}} with input as doc
}

test_bucket_of_another_stack_denied if {
	doc := _store(_stack, "s3://someone-elses-bucket/mlflow")
	experiment_tracking.deny == {{
		"resource": _server.urn,
		"message": "MLflow tracking server platform-mlflow-server must keep its artifacts in a bucket this stack declares, whose encryption the gate can check; someone-elses-bucket is not one",
	}} with input as doc
}

test_sse_s3_bucket_denied if {
	doc := _store(_stack, "s3://acme-prod-access-logs-x/mlflow")
	experiment_tracking.deny == _not_kms("platform-access-logs") with input as doc
}

test_bucket_without_encryption_configuration_denied if {
	doc := fixtures.without(_stack, fixtures.bucket_encryption)
	experiment_tracking.deny == _not_kms("platform-artifacts") with input as doc
}

test_aws_managed_key_denied if {
	doc := fixtures.patch_resource(_stack, fixtures.bucket_encryption, [{
		"op": "replace",
		"path": "/inputs/rules/0/applyServerSideEncryptionByDefault/kmsMasterKeyId",
		"value": "alias/aws/s3",
	}])
	experiment_tracking.deny == _not_kms("platform-artifacts") with input as doc
}

test_dsse_kms_allowed if {
	doc := fixtures.patch_resource(_stack, fixtures.bucket_encryption, [{
		"op": "replace",
		"path": "/inputs/rules/0/applyServerSideEncryptionByDefault/sseAlgorithm",
		"value": "aws:kms:dsse",
	}])
	count(experiment_tracking.deny) == 0 with input as doc
}

# A bucket named outright, or auto-named from its logical name, is found as well.
_named_bucket(inputs, uri) := doc if {
	store := fixtures.resource("aws:s3/bucket:Bucket", "mlflow-store", null, [], inputs)
	sse := fixtures.resource("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "mlflow-store-sse", null, [store.urn], {"rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}]})
	doc := _store(fixtures.with_resources(_stack, [store, sse]), uri)
}

test_explicitly_named_bucket_checked if {
	doc := _named_bucket({"bucket": "mlflow-artifacts"}, "s3://mlflow-artifacts/runs")
	experiment_tracking.deny == _not_kms("mlflow-store") with input as doc
}

test_auto_named_bucket_checked if {
	doc := _named_bucket({}, "s3://mlflow-store-4f2a1b/runs")
	experiment_tracking.deny == _not_kms("mlflow-store") with input as doc
}

test_named_bucket_is_not_matched_by_its_logical_name if {
	doc := _named_bucket({"bucket": "mlflow-artifacts"}, "s3://mlflow-store-4f2a1b/runs")
	experiment_tracking.deny == {{
		"resource": _server.urn,
		"message": "MLflow tracking server platform-mlflow-server must keep its artifacts in a bucket this stack declares, whose encryption the gate can check; mlflow-store-4f2a1b is not one",
	}} with input as doc
}

test_prefixed_bucket_is_not_matched_by_its_logical_name if {
	doc := _named_bucket({"bucketPrefix": "mlflow-artifacts-"}, "s3://mlflow-store-4f2a1b/runs")
	experiment_tracking.deny == {{
		"resource": _server.urn,
		"message": "MLflow tracking server platform-mlflow-server must keep its artifacts in a bucket this stack declares, whose encryption the gate can check; mlflow-store-4f2a1b is not one",
	}} with input as doc
}

test_full_access_on_the_role_denied if {
	doc := fixtures.with_inputs(_stack, _server_role.urn, {"managedPolicyArns": [_s3_full_access]})
	experiment_tracking.deny == _full_access_denied with input as doc
}

test_full_access_attached_by_role_name_denied if {
	doc := _attached("aws:iam/rolePolicyAttachment:RolePolicyAttachment", {"role": "acme-prod-mlflow-server", "policyArn": _s3_full_access}, [])
	experiment_tracking.deny == _full_access_denied with input as doc
}

test_full_access_attached_through_the_role_output_denied if {
	doc := _attached("aws:iam/rolePolicyAttachment:RolePolicyAttachment", {"role": "acme-prod-mlflow-server-id", "policyArn": _s3_full_access}, [_server_role.urn])
	experiment_tracking.deny == _full_access_denied with input as doc
}

test_full_access_attached_to_several_roles_denied if {
	doc := _attached("aws:iam/policyAttachment:PolicyAttachment", {"roles": ["other", "acme-prod-mlflow-server"], "policyArn": _s3_full_access}, [])
	experiment_tracking.deny == _full_access_denied with input as doc
}

test_full_access_attached_to_another_role_allowed if {
	doc := _attached("aws:iam/rolePolicyAttachment:RolePolicyAttachment", {"role": "acme-prod-fraud-detector-sagemaker", "policyArn": _s3_full_access}, [fixtures.role])
	count(experiment_tracking.deny) == 0 with input as doc
}

test_full_access_by_another_resource_type_allowed if {
	doc := _attached("aws:iam/userPolicyAttachment:UserPolicyAttachment", {"user": "acme-prod-mlflow-server", "role": "acme-prod-mlflow-server", "policyArn": _s3_full_access}, [])
	count(experiment_tracking.deny) == 0 with input as doc
}

test_narrow_managed_policy_allowed if {
	doc := _attached("aws:iam/rolePolicyAttachment:RolePolicyAttachment", {"role": "acme-prod-mlflow-server", "policyArn": "arn:aws:iam::aws:policy/AmazonSageMakerReadOnly"}, [])
	count(experiment_tracking.deny) == 0 with input as doc
}

# The role is found by the name its ARN ends with (a path allowed), or by the server's dependency on it.
_with_role_arn(arn, dependencies) := fixtures.patch_resource(
	fixtures.with_inputs(_stack, _server_role.urn, {"managedPolicyArns": [_s3_full_access]}),
	_server.urn,
	[{"op": "replace", "path": "/inputs/roleArn", "value": arn}, {"op": "replace", "path": "/dependencies", "value": dependencies}],
)

test_role_found_by_arn_with_path_denied if {
	doc := _with_role_arn("arn:aws:iam::123456789012:role/service/acme-prod-mlflow-server", [fixtures.bucket])
	experiment_tracking.deny == _full_access_denied with input as doc
}

test_role_found_by_dependency_denied if {
	doc := _with_role_arn("arn:aws:iam::123456789012:role/platform-mlflow-role-1a2b3c", [_server_role.urn])
	experiment_tracking.deny == _full_access_denied with input as doc
}

test_role_of_another_name_allowed if {
	doc := _with_role_arn("arn:aws:iam::123456789012:role/acme-prod-mlflow-server-2", [fixtures.bucket])
	count(experiment_tracking.deny) == 0 with input as doc
}

test_user_of_the_role_name_allowed if {
	doc := _with_role_arn("arn:aws:iam::123456789012:user/acme-prod-mlflow-server", [fixtures.bucket])
	count(experiment_tracking.deny) == 0 with input as doc
}

test_unmatched_auto_named_bucket_ignored if {
	doc := _named_bucket({}, "s3://acme-prod-artifacts-x/mlflow")
	count(experiment_tracking.deny) == 0 with input as doc
}

test_kms_key_without_sse_kms_denied if {
	doc := fixtures.patch_resource(_stack, fixtures.bucket_encryption, [{
		"op": "replace",
		"path": "/inputs/rules/0/applyServerSideEncryptionByDefault/sseAlgorithm",
		"value": "AES256",
	}])
	experiment_tracking.deny == _not_kms("platform-artifacts") with input as doc
}

# An attachment that names no single role is not one to every unnamed role.
test_attachment_without_role_input_to_unnamed_role_allowed if {
	unnamed := fixtures.resource("aws:iam/role:Role", "platform-mlflow-role", null, [], {})
	attachment := fixtures.resource("aws:iam/policyAttachment:PolicyAttachment", "platform-mlflow-extra", null, [], {"roles": ["other"], "policyArn": _s3_full_access})
	doc := fixtures.with_resources(fixtures.without(_stack, _server_role.urn), [unnamed, attachment])
	count(experiment_tracking.deny) == 0 with input as doc
}
