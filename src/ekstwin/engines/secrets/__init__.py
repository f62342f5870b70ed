"""The secrets engine."""
