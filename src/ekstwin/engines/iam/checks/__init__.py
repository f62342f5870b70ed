"""Checks of the iam engine, one per file."""
