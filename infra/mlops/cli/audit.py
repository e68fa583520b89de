"""`mlops audit verify` and `mlops audit report`: the hash-chained audit ledger."""

from __future__ import annotations
