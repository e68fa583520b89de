"""`python -m mlops`: the same command line as the `mlops` script."""

from mlops.cli import app

app()
