"""Checks of the secrets engine, one per file."""
