"""Typed model specs and stack settings, loaded from YAML with file:line errors."""
