"""aws:s3/bucketObjectv2:BucketObjectv2 — one S3 object the program writes, such as a Clarify analysis configuration (PutObject)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from .base import TF, Call, Read, ResourceType, Rule


def _as_put_object(inputs: dict[str, Any]) -> dict[str, Any]:
    """PutObject takes the object's text as Body and its tags as one URL-encoded query string (Tagging)."""
    shaped = {k: v for k, v in inputs.items() if k not in ("content", "source", "tags")}
    body = inputs.get("content", inputs.get("source"))
    if body is not None:
        shaped["body"] = body
    tags = inputs.get("tags")
    if isinstance(tags, dict) and tags:
        shaped["tagging"] = urlencode(sorted(tags.items()))
    return shaped


RESOURCE = ResourceType(
    token="aws:s3/bucketObjectv2:BucketObjectv2",
    spec_path=None,
    # internal/service/s3/object.go: bucket and key are ForceNew; a new content, key or encryption
    # setting is written in place with another PutObject.
    replacement=Rule(
        source=f"{TF}: internal/service/s3/object.go ForceNew bucket, key",
        force_new=("bucket", "key", "region"),
        name_inputs=("key",),
    ),
    calls=(
        Call(
            "s3",
            "PutObject",
            renames={"kmsKeyId": "SSEKMSKeyId"},
            reshape=_as_put_object,
        ),
    ),
    provider_only=("forceDestroy",),
    read=Read("s3", "HeadObject", by={"Bucket": "bucket", "Key": "key"}),
)
