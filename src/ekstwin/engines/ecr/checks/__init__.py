"""Checks of the ecr engine, one per file."""
