# METADATA
# title: MLflow tracking servers keep artifacts encrypted and their role narrow
# description: Checks whether every SageMaker MLflow tracking server keeps its artifacts in an S3 bucket of the stack that defaults to SSE-KMS with a customer-managed key, and whether its role is granted no AWS managed full-access policy (such as the AmazonS3FullAccess the provider's example attaches).
# custom:
#   id: experiment-tracking-protected
#   severity: high
#   controls: [SOC2:CC6.1, SOC2:CC6.3, ISO27001:A.8.24, ISO27001:A.8.2, NIST800-53:SC-28, NIST800-53:AC-6, EU-AI-ACT:Art.12, EU-AI-ACT:Art.15, NIST-AI-RMF:GOVERN-1.6, NIST-AI-RMF:MANAGE-2.4, ISO42001:A.6.2.8, ISO42001:A.7.6]
#   resource_types: [aws:sagemaker/mlflowTrackingServer:MlflowTrackingServer]
#   waivable: true
package mlops.governance.experiment_tracking

import rego.v1

import data.mlops.lib.resources as lib

_servers := lib.resources_of("aws:sagemaker/mlflowTrackingServer:MlflowTrackingServer")

deny contains violation if {
	some server in _servers
	lib.s3_uri_bucket(lib.value_at(server, ["inputs", "artifactStoreUri"])) == ""
	violation := {
		"resource": server.urn,
		"message": sprintf("MLflow tracking server %s must keep its artifacts in S3 (artifactStoreUri s3://<bucket>/<prefix>), not %v", [server.name, lib.value_at(server, ["inputs", "artifactStoreUri"])]),
	}
}

deny contains violation if {
	some server in _servers
	bucket := lib.s3_uri_bucket(lib.value_at(server, ["inputs", "artifactStoreUri"]))
	bucket != ""
	count(lib.buckets_named(bucket)) == 0
	violation := {
		"resource": server.urn,
		"message": sprintf("MLflow tracking server %s must keep its artifacts in a bucket this stack declares, whose encryption the gate can check; %s is not one", [server.name, bucket]),
	}
}

deny contains violation if {
	some server in _servers
	bucket := lib.s3_uri_bucket(lib.value_at(server, ["inputs", "artifactStoreUri"]))
	some declared in lib.buckets_named(bucket)
	not _kms_encrypted(declared)
	violation := {
		"resource": server.urn,
		"message": sprintf("MLflow tracking server %s must keep its artifacts in a bucket that defaults to SSE-KMS with a customer-managed key; bucket %s does not", [server.name, declared.name]),
	}
}

deny contains violation if {
	some server in _servers
	some role in _roles(server)
	some arn in _managed_policies(role)
	regex.match(lib.parameters.forbidden_managed_policy_pattern, arn)
	violation := {
		"resource": server.urn,
		"message": sprintf("MLflow tracking server %s must not have its role %s granted the AWS managed policy %s; grant it the artifact prefix and the KMS key only", [server.name, role.name, arn]),
	}
}

_kms_encrypted(bucket) if {
	some configuration in lib.linked("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", bucket)
	some rule in lib.array_at(configuration, ["inputs", "rules"])
	lib.value_at(rule, ["applyServerSideEncryptionByDefault", "sseAlgorithm"]) in {"aws:kms", "aws:kms:dsse"}
	lib.customer_managed_key(lib.value_at(rule, ["applyServerSideEncryptionByDefault", "kmsMasterKeyId"]))
}

# The server's role: the role its roleArn names, or the one it takes the ARN from.
_roles(server) := [role |
	some role in lib.resources_of("aws:iam/role:Role")
	_server_role(server, role)
]

_server_role(server, role) if lib.depends_on(server, role)

# A role ARN never ends in "/", so an unnamed role (name "") matches no ARN.
_server_role(server, role) if {
	arn := lib.string_at(server, ["inputs", "roleArn"])
	contains(arn, ":role/")
	parts := split(arn, "/")
	parts[count(parts) - 1] == lib.string_at(role, ["inputs", "name"])
}

# Managed policies granted to the role: on the role itself, or by an attachment naming or linking it.
_managed_policies(role) := {arn |
	some arn in lib.array_at(role, ["inputs", "managedPolicyArns"])
} | {arn |
	some attachment in lib.all_resources
	attachment.type in {"aws:iam/rolePolicyAttachment:RolePolicyAttachment", "aws:iam/policyAttachment:PolicyAttachment"}
	_attached_to(attachment, role)
	arn := lib.string_at(attachment, ["inputs", "policyArn"])
}

_attached_to(attachment, role) if lib.depends_on(attachment, role)

_attached_to(attachment, role) if {
	name := lib.string_at(role, ["inputs", "name"])
	name != ""
	name in array.concat([lib.string_at(attachment, ["inputs", "role"])], lib.array_at(attachment, ["inputs", "roles"]))
}
