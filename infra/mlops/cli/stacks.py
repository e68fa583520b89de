"""`mlops stacks`: one table of every stack for platform teams."""

from __future__ import annotations
