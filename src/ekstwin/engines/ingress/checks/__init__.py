"""Checks of the ingress engine, one per file."""
