"""`mlops diff`: what a change does to a stack, for pull-request previews."""

from __future__ import annotations
