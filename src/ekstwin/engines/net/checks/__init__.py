"""Checks of the net engine, one per file."""
