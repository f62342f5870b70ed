"""The cluster engine."""
