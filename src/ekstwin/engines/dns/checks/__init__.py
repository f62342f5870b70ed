"""Checks of the dns engine, one per file."""
