"""Pulumi entry point (`main: infra/`): declares the stack from Pulumi.<stack>.yaml and models/."""

from pathlib import Path

from mlops.program import define_stack

define_stack(Path(__file__).resolve().parent.parent)
