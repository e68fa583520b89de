"""`mlops promote`, `mlops up` and `mlops verify`: commands that talk to AWS."""

from __future__ import annotations
