"""The `mlops` command line; each command group lives in its own module and registers on `app`.

The core each command calls is imported lazily inside the command, so `mlops --help` stays fast.
"""

from . import audit, core, diff, live, report, stacks  # noqa: F401
from .base import app

__all__ = ["app"]
