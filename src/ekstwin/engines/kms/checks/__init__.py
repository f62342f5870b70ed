"""Checks of the kms engine, one per file."""
