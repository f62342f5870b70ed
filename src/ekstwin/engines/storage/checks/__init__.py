"""Checks of the storage engine, one per file."""
