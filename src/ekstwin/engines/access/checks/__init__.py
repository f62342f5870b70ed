"""Checks of the access engine, one per file."""
