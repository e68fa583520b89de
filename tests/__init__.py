"""Test suite of the mlops platform."""
