"""Pulumi component resources: the platform base and the per-model building blocks."""
