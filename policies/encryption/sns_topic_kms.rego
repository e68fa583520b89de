# METADATA
# title: SNS topics encrypt with a customer-managed KMS key
# description: Checks whether every SNS topic encrypts its messages with a customer-managed KMS key.
# custom:
#   id: sns-topic-encryption
#   severity: medium
#   controls: [SOC2:CC6.1, ISO27001:A.8.24, NIST800-53:SC-28, HIPAA:164.312(a)(2)(iv)]
#   resource_types: [aws:sns/topic:Topic]
#   waivable: true
#   resource_local: true
package mlops.encryption.sns_topic_kms

import rego.v1

import data.mlops.lib.resources as lib

# The AWS managed key alias/aws/sns is not enough: its key policy cannot be changed to let
# CloudWatch alarms and EventBridge publish, so their notifications to the topic would be lost.
deny contains violation if {
	some topic in lib.resources_of("aws:sns/topic:Topic")
	not lib.customer_managed_key(lib.value_at(topic, ["inputs", "kmsMasterKeyId"]))
	violation := {
		"resource": topic.urn,
		"message": sprintf("SNS topic %s must encrypt messages with a customer-managed KMS key (kmsMasterKeyId)", [topic.name]),
	}
}
