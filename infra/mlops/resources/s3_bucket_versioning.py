"""aws:s3/bucketVersioning:BucketVersioning — the bucket's versioning (PutBucketVersioning)."""

from __future__ import annotations

from .base import Call, Read, ResourceType
from .s3_bucket import BUCKET_SETTING_RULE

RESOURCE = ResourceType(
    token="aws:s3/bucketVersioning:BucketVersioning",
    spec_path=None,
    replacement=BUCKET_SETTING_RULE,
    calls=(Call("s3", "PutBucketVersioning"),),
    aliases=("aws:s3/bucketVersioningV2:BucketVersioningV2",),
    read=Read("s3", "GetBucketVersioning", by={"Bucket": "bucket"}, answer={"VersioningConfiguration": ""}),
)
