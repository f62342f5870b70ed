"""Checks of the cluster engine, one per file."""
