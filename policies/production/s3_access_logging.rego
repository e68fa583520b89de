# METADATA
# title: S3 buckets holding PII or confidential data log server access
# description: Checks whether every S3 bucket whose data-classification tag is one of the environment's access_logged_classifications has a linked server access logging configuration that delivers to a dedicated log bucket (another bucket whose own bucket policy grants logging.s3.amazonaws.com s3:PutObject). The log buckets themselves are exempt.
# custom:
#   id: s3-access-logging
#   severity: medium
#   controls: [SOC2:CC7.2, ISO27001:A.8.15, NIST800-53:AU-2, NIST800-53:AU-12, HIPAA:164.312(b)]
#   resource_types: [aws:s3/bucket:Bucket]
#   waivable: true
package mlops.production.s3_access_logging

import rego.v1

import data.mlops.lib.resources as lib

_logging_types := {"aws:s3/bucketLogging:BucketLogging", "aws:s3/bucketLoggingV2:BucketLoggingV2"}

deny contains violation if {
	some bucket in lib.resources_of("aws:s3/bucket:Bucket")
	classification := lib.tags(bucket)["data-classification"]
	classification in lib.parameters.access_logged_classifications
	not lib.access_log_destination(bucket)
	not _logged(bucket)
	violation := {
		"resource": bucket.urn,
		"message": sprintf("S3 bucket %s holds %s data and must log server access to a dedicated log bucket (a linked aws:s3/bucketLogging whose target bucket's policy grants logging.s3.amazonaws.com s3:PutObject)", [bucket.name, classification]),
	}
}

# The logging configuration depends on both buckets; the target is the one that is a log
# destination, and never the bucket itself.
_logged(bucket) if {
	some type in _logging_types
	some logging in lib.linked(type, bucket)
	some target in lib.resources_of("aws:s3/bucket:Bucket")
	target.urn != bucket.urn
	lib.depends_on(logging, target)
	lib.access_log_destination(target)
}
