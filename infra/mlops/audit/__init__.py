"""The audit trail: a hash-chained ledger of gate decisions and the per-control reports built from it.

Kept free of heavy imports: `mlops.cli` imports the framework names from here at start-up.
"""
