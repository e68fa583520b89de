"""Typed SageMaker MLOps stacks on AWS, declared with Pulumi and gated by Rego policies."""

__version__ = "0.1.0"
