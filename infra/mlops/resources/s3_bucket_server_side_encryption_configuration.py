"""aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration — default encryption of the bucket (PutBucketEncryption)."""

from __future__ import annotations

from .base import Call, Read, ResourceType
from .s3_bucket import BUCKET_SETTING_RULE

RESOURCE = ResourceType(
    token="aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    spec_path=None,
    replacement=BUCKET_SETTING_RULE,
    calls=(Call("s3", "PutBucketEncryption", parts=((("ServerSideEncryptionConfiguration",), ("rules",)),)),),
    aliases=("aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",),
    read=Read("s3", "GetBucketEncryption", by={"Bucket": "bucket"}, answer={}),
)
