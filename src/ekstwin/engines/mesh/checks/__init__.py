"""Checks of the mesh engine, one per file."""
