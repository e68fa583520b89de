"""`mlops report`: render the canonical policy report as Markdown, SARIF, JUnit and HTML."""

from __future__ import annotations
