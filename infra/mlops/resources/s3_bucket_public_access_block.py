"""aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock — the bucket's public access block (PutPublicAccessBlock)."""

from __future__ import annotations

from .base import Call, Read, ResourceType
from .s3_bucket import BUCKET_SETTING_RULE

RESOURCE = ResourceType(
    token="aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    spec_path=None,
    replacement=BUCKET_SETTING_RULE,
    calls=(Call("s3", "PutPublicAccessBlock", parts=((("PublicAccessBlockConfiguration",), ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")),)),),
    read=Read("s3", "GetPublicAccessBlock", by={"Bucket": "bucket"}, answer={}),
)
