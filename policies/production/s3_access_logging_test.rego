package mlops.production.s3_access_logging_test

import rego.v1

import data.mlops.lib.fixtures_test as fixtures
import data.mlops.production.s3_access_logging

_message(name, classification) := sprintf(
	"S3 bucket %s holds %s data and must log server access to a dedicated log bucket (a linked aws:s3/bucketLogging whose target bucket's policy grants logging.s3.amazonaws.com s3:PutObject)",
	[name, classification],
)

_bucket_denied := {"resource": fixtures.bucket, "message": _message("platform-artifacts", "pii")}

_log_bucket_denied := {"resource": fixtures.log_bucket, "message": _message("platform-access-logs", "pii")}

_tls_only := fixtures.log_bucket_policy_document.Statement[0]

_log_delivery := fixtures.log_bucket_policy_document.Statement[1]

_log_policy(statements) := json.marshal({"Version": "2012-10-17", "Statement": statements})

_classified(doc, classification) := fixtures.with_tags(doc, fixtures.bucket, object.union(fixtures.shared_tags, {"data-classification": classification}))

# The fixture's PII bucket logs to platform-access-logs, whose own policy grants log delivery;
# the log bucket, tagged PII as well, is a destination and logs nowhere itself.
test_bucket_logging_to_a_log_bucket_allowed if {
	count(s3_access_logging.deny) == 0 with input as fixtures.stack
}

test_logging_v2_resource_allowed if {
	doc := fixtures.patch_resource(fixtures.stack, fixtures.bucket_logging, [
		{"op": "replace", "path": "/type", "value": "aws:s3/bucketLoggingV2:BucketLoggingV2"},
	])
	count(s3_access_logging.deny) == 0 with input as doc
}

test_grant_with_service_and_action_lists_allowed if {
	grant := object.union(_log_delivery, {"Principal": {"Service": ["logging.s3.amazonaws.com"]}, "Action": ["s3:PutObject"]})
	doc := fixtures.with_inputs(fixtures.stack, fixtures.log_bucket_policy, {"policy": _log_policy([_tls_only, grant])})
	count(s3_access_logging.deny) == 0 with input as doc
}

test_internal_bucket_without_logging_allowed if {
	doc := _classified(fixtures.without(fixtures.stack, fixtures.bucket_logging), "internal")
	count(s3_access_logging.deny) == 0 with input as doc
}

test_missing_logging_denied if {
	doc := fixtures.without(fixtures.stack, fixtures.bucket_logging)
	s3_access_logging.deny == {_bucket_denied} with input as doc
}

test_confidential_bucket_without_logging_denied if {
	doc := _classified(fixtures.without(fixtures.stack, fixtures.bucket_logging), "confidential")
	s3_access_logging.deny == {{"resource": fixtures.bucket, "message": _message("platform-artifacts", "confidential")}} with input as doc
}

test_logging_into_itself_denied if {
	doc := fixtures.patch_resource(fixtures.stack, fixtures.bucket_logging, [
		{"op": "replace", "path": "/dependencies", "value": [fixtures.bucket]},
	])
	s3_access_logging.deny == {_bucket_denied} with input as doc
}

# Without the grant, the target is an ordinary PII bucket, which must log in turn.
test_target_without_log_delivery_grant_denied if {
	doc := fixtures.with_inputs(fixtures.stack, fixtures.log_bucket_policy, {"policy": _log_policy([_tls_only])})
	s3_access_logging.deny == {_bucket_denied, _log_bucket_denied} with input as doc
}

test_grant_to_another_principal_denied if {
	grant := object.union(_log_delivery, {"Principal": {"Service": "delivery.logs.amazonaws.com"}})
	doc := fixtures.with_inputs(fixtures.stack, fixtures.log_bucket_policy, {"policy": _log_policy([_tls_only, grant])})
	s3_access_logging.deny == {_bucket_denied, _log_bucket_denied} with input as doc
}

test_grant_of_another_action_denied if {
	grant := object.union(_log_delivery, {"Action": "s3:GetObject"})
	doc := fixtures.with_inputs(fixtures.stack, fixtures.log_bucket_policy, {"policy": _log_policy([_tls_only, grant])})
	s3_access_logging.deny == {_bucket_denied, _log_bucket_denied} with input as doc
}

test_denied_grant_denied if {
	grant := object.union(_log_delivery, {"Effect": "Deny"})
	doc := fixtures.with_inputs(fixtures.stack, fixtures.log_bucket_policy, {"policy": _log_policy([_tls_only, grant])})
	s3_access_logging.deny == {_bucket_denied, _log_bucket_denied} with input as doc
}

# A policy that also depends on the source bucket (it names its ARN) could be either bucket's.
test_grant_in_a_policy_that_depends_on_another_bucket_denied if {
	doc := fixtures.patch_resource(fixtures.stack, fixtures.log_bucket_policy, [
		{"op": "replace", "path": "/dependencies", "value": [fixtures.log_bucket, fixtures.bucket]},
	])
	s3_access_logging.deny == {_bucket_denied, _log_bucket_denied} with input as doc
}
