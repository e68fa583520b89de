"""aws:s3/bucketLogging:BucketLogging — server access logging of the bucket (PutBucketLogging)."""

from __future__ import annotations

from .base import Call, Read, ResourceType
from .s3_bucket import BUCKET_SETTING_RULE

RESOURCE = ResourceType(
    token="aws:s3/bucketLogging:BucketLogging",
    spec_path=None,
    replacement=BUCKET_SETTING_RULE,
    calls=(Call("s3", "PutBucketLogging", parts=((("BucketLoggingStatus", "LoggingEnabled"), ("targetBucket", "targetPrefix", "targetGrants", "targetObjectKeyFormat")),)),),
    read=Read("s3", "GetBucketLogging", by={"Bucket": "bucket"}, answer={"BucketLoggingStatus": ""}),
)
