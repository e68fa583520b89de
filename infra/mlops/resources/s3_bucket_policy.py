"""aws:s3/bucketPolicy:BucketPolicy — the bucket's policy (PutBucketPolicy)."""

from __future__ import annotations

from .base import Call, Read, ResourceType
from .s3_bucket import BUCKET_SETTING_RULE

RESOURCE = ResourceType(
    token="aws:s3/bucketPolicy:BucketPolicy",
    spec_path=None,
    replacement=BUCKET_SETTING_RULE,
    calls=(Call("s3", "PutBucketPolicy"),),
    read=Read("s3", "GetBucketPolicy", by={"Bucket": "bucket"}, answer={}),
)
