"""aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration — the bucket's lifecycle rules (PutBucketLifecycleConfiguration)."""

from __future__ import annotations

from .base import Call, Read, ResourceType
from .s3_bucket import BUCKET_SETTING_RULE

RESOURCE = ResourceType(
    token="aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    spec_path=None,
    replacement=BUCKET_SETTING_RULE,
    calls=(Call("s3", "PutBucketLifecycleConfiguration", parts=((("LifecycleConfiguration",), ("rules",)),)),),
    read=Read("s3", "GetBucketLifecycleConfiguration", by={"Bucket": "bucket"}, answer={"LifecycleConfiguration": ""}),
)
